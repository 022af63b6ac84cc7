"""Build the labelled synthetic sets the benchmarks read (`python bench/make_sets.py OUT_DIR`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_service.synth import generate_book

# name -> generate_book arguments. Seeds are fixed so every machine builds the same bytes.
# Every set is drawn from one group (catalog.py): tuning unless it says held-out in its name.
SETS: dict[str, dict[str, object]] = {
    "ks-block-typed": {"register": "khai-sinh", "records": 20, "style": "typed", "seed": 101},
    "ks-block-hand": {"register": "khai-sinh", "records": 20, "style": "hand", "seed": 102},
    "kt-block-hand": {"register": "khai-tu", "records": 10, "style": "hand", "seed": 103},
    "kh-block-hand": {"register": "ket-hon", "records": 10, "style": "hand", "seed": 104},
    "ks-table-hand": {
        "register": "khai-sinh", "records": 40, "style": "hand", "layout": "table", "seed": 105,
    },
    "kt-table-spread-hand": {
        "register": "khai-tu", "records": 32, "style": "hand", "layout": "table", "spreads": True,
        "seed": 106,
    },
    "ks-block-hand-heavy-errors": {
        "register": "khai-sinh", "records": 20, "style": "hand", "seed": 107, "degrade": "heavy",
        "plant_errors": True,
    },
    # Issue #13: the same wide books from each group (held-out fonts and printing never tuned on).
    "ks-block-hand-wide-tuning": {
        "register": "khai-sinh", "records": 6, "style": "hand", "seed": 131, "wide": True,
        "group": "tuning",
    },
    "ks-block-hand-wide-held-out": {
        "register": "khai-sinh", "records": 6, "style": "hand", "seed": 131, "wide": True,
        "group": "held-out",
    },
    "kt-block-typed-wide-tuning": {
        "register": "khai-tu", "records": 6, "style": "typed", "seed": 132, "wide": True,
        "group": "tuning",
    },
    "kt-block-typed-wide-held-out": {
        "register": "khai-tu", "records": 6, "style": "typed", "seed": 132, "wide": True,
        "group": "held-out",
    },
    "ks-block-spread-phone-tuning": {
        "register": "khai-sinh", "records": 4, "style": "hand", "seed": 133, "wide": True,
        "spreads": True, "degrade": "phone", "group": "tuning",
    },
    "ks-block-spread-phone-held-out": {
        "register": "khai-sinh", "records": 4, "style": "hand", "seed": 133, "wide": True,
        "spreads": True, "degrade": "phone", "group": "held-out",
    },
}  # fmt: skip


def build_sets(out: Path, names: list[str] | None = None) -> dict[str, dict[str, object]]:
    """Generate each set into OUT/<name>/; return per-set page count and seconds per page."""
    report: dict[str, dict[str, object]] = {}
    for name, spec in SETS.items():
        if names and name not in names:
            continue
        args = dict(spec)
        register = str(args.pop("register"))
        records = int(str(args.pop("records")))
        start = time.perf_counter()
        cpu = time.process_time()
        path = generate_book(register, records, out / name, **args)  # type: ignore[arg-type]
        pages = len(json.loads((path / "truth.json").read_text(encoding="utf-8"))["pages"])
        report[name] = {
            "pages": pages,
            "records": records,
            "wall_s_per_page": round((time.perf_counter() - start) / pages, 3),
            "cpu_s_per_page": round((time.process_time() - cpu) / pages, 3),
        }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write the sets into")
    parser.add_argument("--only", nargs="*", choices=sorted(SETS), help="build only these sets")
    args = parser.parse_args()
    report = build_sets(args.out, args.only)
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
