"""Line CER of register form lines, tuning and held-out groups, as scans and as phone photos
(issue #13; docs/BENCHMARKS.md). The default recogniser is trained on the tuning group's form
lines (ocr_service/training/forms.py, seed 5000); these books use other seeds, and the
held-out group's fonts and printings are never trained on.

    python bench/bench_form_lines.py --models asterocr default /tmp/candidate
    python bench/bench_form_lines.py --groups held-out --lines 400 --seed 9000

Each crop is read as the engine reads a page line's (training/guard.read_text: compacted,
narrowed, greedy CTC, onnxruntime float32). "phone": the same pages through a phone photo's
light, grain, blur and JPEG (training/forms.photo_level), no geometry.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_service.ocr.rec_model import ASTEROCR
from ocr_service.synth.catalog import GROUPS, HELD_OUT, TUNING
from ocr_service.training.data import LabelledLine
from ocr_service.training.forms import form_lines
from ocr_service.training.guard import reader_for, score

SEEDS = {TUNING: 7000, HELD_OUT: 9000}  # not the recipe's 5000


def sample(group: str, seed: int, count: int, photo: bool) -> list[LabelledLine]:
    lines = form_lines(seed, records=2, group=group, photo_share=1.0 if photo else 0.0)
    random.Random(seed).shuffle(lines)
    return lines[:count]


def model_ref(name: str) -> str | None:
    """None for the default (rec_model's shipped one); 'asterocr' and model dirs as named."""
    return None if name == "default" else name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=[ASTEROCR, "default"])
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--lines", type=int, default=400, help="per group and kind")
    parser.add_argument("--seed", type=int, default=None, help="default: 7000 / 9000")
    parser.add_argument("--kinds", nargs="+", choices=("scan", "phone"), default=["scan", "phone"])
    args = parser.parse_args()
    started = time.perf_counter()
    readers = {name: reader_for(model_ref(name), 2) for name in args.models}
    rows = []
    for group in args.groups:
        seed = args.seed if args.seed is not None else SEEDS[group]
        for kind in args.kinds:
            lines = sample(group, seed, args.lines, kind == "phone")
            row: dict[str, object] = {"group": group, "kind": kind, "seed": seed}
            row["lines"] = len(lines)
            row["chars"] = sum(len(line.text) for line in lines)
            for name, reader in readers.items():
                row[name] = round(100 * score(reader, lines).cer, 2)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    out = {"rows": rows, "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
