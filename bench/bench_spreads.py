"""Benchmark: a block-form book photographed as spreads (two facing pages per landscape image).

`sohoa synth` draws a block book; its pages are put side by side in pairs (page 1 | page 2,
page 3 | page 4 …) into one PDF, which goes through `sohoa ingest --wait` and `sohoa export
--format json --include-drafts` like any book. Each truth record (book page p) is looked for
at image (p + 1) // 2, side left for odd p, right for even p, and compared field by field
by issue #13's honest scoring, as bench_fields.py does (value exact, value or suggestion).

    python bench/bench_spreads.py [--records 10] [--styles typed hand] [--seed 11] [--out F]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fields import export_with_candidates, run

from ocr_service.bench.fields import score_records


def spread_pdf(book: Path, out: Path) -> int:
    """The book's pages paired side by side into `out`; returns the number of images."""
    from ocr_service.synth.book import write_pdf

    truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))
    pages = [cv2.imread(str(book / p["file"])) for p in truth["pages"]]
    jpegs: list[tuple[bytes, int, int]] = []
    for i in range(0, len(pages), 2):
        pair = pages[i : i + 2]
        if len(pair) == 1:
            pair.append(np.full_like(pair[0], 250))  # the book's last, unwritten page
        image = np.hstack(pair)
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        jpegs.append((bytes(buf), image.shape[1], image.shape[0]))
    write_pdf(out, jpegs, 200)
    return len(jpegs)


def compare(truth: dict[str, Any], export: dict[str, Any]) -> dict[str, Any]:
    """Issue #13's honest scoring (ocr_service/bench/fields.py), each truth record looked for at
    its image and side."""
    by_place = {(r["page"], r.get("side")): r for r in export["records"]}
    pairs = [
        (t, by_place.get(((t["page"] + 1) // 2, "left" if t["page"] % 2 else "right")))
        for t in truth["records"]
    ]
    return score_records(truth["register"], pairs, len(export["records"]))


def bench_book(register: str, style: str, records: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SOHOA_DATA_DIR": str(Path(tmp) / "data"), "SOHOA_OCR_ENGINE": "vi"}
        env.pop("SOHOA_REDIS_URL", None)
        env.pop("SOHOA_DATABASE_URL", None)
        cli = [sys.executable, "-m", "ocr_service.cli"]
        book = Path(tmp) / "book"
        run(
            [*cli, "synth", "--register", register, "--records", str(records), "--out",
             str(book), "--style", style, "--seed", str(seed), "--degrade", "light"],
            env,
        )  # fmt: skip
        truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))
        meta = truth["ledger"]
        pdf = Path(tmp) / "spreads.pdf"
        images = spread_pdf(book, pdf)
        t = time.perf_counter()
        out = run(
            [*cli, "ingest", str(pdf), "--register", register, "--commune", "Xã Mẫu",
             "--authority", str(meta.get("noiDangKy") or ""), "--book",
             str(meta.get("book") or ""), "--year", str(meta.get("year") or ""), "--wait",
             "--json"],
            env,
        )  # fmt: skip
        seconds = time.perf_counter() - t
        (ledger,) = json.loads(out)["ledgers"]
        exported = export_with_candidates(cli, ledger["id"], env)
        result = compare(truth, exported)
        result.update(
            register=register, style=style, images=images, ingest_seconds=round(seconds, 1)
        )
        return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10)
    ap.add_argument("--styles", nargs="+", default=["typed", "hand"])
    ap.add_argument("--registers", nargs="+", default=["khai-sinh"])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    books = [
        bench_book(reg, style, args.records, args.seed)
        for reg in args.registers
        for style in args.styles
    ]
    if args.out:
        args.out.write_text(json.dumps(books, ensure_ascii=False, indent=1), encoding="utf-8")
    for b in books:
        print(
            f"{b['register']:>10} {b['style']:>5} spreads: {b['records_found']}/"
            f"{b['records_truth']} records, value exact {b['exact_match']:.1%} "
            f"({b['exact']}/{b['fields']}), value or suggestion "
            f"{b['value_or_suggestion_match']:.1%} ({b['value_or_suggestion']}/{b['fields']}), "
            f"{b['ingest_seconds']} s for {b['images']} images"
        )


if __name__ == "__main__":
    main()
