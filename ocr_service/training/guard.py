"""Measuring a model and deciding whether a new version may replace the current one.

`evaluate` reads labelled lines the way the `vi` engine reads a page line (compacted, narrowed
where the model's reading convention allows it, greedy CTC) on onnxruntime, and returns the
character error rate: edits / truth characters over all lines.

`guard` activates a candidate only when it reads the corrections held out from its training
better than the version it would replace, and reads no worse on the fixed regression set of
synthetic print and handwriting-font lines (synthetic.load_regression_set), give or take one
character of each set (REGRESSION_SLACK_EDITS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from ocr_service.config import ViSettings
from ocr_service.ocr.ctc_beam import Lexicon
from ocr_service.ocr.line_crops import compact_line, line_squeeze
from ocr_service.ocr.line_reader import LineReader, line_reader
from ocr_service.ocr.rec_model import RecModel, rec_model
from ocr_service.training.data import LabelledLine, clean_label

ModelRef = RecModel | Path | str | None  # None: the shipped model
# Character edits by which a candidate may read a regression set worse than the current
# version and still count as no worse: the committed sets have 824 (print) and 608
# (handwriting fonts) characters, so one edit is 0.12-0.16 points, the noise of one glyph
# read either way; a real loss of print (5 edits and more in every refused run of
# docs/BENCHMARKS.md "The learning loop end to end") is still refused.
REGRESSION_SLACK_EDITS = 1


@dataclass(frozen=True)
class Score:
    """CER over a set of lines: character edits / truth characters."""

    edits: int
    chars: int
    lines: int

    @property
    def cer(self) -> float:
        return self.edits / self.chars if self.chars else 0.0


def as_model(ref: ModelRef) -> RecModel:
    return ref if isinstance(ref, RecModel) else rec_model(ref)


def reader_for(ref: ModelRef, threads: int = 2) -> LineReader:
    """The model on onnxruntime in float32 (the runtime every machine has)."""
    return line_reader(as_model(ref), threads, "onnxruntime", int8=False, width_step=4)


def read_text(
    reader: LineReader,
    line: LabelledLine,
    vi: ViSettings | None = None,
    lexicon: Lexicon | None = None,
) -> str:
    """The line as the engine reads a page line's crop (vi.ViEngine._read_line_crop);
    `lexicon`: the words a beam-vocab reader is biased toward."""
    vi = vi or ViSettings()
    crop = compact_line(line.image, gap=vi.compact_gap, keep=vi.compact_keep, end=vi.compact_end)
    squeeze = line_squeeze(crop, squeeze_min=vi.squeeze, min_stroke=vi.min_stroke)
    raw, _ = reader.recognise(crop, squeeze, lexicon)
    if not clean_label(raw) and squeeze < 1.0 and vi.reread and reader.model.reading.squeeze:
        raw, _ = reader.recognise(crop, lexicon=lexicon)
    return clean_label(raw)


def score(reader: LineReader, lines: list[LabelledLine]) -> Score:
    edits = chars = 0
    for line in lines:
        edits += Levenshtein.distance(read_text(reader, line), line.text)
        chars += len(line.text)
    return Score(edits, chars, len(lines))


def evaluate(model: ModelRef, lines: list[LabelledLine], threads: int = 2) -> float:
    """The CER of `model` (a model dir, a RecModel, or None for the shipped one) on `lines`."""
    return score(reader_for(model, threads), lines).cer


def worse_sets(scores: dict[str, tuple[Score, Score]]) -> list[str]:
    """The regression sets (kind -> (candidate, current)) the candidate reads worse by more
    than REGRESSION_SLACK_EDITS characters."""
    return [kind for kind, (a, b) in scores.items() if a.edits > b.edits + REGRESSION_SLACK_EDITS]


@dataclass(frozen=True)
class GuardDecision:
    """Whether the candidate may be activated, and the measurements that decided it."""

    activate: bool
    reason: str
    heldout: dict[str, float]  # {"candidate": CER, "current": CER}
    regression: dict[str, dict[str, float]] = field(default_factory=dict)  # kind -> same

    def to_json(self) -> dict[str, object]:
        return {
            "activate": self.activate,
            "reason": self.reason,
            "heldout": self.heldout,
            "regression": self.regression,
        }


def guard(
    candidate: ModelRef,
    current: ModelRef,
    heldout: list[LabelledLine],
    regression: dict[str, list[LabelledLine]] | None = None,
    threads: int = 2,
) -> GuardDecision:
    """Activate `candidate` instead of `current` only if it reads `heldout` (corrections
    not used to train it) with a lower CER and reads no regression set worse (by more than
    REGRESSION_SLACK_EDITS characters)."""
    if not heldout:
        return GuardDecision(False, "no held-out corrections to measure on", {})
    if regression is None:
        from ocr_service.training.synthetic import load_regression_set

        regression = load_regression_set()
    new, old = reader_for(candidate, threads), reader_for(current, threads)
    held = {"candidate": score(new, heldout).cer, "current": score(old, heldout).cer}
    scores = {kind: (score(new, lines), score(old, lines)) for kind, lines in regression.items()}
    reg = {kind: {"candidate": a.cer, "current": b.cer} for kind, (a, b) in scores.items()}
    worse = [kind for kind, (a, b) in scores.items() if a.edits > b.edits + REGRESSION_SLACK_EDITS]
    if held["candidate"] >= held["current"]:
        reason = (
            f"held-out CER {held['candidate']:.4f} is not below the current {held['current']:.4f}"
        )
        return GuardDecision(False, reason, held, reg)
    if worse:
        return GuardDecision(
            False, f"reads the regression set worse: {', '.join(worse)}", held, reg
        )
    reason = f"held-out CER {held['current']:.4f} -> {held['candidate']:.4f}, regression no worse"
    return GuardDecision(True, reason, held, reg)
