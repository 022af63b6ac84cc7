"""Plain containers for what OCR reads off a page: lines with text, box and confidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

BBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the page image


class OcrLineJson(TypedDict):
    """An OcrLine as stored (PageOcr.lines) and exported."""

    text: str
    confidence: float
    bbox: list[int]
    polygon: list[list[int]] | None
    engine: str
    flags: list[str]
    alt_text: str | None


class OcrProvenance(TypedDict):
    """What read a page, so the reading can be reproduced: the engine, the settings it was
    built from (a dump of the OcrSettings groups it reads, which validates back into them),
    and its models (package versions, model files and their sha256, the runtime)."""

    engine: str
    engine_version: str
    # Open-ended: each engine (or plug-in) has its own settings group.
    settings: dict[str, Any]
    models: dict[str, str]
    second: NotRequired[OcrProvenance]  # the second reader's, when low lines were re-read


class OcrPageJson(TypedDict):
    width: int
    height: int
    engine: str
    engine_version: str
    seconds: float
    lines: list[OcrLineJson]
    provenance: NotRequired[OcrProvenance]


@dataclass
class OcrLine:
    """One text line as read by an engine, in page-image pixel coordinates."""

    text: str
    confidence: float  # 0..1
    bbox: BBox
    polygon: list[tuple[int, int]] | None = None
    engine: str = ""
    # Set by the second reader: "engines-agree", "engines-disagree", "timeout", ...
    flags: list[str] = field(default_factory=list)
    alt_text: str | None = None  # the other engine's reading when they disagree

    def to_json(self) -> OcrLineJson:
        return {
            "text": self.text,
            "confidence": self.confidence,
            "bbox": list(self.bbox),
            "polygon": None if self.polygon is None else [list(p) for p in self.polygon],
            "engine": self.engine,
            "flags": list(self.flags),
            "alt_text": self.alt_text,
        }

    @classmethod
    def from_json(cls, d: OcrLineJson) -> OcrLine:
        poly = d.get("polygon")
        x0, y0, x1, y1 = (int(v) for v in d["bbox"])
        return cls(
            text=d["text"],
            confidence=float(d.get("confidence", 0.0)),
            bbox=(x0, y0, x1, y1),
            polygon=[(int(x), int(y)) for x, y in poly] if poly else None,
            engine=d.get("engine", ""),
            flags=list(d.get("flags", [])),
            alt_text=d.get("alt_text"),
        )


@dataclass
class OcrPage:
    """All lines of one page image, with the engine that read them."""

    width: int
    height: int
    lines: list[OcrLine]
    engine: str
    engine_version: str = ""
    seconds: float = 0.0
    provenance: OcrProvenance | None = None  # filled by the engine (see OcrEngine.provenance)

    def to_json(self) -> OcrPageJson:
        out: OcrPageJson = {
            "width": self.width,
            "height": self.height,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "seconds": round(self.seconds, 3),
            "lines": [ln.to_json() for ln in self.lines],
        }
        if self.provenance is not None:
            out["provenance"] = self.provenance
        return out
