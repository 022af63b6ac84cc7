"""Signature blocks: split footer lines into signature columns, tell names from scribbles."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ocr_service.ocr.containers import BBox, OcrLine

# Edges of a name: OCR glues scribble strokes to it ('1Nguyễn Tiến Hùng', 'Lê Văn An/').
_EDGE_JUNK = re.compile(r"^[\W\d_]+|[\W\d_]+$")

# Runs of ink along a footer line (set with the signature columns, 83eab5f, on the vi-OCR
# fixtures of tests/resources/extract). Lengths are in the line's box heights.
INK_GREY = 128  # grey level: darker pixels are ink
SPACE_MIN = 0.15  # a blank at least this wide between inked columns is a space between words
# Two signers' names are further apart than the words of one: a blank wider than GAP_SPACES
# times the line's median space (and at least GAP_MIN) ends a run.
GAP_SPACES = 1.8
GAP_MIN = 0.3
MAX_INK_RUNS = 6  # a signature block has a few columns: more runs are broken ink, not names


@dataclass(frozen=True)
class Piece:
    """The words of one OCR line that fall in one signature column."""

    text: str
    bbox: BBox
    confidence: float
    column: int


def clean_name(text: str) -> str:
    """A name without the stroke marks and commas OCR glued to its words ('Đạ, Hóa')."""
    words = (_EDGE_JUNK.sub("", w) for w in text.split())
    return " ".join(w for w in words if w)


def looks_like_name(text: str) -> bool:
    """A written person's name: two or more words of letters only, two of them 2+ letters long.

    Signature scribbles read as text are one short word or carry marks ('A', 'Vv V', 'J/v',
    'Cứu.ơw'); a printed caption or page footer carries digits or a colon ('Trang số 1').
    """
    raw = text.split()
    words = clean_name(text).split()
    if len(words) < 2 or len(words) < len(raw) - 1 or not all(w.isalpha() for w in words):
        return False
    return sum(len(w) >= 2 for w in words) >= 2 and sum(len(w) for w in words) >= 6


def _ink_segments(line: OcrLine, image: np.ndarray[Any, Any] | None) -> list[tuple[int, int, int]]:
    """Runs of ink along the line split at gaps wider than its word spaces: (x0, x1, words)."""
    x0, y0, x1, y1 = line.bbox
    whole = [(x0, x1, len(line.text.split()))]
    if image is None or x1 - x0 < 4 or y1 - y0 < 4:
        return whole
    crop = image[max(0, y0) : y1, max(0, x0) : x1]
    if crop.size == 0:
        return whole
    gray = crop if crop.ndim == 2 else crop.mean(axis=2)
    xs = np.flatnonzero((gray < INK_GREY).sum(axis=0) >= 2)
    if xs.size == 0:
        return whole
    gaps = np.diff(xs) - 1
    h = y1 - y0
    # A gap between two signers' names is wider than the spaces between words on that line.
    space_min = SPACE_MIN * h
    spaces = gaps[gaps >= space_min]
    gap_min = max(GAP_MIN * h, GAP_SPACES * float(np.median(spaces)) if spaces.size else 0.0)
    segs: list[tuple[int, int, int]] = []
    start, words = int(xs[0]), 1
    base = max(0, x0)
    for i, g in enumerate(gaps.tolist()):
        if g > gap_min:
            segs.append((base + start, base + int(xs[i]) + 1, words))
            start, words = int(xs[i + 1]), 1
        elif g >= space_min:
            words += 1
    segs.append((base + start, base + int(xs[-1]) + 1, words))
    return segs


def _cut_words(lens: list[int], segs: list[tuple[int, int, int]]) -> list[int]:
    """Word index where each ink run after the first starts.

    The cut that best matches the word count seen in each run (spaces in its ink) wins; the
    share of letters against the share of width breaks ties.
    """
    n = len(lens)
    if len(segs) > n:
        return list(range(1, n))
    total = sum(lens)
    wsum = float(sum(b - a for a, b, _ in segs)) or 1.0
    best: tuple[float, tuple[int, ...]] | None = None
    for cuts in itertools.combinations(range(1, n), len(segs) - 1):
        bounds = [0, *cuts, n]
        cost = 0.0
        for k, (a, b, words) in enumerate(segs):
            cnt = bounds[k + 1] - bounds[k]
            share = sum(lens[bounds[k] : bounds[k + 1]]) / total
            cost += abs(cnt - words) + abs(share - (b - a) / wsum)
        if best is None or cost < best[0]:
            best = (cost, cuts)
    return list(best[1]) if best else []


def word_centres(line: OcrLine, image: np.ndarray[Any, Any] | None = None) -> list[float]:
    """Estimated x centre of every word of a line (no glyph boxes from the engine).

    Words are spread over the line by their letter counts; with the page image, over the
    runs of ink instead, so a line the engine joined across wide gaps (names centred under
    neighbouring signatures) keeps each name over its own run. More runs than words (the
    engine skipped a scribble) cannot each hold a word: the words are spread over the line.
    """
    words = line.text.split()
    if not words:
        return []
    lens = [len(w) for w in words]
    segs = _ink_segments(line, image)
    if len(segs) == 1 or len(segs) > min(MAX_INK_RUNS, len(words)):
        segs = [(line.bbox[0], line.bbox[2], len(words))]
    bounds = [0, *_cut_words(lens, segs), len(words)]
    out: list[float] = []
    for k, (a, b, _) in enumerate(segs):
        ws = range(bounds[k], bounds[k + 1])
        # Letters plus one space per gap spread linearly over the run.
        span = sum(lens[i] for i in ws) + max(0, len(ws) - 1)
        pos = 0
        for i in ws:
            out.append(a + (b - a) * (pos + lens[i] / 2) / max(1, span))
            pos += lens[i] + 1
    return out


def split_into_columns(
    line: OcrLine, edges: list[float], image: np.ndarray[Any, Any] | None = None
) -> list[Piece]:
    """The words of a line grouped by column (edges: inner borders, left to right)."""
    words = line.text.split()
    centres = word_centres(line, image)
    groups: dict[int, list[tuple[str, float]]] = {}
    for w, cx in zip(words, centres, strict=True):
        col = sum(cx >= e for e in edges)
        groups.setdefault(col, []).append((w, cx))
    x0, y0, x1, y1 = line.bbox
    char_w = (x1 - x0) / max(1, len(line.text))
    pieces = []
    for col, ws in sorted(groups.items()):
        text = " ".join(w for w, _ in ws)
        left = max(x0, int(ws[0][1] - len(ws[0][0]) * char_w / 2))
        right = min(x1, int(ws[-1][1] + len(ws[-1][0]) * char_w / 2) + 1)
        box = (x0, y0, x1, y1) if len(groups) == 1 else (left, y0, right, y1)
        pieces.append(Piece(text, box, line.confidence, col))
    return pieces
