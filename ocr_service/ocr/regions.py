"""Line regions: the area a transcriber draws around a text line, as PAGE/ALTO ground truth
and our PAGE XML export record it (TextLine Coords).

The reported box (OcrLine.bbox) hugs the ink: the form extractor measures label and value
positions with it. Transcription tools draw a line's region looser: from the line above to
the line below and past the ends of the writing (kraken's polygons follow the space between
baselines; eScriptorium users extend baselines beyond short words). A line's region here is
its ink box grown by up to REGION_Y line heights up and down and REGION_X at both ends, but
never past halfway to a neighbouring line, nor across a column rule. The last line of a
table column grows down to the table's foot, up to TABLE_END_REACH line heights.
(SOHOA_VI_REGION_X, SOHOA_VI_REGION_Y and SOHOA_VI_TABLE_END set them: config.ViSettings.)
"""

from __future__ import annotations

from collections.abc import Sequence

from ocr_service.ocr.table_lines import Table

REGION_X = 0.6
REGION_Y = 0.35
RULE_CLEARANCE = 2.0  # px kept between a region and the column rule it stops at
TABLE_END_REACH = 1.0
DITTO_HALF_WIDTH = 1.5  # x line height, either side of a ditto mark's centre
DITTO_ABOVE, DITTO_BELOW = 0.6, 0.5  # x line height, above and below its middle

Box = Sequence[float]


def line_regions(
    boxes: Sequence[Box],
    table: Table,
    line_h: float,
    size: tuple[int, int],
    grow_x: float = REGION_X,
    grow_y: float = REGION_Y,
    dittos: frozenset[int] = frozenset(),
    *,
    table_end: float = TABLE_END_REACH,
) -> list[list[float]]:
    """The region (x0, y0, x1, y1) of each box, in the same pixels; size is (width, height).
    Boxes whose index is in ``dittos`` are ditto marks: see ditto_region. The last line of a
    table column reaches down to the table's foot, ``table_end`` line heights at most."""
    width, height = size
    out = []
    for i, b in enumerate(boxes):
        x0, y0, x1, y1 = (float(v) for v in b[:4])
        ref = max(y1 - y0, line_h)
        left, right = x0 - grow_x * ref, x1 + grow_x * ref
        top, bottom = y0 - grow_y * ref, y1 + grow_y * ref
        next_below = float("inf")  # the top of the nearest line below
        for j, o in enumerate(boxes):
            if j == i:
                continue
            ox0, oy0, ox1, oy1 = (float(v) for v in o[:4])
            v_overlap = min(y1, oy1) - max(y0, oy0)
            h_overlap = min(x1, ox1) - max(x0, ox0)
            if v_overlap > 0.3 * min(y1 - y0, oy1 - oy0):  # same row: stop halfway
                if ox1 <= x0:
                    left = max(left, (ox1 + x0) / 2)
                elif ox0 >= x1:
                    right = min(right, (x1 + ox0) / 2)
            elif h_overlap > 0:  # the line above or below
                if oy1 <= y0 + 0.5 * (y1 - y0) and oy1 < y1:
                    top = max(top, min(y0, (oy1 + y0) / 2))
                elif oy0 >= y1 - 0.5 * (y1 - y0) and oy0 > y0:
                    bottom = min(bottom, max(y1, (y1 + oy0) / 2))
                    next_below = min(next_below, oy0)
        sides = table.cell_rules([x0, y0, x1, y1])
        if sides is not None:
            rule_left, rule_right = sides
            left = max(left, min(x0, rule_left.x + RULE_CLEARANCE))
            right = min(right, max(x1, rule_right.x - RULE_CLEARANCE))
            # The last line of a column, with nothing under it before the table ends: down
            # to the table's foot (where its rules end), as transcribers draw it (page43_EF's
            # last row), within table_end line heights.
            end = min(rule_left.y1, rule_right.y1)
            if next_below >= end:
                bottom = max(bottom, min(end - RULE_CLEARANCE, y1 + table_end * line_h))
        out.append(
            [
                max(0.0, min(left, x0)),
                max(0.0, min(top, y0)),
                min(float(width), max(right, x1)),
                min(float(height), max(bottom, y1)),
            ]
        )
    for i in sorted(dittos, key=lambda k: boxes[k][1]):  # top-down: a ditto under a ditto
        out[i] = ditto_region(i, boxes, out, table, line_h, grow_y, (width, height))
    return out


def ditto_region(
    i: int,
    boxes: Sequence[Box],
    regions: list[list[float]],
    table: Table,
    line_h: float,
    grow_y: float,
    size: tuple[int, int],
) -> list[float]:
    """A ditto mark's region as transcribers draw it around the mark: as wide as a short
    word (DITTO_HALF_WIDTH line heights either side of the mark's centre, inside its cell)
    and one line high, a little more above the mark's middle than below (the mark sits at
    the top of the x-height). On the FRAN ledgers this matched 16 of 26 transcribed ditto
    regions at IoU >= 0.5, the value-above's width 8."""
    x0, y0, x1, y1 = (float(v) for v in boxes[i][:4])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, right = cx - DITTO_HALF_WIDTH * line_h, cx + DITTO_HALF_WIDTH * line_h
    cell = table.cell_of([x0, y0, x1, y1])
    if cell is not None:
        left = max(left, min(x0, cell[0] + RULE_CLEARANCE))
        right = min(right, max(x1, cell[1] - RULE_CLEARANCE))
    return [
        max(0.0, min(left, x0)),
        max(0.0, min(y0, cy - DITTO_ABOVE * line_h)),
        min(float(size[0]), max(right, x1)),
        min(float(size[1]), max(y1, cy + DITTO_BELOW * line_h)),
    ]
