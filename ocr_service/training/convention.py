"""Which reading convention a training run fine-tunes (and its model will read) with.

A model reads line crops with a convention (recogniser.Reading: pixel scale, width factor,
narrowing). A fine-tune that changes the convention first has to re-learn it, and a short one
pays for that in accuracy on everything else: on the end-to-end book (docs/BENCHMARKS.md "The
learning loop end to end") the shipped model read the regression print 0.12 % -> 0.61 % and the
handwriting fonts 4.3 % -> 5.1 % under the trained convention (x/255, width x1.5) before any
training, and the candidates trained that way were refused for it.

So the convention is chosen on the run's own data: the base model reads the training lines
and the run's replay lines (synthetic print and handwriting fonts, not the guard's regression
set) under each candidate convention (as the engine reads a page line, guard.read_text), and the
one with the lowest sum of the two character error rates is kept (the base's own on a tie, then
the order of candidates()). A convention that starts worse on print starts behind at the guard,
so its cost there counts; but it is weighed against what it gains on the lines to learn: real
handwriting reads 20 points better with the wide convention (tuning writers of
handwriting-vi: 61.8 % -> 41.3 %) for about one point on print and the fonts (0.1 % -> 1.0 %,
0.8 % -> 2.1 %), and a rule that refused any cost on replay kept real hands on the narrow
convention. The choice and its measurements go into model.json (training.reading_choice).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from ocr_service.ocr.rec_model import RecModel
from ocr_service.ocr.recogniser import TRAINED_READING, Reading
from ocr_service.training.data import LabelledLine

ReadingMode = Literal["auto", "base", "trained"]
# Besides the base model's own: its convention with x/255 pixels (what AsterNet was trained
# on; the shipped model reads print and the handwriting fonts no worse that way, see
# BENCHMARKS "The reading convention of the shipped model"), and the wide trained convention
# (what real handwriting needs: -20 points on the tuning writers of handwriting-vi).
CHOICE_LINES = 200  # training lines read per convention at most (the first, by name)
CHOICE_REPLAY = 40  # replay lines read per convention (spread over the list)


@dataclass(frozen=True)
class ReadingChoice:
    """The convention chosen and the base model's CER on the training lines under each."""

    reading: Reading
    measured: dict[str, float]  # convention key -> CER; empty when nothing was measured
    replay: dict[str, float] = field(default_factory=dict)  # ... on the replay lines

    def to_json(self) -> dict[str, object]:
        return {"reading": self.reading.to_json(), "cer": self.measured, "replay": self.replay}


def key(reading: Reading) -> str:
    """A short name of a convention: 'unit x1.5', 'signed x1 narrowed'."""
    width = f"{reading.width:g}"
    return f"{reading.scale} x{width}" + (" narrowed" if reading.squeeze else "")


def candidates(base: RecModel) -> list[Reading]:
    """The conventions a run from `base` may use: the base's own first, no duplicates."""
    found: list[Reading] = []
    for reading in (base.reading, replace(base.reading, scale="unit"), TRAINED_READING):
        if reading not in found:
            found.append(reading)
    return found


def choose_reading(
    base: RecModel,
    lines: list[LabelledLine],
    mode: ReadingMode = "auto",
    threads: int = 2,
    replay: list[LabelledLine] | None = None,
) -> ReadingChoice:
    """The convention to train with: the base's own ('base'), the trained one ('trained'),
    or ('auto') the one with the lowest sum of the base model's CER on `lines` and on
    `replay` under it."""
    if mode == "base":
        return ReadingChoice(base.reading, {})
    if mode == "trained" or not lines:
        return ReadingChoice(TRAINED_READING, {})
    from ocr_service.training.guard import reader_for, score

    sample = sorted(lines, key=lambda line: line.name)[:CHOICE_LINES]
    step = max(1, len(replay or []) // CHOICE_REPLAY)
    kept = (replay or [])[::step][:CHOICE_REPLAY]  # both kinds: replay is print, then hand
    measured: dict[str, float] = {}
    on_replay: dict[str, float] = {}
    best: tuple[float, Reading] | None = None
    replay_chars = max(1, sum(len(line.text) for line in kept))
    for reading in candidates(base):
        reader = reader_for(replace(base, reading=reading), threads)
        replay_cer = score(reader, kept).edits / replay_chars if kept else 0.0
        result = score(reader, sample)
        measured[key(reading)] = round(result.cer, 4)
        if kept:
            on_replay[key(reading)] = round(replay_cer, 4)
        cost = result.cer + replay_cer
        if best is None or cost < best[0]:
            best = (cost, reading)
    assert best is not None
    return ReadingChoice(best[1], measured, on_replay)
