"""Crossed-out words: a word struck through by a clerk is not part of the value (#13).

A clerk who writes a word wrong strikes it through and writes it again after it; the book's
text is the rewritten word ('Hồ Đăng ~~Lonê~~ Long' says 'Hồ Đăng Long'). The recogniser reads
the struck word as a word. On a line crop, a strike is a long, nearly level stroke through
the middle of the writing, longer than any stroke of a letter; the ink it crosses (the word)
is painted over before the line is read.
"""

from __future__ import annotations

import cv2
import numpy as np

BODY = 1.3  # crop height / height of the writing (crop_line pads 0.15 of it above and below)
MIN_LENGTH = 1.3  # a strike is at least this many writing heights long
MIN_PX = 20
MAX_SHARE = 0.7  # ... and leaves room for the rewritten word: a rule across the line is not one
MIDDLE = (0.3, 0.72)  # its height within the crop: through the letters, not under or over them
THICK_MAX = 0.22  # of the writing height: thicker level ink is a bar or a blot, not a stroke
ANGLES = tuple(range(-12, 13, 3))  # degrees
GAP = 3  # px beside the strike's line that are the stroke's own width
REACH = 0.3  # of the writing height: where the crossed letters' ink is looked for
CROSSED = 0.25  # share of its length with letters' ink above, and below


def line_kernel(length: int, angle: float) -> np.ndarray:
    """A one-pixel straight line `length` long at `angle` degrees, as a structuring element."""
    dy = round(np.tan(np.radians(angle)) * (length - 1))
    kernel = np.zeros((abs(dy) + 1, length), np.uint8)
    y0, y1 = (0, abs(dy)) if dy >= 0 else (abs(dy), 0)
    cv2.line(kernel, (0, y0), (length - 1, y1), 1, 1)
    return kernel


def find_strikes(grey: np.ndarray) -> list[tuple[int, int]]:
    """(x0, x1) of the strikes through a line crop's words."""
    h, w = grey.shape[:2]
    if h < 12 or w < 3 * h:
        return []
    body = h / BODY
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    length = max(MIN_PX, round(MIN_LENGTH * body))
    # Where a straight line this long fits in the ink, at one of a few slants of a hand.
    level = np.zeros_like(ink)
    for angle in ANGLES:
        level = cv2.bitwise_or(
            level, cv2.morphologyEx(ink, cv2.MORPH_OPEN, line_kernel(length, angle))
        )
    n, _, stats, _ = cv2.connectedComponentsWithStats(level, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, bw, bh, _ = (int(v) for v in stats[i])
        centre = (y + bh / 2) / h
        if not (MIDDLE[0] <= centre <= MIDDLE[1]):
            continue
        if bw > MAX_SHARE * w or bh - 4 > THICK_MAX * body:
            continue
        # Through letters, not along their top or foot (the arch of an 'm', a 'T''s bar, the
        # foot of a '2'): the struck letters' ink stands both above and below it.
        reach = max(3, round(REACH * body))
        above = ink[max(0, y - GAP - reach) : max(0, y - GAP), x : x + bw].any(axis=0)
        below = ink[y + bh + GAP : y + bh + GAP + reach, x : x + bw].any(axis=0)
        if above.size == 0 or below.size == 0:
            continue
        if above.mean() < CROSSED or below.mean() < CROSSED:
            continue
        out.append((x, x + bw))
    return out


def erase_struck_words(grey: np.ndarray) -> np.ndarray:
    """The crop with its struck words painted over in the paper's tone (a copy; the crop
    itself when nothing is struck)."""
    strikes = find_strikes(grey)
    if not strikes:
        return grey
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    paper = int(np.percentile(grey, 90))
    out = grey.copy()
    for x0, x1 in strikes:
        for i in range(1, n):
            cx, _, cw, _, _ = (int(v) for v in stats[i])
            inside = cx >= x0 - 2 and cx + cw <= x1 + 2
            # The strike is joined to the letters it crosses: the whole piece goes.
            crossed = cx < x1 and cx + cw > x0 and cw <= (x1 - x0) * 1.5
            if inside or crossed:
                mask = cv2.dilate((labels == i).astype(np.uint8), np.ones((3, 3), np.uint8))
                out[mask > 0] = paper
    return out
