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
from dataclasses import dataclass

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
PITCH = (0.4, 2.5)  # each word's width for its letters (_advance), x its neighbours'
NARROW = frozenset("iIlj!.,:;'|")
SEMI_NARROW = frozenset("tfrJ()")
WIDE = frozenset("mwMW")
# Words naming a place's unit: the name after them is capitalised ('xã Vân Lĩnh').
PLACE_UNITS = frozenset(
    [
        "xã",
        "phường",
        "huyện",
        "quận",
        "tỉnh",
        "thôn",
        "xóm",
        "ấp",
        "bản",
        "làng",
        "tổ",
        "trấn",
        "phố",
        "thị",
        "khu",
    ]
)
LOWER_MAX = 0.35  # a first letter this far up from the body to the tall letters is lower case
UPPER_MIN = 0.55  # ... and this far up, upper case
SAME_SIZE = (0.85, 1.18)  # a label's letters as high as the value's, within this ratio


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


@dataclass(frozen=True)
class _Words:
    """The ink's words: each word's x span, the widest gap inside it, and the gap cut after
    each word but the last."""

    spans: list[tuple[int, int]]
    inner: list[int]
    cuts: list[int]

    def clear(self, lo: int, hi: int) -> bool:
        """Whether the cuts around words lo..hi are clearly wider than any gap inside the
        words around them: the gaps found there are the reading's spaces. Checked near the
        word only: a label in another font may space its letters as wide as its words."""
        bounds = self.cuts[max(lo - 1, 0) : min(hi + 1, len(self.cuts))]
        inside = max(self.inner[max(lo - 1, 0) : min(hi + 2, len(self.inner))], default=0)
        return bool(bounds) and min(bounds) >= GAP_MARGIN * max(inside, 1)


def _word_spans(glyphs: np.ndarray, n_words: int) -> _Words | None:
    """`n_words` words cut at the n-1 widest gaps between glyph columns; None when the ink has
    fewer columns than words. Whether a cut is a real space is checked per word (_Words.clear)."""
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
    edges = sorted(i for _, i in sorted(gaps, reverse=True)[: n_words - 1])
    spans: list[tuple[int, int]] = []
    inner: list[int] = []
    start = 0
    for i in [*edges, len(runs) - 1]:
        spans.append((runs[start][0], runs[i][1]))
        inner.append(max((runs[k + 1][0] - runs[k][1] for k in range(start, i)), default=0))
        start = i + 1
    return _Words(spans, inner, [runs[i + 1][0] - runs[i][1] for i in edges])


def _in_span(glyphs: np.ndarray, x0: int, x1: int) -> np.ndarray:
    """The glyphs that start in columns x0..x1-1."""
    return glyphs[(glyphs[:, 0] >= x0) & (glyphs[:, 0] < x1)]


def _letters_fit(glyphs: np.ndarray, span: tuple[int, int], word: str) -> bool:
    """No more letter-sized ink pieces in the span than the word has letters: a span holding
    the next word's letters ('Vinh' where 'xã' was looked for) is a misplaced cut."""
    return len(_in_span(glyphs, *span)) <= sum(ch.isalnum() or ch in ",;" for ch in word)


def _advance(word: str) -> float:
    """A word's rough printed width in em: narrow, wide and capital letters differ by 3x."""
    total = 0.0
    for ch in word:
        base = unicodedata.normalize("NFD", ch)[:1]
        if base in NARROW:
            total += 0.28
        elif base in SEMI_NARROW:
            total += 0.38
        elif base in WIDE:
            total += 0.85
        elif base.isupper():
            total += 0.68
        else:
            total += 0.55
    return max(total, 0.28)


def _fits(spans: list[tuple[int, int]], words: list[str]) -> bool:
    """Whether each ink word is about as wide as its letters make it, against its
    neighbours: the gaps found are the reading's spaces, not gaps inside a word of a hand
    that lifts its pen, and no word took its neighbour's letters."""
    ratio = np.array([(x1 - x0) / _advance(w) for (x0, x1), w in zip(spans, words, strict=True)])
    mid = float(np.median(ratio))
    return bool(((ratio >= PITCH[0] * mid) & (ratio <= PITCH[1] * mid)).all())


def _name_goes_on(words: list[str], i: int) -> bool:
    """Whether word i continues a proper name, which Vietnamese writes with every syllable
    capitalised: after a capitalised word ('Tam Sơn', 'Thanh Ba') or after a place's unit
    word ('xã Vân Lĩnh'). Hands that write some capitals small ('Sơn', 'Vinh' about as high
    as the letters beside them) are not lowered there."""
    if i == 0:
        return False
    before = words[i - 1]
    if not before or not before[-1].isalnum():
        return False  # 'Nơi cư trú: Xã …', 'Xóm 4, xã …': a value or a clause starts
    return before[0].isupper() or before.lower() in PLACE_UNITS


def _size_only(ch: str) -> bool:
    base = unicodedata.normalize("NFD", ch)[:1]
    return base in SIZE_ONLY and base.isalpha()


def _lead_height(labels: np.ndarray, glyph: np.ndarray, width: int) -> int:
    """The height of a glyph's ink in its first `width` columns: a letter that touches the
    next one ('ch' as one blob) is measured on itself."""
    x0, _, x1, _, label = (int(v) for v in glyph)
    rows = np.flatnonzero((labels[:, x0 : min(x1, x0 + max(width, 1))] == label).any(axis=1))
    return int(rows[-1] - rows[0] + 1) if len(rows) else 0


def _median_height(glyphs: np.ndarray, span: tuple[int, int]) -> float:
    inside = _in_span(glyphs, *span)
    return float(np.median(inside[:, 3] - inside[:, 1])) if len(inside) else 0.0


def _same_size(glyphs: np.ndarray, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two words' letters are about as high (a label printed in the value's size)."""
    ha, hb = _median_height(glyphs, a), _median_height(glyphs, b)
    return ha > 0 and hb > 0 and SAME_SIZE[0] <= ha / hb <= SAME_SIZE[1]


def _rise(
    glyphs: np.ndarray,
    labels: np.ndarray,
    found: _Words,
    words: list[str],
    i: int,
    span: tuple[int, int],
) -> float | None:
    """Where word i's first letter stands between the lower-case body and the tall letters
    of words span[0]..span[1]: 0 at the body, 1 at the tall letters; None when the ink does
    not say."""
    spans = found.spans
    a, b = span
    x0, x1 = spans[i]
    lo, hi = max(a - 1, 0), min(b + 1, len(spans) - 1)
    if not found.clear(a, b) or not _fits(spans[lo : hi + 1], words[lo : hi + 1]):
        return None
    if not all(_letters_fit(glyphs, spans[k], words[k]) for k in (a, b)):
        return None
    # Letters only: a blob of joined letters and marks has no height.
    near = _in_span(glyphs, spans[a][0], spans[b][1])
    near = near[near[:, 2] - near[:, 0] <= LETTER_WIDTH * (near[:, 3] - near[:, 1])]
    if len(near) < 3:
        return None
    heights = near[:, 3] - near[:, 1]
    tallest = float(heights.max())
    baseline = float(np.median(near[:, 3]))
    on_base = np.abs(near[:, 3] - baseline) <= BASE_TOL * tallest
    if on_base.sum() < 3:
        return None
    sitting = heights[on_base]
    # The lower-case body: the shortest letter (a comma or a dot is not one).
    tall = float(sitting.max())
    body = float(sitting[sitting >= BODY_MIN * tall].min())
    if tall < TALL_RATIO * body:
        return None
    own = _in_span(glyphs, x0, x1)
    if not len(own):
        return None
    first = own[int(np.argmin(own[:, 0]))]
    # The word's first letter sits on the baseline where the word starts.
    if abs(float(first[3]) - baseline) > BASE_TOL * tallest:
        return None
    h = _lead_height(labels, first, round(0.6 * body))
    # Where it stands between the body and the tall letters; in between says nothing.
    return (h - body) / (tall - body)


def true_case(grey: np.ndarray, text: str) -> str:
    """`text` with each word-opening size-only letter in the case its ink's height shows."""
    words = text.split(" ")
    targets = [i for i, w in enumerate(words) if w and _size_only(w[0])]
    if not targets or grey.ndim != 2 or grey.size == 0:
        return text
    glyphs, labels = _glyphs(grey)
    if len(glyphs) < 3:
        return text
    found = _word_spans(glyphs, len(words))
    if found is None:
        return text
    spans = found.spans
    out = list(words)
    for i in targets:
        # The line's letters near the word: the baseline and the body and tall heights of a
        # long or slanted line change along it, and a label's font is not the value's.
        # The word and the next (the one before for the last). A one-word value after its
        # label ('… người chết: con') is measured alone, and with the label only when the
        # label's letters are about as high as its own.
        if i + 1 < len(spans):
            rise = _rise(glyphs, labels, found, words, i, (i, i + 1))
        elif i == 0 or not words[i - 1].endswith(":"):
            rise = _rise(glyphs, labels, found, words, i, (max(i - 1, 0), i))
        else:
            rise = _rise(glyphs, labels, found, words, i, (i, i))
            if rise is None and _same_size(glyphs, spans[i - 1], spans[i]):
                rise = _rise(glyphs, labels, found, words, i, (i - 1, i))
        if rise is None:
            continue
        letter = words[i][0]
        if rise <= LOWER_MAX:
            if not _name_goes_on(words, i):
                out[i] = letter.lower() + words[i][1:]
        elif rise >= UPPER_MIN:
            out[i] = letter.upper() + words[i][1:]
    return " ".join(out)
