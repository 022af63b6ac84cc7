"""Size-only letters: the case of a word's first letter where only its size tells it (#13).

'x' and 'X' (and c, o, s, v, w, z, with or without a detached mark: 'ô', 'Ó') have the same
shape in most fonts and hands; only the height says which the book wrote. The recogniser sees
a line squeezed to a fixed height and often guesses from habit: a value that opens with
'xã' is read 'Xã', which rewrites the book's case. After a line is read, each word that opens
with such a letter is found on the crop (word gaps matched to the reading's spaces) and its
first glyph's height is compared with the line's lower-case body and its tall letters; the
reading's letter takes the case the ink shows. Nothing changes when the words cannot be
matched to the ink or the line has no clear body and tall heights.
"""

from __future__ import annotations

import unicodedata

import cv2
import numpy as np

SIZE_ONLY = frozenset("cosvwxzCOSVWXZ")  # same shape in both cases (base letter, NFD)
MIN_AREA = 6  # px: specks, leader dots and commas are not letters
MIN_HEIGHT = 0.3  # of the tallest glyph: marks and punctuation are not letters
BASE_TOL = 0.12  # of the tallest glyph: a glyph that sits on the line's baseline
GAP_MARGIN = 1.4  # the narrowest word gap is this much wider than the widest letter gap
BODY_MIN = 0.45  # of the tallest letter: shorter ink sitting on the line is punctuation
TALL_RATIO = 1.25  # the tall letters are this much taller than the body, or no verdict
LETTER_WIDTH = 1.2  # x its height: wider ink is letters run together
PITCH = (0.4, 2.5)  # each word's width per letter, x the line's: else the gaps are not words
LOWER_MAX = 0.35  # a first letter this far up from the body to the tall letters is lower case
UPPER_MIN = 0.55  # ... and this far up, upper case


def _glyphs(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x0, y0, x1, y1 and label of the crop's letter-sized ink components (ink is dark), and
    the crop's component labels."""
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    none = np.zeros((0, 5), np.int64)
    if n <= 1:
        return none, labels
    st = np.column_stack([stats, np.arange(n)])[1:]
    st = st[st[:, cv2.CC_STAT_AREA] >= MIN_AREA]
    if not len(st):
        return none, labels
    h = st[:, cv2.CC_STAT_HEIGHT]
    w = st[:, cv2.CC_STAT_WIDTH]
    # Ruled or dotted lines under the writing are long and flat.
    st = st[(h >= MIN_HEIGHT * h.max()) & (w <= 4 * np.maximum(h, 1) + h.max())]
    x0, y0 = st[:, cv2.CC_STAT_LEFT], st[:, cv2.CC_STAT_TOP]
    x1, y1 = x0 + st[:, cv2.CC_STAT_WIDTH], y0 + st[:, cv2.CC_STAT_HEIGHT]
    return np.stack([x0, y0, x1, y1, st[:, -1]], 1), labels


def _word_spans(glyphs: np.ndarray, n_words: int) -> list[tuple[int, int]] | None:
    """The x span of each of `n_words` words: the n-1 widest gaps between glyph columns, when
    they are clearly wider than every other gap; None when the ink does not say."""
    order = np.argsort(glyphs[:, 0])
    runs: list[list[int]] = []
    for i in order:
        x0, x1 = int(glyphs[i, 0]), int(glyphs[i, 2])
        if runs and x0 <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], x1)
        else:
            runs.append([x0, x1])
    if len(runs) < n_words:
        return None
    gaps = [(runs[i + 1][0] - runs[i][1], i) for i in range(len(runs) - 1)]
    ranked = sorted(gaps, reverse=True)
    cut = ranked[: n_words - 1]
    rest = ranked[n_words - 1 :]
    if rest and cut and cut[-1][0] < GAP_MARGIN * max(rest[0][0], 1):
        return None
    edges = sorted(i for _, i in cut)
    spans: list[tuple[int, int]] = []
    start = 0
    for i in [*edges, len(runs) - 1]:
        spans.append((runs[start][0], runs[i][1]))
        start = i + 1
    return spans


def _fits(spans: list[tuple[int, int]], words: list[str]) -> bool:
    """Whether each ink word is about as wide per letter as the line: the gaps found are
    the reading's spaces, not gaps inside a word of a hand that lifts its pen."""
    pitch = np.array([(x1 - x0) / max(len(w), 1) for (x0, x1), w in zip(spans, words, strict=True)])
    mid = float(np.median(pitch))
    return bool(((pitch >= PITCH[0] * mid) & (pitch <= PITCH[1] * mid)).all())


def _size_only(ch: str) -> bool:
    base = unicodedata.normalize("NFD", ch)[:1]
    return base in SIZE_ONLY and base.isalpha()


def _lead_height(labels: np.ndarray, glyph: np.ndarray, width: int) -> int:
    """The height of a glyph's ink in its first `width` columns: a letter that touches the
    next one ('ch' as one blob) is measured on itself."""
    x0, _, x1, _, label = (int(v) for v in glyph)
    rows = np.flatnonzero((labels[:, x0 : min(x1, x0 + max(width, 1))] == label).any(axis=1))
    return int(rows[-1] - rows[0] + 1) if len(rows) else 0


def true_case(grey: np.ndarray, text: str) -> str:
    """`text` with each word-opening size-only letter in the case its ink's height shows."""
    words = text.split(" ")
    targets = [i for i, w in enumerate(words) if w and _size_only(w[0])]
    if not targets or grey.ndim != 2 or grey.size == 0:
        return text
    glyphs, labels = _glyphs(grey)
    if len(glyphs) < 3:
        return text
    spans = _word_spans(glyphs, len(words))
    if spans is None or not _fits(spans, words):
        return text
    order = np.argsort(glyphs[:, 0], kind="stable")
    out = list(words)
    for i in targets:
        x0, x1 = spans[i]
        # The line's letters near the word: the baseline and the body and tall heights of a
        # long or slanted line change along it, and a label's font is not the value's.
        # The word and the next (the one before for the last): a label before a value may be
        # in another font. Letters only: a blob of joined letters and marks has no height.
        a, b = (i, i + 1) if i + 1 < len(spans) else (max(i - 1, 0), i)
        near = glyphs[(glyphs[:, 0] >= spans[a][0]) & (glyphs[:, 0] < spans[b][1])]
        near = near[near[:, 2] - near[:, 0] <= LETTER_WIDTH * (near[:, 3] - near[:, 1])]
        if len(near) < 3:
            continue
        heights = near[:, 3] - near[:, 1]
        tallest = float(heights.max())
        baseline = float(np.median(near[:, 3]))
        on_base = np.abs(near[:, 3] - baseline) <= BASE_TOL * tallest
        if on_base.sum() < 3:
            continue
        sitting = heights[on_base]
        # The lower-case body: the shortest letter (a comma or a dot is not one).
        tall = float(sitting.max())
        body = float(sitting[sitting >= BODY_MIN * tall].min())
        if tall < TALL_RATIO * body:
            continue
        first = [j for j in order if x0 <= glyphs[j, 0] < x1]
        # The word's first letter sits on the baseline where the word starts.
        if not first or abs(float(glyphs[first[0], 3]) - baseline) > BASE_TOL * tallest:
            continue
        h = _lead_height(labels, glyphs[first[0]], round(0.6 * body))
        # Where it stands between the body and the tall letters; in between says nothing.
        rise = (h - body) / (tall - body)
        letter = words[i][0]
        if rise <= LOWER_MAX:
            out[i] = letter.lower() + words[i][1:]
        elif rise >= UPPER_MIN:
            out[i] = letter.upper() + words[i][1:]
    return " ".join(out)
