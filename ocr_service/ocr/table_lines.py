"""Text lines of ruled tables: the printed column rules cut detected lines into cells, and
the words of one row inside a cell are one line.

A line detector trained on running text joins the number of a ledger row with the date in
the next column ("66243 | 26 Août 1896") and cuts a handwritten date at its wide word gaps
("21   Mai   1896"). The register's own column rules say where a field ends, so they
decide both: a box is cut where a rule crosses it, and pieces of one row between the same
two rules are joined again, whatever the gap. Pages without a table (block forms) have no
such rules and are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr_service.preprocess.rules import find_rule_segments

# A column rule: a vertical ink run at least this many line heights long (the tallest
# handwritten stroke, a looped "J" or "f", spans about two).
RULE_MIN_LINES = 3.0
RULE_MAX_WIDTH = 0.5  # x line height: thicker vertical ink is not a printed rule
RULE_JOIN_GAP = 1.5  # see join_segments (SOHOA_VI_RULE_JOIN)
RULE_COVER = 0.7  # share of a box's height a rule must cross to cut the box or bound a cell
CUT_MARGIN = 0.2  # x line height: a rule this close to a box's end only touches it
PIECE_PAD = 0.1  # x ink height: the detector's margin above and below a line's ink
RULE_COLUMN = 0.85  # share of a piece's rows: a column inked down this much is a rule
MIN_TABLE_RULES = 3  # a table has at least two columns
MAX_CELL_SHARE = 0.6  # a "cell" wider than this share of the page is a page frame, not a cell
ROW_OVERLAP = 0.5  # pieces of one row in a cell overlap vertically by this x the lower one
ROW_HEIGHT_RATIO = 1.8  # ... and differ in height by less than this factor
# ... and stand closer than this x the lower piece's height: a handwritten date's word gaps
# reach about one and a half, a surname and the given names after it two ("Etard   Roger
# Michel", page43_EF: 1.82), while a note at the far end of a cell ("(Divorce)") or an
# unruled neighbouring column lies further off. Blank runs wider than this also cut a line
# inside a cell.
CELL_GAP = 2.0  # SOHOA_VI_CELL_GAP


@dataclass(frozen=True)
class Rule:
    """A vertical printed rule: its x range and y range in page pixels."""

    x0: int
    x1: int
    y0: int
    y1: int

    @property
    def x(self) -> float:
        return (self.x0 + self.x1) / 2

    def crosses(self, y0: float, y1: float, share: float = RULE_COVER) -> bool:
        """True when the rule runs over at least `share` of the rows y0..y1."""
        h = y1 - y0
        return h > 0 and min(self.y1, y1) - max(self.y0, y0) >= share * h


def ink_mask(grey: np.ndarray, line_h: float) -> np.ndarray:
    """Dark-on-light ink (uint8 0/1), thresholded against the local paper so faded rules
    and shaded photo backgrounds both work."""
    block = max(15, int(2 * line_h) | 1)
    return cv2.adaptiveThreshold(
        grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12
    ).astype(np.uint8)


# find_rules' floors for pages whose median line is tiny (a page of specks): a rule is still
# at least RULE_MIN_RUN_PX long, and RULE_WIDTH_FLOOR_PX wide ink may still be a rule when half
# a line height is less. Breaks of a printed rule on old paper are bridged before the opening
# (a closing RULE_BRIDGE_PX long).
RULE_MIN_RUN_PX = 20
RULE_WIDTH_FLOOR_PX = 3.0
RULE_BRIDGE_PX = 5


def find_rules(
    grey: np.ndarray,
    line_h: float,
    *,
    min_lines: float = RULE_MIN_LINES,
    min_run: int = RULE_MIN_RUN_PX,
    max_width: float = RULE_MAX_WIDTH,
    width_floor: float = RULE_WIDTH_FLOOR_PX,
    bridge: int = RULE_BRIDGE_PX,
    join_gap: float = RULE_JOIN_GAP,
) -> list[Rule]:
    """The vertical rules of the page, left to right (preprocess.rules): runs of ink at
    least ``min_lines`` line heights (and ``min_run`` px) long and at most ``max_width`` line
    heights (or ``width_floor`` px, when more) wide, once breaks shorter than ``bridge`` px
    are closed; the pieces of one rule are then joined when at most ``join_gap`` line
    heights apart (join_segments)."""
    if line_h <= 0:
        return []
    length = max(min_run, round(min_lines * line_h))
    if length >= grey.shape[0]:
        return []
    segments = find_rule_segments(
        ink_mask(grey, line_h),
        axis="vertical",
        min_run=length,
        bridge=bridge,
        min_length=length,
        max_thickness=max(width_floor, max_width * line_h),
    )
    rules = [Rule(seg.x0, seg.x1, seg.y0, seg.y1) for seg in segments]
    return sorted(join_segments(rules, line_h, join_gap=join_gap), key=lambda r: r.x0)


def join_segments(
    rules: list[Rule], line_h: float, *, join_gap: float = RULE_JOIN_GAP
) -> list[Rule]:
    """Pieces of one rule made whole again: a word written across a column rule ("Valentine"
    running into the date column) breaks it where the writing's ink thickens it, and the
    line it crosses is then not cut. Pieces whose middles lie within RULE_MAX_WIDTH line
    heights of each other and whose ends are at most ``join_gap`` line heights apart are
    one rule."""
    joined: list[Rule] = []
    for r in sorted(rules, key=lambda r: r.y0):
        for k, j in enumerate(joined):
            if abs(j.x - r.x) <= RULE_MAX_WIDTH * line_h and r.y0 - j.y1 <= join_gap * line_h:
                joined[k] = Rule(min(j.x0, r.x0), max(j.x1, r.x1), j.y0, max(j.y1, r.y1))
                break
        else:
            joined.append(r)
    return joined


def median_height(boxes: np.ndarray) -> float:
    if not len(boxes):
        return 0.0
    return float(np.median(boxes[:, 3] - boxes[:, 1]))


@dataclass
class Table:
    """The page's vertical rules, when they form a table."""

    rules: list[Rule]
    page_width: int

    @classmethod
    def of_page(
        cls, grey: np.ndarray, boxes: np.ndarray, *, rule_join: float = RULE_JOIN_GAP
    ) -> Table:
        """The page's table: its rules (pieces ``rule_join`` line heights apart joined, see
        join_segments), or none when they do not make a table."""
        rules = find_rules(grey, median_height(boxes), join_gap=rule_join)
        distinct = {round(r.x / 10) for r in rules}
        if len(distinct) < MIN_TABLE_RULES:
            rules = []
        return cls(rules, grey.shape[1])

    def __bool__(self) -> bool:
        return bool(self.rules)

    def cell_of(self, box: list[float]) -> tuple[float, float] | None:
        """The x range between the rules either side of the box, or None outside a table
        (a margin note, a page title) or in a "cell" as wide as a page frame."""
        sides = self.cell_rules(box)
        return None if sides is None else (sides[0].x, sides[1].x)

    def cell_rules(self, box: list[float]) -> tuple[Rule, Rule] | None:
        """The rules left and right of the box that bound its cell (see cell_of)."""
        x0, y0, x1, y1 = box[:4]
        xc = (x0 + x1) / 2
        left = [r for r in self.rules if r.x < xc and r.x1 <= x0 + CUT_MARGIN * (y1 - y0)]
        right = [r for r in self.rules if r.x > xc and r.x0 >= x1 - CUT_MARGIN * (y1 - y0)]
        left = [r for r in left if r.crosses(y0, y1)]
        right = [r for r in right if r.crosses(y0, y1)]
        if not left or not right:
            return None
        a, b = max(left, key=lambda r: r.x), min(right, key=lambda r: r.x)
        if b.x - a.x > MAX_CELL_SHARE * self.page_width:
            return None
        return (a, b)

    def in_margin(self, box: list[float], reach: float) -> bool:
        """True for a box in the margin just before the table (within ``reach`` px of its
        first rule, which runs beside it): where a clerk initials every row."""
        x0, y0, x1, y1 = box[:4]
        first = [r for r in self.rules if r.crosses(y0, y1)]
        if not first:
            return False
        rule = min(first, key=lambda r: r.x0)
        return x1 <= rule.x0 + CUT_MARGIN * (y1 - y0) and x0 >= rule.x0 - reach


def split_at_rules(grey: np.ndarray, boxes: np.ndarray, table: Table) -> np.ndarray:
    """Boxes [N, 4] cut wherever a column rule crosses them; each piece is narrowed to its
    own ink, and a piece with no ink (the rule's own margin) is dropped."""
    if not table or not len(boxes):
        return boxes
    out: list[list[float]] = []
    for box in boxes:
        out += _cut(grey, [float(v) for v in box[:4]], table.rules)
    return np.asarray(out, np.float32).reshape(-1, 4)


def _cut(grey: np.ndarray, box: list[float], rules: list[Rule]) -> list[list[float]]:
    x0, y0, x1, y1 = box
    h = y1 - y0
    inside = [
        r
        for r in rules
        if r.x0 > x0 + CUT_MARGIN * h and r.x1 < x1 - CUT_MARGIN * h and r.crosses(y0, y1)
    ]
    if not inside:
        touching = any(r.x1 > x0 and r.x0 < x1 and r.crosses(y0, y1) for r in rules)
        if touching and _ink_extent(grey, box) is None:
            return []  # a box around a column rule and nothing else (read as "1" or "7")
        return [box]
    edges = [x0, *(v for r in inside for v in (r.x0 - 1, r.x1 + 1)), x1]
    pieces = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        piece = _ink_extent(grey, [a, y0, b, y1])
        if piece is not None and piece[2] - piece[0] >= 0.3 * h:
            pieces.append(piece)
    return pieces


def _ink_extent(grey: np.ndarray, box: list[float]) -> list[float] | None:
    """The box shrunk to the ink inside it, with the detector's usual margin around it
    (a piece of a line that crossed cells keeps only its own cell's height), or None when
    it holds no ink."""
    x0, y0, x1, y1 = box
    ix0, ix1 = max(0, round(x0)), min(grey.shape[1], round(x1))
    iy0, iy1 = max(0, round(y0)), min(grey.shape[0], round(y1))
    if ix1 - ix0 < 2 or iy1 - iy0 < 2:
        return None
    strip = grey[iy0:iy1, ix0:ix1]
    ink = strip < float(np.percentile(strip, 90)) - 60
    # A column inked from top to bottom is a rule (or the edge of one left by the cut): it
    # would stretch the piece to the full height of the line it was cut from.
    ink[:, ink.mean(axis=0) >= RULE_COLUMN] = False
    cols = np.flatnonzero(ink.sum(axis=0) >= 2)
    rows = np.flatnonzero(ink.sum(axis=1) >= 2)
    if not len(cols) or not len(rows):
        return None
    top, bottom = iy0 + rows[0], iy0 + rows[-1] + 1
    pad = PIECE_PAD * (bottom - top)
    return [
        float(ix0 + cols[0]),
        max(y0, top - pad),
        float(ix0 + cols[-1] + 1),
        min(y1, bottom + pad),
    ]


def merge_in_cells(boxes: np.ndarray, table: Table, *, cell_gap: float = CELL_GAP) -> np.ndarray:
    """Pieces of one row between the same two rules, less than ``cell_gap`` x their height
    apart (see CELL_GAP), joined into one line."""
    if not table or len(boxes) < 2:
        return boxes
    items = sorted(([float(v) for v in b[:4]] for b in boxes), key=lambda b: b[0])
    cells = [table.cell_of(b) for b in items]
    merged: list[list[float]] = []
    merged_cells: list[tuple[float, float] | None] = []
    for box, cell in zip(items, cells, strict=True):
        for k, m in enumerate(merged):
            if (
                cell is not None
                and merged_cells[k] == cell
                and _same_row(m, box)
                and box[0] - m[2] < cell_gap * min(m[3] - m[1], box[3] - box[1])
            ):
                m[:] = [min(m[0], box[0]), min(m[1], box[1]), max(m[2], box[2]), max(m[3], box[3])]
                break
        else:
            merged.append(box)
            merged_cells.append(cell)
    return np.asarray(merged, np.float32).reshape(-1, 4)


def _same_row(a: list[float], b: list[float]) -> bool:
    ha, hb = a[3] - a[1], b[3] - b[1]
    low, high = min(ha, hb), max(ha, hb)
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return low > 0 and high <= ROW_HEIGHT_RATIO * low and overlap >= ROW_OVERLAP * low
