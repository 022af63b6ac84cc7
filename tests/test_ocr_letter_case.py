"""Size-only letters (#13): 'xã' printed at the start of a place was read 'Xã'; the case of
a word's first c/o/s/v/w/x/z is what the ink's height shows, never a guess from habit."""

from __future__ import annotations

import random
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr_service.ocr.base import crop_line
from ocr_service.ocr.letter_case import true_case
from ocr_service.ocr.line_crops import compact_line
from ocr_service.synth.catalog import BY_FILE, TUNING
from ocr_service.synth.render import HAND_INKS, PRINT_INK, Canvas, Pen, put_label, put_value

Image_ = np.ndarray[Any, Any]
PAPER = (250, 249, 245)
TYPED = "DejaVuSans-subset.ttf"
HANDS = ["PatrickHand-Regular.ttf", "Itim-Regular.ttf", "SedgwickAve-Regular.ttf"]


def line(font: str, text: str, *, label: str = "", seed: int = 1) -> Image_:
    """A label (optional) and a value written on one line, cropped as the engine crops it."""
    assert BY_FILE[font].group == TUNING  # only tuning fonts are looked at outside the benches
    img = Image.new("RGB", (1400, 120), PAPER)
    canvas = Canvas(img, 1.0, random.Random(seed))
    style = "typed" if font == TYPED else "hand"
    pen = Pen(style, font, PRINT_INK if style == "typed" else HAND_INKS[0], 30, 1.0)
    x, boxes = 40, []
    if label:
        boxes.append(put_label(canvas, x, 80, label, 30))
        x = boxes[-1][2] + 16
    boxes.append(put_value(canvas, pen, x, 80, text, 1300 - x, "f"))
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
           max(b[3] for b in boxes))  # fmt: skip
    grey = cv2.cvtColor(np.asarray(img)[:, :, ::-1].copy(), cv2.COLOR_RGB2GRAY)
    return crop_line(grey, box, 0.15, 0.3)


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("xã Vinh Tiền, huyện Tân Sơn", ""),
        ("xã Vân Lĩnh, huyện Thanh Ba", "Quê quán:"),
        ("Xóm 4, xã Tam Sơn, huyện Cẩm Khê", "Nơi cư trú:"),
        ("Công an tỉnh Thanh Hóa", ""),
        ("Cục Cảnh sát QLHC về TTXH", ""),
    ],
)
def test_typed_size_only_letters_take_the_case_of_the_ink(written: str, label: str) -> None:
    crop = line(TYPED, written, label=label)
    printed = f"{label} {written}".strip()
    swapped = " ".join(
        w[0].swapcase() + w[1:] if w[:1].lower() in "cosvwxz" else w for w in printed.split()
    )
    fixed = true_case(crop, swapped).split(" ")
    # The value's first word read in the wrong case ('Xã' for 'xã', 'cục' for 'Cục') comes
    # back as printed; any other word is as printed or as read, never a third thing.
    n_label = len(label.split())
    assert fixed[n_label] == written.split(" ")[0]
    for got, read, want in zip(fixed, swapped.split(" "), printed.split(" "), strict=True):
        assert got in (read, want)
    assert true_case(crop, printed) == printed  # a reading already right stays


@pytest.mark.parametrize("font", HANDS)
@pytest.mark.parametrize("written", ["xã Hương Lung, huyện Cẩm Khê", "Xóm 2, xã Đắk Lao"])
def test_handwritten_size_only_letters_are_not_made_worse(font: str, written: str) -> None:
    crop = line(font, written)
    wrong = written.replace("xã", "Xã", 1) if written.startswith("x") else written
    fixed = true_case(crop, wrong)
    # Where a hand leaves the sizes unclear the reading is left as it was; never worse.
    assert fixed in (wrong, written)
    assert true_case(crop, written) == written


def test_a_reading_whose_words_do_not_match_the_ink_is_left_alone() -> None:
    crop = line(TYPED, "xã Vinh Tiền, huyện Tân Sơn")
    assert true_case(crop, "Xã VinhTiền, huyện Tân Sơn") == "Xã VinhTiền, huyện Tân Sơn"
    assert true_case(np.full((30, 200), 250, np.uint8), "Xã") == "Xã"


@pytest.mark.slow
def test_the_vi_engine_reads_size_only_letters_in_the_case_of_the_ink(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Wired into the engine: a page line the recogniser reads 'Xã …' is 'xã …' when the page
    prints 'xã' (the recogniser is stood in for by one that always guesses upper case)."""
    from ocr_service.config import Settings
    from ocr_service.ocr.vi import LineText, ViEngine
    from ocr_service.pipeline.stages import read_text

    img = Image.new("RGB", (1400, 300), (255, 255, 255))
    canvas = Canvas(img, 1.0, random.Random(3))
    put_value(canvas, Pen("typed", TYPED, PRINT_INK, 30, 1.0), 60, 150,
              "xã Vinh Tiền, huyện Tân Sơn", 1200, "f")  # fmt: skip
    page = np.asarray(img)[:, :, ::-1].copy()

    def guess_upper(
        self: ViEngine, crop: Image_, lexicon: object = None, first: object = None
    ) -> LineText:
        return LineText("Xã Vinh Tiền, huyện Tân Sơn", 0.9)

    monkeypatch.setattr(ViEngine, "_read_line_crop", guess_upper)
    texts = [ln.text for ln in read_text(page, Settings(ocr_engine="vi")).lines]
    assert texts == ["xã Vinh Tiền, huyện Tân Sơn"]


def labelled_line(font: str, label_font: str, label: str, text: str, size: int = 27) -> Image_:
    """A label printed in `label_font` and a value in `font`, as one page line's crop."""
    assert BY_FILE[font].group == TUNING and BY_FILE[label_font].group == TUNING
    img = Image.new("RGB", (1400, 120), PAPER)
    canvas = Canvas(img, 1.0, random.Random(1))
    canvas.label_font = canvas.label_bold = label_font
    style = BY_FILE[font].role
    pen = Pen(style, font, PRINT_INK if style == "typed" else HAND_INKS[0], 30, 1.0)
    lbox = put_label(canvas, 40, 80, label, size)
    vbox = put_value(canvas, pen, lbox[2] + 26, 80, text, 1000, "f")
    box = (lbox[0], min(lbox[1], vbox[1]), vbox[2], max(lbox[3], vbox[3]))
    grey = cv2.cvtColor(np.asarray(img)[:, :, ::-1].copy(), cv2.COLOR_RGB2GRAY)
    return compact_line(crop_line(grey, box, 0.15, 0.3))


@pytest.mark.parametrize(
    ("font", "label_font", "label", "written"),
    [
        (
            "DejaVuSans-subset.ttf",
            "Literata-Regular.ttf",
            "Quê quán:",
            "xã Vân Lĩnh, huyện Thanh Ba",
        ),
        ("DejaVuSans-subset.ttf", "IBMPlexSerif-Regular.ttf", "Nơi cư trú:", "xã Vinh Tiền"),
        ("Montserrat-Regular.ttf", "CrimsonPro-Regular.ttf", "Quê quán:", "xã Vân Lĩnh"),
        ("Montserrat-Regular.ttf", "RobotoSlab-Regular.ttf", "Nơi cư trú:", "xã Vinh Tiền"),
        (
            "NotoSans-Regular.ttf",
            "Literata-Regular.ttf",
            "Quan hệ với người được khai sinh:",
            "cha",
        ),
        ("NotoSans-Regular.ttf", "CrimsonPro-Regular.ttf", "Nơi cư trú:", "xã Vinh Tiền"),
    ],
)
def test_a_label_spaced_like_its_words_does_not_hide_the_value_case(
    font: str, label_font: str, label: str, written: str
) -> None:
    # Other printings' label fonts space their letters as wide as their words: the words are
    # found near the value, and a cut that moved a word onto its neighbour is refused.
    crop = labelled_line(font, label_font, label, written)
    printed = f"{label} {written}"
    read = f"{label} {written[0].upper()}{written[1:]}"
    assert true_case(crop, read) == printed
    assert true_case(crop, printed) == printed


@pytest.mark.parametrize("hand", ["OoohBaby-Regular.ttf", "Mynerve-Regular.ttf"])
@pytest.mark.parametrize("written", ["xã Vinh Tiền, huyện Tân Sơn", "xã Vân Lĩnh, huyện Thanh Ba"])
def test_hands_with_small_capitals_keep_the_capitals_of_names(hand: str, written: str) -> None:
    # Some hands write 'S' and 'V' hardly taller than 'a': a syllable after a capitalised one
    # ('Tân Sơn') or after a place's unit word ('xã Vân') is a name and stays capitalised.
    crop = labelled_line(hand, "DejaVuSerif-subset.ttf", "Nơi cư trú:", written)
    printed = f"Nơi cư trú: {written}"
    assert true_case(crop, printed) == printed


# Montserrat is left out: its body is as high as a small label's capitals, and 'con' after
# a Literata label still reads 'Con' (docs/BENCHMARKS.md, issue #13, third session).
@pytest.mark.parametrize("font", ["DejaVuSans-subset.ttf", "NotoSans-Regular.ttf"])
@pytest.mark.parametrize("label_font", ["Literata-Regular.ttf", "IBMPlexSerif-Regular.ttf"])
@pytest.mark.parametrize("written", ["con", "vợ"])
def test_a_one_word_value_is_not_measured_against_a_small_label(
    font: str, label_font: str, written: str
) -> None:
    # A printing with small labels: the label's tall letters are no higher than the value's
    # body, so the value's 'c' or 'v' measured against them looked like a capital.
    crop = labelled_line(font, label_font, "Quan hệ với người chết:", written, size=23)
    printed = f"Quan hệ với người chết: {written}"
    assert true_case(crop, printed) == printed
