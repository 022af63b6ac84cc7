"""The vi engine's line geometry helpers on drawn images: gap splitting, check boxes, order."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_service.config import ViSettings
from ocr_service.ocr.base import reading_order
from ocr_service.ocr.line_boxes import (
    has_rule,
    join_across_gutter,
    merge_row_fragments,
    split_at_gaps,
    split_stacked_lines,
    trim_checkbox,
)
from ocr_service.ocr.line_crops import SQUEEZE_MIN, compact_line, line_squeeze, stroke_width

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _strip(parts: list[tuple[int, str]], width: int = 900) -> np.ndarray:
    img = Image.new("L", (width, 60), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 28)
    for x, text in parts:
        draw.text((x, 12), text, font=font, fill=0)
    return np.array(img)


def test_a_wide_gap_splits_label_from_value() -> None:
    grey = _strip([(10, "Dân tộc:"), (400, "Kinh")])
    pieces = split_at_gaps(grey, [5.0, 10.0, 480.0, 50.0], 1.2)
    assert len(pieces) == 2
    assert pieces[0][0] == 5.0 and 120 < pieces[0][2] < 200  # "Dân tộc:" ends near x 140
    assert 395 <= pieces[1][0] <= 405 and pieces[1][2] == 480.0


def test_word_spaces_do_not_split() -> None:
    grey = _strip([(10, "Nguyễn Thị Hương")])
    assert split_at_gaps(grey, [5.0, 10.0, 300.0, 50.0], 1.2) == [[5.0, 10.0, 300.0, 50.0]]


def test_a_check_box_is_trimmed_but_a_letter_o_is_not() -> None:
    grey = _strip([(60, "Đúng hạn")])
    img = Image.fromarray(grey)
    ImageDraw.Draw(img).rectangle((12, 14, 42, 44), outline=0, width=2)
    boxed = np.array(img)
    trimmed = trim_checkbox(boxed, [10.0, 10.0, 220.0, 50.0])
    assert 42 < trimmed[0] < 60 and trimmed[2] == 220.0
    plain = _strip([(12, "Quốc tịch: Việt Nam")])
    assert trim_checkbox(plain, [10.0, 10.0, 300.0, 50.0]) == [10.0, 10.0, 300.0, 50.0]
    ring = _strip([(12, "Ông Bình")])
    assert trim_checkbox(ring, [10.0, 10.0, 200.0, 50.0]) == [10.0, 10.0, 200.0, 50.0]


def test_a_bold_serif_capital_opening_a_line_is_no_check_box() -> None:
    """Small and a little blurred, the bold serif 'H' of 'Họ, chữ đệm, tên:' is as square as
    a check box and its stems and serifs as straight; the gap between its serifs tells it
    apart (it was cut off the line and read as a ditto mark, the label lost with it)."""
    bold = ImageFont.truetype(str(FONT.with_name("DejaVuSerif-Bold.ttf")), 18)
    img = Image.new("L", (600, 60), 255)
    ImageDraw.Draw(img).text((12, 15), "Họ, chữ đệm, tên:", font=bold, fill=30)
    grey = cv2.GaussianBlur(np.array(img), (3, 3), 0)
    ys, _ = np.nonzero(grey < 128)
    box = [8.0, float(ys.min() - 3), 400.0, float(ys.max() + 2)]
    assert trim_checkbox(grey, box) == box
    # A box of that size, empty or ticked, blurred the same, is still cut off.
    for ticked in (False, True):
        img = Image.new("L", (400, 60), 255)
        draw = ImageDraw.Draw(img)
        draw.rectangle((10, 20, 28, 38), outline=30, width=2)
        if ticked:
            draw.line((13, 29, 19, 35), fill=30, width=2)
            draw.line((19, 35, 25, 23), fill=30, width=2)
        draw.text((36, 18), "Đúng hạn", font=ImageFont.truetype(str(FONT), 18), fill=30)
        grey = cv2.GaussianBlur(np.array(img), (3, 3), 0)
        trimmed = trim_checkbox(grey, [8.0, 17.0, 200.0, 41.0])
        assert 28 < trimmed[0] < 40 and trimmed[2] == 200.0


def test_row_fragments_merge_only_when_close() -> None:
    boxes = np.array([[0, 0, 100, 20], [110, 2, 200, 22], [400, 0, 500, 20]], np.float32)
    merged = merge_row_fragments(boxes, 0.8)
    assert merged.tolist() == [[0, 0, 200, 22], [400, 0, 500, 20]]
    assert merge_row_fragments(boxes, 0).tolist() == boxes.tolist()


def test_reading_order_keeps_a_label_and_its_lower_value_on_one_row() -> None:
    boxes = [(300, 104, 500, 134), (10, 100, 200, 128), (10, 160, 200, 188)]
    assert reading_order(boxes) == [1, 0, 2]


def _table_row(with_rule: bool) -> np.ndarray:
    """Two handwritten-like words of one row, 90 px apart, optionally with a column rule."""
    grey = _strip([(10, "Escoffier"), (240, "Jean")], width=400)
    if with_rule:
        grey[:, 195:198] = 0  # a printed column rule the full height of the row
    return grey


def test_row_fragments_do_not_merge_across_a_column_rule() -> None:
    boxes = np.array([[8, 14, 150, 46], [238, 14, 310, 46]], np.float32)
    open_row = merge_row_fragments(boxes, 3.0, _table_row(with_rule=False))
    assert open_row.tolist() == [[8, 14, 310, 46]]
    ruled = merge_row_fragments(boxes, 3.0, _table_row(with_rule=True))
    assert ruled.tolist() == boxes.tolist()
    assert not has_rule(_table_row(with_rule=False), boxes[0].tolist(), boxes[1].tolist())


def test_compact_line_cuts_leader_dots_and_keeps_words() -> None:
    # Crops as read_page cuts them: the text's box (rows 14-38) with 0.15 x its height above
    # and below.
    grey = _strip([(10, "Số: 01"), (130, "." * 40), (560, "Quyển số")], width=800)[10:42]
    compact = compact_line(grey)
    h = grey.shape[0]
    assert compact.shape[0] == h
    # The dot run (≈ 400 px) is gone; both words (≈ 100 + 130 px) and a word gap remain.
    assert 230 < compact.shape[1] < 450
    ink = (compact < 128).any(axis=0)
    assert np.diff(np.flatnonzero(ink)).max() >= 0.3 * h  # the words are still apart
    # A dash between words crosses the middle of the line: it is text and stays.
    # (The gaps either side of it may shorten to a word space.)
    dashed = _strip([(10, "Độc lập"), (150, "–"), (230, "Tự do")], width=400)[10:42]
    ink_columns = int((dashed < 128).any(axis=0).sum())
    assert int((compact_line(dashed) < 128).any(axis=0).sum()) == ink_columns
    plain = _strip([(10, "Nguyễn Thị Hương")], width=260)[10:42]
    assert compact_line(plain).shape[1] <= plain.shape[1]


def test_compact_line_keeps_a_hands_small_letters_at_both_ends() -> None:
    """A handwritten line's crop is tall (loops, stacked accents) and its small letters span
    less than LETTER_SPAN of it: they were taken for paper and the line's first and last
    words cut off ('công trên' read from 'y trên', 'của tình yêu' dropped)."""
    img = Image.new("L", (420, 46), 255)
    draw = ImageDraw.Draw(img)
    small, tall = ImageFont.truetype(str(FONT), 13), ImageFont.truetype(str(FONT), 30)
    draw.text((10, 15), "của mà", font=small, fill=0)  # x-height ~7 px, about rows 19-26
    draw.text((150, 2), "Được", font=tall, fill=0)
    draw.text((300, 15), "nên cơ", font=small, fill=0)
    grey = np.array(img)
    ink = np.flatnonzero((grey < 128).any(axis=0))
    compact = compact_line(grey)
    kept = np.flatnonzero((compact < 128).any(axis=0))
    # Every ink column is still there: the gaps between the words are shortened, no letter
    # is cut.
    assert len(kept) == len(ink)
    assert compact.shape[1] < grey.shape[1]


def test_thick_print_is_squeezed_more_than_thin_strokes() -> None:
    bold = np.full((40, 400), 255, np.uint8)
    thin = bold.copy()
    for x in range(10, 390, 20):
        bold[8:32, x : x + 8] = 0  # 8 px stems: at height 32 that is 6.4 px
        thin[8:32, x : x + 1] = 0  # 1 px stems
    assert stroke_width(bold) > 3 * stroke_width(thin)
    assert line_squeeze(bold) == min(1.0, SQUEEZE_MIN)  # as narrow as allowed
    assert line_squeeze(thin) == 1.0


def test_a_tall_signature_beside_a_line_is_not_merged_into_it() -> None:
    line = [300.0, 100.0, 500.0, 130.0]
    signature = [150.0, 70.0, 290.0, 160.0]  # three line heights tall, overlapping the row
    boxes = np.array([signature, line], np.float32)
    assert merge_row_fragments(boxes, 2.0).tolist() == boxes.tolist()


def test_a_title_broken_only_by_the_gutter_of_a_spread_is_one_line() -> None:
    """FRAN ledgers: the running title is printed across both pages; the detector returns a
    piece either side of the gutter."""
    width, height = 3600, 2800  # a double spread
    left = [465.0, 185.0, 1700.0, 228.0]
    right = [1886.0, 187.0, 3275.0, 230.0]
    below = [500.0, 400.0, 900.0, 440.0]
    joined = join_across_gutter([left, right, below], width, height)
    assert joined == [[465.0, 185.0, 3275.0, 230.0], below]
    # A single page (portrait) is never joined: two columns of text stay two.
    assert len(join_across_gutter([left, right], 2000, 2800)) == 2
    # Not when the gap is away from the middle, too wide, or something stands in it.
    off_middle = [[100.0, 185.0, 900.0, 228.0], [1000.0, 185.0, 1700.0, 228.0]]
    assert len(join_across_gutter(off_middle, width, height)) == 2
    far = [[465.0, 185.0, 1500.0, 228.0], [2100.0, 185.0, 3275.0, 228.0]]  # 14 heights apart
    assert len(join_across_gutter(far, width, height)) == 2
    mark = [1760.0, 190.0, 1800.0, 226.0]
    assert len(join_across_gutter([left, right, mark], width, height)) == 3
    # Short pieces either side (a number and a date of two facing tables) stay apart.
    short = [[1600.0, 185.0, 1700.0, 228.0], [1886.0, 185.0, 2000.0, 228.0]]
    assert len(join_across_gutter(short, width, height)) == 2


def _cell(lines: list[str], width: int = 420) -> np.ndarray:
    """A narrow cell with the given lines of text, 34 px apart."""
    img = Image.new("L", (width, 40 + 34 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 24)
    for k, text in enumerate(lines):
        draw.text((10, 20 + 34 * k), text, font=font, fill=0)
    return np.array(img)


def test_a_value_written_on_two_lines_of_a_cell_is_cut_into_two_lines() -> None:
    """ks-table-hand: "Bệnh viện đa khoa / tỉnh Tuyên Quang" boxed as one line twice as
    high read as garbage; cut between the lines, the cell's hand CER fell 17.9 -> 9.6 %."""
    two = _cell(["Bệnh viện đa khoa", "tỉnh Tuyên Quang"])
    others = [[10.0, 300.0, 200.0, 330.0], [10.0, 340.0, 200.0, 370.0]]  # the page's lines
    boxes = np.asarray([[8.0, 16.0, 300.0, 90.0], *others], np.float32)
    out = split_stacked_lines(two, boxes)
    assert len(out) == 4
    upper, lower = out[0], out[1]
    assert upper[1] == 16.0 and lower[3] == 90.0
    assert 48 <= upper[3] == lower[1] <= 60  # in the gap between the two lines of text


def test_one_tall_line_is_not_cut() -> None:
    """A line whose accents and descenders make it tall has its ink across the middle."""
    one = _cell(["Nguyễn Thị Ỷ, Quỳnh, Ấp Gò"])
    others = [[10.0, 300.0, 200.0, 330.0], [10.0, 340.0, 200.0, 370.0]]
    boxes = np.asarray([[8.0, 12.0, 380.0, 60.0], *others], np.float32)
    assert split_stacked_lines(one, boxes).tolist() == boxes.tolist()


def _ink_rows(grey: np.ndarray, x0: int, x1: int) -> tuple[int, int]:
    rows = np.flatnonzero((grey[:, x0:x1] < 128).any(axis=1))
    return int(rows[0]), int(rows[-1])


def test_a_box_over_the_halves_of_two_lines_is_cut_and_each_line_grown_to_its_writing() -> None:
    """kt-table-spread-hand: the detector boxed the lower half of "Tại nhà, xã Liên Xuân,
    thành" with the upper half of "phố Thủy Nguyên, thành phố", one line high, read as
    garbage; cut and grown, the set's hand CER fell 8.1 -> 3.7 %."""
    two = _cell(["Tại nhà, xã Liên Xuân, thành", "phố Thủy Nguyên, thành phố"])
    top, bottom = _ink_rows(two, 0, two.shape[1])
    others = [[10.0, 300.0, 200.0, 330.0], [10.0, 340.0, 200.0, 370.0]]  # lines 30 px high
    straddling = [8.0, 36.0, 400.0, 66.0]  # from mid line 1 to mid line 2
    out = split_stacked_lines(two, np.asarray([straddling, *others], np.float32))
    assert len(out) == 4
    upper, lower = out[0], out[1]
    assert upper[1] <= top + 1 and lower[3] >= bottom  # each line whole
    assert upper[3] <= lower[1] + 1


def test_a_one_line_box_with_blank_paper_around_it_is_not_cut() -> None:
    one = _cell(["Nguyễn Thị Ỷ, Quỳnh"])
    others = [[10.0, 300.0, 200.0, 330.0], [10.0, 340.0, 200.0, 370.0]]
    boxes = np.asarray([[8.0, 14.0, 300.0, 50.0], *others], np.float32)
    assert split_stacked_lines(one, boxes).tolist() == boxes.tolist()


def test_the_short_second_line_of_a_cell_is_narrowed_to_its_own_writing() -> None:
    """ks-table-hand: "Nguyễn Bá / Hiếu" boxed whole line 1 over half of line 2; the second
    line kept line 1's width and missed its bottom ("Hiếu" read "u")."""
    two = _cell(["Nguyễn Văn Bảo", "Hiếu"])
    _, bottom = _ink_rows(two, 0, two.shape[1])
    others = [[10.0, 300.0, 200.0, 330.0], [10.0, 340.0, 200.0, 370.0]]
    boxes = np.asarray([[8.0, 16.0, 260.0, 64.0], *others], np.float32)
    upper, lower = split_stacked_lines(two, boxes)[:2]
    assert lower[3] >= bottom  # grown down to the end of "Hiếu"
    assert lower[2] < 0.5 * upper[2]  # as wide as "Hiếu", not as "Nguyễn Văn Bảo"


def test_a_line_that_reads_as_nothing_narrowed_is_read_again_at_its_width() -> None:
    """FRAN_0187_50115_L: "dud." narrowed to 0.75 read "?@" (no letter: the line was
    dropped); at its natural width it reads as letters and the line is kept."""
    from ocr_service.ocr.vi import LineText, ViEngine

    engine = ViEngine.__new__(ViEngine)  # the reading is stubbed: no model needed
    engine.settings = ViSettings()
    calls: list[float] = []

    def read(
        grey: np.ndarray, squeeze: float = 1.0, lexicon: object = None, reader: object = None
    ) -> LineText:
        calls.append(squeeze)
        return LineText("", 0.0) if squeeze < 1.0 else LineText("dud.", 0.7)

    engine._read_grey = read  # type: ignore[method-assign]
    thick = _strip([(20, "dud.")])  # printed: squeezed below 1
    assert line_squeeze(thick) < 1.0
    assert engine._read_line_crop(thick) == LineText("dud.", 0.7)
    assert calls == [line_squeeze(thick), 1.0]
    calls.clear()

    def read_letters(
        grey: np.ndarray, squeeze: float = 1.0, lexicon: object = None, reader: object = None
    ) -> LineText:
        calls.append(squeeze)
        return LineText("Paris", 0.9)

    engine._read_grey = read_letters  # type: ignore[method-assign]
    assert engine._read_line_crop(thick) == LineText("Paris", 0.9)
    assert len(calls) == 1  # read once when the narrowed reading has letters


def test_boxes_map_back_through_trueocrs_turns_and_skew() -> None:
    """vi.upright_to_input, built on preprocess.geometry's quarter turns (one set of turn
    transforms), maps a pixel of trueocr's upright image onto the same pixel of the input
    for every turn trueocr makes, and gives the very numbers vi's own 3x3 matrices gave."""
    from trueocr.page import VERTICAL

    from ocr_service.ocr.vi import upright_to_input
    from ocr_service.preprocess.geometry import map_points

    rng = np.random.default_rng(7)
    image = rng.integers(0, 255, (37, 53), np.uint8)
    turned = {0: image, 1: np.rot90(image, -1), 2: np.rot90(image, -2), 3: np.rot90(image, -3)}
    turned[VERTICAL] = np.rot90(image, 1)
    for turns, upright in turned.items():
        to_input = upright_to_input(image.shape, turns, 0.0)
        for uy, ux in rng.integers(0, min(upright.shape), (20, 2)):
            corners = map_points(to_input, np.array([[ux, uy], [ux + 1, uy + 1]], np.float64))
            ix, iy = (round(float(v)) for v in corners.min(axis=0))
            assert image[iy, ix] == upright[uy, ux], turns

    def before(shape: tuple[int, int], turns: int, skew: float) -> np.ndarray:
        """vi.py's former _inverse_transform and _apply, kept as the reference."""
        h, w = shape
        if turns in (VERTICAL, 3):
            turn = np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1]], np.float64)
        elif turns == 1:
            turn = np.array([[0, -1, h], [1, 0, 0], [0, 0, 1]], np.float64)
        elif turns == 2:
            turn = np.array([[-1, 0, w], [0, -1, h], [0, 0, 1]], np.float64)
        else:
            turn = np.eye(3)
        th, tw = (w, h) if turns in (1, 3) or turns > 3 else (h, w)
        rot = np.eye(3)
        if skew:
            rot[:2] = cv2.getRotationMatrix2D((tw / 2, th / 2), skew, 1.0)
        return np.linalg.inv(rot @ turn)

    points = rng.uniform(-5, 7500, (400, 2)).round(1)
    homogeneous = np.hstack([points, np.ones((len(points), 1))])
    for turns in (0, 1, 2, 3, VERTICAL):
        for skew in (0.0, 0.37, -2.9, 7.25):
            for shape in [(3508, 2480), (5617, 7102)]:
                old = (homogeneous @ before(shape, turns, skew).T)[:, :2]
                new = map_points(upright_to_input(shape, turns, skew), points)
                assert np.array_equal(old, new), (turns, skew, shape)
