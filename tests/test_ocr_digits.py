"""Dates and numbers read at the line's natural width (#13): narrowed for its first reading
(line_squeeze), a thin '1' beside a '/' of a wide print font took less than one recogniser
step and was dropped without doubt ('3/12/2021' read '3/2/2021' at 1.0 confidence, '4/1/2022'
read '4//2022'); a reading made mostly of digits is read again unnarrowed and that reading is
kept when it only puts back digits between the characters the first one read."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from ocr_service.config import OcrSettings
from ocr_service.ocr.vi import ViEngine, digits_put_back, mostly_digits

RESOURCES = Path(__file__).parent / "resources" / "ocr"


def test_a_reading_mostly_of_digits() -> None:
    assert mostly_digits("3/12/2021") and mostly_digits("4//2022") and mostly_digits("11:51")
    assert mostly_digits("081221969275")
    assert not mostly_digits("Thôn 3, xã Vinh Tiền") and not mostly_digits("")
    assert not mostly_digits("Thôn 12")


def test_only_digits_put_back_between_the_characters_read_are_taken() -> None:
    assert digits_put_back("3/2/2021", "3/12/2021") and digits_put_back("4//2022", "4/1/2022")
    assert digits_put_back("3/03/2022", "31/03/2022") and digits_put_back("4 //2022", "4/1/2022")
    # A handwritten number read wider grew a stroke at its start or a dash (real scan
    # FRAN_0187_50115_L): not taken.
    assert not digits_put_back("66248", "1166248") and not digits_put_back("66251", "662-51")
    assert not digits_put_back("2021", "20215")  # nothing after the last character
    assert not digits_put_back("3/2/2021", "3/2/2021")  # nothing put back
    assert not digits_put_back("3/2/2021", "8/12/2021")  # a character read otherwise


@pytest.mark.slow
@pytest.mark.parametrize(
    ("crop", "date"),
    [
        ("date_line_3-12-2021.png", "3/12/2021"),
        ("date_line_4-1-2022.png", "4/1/2022"),
        ("date_line_31-03-2022.png", "31/03/2022"),
    ],
)
def test_a_date_of_a_wide_print_font_keeps_its_thin_ones(crop: str, date: str) -> None:
    grey = cv2.imread(str(RESOURCES / crop), cv2.IMREAD_GRAYSCALE)
    assert grey is not None
    read = ViEngine(OcrSettings())._read_page_line(grey)
    assert read.text.startswith("Ngày") and read.text.split(":", 1)[1].strip() == date
