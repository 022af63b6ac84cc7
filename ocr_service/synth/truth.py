"""The shape of a synthetic book's truth.json (README.md of this package describes each key)."""

from __future__ import annotations

from typing import TypedDict


class LineTruth(TypedDict):
    """One visual text line: its text, ink box [x0, y0, x1, y1], kind, style and field."""

    text: str
    bbox: list[int]
    kind: str  # label, value, header, other
    style: str  # typed, hand
    field: str | None


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


class FieldTruth(TypedDict):
    """A record's field: export value, text as printed and its box (None: not printed)."""

    value: str
    text: str | None
    bbox: list[int] | None


class RecordTruth(TypedDict):
    index: int
    page: int
    row: int | None  # row on a ledger page; None on a block form
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
