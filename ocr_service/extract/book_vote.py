"""What is one per book, read off every page and voted (issue #13/#14).

A register book has one quyển số, one year, one registering authority and one register type;
the officer (Người thực hiện) and the signer are usually the same for long runs. Each page
says them again (page header, title, signature block), and OCR misreads some pages. So each
page's reading is a vote: values are compared after folding case, accents and spacing
('01 /2019' is '01/2019'), an unreadable value abstains, and a value wins only with a clear
majority of the pages that gave one. The losers are outliers, kept with their pages for the
clerk. Pure functions on plain values: the database glue is `ocr_service.records.book_reading`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from models.json_types import JsonObject
from ocr_service.extract.normalise.base import fold, fold_key
from ocr_service.extract.rules import parse_date_value, parse_so

# The facts voted, in the order the clerk sees them.
FACTS = ("register", "book", "year", "authority", "signer", "officer")
# Facts that fill BookMeta attributes of the same name when they were not given at ingest.
META_FACTS = ("book", "year", "authority")
# Free text: OCR noise inside one value ('UBND xa An Nhon' / 'UBND xã An Nhơn') is merged
# when folded texts are this similar; codes (quyển số, year, register) must match exactly.
TEXT_FACTS = ("authority", "signer", "officer")
TEXT_SIMILARITY = 0.85
# Record fields that carry a fact on each page (block form: header and signature block).
FIELD_FACTS = {
    "quyenSo": "book",
    "noiDangKy": "authority",
    "noiCap": "authority",
    "nguoiKy": "signer",
    "nguoiThucHien": "officer",
}

Status = Literal["agreed", "disputed", "unread"]

_QUYEN = re.compile(r"^\s*(\d{1,3})\s*[/-]\s*(\d{4})\s*$")
_QUYEN_COVER = re.compile(r"^\s*(\d{1,3})\s*-\s*tp\s*/\s*ht\s*-\s*(\d{4})", re.IGNORECASE)
_QUYEN_LINE = re.compile(r"quyen\s*so\s*[:.]?\s*(\d{1,3})\s*[/-]\s*(\d{4})")
_AUTHORITY_LINE = re.compile(r"^(?:ubnd|uy ban nhan dan)\s+(?:xa|phuong|thi tran|huyen|quan)\b")
_TITLE_LINE = re.compile(r"^so\s+(?:dang ky|cap)\b")
# Folded title words → register slug (titles as in registers.json `book_vi`).
_TITLE_WORDS = (
    ("tinh trang hon nhan", "xac-nhan-hon-nhan"),
    ("nhan cha", "nhan-cha-me-con"),
    ("khai sinh", "khai-sinh"),
    ("khai tu", "khai-tu"),
    ("ket hon", "ket-hon"),
)


# --- reading one page ------------------------------------------------------------------------


def quyen_so_key(text: str | None) -> str | None:
    """'01 /2019', '1/2019', '01-TP/HT-2019-KS' → '01/2019'; None when it is not a quyển số."""
    if not text:
        return None
    m = _QUYEN.match(text) or _QUYEN_COVER.match(text)
    if m is None:
        return None
    return f"{int(m[1]):02d}/{m[2]}"


def register_from_title(line: str) -> str | None:
    """'SỔ ĐĂNG KÝ KHAI SINH' → 'khai-sinh'; None for any other line."""
    folded = fold(line)
    if not _TITLE_LINE.match(folded):
        return None
    return next((slug for words, slug in _TITLE_WORDS if words in folded), None)


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" .:;,")


@dataclass(frozen=True)
class PageFacts:
    """What one page says of its book: fact → the value as read (register as its slug)."""

    page: int
    values: Mapping[str, str]

    def to_json(self) -> JsonObject:
        return {"page": self.page, "values": dict(self.values)}


def read_page_facts(page: int, lines: Iterable[str], fields: Mapping[str, str]) -> PageFacts:
    """The facts of one page from its OCR lines and the record fields read on it.

    `fields`: field code → value read on the page by the layout (only what OCR read; values
    filled from the book itself must not vote). A field wins over a line for the same fact.
    """
    values: dict[str, str] = {}
    for line in lines:
        folded = fold(line)
        if "register" not in values and (slug := register_from_title(line)):
            values["register"] = slug
        if "book" not in values and (m := _QUYEN_LINE.search(folded)):
            values["book"] = f"{int(m[1]):02d}/{m[2]}"
        if "authority" not in values and _AUTHORITY_LINE.match(folded):
            values["authority"] = _clean(line)
    for code, fact in FIELD_FACTS.items():
        text = _clean(fields.get(code) or "")
        if not text:
            continue
        if fact == "book":
            key = quyen_so_key(text)
            if key is not None:
                values["book"] = key
        else:
            values[fact] = text
    if (key := quyen_so_key(values.get("book"))) is not None:
        values["year"] = key.split("/")[1]
    return PageFacts(page, values)


# --- the vote --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One value and the pages that gave it (spelling variants of one value merged)."""

    value: str
    pages: tuple[int, ...]

    def to_json(self) -> JsonObject:
        return {"value": self.value, "pages": list(self.pages)}


@dataclass(frozen=True)
class FactVote:
    """The vote on one fact: the winner (None unless a clear majority) and every other value."""

    fact: str
    status: Status
    value: str | None = None
    pages: tuple[int, ...] = ()  # pages that gave the winning value
    cast: int = 0  # pages that gave a readable value
    outliers: tuple[Reading, ...] = ()  # disputed: every value read, largest first

    def to_json(self) -> JsonObject:
        return {
            "fact": self.fact,
            "status": self.status,
            "value": self.value,
            "pages": list(self.pages),
            "cast": self.cast,
            "outliers": [r.to_json() for r in self.outliers],
        }

    def where(self) -> str:
        """Which pages say what, for a message: "'01/2021' trang 1, 2; '07/2027' trang 4"."""
        readings = ([Reading(self.value, self.pages)] if self.value else []) + list(self.outliers)
        return "; ".join(
            f"'{r.value}' trang {', '.join(str(p) for p in r.pages)}" for r in readings
        )


def _key(fact: str, value: str) -> str:
    if fact == "book":
        return quyen_so_key(value) or fold_key(value)
    return fold_key(value) if fact not in TEXT_FACTS else fold(value).strip(" .:;,")


@dataclass
class _Group:
    key: str
    spellings: dict[str, int] = field(default_factory=dict)
    pages: list[int] = field(default_factory=list)

    def add(self, value: str, page: int) -> None:
        self.spellings[value] = self.spellings.get(value, 0) + 1
        self.pages.append(page)

    def merge(self, other: _Group) -> None:
        for value, n in other.spellings.items():
            self.spellings[value] = self.spellings.get(value, 0) + n
        self.pages.extend(other.pages)

    def reading(self) -> Reading:
        # The spelling most pages used; ties go to the one read first.
        best = max(self.spellings.items(), key=lambda kv: kv[1])[0]
        return Reading(best, tuple(sorted(self.pages)))


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b).ratio() >= TEXT_SIMILARITY


def _groups(fact: str, readings: Sequence[tuple[int, str]]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for page, value in readings:
        key = _key(fact, value)
        if not key:
            continue  # nothing readable: an abstention
        groups.setdefault(key, _Group(key)).add(value, page)
    ordered = sorted(groups.values(), key=lambda g: (-len(g.pages), min(g.pages)))
    if fact not in TEXT_FACTS:
        return ordered
    merged: list[_Group] = []
    for group in ordered:
        home = next((m for m in merged if _similar(m.key, group.key)), None)
        if home is None:
            merged.append(group)
        else:
            home.merge(group)
    return sorted(merged, key=lambda g: (-len(g.pages), min(g.pages)))


def vote(fact: str, readings: Sequence[tuple[int, str]]) -> FactVote:
    """The value more than half of the readable pages give, and the outliers with their pages.

    `readings`: (page, value as read). Blank values abstain. Without a clear majority the
    fact is disputed: no value, and every reading listed so the clerk sees where.
    """
    groups = _groups(fact, readings)
    cast = sum(len(g.pages) for g in groups)
    if not groups:
        return FactVote(fact, "unread")
    top = groups[0]
    if 2 * len(top.pages) > cast:
        winner = top.reading()
        others = tuple(g.reading() for g in groups[1:])
        return FactVote(fact, "agreed", winner.value, winner.pages, cast, others)
    return FactVote(fact, "disputed", None, (), cast, tuple(g.reading() for g in groups))


def vote_book(pages: Sequence[PageFacts]) -> dict[str, FactVote]:
    """Every fact voted across the pages of one book."""
    return {
        fact: vote(fact, [(p.page, p.values[fact]) for p in pages if p.values.get(fact)])
        for fact in FACTS
    }


# --- numbering and year rules across the book -------------------------------------------------


@dataclass(frozen=True)
class RecordFacts:
    """What the numbering rules need of one record, in book order."""

    page: int
    record_id: str
    so: str | None  # normalised 'NN/yyyy'
    ngay_dang_ky: str | None  # normalised 'dd.mm.yyyy' (or partial)


@dataclass(frozen=True)
class BookWarning:
    rule: str
    page: int
    record_id: str
    message: str

    def to_json(self) -> JsonObject:
        return {
            "rule": self.rule,
            "page": self.page,
            "record": self.record_id,
            "message": self.message,
        }


def check_numbering(records: Sequence[RecordFacts], book_year: int | None) -> list[BookWarning]:
    """Numbers (số) go up from page to page; registrations fall within the book's year.

    A number lower than one on an earlier page (same year) is 'so-not-increasing' (equal
    numbers are the record rules' 'duplicate-number'); a registration dated in another year
    than the book's is 'registration-outside-book-year'.
    """
    out: list[BookWarning] = []
    highest: dict[int, tuple[int, int]] = {}  # year → (number, page)
    for rec in records:
        so = parse_so(rec.so)
        if so is not None:
            n, year = so
            prev = highest.get(year)
            if prev is not None and n < prev[0]:
                out.append(
                    BookWarning(
                        "so-not-increasing",
                        rec.page,
                        rec.record_id,
                        f"Số {n:02d}/{year} (trang {rec.page}) nhỏ hơn số {prev[0]:02d}/{year} "
                        f"ở trang {prev[1]} trước đó",
                    )
                )
            if prev is None or n > prev[0]:
                highest[year] = (n, rec.page)
        reg = parse_date_value(rec.ngay_dang_ky)
        if book_year is not None and reg is not None and reg[0] != book_year:
            out.append(
                BookWarning(
                    "registration-outside-book-year",
                    rec.page,
                    rec.record_id,
                    f"Ngày đăng ký {rec.ngay_dang_ky} (trang {rec.page}) không thuộc năm "
                    f"{book_year} của sổ",
                )
            )
    return out


# --- the whole reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class BookReading:
    """The book's facts as its pages give them: per page, voted, and the rules' warnings."""

    pages: tuple[PageFacts, ...]
    votes: Mapping[str, FactVote]
    warnings: tuple[BookWarning, ...] = ()
    # BookMeta attributes given at ingest (or by a clerk) that the pages contradict.
    mismatches: Mapping[str, str] = field(default_factory=dict)
    filled: tuple[str, ...] = ()  # BookMeta attributes filled from the vote

    def proposed(self, fact: str) -> str | None:
        v = self.votes.get(fact)
        return v.value if v is not None and v.status == "agreed" else None

    def to_json(self) -> JsonObject:
        return {
            "pages": [p.to_json() for p in self.pages],
            "facts": {fact: v.to_json() for fact, v in self.votes.items()},
            "warnings": [w.to_json() for w in self.warnings],
            "mismatches": dict(self.mismatches),
            "filled": list(self.filled),
        }


def compare_given(given: Mapping[str, object], votes: Mapping[str, FactVote]) -> dict[str, str]:
    """Given values the pages' vote contradicts: fact → a message for the clerk."""
    out: dict[str, str] = {}
    for fact in ("register", *META_FACTS):
        value = given.get(fact)
        v = votes.get(fact)
        if value in (None, "") or v is None or v.status != "agreed" or v.value is None:
            continue
        if _key(fact, str(value)) != _key(fact, v.value):
            out[fact] = (
                f"Đã nhập '{value}' nhưng các trang ghi '{v.value}' "
                f"(trang {', '.join(str(p) for p in v.pages)})"
            )
    return out


def same_value(fact: str, a: str, b: str) -> bool:
    """Whether two readings of a fact are the same value once folded."""
    return _key(fact, a) == _key(fact, b)
