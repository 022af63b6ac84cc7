"""Crossed-out words are not read into the value (#13: 'Hồ Đăng Tonê Long').

Drawn with the synthetic generator's tuning-group hand fonts and its own strike-through; the
thresholds were set on tuning books only.
"""

from __future__ import annotations

import random
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr_service.config import Settings
from ocr_service.ocr.base import crop_line
from ocr_service.ocr.strikes import erase_struck_words, find_strikes
from ocr_service.pipeline.stages import read_text
from ocr_service.synth.render import HAND_INKS, Canvas, Pen, put_label, put_value

Image_ = np.ndarray[Any, Any]
PAPER = (250, 249, 245)
HANDS = ["PatrickHand-Regular.ttf", "Itim-Regular.ttf", "Mynerve-Regular.ttf"]


def written(font: str, text: str, *, strike: bool, seed: int = 1) -> tuple[Image_, Any, Canvas]:
    """One value in a tuning hand, with (strike=True) one word written wrong and crossed out."""
    img = Image.new("RGB", (1000, 120), PAPER)
    canvas = Canvas(img, 1.0, random.Random(seed))
    pen = Pen("hand", font, HAND_INKS[0], 34, 1.2, strike_rate=1.0 if strike else 0.0)
    box = put_value(canvas, pen, 60, 80, text, 900, "f")
    return np.asarray(img)[:, :, ::-1].copy(), box, canvas


def grey_crop(page: Image_, box: Any) -> Image_:
    return crop_line(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), box, 0.15, 0.3)


@pytest.mark.parametrize("font", HANDS)
def test_a_struck_word_is_found_and_painted_over(font: str) -> None:
    page, box, canvas = written(font, "Cục Cảnh sát QLHC về TTXH", strike=True)
    assert canvas.lines[-1].struck  # the generator did cross a word out
    crop = grey_crop(page, box)
    strikes = find_strikes(crop)
    assert len(strikes) == 1
    out = erase_struck_words(crop)
    x0, x1 = strikes[0]
    assert out[:, x0 + 2 : x1 - 2].min() > 150  # the struck word is gone
    assert (out[:, x1 + 20 :] < 150).any()  # the words after it are not


@pytest.mark.parametrize("font", HANDS)
@pytest.mark.parametrize(
    "text", ["HOÀNG ĐĂNG DŨNG", "074317184470", "16/1/2023", "Phan Văn Lợi", "TTXH QLHC"]
)
def test_writing_without_a_strike_has_none(font: str, text: str) -> None:
    page, box, _ = written(font, text, strike=False)
    assert find_strikes(grey_crop(page, box)) == []


@pytest.mark.parametrize("bold", [False, True])
def test_printed_labels_have_no_strike(bold: bool) -> None:
    img = Image.new("RGB", (1000, 120), PAPER)
    canvas = Canvas(img, 1.0, random.Random(0))
    box = put_label(canvas, 60, 80, "Người ký Giấy khai sinh  Năm sinh:", 34, bold=bold)
    page = np.asarray(img)[:, :, ::-1].copy()
    assert find_strikes(grey_crop(page, box)) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("font", "seed", "text"),
    [
        ("PatrickHand-Regular.ttf", 0, "Hồ Đăng Long"),  # 'Hồ Đăng Đăng Long' before
        ("PatrickHand-Regular.ttf", 3, "Hồ Đăng Long"),  # 'Hồ Đăng Ling Long' before
        ("Itim-Regular.ttf", 0, "Cục Cảnh sát QLHC về TTXH"),  # '… sát ƠLHC QLHC …' before
    ],
)
def test_the_struck_word_is_not_read(font: str, seed: int, text: str) -> None:
    page, _, canvas = written(font, text, strike=True, seed=seed)
    assert canvas.lines[-1].struck
    read = read_text(page, Settings(ocr_engine="vi"))
    assert " ".join(ln.text for ln in read.lines) == text
