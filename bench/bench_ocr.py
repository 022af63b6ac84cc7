"""Benchmark OCR engines on labelled page sets and print JSON (or a table with --table)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Run from a checkout without installing: the repository root holds ocr_service/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocr_service.bench import format_report, run_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="+", type=Path, help="synth set or image+XML folders")
    parser.add_argument("--engine", action="append", help="engine name (repeatable; default vi)")
    parser.add_argument("--max-pages", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-side", type=int, default=3600, help="shrink bigger scans to this")
    parser.add_argument("--split-spread", action="store_true", help="read spread halves apart")
    parser.add_argument(
        "--raw",
        action="store_true",
        help="read the page images as they are (no dot-leader erasure)",
    )
    parser.add_argument("--table", action="store_true", help="human table instead of JSON")
    parser.add_argument("--per-page", action="store_true", help="keep per-page rows in JSON")
    args = parser.parse_args()
    result = run_bench(
        args.datasets,
        args.engine or ["vi"],
        args.max_pages,
        workers=args.workers,
        max_side=args.max_side,
        split_spread=args.split_spread,
        raw=args.raw,
    )
    if not args.per_page:
        for r in result["results"]:
            r.pop("per_page", None)
    print(format_report(result) if args.table else json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
