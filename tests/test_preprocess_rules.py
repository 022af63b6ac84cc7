"""One rule detector, two parameter sets: the ledger reader's row rules and the line
detector's column rules, pinned on a small drawn page."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.extract.layouts import table_ledger
from ocr_service.ocr import table_lines
from ocr_service.ocr.table_lines import Rule, find_rules
from ocr_service.preprocess.analysis import ink_mask
from ocr_service.preprocess.rules import RuleSegment, find_rule_segments

LINE_H = 12.0  # the line height find_rules is given for the drawn page


def ruled_page() -> np.ndarray:
    """400 x 300 px: three row rules, three column rules (one broken by a 1 px gap), a short
    underline, a thick bar and a few written letters."""
    img = np.full((300, 400), 245, np.uint8)
    for y, thickness in ((40, 2), (150, 3), (260, 2)):
        cv2.line(img, (20, y), (380, y), 40, thickness)
    cv2.line(img, (50, 200), (110, 200), 40, 2)  # a word underlined
    cv2.line(img, (30, 40), (30, 260), 40, 2)
    cv2.line(img, (200, 40), (200, 98), 40, 2)  # a column rule broken at y 101
    cv2.line(img, (200, 102), (200, 260), 40, 2)
    cv2.line(img, (370, 40), (370, 260), 40, 2)
    cv2.rectangle(img, (300, 60), (311, 240), 40, -1)  # a thick inked bar, no printed rule
    cv2.putText(img, "Jean lll", (60, 100), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 30, 2)
    return img


def ledger_segments(grey: np.ndarray, **overrides: float) -> list[RuleSegment]:
    """The detector with the ledger reader's row-rule parameters (as detect_rules calls it)."""
    width = grey.shape[1]
    args: dict[str, float] = {
        "min_run": max(table_ledger.ROW_RULE_MIN_RUN_PX, width // table_ledger.ROW_RULE_RUN_PARTS),
        "min_length": table_ledger.ROW_RULE_MIN_SPAN * width,
    }
    args.update(overrides)
    ink = ink_mask(
        grey, block=table_ledger.ROW_RULE_INK_BLOCK, offset=table_ledger.ROW_RULE_INK_OFFSET
    )
    return find_rule_segments(
        ink, axis="horizontal", min_run=int(args["min_run"]), min_length=args["min_length"]
    )


def column_segments(grey: np.ndarray, *, bridge: int, max_thickness: float) -> list[RuleSegment]:
    """The detector with the line detector's column-rule parameters (as find_rules calls it)."""
    length = max(table_lines.RULE_MIN_RUN_PX, round(table_lines.RULE_MIN_LINES * LINE_H))
    return find_rule_segments(
        table_lines.ink_mask(grey, LINE_H),
        axis="vertical",
        min_run=length,
        bridge=bridge,
        min_length=length,
        max_thickness=max_thickness,
    )


def test_row_rules_with_the_ledger_parameters() -> None:
    grey = ruled_page()
    assert ledger_segments(grey) == [
        RuleSegment(20, 39, 382, 41, 201.0, 40.0),
        RuleSegment(19, 148, 383, 152, 201.0, 150.0),
        RuleSegment(20, 259, 382, 261, 201.0, 260.0),
    ]
    assert table_ledger.detect_rules(grey) == [40.0, 150.0, 260.0]
    assert table_ledger.detect_rules(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)) == [40.0, 150.0, 260.0]
    # The underline is a horizontal run too, but spans less than the share a row rule spans.
    assert [s.cy for s in ledger_segments(grey, min_length=0.1 * 400)] == [
        40.0,
        150.0,
        200.0,
        260.0,
    ]
    assert table_ledger.detect_rules(grey, min_span=0.1) == [40.0, 150.0, 200.0, 260.0]
    # The share is of the side measured: on the left half alone the underline spans enough.
    assert table_ledger.detect_rules(grey, 0, 200) == [40.0, 150.0, 200.0, 260.0]
    assert table_ledger.detect_rules(grey, 200, 200) == [40.0, 150.0, 260.0]


def test_column_rules_with_the_line_detector_parameters() -> None:
    grey = ruled_page()
    max_w = max(table_lines.RULE_WIDTH_FLOOR_PX, table_lines.RULE_MAX_WIDTH * LINE_H)
    bridged = column_segments(grey, bridge=table_lines.RULE_BRIDGE_PX, max_thickness=max_w)
    assert bridged == [
        RuleSegment(29, 40, 31, 262, 30.0, 151.0),
        RuleSegment(199, 40, 201, 262, 200.0, 151.0),
        RuleSegment(369, 40, 371, 262, 370.0, 151.0),
    ]
    assert find_rules(grey, LINE_H) == [
        Rule(29, 31, 40, 262),
        Rule(199, 201, 40, 262),
        Rule(369, 371, 40, 262),
    ]
    # Without the bridge the broken rule is two pieces; the thick bar is kept only when
    # nothing limits the thickness.
    unbridged = column_segments(grey, bridge=1, max_thickness=max_w)
    assert sorted((s.x0, s.y0, s.y1) for s in unbridged) == [
        (29, 40, 262),
        (199, 40, 100),
        (199, 102, 262),
        (369, 40, 262),
    ]
    loose = column_segments(grey, bridge=table_lines.RULE_BRIDGE_PX, max_thickness=float("inf"))
    assert RuleSegment(300, 61, 311, 241, 305.5, 151.0) in loose


def test_each_parameter_set_sees_its_own_axis() -> None:
    grey = ruled_page()
    assert all(s.length("horizontal") > 300 for s in ledger_segments(grey))
    assert {round(r.x) for r in find_rules(grey, LINE_H)} == {30, 200, 370}
    # A page with column rules only has no row rules, and the other way round.
    cols_only = np.full((300, 400), 245, np.uint8)
    cv2.line(cols_only, (200, 20), (200, 280), 40, 2)
    assert table_ledger.detect_rules(cols_only) == []
    rows_only = np.full((300, 400), 245, np.uint8)
    cv2.line(rows_only, (20, 150), (380, 150), 40, 2)
    assert find_rules(rows_only, LINE_H) == []
