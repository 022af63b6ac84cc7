"""Plain inputs of the exporters: a ledger, its records and their fields, decoupled from the ORM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from models.book import BookMeta
from models.json_types import WarningJson

# Returns the JPEG/PNG bytes of one page image (1-based page number in the ledger).
PageLoader = Callable[[int], bytes]


class ExportLedgerJson(TypedDict):
    """The `ledger` object of the export JSON (CONTRACT.md)."""

    id: str
    register: str
    commune: str | None
    book: str | None
    year: int | None
    pages: int


class ExportFieldJson(TypedDict):
    value: str | None
    raw: str | None
    confidence: float | None
    bbox: list[int] | None


class ExportRecordJson(TypedDict):
    """One element of `records` in the export JSON (CONTRACT.md)."""

    id: str
    page: int
    status: str
    version: int
    fields: dict[str, ExportFieldJson]
    warnings: list[WarningJson]
    side: NotRequired[str]  # 'left' / 'right': the page of a two-page spread `page` shows


@dataclass
class ExportLedger:
    """One register book as the exporters need it: its metadata, not its pages.

    The authority (`meta.authority`) fills noiDangKy / noiCap, the quyển số (`meta.book`)
    quyenSo, when a record does not give them.
    """

    id: str
    meta: BookMeta
    pages: int
    ward_code: str | None = None  # project-configured ward code, e.g. 'xa_loc_thuan'
    district: str | None = None  # e.g. 'Huyện Bình Đại'
    province: str | None = None  # e.g. 'Tỉnh Bến Tre'

    def to_json(self) -> ExportLedgerJson:
        """The `ledger` object of the export JSON (CONTRACT.md)."""
        return {
            "id": self.id,
            "register": self.meta.register,
            "commune": self.meta.commune,
            "book": self.meta.book,
            "year": self.meta.year,
            "pages": self.pages,
        }


@dataclass
class ExportField:
    """One field of a record: normalised value, text as read, confidence and image box."""

    value: str | None
    raw: str | None = None
    confidence: float | None = None
    bbox: list[int] | None = None  # x0, y0, x1, y1 in pixels of the record's first page image

    def to_json(self) -> ExportFieldJson:
        return {
            "value": self.value,
            "raw": self.raw,
            "confidence": self.confidence,
            "bbox": list(self.bbox) if self.bbox is not None else None,
        }


@dataclass
class ExportRecord:
    """One registration (one row of the Ministry Excel, one PDF in the zip)."""

    id: str
    page: int  # 1-based page of the ledger where the record starts
    status: str  # draft | confirmed | flagged
    version: int
    fields: dict[str, ExportField]
    warnings: list[WarningJson] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)  # every 1-based ledger page it spans
    # 'left' / 'right' when the page image is a spread of two facing pages (block forms)
    side: str | None = None

    def value(self, code: str) -> str | None:
        """The normalised value of a field, or None when absent or blank."""
        f = self.fields.get(code)
        if f is None or f.value is None or not str(f.value).strip():
            return None
        return str(f.value)

    def page_numbers(self) -> list[int]:
        """The pages of the record, falling back to its first page."""
        return list(self.pages) if self.pages else [self.page]

    def to_json(self) -> ExportRecordJson:
        """One element of `records` in the export JSON (CONTRACT.md)."""
        out: ExportRecordJson = {
            "id": self.id,
            "page": self.page,
            "status": self.status,
            "version": self.version,
            "fields": {code: f.to_json() for code, f in self.fields.items()},
            "warnings": list(self.warnings),
        }
        if self.side is not None:
            out["side"] = self.side
        return out
