"""Marks the line detector skips in table cells: ditto marks found and shaped, specks and
letter tails ignored, a ditto's region spanning the value it repeats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_service.ocr.marks import find_marks, in_columns, is_ditto, reads_as_writing, sure_word
from ocr_service.ocr.regions import DITTO_ABOVE, DITTO_BELOW, DITTO_HALF_WIDTH, line_regions
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
    marks = find_marks(grey, lines, table, LINE_H)
    assert sorted(round(m.box[1]) for m in marks if not m.hangs) == [140, 220]
    # The tail is offered only as ink hanging off "Paris" (kept if it reads as a sure word).
    hanging = [m for m in marks if m.hangs]
    assert len(hanging) == 1 and not hanging[0].ditto and round(hanging[0].box[1]) == 96


def test_a_small_word_printed_under_a_header_label_is_offered_as_hanging() -> None:
    """FRAN ledgers: "de" and "des" printed small under the header labels "NOM" and "DATES",
    0.27 line heights high and just under the label: offered (flagged as hanging) so that a
    sure reading keeps them; three more lines of the real scans matched."""
    img = Image.new("L", (900, 500), 255)
    draw = ImageDraw.Draw(img)
    for x in (40, 300, 600, 860):
        draw.line([(x, 20), (x, 480)], fill=0, width=3)
    draw.text((410, 40), "NOM", font=ImageFont.truetype(str(FONT), 26), fill=0)
    draw.text((430, 72), "de", font=ImageFont.truetype(str(FONT), 11), fill=0)
    grey = np.array(img)
    table = Table(find_rules(grey, LINE_H), grey.shape[1])
    marks = find_marks(grey, [[410.0, 43.0, 471.0, 69.0]], table, LINE_H)
    assert len(marks) == 1
    (de,) = marks
    assert de.hangs and not de.ditto and not de.margin
    assert 0.25 <= (de.box[3] - de.box[1]) / LINE_H < 0.3
    assert de.box[0] >= 428 and de.box[2] <= 450


def test_what_a_mark_becomes_depends_on_its_reading_and_where_it_is() -> None:
    from ocr_service.ocr.marks import Mark, mark_verdict

    cell = Mark((0.0, 0.0, 20.0, 10.0), ditto=False)
    hanging = Mark((0.0, 0.0, 20.0, 10.0), ditto=False, hangs=True)
    margin = Mark((0.0, 0.0, 20.0, 10.0), ditto=False, margin=True)
    assert mark_verdict(cell, "des", 0.95, whole=True) == "line"
    assert mark_verdict(hanging, "des", 0.95, whole=True) == "line"  # a word of its own
    assert mark_verdict(hanging, "ay", 0.5, whole=True) == "drop"  # a tail or an accent
    assert mark_verdict(hanging, "", 0.0, whole=True) == "drop"
    assert mark_verdict(cell, "ay", 0.5, whole=True) == "column"  # kept down a column only
    assert mark_verdict(margin, "AJ", 0.95, whole=True) == "column"
    assert mark_verdict(cell, "AJ", 0.95, whole=False) == "column"  # read from its top only
    assert mark_verdict(cell, "", 0.0, whole=True) == "drop"


def test_a_dittos_region_is_drawn_around_the_mark_one_line_high_inside_its_cell() -> None:
    """As transcribers draw it (PAGE ground truth of the FRAN ledgers): centred on the mark,
    as wide as a short word, one line high, never across the column rule."""
    grey = _page()
    table = Table(find_rules(grey, LINE_H), grey.shape[1])
    boxes = [[338.0, 62.0, 410.0, 90.0], [380.0, 140.0, 391.0, 152.0], [302.0, 220.0, 313.0, 232.0]]
    regions = line_regions(boxes, table, LINE_H, (900, 500), dittos=frozenset({1, 2}))
    centred, at_rule = regions[1], regions[2]
    assert (centred[0] + centred[2]) / 2 == pytest.approx(385.5)
    assert centred[2] - centred[0] == pytest.approx(2 * DITTO_HALF_WIDTH * LINE_H)
    assert centred[3] - centred[1] == pytest.approx((DITTO_ABOVE + DITTO_BELOW) * LINE_H)
    assert centred[1] < 140 and centred[3] > 152  # the mark inside
    assert at_rule[0] >= 300  # stops at the rule left of the cell
    alone = line_regions(boxes[:1], table, LINE_H, (900, 500))[0]
    assert regions[0][:3] == alone[:3]  # Paris as it was, but for the mark under it:
    assert regions[0][3] <= (90 + 140) / 2 < alone[3]  # its region stops halfway to the mark


def test_a_ditto_whose_strokes_ran_into_one_blot_is_still_a_ditto() -> None:
    """Shapes as the FRAN ledgers' dittos look at 3,600 px: two slanted strokes touching."""
    vee = _mask(
        lambda d: [
            d.line([(4, 3), (8, 16)], fill=1, width=3),
            d.line([(12, 3), (8, 16)], fill=1, width=3),
        ]
    )
    ticks = _mask(
        lambda d: [
            d.line([(6, 3), (3, 15)], fill=1, width=3),
            d.line([(10, 3), (6, 15)], fill=1, width=3),
        ]
    )
    dot = _mask(lambda d: d.ellipse([5, 5, 12, 12], fill=1))
    comma = _mask(lambda d: d.line([(8, 4), (5, 14)], fill=1, width=3))
    assert is_ditto(vee, LINE_H) and is_ditto(ticks, LINE_H)
    assert not is_ditto(dot, LINE_H) and not is_ditto(comma, LINE_H)


def test_a_narrow_ditto_tick_in_a_cell_is_found() -> None:
    """A ditto an eighth of a line wide (the FRAN_0187_50722_L marks are 9-11 px at a 51 px
    line) was below the old minimum width of a fifth of a line."""
    img = Image.fromarray(_page())
    draw = ImageDraw.Draw(img)
    draw.line([(383, 300), (385, 312)], fill=0, width=1)  # a "v" 5 px wide
    draw.line([(387, 300), (385, 312)], fill=0, width=1)
    grey = np.array(img)
    lines = [[338.0, 62.0, 410.0, 90.0], [78.0, 62.0, 165.0, 90.0]]
    table = Table(find_rules(grey, LINE_H), grey.shape[1])
    found = find_marks(grey, lines, table, LINE_H)
    assert [round(m.box[1]) for m in found if m.ditto] == [140, 220, 300]


def test_unsure_marks_count_only_in_a_column_of_like_marks() -> None:
    margin = [(20.0, y, 50.0, y + 40.0) for y in (100.0, 200.0, 300.0)]  # initials, each row
    lone = (400.0, 200.0, 430.0, 240.0)
    keep = in_columns([*margin, lone], [], LINE_H)
    assert keep == [True, True, True, False]
    # Lines beside it on its own row do not make a column; big lines above it do not either.
    assert in_columns(
        [lone], [(450.0, 200.0, 480.0, 240.0), (460.0, 205.0, 490.0, 238.0)], LINE_H
    ) == [False]
    assert in_columns(
        [lone], [(300.0, 0.0, 600.0, 90.0), (300.0, 300.0, 600.0, 390.0)], LINE_H
    ) == [False]
    assert in_columns([margin[0]], list(margin[1:]), LINE_H) == [True]


def test_only_confident_readings_of_two_letters_are_kept() -> None:
    assert sure_word("des", 0.95)
    assert not sure_word("U", 0.99)
    assert not sure_word("mmm", 0.5)


def test_a_ditto_shaped_box_read_surely_as_a_number_or_word_is_writing() -> None:
    assert reads_as_writing("21", 0.99) and reads_as_writing("Na", 0.9)
    assert not reads_as_writing("", 0.0)
    assert not reads_as_writing("Ổ", 0.95)  # a lone letter: how a ditto reads
    assert not reads_as_writing("11", 0.6)


@pytest.mark.slow
def test_vi_reads_handwritten_row_numbers_as_numbers_not_ditto_marks() -> None:
    """ks-table-hand: the rows' numbers "11", "21", "17" in a handwriting font are two upright
    strokes, shaped like a ditto mark, and were all reported as '"' (the record's number
    lost; 0.5 points of the set's hand CER)."""
    from ocr_service.ocr import get_engine
    from ocr_service.synth.render import load_font

    img = Image.new("L", (900, 520), 255)
    draw = ImageDraw.Draw(img)
    for x in (40, 120, 420, 860):
        draw.line([(x, 20), (x, 500)], fill=0, width=3)
    for y in (20, 120, 220, 320, 420, 500):
        draw.line([(40, y), (860, y)], fill=0, width=2)
    hand = load_font("DancingScript-VF.ttf", 30)
    rows = [("11", "Nguyễn Văn An"), ("21", "Trần Thị Hoa"), ("17", "Lê Minh Đức")]
    for k, (number, name) in enumerate(rows):
        draw.text((62, 50 + 100 * k), number, font=hand, fill=40)
        draw.text((140, 50 + 100 * k), name, font=hand, fill=40)
        draw.text((440, 50 + 100 * k), "Kinh", font=hand, fill=40)
    page = get_engine("vi").read_page(np.dstack([np.array(img)] * 3))
    first_column = [ln.text for ln in page.lines if ln.bbox[2] < 120]
    assert first_column == ["11", "21", "17"]


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
            assert min(xs) < ln.bbox[0] and max(xs) > ln.bbox[2]  # a short word's width
            assert max(xs) - min(xs) <= paris.bbox[2] - paris.bbox[0] + 30


def _margin_page() -> np.ndarray:
    """A table whose first rule is at x 300, initials written in the margin before it."""
    img = Image.new("L", (1000, 500), 255)
    draw = ImageDraw.Draw(img)
    for x in (300, 560, 960):
        draw.line([(x, 20), (x, 480)], fill=0, width=3)
    font = ImageFont.truetype(str(FONT), 26)
    for y in (60, 160, 260):
        draw.text((200, y), "A.J.", font=font, fill=0)  # just before the rule
        draw.text((330, y), "66241", font=font, fill=0)
    draw.text((20, 360), "note", font=font, fill=0)  # far out in the margin
    return np.array(img)


def test_initials_in_the_margin_before_the_table_are_marks_but_far_notes_are_not() -> None:
    """FRAN_0187_50722_L: a clerk's initials "AJ" before the first rule of every row, some
    never proposed by the detector; found as marks, one more line of the scan is matched."""
    grey = _margin_page()
    lines = [[328.0, 62.0, 420.0, 90.0], [328.0, 162.0, 420.0, 190.0], [328.0, 262.0, 420.0, 290.0]]
    table = Table(find_rules(grey, LINE_H), grey.shape[1])
    marks = find_marks(grey, lines, table, LINE_H)
    assert sorted(round(m.box[1], -1) for m in marks) == [70, 170, 270]
    assert all(m.box[0] >= 190 and m.box[2] < 300 and not m.ditto for m in marks)
    assert table.in_margin([200.0, 60.0, 260.0, 90.0], 4 * LINE_H)
    assert not table.in_margin([20.0, 360.0, 80.0, 390.0], 4 * LINE_H)


def test_a_tall_mark_that_reads_as_nothing_is_read_again_from_its_top() -> None:
    """Initials with a looped tail two lines long read as a stray sign; their letters sit in
    the top line height (three more margin initials matched on FRAN_0187_50722_L)."""
    from ocr_service.ocr.vi import MARK_TOP, LineText, ViEngine

    engine = ViEngine.__new__(ViEngine)  # the reading is stubbed: no model needed
    crops: list[int] = []

    def read(
        grey: np.ndarray, squeeze: float = 1.0, lexicon: object = None, reader: object = None
    ) -> LineText:
        crops.append(grey.shape[0])
        return LineText("", 0.0) if len(crops) == 1 else LineText("ay", 0.6)

    engine._read_grey = read  # type: ignore[method-assign]
    page = np.full((300, 200), 255, np.uint8)
    assert engine.read_mark(page, (40, 50, 90, 140), LINE_H) == ("ay", 0.6, False)
    assert crops[1] < crops[0] and crops[1] <= MARK_TOP * LINE_H * 1.5
    # Read once, as they are: a mark under 1.2 line heights; a tick-box (about square); a
    # sliver of a page edge or a rule's end (khai-sinh typed forms kept those down their
    # margins as "l", "Ì" and lost 3 fields of 412).
    for box in [(40, 50, 90, 75), (40, 50, 90, 110), (10, 50, 14, 110)]:
        crops.clear()
        assert engine.read_mark(page, box, LINE_H) == ("", 0.0, True)
        assert len(crops) == 1
