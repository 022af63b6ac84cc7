"""Benchmark: split a 200-page JPEG-scanned PDF into stored pages (the ledger split job).

Measures the real `split_ledger` job (PDF → page images in storage → page rows in the database),
with OCR off, in a fresh process so peak RSS is the split's own.

    python bench/bench_split.py [--pages 200] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def scan_page(i: int, rng: np.random.Generator) -> bytes:
    """An A4 page at 200 dpi that looks like a grey scan: text lines, rules, paper noise."""
    w, h = 1654, 2339
    im = Image.new("L", (w, h), 235)
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 34)
    for row in range(40):
        y = 150 + row * 52
        d.line([(120, y + 44), (w - 120, y + 44)], fill=150, width=2)
        d.text(
            (140, y),
            f"Trang {i} dòng {row}: Nguyễn Văn An, sinh ngày 05/3/1987",
            font=font,
            fill=30,
        )
    noise = rng.normal(0, 9, (h, w)).astype(np.int16)
    arr = np.clip(np.asarray(im, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=75)
    return buf.getvalue()


def make_book(path: Path, pages: int) -> None:
    rng = np.random.default_rng(7)
    templates = [scan_page(i, rng) for i in range(8)]  # distinct scans, reused across the book
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_image(page.rect, stream=templates[i % len(templates)])
    doc.save(path)


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from models.book import BookMeta
from ocr_service.ingest.service import ingest_path
from ocr_service.jobs.tasks import split_ledger
from ocr_service.storage import get_storage

pdf, data = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(data_dir=data, ocr_engine="none", environment="test")
upgrade_database(settings)
with session_scope(settings) as s:
    ledger = ingest_path(s, get_storage(settings), settings, pdf, meta=BookMeta("khai-sinh"),
                         user_id=None).ledger.id
class Collect:
    def __init__(self): self.jobs = []
    def submit(self, task, arg): self.jobs.append((task, arg))
c = Collect()
t = time.perf_counter()
n = split_ledger(ledger, settings, c)
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"pages": n, "seconds": dt, "pages_per_second": n / dt, "peak_rss_mb": rss,
                  "page_jobs_queued": len(c.jobs)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "book.pdf"
        make_book(pdf, args.pages)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(pdf), str(Path(tmp) / "data")],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["pdf_mb"] = round(pdf.stat().st_size / 1e6, 1)
    result["machine"] = f"{platform.machine()}, {__import__('os').cpu_count()} cores"
    result["bench_peak_rss_mb_parent"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['pages']} pages in {result['seconds']:.2f} s = "
            f"{result['pages_per_second']:.0f} pages/s, peak RSS {result['peak_rss_mb']:.0f} MB "
            f"(PDF {result['pdf_mb']} MB)"
        )


if __name__ == "__main__":
    main()
