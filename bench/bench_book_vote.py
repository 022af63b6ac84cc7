"""Benchmark: the book's data voted from its pages (issue #14), against the generator's truth.

Each synthetic book is read page by page through the real page pipeline (preprocess, OCR,
layout), as a book ingested with only its register: no quyển số, year or authority given.
Each page's facts are read (`extract.book_vote.read_page_facts`) and voted; the vote is
compared with the truth's quyển số, year and authority. The real scans (tests/resources/
real-scans, French registers with no Vietnamese header) are read from their published
transcriptions: nothing should be proposed there.

    python bench/bench_book_vote.py [--engine vi] [--out FILE]

The sets are fixed below: TUNING was looked at while writing the rules, HELD_OUT was chosen
before any of it was read and never used to change them.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import cv2

from models.book import BookMeta
from ocr_service.config import Settings
from ocr_service.extract.book_vote import FACTS, PageFacts, read_page_facts, vote_book
from ocr_service.pipeline.page import PageInput
from ocr_service.pipeline.stages import extract_page_records, preprocess_image, read_text
from ocr_service.synth import generate_book

ROOT = Path(__file__).resolve().parents[1]
TABLE_LAYOUT = ROOT / "tests" / "resources" / "extract" / "ledger_khai_sinh.toml"
REAL_SCANS = ROOT / "tests" / "resources" / "real-scans"
# (register, layout, style, degrade, seed, records)
TUNING = [("khai-sinh", "block", "typed", "light", 7, 4)]
HELD_OUT = [
    ("khai-tu", "block", "hand", "light", 31, 6),
    ("ket-hon", "block", "typed", "heavy", 32, 6),
    ("khai-sinh", "block", "hand", "heavy", 33, 6),
    ("khai-sinh", "table", "typed", "light", 34, 12),
    ("khai-sinh", "table", "hand", "light", 35, 12),
]


def book_pages(book: Path, register: str, layout: str, settings: Settings) -> list[PageFacts]:
    truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))
    layout_file = (
        tomllib.loads(TABLE_LAYOUT.read_text(encoding="utf-8")) if layout == "table" else None
    )
    meta = BookMeta(register, layout=layout, layout_file=layout_file)
    out = []
    for p in truth["pages"]:
        image = cv2.imread(str(book / p["file"]), cv2.IMREAD_COLOR)
        processed, info = preprocess_image(image)
        ocr = read_text(processed, settings)
        inp = PageInput(0, "bench", p["page"], p["file"], meta)
        records = extract_page_records(inp, ocr, processed, info)
        fields: dict[str, str] = {}
        for rec in records:
            for code, f in rec.fields.items():
                if f.source == "ocr" and (f.value or f.raw).strip():
                    fields.setdefault(code, (f.value or f.raw).strip())
        out.append(read_page_facts(p["page"], [ln.text for ln in ocr.lines], fields))
    return out


def score_book(spec: tuple[Any, ...], settings: Settings, tmp: Path) -> dict[str, Any]:
    register, layout, style, degrade, seed, n = spec
    book = generate_book(
        register, n, tmp / f"{register}-{layout}-{style}-{seed}", style=style, layout=layout,
        degrade=degrade, seed=seed,
    )  # fmt: skip
    truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))["ledger"]
    started = time.perf_counter()
    pages = book_pages(book, register, layout, settings)
    votes = vote_book(pages)
    expected = {"book": truth["book"], "year": str(truth["year"]), "authority": truth["noiDangKy"]}
    row: dict[str, Any] = {
        "book": f"{register} {layout} {style} {degrade} seed {seed}",
        "pages": len(pages),
        "seconds": round(time.perf_counter() - started, 1),
    }
    for fact, want in expected.items():
        v = votes[fact]
        per_page = sum(p.values.get(fact) == want for p in pages)
        row[fact] = {
            "status": v.status,
            "right": v.value == want,
            "voted": v.value,
            "pages_right": per_page,
            "pages_read": v.cast,
            "outliers": [o.to_json() for o in v.outliers],
        }
    row["register"] = votes["register"].value
    return row


def real_scan_pages() -> list[PageFacts]:
    out = []
    for i, xml in enumerate(sorted(REAL_SCANS.glob("*.xml")), start=1):
        texts = [
            el.text or ""
            for el in ET.parse(xml).iter()
            if el.tag.endswith("Unicode") or el.tag.endswith("String")
        ]
        texts += [
            el.attrib.get("CONTENT", "") for el in ET.parse(xml).iter() if el.tag.endswith("String")
        ]
        out.append(read_page_facts(i, texts, {}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="vi")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    settings = Settings(environment="test", ocr_engine=args.engine)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for group, specs in (("tuning", TUNING), ("held-out", HELD_OUT)):
            for spec in specs:
                row = score_book(spec, settings, Path(tmp)) | {"group": group}
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    real = vote_book(real_scan_pages())
    report = {
        "machine": f"{platform.node()} ({platform.processor() or platform.machine()})",
        "engine": args.engine,
        "books": rows,
        "real_scans": {fact: real[fact].to_json() for fact in FACTS},
    }
    print(json.dumps(report["real_scans"], ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
