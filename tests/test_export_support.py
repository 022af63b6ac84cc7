"""Shared builders for the export tests: sample records of every register type and scan-like pages.

Imported by the other tests/test_export_*.py files; its own tests check that the samples obey the
value rules of registers.json, so the other tests start from valid books.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from models.book import BookMeta
from ocr_service.export import ExportField, ExportLedger, ExportRecord
from ocr_service.export.spec import DATE_RE, code_list_values, excel_columns, register_spec

RESOURCES = Path(__file__).parent / "resources" / "export"
REGISTERS = ["khai-sinh", "khai-tu", "ket-hon", "nhan-cha-me-con", "xac-nhan-hon-nhan"]
PARTIAL = ["05.03.1987", "03.1987", "1987"]


def enum_values(register: str, code: str) -> dict[str, str]:
    fs = register_spec(register)["fields"][code]
    return code_list_values(fs["code_list"]) if fs.get("code_list") else fs["enum"]


def sample_pair(register: str, code: str, n: int) -> tuple[str, str] | None:
    """(value as the JSON carries it, text the Ministry Excel must hold) for record n."""
    fs = register_spec(register)["fields"][code]
    kind = fs["type"]
    if code == "STT":
        return None
    if code == "so":
        return f"{n:02d}/2019", f"{n:02d}/2019"
    if code == "quyenSo":
        return "01/2019", "01/2019"
    if code == "ngayDangKy":
        v = f"{(n % 28) + 1:02d}.{(n % 12) + 1:02d}.2019"
        return v, v
    if kind == "enum":
        values = enum_values(register, code)
        key = sorted(values)[n % len(values)]
        return values[key], key  # the label goes in, the code comes out
    if kind in ("date", "partial-date"):
        v = PARTIAL[n % 3] if kind == "partial-date" else "10.10.1981"
        return v, v
    if kind == "date-words":
        return (
            "ngày hai mươi bảy tháng tám năm hai nghìn không trăm linh tám",
            "Ngày Hai Mươi Bảy Tháng Tám Năm Hai Nghìn Không Trăm Linh Tám",
        )
    if kind == "time":
        return "06:38", "06:38"
    if kind == "list":
        v = "Kinh" if fs.get("list") == "ethnic_groups" else "Việt Nam"
        return v, v
    if kind == "id-number":
        return "012345678", "012345678"  # leading zero must survive
    if kind == "number":
        return str(n + 1), str(n + 1)
    if kind == "name":
        return "Nguyễn Thị Thu Hương", "Nguyễn Thị Thu Hương"
    if kind == "code":
        return "01", "01"
    return "Xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng", "Xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng"


def sample_record(register: str, n: int, *, pages: list[int] | None = None) -> ExportRecord:
    """Record n of a book: every field of the type filled (bbox-less)."""
    fields = {}
    for code in register_spec(register)["fields"]:
        pair = sample_pair(register, code, n)
        if pair is not None:
            fields[code] = ExportField(pair[0], pair[0], 0.9, None)
    page_list = pages or [n]
    return ExportRecord(f"rec-{register}-{n}", page_list[0], "confirmed", 1, fields, [], page_list)


def expected_row(register: str, n: int, row_number: int, columns: list[str]) -> dict[str, str]:
    """What read_ministry_xlsx must return for sample record n at a given row."""
    out = {}
    for code in columns:
        if code == "STT":
            out[code] = str(row_number)
        else:
            pair = sample_pair(register, code, n)
            out[code] = pair[1] if pair else ""
    return out


def sample_ledger(register: str, pages: int = 10) -> ExportLedger:
    return ExportLedger(
        id=f"ledger-{register}",
        meta=BookMeta(
            register,
            commune="Xã Lộc Thuận",
            book="01/2019",
            year=2019,
            authority="UBND xã Lộc Thuận, huyện Bình Đại, tỉnh Bến Tre",
        ),
        pages=pages,
        ward_code="xa_loc_thuan",
        district="Huyện Bình Đại",
        province="Tỉnh Bến Tre",
    )


def sample_records(register: str, count: int) -> Iterator[ExportRecord]:
    for n in range(1, count + 1):
        yield sample_record(register, n)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


def scan_page(seed: int, *, colour: bool = False, dpi: int = 200) -> bytes:
    """A scan-like A4 page: printed form lines, 'handwritten' text, paper grain and blur (JPEG)."""
    rng = random.Random(seed)
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    paper = (236, 228, 205) if colour else (235, 235, 235)
    img = Image.new("RGB", (w, h), paper)
    draw = ImageDraw.Draw(img)
    small, big = _font(dpi // 8), _font(dpi // 6)
    draw.text((w // 4, dpi // 2), "SỔ ĐĂNG KÝ KHAI SINH", fill=(20, 20, 20), font=big)
    ink = (25, 40, 120) if colour else (40, 40, 40)
    y = dpi
    while y < h - dpi:
        draw.text((dpi // 2, y), "Họ, chữ đệm, tên:", fill=(30, 30, 30), font=small)
        draw.line([(dpi * 2, y + dpi // 6), (w - dpi // 2, y + dpi // 6)], fill=(90, 90, 90))
        words = " ".join(
            rng.choice(["Nguyễn", "Thị", "Lan", "Hương", "Văn", "Bình"]) for _ in range(4)
        )
        draw.text((dpi * 2 + rng.randint(0, dpi), y - 4), words, fill=ink, font=big)
        y += dpi // 3 + rng.randint(0, dpi // 10)
    noise = Image.effect_noise((w, h), 18).convert("L")
    grain = Image.merge("RGB", [noise] * 3)
    img = Image.blend(img, grain, 0.12).filter(ImageFilter.GaussianBlur(0.6))
    if not colour:
        img = img.convert("L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, dpi=(dpi, dpi))
    return buf.getvalue()


def test_sample_values_follow_the_register_rules() -> None:
    for register in REGISTERS:
        for n in (1, 2, 3):
            for code, cell in expected_row(register, n, n, excel_columns(register)).items():
                kind = register_spec(register)["fields"][code]["type"]
                if kind in ("date", "partial-date") and cell:
                    assert DATE_RE.match(cell), (register, code, cell)
                if kind == "enum":
                    assert cell in enum_values(register, code), (register, code, cell)
                if code == "so":
                    assert re.fullmatch(r"\d{2,}/\d{4}", cell)


def test_scan_page_is_a4_at_200_dpi_and_heavy_like_a_real_scan() -> None:
    data = scan_page(1)
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (1654, 2338)
        assert img.mode == "L"
    assert len(data) > 400_000  # noisy enough that re-encoding has work to do
