"""Lines of ruled tables: column rules cut and bound lines; line regions; on drawn pages,
the real engine, and a real ledger scan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_service.bench.datasets import load_dataset
from ocr_service.ocr.regions import line_regions
from ocr_service.ocr.table_lines import (
    CELL_GAP,
    Table,
    find_rules,
    merge_in_cells,
    split_at_rules,
)
from tests.conftest import REAL_SCANS

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

RULES_X = (40, 300, 700, 1100)  # a three-column table


def _table_page(cells: list[tuple[int, int, str]], rules: tuple[int, ...] = RULES_X) -> np.ndarray:
    """A white page with vertical rules from y 20 to 580 and text at (x, y)."""
    img = Image.new("L", (1200, 600), 255)
    draw = ImageDraw.Draw(img)
    for x in rules:
        draw.line([(x, 20), (x, 580)], fill=0, width=3)
    font = ImageFont.truetype(str(FONT), 28)
    for x, y, text in cells:
        draw.text((x, y), text, font=font, fill=0)
    return np.array(img)


def _boxes(*rows: list[float]) -> np.ndarray:
    return np.asarray(rows, np.float32)


def test_rules_are_found_but_tall_letters_are_not() -> None:
    grey = _table_page([(60, 100, "Jean Joseph"), (320, 100, "lllll fff")])
    rules = find_rules(grey, 30.0)
    xs = sorted(round(r.x) for r in rules)
    assert len(xs) == 4
    assert all(abs(a - b) <= 2 for a, b in zip(xs, RULES_X, strict=True))
    assert all(r.y0 <= 25 and r.y1 >= 575 for r in rules)


def test_a_page_without_rules_is_no_table_and_is_left_alone() -> None:
    grey = _table_page([(60, 100, "Họ, chữ đệm, tên:"), (420, 100, "Nguyễn Văn An")], rules=())
    boxes = _boxes([55, 98, 700, 132])
    table = Table.of_page(grey, boxes)
    assert not table
    assert np.array_equal(split_at_rules(grey, boxes, table), boxes)
    assert np.array_equal(merge_in_cells(boxes, table), boxes)


def test_a_line_crossing_a_rule_is_cut_there_and_fitted_to_each_cells_ink() -> None:
    grey = _table_page([(60, 100, "66243"), (320, 100, "26 Août 1896")])
    merged = _boxes([55, 96, 560, 134])  # what a text-line detector returns
    table = Table.of_page(grey, merged)
    pieces = split_at_rules(grey, merged, table)
    assert len(pieces) == 2
    left, right = sorted(pieces.tolist())
    assert 55 <= left[0] <= 65 and 130 < left[2] < 300  # "66243" alone, before the rule
    assert 300 < right[0] <= 325 and right[2] < 560  # the date, after the rule


def test_a_piece_cut_from_a_taller_line_keeps_only_its_own_ink_height() -> None:
    """ks-table-hand: a small date boxed with a two-line name in the next column kept the
    name's height after the cut (the rule's edge columns spanned it) and read as garbage."""
    grey = _table_page(
        [(320, 120, "28.09.1991"), (480, 100, "Phan Quang"), (480, 140, "Hưng")],
        rules=(40, 300, 460, 1100),
    )
    # Detected from just left of the date's rule (too near the box's end to cut it).
    merged = _boxes([292, 95, 700, 175])
    table = Table.of_page(grey, merged)
    date = min(split_at_rules(grey, merged, table).tolist())
    assert 305 < date[0] <= 325 and date[2] < 460  # the date, not the rule's edge
    assert date[1] >= 112 and date[3] <= 160  # the date's own rows, not the name's


def test_a_box_around_a_column_rule_and_nothing_else_is_dropped() -> None:
    """The detector boxes a rule near text ("Nam" + the rule read as "Nam 7")."""
    grey = _table_page([(60, 100, "66243"), (320, 100, "Nam")])
    boxes = _boxes([55, 96, 170, 134], [294, 96, 318, 134], [318, 96, 400, 134])
    table = Table.of_page(grey, boxes)
    kept = split_at_rules(grey, boxes, table).tolist()
    assert len(kept) == 2
    assert all(not (b[0] < 300 < b[2]) for b in kept)


def test_words_of_one_cell_row_join_but_not_across_a_rule_or_a_far_gap() -> None:
    table = Table(
        [_rule(x) for x in RULES_X],
        page_width=1200,
    )
    h = 30.0
    day, month = [320, 100, 350, 100 + h], [350 + 1.2 * h, 100, 430, 100 + h]
    beyond_rule = [710, 100, 800, 100 + h]
    far = [430 + (CELL_GAP + 0.5) * h, 100, 690, 100 + h]
    out = merge_in_cells(_boxes(day, month, beyond_rule, far), table).tolist()
    assert [320, 100, 430, 100 + h] in out  # "21" + "Mai": one line
    assert beyond_rule in out and far in out and len(out) == 3


def test_a_surname_and_given_names_two_line_heights_apart_are_one_line() -> None:
    """page43_EF: "Etard      Roger Michel" has no dash and a gap of 1.82 line heights; it
    is one transcribed line (two were reported while the cell gap was 1.8)."""
    table = Table([_rule(x) for x in RULES_X], page_width=1200)
    h = 30.0
    surname, names = [320, 100, 400, 100 + h], [400 + 1.9 * h, 100, 690, 100 + h]
    out = merge_in_cells(_boxes(surname, names), table).tolist()
    assert out == [[320, 100, 690, 100 + h]]


def test_a_rule_broken_where_writing_crosses_it_is_one_rule_and_still_cuts() -> None:
    """page43_EF: "...Marie Valentine" runs into the date column; the writing thickens the
    rule there, the rule was found as two pieces either side, and the name and the date
    ("17 Juin 1905") were read as one line."""
    img = Image.new("L", (1200, 600), 255)
    draw = ImageDraw.Draw(img)
    for x in (40, 1100):
        draw.line([(x, 20), (x, 580)], fill=0, width=3)
    # The middle rule, slightly slanted (an old book), with a 40 px break at y 280-320.
    draw.line([(702, 20), (700, 280)], fill=0, width=3)
    draw.line([(700, 320), (698, 580)], fill=0, width=3)
    font = ImageFont.truetype(str(FONT), 28)
    draw.text((420, 284), "Valentine", font=font, fill=0)
    draw.text((712, 284), "17 Juin 1905", font=font, fill=0)
    grey = np.array(img)
    rules = find_rules(grey, 30.0)
    middle = [r for r in rules if 600 < r.x < 800]
    assert len(middle) == 1 and middle[0].y0 <= 25 and middle[0].y1 >= 575
    detected = _boxes([415, 280, 900, 318])  # the detector's one box over both
    table = Table.of_page(grey, detected)
    pieces = sorted(split_at_rules(grey, detected, table).tolist())
    assert len(pieces) == 2
    assert pieces[0][2] < 702 and pieces[1][0] > 698


def test_rule_pieces_far_apart_or_in_other_columns_stay_apart() -> None:
    from ocr_service.ocr.table_lines import Rule, join_segments

    line_h = 30.0
    top, far_below = Rule(699, 701, 20, 200), Rule(699, 701, 300, 580)  # 3.3 lines apart
    next_column = Rule(739, 741, 210, 580)  # 40 px right: another rule
    joined = join_segments([top, far_below, next_column], line_h)
    assert sorted(joined, key=lambda r: (r.x0, r.y0)) == [top, far_below, next_column]
    near = Rule(697, 699, 230, 580)  # 1 line below, 2 px left: the same rule
    assert join_segments([top, near], line_h) == [Rule(697, 701, 20, 580)]


def test_a_page_frame_is_not_a_cell() -> None:
    table = Table([_rule(10), _rule(1190)], page_width=1200)
    assert table.cell_of([100, 100, 300, 130]) is None


def _rule(x: int) -> object:
    from ocr_service.ocr.table_lines import Rule

    return Rule(x - 1, x + 1, 20, 580)


def test_regions_grow_around_the_ink_but_stop_between_neighbours_and_at_rules() -> None:
    table = Table([_rule(x) for x in RULES_X], page_width=1200)
    above = [320.0, 100.0, 500.0, 130.0]
    below = [320.0, 140.0, 420.0, 170.0]
    neighbour = [460.0, 140.0, 690.0, 170.0]
    regions = line_regions([above, below, neighbour], table, 30.0, (1200, 600), 0.6, 0.35)
    r_above, r_below, r_neighbour = regions
    for box, reg in zip([above, below, neighbour], regions, strict=True):
        assert reg[0] <= box[0] and reg[1] <= box[1] and reg[2] >= box[2] and reg[3] >= box[3]
    assert r_above[3] <= 135.0 and r_below[1] >= 135.0  # halfway between the two rows
    assert r_below[2] <= 440.0 and r_neighbour[0] >= 440.0  # halfway between the cells' words
    assert r_below[0] >= 300.0 and r_neighbour[2] <= 700.0  # never across a column rule
    assert r_above[1] == pytest.approx(100.0 - 0.35 * 30.0)  # free above: the full growth


def test_the_last_line_of_a_column_reaches_down_to_the_table_foot() -> None:
    """page43_EF's transcriber drew the last row's regions down to the foot of the table
    (four lines missed at IoU 0.5 while they stopped 0.35 line heights under the ink)."""
    from ocr_service.ocr.table_lines import Rule

    line_h = 30.0
    table = Table([Rule(x - 1, x + 1, 20, 400) for x in RULES_X], page_width=1200)
    upper = [320.0, 280.0, 500.0, 310.0]
    last = [320.0, 340.0, 500.0, 370.0]  # nothing under it before the foot at y 400
    alone = [720.0, 100.0, 900.0, 130.0]  # the only line of its column, far above the foot
    outside = [40.0, 450.0, 200.0, 480.0]  # under the table: no cell
    r_upper, r_last, r_alone, r_outside = line_regions(
        [upper, last, alone, outside], table, line_h, (1200, 600), 0.6, 0.35
    )
    assert r_upper[3] == pytest.approx(310.0 + 0.35 * line_h)  # a line below: as before
    assert r_last[3] == pytest.approx(398.0)  # the foot (less the clearance), within reach
    assert r_alone[3] == pytest.approx(130.0 + line_h)  # at most one line height down
    assert r_outside[3] == pytest.approx(480.0 + 0.35 * line_h)  # not in a table: as before


@pytest.mark.slow
def test_vi_reads_each_cell_of_a_ruled_row_as_its_own_line() -> None:
    from ocr_service.ocr import get_engine

    grey = _table_page(
        [
            *[(60, 100, "66243"), (320, 100, "21   Mai   1896"), (720, 100, "Paris")],
            *[(60, 300, "66244"), (320, 300, "4 Juillet 1895"), (720, 300, "Lyon")],
        ]
    )
    page = get_engine("vi").read_page(np.dstack([grey] * 3))
    texts = [ln.text for ln in page.lines]
    assert "66243" in texts and "Paris" in texts and "66244" in texts
    date = next(ln for ln in page.lines if "Mai" in ln.text)
    assert date.text.replace(" ", "") == "21Mai1896"  # the date's words: one line, one cell
    assert date.bbox[0] > 300 and date.bbox[2] < 700
    for ln in page.lines:
        assert ln.polygon is not None
        xs = [x for x, _ in ln.polygon]
        ys = [y for _, y in ln.polygon]
        assert min(xs) <= ln.bbox[0] and max(xs) >= ln.bbox[2]
        assert min(ys) <= ln.bbox[1] and max(ys) >= ln.bbox[3]


@pytest.mark.slow
def test_ledger_scan_rows_are_cut_at_the_column_rules() -> None:
    """FRAN_0187_50115_L: a row number and the date in the next column were read as one
    line before the rules cut them; every record number now stands alone."""
    from ocr_service.bench.runner import prepare_image
    from ocr_service.ocr import get_engine

    page_truth = next(p for p in load_dataset(REAL_SCANS) if p.name == "FRAN_0187_50115_L.jpg")
    image, _scale = prepare_image(page_truth.image, 3600)
    page = get_engine("vi").read_page(image)
    numbers = [ln.text.replace(" ", "") for ln in page.lines if ln.text.replace(" ", "").isdigit()]
    found = {n for n in numbers if n.startswith("662")}
    assert len(found) >= 13, numbers  # of 66241..66255 (one is written "66 252")
    # No line runs from the NUMÉROS column into the DATES column ("66241 26 Août 1896").
    assert not [ln.text for ln in page.lines if ln.text[:5].isdigit() and ln.text[5:].strip()]
