"""Per-book table-ledger layout files (TOML or JSON) written by province teams, validated."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ocr_service.errors import BadInput
from ocr_service.extract.spec import field_specs, load_registers

Side = Literal["left", "right", "page"]
Spread = Literal["none", "image", "pages"]
RowAlign = Literal["top", "middle"]


@dataclass(frozen=True)
class ColumnSpec:
    """One ruled column: the field it fills and where it is (x range or printed header)."""

    field: str
    side: Side = "page"
    x: tuple[float, float] | None = None  # fractions of the page-side width
    header: str | None = None  # printed header text to anchor on (fuzzy)


@dataclass(frozen=True)
class LedgerLayout:
    """How to read one book series' table pages."""

    register: str
    columns: tuple[ColumnSpec, ...]
    header_rows: int = 0  # text rows at the top of each page side that are printed headers
    body_top: float | None = None  # fraction of the page height where the rows start
    body_bottom: float | None = None  # fraction of the page height where the rows end
    spread: Spread = "none"
    gutter_x: float = 0.5  # spread in one image: gutter as a fraction of the image width
    row_key: str | None = None  # field whose cell starts every row (default: 'so' if mapped)
    # Without ruled lines: "top" — an entry starts level with its number and runs down
    # (handwritten ledgers); "middle" — each cell is centred on the row (typed tables).
    row_align: RowAlign = "top"
    sources: tuple[str, ...] = field(default_factory=tuple)

    def key_field(self) -> str | None:
        if self.row_key:
            return self.row_key
        return "so" if any(c.field == "so" for c in self.columns) else None


_TOP_KEYS = {
    "register",
    "columns",
    "header_rows",
    "body_top",
    "body_bottom",
    "spread",
    "gutter_x",
    "row_key",
    "row_align",
    "name",
    "notes",
}
_COLUMN_KEYS = {"field", "side", "x", "header", "notes"}


def _fail(path: str, message: str) -> BadInput:
    return BadInput(f"layout file: {path}: {message}", code="bad_layout")


def _fraction(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"expected a number between 0 and 1, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise _fail(path, f"expected a number between 0 and 1, got {value!r}")
    return float(value)


def parse_layout(data: dict[str, object]) -> LedgerLayout:
    """Validate a layout mapping; every error names its key path (e.g. `columns[2].x`)."""
    if not isinstance(data, dict):
        raise _fail("(top)", "expected a table/object")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(unknown[0], f"unknown key; allowed: {', '.join(sorted(_TOP_KEYS))}")
    register = data.get("register")
    types = load_registers()["register_types"]
    if not isinstance(register, str) or register not in types:
        raise _fail("register", f"expected one of {', '.join(types)}, got {register!r}")
    fields = field_specs(register)

    raw_spread = data.get("spread", "none")
    spread: Spread
    if raw_spread is True or raw_spread == "image":
        spread = "image"
    elif raw_spread is False or raw_spread == "none":
        spread = "none"
    elif raw_spread == "pages":
        spread = "pages"
    else:
        raise _fail(
            "spread", f"expected 'none', 'image' or 'pages' (or true/false), got {raw_spread!r}"
        )
    gutter_x = _fraction(data.get("gutter_x", 0.5), "gutter_x")
    if spread == "image" and not 0.2 <= gutter_x <= 0.8:
        raise _fail("gutter_x", f"the gutter should be near the middle (0.2–0.8), got {gutter_x}")

    header_rows = data.get("header_rows", 0)
    if isinstance(header_rows, bool) or not isinstance(header_rows, int) or header_rows < 0:
        raise _fail("header_rows", f"expected a whole number ≥ 0, got {header_rows!r}")
    body_top = data.get("body_top")
    body_bottom = data.get("body_bottom")
    top = _fraction(body_top, "body_top") if body_top is not None else None
    bottom = _fraction(body_bottom, "body_bottom") if body_bottom is not None else None
    if top is not None and bottom is not None and bottom <= top:
        raise _fail("body_bottom", f"must be greater than body_top ({top}), got {bottom}")

    raw_cols = data.get("columns")
    if not isinstance(raw_cols, list) or not raw_cols:
        raise _fail("columns", "expected a non-empty list of columns ([[columns]] in TOML)")
    columns: list[ColumnSpec] = []
    for i, col in enumerate(raw_cols):
        where = f"columns[{i}]"
        if not isinstance(col, dict):
            raise _fail(where, "expected a table/object")
        extra = sorted(set(col) - _COLUMN_KEYS)
        if extra:
            raise _fail(
                f"{where}.{extra[0]}", f"unknown key; allowed: {', '.join(sorted(_COLUMN_KEYS))}"
            )
        code = col.get("field")
        if not isinstance(code, str) or code not in fields:
            raise _fail(f"{where}.field", f"{code!r} is not a field of {register}")
        side = col.get("side", "left" if spread != "none" else "page")
        if spread == "none" and side != "page":
            raise _fail(f"{where}.side", "only 'page' is allowed when spread is 'none'")
        if spread != "none" and side not in ("left", "right"):
            raise _fail(f"{where}.side", f"expected 'left' or 'right' for a spread, got {side!r}")
        x = col.get("x")
        header = col.get("header")
        if x is None and header is None:
            raise _fail(where, "give the column's x range or its printed header text")
        xr: tuple[float, float] | None = None
        if x is not None:
            if not isinstance(x, list | tuple) or len(x) != 2:
                raise _fail(f"{where}.x", f"expected [start, end] fractions, got {x!r}")
            x0 = _fraction(x[0], f"{where}.x[0]")
            x1 = _fraction(x[1], f"{where}.x[1]")
            if x1 <= x0:
                raise _fail(f"{where}.x", f"end must be greater than start, got {x!r}")
            xr = (x0, x1)
        if header is not None and (not isinstance(header, str) or not header.strip()):
            raise _fail(f"{where}.header", f"expected the printed header text, got {header!r}")
        columns.append(ColumnSpec(field=code, side=side, x=xr, header=header))

    row_key = data.get("row_key")
    if row_key is not None and (
        not isinstance(row_key, str) or row_key not in {c.field for c in columns}
    ):
        raise _fail("row_key", f"{row_key!r} is not one of the layout's column fields")
    raw_align = data.get("row_align", "top")
    row_align: RowAlign
    if raw_align == "top":
        row_align = "top"
    elif raw_align == "middle":
        row_align = "middle"
    else:
        raise _fail("row_align", f"expected 'top' or 'middle', got {raw_align!r}")
    return LedgerLayout(
        register=register,
        row_align=row_align,
        columns=tuple(columns),
        header_rows=header_rows,
        body_top=top,
        body_bottom=bottom,
        spread=spread,
        gutter_x=gutter_x,
        row_key=row_key,
    )


def load_layout_file(source: str | Path | dict[str, object]) -> LedgerLayout:
    """Read a `.toml` or `.json` layout file (or an already parsed mapping) and validate it."""
    if isinstance(source, dict):
        return parse_layout(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"layout file: cannot read {path.name}: {exc.strerror}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(
            f"layout file: {path.name} is not valid {path.suffix[1:].upper()}: {exc}"
        ) from exc
    return parse_layout(data)
