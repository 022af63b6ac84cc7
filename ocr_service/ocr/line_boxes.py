"""Text-line boxes from the detector's boxes: cut at rules and gaps, joined across gaps and
the gutter, stacked lines cut apart. Image geometry only: no recogniser, no engine state.

Every heuristic is a named keyword parameter whose default is the tuned value, with its
reason beside it; the ones a user may tune are in config.ViSettings (SOHOA_VI_*) and reach
these functions from the engine (ocr/vi.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.ocr.base import clip_box
from ocr_service.ocr.table_lines import CELL_GAP, Table, merge_in_cells, split_at_rules

MIN_LINE_H = 6  # px: smaller detections are specks, not text
CROP_PAD_Y = 0.15  # margin around detector boxes, x line height (the box is tight on accents)
CROP_PAD_X = 0.3
# Pieces of one row closer than this x line height are one line (trueocr cuts handwriting at
# wide letter gaps and dashes: "Escoffier - Jean Joseph Marie"), unless a printed column rule
# stands between them. Blank runs wider than SPLIT_GAP are cut again below, so a printed
# label and the value written after it on a block form stay two boxes. (On a form that
# still has its leader dots, fields joined by dots stay joined: the pipeline removes the
# dots first, `sohoa bench` does not, and loses ~2 points of synth row recall to it.)
MERGE_GAP = 1.5  # SOHOA_VI_MERGE_GAP
# A detected line with a blank run wider than this x its height is two lines: trueocr joins
# a printed label and the value written after it, and the form needs each box on its own.
SPLIT_GAP = 1.2  # SOHOA_VI_SPLIT_GAP
MERGE_HEIGHT_RATIO = 1.6  # fragments of one line differ in height by less than this
# A box at least STACK_MIN_H x the median line height may hold two lines of writing; it is
# cut where the ink across it falls under STACK_VALLEY of both lines' densest rows.
STACK_MIN_H = 1.4  # SOHOA_VI_STACK_MIN_H
STACK_VALLEY = 0.15  # SOHOA_VI_STACK_VALLEY
# A lower box (from STRADDLE_MIN_H line heights) is cut the same way when writing runs past
# both its edges (over STRADDLE_INK of the rows just outside it is ink).
STRADDLE_MIN_H = 0.9
STRADDLE_INK = 0.03
# A part cut from a stacked box grows away from the cut by up to this x line height, to a
# row with less than STACK_BLANK of its width in ink.
STACK_GROW = 0.8  # SOHOA_VI_STACK_GROW
STACK_BLANK = 0.01
# Two lines of writing are of about one height: a part under STACK_PART_RATIO of the other's
# (fitted) height is no line but the marks above capitals ('Ỗ', 'Ặ', 'Ễ' of a name written in
# capitals stand clear of their letters), and the box stays whole.
STACK_PART_RATIO = 0.5
# A double spread is wider than SPREAD_ASPECT x its height; its gutter lies within
# GUTTER_ZONE of the middle. A line printed across it is broken there into two pieces each
# at least GUTTER_LINE_MIN x their height long, at most GUTTER_GAP x the height apart.
SPREAD_ASPECT = 1.2
GUTTER_ZONE = 0.06
GUTTER_LINE_MIN = 6.0
GUTTER_GAP = 5.0
# A printed check box's top and bottom edges are one stroke along this share of its width.
BOX_EDGE_RUN = 0.9
RULE_SPAN = 0.85  # share of a gap's rows a printed column rule darkens


def page_lines(
    upright: np.ndarray,
    detected: np.ndarray,
    table: Table,
    *,
    merge_gap: float = MERGE_GAP,
    split_gap: float = SPLIT_GAP,
    cell_gap: float = CELL_GAP,
    stack_min_h: float = STACK_MIN_H,
    stack_valley: float = STACK_VALLEY,
    stack_grow: float = STACK_GROW,
) -> list[list[float]]:
    """The detector's boxes made into text lines: cut at table rules, fragments of a row
    joined (inside a ruled cell up to cell_gap), label and value cut apart elsewhere."""
    detected = split_at_rules(upright, detected, table)
    detected = split_stacked_lines(
        upright, detected, min_h=stack_min_h, valley=stack_valley, reach=stack_grow
    )
    detected = merge_row_fragments(detected, merge_gap, upright)
    detected = merge_in_cells(detected, table, cell_gap=cell_gap)
    lines = [
        trim_checkbox(upright, p)
        for b in detected
        for p in split_at_gaps(
            upright, b, cell_gap if table.cell_of(list(b)) is not None else split_gap
        )
    ]
    return join_across_gutter(lines, upright.shape[1], upright.shape[0])


def split_stacked_lines(
    grey: np.ndarray,
    boxes: np.ndarray,
    *,
    min_h: float = STACK_MIN_H,
    valley: float = STACK_VALLEY,
    reach: float = STACK_GROW,
) -> np.ndarray:
    """Boxes [N, 4] with each box that holds two lines of writing cut between them.

    The detector boxes a value written on two lines of a narrow table cell ("Bệnh viện đa
    khoa / tỉnh Tuyên Quang") as one line about twice as high, which the recogniser cannot
    read. Such a box (``min_h`` x the median line height or more) is cut at the emptiest
    row of its middle when that row holds under ``valley`` of the ink of both halves'
    densest rows: one line of writing is densest across its middle, two stacked lines have
    their gap there. Each part grows up to ``reach`` line heights (see fit_part)."""
    if len(boxes) < 3:
        return boxes
    line_h = float(np.median(boxes[:, 3] - boxes[:, 1]))
    out: list[list[float]] = []
    for b in boxes:
        x0, y0, x1, y1 = (float(v) for v in b[:4])
        ix0, iy0, ix1, iy1 = clip_box((x0, y0, x1, y1), grey.shape[1], grey.shape[0])
        cut = None
        tall = y1 - y0 >= min_h * line_h
        if not tall and y1 - y0 >= STRADDLE_MIN_H * line_h:
            tall = _straddles(grey, (ix0, iy0, ix1, iy1), line_h)
        if tall and x1 - x0 >= 1.2 * line_h and iy1 - iy0 >= 8:
            strip = grey[iy0:iy1, ix0:ix1]
            profile = (strip < float(np.percentile(strip, 90)) - 60).mean(axis=1)
            k = max(1, round(0.1 * line_h))
            profile = np.convolve(profile, np.ones(k) / k, mode="same")
            lo, hi = round(0.4 * line_h), len(profile) - round(0.4 * line_h)
            if hi - lo >= 2:
                row = lo + int(np.argmin(profile[lo:hi]))
                top, bottom = float(profile[:row].max()), float(profile[row:].max())
                if profile[row] <= valley * min(top, bottom):
                    cut = float(iy0 + row)
        parts = []
        if cut is not None:
            parts = [
                fit_part(grey, [x0, y0, x1, cut], line_h, grow="up", reach=reach),
                fit_part(grey, [x0, cut, x1, y1], line_h, grow="down", reach=reach),
            ]
            heights = [_ink_height(grey, part) for part in parts]
            if min(heights) < STACK_PART_RATIO * max(heights):
                parts = []  # diacritics over capitals, not a line of their own
        out += parts or [[x0, y0, x1, y1]]
    return np.asarray(out, np.float32).reshape(-1, 4)


def _ink_height(grey: np.ndarray, box: list[float]) -> int:
    """Rows from the first to the last one with ink in the box (0 when none)."""
    ix0, iy0, ix1, iy1 = clip_box((box[0], box[1], box[2], box[3]), grey.shape[1], grey.shape[0])
    strip = grey[iy0:iy1, ix0:ix1]
    if strip.size == 0:
        return 0
    rows = np.flatnonzero((strip < float(np.percentile(strip, 90)) - 60).any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _straddles(grey: np.ndarray, box: tuple[int, int, int, int], line_h: float) -> bool:
    """True when writing runs on past both the top and the bottom of the box: the detector
    boxed the lower half of one line of a cell with the upper half of the next."""
    x0, y0, x1, y1 = box
    m = max(2, round(0.1 * line_h))
    if y0 - m < 0 or y1 + m > grey.shape[0]:
        return False
    window = grey[y0 - m : y1 + m, x0:x1]
    ink = window < float(np.percentile(window, 90)) - 60
    return bool(ink[:m].mean() >= STRADDLE_INK and ink[-m:].mean() >= STRADDLE_INK)


def fit_part(
    grey: np.ndarray, box: list[float], line_h: float, grow: str, *, reach: float = STACK_GROW
) -> list[float]:
    """One of the two lines cut out of a stacked box, fitted to its own writing.

    The detector's box around two lines of a cell often holds all of one and half of the
    other ("Nguyễn Bá" over the top half of "Hiếu"): the cut part is grown away from the
    cut (``grow`` "up" or "down", by ``reach`` line heights at most) until a blank row, and
    narrowed to the columns its middle band has ink in (the line above is often longer)."""
    x0, y0, x1, y1 = box
    h_img, w_img = grey.shape
    reach_px = round(reach * line_h)
    ix0, ix1 = max(0, int(x0)), min(w_img, int(np.ceil(x1)))
    iy0, iy1 = max(0, int(y0)), min(h_img, int(np.ceil(y1)))
    if ix1 - ix0 < 2 or iy1 - iy0 < 2:
        return box
    wy0 = max(0, iy0 - reach_px) if grow == "up" else iy0
    wy1 = min(h_img, iy1 + reach_px) if grow == "down" else iy1
    window = grey[wy0:wy1, ix0:ix1]
    ink = window < float(np.percentile(window, 90)) - 60
    rows = ink.mean(axis=1)
    # A ruled line across the cell is not writing: such rows count as blank.
    blank = (rows <= STACK_BLANK) | (rows >= 0.6)
    if grow == "down":
        k = iy1 - wy0
        while k < len(rows) and not blank[k]:
            k += 1
        y1 = float(wy0 + k)
    else:
        k = iy0 - wy0 - 1
        while k >= 0 and not blank[k]:
            k -= 1
        y0 = float(wy0 + k + 1)
    ph = y1 - y0
    band = ink[round(y0 - wy0 + 0.3 * ph) : max(round(y1 - wy0 - 0.3 * ph), 1)]
    cols = np.flatnonzero(band.any(axis=0)) if band.size else np.empty(0, int)
    if len(cols):
        pad = 0.3 * line_h
        x0, x1 = max(x0, ix0 + cols[0] - pad), min(x1, ix0 + cols[-1] + 1 + pad)
    return [float(x0), float(y0), float(x1), float(y1)]


def join_across_gutter(boxes: list[list[float]], width: int, height: int) -> list[list[float]]:
    """On a double spread (landscape, two facing pages), a long line broken only by the
    gutter (a running title printed across both pages) is one line again: two long pieces
    on one row, of one height, whose gap holds the middle of the image and nothing else."""
    if width < SPREAD_ASPECT * height or len(boxes) < 2:
        return boxes
    mid_lo, mid_hi = (0.5 - GUTTER_ZONE) * width, (0.5 + GUTTER_ZONE) * width
    out = [list(b) for b in boxes]
    joined: set[int] = set()
    for i, a in enumerate(out):
        for j, b in enumerate(out):
            if i == j or i in joined or j in joined or a[2] > b[0]:
                continue
            h = min(a[3] - a[1], b[3] - b[1])
            gap = b[0] - a[2]
            if (
                h > 0
                and max(a[3] - a[1], b[3] - b[1]) <= MERGE_HEIGHT_RATIO * h
                and min(a[3], b[3]) - max(a[1], b[1]) >= 0.6 * h
                and min(a[2] - a[0], b[2] - b[0]) >= GUTTER_LINE_MIN * h
                and gap <= GUTTER_GAP * h
                and a[2] <= mid_hi
                and b[0] >= mid_lo
                and not any(
                    k not in (i, j)
                    and min(o[2], b[0]) > max(o[0], a[2])
                    and min(o[3], a[3], b[3]) - max(o[1], a[1], b[1]) > 0.5 * h
                    for k, o in enumerate(out)
                )
            ):
                a[:] = [a[0], min(a[1], b[1]), b[2], max(a[3], b[3])]
                joined.add(j)
                break
    return [b for k, b in enumerate(out) if k not in joined]


def split_at_gaps(
    grey: np.ndarray, box: np.ndarray | list[float], gap_factor: float
) -> list[list[float]]:
    """The box cut at every blank column run wider than gap_factor x its height."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    h = y1 - y0
    ix0, iy0, ix1, iy1 = clip_box((x0, y0, x1, y1), grey.shape[1], grey.shape[0])
    if gap_factor <= 0 or h <= 0 or ix1 - ix0 < 3 * h or iy1 <= iy0:
        return [[x0, y0, x1, y1]]
    strip = grey[iy0:iy1, ix0:ix1]
    # Ink: clearly darker than the strip's paper (its bright percentile), so grey paper is blank.
    paper = float(np.percentile(strip, 90))
    ink: list[bool] = np.asarray((strip < paper - 60).any(axis=0), dtype=bool).tolist()
    min_gap = gap_factor * h
    pieces: list[list[float]] = []
    start: int | None = None
    blank_from: int | None = None
    for x, has_ink in enumerate(ink):
        if has_ink:
            if start is None:
                start = x
            elif blank_from is not None and x - blank_from >= min_gap:
                pieces.append([ix0 + start, y0, ix0 + blank_from, y1])
                start = x
            blank_from = None
        elif start is not None and blank_from is None:
            blank_from = x
    if start is None:
        return [[x0, y0, x1, y1]]
    end = blank_from if blank_from is not None else len(ink)
    pieces.append([ix0 + start, y0, ix0 + end, y1])
    if len(pieces) == 1:
        return [[x0, y0, x1, y1]]
    # Keep the detector's small margin at the outer ends.
    pieces[0][0], pieces[-1][2] = x0, x1
    return pieces


def trim_checkbox(grey: np.ndarray, box: list[float]) -> list[float]:
    """The box without a printed check box at its start ("☐ Đúng hạn"), which AsterOCR
    would read as a letter ("Ở"). A check box: a hollow square about one line high."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    ix0, iy0, ix1, iy1 = clip_box((x0, y0, min(x1, x0 + 2.5 * h), y1), grey.shape[1], grey.shape[0])
    if h < MIN_LINE_H or ix1 - ix0 < h or iy1 <= iy0:
        return box
    strip = grey[iy0:iy1, ix0:ix1]
    ink = (strip < float(np.percentile(strip, 90)) - 60).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n < 2:
        return box
    first = min(range(1, n), key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    bx, by, bw, bh = (int(v) for v in stats[first][:4])
    if not (0.5 * h <= bh <= 1.3 * h and 0.75 <= bw / max(1, bh) <= 1.33):
        return box
    # Straight sides: each edge of the component's box is mostly ink (a letter "O" or "Q"
    # touches its box at a few points only). Two pixels in, to allow a slightly tilted print.
    comp = ink[by : by + bh, bx : bx + bw]
    edges = [
        comp[:2].max(axis=0),
        comp[-2:].max(axis=0),
        comp[:, :2].max(axis=1),
        comp[:, -2:].max(axis=1),
    ]
    # ... and the top and bottom edges unbroken: a bold serif 'H' opening a line ('Họ, chữ
    # đệm, tên:') is as square, its stems and serifs as straight, but its top and bottom
    # have a gap between the serifs.
    unbroken = all(_longest_run(e) >= BOX_EDGE_RUN * len(e) for e in edges[:2])
    if min(float(e.mean()) for e in edges) >= 0.8 and unbroken:
        # Past the box by more than the crop margin (CROP_PAD_X), so no edge of it is read.
        return [ix0 + bx + bw + (CROP_PAD_X + 0.05) * h, y0, x1, y1]
    return box


def _longest_run(profile: np.ndarray) -> int:
    """The length of the longest run of non-zero values."""
    best = run = 0
    for v in profile.tolist():
        run = run + 1 if v else 0
        best = max(best, run)
    return best


def merge_row_fragments(
    boxes: np.ndarray, gap_factor: float, grey: np.ndarray | None = None
) -> np.ndarray:
    """Boxes [N, 4] with pieces of one row joined when the gap is under gap_factor x height
    and, given the page image, no printed column rule stands in the gap."""
    if len(boxes) < 2 or gap_factor <= 0:
        return boxes
    items = sorted((list(map(float, b)) for b in boxes), key=lambda b: b[0])
    merged: list[list[float]] = []
    for b in items:
        for m in merged:
            h = min(b[3] - b[1], m[3] - m[1])
            overlap = min(b[3], m[3]) - max(b[1], m[1])
            gap = b[0] - m[2]
            # One line keeps its height: a signature beside a printed line is not part of it.
            if (
                h > 0
                and max(b[3] - b[1], m[3] - m[1]) <= MERGE_HEIGHT_RATIO * h
                and overlap >= 0.6 * h
                and gap < gap_factor * h
                and (grey is None or not has_rule(grey, m, b))
            ):
                m[:] = [min(m[0], b[0]), min(m[1], b[1]), max(m[2], b[2]), max(m[3], b[3])]
                break
        else:
            merged.append(b)
    return np.asarray(merged, np.float32).reshape(-1, 4)


def has_rule(grey: np.ndarray, left: list[float], right: list[float]) -> bool:
    """True when a vertical rule (a column dark over RULE_SPAN of the rows' joint height)
    stands between the end of ``left`` and the start of ``right``: two table cells."""
    y0, y1 = min(left[1], right[1]), max(left[3], right[3])
    x0, x1 = min(left[2], right[0]), max(left[2], right[0])
    pad = 0.3 * (y1 - y0)  # the gap, widened a little: a rule may touch a box's end
    ix0, iy0, ix1, iy1 = clip_box((x0 - pad, y0, x1 + pad, y1), grey.shape[1], grey.shape[0])
    if ix1 - ix0 < 1 or iy1 - iy0 < 2:
        return False
    strip = grey[iy0:iy1, ix0:ix1]
    paper = float(np.percentile(grey[iy0:iy1, max(0, ix0 - 50) : ix1 + 50], 90))
    dark = strip < paper - 40
    return bool((dark.mean(axis=0) >= RULE_SPAN).any())
