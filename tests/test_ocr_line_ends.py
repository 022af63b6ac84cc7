"""Handwritten values read to their last character, capitals kept whole (#13).

The crops are drawn with the synthetic generator's own hand fonts (its tuning group), narrowed
or enlarged as other hands write: narrow handwriting leaves the recogniser too few steps for
its characters, tall capitals stand their marks clear of the letters.
"""

from __future__ import annotations

import random
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr_service.config import Settings
from ocr_service.ocr.line_boxes import split_stacked_lines
from ocr_service.ocr.vi import DENSE_READING, LineText, gives_back, reading_density
from ocr_service.pipeline.stages import read_text
from ocr_service.synth.render import (
    HAND_INKS,
    Canvas,
    Pen,
    dotted,
    put_label,
    put_value,
    text_width,
)

Image_ = np.ndarray[Any, Any]
DATES = ["30/03/1945", "19/06/1935", "12/11/2001", "05/10/1988"]
PAPER = (250, 249, 245)
MIDDLE_DIGIT_DROPPED = {"DancingScript-VF.ttf"}


def dates_page(font: str, seed: int, narrow: float) -> Image_:
    """Dates written at the right end of their dotted lines, the hand narrowed to `narrow`."""
    img = Image.new("RGB", (1654, 140 + 90 * len(DATES)), PAPER)
    canvas = Canvas(img, 1.0, random.Random(seed))
    pen = Pen("hand", font, HAND_INKS[seed % 4], 27, 1.5)
    y = 100
    for value in DATES:
        label = put_label(canvas, 110, y, "Ngày, tháng, năm sinh:", 27)
        x0, end = label[2] + 8, label[2] + 428
        dotted(canvas, x0, end, y + 4)
        x = end - text_width(pen.font, pen.value_size(), value) - 10
        put_value(canvas, pen, x, y, value, end - x, "f")
        y += 90
    page = np.asarray(img)[:, :, ::-1]
    return cv2.resize(page, None, fx=narrow, fy=1.0, interpolation=cv2.INTER_AREA)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("font", "seed"), [("PatrickHand-Regular.ttf", 0), ("DancingScript-VF.ttf", 1)]
)
def test_narrow_handwritten_dates_keep_their_last_digits(font: str, seed: int) -> None:
    page = read_text(dates_page(font, seed, narrow=0.6), Settings(ocr_engine="vi"))
    values = [ln.text for ln in page.lines if not ln.text.startswith("Ngày")]
    assert [v[-1] for v in values] == [d[-1] for d in DATES]  # no line end cut off
    if font in MIDDLE_DIGIT_DROPPED:
        # The default model drops one crowded middle digit of this hand, narrowed to 0.6,
        # surely (0.99: '30/03/1945' read '30/03/195'); asterocr's model read it. A rule that
        # read such dates again 1.5x wider was measured and dropped (docs/BENCHMARKS.md
        # "Tenth session"): asserted as it is, one digit short and nothing else.
        wrong = [(v, d) for v, d in zip(values, DATES, strict=True) if v != d]
        assert len(wrong) <= 1
        assert all(len(v) == len(d) - 1 and v[:5] == d[:5] for v, d in wrong)
        return
    assert values == DATES


def test_reading_density_counts_characters_per_recogniser_step() -> None:
    # 10 characters in a crop 32 high and 100 wide: 25 steps of 4 px, 0.4 per step.
    assert reading_density("30/03/1945", (32, 100)) == pytest.approx(0.4)
    # The same crop squeezed to 0.75 of its width holds them denser than a line can be read.
    assert reading_density("30/03/1945", (32, 100), 0.75) > DENSE_READING


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        ("12/1/2001", "12/11/2001", True),  # the '1' the narrow crop had no step for
        ("30/03/195", "30/03/1945", True),
        ("Gàng Thị Xá", "Giàng Thị Xá", True),
        ("14/06/195", "19/06/1935", True),  # and the crowded '9' read right
        ("14/06/195", "19/08/1935", False),  # two characters read otherwise
        ("xã Vinh Tiền, huyện", "xã Vinh Tiền,huyện", False),  # only a space lost
        ("Nguyễn Anh Tùng", "Nguyễn AnhẵTùng", False),  # a mark gained, two words run together
        ("Chủ tịch", "Chủ tịch", False),  # the same reading
        ("Chủ tịch", "Chủ tich", False),  # a different letter, not one given back
    ],
)
def test_a_stretched_reading_is_kept_only_when_it_gives_characters_back(
    first: str, second: str, kept: bool
) -> None:
    assert gives_back(first, second) is kept


def capitals_and_labels(font: str, size: int) -> tuple[Image_, np.ndarray[Any, Any]]:
    """Printed label lines and a name in capitals with stacked marks ('ĐỖ'), and their boxes."""
    img = Image.new("RGB", (1654, 700), PAPER)
    canvas = Canvas(img, 1.0, random.Random(1))
    boxes = [
        put_label(canvas, 110, 80 + 60 * i, "Họ, chữ đệm, tên người mẹ:", 27) for i in range(5)
    ]
    pen = Pen("hand", font, HAND_INKS[0], size, 1.5)
    boxes.append(put_value(canvas, pen, 300, 520, "ĐỖ MINH DUY", 900, "f"))
    return np.asarray(img.convert("L")), np.asarray(boxes, np.float32)


def two_written_lines() -> tuple[Image_, np.ndarray[Any, Any], list[int], list[int]]:
    """Printed label lines and one box around two handwritten lines of a cell."""
    img = Image.new("RGB", (1654, 700), PAPER)
    canvas = Canvas(img, 1.0, random.Random(2))
    boxes = [put_label(canvas, 110, 80 + 60 * i, "Nơi sinh:", 27) for i in range(5)]
    pen = Pen("hand", "Itim-Regular.ttf", HAND_INKS[1], 27, 0.0)
    top = list(put_value(canvas, pen, 300, 500, "Bệnh viện đa khoa", 600, "f"))
    bottom = list(put_value(canvas, pen, 300, 540, "tỉnh Tuyên Quang", 600, "f"))
    both = [min(top[0], bottom[0]), top[1], max(top[2], bottom[2]), bottom[3]]
    return np.asarray(img.convert("L")), np.asarray([*boxes, both], np.float32), top, bottom


@pytest.mark.parametrize("size", [36, 42])
def test_a_name_in_capitals_is_not_cut_under_its_marks(size: int) -> None:
    grey, boxes = capitals_and_labels("PatrickHand-Regular.ttf", size)
    out = split_stacked_lines(grey, boxes)
    # The name's box stays one line: its marks above the capitals are no line of their own.
    assert out.tolist() == boxes.tolist()
    # Two lines of writing in one box are still cut apart, each fitted to its own writing.
    grey, boxes, top, bottom = two_written_lines()
    out = split_stacked_lines(grey, boxes)
    assert len(out) == len(boxes) + 1
    upper, lower = sorted(out[len(boxes) - 1 :].tolist(), key=lambda b: b[1])
    assert upper[3] <= lower[1] + 1
    assert upper[1] <= top[1] + 2 and lower[3] >= bottom[3] - 2


class _Reader:
    """Stands in for the recogniser: a reading and a confidence per width factor."""

    def __init__(self, by_factor: dict[float, tuple[str, float]]) -> None:
        self.by_factor = by_factor
        self.factors: list[float] = []

    def __call__(
        self, crop: Image_, squeeze: float = 1.0, lexicon: object = None, reader: object = None
    ) -> LineText:
        self.factors.append(round(squeeze, 2))
        best = min(self.by_factor, key=lambda f: abs(f - squeeze))
        return LineText(*self.by_factor[best])


def _engine_reading(monkeypatch: pytest.MonkeyPatch, reader: _Reader) -> tuple[str, float]:
    from ocr_service.config import OcrSettings
    from ocr_service.ocr import vi

    engine = object.__new__(vi.ViEngine)
    engine.settings = OcrSettings().vi.model_copy(update={"squeeze": 1.0})
    monkeypatch.setattr(engine, "_read_grey", reader, raising=False)
    # 40 characters on a crop 32 high and 200 wide: 0.8 a step, a dense reading.
    read = engine._read_line_crop(np.full((32, 200), 255, np.uint8))
    return read.text, read.conf


def test_a_stretched_reading_much_surer_is_kept_though_letters_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A thin label font read at a heavy hand's width ran its words together.
    first = "Nauucdicùng: xã Phớc Chiếu, Qyn Thệa Bắc"
    wide = "Nơi cư trú cuối cùng: xã Phước Chiến, huyện"
    reader = _Reader({1.0: (first, 0.56), 2.0: (wide, 0.66), 1.3: (first, 0.5)})
    assert _engine_reading(monkeypatch, reader) == (wide, 0.66)


def test_an_unsure_dense_line_is_also_read_mildly_stretched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = "Giấy báotsố: 97/GBT ngày: 15/1/2020 của UBND"
    mild = "Giấy báo tử số: 97/GBT ngày: 15/1/2020 của UBND"
    reader = _Reader({1.0: (first, 0.61), 2.0: ("Giấy bá tử sổ 97/GB", 0.55), 1.3: (mild, 0.76)})
    assert _engine_reading(monkeypatch, reader) == (mild, 0.76)
    assert reader.factors == [1.0, 2.0, 1.3]
    # A sure reading is not read a third time, and a stretched one no surer is not taken.
    sure = _Reader({1.0: (first, 0.9), 2.0: ("Giấy bá tử sổ 97/GB", 0.92), 1.3: (mild, 0.99)})
    assert _engine_reading(monkeypatch, sure) == (first, 0.9)
    assert sure.factors == [1.0, 2.0]
