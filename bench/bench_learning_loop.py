"""How often the learning loop (#17) activates a version, and how much better it rereads, over
books in many hands (docs/BENCHMARKS.md "The learning loop end to end"):

    python bench/bench_learning_loop.py --group held-out --hands 8 [--seed 0] [--json F]

Each book goes through the scenario of tests/test_learning_end_to_end.py (read, the first four
pages corrected and confirmed through the API, the training job, the guard, the re-read of the
untouched pages): one book per handwriting font of the group, in the catalogue's order
(synth/catalog.fonts_for), the first --hands of them. A hand the shipped model already reads
(the first pages needing at most MIN_CORRECTIONS corrections) is listed, not trained. Every run
checks that nothing the clerk typed changed, whatever the guard decided. The held-out group's
hands were never used to choose anything in the loop; the tuning group's were.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_service.ocr.rec_model import META_FILE
from ocr_service.synth.catalog import GROUPS, fonts_for
from tests.test_learning_end_to_end import (
    MIN_CORRECTIONS,
    check_clerks_work_kept,
    check_reread,
    run_loop,
)


def one(hand: str, group: str, seed: int, keep: Path | None) -> dict[str, Any]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sohoa-loop-") as tmp:
        run = run_loop(Path(tmp), hand_font=hand, group=group, seed=seed)
        training = {}
        if run.model_dir is not None:
            training = json.loads((run.model_dir / META_FILE).read_text("utf-8"))["training"]
            if keep is not None:
                shutil.copytree(run.model_dir, keep / Path(hand).stem, dirs_exist_ok=True)
    row: dict[str, Any] = {"hand": hand, "corrections": run.count, "state": run.state}
    row["exact_before"], row["fields"] = run.exact(run.before)
    if run.count <= MIN_CORRECTIONS:
        row["state"] = "read already"
        return row
    check_clerks_work_kept(run)
    if run.state == "active":
        check_reread(run)
    row["exact_after"] = run.exact(run.after)[0]
    metrics = run.metrics or {}
    row["heldout_cer"] = [metrics.get("heldout_cer_before"), metrics.get("heldout_cer_after")]
    row["regression"] = metrics.get("regression")
    row["reason"] = run.reason
    row["train_s"] = metrics.get("seconds")
    row["peak_rss_mb"] = metrics.get("peak_rss_mb")
    drift = training.get("drift") or {}
    row["drift"] = {"kept_step": drift.get("kept_step"), "history": drift.get("history")}
    row["wall_s"] = round(time.perf_counter() - started, 1)
    return row


def _edits(row: dict[str, Any], kind: str) -> str:
    reg = (row.get("regression") or {}).get(kind)
    if not reg:
        return "-"
    return f"{reg['current'] * 100:.2f} -> {reg['candidate'] * 100:.2f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", choices=GROUPS, default="held-out")
    parser.add_argument("--hands", type=int, default=8, help="the group's first N hands")
    parser.add_argument("--skip", type=int, default=0, help="after the group's first N hands")
    parser.add_argument("--seed", type=int, default=0, help="the books' records")
    parser.add_argument("--json", type=Path, help="write the rows here as well")
    parser.add_argument("--keep", type=Path, help="copy each trained version's model dir here")
    args = parser.parse_args()
    hands = fonts_for(args.group, "hand")[args.skip : args.skip + args.hands]
    rows = []
    for hand in hands:
        row = one(hand, args.group, args.seed, args.keep)
        rows.append(row)
        print(
            f"{hand:28} corrections {row['corrections']:3}  {row['state']:13} "
            f"exact {row['exact_before']:2} -> {row.get('exact_after', '-'):>2} of {row['fields']}"
            f"  print {_edits(row, 'print')}  hand {_edits(row, 'hand')}",
            flush=True,
        )
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False), "utf-8")
    trained = [r for r in rows if r["state"] != "read already"]
    active = [r for r in trained if r["state"] == "active"]
    print(f"{args.group}, seed {args.seed}: {len(active)} of {len(trained)} books activated")


if __name__ == "__main__":
    main()
