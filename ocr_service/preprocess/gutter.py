"""Gutter: find the fold of a double-page spread from its shadow, snapped to the text-free strip."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.preprocess.analysis import shrink_grey
from ocr_service.preprocess.crop import crop_page

GUTTER_LONG_SIDE = 1000
SEARCH_BAND = (0.3, 0.7)  # the fold lies in the middle of the cropped spread
FLANK = 0.04  # the paper either side of the fold is compared over this share of the width
CORE = 0.01  # ... leaving out this share next to the fold (the shadow's own slopes)
MIN_DEPTH_LEVELS = 3.0  # shadow depth below the dimmer flank, in grey levels
MIN_DEPTH_SHARE = 0.012  # ... and as a share of the paper's brightness
FOLD_BANDS = 5  # the shadow must show in all but one of this many horizontal bands
SNAP_RANGE = 0.025  # the split may move this share of the width to reach a text-free strip
MAX_INK_SHARE = 0.004  # a column with less ink than this is text-free
INK_CONTRAST = 30  # grey levels below the local paper that make a pixel ink
INK_KERNEL = 5  # thumbnail pixels: wider than a pen stroke, narrower than a fold shadow


def _close_strokes(grey: np.ndarray) -> np.ndarray:
    """The thumbnail with text strokes and ruled lines closed away horizontally: only wide
    dark features (a fold shadow) remain."""
    k = max(3, grey.shape[1] // 100) | 1
    return cv2.morphologyEx(
        grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1))
    )


def _paper_profile(closed: np.ndarray, top: float = 0.1, bottom: float = 0.9) -> np.ndarray:
    """Per-column paper brightness between the ``top`` and ``bottom`` shares of the height;
    the median over rows ignores blots and short marks."""
    h = closed.shape[0]
    profile: np.ndarray = np.median(closed[int(top * h) : int(bottom * h)], axis=0)
    return profile.astype(np.float64)


def _runs_full_height(closed: np.ndarray, x: int, min_depth: float) -> bool:
    """True when the valley at x is there in most horizontal bands of the page: a fold
    shadow runs from top to bottom, a blot or a short column of shading does not."""
    hits = 0
    for i in range(FOLD_BANDS):
        top = 0.1 + 0.8 * i / FOLD_BANDS
        depth = _valley_depths(_paper_profile(closed, top, top + 0.8 / FOLD_BANDS))
        hits += float(depth[max(0, x - 3) : x + 4].max()) >= min_depth
    return hits >= FOLD_BANDS - 1


def _valley_depths(profile: np.ndarray) -> np.ndarray:
    """For each column, how much darker it is than the dimmer of its two flanks (0 if not)."""
    w = profile.size
    d, c = max(3, int(FLANK * w)), max(1, int(CORE * w))
    csum = np.concatenate([[0.0], np.cumsum(profile)])
    depth = np.zeros(w)
    for x in range(d, w - d):
        left = (csum[x - c] - csum[x - d]) / (d - c)
        right = (csum[x + d] - csum[x + c]) / (d - c)
        depth[x] = min(left, right) - profile[x]
    return depth


def _snap_to_clear_strip(ink_cols: np.ndarray, x: int, reach: int) -> int:
    """Middle of the widest text-free column run within ``reach`` of x, or x when none."""
    lo, hi = max(0, x - reach), min(ink_cols.size, x + reach + 1)
    clear = ink_cols[lo:hi] < MAX_INK_SHARE
    best_len, best_mid, run_start = 0, x, -1
    for i, is_clear in enumerate(np.append(clear, False)):
        if is_clear and run_start < 0:
            run_start = i
        elif not is_clear and run_start >= 0:
            if i - run_start > best_len:
                best_len, best_mid = i - run_start, lo + (run_start + i - 1) // 2
            run_start = -1
    return best_mid


def find_gutter(img: np.ndarray, *, crop: bool = True) -> int | None:
    """x (in ``img`` pixels) of the fold when the image shows two facing pages, else None.

    The fold is the deepest long vertical shadow in the middle of the paper (found by
    :func:`crop_page` unless ``crop`` is False, for an image already cropped); a flat single
    page has none, and ruled lines are too thin to count. The split then moves into the
    text-free strip beside the fold, if there is one close by, so that no text line is cut."""
    h0, w0 = img.shape[:2]
    x0, y0, x1, y1 = crop_page(img)[1] if crop else (0, 0, w0, h0)
    grey, scale = shrink_grey(img[y0:y1, x0:x1], GUTTER_LONG_SIDE)
    h, w = grey.shape
    closed = _close_strokes(grey)
    profile = _paper_profile(closed)
    depth = _valley_depths(profile)
    lo, hi = int(SEARCH_BAND[0] * w), int(SEARCH_BAND[1] * w)
    x = lo + int(np.argmax(depth[lo:hi]))
    min_depth = max(MIN_DEPTH_LEVELS, MIN_DEPTH_SHARE * float(np.percentile(profile, 90)))
    if depth[x] < min_depth or not _runs_full_height(closed, x, min_depth):
        return None
    # Ink is what is darker than the paper just around it. The small kernel closes pen strokes
    # and ruled lines away but not a fold shadow, so the shadow stays paper.
    paper_map = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, np.ones((INK_KERNEL, INK_KERNEL), np.uint8))
    ink = cv2.subtract(paper_map, grey) > INK_CONTRAST
    ink_cols = ink[int(0.1 * h) : int(0.9 * h)].mean(axis=0)
    x = _snap_to_clear_strip(ink_cols, x, int(SNAP_RANGE * w))
    return x0 + round((x + 0.5) / scale)
