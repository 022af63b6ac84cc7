"""Benchmark: field exact match of whole synthetic books through the real pipeline.

For each book: `sohoa synth` → `sohoa ingest --wait` (split, preprocess, OCR, layout,
normalise, rules) → `sohoa export --format json --include-drafts`, then every field value of
every truth record is compared with the exported value (exact string match after NFC).

    python bench/bench_fields.py [--records 20] [--styles typed hand] [--registers khai-sinh]
                                 [--engine vi] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any


def run(cmd: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {proc.stderr.strip()}")
    return proc.stdout


def nfc(v: Any) -> str | None:
    if v is None:
        return None
    return unicodedata.normalize("NFC", str(v)).strip() or None


def compare(truth: dict[str, Any], export: dict[str, Any]) -> dict[str, Any]:
    # Records are matched in book order within each page (a table page holds many rows).
    by_page: dict[tuple[int, int | None], dict[str, Any]] = {}
    seen: dict[int, int] = defaultdict(int)
    for rec in export["records"]:
        by_page[(rec["page"], seen[rec["page"]])] = rec
        seen[rec["page"]] += 1
    truth_seen: dict[int, int] = defaultdict(int)
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    found = 0
    misses: list[dict[str, Any]] = []
    for t in truth["records"]:
        rec = by_page.get((t["page"], truth_seen[t["page"]]))
        truth_seen[t["page"]] += 1
        if rec is not None:
            found += 1
        for code, f in t["fields"].items():
            want = nfc(f.get("value"))
            if want is None:
                continue
            got = nfc(rec["fields"].get(code, {}).get("value")) if rec else None
            per_field[code][1] += 1
            if got == want:
                per_field[code][0] += 1
            elif len(misses) < 40:
                misses.append({"page": t["page"], "field": code, "want": want, "got": got})
    ok = sum(v[0] for v in per_field.values())
    total = sum(v[1] for v in per_field.values())
    return {
        "records_truth": len(truth["records"]),
        "records_found": found,
        "records_exported": len(export["records"]),
        "fields": total,
        "exact": ok,
        "exact_match": round(ok / total, 4) if total else 0.0,
        "per_field": {k: {"exact": v[0], "total": v[1]} for k, v in sorted(per_field.items())},
        "misses": misses,
    }


def bench_book(
    register: str,
    style: str,
    records: int,
    engine: str,
    seed: int,
    layout_file: Path | None = None,
    group: str = "tuning",
    wide: bool = False,
    degrade: str = "light",
    block_spreads: bool = False,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SOHOA_DATA_DIR": str(Path(tmp) / "data"), "SOHOA_OCR_ENGINE": engine}
        env.pop("SOHOA_REDIS_URL", None)
        env.pop("SOHOA_DATABASE_URL", None)
        cli = [sys.executable, "-m", "ocr_service.cli"]
        book = Path(tmp) / "book"
        run(
            [
                *cli,
                "synth",
                "--register",
                register,
                "--records",
                str(records),
                "--out",
                str(book),
                "--style",
                style,
                "--seed",
                str(seed),
                "--degrade",
                degrade,
                *(["--layout", "table", "--spreads"] if layout_file else []),
                *(["--spreads"] if block_spreads and not layout_file else []),
                "--group",
                group,
                *(["--wide"] if wide else []),
            ],
            env,
        )
        truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))
        meta = truth["ledger"]
        t = time.perf_counter()
        out = run(
            [
                *cli,
                "ingest",
                str(book / "book.pdf"),
                "--register",
                register,
                "--commune",
                "Xã Mẫu",
                "--authority",
                str(meta.get("noiDangKy") or ""),
                "--book",
                str(meta.get("book") or ""),
                "--year",
                str(meta.get("year") or ""),
                *(["--layout-file", str(layout_file)] if layout_file else []),
                "--wait",
                "--json",
            ],
            env,
        )
        seconds = time.perf_counter() - t
        (ledger,) = json.loads(out)["ledgers"]
        exported = json.loads(
            run([*cli, "export", ledger["id"], "--format", "json", "--include-drafts"], env)
        )
        result = compare(truth, exported)
        result.update(
            register=register,
            style=style,
            layout="table" if layout_file else "block",
            group=truth.get("group", "tuning"),
            printing=truth.get("printing", "2016"),
            value_font=(truth.get("fonts") or {}).get("value"),
            degrade=degrade,
            spreads=bool(block_spreads or layout_file),
            pages=ledger["pages"],
            status=ledger["status"],
            ingest_seconds=round(seconds, 1),
        )
        return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20)
    ap.add_argument("--styles", nargs="+", default=["typed", "hand"])
    ap.add_argument("--registers", nargs="+", default=["khai-sinh", "khai-tu", "ket-hon"])
    ap.add_argument("--engine", default="vi")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument(
        "--layout-file", type=Path, help="read table-ledger books (spreads) with this layout file"
    )
    ap.add_argument(
        "--groups",
        nargs="+",
        default=["tuning"],
        choices=["tuning", "held-out"],
        help="catalogue groups to draw books from (issue #13: report both)",
    )
    ap.add_argument("--wide", action="store_true", help="issue #13's wider books")
    ap.add_argument("--degrade", default="light", help="none, light, heavy or phone")
    ap.add_argument("--block-spreads", action="store_true", help="block pages as A3 spreads")
    args = ap.parse_args()
    books = [
        bench_book(
            reg,
            style,
            args.records,
            args.engine,
            args.seed,
            args.layout_file,
            group,
            args.wide,
            args.degrade,
            args.block_spreads,
        )
        for group in args.groups
        for reg in args.registers
        for style in args.styles
    ]
    doc = {
        "engine": args.engine,
        "by_group": [
            dict(zip(("group", "style", "found", "records", "exact", "fields"), row, strict=True))
            for row in by_group(books)
        ],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "books": books,
    }
    if args.out:
        args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    for b in books:
        print(
            f"{b['group']:>8} {b['register']:>10} {b['style']:>5} {b['value_font'] or '':>24}: "
            f"{b['records_found']}/{b['records_truth']} "
            f"records, exact match {b['exact_match']:.1%} ({b['exact']}/{b['fields']} fields), "
            f"{b['ingest_seconds']} s for {b['pages']} pages"
        )
    for group, style, found, total_rec, exact, fields in by_group(books):
        print(
            f"{group:>8} {style:>5}: field exact {exact / max(fields, 1):.1%} ({exact}/{fields}), "
            f"records found {found}/{total_rec}"
        )


def by_group(books: list[dict[str, Any]]) -> list[tuple[str, str, int, int, int, int]]:
    """(group, style, records found, records, exact fields, fields), pooled over books."""
    acc: dict[tuple[str, str], list[int]] = {}
    for b in books:
        cell = acc.setdefault((b["group"], b["style"]), [0, 0, 0, 0])
        cell[0] += b["records_found"]
        cell[1] += b["records_truth"]
        cell[2] += b["exact"]
        cell[3] += b["fields"]
    return [(g, s, *v) for (g, s), v in sorted(acc.items())]  # type: ignore[misc]


if __name__ == "__main__":
    main()
