"""One text line crop in, its text and per-character probabilities out: the recogniser model
(rec_model.RecModel) on its runtime (recogniser.py), read with the model's convention.

The `vi` engine reads every page line through this; ocr_service/training measures models
through it too, so a model is judged the way it will read.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from ocr_service.ocr.ctc_beam import GREEDY, Decoding, Lexicon
from ocr_service.ocr.line_crops import is_gap, split_points
from ocr_service.ocr.rec_model import RecModel
from ocr_service.ocr.recogniser import (
    REC_HEIGHT,
    REC_MAX_WIDTH,
    Recogniser,
    load_recogniser,
    rec_input,
    rec_tensor,
    rec_width,
)

# The greedy reading's characters, each with the x (crop px) of the step it was read at.
GreedyPath = tuple[tuple[str, float], ...]

CHUNK = 512  # px at height 32 (SOHOA_VI_CHUNK): longer lines are read in pieces
CHUNK_WHOLE = 1.25  # x chunk: lines up to this long are read whole


@dataclass(frozen=True)
class LineRead:
    """A crop's reading: its text and character probabilities (the reader's decoding), and
    the greedy path's characters with the x (crop px) where each was read."""

    text: str
    probs: list[float]
    path: GreedyPath


@dataclass(frozen=True)
class LineReader:
    """Reads line crops with one recogniser model on one runtime."""

    model: RecModel
    rec: Recogniser
    chunk: int = CHUNK
    decoding: Decoding = GREEDY

    def decode(
        self, log_probs: np.ndarray, lexicon: Lexicon | None = None
    ) -> tuple[str, list[float]]:
        """The text and the peak probability of every emitted character (ctc_beam.py), read
        the way `decoding` says; `lexicon` biases a beam-vocab reading."""
        return self.decoding.decode(log_probs[:, 0, :], self.model.chars, self.model.blank, lexicon)

    def recognise(
        self, grey: np.ndarray, squeeze: float = 1.0, lexicon: Lexicon | None = None
    ) -> tuple[str, list[float]]:
        """The crop's raw text and character probabilities. `squeeze` narrows it (only where
        the model's reading convention allows it); `lexicon`: the book's words (beam-vocab)."""
        read = self.read(grey, squeeze, lexicon)
        return read.text, read.probs

    def read(
        self, grey: np.ndarray, squeeze: float = 1.0, lexicon: Lexicon | None = None
    ) -> LineRead:
        """recognise(), with the greedy path's characters placed on the crop (LineRead.path)."""
        h, w = grey.shape
        if h < 2 or w < 2:
            return LineRead("", [], ())
        reading = self.model.reading
        squeeze = squeeze if reading.squeeze else 1.0
        factor = squeeze * reading.width
        natural = w * REC_HEIGHT * factor / h
        step = self.rec.width_step
        if natural <= min(REC_MAX_WIDTH, int(self.chunk * CHUNK_WHOLE)):
            out = self.rec.run(rec_tensor(grey, squeeze, step, reading))
            text, probs = self.decode(out, lexicon)
            return LineRead(text, probs, greedy_path(out, self.model, 0.0, float(w)))
        # Longer lines are cut at blank columns into pieces of ≤ chunk px, read one by
        # one and joined: the model has 1024 px at most, CTC needs a time step (4 px) per
        # character, and attention costs grow faster than the width (2 x 512 px is about
        # half the time of 1 x 1024 px). Cut, never squeezed below the convention's width.
        nw = rec_width(h, w, factor)
        grey32 = cv2.resize(grey, (nw, REC_HEIGHT), interpolation=cv2.INTER_AREA)
        bounds = [0, *split_points(grey32, self.chunk), nw]
        text, probs = "", []
        path: list[tuple[str, float]] = []
        for a, b in itertools.pairwise(bounds):
            out = self.rec.run(rec_input(grey32[:, a:b], reading.scale, step))
            piece_text, piece_probs = self.decode(out, lexicon)
            if text and piece_text and is_gap(grey32, a):
                text += " "  # the cut fell in a gap between words
            text += piece_text
            probs += piece_probs
            path += greedy_path(out, self.model, a * w / nw, b * w / nw)
        return LineRead(text, probs, tuple(path))


def greedy_path(out: np.ndarray, model: RecModel, x0: float, x1: float) -> GreedyPath:
    """The characters of the greedy reading of `out` [T, 1, C], each at the middle of its first
    step mapped onto the crop's x0..x1 (the input is the crop resized, never padded)."""
    best = out[:, 0, :].argmax(axis=1).tolist()
    steps = len(best)
    found: list[tuple[str, float]] = []
    prev = -1
    for t, idx in enumerate(best):
        if idx != prev and idx != model.blank and idx < len(model.chars):
            found.append((model.chars[idx], x0 + (t + 0.5) * (x1 - x0) / steps))
        prev = idx
    return tuple(found)


def line_reader(
    model: RecModel,
    threads: int,
    runtime: str = "onnxruntime",
    *,
    int8: bool | None = None,
    width_step: int = 16,
    chunk: int = CHUNK,
    decoding: Decoding = GREEDY,
) -> LineReader:
    """A LineReader for `model` on `runtime` ("auto", "onnxruntime", "openvino")."""
    rec = load_recogniser(model.path, threads, runtime, int8=int8, width_step=width_step)
    return LineReader(model=model, rec=rec, chunk=chunk, decoding=decoding)
