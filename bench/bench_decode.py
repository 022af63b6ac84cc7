"""Greedy CTC vs beam search vs vocabulary-biased beam search (issue #17, docs/BENCHMARKS.md
"Vocabulary-aware decoding").

    python bench/bench_decode.py synth --group tuning --grid
    python bench/bench_decode.py synth --group held-out --bonus 2 --penalty 1
    python bench/bench_decode.py hand --data ../shared/data/handwriting-vi --part tuning --grid

synth: handwritten value lines cut from generated books of one font group (catalog.py). A
line's vocabulary is what its commune would have: the register's words, dates in words, the
administrative units, and the names and places of the book's *other* records (confirmed
earlier), never the line's own record. The share of the lines' syllables in it is reported.

hand: the real handwriting share, split by writer (bench_training.split, SPLIT_SEED 17). Its
lines are news sentences, so the vocabulary is a general syllable list built from the tuning
writers' labels only (for tuning lines: of the tuning writers' lines not measured).

The recogniser runs once per crop (memoised); every decoding reads the same log-probabilities,
so ms/line is the decoding's own time plus the shared recognition time, reported apart.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ocr_service.extract.vocabulary import book_lexicon, name_place_codes
from ocr_service.ocr.base import crop_line
from ocr_service.ocr.ctc_beam import BeamConfig, Decoding, Lexicon, syllables
from ocr_service.ocr.line_boxes import CROP_PAD_X, CROP_PAD_Y
from ocr_service.ocr.line_reader import LineReader
from ocr_service.ocr.rec_model import shipped_model
from ocr_service.ocr.recogniser import TRAINED_READING
from ocr_service.ocr.syllables import syllable_lexicon
from ocr_service.synth import generate_book
from ocr_service.training.data import LabelledLine, clean_label
from ocr_service.training.guard import read_text, reader_for

# (register, layout, records): hand-filled forms and hand-written table ledgers.
BOOKS = (("khai-sinh", "table", 16), ("khai-tu", "table", 16), ("khai-sinh", "block", 6))
SEED = 1717


@dataclass(frozen=True)
class Case:
    line: LabelledLine
    lexicon: Lexicon | None
    name_place: bool


def memoised(reader: LineReader) -> tuple[LineReader, dict[str, float]]:
    """The reader with its recogniser's outputs cached by input (decodings share them)."""
    cache: dict[bytes, np.ndarray] = {}
    spent = {"s": 0.0}
    run = reader.rec.run

    def cached(images: np.ndarray) -> np.ndarray:
        key = images.tobytes()
        if key not in cache:
            start = time.perf_counter()
            cache[key] = run(images)
            spent["s"] += time.perf_counter() - start
        return cache[key]

    return replace(reader, rec=replace(reader.rec, run=cached)), spent


def synth_cases(group: str, books: int, per_book: int, no_scope: bool = False) -> list[Case]:
    cases: list[Case] = []
    codes = name_place_codes()
    with tempfile.TemporaryDirectory(prefix="sohoa-decode-") as tmp:
        for n, (register, layout, records) in enumerate(BOOKS[:books]):
            out = generate_book(
                register,
                records,
                Path(tmp) / str(n),
                style="hand",
                layout=layout,
                seed=SEED + n,
                group=group,
            )
            truth = json.loads((out / "truth.json").read_text("utf-8"))
            recs = truth["records"]
            values = [
                [str(f["value"]) for c, f in r["fields"].items() if c in codes and f["value"]]
                for r in recs
            ]
            base = book_lexicon(register)
            found: list[Case] = []
            for p, page in enumerate(truth["pages"], 1):
                image = cv2.imread(str(out / "pages" / f"{p:04d}.jpg"), cv2.IMREAD_GRAYSCALE)
                for i, line in enumerate(page["lines"]):
                    text = clean_label(str(line["text"]))
                    if line["style"] != "hand" or not text or not line["field"]:
                        continue
                    x0, y0, x1, y1 = (round(v) for v in line["bbox"])
                    if y1 - y0 < 8:
                        continue
                    own = _record_of(recs, p, line["field"], (x0, y0, x1, y1))
                    others = [v for k, vs in enumerate(values) if k != own for v in vs]
                    crop = crop_line(image, (x0, y0, x1, y1), CROP_PAD_Y, CROP_PAD_X)
                    found.append(
                        Case(
                            LabelledLine(crop.copy(), text, f"{n}/{p}/{i}"),
                            base if no_scope else base.union(Lexicon.of(others)),
                            line["field"] in codes,
                        )
                    )
            random.Random(SEED + n).shuffle(found)
            cases += found[:per_book]
    return cases


def _record_of(recs: list[dict[str, object]], page: int, code: str, box: tuple[int, ...]) -> int:
    """The record whose field `code` holds the line (by the line box's centre), or -1."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for k, rec in enumerate(recs):
        field = rec["fields"].get(code) if isinstance(rec["fields"], dict) else None  # type: ignore[union-attr]
        pages = {rec.get("page")}  # type: ignore[union-attr]
        if not field or not field.get("bbox") or page not in pages:
            continue
        x0, y0, x1, y1 = field["bbox"]
        if x0 - 2 <= cx <= x1 + 2 and y0 - 2 <= cy <= y1 + 2:
            return k
    return -1


def hand_cases(data: Path, part: str, count: int, source: str = "labels") -> list[Case]:
    from bench_training import SPLIT_SEED, load, split, writers  # type: ignore[import-not-found]

    tuning, held = split(data)
    by_writer = writers(data)
    tuning_files = sorted(f for w in tuning for f in by_writer[w])
    files = sorted(f for w in (tuning if part == "tuning" else held) for f in by_writer[w])
    random.Random(SPLIT_SEED).shuffle(files)
    chosen = set(files[:count])
    labels = {
        line.name: line.text for line in load(data, set(tuning_files) - chosen)
    }  # tuning writers' labels only, never the measured lines
    lexicon = {"labels": Lexicon.of(labels.values()), "syllables": syllable_lexicon()}.get(source)
    return [Case(line, lexicon, False) for line in load(data, chosen)]


def measure(
    reader: LineReader,
    cases: list[Case],
    decoding: Decoding,
    spent: dict[str, float],
    baseline: list[str] | None = None,
    readings: list[str] | None = None,
) -> dict[str, float]:
    """CER, exact lines and decoding time; with `baseline` (greedy's readings), how many lines
    read otherwise, and how many of those got closer to the truth or further from it."""
    r = replace(reader, decoding=decoding)
    changed = better = worse = 0
    edits = chars = exact = np_edits = np_chars = 0
    before = spent["s"]
    start = time.perf_counter()
    for i, case in enumerate(cases):
        got = read_text(r, case.line, lexicon=case.lexicon)
        d = Levenshtein.distance(got, case.line.text)
        if readings is not None:
            readings.append(got)
        if baseline is not None and got != baseline[i]:
            was = Levenshtein.distance(baseline[i], case.line.text)
            changed += 1
            better += d < was
            worse += d > was
        edits += d
        chars += len(case.line.text)
        exact += d == 0
        if case.name_place:
            np_edits += d
            np_chars += len(case.line.text)
    wall = time.perf_counter() - start - (spent["s"] - before)
    out = {
        "cer": round(edits / max(1, chars), 4),
        "exact": round(exact / max(1, len(cases)), 4),
        "decode_ms_per_line": round(1000 * wall / max(1, len(cases)), 2),
    }
    if np_chars:
        out["cer_names_places"] = round(np_edits / np_chars, 4)
    if baseline is not None:
        out.update(lines_changed=changed, closer=better, further=worse)
    return out


def coverage(cases: list[Case]) -> float:
    words = [(w, c.lexicon) for c in cases if c.lexicon for w in syllables(c.line.text)]
    return round(sum(w in lex for w, lex in words) / max(1, len(words)), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("synth")
    s.add_argument("--group", choices=("tuning", "held-out"), required=True)
    s.add_argument("--books", type=int, default=3)
    s.add_argument("--per-book", type=int, default=100)
    s.add_argument(
        "--no-scope",
        action="store_true",
        help="no names or places of other records: register words, dates, units only",
    )
    s.add_argument(
        "--no-lexicon",
        action="store_true",
        help="no lexicon at all: lines read as outside a ledger (sohoa ocr, the API's crops)",
    )
    h = sub.add_parser("hand")
    h.add_argument("--data", type=Path, required=True)
    h.add_argument("--part", choices=("tuning", "held-out"), required=True)
    h.add_argument("--lines", type=int, default=150)
    h.add_argument(
        "--lexicon",
        choices=("labels", "syllables", "none"),
        default="labels",
        help="labels: the tuning writers' syllables (a best case: the writers copy the same "
        "texts); syllables: every well-formed Vietnamese syllable (ocr/syllables.py, no text)",
    )
    h.add_argument(
        "--model",
        default=None,
        help="a model dir (default: the shipped model as the engine reads it); 'shipped-x1.5': "
        "the shipped model read with the trained models' convention",
    )
    for p in (s, h):
        p.add_argument("--grid", action="store_true", help="try bonus/penalty weights (tuning)")
        p.add_argument("--bonus", type=float, default=BeamConfig.bonus)
        p.add_argument("--penalty", type=float, default=BeamConfig.penalty)
        p.add_argument(
            "--illformed",
            type=float,
            nargs="+",
            default=[BeamConfig.illformed],
            help="nats for a letter run that is no well-formed syllable (several: one row each)",
        )
        p.add_argument("--width", type=int, default=BeamConfig.width)
        p.add_argument("--merge", choices=("max", "sum"), default=BeamConfig.merge)
        p.add_argument("--floor", type=float, default=BeamConfig.floor)
        p.add_argument("--per-step", type=int, default=BeamConfig.per_step)
    args = parser.parse_args()
    if args.what == "hand" and args.grid and args.part != "tuning":
        parser.error("weights are chosen on the tuning writers only")
    if args.what == "synth" and args.grid and args.group != "tuning":
        parser.error("weights are chosen on the tuning fonts only")
    started = time.perf_counter()
    cases: list[Case]
    if args.what == "synth":
        cases = synth_cases(args.group, args.books, args.per_book, args.no_scope)
        if args.no_lexicon:
            cases = [replace(case, lexicon=None) for case in cases]
    else:
        cases = hand_cases(args.data, args.part, args.lines, args.lexicon)
    model = getattr(args, "model", None)
    if model == "shipped-x1.5":
        model = replace(shipped_model(), reading=TRAINED_READING)
    reader, spent = memoised(reader_for(model))
    # Recognition once (greedy), timed apart: every decoding below reuses its outputs.
    greedy = Decoding("greedy")
    configs: dict[str, Decoding] = {"greedy": greedy}
    beam = BeamConfig(width=args.width, merge=args.merge, floor=args.floor, per_step=args.per_step)
    configs[f"beam w{args.width}"] = Decoding("beam", beam)
    weights = (
        [(b, p, 0.0) for b in (0.5, 1.0, 2.0, 4.0) for p in (0.0, 1.0, 2.0)]
        if args.grid
        else [(args.bonus, args.penalty, i) for i in args.illformed]
    )
    for b, p, i in weights:
        configs[f"beam-vocab w{args.width} bonus {b} penalty {p} illformed {i}"] = Decoding(
            "beam-vocab", replace(beam, bonus=b, penalty=p, illformed=i)
        )
    greedy_readings: list[str] = []
    measure(reader, cases, greedy, spent, readings=greedy_readings)  # warms the cache
    rec_ms = 1000 * spent["s"] / max(1, len(cases))
    table: dict[str, dict[str, float]] = {}
    for label, decoding in configs.items():
        mine: list[str] = []
        table[label] = measure(reader, cases, decoding, spent, greedy_readings, mine)
        print(label, table[label], file=sys.stderr, flush=True)
    result: dict[str, object] = {
        "what": args.what,
        "group": getattr(args, "group", None) or args.part,
        "lines": len(cases),
        "name_place_lines": sum(c.name_place for c in cases),
        "vocabulary_coverage": coverage(cases),
        "recognition_ms_per_line": round(rec_ms, 1),
        "beam": {"merge": args.merge, "floor": args.floor, "per_step": args.per_step},
        "no_scope": getattr(args, "no_scope", False),
        "no_lexicon": getattr(args, "no_lexicon", False),
        "lexicon": getattr(args, "lexicon", "book"),
        "model": str(getattr(args, "model", None) or "shipped"),
        "decodings": table,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
