"""Erase printed dot leaders (the dotted lines a value is written on) before OCR.

Block-form books print a dotted line after every label; recognisers read those dots as runs of
'a', 'n', '.', which end up in the values. A dotted line is a row of tiny dots: closing the ink
horizontally joins it into a thin long stroke, while solid rules (table lines) are long before
closing and are kept, and letters never form a long thin horizontal stroke. A soft photo runs
a leader's dots together into strokes no taller than a dot, dark and grey in turn along their
length: those count as dots too, where a ruled line, dark all along, does not.
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.ocr.base import to_grey

FUSED_HEIGHT = 1.3  # x the dot size: a run of fused dots is no taller than this
FUSED_RIPPLE = 8.0  # grey levels: mean step between neighbouring columns' darkest pixels


def _fused_dots(grey: np.ndarray, stats: np.ndarray, size: float) -> np.ndarray:
    """Components that are dots run together into one thin stroke (a soft photo, a blurred
    scan): no taller than a dot, longer than two, and light and dark in turn along their
    length, where a ruled line is dark all along."""
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    out = (h <= size * FUSED_HEIGHT) & (w >= 2 * size) & (stats[:, cv2.CC_STAT_AREA] <= w * size)
    out[0] = False
    for i in np.flatnonzero(out):
        profile = grey[y[i] : y[i] + h[i], x[i] : x[i] + w[i]].min(axis=0).astype(np.int16)
        out[i] = float(np.abs(np.diff(profile)).mean()) >= FUSED_RIPPLE
    return out


def dot_leader_mask(grey: np.ndarray) -> np.ndarray:
    """255 on the ink of dotted leader lines: tiny dots that sit in long, dense rows."""
    h, w = grey.shape
    # Tuned at A4 200 dpi (1654 x 2339 px); scaled for other resolutions by the page's
    # smaller ratio, so a double spread (two pages side by side, twice as wide) is not taken
    # for one page at twice the resolution, where small print would pass for dots.
    scale = max(0.5, min(w / 1654.0, h / 2339.0))
    binary = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return np.zeros_like(binary)
    size = 7 * scale
    tiny = (
        (stats[:, cv2.CC_STAT_WIDTH] <= size)
        & (stats[:, cv2.CC_STAT_HEIGHT] <= size)
        & (stats[:, cv2.CC_STAT_AREA] <= size * size)
    )
    tiny[0] = False
    tiny |= _fused_dots(grey, stats, size)
    dots = np.where(tiny[labels], 255, 0).astype(np.uint8)
    # Dots of a leader are a few pixels apart; tone marks and full stops are isolated.
    gap = max(3, round(12 * scale))
    run = max(20, round(80 * scale))
    rows = cv2.morphologyEx(
        dots, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1))
    )
    rows = cv2.morphologyEx(
        rows, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (run, 1))
    )
    return cv2.bitwise_and(cv2.dilate(rows, np.ones((3, 3), np.uint8)), dots)


def remove_dot_leaders(image: np.ndarray) -> np.ndarray:
    """A grey copy of the page with dotted leader lines painted in the paper's colour."""
    grey = to_grey(image)
    mask = dot_leader_mask(grey)
    if not mask.any():
        return grey
    paper = int(np.median(grey))
    out = grey.copy()
    # One pixel more: the anti-aliased rim of a dot would otherwise stay as grey specks.
    out[cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0] = paper
    return out
