"""Table ledgers: rows from boxes or ruled lines, columns from a layout file, spreads joined."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest
from lxml import etree

from models.book import BookMeta
from ocr_service.errors import BadInput
from ocr_service.extract.containers import RecordDraft
from ocr_service.extract.layouts.layout_file import parse_layout
from ocr_service.extract.layouts.table_ledger import detect_rules, read_table_ledger
from ocr_service.extract.records import extract_records
from ocr_service.ocr.containers import OcrLine, OcrPage

RESOURCES = Path(__file__).parent / "resources" / "extract"
GUTTER = 3602  # README of the real scans: any x in 3488–3717 is clear of text


def page_xml_lines(path: Path) -> tuple[int, int, list[OcrLine]]:
    """Every TextLine of a PAGE XML file as a perfect OCR line (box of its polygon)."""
    root = etree.parse(str(path)).getroot()
    ns = {"p": root.nsmap[None]}
    page = root.find(".//p:Page", ns)
    assert page is not None
    lines = []
    for tl in root.iterfind(".//p:TextLine", ns):
        coords = tl.find("p:Coords", ns)
        text = tl.find(".//p:Unicode", ns)
        assert coords is not None and text is not None
        pts = [tuple(int(v) for v in p.split(",")) for p in coords.get("points", "").split()]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        lines.append(OcrLine(text.text or "", 0.9, (min(xs), min(ys), max(xs), max(ys))))
    return int(page.get("imageWidth", 0)), int(page.get("imageHeight", 0)), lines


def french_layout(spread: str, gutter_x: float = 0.5) -> dict[str, object]:
    """The divorce register's columns, mapped onto marriage-register codes for the test."""
    return {
        "register": "ket-hon",
        "spread": spread,
        "gutter_x": gutter_x,
        "columns": [
            {"field": "so", "side": "left", "header": "NUMÉROS D'ORDRE"},
            {"field": "ngayDangKy", "side": "left", "header": "DATES de la remise"},
            {"field": "noiDangKy", "side": "left", "header": "SIÈGE DU TRIBUNAL"},
            {"field": "ngayXacLapQuanHeHonNhan", "side": "left", "header": "JUGEMENTS OU ARRÊTS"},
            {"field": "nguoiThucHien", "side": "left", "header": "NOM de L'AVOUÉ OCCUPANT"},
            {"field": "ghiChu", "side": "right", "x": [0.0, 0.68]},
        ],
    }


def check_french_rows(records: list[RecordDraft]) -> None:
    # 15 entries, Nos 66241–66255 in order (one written '66 252'), each joined to its parties.
    assert len(records) == 15
    numbers = [int(re.sub(r"\s", "", r.fields["so"].raw)) for r in records]
    assert numbers == list(range(66241, 66256))
    # The XML spells some accents decomposed: compare in NFC.
    notes = [unicodedata.normalize("NFC", r.fields["ghiChu"].raw) for r in records]
    assert notes[0].startswith("Honora Ernestine Landais")
    assert notes[5].startswith("Pauline Albertine Potelin") and "Bièvres" in notes[5]
    assert notes[6].startswith("Pierre Gilbert menuisier")
    assert notes[14].startswith("Marie Deschamps") and "Raoul, 34" in notes[14]
    assert all(n.endswith(("(Divorce)", "(Corps)")) for n in notes)
    assert records[0].fields["nguoiThucHien"].raw == "Popelin"
    assert records[5].fields["ngayDangKy"].raw == "27 dud."
    # The court's town is written once, then ditto marks: every row reads "Paris", flagged.
    towns = [r.fields["noiDangKy"] for r in records]
    assert towns[0].raw == "Paris" and "ditto" not in towns[0].issues
    assert all(f.raw == "Paris" and "ditto" in f.issues for f in towns[1:])
    # Margin marks ('A.J.') and the folio number belong to no column.
    assert not any("A.J." in f.raw for r in records for f in r.fields.values())


def test_real_spread_in_one_image() -> None:
    width, height, lines = page_xml_lines(RESOURCES / "FRAN_0187_50115_L.xml")
    layout = parse_layout(french_layout("image", GUTTER / width))
    records = read_table_ledger(layout, [(1, OcrPage(width, height, lines, "page-xml"))])
    check_french_rows(records)
    assert all(r.pages == [1] for r in records)


def test_real_spread_as_two_page_images() -> None:
    width, height, lines = page_xml_lines(RESOURCES / "FRAN_0187_50115_L.xml")
    left = [ln for ln in lines if (ln.bbox[0] + ln.bbox[2]) / 2 < GUTTER]
    right = [
        OcrLine(
            ln.text,
            ln.confidence,
            (ln.bbox[0] - GUTTER, ln.bbox[1], ln.bbox[2] - GUTTER, ln.bbox[3]),
        )
        for ln in lines
        if (ln.bbox[0] + ln.bbox[2]) / 2 >= GUTTER
    ]
    layout = parse_layout(french_layout("pages"))
    pages = [
        (7, OcrPage(GUTTER, height, left, "page-xml")),
        (8, OcrPage(width - GUTTER, height, right, "page-xml")),
    ]
    records = read_table_ledger(layout, pages)
    check_french_rows(records)
    assert all(r.page == 7 and r.pages == [7, 8] for r in records)
    assert records[0].fields["ghiChu"].page == 8
    assert records[0].fields["so"].page == 7


def ruled_ledger() -> tuple[OcrPage, np.ndarray]:
    """A single-page ledger drawn with its rules, entries top-aligned and wrapping."""
    width, height = 1400, 1000
    image = np.full((height, width), 245, np.uint8)
    row_ys = [100, 160, 300, 440, 580]
    for y in row_ys:
        cv2.line(image, (40, y), (1360, y), 40, 2)
    for x in (40, 160, 420, 760, 1360):
        cv2.line(image, (x, 100), (x, 580), 40, 2)
    lines = [
        OcrLine("Số", 0.95, (80, 115, 120, 145)),
        OcrLine("Ngày đăng ký", 0.95, (200, 115, 380, 145)),
        OcrLine("Họ và tên", 0.95, (520, 115, 660, 145)),
        OcrLine("Ghi chú", 0.95, (1000, 115, 1110, 145)),
    ]
    entries = [
        ("1", "03/01/2009", "Nguyễn Văn An", "Cấp lại bản sao"),
        ("2", "05/01/2009", "Trần Thị Bích", ""),
        ("3", "09/01/2009", "Lê Hoàng", "Đã ghi chú"),
    ]
    for a, (so, ngay, ten, note) in zip(row_ys[1:], entries, strict=False):
        lines.append(OcrLine(so, 0.9, (80, a + 15, 110, a + 45)))
        lines.append(OcrLine(ngay, 0.9, (180, a + 15, 380, a + 45)))
        lines.append(OcrLine(ten, 0.9, (440, a + 15, 740, a + 45)))
        if note:
            lines.append(OcrLine(note, 0.8, (780, a + 15, 1200, a + 45)))
    # The third name wraps onto a second line inside its ruled row.
    lines.append(OcrLine("Minh Châu", 0.9, (440, row_ys[3] + 70, 640, row_ys[3] + 100)))
    return OcrPage(width, height, lines, "test"), image


LEDGER_LAYOUT = {
    "register": "khai-sinh",
    "columns": [
        {"field": "so", "header": "Số"},
        {"field": "ngayDangKy", "header": "Ngày đăng ký"},
        {"field": "nksHoTen", "header": "Họ và tên"},
        {"field": "ghiChu", "header": "Ghi chú"},
    ],
}


def test_detect_rules_finds_the_drawn_rows() -> None:
    _, image = ruled_ledger()
    ys = detect_rules(image)
    assert len(ys) == 5
    assert all(abs(a - b) <= 2 for a, b in zip(ys, [100, 160, 300, 440, 580], strict=True))


@pytest.mark.parametrize("with_image", [False, True])
def test_rows_from_boxes_or_rules(with_image: bool) -> None:
    page, image = ruled_ledger()
    images = {4: image} if with_image else None
    records = read_table_ledger(parse_layout(LEDGER_LAYOUT), [(4, page)], images)
    assert [r.fields["so"].raw for r in records] == ["1", "2", "3"]
    assert [r.row for r in records] == [1, 2, 3]
    assert records[2].fields["nksHoTen"].raw == "Lê Hoàng Minh Châu"
    assert records[0].fields["ghiChu"].raw == "Cấp lại bản sao"
    assert "ghiChu" not in records[1].fields


def test_extract_records_on_a_ledger() -> None:
    page, _ = ruled_ledger()
    meta = BookMeta(
        "khai-sinh",
        commune="Xã Trực Khang",
        book="01/2009",
        year=2009,
        authority="UBND xã Trực Khang",
    )
    records = extract_records(
        "khai-sinh", "table_ledger", [(4, page)], meta, layout_file=LEDGER_LAYOUT
    )
    # Bare numbers get the year of their registration date, flagged as derived.
    assert [r.value("so") for r in records] == ["01/2009", "02/2009", "03/2009"]
    assert "so-year-derived" in records[0].fields["so"].issues
    assert [r.value("ngayDangKy") for r in records] == ["03.01.2009", "05.01.2009", "09.01.2009"]
    assert all(r.value("quyenSo") == "01/2009" for r in records)
    assert records[0].fields["quyenSo"].source == "book"


def test_layout_file_for_another_register_is_refused() -> None:
    page, _ = ruled_ledger()
    meta = BookMeta("khai-tu", book="01/2009", year=2009)
    with pytest.raises(BadInput, match="the file is for 'khai-sinh'"):
        extract_records("khai-tu", "table_ledger", [(1, page)], meta, layout_file=LEDGER_LAYOUT)
    with pytest.raises(BadInput, match="needs a layout file"):
        extract_records("khai-tu", "table_ledger", [(1, page)], meta)
