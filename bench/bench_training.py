"""Training benchmarks of issue #17 on real handwriting (docs/BENCHMARKS.md "Training").

    python bench/bench_training.py --data ../shared/data/handwriting-vi conventions
    python bench/bench_training.py --data ../shared/data/handwriting-vi heldout --minutes 20
    python bench/bench_training.py --data ../shared/data/handwriting-vi adapt --writers 5

The share's writers are split once, by writer and with a fixed seed, into tuning writers
(every choice is made on them) and held-out writers (only measured). Nothing of the share is
copied into the repository; models trained here are written under --work (default /tmp) and
must not ship (the share's terms).

- conventions: the shipped model read with the engine's crop preparation against x/255 and
  x1.5 width, on tuning writers' lines, and on synthetic print / handwriting-font lines.
- heldout: train on the tuning writers' lines (with synthetic replay) for --minutes; CER on
  every held-out writer's lines, before and after, and print/synthetic before and after.
- adapt: for held-out writers with at least 40 lines, train the shipped model (or --base, e.g.
  the heldout run's model: trained on tuning writers only, as an installation's own earlier
  version would be) on their first 20 lines (stem order) and measure the rest; training time
  and peak RSS (of the training's own child process) per writer.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_service.config import ViSettings
from ocr_service.ocr.ctc_beam import Decoding
from ocr_service.ocr.rec_model import shipped_model
from ocr_service.ocr.recogniser import TRAINED_READING
from ocr_service.training.data import LabelledLine, read_lines_dir
from ocr_service.training.guard import reader_for, score
from ocr_service.training.memory import with_malloc_tunables
from ocr_service.training.synthetic import synthetic_lines
from ocr_service.training.train import TrainConfig, TrainResult, train_from_lines

SPLIT_SEED = 17
INNER_SEED = 18
HELDOUT_SHARE = 0.25  # of the writers
ADAPT_FIRST = 20  # lines a clerk corrects
ADAPT_MIN_LINES = 40
SYNTH_SEED = 4242  # not the regression set's seed
SYNTH_LINES = 120


def writers(data: Path) -> dict[str, list[str]]:
    """writer -> image paths (stem order)."""
    out: dict[str, list[str]] = defaultdict(list)
    with (data / "writers.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out[row["writer"]].append(row["file"])
    return {w: sorted(files) for w, files in out.items()}


def split(data: Path, inner: bool = False) -> tuple[list[str], list[str]]:
    """(tuning writers, held-out writers), fixed by SPLIT_SEED. inner: the tuning writers
    split again the same way (INNER_SEED) into (training, validation), for choosing the
    training's settings without looking at the held-out writers."""
    names = sorted(writers(data))
    random.Random(SPLIT_SEED).shuffle(names)
    cut = round(len(names) * HELDOUT_SHARE)
    tuning, held = sorted(names[cut:]), sorted(names[:cut])
    if not inner:
        return tuning, held
    random.Random(INNER_SEED).shuffle(tuning)
    cut = round(len(tuning) * HELDOUT_SHARE)
    return sorted(tuning[cut:]), sorted(tuning[:cut])


def load(data: Path, files: set[str]) -> list[LabelledLine]:
    return read_lines_dir(data, select=lambda name: name in files)


def cer(model: object, lines: list[LabelledLine], decoding: Decoding | None = None) -> float:
    """Greedy CTC (as the guard compares models), or `decoding`."""
    reader = reader_for(model)  # type: ignore[arg-type]
    if decoding is not None:
        reader = replace(reader, decoding=decoding)
    return round(score(reader, lines).cer, 4)


def product_decoding() -> Decoding:
    """How the engine decodes a line by default; with no ledger's lexicon, as here,
    beam-vocab biases only against ill-formed syllables."""
    return Decoding.of(ViSettings())


def synth_sets(count: int = SYNTH_LINES) -> dict[str, list[LabelledLine]]:
    """Synthetic print and handwriting-font lines (not the regression set: another seed)."""
    return {
        f"synthetic {kind}": synthetic_lines(kind, SYNTH_SEED, count) for kind in ("print", "hand")
    }


def conventions(args: argparse.Namespace) -> dict[str, object]:
    tuning, _ = split(args.data)
    by_writer = writers(args.data)
    files = [f for w in tuning for f in by_writer[w]]
    random.Random(SPLIT_SEED).shuffle(files)
    lines = load(args.data, set(files[: args.lines]))
    shipped = shipped_model()
    models = {
        "engine (signed, squeeze 0.75-1)": shipped,
        "x/255, x1.5 width": replace(shipped, reading=TRAINED_READING),
        "x/255, squeeze 0.75-1": replace(shipped, reading=replace(shipped.reading, scale="unit")),
        "signed, x1.5 width": replace(shipped, reading=replace(TRAINED_READING, scale="signed")),
    }
    sets = {"handwriting-vi tuning writers": lines, **synth_sets()}
    table: dict[str, dict[str, float]] = {}
    for label, model in models.items():
        table[label] = {}
        for name, subset in sets.items():
            start = time.perf_counter()
            table[label][name] = cer(model, subset)
            table[label][name + " s/line"] = round(
                (time.perf_counter() - start) / max(1, len(subset)), 3
            )
    return {"lines": {k: len(v) for k, v in sets.items()}, "cer": table}


def _train_here(
    lines: list[LabelledLine], out: Path, config: TrainConfig, base: Path | None
) -> TrainResult:
    return train_from_lines(lines, out, base=base, config=config)


def _train(
    lines: list[LabelledLine],
    out: Path,
    args: argparse.Namespace,
    seed: int = 0,
    base: Path | None = None,
) -> dict[str, object]:
    """Trains in a fresh child process, so the peak RSS reported is the training's own (not
    the bench's, which also holds the evaluation sets and reading sessions)."""
    if out.exists():
        shutil.rmtree(out)
    config = TrainConfig(
        minutes=600,
        cpu_seconds=args.cpu_seconds,
        seed=seed,
        **({} if args.lr is None else {"learning_rate": args.lr}),
        **({} if args.frozen_stages is None else {"frozen_stages": args.frozen_stages}),
        keep=args.keep,
    )
    # The child starts with glibc's malloc set up for training (memory.MMAP_THRESHOLD).
    os.environ.update(with_malloc_tunables(dict(os.environ)))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        result = pool.submit(_train_here, lines, out, config, base).result()
    return {
        "steps": result.steps,
        "wall_s": result.seconds,
        "base": "shipped" if base is None else str(base),
        "learning_rate": config.learning_rate,
        "frozen": result.frozen,
        "keep": config.keep,
        "cpu_s": result.cpu_seconds,
        "cpu_s_per_2_threads": round(result.cpu_seconds / 2, 1),
        "first_loss": round(result.first_loss, 3),
        "last_loss": round(result.last_loss, 3),
        "peak_rss_mb": result.peak_rss_mb,
        "data": result.data,
    }


def _print_and_synth(model: object, sets: dict[str, list[LabelledLine]]) -> dict[str, float]:
    return {name: cer(model, lines) for name, lines in sets.items()}


def heldout(args: argparse.Namespace) -> dict[str, object]:
    """(a): train on the tuning writers, measure on the held-out writers."""
    tuning, held = split(args.data, args.inner)
    by_writer = writers(args.data)
    train_lines = load(args.data, {f for w in tuning for f in by_writer[w]})
    test_files = sorted(f for w in held for f in by_writer[w])
    random.Random(SPLIT_SEED).shuffle(test_files)
    test = load(args.data, set(test_files[: args.eval_lines]))
    shipped = shipped_model()
    out = args.work / "heldout"
    report: dict[str, object] = {
        "writers": "inner split of the tuning writers" if args.inner else "held-out writers",
        "train_lines": len(train_lines),
        "test_lines": len(test),
    }
    report["training"] = _train(train_lines, out, args)
    report["cer_heldout"] = {
        "shipped, engine reading": cer(shipped, test),
        "shipped, x/255 x1.5": cer(replace(shipped, reading=TRAINED_READING), test),
        "trained": cer(out, test),
        "trained, the engine's decoding": cer(out, test, product_decoding()),
    }
    if args.no_synth:
        return report
    sets = synth_sets(args.synth_lines)
    report["cer_synthetic"] = {
        "shipped, engine reading": _print_and_synth(shipped, sets),
        "trained": _print_and_synth(out, sets),
    }
    return report


def adapt(args: argparse.Namespace) -> dict[str, object]:
    """(b): a held-out writer's first 20 lines as corrections, the rest as the test."""
    _, held = split(args.data, args.inner)
    by_writer = writers(args.data)
    chosen = [w for w in held if len(by_writer[w]) >= ADAPT_MIN_LINES][: args.writers]
    shipped = shipped_model()
    base: Path | None = args.base
    sets = {} if args.no_synth else synth_sets(args.synth_lines)
    report: dict[str, object] = {"writers": {}}
    for n, writer in enumerate(chosen):
        files = by_writer[writer]
        lines = {line.name: line for line in load(args.data, set(files))}
        first = [lines[f] for f in files[:ADAPT_FIRST]]
        rest = [lines[f] for f in files[ADAPT_FIRST:]]
        out = args.work / f"adapt-{n}"
        row: dict[str, object] = {"test_lines": len(rest)}
        row["training"] = _train(first, out, args, seed=n, base=base)
        row["cer"] = {
            "shipped, engine reading": cer(shipped, rest),
            "shipped, x/255 x1.5": cer(replace(shipped, reading=TRAINED_READING), rest),
            **({} if base is None else {"base": cer(base, rest)}),
            "adapted": cer(out, rest),
        }
        decoding = product_decoding()
        row["cer, the engine's decoding"] = {
            **({} if base is None else {"base": cer(base, rest, decoding)}),
            "adapted": cer(out, rest, decoding),
        }
        if n == 0 and sets:
            row["cer_synthetic"] = {
                "shipped, engine reading": _print_and_synth(shipped, sets),
                **({} if base is None else {"base": _print_and_synth(base, sets)}),
                "adapted": _print_and_synth(out, sets),
            }
        report["writers"][f"held-out writer {n + 1}"] = row  # type: ignore[index]
        print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="the handwriting-vi share")
    parser.add_argument("--work", type=Path, default=Path("/tmp/sohoa-bench-training"))
    sub = parser.add_subparsers(dest="what", required=True)
    conv = sub.add_parser("conventions")
    conv.add_argument("--lines", type=int, default=300)
    for name, func in (("heldout", heldout), ("adapt", adapt)):
        mode = sub.add_parser(name, help=func.__doc__)
        mode.add_argument(
            "--cpu-seconds",
            type=float,
            default=360.0,
            help="training budget in process CPU seconds (2 threads: 360 = 3 min alone)",
        )
        mode.add_argument("--synth-lines", type=int, default=60)
        mode.add_argument("--lr", type=float, default=None, help="default: TrainConfig's")
        mode.add_argument("--frozen-stages", type=int, default=None, help="default: TrainConfig's")
        mode.add_argument(
            "--keep",
            type=float,
            default=TrainConfig.keep,
            help="the share of what the run learnt the model keeps (learning.job.JOB_KEEP: "
            "the loop's)",
        )
        mode.add_argument(
            "--inner",
            action="store_true",
            help="the tuning writers split again: train and measure on them only (for choosing "
            "settings; the held-out writers are not read)",
        )
        mode.add_argument("--no-synth", action="store_true", help="skip print/synthetic sets")
    sub.choices["heldout"].add_argument("--eval-lines", type=int, default=300)
    sub.choices["adapt"].add_argument("--writers", type=int, default=3)
    sub.choices["adapt"].add_argument(
        "--base",
        type=Path,
        default=None,
        help="the model dir to adapt (default: the shipped model); e.g. the heldout run's "
        "model, trained on the tuning writers only: an installation's own earlier version",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    modes = {"conventions": conventions, "heldout": heldout, "adapt": adapt}
    result = modes[args.what](args)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
