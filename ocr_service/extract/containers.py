"""Draft records as extraction produces them: fields with raw text, value, confidence and box."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ocr_service.ocr.containers import BBox

FieldSource = Literal["ocr", "prefill", "derived", "book"]
Band = Literal["sure", "check", "unsure"]


@dataclass
class FieldDraft:
    """One field of a draft record: what was read (raw), what it means (value) and how sure."""

    code: str
    raw: str
    value: str | None = None
    confidence: float = 0.0
    bbox: BBox | None = None
    page: int | None = None
    source: FieldSource = "ocr"
    issues: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    # "sure" / "check" / "unsure": set by confidence.score_field, empty until scored.
    band: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "raw": self.raw,
            "value": self.value,
            "confidence": round(float(self.confidence), 4),
            "band": self.band,
            "bbox": list(self.bbox) if self.bbox is not None else None,
            "page": self.page,
            "source": self.source,
            "issues": list(self.issues),
            "candidates": list(self.candidates),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FieldDraft:
        bbox = d.get("bbox")
        return cls(
            code=d["code"],
            raw=d.get("raw", ""),
            value=d.get("value"),
            confidence=float(d.get("confidence", 0.0)),
            bbox=tuple(int(v) for v in bbox) if bbox else None,  # type: ignore[arg-type]
            page=d.get("page"),
            source=d.get("source", "ocr"),
            issues=list(d.get("issues", [])),
            candidates=list(d.get("candidates", [])),
            band=d.get("band", ""),
        )


@dataclass
class RecordWarning:
    """A data-quality finding shown to the clerk; never a silent change of a value."""

    field: str | None
    rule: str
    message: str  # Vietnamese, for clerks
    severity: Literal["error", "warning"] = "warning"

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
            "severity": self.severity,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RecordWarning:
        return cls(
            field=d.get("field"),
            rule=d["rule"],
            message=d.get("message", ""),
            severity=d.get("severity", "warning"),
        )


@dataclass
class RecordDraft:
    """One record as extracted: its first page, its row on a ledger page, fields and warnings."""

    page: int
    row: int | None = None
    fields: dict[str, FieldDraft] = field(default_factory=dict)
    warnings: list[RecordWarning] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)

    def value(self, code: str) -> str | None:
        """The normalised value of a field, or None when absent or empty."""
        f = self.fields.get(code)
        return f.value if f is not None and f.value not in ("", None) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "row": self.row,
            "pages": list(self.pages),
            "fields": {code: f.to_json() for code, f in self.fields.items()},
            "warnings": [w.to_json() for w in self.warnings],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RecordDraft:
        fields = {}
        for code, fd in d.get("fields", {}).items():
            fd = dict(fd)
            fd.setdefault("code", code)
            fields[code] = FieldDraft.from_json(fd)
        return cls(
            page=int(d["page"]),
            row=d.get("row"),
            fields=fields,
            warnings=[RecordWarning.from_json(w) for w in d.get("warnings", [])],
            pages=[int(p) for p in d.get("pages", [])],
        )


@dataclass(frozen=True)
class LedgerMeta:
    """What the ledger (one book) says about all its records: register, commune, book, year."""

    register: str
    commune: str = ""
    book: str = ""  # quyển số as given at ingest, e.g. '01/2019'
    year: int | None = None
    noi_dang_ky: str = ""  # registering authority, e.g. 'UBND xã An Nhơn, huyện …, tỉnh …'
