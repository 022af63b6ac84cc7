"""Spreads: two facing pages photographed in one landscape image, told from one wide page.

A book photographed open shows two portrait pages side by side. The image alone says so only
when three things hold together: it is landscape (two portrait pages are about 1.4 times as
wide as high), the middle of the paper has a fold between the pages — a fold shadow
(`gutter.find_gutter`) or a text-free strip running the whole height, which no ruled line,
value or caption crosses — and each side carries a page of its own (ink over most of its
height, and about as much of it as the other side). A ledger printed landscape fails the
second test (its rules and rows cross the middle), a page with a blank half fails the third.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr_service.preprocess.analysis import shrink_grey

SPREAD_LONG_SIDE = 1000  # the evidence is measured on a thumbnail this long
MIN_ASPECT = 1.2  # width / height: two portrait A4 pages ≈ 1.41, one ≈ 0.71 (a landscape page
# is ≈ 1.41 too: the fold and two-page tests below tell it apart)
SEARCH_BAND = (0.35, 0.65)  # the fold lies in the middle of the cropped spread
ROWS_BAND = (0.04, 0.96)  # share of the height that a fold strip must run through (clear)
MIN_STRIP = 0.008  # the text-free strip is at least this share of the width
MAX_INK_SHARE = 0.002  # a column with less ink than this (over ROWS_BAND) is text-free
INK_CONTRAST = 30  # grey levels below the local paper that make a pixel ink
INK_KERNEL = 5  # thumbnail pixels: wider than a pen stroke
MIN_SIDE_INK_RATIO = 0.25  # each side holds at least this share of the other side's ink
MIN_SIDE_HEIGHT = 0.4  # each side's ink spans at least this share of the image height
FOLD_SLANT = 3.0  # degrees: a photographed fold leans at most this far once straightened
FOLD_SLANT_STEP = 0.5


@dataclass(frozen=True)
class Spread:
    """Where a spread is cut: x in image pixels, and what showed the fold."""

    x: int
    evidence: str  # "shadow" (a fold shadow) or "strip" (a text-free strip)


def _ink(grey: np.ndarray) -> np.ndarray:
    """Boolean map of what is darker than the paper just around it."""
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, np.ones((INK_KERNEL, INK_KERNEL), np.uint8))
    mask: np.ndarray = cv2.subtract(paper, grey) > INK_CONTRAST
    return mask


def _clear_strip(ink_cols: np.ndarray, lo: int, hi: int, min_len: int) -> int | None:
    """Middle of the text-free column run nearest the centre of [lo, hi), if one is long enough."""
    centre = (lo + hi) / 2
    best: tuple[float, int] | None = None
    start = -1
    clear = np.append(ink_cols[lo:hi] < MAX_INK_SHARE, False)
    for i, is_clear in enumerate(clear):
        if is_clear and start < 0:
            start = i
        elif not is_clear and start >= 0:
            if i - start >= min_len:
                mid = lo + (start + i - 1) // 2
                if best is None or abs(mid - centre) < best[0]:
                    best = (abs(mid - centre), mid)
            start = -1
    return None if best is None else best[1]


def _slanted_strip(rows: np.ndarray, lo: int, hi: int, min_len: int) -> int | None:
    """x (at mid-height) of the text-free strip nearest the centre of [lo, hi), upright or
    slanted by up to FOLD_SLANT degrees: on a phone photo the two pages lean apart
    (perspective), the image is straightened by their mean skew, and the fold between them
    still leans a degree or three — upright, its strip was 1-3 px wide on a 1000 px thumbnail."""
    h = rows.shape[0]
    found = _clear_strip(rows.mean(axis=0), lo, hi, min_len)
    if found is not None:
        return found
    ys = np.arange(h) - h / 2
    for step in range(1, round(FOLD_SLANT / FOLD_SLANT_STEP) + 1):
        for sign in (1, -1):
            shift = np.round(ys * np.tan(np.radians(sign * step * FOLD_SLANT_STEP))).astype(int)
            # Each row moved so the slanted fold stands upright (columns off the edge: inked).
            cols = np.arange(rows.shape[1])[None, :] + shift[:, None]
            inside = (cols >= 0) & (cols < rows.shape[1])
            sheared = np.where(
                inside, rows[np.arange(h)[:, None], cols.clip(0, rows.shape[1] - 1)], True
            )
            found = _clear_strip(sheared.mean(axis=0), lo, hi, min_len)
            if found is not None:
                return found
    return None


def _two_pages(ink: np.ndarray, x: int) -> bool:
    """Both sides of x hold a page: ink over much of the height, in comparable amounts."""
    h = ink.shape[0]
    sides = (ink[:, :x], ink[:, x:])
    amounts = [float(s.sum()) for s in sides]
    if min(amounts) <= 0 or min(amounts) < MIN_SIDE_INK_RATIO * max(amounts):
        return False
    for side in sides:
        rows = np.flatnonzero(side.any(axis=1))
        if rows.size == 0 or (rows[-1] - rows[0] + 1) < MIN_SIDE_HEIGHT * h:
            return False
    return True


def find_spread(img: np.ndarray, gutter_x: int | None = None) -> Spread | None:
    """Where to cut ``img`` (an upright, cropped page image) into two facing pages, or None.

    ``gutter_x`` is a fold already found from its shadow (`find_gutter`), if any; it is used
    when it lies in the middle band. Otherwise the cut is the middle of the text-free strip
    nearest the centre. Either way both sides must carry a page (see the module docstring).
    """
    h0, w0 = img.shape[:2]
    if w0 < MIN_ASPECT * h0:
        return None
    grey, scale = shrink_grey(img, SPREAD_LONG_SIDE)
    h, w = grey.shape
    ink = _ink(grey)
    lo, hi = int(SEARCH_BAND[0] * w), int(SEARCH_BAND[1] * w)
    if gutter_x is not None and lo <= gutter_x * scale < hi:
        x, evidence = round(gutter_x * scale), "shadow"
    else:
        rows = ink[int(ROWS_BAND[0] * h) : int(ROWS_BAND[1] * h)]
        found = _slanted_strip(rows, lo, hi, max(2, round(MIN_STRIP * w)))
        if found is None:
            return None
        x, evidence = found, "strip"
    if not _two_pages(ink, x):
        return None
    cut = gutter_x if evidence == "shadow" and gutter_x is not None else round((x + 0.5) / scale)
    return Spread(min(max(1, cut), w0 - 1), evidence)
