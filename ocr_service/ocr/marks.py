"""Marks in table cells that the line detector does not propose: ditto marks and short words.

Ledger clerks write a ditto mark (〃, two short strokes) under a value to say "same as
above": the court's town, the year of a date, "Kinh" or "Việt Nam" in a Vietnamese book.
A text-line detector trained on running text skips them, and small words standing alone in
a cell ("des", "de" under a printed header) with them, and a clerk's initials in the margin
before the table. Here the page's ink that no line covers is gathered into clusters inside
the table's cells (and that margin); a cluster shaped like a ditto mark is reported as one,
any other is read and kept only when the recogniser is sure.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr_service.ocr.table_lines import RULE_MIN_LINES, Table, ink_mask

DITTO = '"'
# Sizes in median line heights.
MIN_H, MAX_H = 0.15, 2.5  # a ditto mark can be a fifth of a line high
# Anything else this small is a speck (a printed "de" under a header label is 0.27 high).
WORD_MIN_H = 0.25
MIN_W, MAX_W = 0.12, 6.0  # a ditto written as one slanted tick is an eighth of a line wide
MIN_INK = 0.04  # share of the cluster's box that is ink: less is dust or paper grain
COVER_PAD = 0.2  # ink this close to a found line belongs to it
# A ditto mark: one to three strokes, each taller than wide, side by side, the whole about
# as wide as tall and lower than a capital letter.
DITTO_MAX_H, DITTO_MAX_W = 1.0, 1.3
DITTO_MIN_H = 0.15
DITTO_STROKE_ASPECT = 1.3  # stroke height / width
# A ditto whose two strokes ran into one blot at the scan's resolution ("〃" written fast, or
# as a "v"): small, and split in two across at least DITTO_SPLIT_ROWS of its rows.
BLOT_MAX = 0.8  # x line height, both sides
DITTO_SPLIT_ROWS = 0.15
HOLE_MIN_AREA = 4  # px: a smaller enclosed pocket is a gap in the ink, not a letter's bowl
# A mark that is not a ditto is kept as text only when it reads as a word with confidence.
WORD_MIN_CONFIDENCE = 0.8
WORD_MIN_LETTERS = 2
HANG_REACH = 0.6  # ink this close above or below a line, within its width, is part of it
# A mark read without confidence is still kept when it stands in a column of like marks (a
# clerk's initials "A.J." in the margin of every row): at least COLUMN_MIN others, centred
# within COLUMN_REACH line heights of it and of a size within COLUMN_SIZE of its own.
COLUMN_MIN = 2
COLUMN_REACH = 1.0
COLUMN_SIZE = 2.0
# Marks are also looked for in the page's margin up to MARGIN_REACH line heights before the
# table's first rule, where clerks initial each row.
MARGIN_REACH = 4.0


@dataclass(frozen=True)
class Mark:
    """An uncovered ink cluster: its box in page pixels and whether it is a ditto mark."""

    box: tuple[float, float, float, float]
    ditto: bool
    margin: bool = False  # before the table's first rule, not in a cell
    # Just above or below a found line, within its width: most often a descender or an
    # accent the line's box left out, kept only when it reads surely as a word of its own.
    hangs: bool = False


def find_marks(
    grey: np.ndarray, boxes: list[list[float]], table: Table, line_h: float
) -> list[Mark]:
    """Clusters of ink inside the table's cells that none of ``boxes`` covers."""
    if not table or line_h <= 0:
        return []
    ink = _uncovered_ink(grey, boxes, line_h)
    joined = cv2.dilate(
        ink, np.ones((max(1, round(0.15 * line_h)), max(1, round(0.4 * line_h))), np.uint8)
    )
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    marks: list[Mark] = []
    for k in range(1, n):
        x, y, w, h, _ = (int(v) for v in stats[k])
        own = ink[y : y + h, x : x + w] * (labels[y : y + h, x : x + w] == k)
        ys, xs = np.nonzero(own)
        if not len(xs):
            continue
        box = (
            float(x + xs.min()),
            float(y + ys.min()),
            float(x + xs.max() + 1),
            float(y + ys.max() + 1),
        )
        bw, bh = box[2] - box[0], box[3] - box[1]
        if not (MIN_H * line_h <= bh <= MAX_H * line_h and MIN_W * line_h <= bw <= MAX_W * line_h):
            continue
        if own.sum() < MIN_INK * bw * bh:
            continue
        in_cell = table.cell_of(list(box)) is not None
        if not in_cell and not table.in_margin(list(box), MARGIN_REACH * line_h):
            continue
        hangs = _hangs_off_a_line(box, boxes, line_h)
        shape = own[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        ditto = in_cell and not hangs and is_ditto(shape, line_h)
        if ditto or bh >= WORD_MIN_H * line_h:
            marks.append(Mark(box, ditto, margin=not in_cell, hangs=hangs))
    return marks


def _uncovered_ink(grey: np.ndarray, boxes: list[list[float]], line_h: float) -> np.ndarray:
    """Ink (uint8 0/1) without the page's rules and without what the found lines cover."""
    ink = ink_mask(grey, line_h)
    length = max(20, round(RULE_MIN_LINES * line_h))
    rules = cv2.bitwise_or(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)),
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)),
    )
    ink &= 1 - cv2.dilate(rules, np.ones((3, 3), np.uint8))
    # What is left of a faint ruled line is a trail of flat dashes: drop every blob lower
    # than a tenth of a line, so the dashes neither join nor pose as marks.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    flat = np.flatnonzero(stats[:, cv2.CC_STAT_HEIGHT] < max(3.0, 0.1 * line_h))
    ink[np.isin(labels, flat[flat > 0])] = 0
    pad = COVER_PAD * line_h
    for x0, y0, x1, y1 in boxes:
        ink[
            max(0, int(y0 - pad)) : max(0, int(y1 + pad)),
            max(0, int(x0 - pad)) : max(0, int(x1 + pad)),
        ] = 0
    return ink


def is_ditto(mark: np.ndarray, line_h: float) -> bool:
    """True for one to three short strokes, each taller than wide, standing side by side."""
    h, w = mark.shape
    if not (DITTO_MIN_H * line_h <= h <= DITTO_MAX_H * line_h and w <= DITTO_MAX_W * line_h):
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(mark.astype(np.uint8), connectivity=8)
    strokes = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] >= 3]
    if not 1 <= len(strokes) <= 3:
        return False
    for s in strokes:
        sh, sw = int(s[cv2.CC_STAT_HEIGHT]), int(s[cv2.CC_STAT_WIDTH])
        if sh < 0.4 * h:
            return False
        if len(strokes) > 1 and sh < DITTO_STROKE_ASPECT * sw:
            return False
    if len(strokes) == 1:
        # Two strokes joined at one end ("〃" written fast): two ink runs across the middle
        # and no enclosed hole (a ring "o" also has two runs).
        if _runs(mark[h // 2]) == 2 and not _has_hole(mark):
            return True
        # Joined into one small blot: two runs across some of its rows, no bowl.
        if h > BLOT_MAX * line_h or w > BLOT_MAX * line_h or w > 1.6 * h:
            return False
        split = sum(_runs(row) >= 2 for row in mark)
        return split >= max(2, DITTO_SPLIT_ROWS * h) and not _has_hole(mark, HOLE_MIN_AREA)
    return True


def _runs(row: np.ndarray) -> int:
    """The number of ink runs in one row of a 0/1 mask."""
    ink = row.astype(bool)
    return int((ink[1:] & ~ink[:-1]).sum() + ink[0])


def _has_hole(mark: np.ndarray, min_area: int = 1) -> bool:
    """True when some paper inside the mark (a pocket of at least min_area px) is enclosed
    by ink."""
    paper = np.pad((mark == 0).astype(np.uint8), 1, constant_values=1)
    n, _, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    # Label 0 is the ink, the first paper label the outside; the rest are pockets.
    return any(int(a) >= min_area for a in stats[2:n, cv2.CC_STAT_AREA])


def ditto_in_box(grey: np.ndarray, box: list[float], line_h: float) -> bool:
    """True when the ink inside a detected box is a ditto mark (the detector proposed it
    as a line; the recogniser would read it as a stray letter)."""
    x0, y0, x1, y1 = (round(v) for v in box[:4])
    if y1 - y0 > DITTO_MAX_H * line_h * 1.5 or x1 - x0 > DITTO_MAX_W * line_h * 1.5:
        return False
    x0, y0 = max(0, x0), max(0, y0)
    ink = ink_mask(grey, line_h)[y0:y1, x0:x1]
    ys, xs = np.nonzero(ink)
    if not len(xs):
        return False
    return is_ditto(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], line_h)


def _hangs_off_a_line(
    box: tuple[float, float, float, float], lines: list[list[float]], line_h: float
) -> bool:
    """True for ink just above or below a found line, within its width: the tail of a
    descender, an accent or a flourish the line's box left out, not a mark of its own."""
    reach = HANG_REACH * line_h
    for x0, y0, x1, y1 in lines:
        if min(box[2], x1) <= max(box[0], x0):
            continue
        below = box[1] >= y1 and box[1] - y1 <= reach
        above = box[3] <= y0 and y0 - box[3] <= reach
        if below or above:
            return True
        if box[1] < y1 and box[3] > y0 and (box[1] < y0 or box[3] > y1):
            return True  # straddles the line's top or bottom edge
    return False


def in_columns(
    candidates: list[tuple[float, float, float, float]],
    others: list[tuple[float, float, float, float]],
    line_h: float,
) -> list[bool]:
    """For each candidate box: does it stand in a column of like boxes (other candidates or
    lines already kept), COLUMN_MIN of them at least?"""
    pool = [*candidates, *others]
    out = []
    for i, (x0, y0, x1, y1) in enumerate(candidates):
        w, h, xc = x1 - x0, y1 - y0, (x0 + x1) / 2
        alike = 0
        for j, (a0, b0, a1, b1) in enumerate(pool):
            if j == i or min(y1, b1) > max(y0, b0):  # itself, or beside it on its row
                continue
            ow, oh = a1 - a0, b1 - b0
            if (
                abs((a0 + a1) / 2 - xc) <= COLUMN_REACH * line_h
                and max(h, oh) <= COLUMN_SIZE * max(1.0, min(h, oh))
                and max(w, ow) <= COLUMN_SIZE * max(1.0, min(w, ow))
            ):
                alike += 1
        out.append(alike >= COLUMN_MIN)
    return out


def mark_verdict(mark: Mark, text: str, confidence: float, whole: bool) -> str:
    """What a mark that is not a ditto becomes, from its reading: "line" (reported), "column"
    (reported only where it stands in a column of like marks, see in_columns) or "drop".

    A margin mark, or one read only from its top (not ``whole``), counts only down a column
    however sure its reading: a form's margins and boxes hold stamps, signatures and
    flourishes (khai-sinh typed forms lost 3 fields of 412 to them). Ink hanging off a line
    is a line only when it reads surely as a word of its own (a small "de" printed under a
    header label), never as a column: descenders and accents repeat down columns too."""
    if sure_word(text, confidence) and whole and not mark.margin:
        return "line"
    if text and not mark.hangs:
        return "column"
    return "drop"


def reads_as_writing(text: str, confidence: float) -> bool:
    """True when the recogniser's reading of a ditto-shaped box is surely writing: a number
    ("11", "21", a row's number in handwriting is two upright strokes too) or a word, read
    with confidence. A ditto mark reads as a stray sign, a lone letter or not at all."""
    if confidence < WORD_MIN_CONFIDENCE:
        return False
    return any(ch.isdigit() for ch in text) or sure_word(text, confidence)


def sure_word(text: str, confidence: float) -> bool:
    """True for a reading of a mark worth keeping: two letters or digits, read with confidence
    (a speck or a stray stroke reads as a lone letter or with low confidence)."""
    letters = sum(ch.isalnum() for ch in text)
    return letters >= WORD_MIN_LETTERS and confidence >= WORD_MIN_CONFIDENCE
