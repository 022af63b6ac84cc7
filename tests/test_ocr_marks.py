"""Marks the line detector skips in table cells: ditto marks found and shaped, specks and
letter tails ignored, a ditto's region spanning the value it repeats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_service.ocr.marks import find_marks, is_ditto, sure_word
from ocr_service.ocr.regions import line_regions
from ocr_service.ocr.table_lines import Table, find_rules

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LINE_H = 30.0


def _ditto(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    """A hand-written ditto mark: two short slanted strokes, 12 px high."""
    for dx in (0, 7):
        draw.line([(x + dx + 2, y), (x + dx, y + 12)], fill=0, width=2)


def _page() -> np.ndarray:
    img = Image.new("L", (900, 500), 255)
    draw = ImageDraw.Draw(img)
    for x in (40, 300, 600, 860):
        draw.line([(x, 20), (x, 480)], fill=0, width=3)
    font = ImageFont.truetype(str(FONT), 26)
    draw.text((340, 60), "Paris", font=font, fill=0)  # row 1: the value
    _ditto(draw, 380, 140)  # rows 2 and 3: ditto marks under it
    _ditto(draw, 382, 220)
    draw.point([(450, 300)], fill=0)  # a speck of dust
    draw.text((80, 60), "66241", font=font, fill=0)
    return np.array(img)


def _mask(draw_fn: object) -> np.ndarray:
    img = Image.new("L", (40, 40), 0)
    draw_fn(ImageDraw.Draw(img))  # type: ignore[operator]
    arr = np.array(img) > 0
    ys, xs = np.nonzero(arr)
    return arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.uint8)


def test_two_short_strokes_are_a_ditto_but_a_ring_a_bar_or_a_blot_are_not() -> None:
    ditto = _mask(lambda d: [d.line([(6 + dx, 5), (4 + dx, 17)], fill=1, width=2) for dx in (0, 7)])
    ring = _mask(lambda d: d.ellipse([5, 5, 17, 17], outline=1, width=2))
    bar = _mask(lambda d: d.line([(5, 5), (5, 17)], fill=1, width=2))
    blot = _mask(lambda d: d.rectangle([5, 5, 17, 17], fill=1))
    assert is_ditto(ditto, LINE_H)
    assert not is_ditto(ring, LINE_H)
    assert not is_ditto(bar, LINE_H)
    assert not is_ditto(blot, LINE_H)


def test_dittos_in_cells_are_found_and_dust_and_found_lines_are_not() -> None:
    grey = _page()
    lines = [[338.0, 62.0, 410.0, 90.0], [78.0, 62.0, 165.0, 90.0]]  # "Paris", "66241"
    table = Table(find_rules(grey, LINE_H), grey.shape[1])
    marks = find_marks(grey, lines, table, LINE_H)
    assert [m.ditto for m in marks] == [True, True]
    assert sorted(round(m.box[1]) for m in marks) == [140, 220]


def test_a_tail_hanging_under_a_line_is_not_a_mark() -> None:
    grey = _page()
    img = Image.fromarray(grey)
    _ditto(ImageDraw.Draw(img), 360, 96)  # just under "Paris": part of that line
    grey = np.array(img)
    lines = [[338.0, 62.0, 410.0, 90.0], [78.0, 62.0, 165.0, 90.0]]
    table = Table(find_rules(grey, LINE_H), grey.shape[1])
    assert sorted(round(m.box[1]) for m in find_marks(grey, lines, table, LINE_H)) == [140, 220]


def test_a_dittos_region_spans_the_value_it_repeats() -> None:
    grey = _page()
    table = Table(find_rules(grey, LINE_H), grey.shape[1])
    boxes = [[338.0, 62.0, 410.0, 90.0], [380.0, 140.0, 391.0, 152.0], [382.0, 220.0, 393.0, 232.0]]
    regions = line_regions(boxes, table, LINE_H, (900, 500), dittos=frozenset({1, 2}))
    paris = regions[0]
    for reg in regions[1:]:
        assert reg[0] == pytest.approx(paris[0]) and reg[2] == pytest.approx(paris[2])
        assert reg[3] - reg[1] >= LINE_H  # a line high, not the mark's 12 px


def test_only_confident_readings_of_two_letters_are_kept() -> None:
    assert sure_word("des", 0.95)
    assert not sure_word("U", 0.99)
    assert not sure_word("mmm", 0.5)


@pytest.mark.slow
def test_vi_reports_ditto_marks_under_a_value() -> None:
    from ocr_service.ocr import get_engine

    page = get_engine("vi").read_page(np.dstack([_page()] * 3))
    texts = [ln.text for ln in page.lines]
    assert "Paris" in texts and texts.count('"') == 2
    paris = next(ln for ln in page.lines if ln.text == "Paris")
    for ln in page.lines:
        if ln.text == '"':
            assert ln.confidence < 0.8  # the clerk is asked to look
            assert ln.bbox[2] - ln.bbox[0] < 30  # the mark itself
            assert ln.polygon is not None
            xs = [x for x, _ in ln.polygon]
            assert min(xs) <= paris.bbox[0] + 5 and max(xs) >= paris.bbox[2] - 5
