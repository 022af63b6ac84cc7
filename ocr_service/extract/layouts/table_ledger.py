"""Table-ledger pages (older books, one record per row, often across a spread) → raw fields."""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from rapidfuzz import fuzz

from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.ditto import resolve_dittos
from ocr_service.extract.layouts.labels import find_labels, fold_words
from ocr_service.extract.layouts.layout_file import ColumnSpec, LedgerLayout
from ocr_service.ocr.containers import BBox, OcrLine, OcrPage
from ocr_service.preprocess.analysis import ink_mask
from ocr_service.preprocess.rules import find_rule_segments

Image = np.ndarray[Any, Any]

# The reader's heuristics. Lengths are in line heights (the median height of the lines they
# are compared with) unless they say px; shares are of a page side's width or height. They were
# set with the first table-ledger reader (7cd5990) on the synthetic ledgers and the FRAN spread
# and are measured together by bench/bench_fields.py (docs/BENCHMARKS.md, "Fields of whole
# books": table ledgers 88.9 / 92.2 % then, 92.4 / 95.5 % on 2026-12-03); no sweep of a single
# value is recorded unless its comment names one.

# Horizontal ruled lines (detect_rules): the row rules of a table page.
ROW_RULE_INK_BLOCK = 31  # px: neighbourhood of the local ink threshold, wider than any stroke
ROW_RULE_INK_OFFSET = 15  # grey levels below the neighbourhood mean: paper grain stays out
# The opening keeps horizontal runs of 1/25 of the side's width (at least 10 px): a slightly
# skewed 2 px rule still has runs that long between its steps, a written word has none.
ROW_RULE_RUN_PARTS = 25
ROW_RULE_MIN_RUN_PX = 10
# A row rule crosses the table: a run shorter than this share of the side's width (a word
# underlined or struck through, one cell's rule) is not one.
ROW_RULE_MIN_SPAN = 0.3
ROW_RULE_MERGE_PX = 6  # runs whose centres are closer are one rule (a skewed one in pieces)

DEFAULT_LINE_H = 20.0  # px: the line height of a side with no lines (nothing is measured then)

# Printed column headers (header_stacks, anchor_headers).
HEADER_ZONE = 0.45  # share of the side's height, from the top, where headers are looked for
HEADER_MAX_WIDTH = 0.4  # share of the side's width: a wider line is a page title, not a header
# A wrapped header's next line starts at most this far above the end of the line before it
# (boxes of neighbouring lines overlap) and less than STACK_GAP below it.
STACK_OVERLAP = 0.5
STACK_GAP = 0.9
STACK_X_OVERLAP = 0.5  # lines of one stack overlap by this share of the narrower one's width
HEADER_MAX_LINES = 4  # a printed header wraps onto at most this many lines
# A stack longer than the header by more than PARTIAL_SLACK characters has run on into the
# entries below it: the header is then also matched as a part of it, PARTIAL_PENALTY points
# below a whole match so that a header matched whole wins.
PARTIAL_SLACK = 4
PARTIAL_PENALTY = 8
HEADER_MIN_SCORE = 75  # rapidfuzz ratio (0–100): below it no stack is taken for the header
HEADER_TIE = 3  # points: stacks this close to the best are equally good (leftmost wins)

# Column and row borders.
CUT_MIN_SPAN = 4  # px: two header centres closer than this are cut at their midpoint
CUT_STEPS = 200  # x positions tried between two header centres (at least one px apart)
COST_TIE = 1e-9  # cut costs closer than this are equal (float rounding)
HEADER_REACH = 0.6  # header widths: how far an outer column reaches beyond its header centre
ROW_STEP_PX = 2.0  # px: step of the horizontal cut searched between two row numbers
TEXT_ROW_OVERLAP = 0.5  # lines share a text row when they overlap by half the shorter one
MIN_RULED_ROW = 0.6  # line heights: two rules closer than this bound no row (a double rule)
KEY_OVERLAP = 0.5  # share of a line's width inside the key column: the line is a row number
KEY_MIN_PITCH = 0.8  # line heights: key lines closer than this belong to one row number
# Typed tables (row_align "middle") are cut at the emptiest y between one number's centre and
# this far below the top of the next; handwritten ones (top-aligned) this far above the next
# number's centre: tall handwritten numbers and the previous entry's last line both stay put.
MIDDLE_CUT_BELOW = 0.2
TOP_CUT_ABOVE = 0.5
# Ruled rows win unless they are fewer than this share of the rows the numbers show (a faint
# or broken rule merged two rows).
RULED_ROW_SHARE = 0.9
TEXT_ROW_PAD = 0.3  # line heights above and below a text row taken as the row's extent

# Cells.
SPLIT_OVERLAP = 0.25  # share of a line's width inside a column: the line reaches into it
# A line that only touches one column (less than this share of its width inside, its centre
# outside) is a margin mark, not part of the column.
MARGIN_MARK_OVERLAP = 0.5

# The "Trang số" footer.
FOOTER_ZONE = 0.8  # share of the side's height below which the footer is looked for
FOOTER_TOUCH_PX = 2  # px: the number's box may start this far inside the caption's box
FOOTER_NUMBER_REACH = 4  # caption heights: how far right of the caption its number may stand


@dataclass
class PageSide:
    """One page of a spread (or a whole single page): its lines and where it sits."""

    page_no: int
    side: str  # "left" | "right" | "page"
    x0: int
    width: int
    height: int
    lines: list[OcrLine]
    image: Image | None = None


@dataclass
class SideRows:
    """Rows found on one side: y boundaries and the cell texts per row."""

    side: PageSide
    bounds: list[tuple[float, float]] = field(default_factory=list)
    cells: list[dict[str, list[OcrLine]]] = field(default_factory=list)


def split_sides(
    layout: LedgerLayout, pages: list[tuple[int, OcrPage]], images: dict[int, Image] | None = None
) -> list[tuple[PageSide, PageSide | None]]:
    """Pairs (left, right) of page sides whose rows continue into each other (right None: none)."""
    images = images or {}
    out: list[tuple[PageSide, PageSide | None]] = []
    if layout.spread == "image":
        for no, page in pages:
            gx = int(layout.gutter_x * page.width)
            lefts = [ln for ln in page.lines if (ln.bbox[0] + ln.bbox[2]) / 2 < gx]
            rights = [ln for ln in page.lines if (ln.bbox[0] + ln.bbox[2]) / 2 >= gx]
            img = images.get(no)
            out.append(
                (
                    PageSide(no, "left", 0, gx, page.height, lefts, img),
                    PageSide(no, "right", gx, page.width - gx, page.height, rights, img),
                )
            )
    elif layout.spread == "pages":
        for i in range(0, len(pages), 2):
            no, page = pages[i]
            left = PageSide(
                no, "left", 0, page.width, page.height, list(page.lines), images.get(no)
            )
            right = None
            if i + 1 < len(pages):
                rno, rpage = pages[i + 1]
                right = PageSide(
                    rno, "right", 0, rpage.width, rpage.height, list(rpage.lines), images.get(rno)
                )
            out.append((left, right))
    else:
        for no, page in pages:
            out.append(
                (
                    PageSide(
                        no, "page", 0, page.width, page.height, list(page.lines), images.get(no)
                    ),
                    None,
                )
            )
    return out


def detect_rules(
    image: Image,
    x0: int = 0,
    width: int | None = None,
    *,
    ink_block: int = ROW_RULE_INK_BLOCK,
    ink_offset: int = ROW_RULE_INK_OFFSET,
    run_parts: int = ROW_RULE_RUN_PARTS,
    min_run: int = ROW_RULE_MIN_RUN_PX,
    min_span: float = ROW_RULE_MIN_SPAN,
    merge_px: float = ROW_RULE_MERGE_PX,
) -> list[float]:
    """y positions of the horizontal ruled lines of a page (side), top to bottom.

    The rules are the runs of at least max(``min_run``, width // ``run_parts``) px that
    span ``min_span`` of the side's width (preprocess.rules); runs whose centres lie
    less than ``merge_px`` apart are one rule, at their mean y.
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    width = width or gray.shape[1] - x0
    crop = gray[:, x0 : x0 + width]
    if crop.dtype != np.uint8:
        crop = np.clip(crop, 0, 255).astype(np.uint8)
    segments = find_rule_segments(
        ink_mask(crop, block=ink_block, offset=ink_offset),
        axis="horizontal",
        min_run=max(min_run, width // run_parts),
        min_length=min_span * width,
    )
    merged: list[float] = []
    for y in sorted(seg.cy for seg in segments):
        if merged and y - merged[-1] < merge_px:
            merged[-1] = (merged[-1] + y) / 2
        else:
            merged.append(y)
    return merged


def _line_h(lines: list[OcrLine]) -> float:
    if not lines:
        return DEFAULT_LINE_H
    return float(statistics.median([ln.bbox[3] - ln.bbox[1] for ln in lines]))


def _cy(ln: OcrLine) -> float:
    return (ln.bbox[1] + ln.bbox[3]) / 2


def header_stacks(
    side: PageSide,
    *,
    zone: float = HEADER_ZONE,
    max_width: float = HEADER_MAX_WIDTH,
    overlap: float = STACK_OVERLAP,
    gap: float = STACK_GAP,
) -> list[list[OcrLine]]:
    """Lines near the top stacked in one column, top to bottom, left to right by stack.

    A printed header may wrap ('Ngày, tháng,' over 'năm đăng ký'); the stack also runs on into
    the first entries below it, so headers are matched against its first lines only. Lines
    whose top is in the upper ``zone`` of the side are looked at; titles wider than
    ``max_width`` of the side are left out. A line joins a stack when it starts between
    ``overlap`` line heights above and ``gap`` below the stack's last line.
    """
    top = [
        ln
        for ln in side.lines
        if ln.bbox[1] < zone * side.height and ln.bbox[2] - ln.bbox[0] < max_width * side.width
    ]
    lh = _line_h(top)
    stacks: list[list[OcrLine]] = []
    for ln in sorted(top, key=lambda ln: ln.bbox[1]):
        for st in stacks:
            last = st[-1]
            narrow = min(ln.bbox[2] - ln.bbox[0], last.bbox[2] - last.bbox[0])
            close = -overlap * lh <= ln.bbox[1] - last.bbox[3] < gap * lh
            if (
                close
                and _overlap(ln.bbox[0], ln.bbox[2], last.bbox[0], last.bbox[2])
                > STACK_X_OVERLAP * narrow
            ):
                st.append(ln)
                break
        else:
            stacks.append([ln])
    return sorted(stacks, key=lambda st: min(ln.bbox[0] for ln in st))


def _header_score(want: str, stack: list[OcrLine]) -> tuple[float, int]:
    """Best fuzzy score of a header text against the first 1–HEADER_MAX_LINES lines of a
    stack, and how many lines gave it."""
    best = (0.0, 0)
    for k in range(1, min(HEADER_MAX_LINES, len(stack)) + 1):
        got = fold_words(" ".join(ln.text for ln in stack[:k]))
        if not got:
            continue
        score = fuzz.ratio(got, want)
        if len(got) > len(want) + PARTIAL_SLACK:
            score = max(score, fuzz.partial_ratio(want, got) - PARTIAL_PENALTY)
        if score > best[0]:
            best = (score, k)
    return best


def anchor_headers(
    side: PageSide,
    columns: list[ColumnSpec],
    *,
    min_score: float = HEADER_MIN_SCORE,
    tie: float = HEADER_TIE,
) -> tuple[dict[str, tuple[float, float]], float]:
    """x extent of the header of every header-anchored column on this side; header bottom y.

    Columns with the same header text ('Năm sinh' of the mother, then of the father) take the
    matching headers from left to right in the order the layout file lists them. A header
    is found where a stack scores at least ``min_score``; stacks within ``tie`` points of the
    best are equally good.
    """
    found: dict[str, tuple[float, float]] = {}
    bottom = 0.0
    stacks = header_stacks(side)
    used: set[int] = set()
    for col in columns:
        if col.header is None:
            continue
        want = fold_words(col.header)
        scored = []
        for i, st in enumerate(stacks):
            if i not in used:
                score, k = _header_score(want, st)
                scored.append((score, i, k))
        if not scored:
            continue
        top = max(sc for sc, _, _ in scored)
        if top < min_score:
            continue
        # The leftmost of the equally good: repeated headers are taken in reading order.
        _, i, k = min((p for p in scored if p[0] >= top - tie), key=lambda p: p[1])
        used.add(i)
        lines = stacks[i][:k]
        found[col.field] = (
            float(min(ln.bbox[0] for ln in lines)),
            float(max(ln.bbox[2] for ln in lines)),
        )
        bottom = max(bottom, float(max(ln.bbox[3] for ln in lines)))
    return found, bottom


def _cut_columns(lines: list[OcrLine], lo: float, hi: float) -> float:
    """The x between two header centres that cuts the fewest body lines (the column rule).

    Headers sit in the middle of columns of different widths, so the midpoint between two
    header centres often falls inside the wider column's text.
    """
    mid = (lo + hi) / 2
    if not lines or hi - lo < CUT_MIN_SPAN:
        return mid
    best_x, best_cost = mid, float("inf")
    step = max(1.0, (hi - lo) / CUT_STEPS)
    x = lo + step
    while x < hi:
        cost = 0.0
        for ln in lines:
            x0, x1 = ln.bbox[0], ln.bbox[2]
            if x0 < x < x1:
                cost += min(x - x0, x1 - x) / max(1.0, (x1 - x0) / 2)
        # Equal cost: stay near the midpoint.
        if cost < best_cost - COST_TIE or (
            abs(cost - best_cost) < COST_TIE and abs(x - mid) < abs(best_x - mid)
        ):
            best_x, best_cost = x, cost
        x += step
    return best_x


def column_ranges(
    side: PageSide,
    columns: list[ColumnSpec],
    headers: dict[str, tuple[float, float]],
    body: list[OcrLine] | None = None,
) -> dict[str, tuple[float, float]]:
    """Absolute x range of every column on this side (header columns split at the emptiest x)."""
    body = body or []
    header_centres = {c: (a + b) / 2 for c, (a, b) in headers.items()}
    half = {c: HEADER_REACH * (b - a) for c, (a, b) in headers.items()}
    fixed: dict[str, tuple[float, float]] = {}
    for col in columns:
        if col.x is not None:
            fixed[col.field] = (side.x0 + col.x[0] * side.width, side.x0 + col.x[1] * side.width)
    centres = {c: (r[0] + r[1]) / 2 for c, r in fixed.items()}
    centres.update({c: x for c, x in header_centres.items() if c not in fixed})
    order = sorted(centres, key=lambda c: centres[c])
    out = dict(fixed)
    for i, code in enumerate(order):
        if code in fixed:
            continue
        c = centres[code]
        # Outer columns reach out as far as they reach in (or HEADER_REACH header widths):
        # margin notes stay outside.
        reach = half.get(code, 0.0)
        lo = c - max((centres[order[i + 1]] - c) / 2, reach) if i + 1 < len(order) else side.x0
        hi = c + max((c - centres[order[i - 1]]) / 2, reach) if i > 0 else side.x0 + side.width
        if i > 0:
            lo = _cut_columns(body, centres[order[i - 1]], c)
        if i + 1 < len(order):
            hi = _cut_columns(body, c, centres[order[i + 1]])
        lo, hi = max(lo, side.x0), min(hi, side.x0 + side.width)
        if i > 0 and order[i - 1] in fixed:
            lo = max(lo, fixed[order[i - 1]][1])
        if i + 1 < len(order) and order[i + 1] in fixed:
            hi = min(hi, fixed[order[i + 1]][0])
        out[code] = (lo, hi)
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _body_top(side: PageSide, layout: LedgerLayout, header_bottom: float) -> float:
    top = header_bottom + 1 if header_bottom else 0.0
    if layout.body_top is not None:
        top = max(top, layout.body_top * side.height)
    if layout.header_rows:
        rows = _text_rows([ln for ln in side.lines if _cy(ln) > top])
        if len(rows) > layout.header_rows:
            top = max(top, min(ln.bbox[1] for ln in rows[layout.header_rows]) - 1)
        else:
            top = float(side.height)
    return top


def _text_rows(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Lines grouped into visual text rows (vertical overlap), top to bottom."""
    rows: list[list[OcrLine]] = []
    for ln in sorted(lines, key=_cy):
        if rows:
            last = rows[-1]
            y0 = min(o.bbox[1] for o in last)
            y1 = max(o.bbox[3] for o in last)
            h = min(ln.bbox[3] - ln.bbox[1], y1 - y0)
            if _overlap(ln.bbox[1], ln.bbox[3], y0, y1) >= TEXT_ROW_OVERLAP * max(h, 1):
                last.append(ln)
                continue
        rows.append([ln])
    return rows


def _cut_between(lines: list[OcrLine], lo: float, hi: float) -> float:
    """The y between two row keys that cuts the fewest text lines, and those least deeply.

    Rows may be top-aligned (a long entry runs down to the next number) or centred on the
    number: the emptiest horizontal cut between the numbers serves both.
    """
    if hi <= lo:
        return hi
    best_y, best_cost = hi, float("inf")
    y = lo
    while y <= hi:
        cost = 0.0
        for ln in lines:
            y0, y1 = ln.bbox[1], ln.bbox[3]
            if y0 < y < y1:
                cost += min(y - y0, y1 - y) / max(1.0, (y1 - y0) / 2)
        # Ties go to the lower cut: an entry rather overruns downwards than upwards.
        if cost <= best_cost + COST_TIE:
            best_y, best_cost = y, cost
        y += ROW_STEP_PX
    return best_y


def _ruled_rows(
    side: PageSide, body: list[OcrLine], top: float, bottom: float, lh: float
) -> list[tuple[float, float]]:
    """Row intervals between the ruled lines of the page image that hold text (none: [])."""
    if side.image is None:
        return []
    ys = [y for y in detect_rules(side.image, side.x0, side.width) if top - lh < y < bottom + lh]
    spans = [(a, b) for a, b in itertools.pairwise(ys) if b - a > MIN_RULED_ROW * lh]
    # Keep the ruled intervals that hold text; squeezed extra lines stay in their rule.
    return [sp for sp in spans if any(sp[0] <= _cy(ln) < sp[1] for ln in body)]


def _merge_unnumbered(
    spans: list[tuple[float, float]], body: list[OcrLine], key_range: tuple[float, float]
) -> list[tuple[float, float]]:
    """A ruled row without a number continues the row above it (an entry over two rows)."""
    k0, k1 = key_range

    def numbered(sp: tuple[float, float]) -> bool:
        return any(
            sp[0] <= _cy(ln) < sp[1] and _overlap(ln.bbox[0], ln.bbox[2], k0, k1) > 0 for ln in body
        )

    out: list[tuple[float, float]] = []
    for sp in spans:
        if out and not numbered(sp):
            out[-1] = (out[-1][0], sp[1])
        elif numbered(sp):
            out.append(sp)
    return out


def row_bounds(
    side: PageSide,
    layout: LedgerLayout,
    ranges: dict[str, tuple[float, float]],
    top: float,
    partner: list[OcrLine] | None = None,
    *,
    ruled_share: float = RULED_ROW_SHARE,
) -> list[tuple[float, float]]:
    """y intervals of the record rows: ruled lines, else the key column, else text rows.

    `partner` are the body lines of the facing page (same y scale): the cut between two rows
    must suit both halves of the spread. The ruled rows are taken unless they are fewer than
    ``ruled_share`` of the rows the key column shows.
    """
    body = [ln for ln in side.lines if _cy(ln) > top]
    bottom = layout.body_bottom * side.height if layout.body_bottom is not None else side.height
    body = [ln for ln in body if _cy(ln) < bottom]
    both = body + [ln for ln in (partner or []) if top < _cy(ln) < bottom]
    if not body:
        return []
    lh = _line_h(body)
    key_rows: list[tuple[float, float]] = []
    key = layout.key_field()
    if key and key in ranges:
        k0, k1 = ranges[key]
        keys = sorted(
            (
                ln
                for ln in body
                if _overlap(ln.bbox[0], ln.bbox[2], k0, k1)
                > KEY_OVERLAP * (ln.bbox[2] - ln.bbox[0])
            ),
            key=_cy,
        )
        anchors: list[OcrLine] = []
        for ln in keys:
            if not anchors or _cy(ln) - _cy(anchors[-1]) > KEY_MIN_PITCH * lh:
                anchors.append(ln)
        if anchors:
            cuts = [min(top, anchors[0].bbox[1])]
            for prev, cur in itertools.pairwise(anchors):
                if layout.row_align == "middle":
                    below = cur.bbox[1] + MIDDLE_CUT_BELOW * lh
                    cuts.append(_cut_between(both, _cy(prev), below))
                else:
                    # Above the centre of the number: tall handwritten numbers and the
                    # previous entry's last line both stay where they belong.
                    cuts.append(_cy(cur) - TOP_CUT_ABOVE * lh)
            # The last row ends one row pitch below its number (the footer stays out).
            pitch = (
                statistics.median(b - a for a, b in itertools.pairwise(_cy(k) for k in anchors))
                if len(anchors) > 1
                else float(side.height)
            )
            end = max(ln.bbox[3] for ln in both if _cy(ln) < _cy(anchors[-1]) + pitch)
            cuts.append(end + 1)
            key_rows = list(itertools.pairwise(cuts))
    ruled = _ruled_rows(side, body, top, bottom, lh)
    if ruled and key and key in ranges:
        ruled = _merge_unnumbered(ruled, body, ranges[key])
    # Ruled lines win unless they missed rows the numbers show (a faint or broken rule).
    if ruled and (not key_rows or len(ruled) >= ruled_share * len(key_rows)):
        return ruled
    if key_rows:
        return key_rows
    pad = TEXT_ROW_PAD * lh
    return [
        (min(ln.bbox[1] for ln in r) - pad, max(ln.bbox[3] for ln in r) + pad)
        for r in _text_rows(body)
    ]


def _split_line(ln: OcrLine, ranges: dict[str, tuple[float, float]]) -> list[tuple[str, OcrLine]]:
    """A line over several columns is cut at the spaces nearest the column borders."""
    x0, y0, x1, y1 = ln.bbox
    w = max(1, x1 - x0)
    hits = sorted(
        ((c, r) for c, r in ranges.items() if _overlap(x0, x1, r[0], r[1]) > SPLIT_OVERLAP * w),
        key=lambda p: p[1][0],
    )
    if len(hits) <= 1:
        best = max(ranges.items(), key=lambda p: _overlap(x0, x1, p[1][0], p[1][1]), default=None)
        if best is None:
            return []
        r = best[1]
        # Margin marks that only touch a column are not part of it.
        inside = _overlap(x0, x1, r[0], r[1])
        if inside < MARGIN_MARK_OVERLAP * w and not r[0] <= (x0 + x1) / 2 < r[1]:
            return []
        return [(best[0], ln)]
    text = ln.text
    out: list[tuple[str, OcrLine]] = []
    start = 0
    for i, (code, r) in enumerate(hits):
        if i == len(hits) - 1:
            end = len(text)
        else:
            cut = round((r[1] - x0) / w * len(text))
            spaces = [k for k, ch in enumerate(text) if ch == " " and start < k]
            end = min(spaces, key=lambda k: abs(k - cut)) if spaces else cut
        piece = text[start:end].strip()
        if piece:
            px0 = x0 + int(w * start / max(1, len(text)))
            px1 = x0 + int(w * end / max(1, len(text)))
            out.append((code, OcrLine(piece, ln.confidence, (px0, y0, px1, y1), engine=ln.engine)))
        start = end
    return out


def read_side(
    side: PageSide,
    layout: LedgerLayout,
    bounds: list[tuple[float, float]] | None = None,
    partner: list[OcrLine] | None = None,
) -> SideRows:
    """Cells of every row on one page side (given row bounds, or found here)."""
    columns = [c for c in layout.columns if c.side in (side.side, "page")]
    headers, header_bottom = anchor_headers(side, columns)
    top = _body_top(side, layout, header_bottom)
    bottom = layout.body_bottom * side.height if layout.body_bottom is not None else side.height
    body = [ln for ln in side.lines if top < _cy(ln) < bottom]
    ranges = column_ranges(side, columns, headers, body)
    if bounds is None:
        bounds = row_bounds(side, layout, ranges, top, partner)
    result = SideRows(side, bounds, [dict() for _ in bounds])
    footer = footer_lines(side)
    for ln in side.lines:
        if id(ln) in footer:
            continue
        cy = _cy(ln)
        if cy <= top or not ln.text.strip():
            continue
        idx = next((i for i, (a, b) in enumerate(bounds) if a <= cy < b), None)
        if idx is None:
            continue
        for code, piece in _split_line(ln, ranges):
            result.cells[idx].setdefault(code, []).append(piece)
    return result


def _cell_field(code: str, lines: list[OcrLine], page_no: int) -> FieldDraft:
    # Reading order: visual rows top to bottom, left to right inside a row.
    lines = [ln for row in _text_rows(lines) for ln in sorted(row, key=lambda ln: ln.bbox[0])]
    raw = unicodedata.normalize("NFC", " ".join(" ".join(ln.text.split()) for ln in lines))
    n = sum(len(ln.text) for ln in lines) or 1
    conf = sum(ln.confidence * len(ln.text) for ln in lines) / n
    bbox: BBox = (
        min(ln.bbox[0] for ln in lines),
        min(ln.bbox[1] for ln in lines),
        max(ln.bbox[2] for ln in lines),
        max(ln.bbox[3] for ln in lines),
    )
    return FieldDraft(code=code, raw=raw, confidence=conf, bbox=bbox, page=page_no)


def _pair_rows(left: SideRows, right: SideRows) -> list[tuple[int | None, int | None]]:
    """Match rows of the two sides by vertical position (heights scaled for separate images)."""
    scale = left.side.height / max(1, right.side.height)
    lc = [(a + b) / 2 for a, b in left.bounds]
    rc = [(a + b) / 2 * scale for a, b in right.bounds]
    pairs: list[tuple[int | None, int | None]] = []
    used: set[int] = set()
    for i, y in enumerate(lc):
        half = (left.bounds[i][1] - left.bounds[i][0]) / 2
        best = min(
            (j for j in range(len(rc)) if j not in used), key=lambda j: abs(rc[j] - y), default=None
        )
        if best is not None and abs(rc[best] - y) <= max(half, 1.0):
            used.add(best)
            pairs.append((i, best))
        else:
            pairs.append((i, None))
    # A right-hand row with no left-hand partner belongs to the nearest left row (an entry
    # running over two ruled rows on that page); it never makes a record of its own.
    for j in range(len(rc)):
        if j not in used and lc:
            i = min(range(len(lc)), key=lambda i: abs(lc[i] - rc[j]))
            pairs.append((i, j))
    return pairs


def read_table_ledger(
    layout: LedgerLayout, pages: list[tuple[int, OcrPage]], images: dict[int, Image] | None = None
) -> list[RecordDraft]:
    """Draft records (raw readings) of a table ledger, one per row, rows joined across spreads."""
    records: list[RecordDraft] = []
    for left_side, right_side in split_sides(layout, pages, images):
        has_key = right_side is not None and any(
            c.side == "right" and c.field == layout.key_field() for c in layout.columns
        )
        partner = None
        if right_side is not None and not has_key:
            scale = left_side.height / max(1, right_side.height)
            partner = [
                OcrLine(
                    ln.text,
                    ln.confidence,
                    (ln.bbox[0], int(ln.bbox[1] * scale), ln.bbox[2], int(ln.bbox[3] * scale)),
                )
                for ln in right_side.lines
            ]
        left = read_side(left_side, layout, partner=partner)
        if right_side is None:
            for i, cells in enumerate(left.cells):
                if cells:
                    rec = _record(left_side.page_no, i, [(left_side.page_no, cells)])
                    _set_page_number(rec, [left_side])
                    records.append(rec)
            continue
        if has_key or right_side.image is not None:
            right = read_side(right_side, layout)
            pairs = _pair_rows(left, right)
        else:
            # No key column on the right page: its rows are the left page's rows.
            scale = right_side.height / max(1, left_side.height)
            bounds = [(a * scale, b * scale) for a, b in left.bounds]
            right = read_side(right_side, layout, bounds)
            pairs = [(i, i) for i in range(len(bounds))]
        grouped: dict[int, list[int]] = {}
        for li, ri in pairs:
            if li is not None:
                grouped.setdefault(li, [])
                if ri is not None:
                    grouped[li].append(ri)
        for li, ris in sorted(grouped.items()):
            parts: list[tuple[int, dict[str, list[OcrLine]]]] = []
            if left.cells[li]:
                parts.append((left_side.page_no, left.cells[li]))
            merged: dict[str, list[OcrLine]] = {}
            for ri in sorted(ris):
                for code, lines in right.cells[ri].items():
                    merged.setdefault(code, []).extend(lines)
            if merged:
                parts.append((right_side.page_no, merged))
            if parts:
                rec = _record(left_side.page_no, li, parts)
                _set_page_number(rec, [left_side, right_side])
                records.append(rec)
    resolve_dittos(records)
    return records


def footer_page_number(side: PageSide, *, zone: float = FOOTER_ZONE) -> FieldDraft | None:
    """'Trang số 12' printed at the foot of a ledger page (a caption starting below ``zone``
    of the page's height: the bottom fifth)."""
    for ln in side.lines:
        if ln.bbox[1] < zone * side.height:
            continue
        hits = find_labels(ln.text, ["Trang số"])
        if not hits:
            continue
        m = re.search(r"\d+", ln.text[hits[0].end :])
        if m:
            return FieldDraft(
                code="trangSo",
                raw=m.group(0),
                confidence=ln.confidence,
                bbox=ln.bbox,
                page=side.page_no,
            )
        # The number written in its own box to the right of the printed label.
        right = [
            o
            for o in side.lines
            if o is not ln
            and o.bbox[0] >= ln.bbox[2] - FOOTER_TOUCH_PX
            and _overlap(o.bbox[1], o.bbox[3], ln.bbox[1], ln.bbox[3]) > 0
            and re.fullmatch(r"\s*\d+\s*", o.text)
        ]
        if right:
            o = min(right, key=lambda o: o.bbox[0])
            return FieldDraft(
                code="trangSo",
                raw=o.text.strip(),
                confidence=o.confidence,
                bbox=o.bbox,
                page=side.page_no,
            )
    return None


def footer_lines(side: PageSide, *, zone: float = FOOTER_ZONE) -> set[int]:
    """ids of the 'Trang số' caption lines at the foot of the page (below ``zone`` of its
    height) and the numbers beside them."""
    out: set[int] = set()
    for ln in side.lines:
        if ln.bbox[1] < zone * side.height or not find_labels(ln.text, ["Trang số"]):
            continue
        out.add(id(ln))
        for o in side.lines:
            if (
                o.bbox[0] >= ln.bbox[2] - FOOTER_TOUCH_PX
                and o.bbox[0] - ln.bbox[2] < FOOTER_NUMBER_REACH * (ln.bbox[3] - ln.bbox[1])
                and _overlap(o.bbox[1], o.bbox[3], ln.bbox[1], ln.bbox[3]) > 0
                and re.fullmatch(r"\s*\d{1,4}\s*", o.text)
            ):
                out.add(id(o))
    return out


def _set_page_number(rec: RecordDraft, sides: list[PageSide | None]) -> None:
    if "trangSo" in rec.fields:
        return
    for side in sides:
        if side is not None:
            f = footer_page_number(side)
            if f is not None:
                rec.fields["trangSo"] = f
                return


def _record(
    page_no: int, row: int, parts: list[tuple[int, dict[str, list[OcrLine]]]]
) -> RecordDraft:
    rec = RecordDraft(page=page_no, row=row + 1, pages=sorted({p for p, _ in parts}))
    for pno, cells in parts:
        for code, lines in cells.items():
            if code in rec.fields:
                # Same field in both halves: keep both readings in reading order.
                extra = _cell_field(code, lines, pno)
                rec.fields[code].raw = f"{rec.fields[code].raw} {extra.raw}".strip()
                continue
            rec.fields[code] = _cell_field(code, lines, pno)
    return rec
