"""Watching a training run for drift, and keeping the last weights that did not drift.

A fine-tune on one book's corrections (some 60 field crops of one hand) moves the model toward
that hand and, step by step, away from everything else. The guard refuses a version that reads
its fixed regression set of print and handwriting-font lines worse, and that is right; but a
run that drifted at step 30 of 40 then produced nothing, although its weights at step 20 had
learnt the hand without the drift. docs/BENCHMARKS.md "The learning loop end to end": three of
eight runs of the loop were refused so, the regression sets 3-13 characters worse.

So a run keeps some of its replay lines out of training (the check lines: synthetic print and
handwriting-font lines of the run's own seed, never the guard's regression set) and reads them
with greedy CTC every few steps (`due`): on each kind, a checkpoint may read them at most
`slack` characters worse than the base weights did. The run ends with its last checkpoint that
held; if none did, with the base weights. This is early stopping on a validation set, as
kraken's trainer keeps its best model by validation accuracy, with the validation set made of
what must not be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein

from ocr_service.ocr.ctc_beam import greedy_decode
from ocr_service.ocr.recogniser import Reading
from ocr_service.training.convert import training_mode
from ocr_service.training.data import LabelledLine
from ocr_service.training.memory import reading_memory
from ocr_service.training.preprocess import encode, fits, targets

FIRST_CHECK = 10  # steps before the first check
CHECK_SHARE = 0.1  # later checks every max(FIRST_CHECK, this share of the steps done)
CHECK_EVERY_NTH = 4  # every 4th replay line of a kind is a check line (not trained on)
CHECK_LINES = 40  # check lines per kind at most


def due(step: int, last_check: int) -> bool:
    """Whether a check is due after `step` steps, the last one having been at `last_check`:
    after FIRST_CHECK steps, then ever more rarely (a ~1,500-step run checks ~40 times)."""
    return step - last_check >= max(FIRST_CHECK, round(step * CHECK_SHARE))


def split_check(
    replay: list[LabelledLine],
) -> tuple[list[LabelledLine], dict[str, list[LabelledLine]]]:
    """(the replay lines to train on, kind -> check lines). A line's kind is the first part of
    its name ('print/0/3/7' from synthetic.synthetic_lines); other names make one kind."""
    kinds: dict[str, list[LabelledLine]] = {}
    for line in replay:
        kinds.setdefault(line.name.split("/", 1)[0] if "/" in line.name else "replay", []).append(
            line
        )
    check: dict[str, list[LabelledLine]] = {}
    keep: list[LabelledLine] = []
    for kind, lines in kinds.items():
        held = lines[::CHECK_EVERY_NTH][:CHECK_LINES]
        if len(lines) - len(held) < 1:
            keep.extend(lines)  # too few to spare any
            continue
        check[kind] = held
        chosen = {id(line) for line in held}
        keep.extend(line for line in lines if id(line) not in chosen)
    return keep, check


@dataclass
class DriftCheck:
    """The check lines, encoded once, the base weights' errors on them, and the run's kept
    checkpoint (the last weights that held)."""

    reading: Reading
    chars: list[str]
    blank: int
    slack: int
    # The share of the learnt change the run will keep (TrainConfig.keep): a checkpoint is
    # judged as it would end, base + keep x (checkpoint - base).
    keep: float = 1.0
    sets: dict[str, list[tuple[np.ndarray, str]]] = field(default_factory=dict)
    base: dict[str, int] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    kept_step: int = 0
    _kept: dict[str, Any] | None = None  # the weights of kept_step
    _base: dict[str, Any] | None = None  # the weights the run started from
    _last_check: int = 0

    @classmethod
    def build(
        cls,
        check: dict[str, list[LabelledLine]],
        reading: Reading,
        chars: list[str],
        blank: int,
        slack: int,
        keep: float = 1.0,
    ) -> DriftCheck:
        index = {ch: i for i, ch in enumerate(chars) if ch and i != blank}
        out = cls(reading, chars, blank, slack, keep)
        for kind, lines in check.items():
            encoded = []
            for line in lines:
                target = targets(line.text, index)
                if target is not None and fits(line.image, target, reading):
                    encoded.append((encode(line.image, reading), "".join(chars[i] for i in target)))
            if encoded:
                out.sets[kind] = encoded
        return out

    def edits(self, model: Any) -> dict[str, int]:
        """Character edits per kind, the model reading each check line alone, greedy CTC."""
        import torch

        was_training = model.training
        model.eval()
        out: dict[str, int] = {}
        with torch.no_grad(), reading_memory():
            for kind, lines in self.sets.items():
                total = 0
                for image, text in lines:
                    log_probs = model(torch.from_numpy(image[None]))[:, 0].numpy()
                    read, _ = greedy_decode(log_probs, self.chars, self.blank)
                    total += Levenshtein.distance(read, text)
                out[kind] = total
        if was_training:
            training_mode(model)
        return out

    def start(self, model: Any) -> None:
        """Reads the check lines with the base weights and keeps those weights."""
        if not self.sets:
            return
        self.base = self.edits(model)
        self.history.append({"step": 0, **self.base})
        self._kept = _snapshot(model)
        if self.keep != 1:
            self._base = self._kept

    def after_step(self, model: Any, step: int) -> None:
        """A check when one is due (`due`): weights that hold become the kept checkpoint."""
        if self._kept is not None and due(step, self._last_check):
            self._check(model, step)

    def finish(self, model: Any, steps: int) -> None:
        """Checks the final weights (unless just checked) and puts back the last checkpoint
        that held if they did not."""
        if self._kept is None:
            return
        if self._last_check != steps:
            self._check(model, steps)
        if not self.history[-1]["held"]:
            model.load_state_dict(self._kept)

    def _check(self, model: Any, step: int) -> None:
        now = self._blended_edits(model) if self._base is not None else self.edits(model)
        held = all(now[kind] <= self.base[kind] + self.slack for kind in now)
        self.history.append({"step": step, **now, "held": held})
        self._last_check = step
        if held:
            self.kept_step = step
            self._kept = _snapshot(model)

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": {kind: len(lines) for kind, lines in self.sets.items()},
            "chars": {kind: sum(len(t) for _, t in lines) for kind, lines in self.sets.items()},
            "slack_edits": self.slack,
            "keep": self.keep,
            "kept_step": self.kept_step,
            "history": self.history,
        }

    def _blended_edits(self, model: Any) -> dict[str, int]:
        """The edits of the weights the run would end with if it ended now."""
        assert self._base is not None
        learnt = _snapshot(model)
        model.load_state_dict(blend(self._base, learnt, self.keep))
        try:
            return self.edits(model)
        finally:
            model.load_state_dict(learnt)


def blend(base: dict[str, Any], learnt: dict[str, Any], keep: float) -> dict[str, Any]:
    """base + keep x (learnt - base) for every floating-point tensor; others as learnt."""
    return {
        k: base[k] + keep * (v - base[k]) if v.is_floating_point() else v for k, v in learnt.items()
    }


def _snapshot(model: Any) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
