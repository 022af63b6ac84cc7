"""Crop: cut the page (or open book) out of a photo's surroundings; leave flatbed scans alone."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.preprocess.analysis import shrink_grey
from ocr_service.preprocess.geometry import BBox

CROP_LONG_SIDE = 1000
DARK_LINE_SHARE = 0.5  # a row/column this dark belongs to the surround, not the paper
MARGIN_BAND = 0.2  # surrounds are looked for in this outer share of each side
PHOTO_MIN_AREA = 0.15  # an embedded photo smaller than this share of the sheet is left alone
PHOTO_RIM_DARK = 0.6  # share of dark pixels along an embedded photo's rim
MARGIN_PX = 2  # thumbnail pixels of slack kept around the found box
SHADE_WINDOW = 0.25  # x the thumbnail's short side: the paper a pixel is compared with
SHADE_DARK = 0.7  # ... a surround pixel is darker than this share of the brightest of it


def _full_box(w: int, h: int) -> BBox:
    return 0, 0, w, h


def _scale_box(box: tuple[int, int, int, int], scale: float, w: int, h: int, pad: int) -> BBox:
    x0, y0, x1, y1 = box
    return (
        max(0, int(np.floor((x0 - pad) / scale))),
        max(0, int(np.floor((y0 - pad) / scale))),
        min(w, int(np.ceil((x1 + pad) / scale))),
        min(h, int(np.ceil((y1 + pad) / scale))),
    )


def _paper_threshold(grey: np.ndarray) -> float:
    t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t)


def _outer_dark_run(dark_share: np.ndarray, band: int, min_run: int) -> int:
    """Index just past the innermost line of the outer ``band`` lines that belongs to a dark
    run of at least ``min_run`` lines (a cover, a table top, a scanner's black edge), or 0."""
    lines = (dark_share[:band] >= DARK_LINE_SHARE).astype(np.uint8)
    if not lines.any():
        return 0
    # A 1-D opening drops thin dark lines: ruled lines and the edge of a text block are no cover.
    kernel = np.ones((min_run, 1), np.uint8)
    kept = cv2.morphologyEx(lines.reshape(-1, 1), cv2.MORPH_OPEN, kernel).ravel()
    idx = np.flatnonzero(kept)
    return int(idx[-1]) + 1 if idx.size else 0


def surround_dark(grey: np.ndarray) -> np.ndarray:
    """Pixels of the surround: darker than the page's paper (Otsu) and clearly darker than the
    brightest paper near them. A phone photo's paper is shaded (one page of a spread 155, the
    other 220): the image's Otsu threshold falls inside the paper's tones, the shaded side
    counted as dark and the crop cut most of a page away; paper is never far darker than the
    paper beside it, a table or a cover is."""
    blurred = cv2.GaussianBlur(grey, (0, 0), 1.0)
    size = max(3, int(SHADE_WINDOW * min(grey.shape)) | 1)
    near = cv2.dilate(blurred, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    return (blurred < _paper_threshold(grey)) & (blurred < SHADE_DARK * near.astype(np.float32))


def _dark_margin_box(grey: np.ndarray) -> tuple[int, int, int, int]:
    """The box left after trimming dark runs (cover, table, fingers, scanner edge) off each side."""
    h, w = grey.shape
    dark = surround_dark(grey)
    col_share = dark.mean(axis=0)
    row_share = dark.mean(axis=1)
    bx, by = int(w * MARGIN_BAND), int(h * MARGIN_BAND)
    run = max(4, min(h, w) // 150)
    x0 = _outer_dark_run(col_share, bx, run)
    x1 = w - _outer_dark_run(col_share[::-1], bx, run)
    y0 = _outer_dark_run(row_share, by, run)
    y1 = h - _outer_dark_run(row_share[::-1], by, run)
    return x0, y0, x1, y1


def _embedded_photo_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """Box of a large photo with a dark background printed on a white sheet (an archive
    viewer's export), or None. A ruled table is dark lines only, so its rim is mostly light."""
    h, w = grey.shape
    raw = (grey < 80).astype(np.uint8)
    dark = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    best: tuple[int, int, int, int] | None = None
    best_area = 0
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        # A photo printed on a sheet has white paper all round; dark reaching an edge of the
        # image is a surround (table, cover) instead.
        if bw * bh < PHOTO_MIN_AREA * w * h or x == 0 or y == 0 or x + bw == w or y + bh == h:
            continue
        band_x, band_y = max(2, bw // 100), max(2, bh // 100)
        sub = dark[y : y + bh, x : x + bw]
        rim = np.concatenate(
            [
                sub[:band_y].ravel(),
                sub[-band_y:].ravel(),
                sub[:, :band_x].ravel(),
                sub[:, -band_x:].ravel(),
            ]
        )
        if rim.mean() < PHOTO_RIM_DARK:
            continue
        tx0, ty0, tx1, ty1 = _trim_light_lines(raw[y : y + bh, x : x + bw], x, y)
        area = (tx1 - tx0) * (ty1 - ty0)
        # Checked again after trimming: a dark strip joined to a caption is no photo.
        if area >= PHOTO_MIN_AREA * w * h and area > best_area:
            best, best_area = (tx0, ty0, tx1, ty1), area
    return best


def _trim_light_lines(dark: np.ndarray, x: int, y: int) -> tuple[int, int, int, int]:
    """Box of ``dark`` (placed at x, y) without its mostly light outer rows and columns: text
    printed close to the photo (a viewer's caption) joins its component but is not part of it."""
    rows = np.flatnonzero(dark.mean(axis=1) >= DARK_LINE_SHARE)
    cols = np.flatnonzero(dark.mean(axis=0) >= DARK_LINE_SHARE)
    if rows.size == 0 or cols.size == 0:
        return x, y, x + dark.shape[1], y + dark.shape[0]
    return x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1


def crop_page(img: np.ndarray) -> tuple[np.ndarray, BBox]:
    """The page(s) cut out of the image: (cropped view, box x0, y0, x1, y1 in ``img`` pixels).

    A sheet with a dark-background photo printed on it (an archive viewer's export) is cut to
    that photo; otherwise dark surrounds along the edges (cover, table, fingers, a scanner's
    black border) are trimmed off. A flatbed scan that is already the page comes back whole,
    with the full box."""
    h, w = img.shape[:2]
    grey, scale = shrink_grey(img, CROP_LONG_SIDE)
    th, tw = grey.shape
    box = _embedded_photo_box(grey)
    pad = 0  # the photo's own edge is the box
    if box is None:
        box = _dark_margin_box(grey)
        pad = MARGIN_PX  # a little slack: cutting a folio number costs more than a dark sliver
    x0, y0, x1, y1 = box
    if (x1 - x0) * (y1 - y0) >= 0.97 * tw * th:
        return img, _full_box(w, h)
    full = _scale_box(box, scale, w, h, pad)
    return img[full[1] : full[3], full[0] : full[2]], full
