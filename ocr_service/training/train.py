"""CTC fine-tuning of the recogniser on labelled lines, bounded in time, on the CPU.

train_from_lines(lines, out, base=..., config=...) -> TrainResult: the base model (a model dir,
or asterocr's shipped model) is loaded into AsterNet (convert.py), fine-tuned on the lines
(augmented) mixed with replayed synthetic print and handwriting-font lines (so print is not
forgotten), within config.minutes on config.threads threads, then written as a model dir
(export.py, version.py). The reading convention it trains and reads with is chosen on the
training lines (convention.py: the one the base model reads them best with), unless
config.reading names one; model.json records it and the measurements.

BatchNorm statistics stay frozen (the shipped graph has them folded in; batches of a few
lines would make poor statistics); dropout is on while training.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr_service.config import openmp_thread_limit
from ocr_service.errors import BadInput
from ocr_service.ocr.rec_model import MODEL_FILE, rec_model
from ocr_service.ocr.recogniser import Reading
from ocr_service.training import require_torch
from ocr_service.training.convention import ReadingMode, choose_reading
from ocr_service.training.data import LabelledLine
from ocr_service.training.drift import DriftCheck, split_check
from ocr_service.training.guard import REGRESSION_SLACK_EDITS
from ocr_service.training.memory import return_freed_memory
from ocr_service.training.preprocess import Sample, augment, batch, encode, fits, targets
from ocr_service.training.version import write_model_dir

EXPORT_RESERVE_S = 10.0  # of the time budget kept for writing and checking the model
KEEP_HEIGHT = 64  # px: line images are kept at most this high in memory (read at 32)
PROBE_LINES = 2  # lines the export is checked on
# px of padded input per batch at most (lines x the widest line): the backbone keeps ~0.4 GB
# of activations per 1024 px of line for the backward pass, so a batch of eight full-width
# lines would pass 3 GB; this keeps a step under ~1 GB.
MAX_BATCH_WIDTH = 2560
LAST_LOSSES = 3  # the reported last loss: the mean of the last steps' losses
# Synthetic books generated per kind for replay: all of synthetic.BOOKS (three forms, three
# fonts of each kind; under a second in all). One book, one handwriting font, let the other
# fonts drift: the held-out run of docs/BENCHMARKS.md "Training" read the fonts 0.75 -> 3.9 %.
REPLAY_BOOKS: int | None = None
FROZEN_STAGES = ("stem", "layer1", "layer2", "layer3")  # asterocr's backbone, input side first
# A few lines of one hand (a clerk's first corrections) are learnt with the stem and layer1
# frozen: a step is cheaper (more steps in the budget) and holds ~0.5 GB less memory. Chosen
# on the tuning writers' inner split (20 lines a writer, 360 CPU-s: CER 21.1 -> 19.4 % over
# three writers; stem to layer3 frozen: 20.0 %), held on the held-out writers (18.2 -> 17.7 %,
# peak RSS 2.4 -> 1.9 GB): docs/BENCHMARKS.md "Training", eighth session. Runs on thousands
# of lines (issue #17's (a)) were measured unfrozen and stay so.
FEW_LINES = 300
FEW_LINES_FROZEN_STAGES = 2
# AsterNet's modules after the backbone that a run may keep frozen (TrainConfig.frozen_modules).
FROZEN_MODULES = ("sequence", "language_head", "fusion")


@dataclass(frozen=True)
class TrainConfig:
    """How long and how to train. The defaults were chosen on the tuning writers of the
    handwriting share (docs/BENCHMARKS.md "Training (issue #17)")."""

    minutes: float = 3.0  # wall-clock budget of the whole run
    # A budget of process CPU seconds instead (all threads): on a machine shared with other
    # jobs, a fair measure of what the run would take alone (bench/bench_training.py).
    cpu_seconds: float | None = None
    max_steps: int | None = None  # stop earlier after this many steps
    batch_size: int = 8
    learning_rate: float = 1e-4
    weight_decay: float = 1e-4
    replay_share: float = 0.25  # of each batch: synthetic print / handwriting-font lines
    replay_lines: int = 320  # synthetic lines generated for replay (half print, half hand)
    augment: bool = True
    threads: int = 2  # both cores of the reference machine
    seed: int = 0
    clip_norm: float = 5.0
    # Leading backbone stages kept as they are (FROZEN_STAGES names them in order): their
    # backward pass is a large part of a step's cost (full-height feature maps). None:
    # frozen_stages_for() chooses by the number of lines to learn.
    frozen_stages: int | None = None
    # Whole modules of AsterNet kept as they are (FROZEN_MODULES: e.g. the language head and
    # its fusion, so a run on one kind of text does not learn its vocabulary as a prior).
    frozen_modules: tuple[str, ...] = ()
    # A pull toward the base weights after every step (decoupled, like AdamW's decay but
    # toward the base rather than zero: L2-SP, Li et al. 2018): each weight moves
    # learning_rate x anchor of its distance back to the base. 0: none.
    anchor: float = 0.0
    # The share of what the run learnt that the model keeps: at the end each learning weight
    # is set to base + keep x (learnt - base), the weight-space ensemble of WiSE-FT (Wortsman
    # et al. 2022), which keeps most of a fine-tune's gain and much of the base's robustness.
    keep: float = 1.0
    # Keep some replay lines out of training and read them every few steps; the run ends
    # with its last weights that read them no worse than the base (drift.py).
    drift_check: bool = True
    # The reading convention: "auto" chooses it on the training lines (convention.py),
    # "base" keeps the base model's, "trained" is recogniser.TRAINED_READING.
    reading: ReadingMode = "auto"


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced and measured."""

    model_dir: Path
    sha256: str
    base_sha256: str
    steps: int
    seconds: float
    cpu_seconds: float  # process CPU time of the run, all threads
    first_loss: float
    last_loss: float
    peak_rss_mb: int
    data: dict[str, int]
    frozen: list[str] = field(default_factory=list)  # stages and modules kept as they were
    export_check: dict[str, float] = field(default_factory=dict)  # export.MAX_DIFF: per runtime
    drift: dict[str, Any] = field(default_factory=dict)  # drift.DriftCheck.to_json()

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["model_dir"] = str(self.model_dir)
        return doc


def peak_rss_mb() -> int:
    """The process's peak resident memory so far, MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _kept(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    if h <= KEEP_HEIGHT:
        return grey
    size = (max(2, round(w * KEEP_HEIGHT / h)), KEEP_HEIGHT)
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


@dataclass
class _Pool:
    """Lines that can be trained on, with their targets."""

    reading: Reading
    images: list[np.ndarray] = field(default_factory=list)
    targets: list[list[int]] = field(default_factory=list)
    skipped_charset: int = 0
    skipped_long: int = 0

    def add(self, lines: list[LabelledLine], index: dict[str, int]) -> None:
        for line in lines:
            target = targets(line.text, index)
            if target is None:
                self.skipped_charset += 1
            elif not fits(line.image, target, self.reading):
                self.skipped_long += 1
            else:
                self.images.append(_kept(line.image))
                self.targets.append(target)

    def sample(
        self, rng: random.Random, count: int, augmented: bool, width: int = MAX_BATCH_WIDTH
    ) -> list[Sample]:
        """Up to `count` random lines (at least one) that padded to the widest of them take
        ≤ `width` px in all (batch() pads every line to the widest)."""
        out: list[Sample] = []
        widest = 0
        for _ in range(count):
            i = rng.randrange(len(self.images))
            grey = augment(self.images[i], rng) if augmented else self.images[i]
            if augmented and not fits(grey, self.targets[i], self.reading):
                grey = self.images[i]
            sample = Sample(encode(grey, self.reading), self.targets[i])
            widest = max(widest, sample.image.shape[2])
            if out and (len(out) + 1) * widest > width:
                break
            out.append(sample)
        return out


def _batch_samples(
    pool: _Pool, replay_pool: _Pool, rng: random.Random, config: TrainConfig, n_replay: int
) -> list[Sample]:
    """One batch: lines to learn and replayed lines in the config's share, padded to the widest
    within MAX_BATCH_WIDTH. The share holds when long lines make the batch small: before, a
    batch of three long field crops left no room and replay was dropped, and 30 steps on a
    book's corrections made the model read the regression print 0.6 % -> 1.6 %."""
    own = pool.sample(rng, config.batch_size - n_replay, config.augment)
    if not n_replay:
        return own
    share = config.replay_share
    want = min(n_replay, max(1, round(len(own) * share / (1 - share))))
    extra = replay_pool.sample(rng, want, False)

    def too_wide() -> bool:
        batch_lines = own + extra
        widest = max(int(s.image.shape[2]) for s in batch_lines)
        return len(batch_lines) * widest > MAX_BATCH_WIDTH

    while too_wide() and len(own) > 1:
        own.pop()
    while too_wide() and len(extra) > 1:
        extra.pop()
    return own if too_wide() else own + extra


def freeze_stages(model: Any, count: int) -> list[str]:
    """Keeps the first `count` backbone stages (FROZEN_STAGES) as they are: no gradients, so
    no backward pass through them. Returns the frozen stages' names."""
    if not 0 <= count <= len(FROZEN_STAGES):
        raise BadInput(f"frozen_stages must be 0..{len(FROZEN_STAGES)}, not {count}")
    names = list(FROZEN_STAGES[:count])
    for name in names:
        for param in getattr(model.backbone, name).parameters():
            param.requires_grad_(False)
    return names


def freeze_modules(model: Any, names: tuple[str, ...]) -> list[str]:
    """Keeps whole modules of AsterNet (FROZEN_MODULES) as they are. Returns their names."""
    unknown = sorted(set(names) - set(FROZEN_MODULES))
    if unknown:
        raise BadInput(f"frozen_modules may name {', '.join(FROZEN_MODULES)}, not {unknown}")
    for name in names:
        for param in getattr(model, name).parameters():
            param.requires_grad_(False)
    return list(names)


def frozen_stages_for(config: TrainConfig, lines: int) -> int:
    """The backbone stages a run keeps frozen: the config's, or by the lines to learn."""
    if config.frozen_stages is not None:
        return config.frozen_stages
    return FEW_LINES_FROZEN_STAGES if lines < FEW_LINES else 0


def training_threads(config: TrainConfig) -> int:
    """The threads PyTorch may use: never more than the OpenMP runtime allows. Asking for 2
    under OMP_THREAD_LIMIT=1 (set by the tesseract engine, inherited by child processes) made
    one training step take minutes instead of seconds (oneDNN's backward convolutions)."""
    limit = openmp_thread_limit()
    return min(config.threads, limit) if limit else config.threads


def _within(config: TrainConfig, deadline: float, cpu_start: float) -> bool:
    """True while the run is inside its budget (wall clock, or CPU seconds when set)."""
    if config.cpu_seconds is not None:
        return time.process_time() - cpu_start < config.cpu_seconds
    return time.perf_counter() < deadline


class _Anchor:
    """The base weights of the learning parameters, the pull back toward them after every
    step (TrainConfig.anchor) and the share of the learnt change kept at the end
    (TrainConfig.keep)."""

    def __init__(self, pairs: list[tuple[Any, Any]], rate: float) -> None:
        self.pairs = pairs
        self.rate = rate

    @classmethod
    def of(cls, model: Any, config: TrainConfig) -> _Anchor | None:
        """None when the run neither pulls nor keeps less than all it learnt."""
        rate = config.learning_rate * config.anchor
        if config.anchor and not 0 < rate < 1:
            raise BadInput(f"learning_rate x anchor must be between 0 and 1, not {rate}")
        if not 0 < config.keep <= 1:
            raise BadInput(
                f"the share of the learnt change kept must be in (0, 1], not {config.keep}"
            )
        if not config.anchor and config.keep == 1:
            return None
        pairs = [(p, p.detach().clone()) for p in model.parameters() if p.requires_grad]
        return cls(pairs, rate)

    def pull(self) -> None:
        if not self.rate:
            return
        import torch

        with torch.no_grad():
            for param, start in self.pairs:
                param.lerp_(start, self.rate)

    def keep(self, share: float) -> None:
        """Each weight ends at base + share x (learnt - base)."""
        if share == 1:
            return
        import torch

        with torch.no_grad():
            for param, start in self.pairs:
                param.lerp_(start, 1 - share)


def train_from_lines(
    lines: list[LabelledLine],
    out: Path,
    *,
    base: Path | str | None = None,
    config: TrainConfig | None = None,
    replay: list[LabelledLine] | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Fine-tunes the base model (a model dir; None: the shipped model) on `lines` and writes
    the result as the model dir `out`. `replay`: lines mixed into every batch (default:
    config.replay_lines synthetic lines from ocr_service/synth). `on_step(step, loss)` is
    called after every step."""
    require_torch()
    import torch

    from ocr_service.training.convert import load_onnx, training_mode
    from ocr_service.training.export import export_model

    config = config or TrainConfig()
    return_freed_memory()
    started, cpu_start = time.perf_counter(), time.process_time()
    deadline = started + max(0.0, config.minutes * 60 - EXPORT_RESERVE_S)
    torch.set_num_threads(training_threads(config))
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)

    base_model = rec_model(base)
    index = {ch: i for i, ch in enumerate(base_model.chars) if ch and i != base_model.blank}
    if replay is None and config.replay_share > 0:
        from ocr_service.training.synthetic import synthetic_lines

        half = config.replay_lines // 2
        replay = synthetic_lines("print", config.seed + 1, half, books=REPLAY_BOOKS)
        replay += synthetic_lines(
            "hand", config.seed + 2, config.replay_lines - half, books=REPLAY_BOOKS
        )
    choice = choose_reading(base_model, lines, config.reading, training_threads(config), replay)
    # The base weights are an end to blend toward (TrainConfig.keep) only where they read the
    # run's input as they read their own: lines widened x1.5 they read the replay lines with a
    # CER of 7.8 % against 0 (a tuning hand's run, docs/BENCHMARKS.md "The learning loop end to
    # end", fourteenth session), and that run kept all it learnt.
    keep = config.keep if choice.reading.width == base_model.reading.width else 1.0
    pool = _Pool(choice.reading)
    pool.add(lines, index)
    if not pool.images:
        raise BadInput(
            f"none of the {len(lines)} lines can be trained on "
            f"({pool.skipped_charset} with characters the model lacks, "
            f"{pool.skipped_long} with more characters than the line is wide)"
        )
    replay_train, check = split_check(replay) if config.drift_check and replay else (replay, {})
    replay_pool = _Pool(choice.reading)
    replay_pool.add(replay_train or [], index)

    model = training_mode(load_onnx(base_model.path))  # frozen statistics (module docstring)
    frozen = freeze_stages(model, frozen_stages_for(config, len(pool.images)))
    frozen += freeze_modules(model, config.frozen_modules)
    drift = DriftCheck.build(
        check,
        choice.reading,
        list(base_model.chars),
        base_model.blank,
        REGRESSION_SLACK_EDITS,
        keep=keep,
    )
    drift.start(model)
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    ctc = torch.nn.CTCLoss(blank=base_model.blank, zero_infinity=True)
    anchored = _Anchor.of(model, config)
    n_replay = round(config.batch_size * config.replay_share) if replay_pool.images else 0
    steps, losses = 0, []
    while steps == 0 or _within(config, deadline, cpu_start):
        if config.max_steps is not None and steps >= config.max_steps:
            break
        samples = _batch_samples(pool, replay_pool, rng, config, n_replay)
        images, flat, in_lens, tgt_lens = batch(samples)
        log_probs = model(torch.from_numpy(images))
        loss = ctc(
            log_probs,
            torch.from_numpy(flat),
            torch.tensor(in_lens, dtype=torch.long),
            torch.tensor(tgt_lens, dtype=torch.long),
        )
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
        optimiser.step()
        if anchored is not None:
            anchored.pull()
        steps += 1
        losses.append(float(loss.item()))
        if on_step is not None:
            on_step(steps, losses[-1])
        drift.after_step(model, steps)
    drift.finish(model, steps)  # the last checkpoint that did not drift
    if anchored is not None:
        anchored.keep(keep)

    out.mkdir(parents=True, exist_ok=True)
    probe_samples = [Sample(encode(img, choice.reading), []) for img in pool.images[:PROBE_LINES]]
    probe = batch(probe_samples)[0]
    export_check = export_model(model, base_model.path, out / MODEL_FILE, probe)
    data = {
        "lines": len(lines),
        "trained_on": len(pool.images),
        "skipped_charset": pool.skipped_charset,
        "skipped_too_long": pool.skipped_long,
        "replay": len(replay_pool.images),
        "drift_check": sum(len(lines) for lines in drift.sets.values()),
    }
    seconds = time.perf_counter() - started
    drift_doc = drift.to_json()
    meta = write_model_dir(
        out,
        charset=list(base_model.chars),
        reading=choice.reading,
        base_sha256=base_model.sha256,
        data=data,
        metrics={},
        training={
            **asdict(config),
            "frozen": frozen,
            "steps": steps,
            "seconds": round(seconds, 1),
            "cpu_seconds": round(time.process_time() - cpu_start, 1),
            "first_loss": round(losses[0], 4),
            "last_loss": round(float(np.mean(losses[-LAST_LOSSES:])), 4),
            "reading_choice": choice.to_json(),
            "drift": drift_doc,
        },
        blank=base_model.blank,
    )
    return TrainResult(
        model_dir=out,
        sha256=str(meta["sha256"]),
        base_sha256=base_model.sha256,
        steps=steps,
        seconds=round(seconds, 1),
        cpu_seconds=round(time.process_time() - cpu_start, 1),
        first_loss=losses[0],
        last_loss=float(np.mean(losses[-LAST_LOSSES:])),
        peak_rss_mb=peak_rss_mb(),
        data=data,
        frozen=frozen,
        export_check=export_check,
        drift=drift_doc,
    )
