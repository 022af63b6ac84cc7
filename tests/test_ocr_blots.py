"""Ink blots beside the writing are erased before lines are read (#13: 'Chủ tịch O').

Drawn with the synthetic generator's tuning-group fonts (print and a heavy marker hand) and its
own blot; the thresholds were set on tuning books only.
"""

from __future__ import annotations

import random
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr_service.config import Settings
from ocr_service.ocr.blots import erase_blots, find_blots
from ocr_service.pipeline.stages import read_text
from ocr_service.synth.render import (
    HAND_INKS,
    TYPED_INK,
    Canvas,
    Pen,
    blot,
    dotted,
    put_label,
    put_value,
)

Image_ = np.ndarray[Any, Any]
PAPER = (250, 249, 245)
VALUES = ["Chủ tịch", "Cha", "Hồ Đăng Long"]


def page_with_blots(pen: Pen, seed: int, *, blots: bool = True) -> tuple[Image_, list[Any]]:
    """Values on dotted lines, each with an ink blot a little right of its last letter."""
    img = Image.new("RGB", (1200, 120 + 90 * len(VALUES)), PAPER)
    canvas = Canvas(img, 1.0, random.Random(seed))
    boxes = []
    y = 100
    for value in VALUES:
        label = put_label(canvas, 110, y, "Chức vụ:", 27)
        x0 = label[2] + 12
        dotted(canvas, x0, x0 + 520, y + 4)
        box = put_value(canvas, pen, x0 + 6, y - 3, value, 500, "f")
        if blots:
            r = 12
            boxes.append(blot(canvas, box[2] + r + 18, (box[1] + box[3]) // 2, r, pen.ink))
        y += 90
    return np.asarray(img)[:, :, ::-1].copy(), boxes


def grey(page: Image_) -> Image_:
    return cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)


def overlaps(a: Any, b: Any) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


PENS = [
    Pen("typed", "DejaVuSans-subset.ttf", TYPED_INK, 28, 0.0),
    Pen("hand", "SedgwickAve-Regular.ttf", HAND_INKS[0], 34, 1.2),  # a heavy marker
    Pen("hand", "PatrickHand-Regular.ttf", HAND_INKS[1], 34, 1.2),
]


@pytest.mark.parametrize("pen", PENS, ids=lambda p: p.font)
def test_blots_are_found_and_no_letter_is(pen: Pen) -> None:
    page, truth = page_with_blots(pen, seed=3)
    found = find_blots(grey(page))
    assert len(found) == len(truth)
    assert all(any(overlaps(f, t) for t in truth) for f in found)
    clean, _ = page_with_blots(pen, seed=3, blots=False)
    assert find_blots(grey(clean)) == []


def test_ruled_lines_dots_and_boxes_are_not_blots() -> None:
    page = np.full((400, 600), 250, np.uint8)
    cv2.rectangle(page, (20, 20), (580, 380), 0, 14)  # a heavy frame
    cv2.line(page, (40, 200), (560, 200), 0, 6)  # a ruled line
    cv2.rectangle(page, (100, 100), (130, 130), 0, 2)  # an empty tick-box
    cv2.circle(page, (300, 100), 3, 0, -1)  # a dot
    assert find_blots(page) == []


def test_erasing_leaves_the_writing() -> None:
    page, truth = page_with_blots(PENS[0], seed=5)
    g = grey(page)
    out = erase_blots(g)
    for x0, y0, x1, y1 in truth:
        assert out[y0:y1, x0:x1].min() > 200  # the blot is gone
    mask = np.ones(g.shape, bool)
    for x0, y0, x1, y1 in truth:
        mask[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2] = False
    assert np.array_equal(out[mask], g[mask])  # nothing else changed
    clean = grey(page_with_blots(PENS[0], seed=5, blots=False)[0])
    assert erase_blots(clean) is clean


@pytest.mark.slow
def test_a_blot_is_not_read_into_the_value() -> None:
    page, _ = page_with_blots(PENS[0], seed=7)
    read = read_text(page, Settings(ocr_engine="vi"))
    values = [ln.text.split(":", 1)[-1].strip() for ln in read.lines]
    assert values == VALUES
