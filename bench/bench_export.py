"""Benchmark the exporters: Excel/JSON/CSV speed on N records, PDF bytes per page, zip speed."""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

# Run from a checkout without installing: the repository root holds ocr_service/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from models.book import BookMeta
from ocr_service.export import (
    ExportField,
    ExportLedger,
    ExportRecord,
    record_pdf,
    write_book_zip,
    write_export_csv,
    write_export_json,
    write_ministry_xlsx,
)
from ocr_service.export.spec import code_list_values, register_spec

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "resources" / "export"
# The published scans where this workplace keeps them, beside the checkout; any other folder
# (tests/resources/real-scans holds smaller copies) is given with --scans.
SHARED_SCANS = ROOT.parent / "shared" / "data" / "real-scans"
BOOK = BookMeta(
    "khai-sinh", commune="Xã An Nhơn", book="01/2019", year=2019, authority="UBND xã An Nhơn"
)


def _value(register: str, code: str, n: int) -> str | None:
    fs = register_spec(register)["fields"][code]
    kind = fs["type"]
    if code == "STT":
        return None
    if code == "so":
        return f"{n:02d}/2019"
    if code == "ngayDangKy" or kind in ("date", "partial-date"):
        return f"{n % 28 + 1:02d}.{n % 12 + 1:02d}.2019"
    if kind == "enum":
        values = code_list_values(fs["code_list"]) if fs.get("code_list") else fs["enum"] or {}
        return list(values.values())[n % len(values)]
    if kind == "id-number":
        return f"{n:012d}"
    return {"list": "Kinh", "name": "Nguyễn Thị Thu Hương", "number": str(n), "code": "01/2019",
            "time": "06:38"}.get(kind, "Xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng")  # fmt: skip


def records(register: str, count: int) -> Iterator[ExportRecord]:
    codes = list(register_spec(register)["fields"])
    for n in range(1, count + 1):
        fields = {c: ExportField(v, v, 0.9, [10, 10, 200, 50]) for c in codes
                  if (v := _value(register, c, n)) is not None}  # fmt: skip
        yield ExportRecord(f"r{n}", n, "confirmed", 1, fields, [], [n])


def scan_page(seed: int, colour: bool, dpi: int = 200) -> bytes:
    """Synthetic A4 scan: form lines, text, paper grain, slight blur."""
    rng = random.Random(seed)
    w, h = round(8.27 * dpi), round(11.69 * dpi)
    img = Image.new("RGB", (w, h), (236, 228, 205) if colour else (235, 235, 235))
    draw = ImageDraw.Draw(img)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", dpi // 6)
    except OSError:
        font = ImageFont.load_default(dpi // 6)
    for y in range(dpi, h - dpi, dpi // 3):
        draw.line([(dpi * 2, y + dpi // 6), (w - dpi // 2, y + dpi // 6)], fill=(90, 90, 90))
        words = " ".join(rng.choice(["Nguyễn", "Thị", "Lan", "Hương", "Văn"]) for _ in range(4))
        draw.text(
            (dpi * 2, y - 4), words, fill=(25, 40, 120) if colour else (40, 40, 40), font=font
        )
    grain = Image.merge("RGB", [Image.effect_noise((w, h), 18).convert("L")] * 3)
    img = Image.blend(img, grain, 0.12).filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    (img if colour else img.convert("L")).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def bench_tabular(count: int) -> dict[str, dict[str, float]]:
    ledger = ExportLedger("L", BOOK, count)
    out: dict[str, dict[str, float]] = {}
    writers = {"xlsx": write_ministry_xlsx, "json": write_export_json, "csv": write_export_csv}
    with tempfile.TemporaryDirectory() as tmp:
        for name, writer in writers.items():
            path = Path(tmp) / f"book.{name}"
            t0, c0 = time.perf_counter(), time.process_time()
            writer(ledger, records("khai-sinh", count), path)
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - c0
            tracemalloc.start()
            writer(ledger, records("khai-sinh", min(count, 2000)), path)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            out[name] = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                         "records_per_s": round(count / seconds),
                         "mb": round(path.stat().st_size / 1e6, 2),
                         "peak_mb_2000_records": round(peak / 1e6, 1)}  # fmt: skip
    return out


def bench_pdf(real_scans: Path) -> dict[str, dict[str, float]]:
    pages = {"synthetic A4 200 dpi grey": scan_page(1, False),
             "synthetic A4 200 dpi colour": scan_page(2, True)}  # fmt: skip
    for path in sorted(real_scans.glob("*.jp*g")) + sorted(real_scans.glob("*.png")):
        pages[f"real {path.name}"] = path.read_bytes()
    for path in sorted(FIXTURES.glob("*.jpg")):
        pages[f"fixture {path.name}"] = path.read_bytes()
    out = {}
    for name, data in pages.items():
        t0 = time.perf_counter()
        pdf = record_pdf([1], {1: data}.__getitem__)
        out[name] = {"input_kb": round(len(data) / 1000), "pdf_kb": round(len(pdf) / 1000, 1),
                     "seconds": round(time.perf_counter() - t0, 2)}  # fmt: skip
    return out


def bench_zip(count: int) -> dict[str, float]:
    ledger = ExportLedger("L", BOOK, count)
    page = scan_page(3, False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.zip"
        t0, c0 = time.perf_counter(), time.process_time()
        report = write_book_zip(ledger, records("khai-sinh", count), lambda n: page, path)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
        per_page = report.pdf_bytes / report.pdf_pages / 1000
        rate = round(count / seconds, 1)
        return {"records": count, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                "records_per_s": rate,
                "kb_per_pdf_page": round(per_page, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--zip-records", type=int, default=100)
    parser.add_argument(
        "--scans",
        type=Path,
        default=SHARED_SCANS,
        help=f"folder of real page scans put into record PDFs (default: {SHARED_SCANS})",
    )
    args = parser.parse_args()
    if not args.scans.is_dir():
        parser.error(
            f"no folder of real scans at {args.scans}: pass --scans FOLDER "
            "(e.g. tests/resources/real-scans, the smaller copies the tests use)"
        )
    result = {"tabular_khai_sinh_70_columns": bench_tabular(args.records),
              "pdf": bench_pdf(args.scans),
              "zip_200dpi_grey_pages": bench_zip(args.zip_records)}  # fmt: skip
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
