"""The shape of a synthetic book's truth.json (README.md of this package describes each key)."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class LineTruth(TypedDict):
    """One visual text line: its text, ink box [x0, y0, x1, y1], kind, style and field."""

    text: str
    bbox: list[int]
    kind: str  # label, value, header, other
    style: str  # typed, hand
    field: str | None
    struck: NotRequired[str]  # a word written wrong and crossed out on this line (issue #13)


class PageTruth(TypedDict):
    page: int
    file: str  # pages/NNNN.jpg
    width: int
    height: int
    rotation: float  # degrees applied, OpenCV sign (positive: counter-clockwise)
    spread: bool
    gutter_x: int | None  # x of the fold on spread images
    lines: list[LineTruth]
    records: list[int]  # indices into BookTruth.records drawn on this page
    blots: NotRequired[list[list[int]]]  # ink blots' boxes (books drawn with wide=True)


class FieldTruth(TypedDict):
    """A record's field: export value, text as printed and its box (None: not printed)."""

    value: str
    text: str | None
    bbox: list[int] | None
    struck: NotRequired[str]  # the word crossed out before `text` was written (issue #13)


class RecordTruth(TypedDict):
    index: int
    page: int  # the image; on a spread of block pages `half` says which of its two pages
    row: int | None  # row on a ledger page; None on a block form
    half: NotRequired[str]  # left | right: a block page on a spread image
    fields: dict[str, FieldTruth]


class PlantedError(TypedDict):
    """A rule the book breaks on purpose (generate_book(plant_errors=True))."""

    record: int
    rule: str  # sequence-gap, duplicate-number, date-order, registration-before-event
    field: str
    detail: str


class LedgerTruth(TypedDict):
    """The book's metadata, as a clerk would type it at ingest."""

    register: str
    commune: str
    book: str
    year: int
    noiDangKy: str


class BookTruth(TypedDict):
    generator: str
    version: int
    register: str
    layout: str
    style: str
    seed: int
    dpi: int
    degrade: str
    ledger: LedgerTruth
    pages: list[PageTruth]
    records: list[RecordTruth]
    planted_errors: list[PlantedError]
    # Books drawn from a catalogue group (catalog.py) or with issue #13's variations say so:
    group: NotRequired[str]  # tuning | held-out
    wide: NotRequired[bool]
    printing: NotRequired[str]  # printing of the block form: 2016 | 2016b
    fonts: NotRequired[dict[str, str]]  # value / label / label_bold font files
