"""Plain containers for what OCR reads off a page: lines with text, box and confidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

BBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the page image


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

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["bbox"] = list(self.bbox)
        if self.polygon is not None:
            d["polygon"] = [list(p) for p in self.polygon]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> OcrLine:
        poly = d.get("polygon")
        return cls(
            text=d["text"],
            confidence=float(d.get("confidence", 0.0)),
            bbox=tuple(int(v) for v in d["bbox"]),  # type: ignore[arg-type]
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

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "seconds": round(self.seconds, 3),
            "lines": [ln.to_json() for ln in self.lines],
        }
