"""Line CER of handwriting-font values read as the engine reads them (issue #13's line target),
with and without the hand model (SOHOA_VI_HAND_MODEL_DIR).

The value lines of bench_decode's synthetic hand books (`synth_cases`: three books a group, the
group's handwriting fonts, every value line of a field), each crop read by ViEngine as a page
line's (compacted, narrowed, read again where the engine reads again, the value read apart from
its label) with the ledger's words as beam-vocab's lexicon, as a book's pages are read:

    python bench/bench_hand_values.py --group held-out
    python bench/bench_hand_values.py --group tuning --hand none /tmp/candidate

Each `--hand` value is a SOHOA_VI_HAND_MODEL_DIR: `default` (the shipped hand model), `none`
(one recogniser), or a model dir.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_decode import synth_cases  # type: ignore[import-not-found]
from rapidfuzz.distance import Levenshtein

from ocr_service.config import OcrSettings, ViSettings
from ocr_service.ocr.line_crops import compact_line
from ocr_service.ocr.vi import ViEngine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--group", choices=("tuning", "held-out"), required=True)
    parser.add_argument("--books", type=int, default=3)
    parser.add_argument("--per-book", type=int, default=100)
    parser.add_argument("--hand", nargs="+", default=["none", "default"])
    parser.add_argument("--below", type=float, nargs="+", default=[ViSettings().hand_below])
    args = parser.parse_args()
    cases = synth_cases(args.group, args.books, args.per_book)
    rows = []
    for hand in args.hand:
        for below in args.below if hand != "none" else [0.0]:
            vi = ViSettings(
                hand_model_dir=None if hand == "default" else hand,
                hand_below=below,
                runtime="onnxruntime",
                int8=False,
            )
            engine = ViEngine(OcrSettings(vi=vi))
            edits = chars = exact = 0
            start = time.perf_counter()
            for case in cases:
                crop = compact_line(
                    case.line.image, gap=vi.compact_gap, keep=vi.compact_keep, end=vi.compact_end
                )
                got = engine._read_page_line(crop, case.lexicon).text
                d = Levenshtein.distance(got, case.line.text)
                edits += d
                chars += len(case.line.text)
                exact += d == 0
            row = {
                "group": args.group,
                "hand": hand,
                "below": below,
                "lines": len(cases),
                "chars": chars,
                "cer": round(100 * edits / max(1, chars), 2),
                "exact": round(100 * exact / max(1, len(cases)), 1),
                "s_per_line": round((time.perf_counter() - start) / max(1, len(cases)), 3),
            }
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    print(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
