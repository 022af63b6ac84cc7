"""Draft records as extraction produces them: fields with raw text, value, confidence and box."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict

from models.json_types import WarningJson
from ocr_service.ocr.containers import BBox

FieldSource = Literal["ocr", "prefill", "derived", "book"]
# A block-form record read off one side of a two-page spread has `row` 1 (left) or 2 (right).
SPREAD_SIDES = {1: "left", 2: "right"}
Band = Literal["sure", "check", "unsure"]


class FieldDraftJson(TypedDict, total=False):
    """FieldDraft as JSON; when read back only `code` is needed (or the record's key for it)."""

    code: str
    raw: str
    value: str | None
    confidence: float
    band: str
    bbox: list[int] | None
    page: int | None
    source: FieldSource
    issues: list[str]
    candidates: list[str]


class RecordDraftJson(TypedDict):
    """RecordDraft as JSON; fields are keyed by code, so their own `code` may be left out."""

    page: int
    row: NotRequired[int | None]
    pages: NotRequired[list[int]]
    fields: NotRequired[dict[str, FieldDraftJson]]
    warnings: NotRequired[list[WarningJson]]


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

    def to_json(self) -> FieldDraftJson:
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
    def from_json(cls, d: FieldDraftJson) -> FieldDraft:
        bbox = d.get("bbox")
        x0, y0, x1, y1 = (int(v) for v in bbox) if bbox else (0, 0, 0, 0)
        return cls(
            code=d["code"],
            raw=d.get("raw", ""),
            value=d.get("value"),
            confidence=float(d.get("confidence", 0.0)),
            bbox=(x0, y0, x1, y1) if bbox else None,
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

    def to_json(self) -> WarningJson:
        return {
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
            "severity": self.severity,
        }

    @classmethod
    def from_json(cls, d: WarningJson) -> RecordWarning:
        return cls(
            field=d.get("field"),
            rule=d["rule"],
            message=d.get("message", ""),
            severity=d.get("severity", "warning"),
        )


@dataclass
class RecordDraft:
    """One record as extracted: its first page, its row on a ledger page (on a block-form spread,
    the side: SPREAD_SIDES), fields and warnings."""

    page: int
    row: int | None = None
    fields: dict[str, FieldDraft] = field(default_factory=dict)
    warnings: list[RecordWarning] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)

    def value(self, code: str) -> str | None:
        """The normalised value of a field, or None when absent or empty."""
        f = self.fields.get(code)
        return f.value if f is not None and f.value not in ("", None) else None

    def to_json(self) -> RecordDraftJson:
        return {
            "page": self.page,
            "row": self.row,
            "pages": list(self.pages),
            "fields": {code: f.to_json() for code, f in self.fields.items()},
            "warnings": [w.to_json() for w in self.warnings],
        }

    @classmethod
    def from_json(cls, d: RecordDraftJson) -> RecordDraft:
        fields = {}
        for code, fd in d.get("fields", {}).items():
            fields[code] = FieldDraft.from_json({"code": code, **fd})
        return cls(
            page=int(d["page"]),
            row=d.get("row"),
            fields=fields,
            warnings=[RecordWarning.from_json(w) for w in d.get("warnings", [])],
            pages=[int(p) for p in d.get("pages", [])],
        )
