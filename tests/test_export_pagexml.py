"""PAGE XML 2019-07-15 per page, validated against the published schema."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from ocr_service.export import page_xml, validate_page_xml
from ocr_service.export.pagexml import PAGE_NS, PAGE_XSD
from ocr_service.ocr.containers import OcrLine

NS = {"pc": PAGE_NS}
LINES = [
    OcrLine("Họ, chữ đệm, tên: Nguyễn Thị Thu Hương", 0.97, (120, 340, 1480, 400), engine="vi"),
    OcrLine(
        "Ngày, tháng, năm sinh: 05/3/1987",
        0.61,
        (118, 420, 1200, 478),
        polygon=[(118, 424), (1200, 420), (1201, 476), (119, 478)],
        engine="vi",
        flags=["engines-disagree"],
        alt_text="Ngày, tháng, năm sinh: 06/3/1987",
    ),
    OcrLine("Dân tộc: Kinh\x0c", 1.2, (-5, 500, 900, 560)),  # odd engine output, clamped
]


def test_page_xml_is_valid_page_2019() -> None:
    xml = page_xml(3, "page-0003.jpg", 1654, 2339, LINES, created=dt.datetime(2026, 1, 2, 3, 4))
    assert validate_page_xml(xml) == []
    root = etree.fromstring(xml)
    assert root.tag == f"{{{PAGE_NS}}}PcGts"
    page = root.find("pc:Page", NS)
    assert page is not None
    assert (page.get("imageFilename"), page.get("imageWidth"), page.get("imageHeight")) == (
        "page-0003.jpg", "1654", "2339",
    )  # fmt: skip
    lines = root.findall(".//pc:TextLine", NS)
    assert [ln.findtext("pc:TextEquiv/pc:Unicode", namespaces=NS) for ln in lines] == [
        "Họ, chữ đệm, tên: Nguyễn Thị Thu Hương",
        "Ngày, tháng, năm sinh: 05/3/1987",
        "Dân tộc: Kinh",
    ]
    assert [ln.find("pc:TextEquiv", NS).get("conf") for ln in lines] == [
        "0.9700",
        "0.6100",
        "1.0000",
    ]
    alt = lines[1].findall("pc:TextEquiv", NS)
    assert alt[1].get("index") == "1" and alt[1].findtext("pc:Unicode", namespaces=NS).endswith(
        "06/3/1987"
    )
    assert lines[1].find("pc:Coords", NS).get("points") == "118,424 1200,420 1201,476 119,478"
    assert lines[2].find("pc:Coords", NS).get("points").startswith("0,500 ")
    assert root.findtext("pc:Metadata/pc:Created", namespaces=NS) == "2026-01-02T03:04:00"


def test_empty_page_is_valid_too() -> None:
    assert validate_page_xml(page_xml(1, "blank.png", 2480, 3508, [])) == []


def test_schema_really_checks_structure() -> None:
    # A region without Coords is what eScriptorium exports for its dummy block; PAGE forbids it.
    xml = page_xml(2, "p.jpg", 1000, 1000, LINES[:1])
    root = etree.fromstring(xml)
    region = root.find(".//pc:TextRegion", NS)
    region.remove(region.find("pc:Coords", NS))
    errors = validate_page_xml(etree.tostring(root))
    assert errors and "TextLine" in errors[0]
    # the schema file is the PRImA one, not hand-written
    schema = etree.parse(str(PAGE_XSD)).getroot()
    assert schema.get("targetNamespace") == PAGE_NS
