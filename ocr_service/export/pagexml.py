"""PAGE XML (PcGts 2019-07-15) of one page's OCR lines, for Transkribus/OCR-D/kraken."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from lxml import etree

from ocr_service.errors import BadInput
from ocr_service.ocr.containers import OcrLine

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{PAGE_NS} {PAGE_NS}/pagecontent.xsd"
PAGE_XSD = Path(__file__).parent / "schemas" / "pagecontent-2019-07-15.xsd"
CREATOR = "sohoa"


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{PAGE_NS}}}{tag}", attrs)


def _points(pts: list[tuple[int, int]], width: int, height: int) -> str:
    """'x,y x,y …' clamped into the image (the schema forbids negative coordinates)."""
    clamp = [(min(max(int(x), 0), width), min(max(int(y), 0), height)) for x, y in pts]
    return " ".join(f"{x},{y}" for x, y in clamp)


def _box_points(box: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _conf(value: float) -> str:
    return f"{min(max(float(value), 0.0), 1.0):.4f}"


def _xml_text(text: str) -> str:
    """Drop the control characters XML 1.0 cannot carry (OCR engines emit some)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def _text_equiv(parent: etree._Element, text: str, conf: float | None, index: int | None) -> None:
    attrs = {}
    if index is not None:
        attrs["index"] = str(index)
    if conf is not None:
        attrs["conf"] = _conf(conf)
    equiv = _el(parent, "TextEquiv", **attrs)
    _el(equiv, "Unicode").text = _xml_text(text)


def page_xml(
    page_no: int,
    image_filename: str,
    width: int,
    height: int,
    lines: list[OcrLine],
    *,
    created: dt.datetime | None = None,
) -> bytes:
    """PAGE XML of one page: one TextRegion holding every line in reading order.

    Each TextLine has Coords (its polygon, else its box), a TextEquiv with the engine's
    confidence as `conf`, and a second TextEquiv (index 1) with the other engine's reading when
    the engines disagreed. The region's Coords is the union of the line boxes and its TextEquiv
    the lines joined by newlines. `created` defaults to now (UTC).
    """
    if width <= 0 or height <= 0:
        raise BadInput(f"page {page_no}: image size {width}x{height} is not positive")
    stamp = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    root = etree.Element(
        f"{{{PAGE_NS}}}PcGts",
        {f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION, "pcGtsId": f"page_{page_no:04d}"},
        nsmap={None: PAGE_NS, "xsi": XSI_NS},
    )
    meta = _el(root, "Metadata")
    _el(meta, "Creator").text = CREATOR
    _el(meta, "Created").text = stamp
    _el(meta, "LastChange").text = stamp
    page = _el(
        root, "Page", imageFilename=image_filename, imageWidth=str(width), imageHeight=str(height)
    )
    if lines:
        region_id = f"p{page_no}_r1"
        order = _el(page, "ReadingOrder")
        group = _el(order, "OrderedGroup", id=f"p{page_no}_ro")
        _el(group, "RegionRefIndexed", index="0", regionRef=region_id)
        region = _el(page, "TextRegion", id=region_id, type="paragraph")
        union = (
            min(ln.bbox[0] for ln in lines),
            min(ln.bbox[1] for ln in lines),
            max(ln.bbox[2] for ln in lines),
            max(ln.bbox[3] for ln in lines),
        )
        _el(region, "Coords", points=_points(_box_points(union), width, height))
        for i, line in enumerate(lines, start=1):
            attrs = {"id": f"p{page_no}_l{i}"}
            if line.engine:
                attrs["custom"] = f"engine {{name:{line.engine};}}"
            tl = _el(region, "TextLine", **attrs)
            pts = line.polygon if line.polygon and len(line.polygon) >= 3 else None
            _el(tl, "Coords", points=_points(pts or _box_points(line.bbox), width, height))
            if line.alt_text is not None:
                _text_equiv(tl, line.text, line.confidence, 0)
                _text_equiv(tl, line.alt_text, None, 1)
            else:
                _text_equiv(tl, line.text, line.confidence, None)
        _text_equiv(region, "\n".join(ln.text for ln in lines), None, None)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


@cache
def page_schema() -> etree.XMLSchema:
    """The PAGE 2019-07-15 schema shipped with this package (see schemas/README.md)."""
    return etree.XMLSchema(etree.parse(str(PAGE_XSD)))


def validate_page_xml(xml: bytes) -> list[str]:
    """Schema errors of a PAGE XML document (empty list when it is valid)."""
    schema = page_schema()
    doc = etree.fromstring(xml)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
