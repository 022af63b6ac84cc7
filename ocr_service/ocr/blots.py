"""Ink blots: solid round spots of ink beside the writing, erased before lines are found.

A blot next to a value is read as a letter at the end of the line ('Chủ tịch O', 'Cha m').
What sets a blot apart from writing is its body: a solid, compact spot whose inside lies
much farther from its edge than the inside of any pen stroke of the page. Strokes, dots of
letters, tick-boxes and ruled lines are left as they are.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_SIDE = 8  # px: smaller spots are dots and specks, read as punctuation or nothing
MAX_ASPECT = 2.5  # a blot is about as wide as high; ruled lines and strokes are not
MIN_FILL = 0.6  # ink share of its box: a union of round drops fills ~0.7-0.8
# Its inner radius (the farthest any of its ink lies from its edge): at least ROUND of half its
# box's short side (a solid spot; a letter of a heavy marker, solid as it looks, holds 0.4-0.56
# of it in its strokes), THICK times the page's stroke half-width, and MIN_RADIUS pixels.
ROUND = 0.65
THICK = 2.2
MIN_RADIUS = 5.5


def stroke_half_width(dist: np.ndarray, ink: np.ndarray) -> float:
    """Half the typical pen width: over a stroke of half-width w the distance to the edge is
    spread evenly over 0..w, so its median is w / 2."""
    values = dist[ink > 0]
    return 2.0 * float(np.median(values)) if values.size else 0.0


def find_blots(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the page's ink blots."""
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return []
    dist = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    radius = max(MIN_RADIUS, THICK * stroke_half_width(dist, ink))
    out = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if min(w, h) < MIN_SIDE or max(w, h) > MAX_ASPECT * min(w, h):
            continue
        if area < MIN_FILL * w * h:
            continue
        inside = labels[y : y + h, x : x + w] == i
        inner = float(dist[y : y + h, x : x + w][inside].max())
        if inner >= radius and inner >= ROUND * min(w, h) / 2:
            out.append((x, y, x + w, y + h))
    return out


def erase_blots(grey: np.ndarray) -> np.ndarray:
    """The page with its ink blots painted over in the paper's tone (a copy; the page itself
    when it has none)."""
    blots = find_blots(grey)
    if not blots:
        return grey
    paper = int(np.median(grey[::7, ::7]))
    out = grey.copy()
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    for x0, y0, x1, y1 in blots:
        # The blot's ink and its anti-aliased rim, not the paper around it.
        patch = cv2.dilate(ink[y0:y1, x0:x1], np.ones((3, 3), np.uint8))
        region = out[y0:y1, x0:x1]
        region[patch > 0] = paper
    return out
