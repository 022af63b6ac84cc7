"""Benchmark: field exact match of whole synthetic books through the real pipeline.

For each book: `sohoa synth` → `sohoa ingest --wait` (split, preprocess, OCR, layout,
normalise, rules) → `sohoa export --format json --include-drafts`, then every field value of
every truth record is scored by ocr_service/bench/fields.py: the truth is what the page
shows, compared by issue #13's rules (names in Title Case, any spelling of an ethnic group,
'5/2019' = '05/2019'), as the exported value ("value exact") and as the value or the field's
top suggestion offered to the clerk ("value or suggestion"; the candidates are read from the
stored drafts, which the export JSON does not carry). `--keep DIR` keeps each book with its
export; `--rescore DIR` scores kept books again without reading them.

    python bench/bench_fields.py [--records 20] [--styles typed hand] [--registers khai-sinh]
                                 [--engine vi] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ocr_service.bench.fields import pair_by_page, score_records, with_candidates


def run(cmd: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {proc.stderr.strip()}")
    return proc.stdout


def export_with_candidates(cli: list[str], ledger_id: str, env: dict[str, str]) -> dict[str, Any]:
    """The book's JSON export (with drafts), each field with the candidates stored for it."""
    exported = json.loads(
        run([*cli, "export", ledger_id, "--format", "json", "--include-drafts"], env)
    )
    stored = json.loads(run([sys.executable, "-m", "ocr_service.bench.fields", ledger_id], env))
    return with_candidates(exported, stored)


def compare(truth: dict[str, Any], export: dict[str, Any]) -> dict[str, Any]:
    """Issue #13's honest scoring (ocr_service/bench/fields.py): truth = what the page shows;
    value exact and value-or-suggestion exact."""
    pairs = pair_by_page(truth, export)
    return score_records(truth["register"], pairs, len(export["records"]))


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
    keep: Path | None = None,
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
        exported = export_with_candidates(cli, ledger["id"], env)
        if keep is not None:
            name = f"{truth.get('group', 'tuning')}-{register}-{style}-{seed}"
            kept = keep / name
            shutil.copytree(book, kept, dirs_exist_ok=True)
            (kept / "export.json").write_text(
                json.dumps(exported, ensure_ascii=False, indent=1), encoding="utf-8"
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
    ap.add_argument(
        "--keep", type=Path, help="keep each book, its truth and its export under this folder"
    )
    ap.add_argument("--rescore", type=Path, help="score the books kept in this folder again")
    args = ap.parse_args()
    books = (
        rescore(args.rescore)
        if args.rescore
        else [
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
                args.keep,
            )
            for group in args.groups
            for reg in args.registers
            for style in args.styles
        ]
    )
    doc = {
        "engine": args.engine,
        "by_group": [dict(zip(BY_GROUP_KEYS, row, strict=True)) for row in by_group(books)],
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
            f"records, value exact {b['exact_match']:.1%} ({b['exact']}/{b['fields']}), "
            f"value or suggestion {b['value_or_suggestion_match']:.1%} "
            f"({b['value_or_suggestion']}/{b['fields']}), "
            f"{b.get('ingest_seconds')} s for {b.get('pages')} pages"
        )
    for group, style, found, total_rec, exact, hinted, fields in by_group(books):
        print(
            f"{group:>8} {style:>5}: value exact {exact / max(fields, 1):.1%} ({exact}/{fields}), "
            f"value or suggestion {hinted / max(fields, 1):.1%} ({hinted}/{fields}), "
            f"records found {found}/{total_rec}"
        )


BY_GROUP_KEYS = ("group", "style", "found", "records", "exact", "value_or_suggestion", "fields")


def by_group(books: list[dict[str, Any]]) -> list[tuple[str, str, int, int, int, int, int]]:
    """(group, style, records found, records, value exact, value or suggestion, fields),
    pooled over books."""
    acc: dict[tuple[str, str], list[int]] = {}
    for b in books:
        cell = acc.setdefault((b["group"], b["style"]), [0, 0, 0, 0, 0])
        cell[0] += b["records_found"]
        cell[1] += b["records_truth"]
        cell[2] += b["exact"]
        cell[3] += b["value_or_suggestion"]
        cell[4] += b["fields"]
    return [(g, s, *v) for (g, s), v in sorted(acc.items())]  # type: ignore[misc]


def rescore(folder: Path) -> list[dict[str, Any]]:
    """Score again the books kept by `--keep` (truth.json + export.json in each sub-folder)."""
    books = []
    for kept in sorted(p for p in folder.iterdir() if (p / "export.json").is_file()):
        truth = json.loads((kept / "truth.json").read_text(encoding="utf-8"))
        exported = json.loads((kept / "export.json").read_text(encoding="utf-8"))
        result = compare(truth, exported)
        result.update(
            register=truth["register"],
            style=truth["style"],
            group=truth.get("group", "tuning"),
            printing=truth.get("printing", "2016"),
            value_font=(truth.get("fonts") or {}).get("value"),
            book=kept.name,
        )
        books.append(result)
    return books


if __name__ == "__main__":
    main()
