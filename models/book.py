"""A book's metadata (register, layout, commune, quyển số, year, authority): one value type.

Ingest, the page job, extraction, export and the API all carry this one type; the `ledgers`
table has a column of the same name for each attribute (`Ledger.book_meta`). What a user gives
is checked here once (`BookMeta.checked`), whatever the door it came in by (CLI, manifest, API).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, fields, replace
from typing import Any

from models.json_types import JsonObject
from models.registers import LAYOUTS, REGISTER_SLUGS

MAX_LEN = "max_len"  # field metadata: a free-text attribute and its column's width
FIRST_YEAR = 1900


class InvalidBookMeta(ValueError):
    """Book metadata that cannot be stored; the message says why, in words for the user."""


def _text(max_len: int) -> Any:
    """A free-text attribute: whitespace collapsed, blank as None, at most `max_len` printable
    characters (the width of its column in `ledgers`)."""
    return field(default=None, metadata={MAX_LEN: max_len})


@dataclass(frozen=True)
class BookMeta:
    """What is known of one register book (sổ) as a whole, not read off its pages.

    A frozen stdlib dataclass rather than a pydantic model: it is a value handed between
    layers (ingest → database → page job → extraction, and export), built from trusted rows far
    more often than from user input, and `register` is a plain attribute (pydantic reserves it).
    User input goes through `checked()`, which gives the clerk-facing messages.
    """

    register: str  # slug: khai-sinh, khai-tu, ket-hon, nhan-cha-me-con, xac-nhan-hon-nhan
    _: KW_ONLY
    layout: str = "block"  # block (since 2016) or table (older ledgers)
    layout_file: JsonObject | None = None  # table ledgers: the province team's column map
    commune: str | None = _text(200)  # xã/phường keeping the book
    book: str | None = _text(64)  # quyển số as given, e.g. '01/2019'
    year: int | None = None
    # Registering authority (noiDangKy), e.g. 'UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng':
    # not printed on each page, so it comes with the book.
    authority: str | None = _text(300)

    def checked(self, *, today: dt.date | None = None) -> BookMeta:
        """This metadata as it may be stored: free text cleaned, everything in range.

        Raises InvalidBookMeta. The layout file's own contents are checked by the layout
        parser (extraction's business), not here.
        """
        if self.register not in REGISTER_SLUGS:
            raise InvalidBookMeta(
                f"unknown register {self.register!r}: use one of {', '.join(REGISTER_SLUGS)}"
            )
        if self.layout not in LAYOUTS:
            raise InvalidBookMeta(f"unknown layout {self.layout!r}: use block or table")
        last_year = (today or dt.date.today()).year + 1
        if self.year is not None and not (FIRST_YEAR <= self.year <= last_year):
            raise InvalidBookMeta(f"year {self.year} is outside {FIRST_YEAR}–{last_year}")
        cleaned = {
            f.name: _clean_text(getattr(self, f.name), f.name, f.metadata[MAX_LEN])
            for f in fields(self)
            if MAX_LEN in f.metadata
        }
        return self._with(cleaned)

    def with_text(self, values: Mapping[str, str]) -> BookMeta:
        """This metadata with the layout and free-text attributes that `values` gives (not
        blank) in their place, e.g. from a manifest row whose columns are named after them."""
        names = ("layout", *TEXT_ATTRIBUTES)
        return self._with({name: values[name] for name in names if values.get(name)})

    def with_changes(self, changes: Mapping[str, object]) -> BookMeta:
        """This metadata with `changes` (attribute → value) in place, not yet `checked()`:
        a clerk's edit, or values voted from the book's pages."""
        unknown = set(changes) - set(ATTRIBUTES)
        if unknown:
            raise InvalidBookMeta(f"unknown book attribute {sorted(unknown)[0]!r}")
        return self._with(changes)

    def _with(self, changes: Mapping[str, object]) -> BookMeta:
        # By name, so mypy checks each keyword against every attribute's type: the callers
        # give only text attributes text.
        return replace(self, **changes)  # type: ignore[arg-type]

    def columns(self) -> dict[str, object]:
        """Every attribute by name: the `ledgers` columns of the same names take these values."""
        return {name: getattr(self, name) for name in ATTRIBUTES}

    @classmethod
    def read_from(cls, row: object) -> BookMeta:
        """The metadata held by anything with attributes of the same names (a `ledgers` row)."""
        return cls(**{name: getattr(row, name) for name in ATTRIBUTES})


ATTRIBUTES: tuple[str, ...] = tuple(f.name for f in fields(BookMeta))
TEXT_ATTRIBUTES: tuple[str, ...] = tuple(f.name for f in fields(BookMeta) if MAX_LEN in f.metadata)


def _clean_text(value: str | None, what: str, max_len: int) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", value).strip()
    if not value:
        return None
    if len(value) > max_len or any(ord(c) < 32 for c in value):
        raise InvalidBookMeta(f"{what} must be at most {max_len} printable characters")
    return value


def parse_year(text: str | None) -> int | None:
    """The year of a form field or a manifest cell: blank is None, else four ASCII digits.

    Not `str.isdigit()`: it passes superscript ('²⁰²⁰') and other scripts' digits, which
    `int()` then refuses or reads as a year nobody typed.
    """
    if text is None or not text.strip():
        return None
    if not re.fullmatch(r"[0-9]{4}", text.strip()):
        raise InvalidBookMeta("year must be a 4-digit number")
    return int(text.strip())
