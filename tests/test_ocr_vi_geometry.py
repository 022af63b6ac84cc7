"""The vi engine's line geometry helpers on drawn images: gap splitting, check boxes, order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_service.ocr.base import reading_order
from ocr_service.ocr.vi import merge_row_fragments, split_at_gaps, trim_checkbox

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


def test_row_fragments_merge_only_when_close() -> None:
    boxes = np.array([[0, 0, 100, 20], [110, 2, 200, 22], [400, 0, 500, 20]], np.float32)
    merged = merge_row_fragments(boxes, 0.8)
    assert merged.tolist() == [[0, 0, 200, 22], [400, 0, 500, 20]]
    assert merge_row_fragments(boxes, 0).tolist() == boxes.tolist()


def test_reading_order_keeps_a_label_and_its_lower_value_on_one_row() -> None:
    boxes = [(300, 104, 500, 134), (10, 100, 200, 128), (10, 160, 200, 188)]
    assert reading_order(boxes) == [1, 0, 2]
