"""Dotted leader lines are erased before OCR; letters, tone marks, full stops and rules stay."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_service.preprocess.leaders import dot_leader_mask, remove_dot_leaders

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def form_line() -> tuple[np.ndarray, tuple[int, int, int, int], tuple[int, int, int, int]]:
    im = Image.new("L", (1654, 200), 245)
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 30)
    d.text((100, 40), "Họ, chữ đệm, tên: Nguyễn Thị Ánh. 05.03.1987", font=font, fill=20)
    text_box = (100, 30, 900, 80)
    for x in range(400, 1500, 6):  # the printed dotted line under and after the value
        d.ellipse([x, 86, x + 2, 88], fill=60)
    d.line([(100, 150), (1500, 150)], fill=0, width=2)  # a solid table rule
    return np.asarray(im), text_box, (400, 84, 1502, 90)


def test_dots_go_and_text_stays() -> None:
    grey, text_box, dots_box = form_line()
    out = remove_dot_leaders(grey)
    _x0, y0, x1, y1 = dots_box
    # right of the text the dotted line is gone
    assert (out[y0:y1, 950:x1] < 128).sum() == 0
    assert (grey[y0:y1, 950:x1] < 128).sum() > 100
    # letters, their tone marks and the full stops of the date are untouched
    tx0, ty0, tx1, ty1 = text_box
    assert np.array_equal(out[ty0:ty1, tx0:tx1], grey[ty0:ty1, tx0:tx1])
    # the solid rule is kept
    assert (out[148:153, 100:1500] < 128).sum() == (grey[148:153, 100:1500] < 128).sum()


def test_a_page_without_leaders_is_unchanged() -> None:
    grey, _, _ = form_line()
    clean = grey.copy()
    clean[84:92, :] = 245
    assert not dot_leader_mask(clean).any()


def test_small_print_on_a_double_spread_is_not_taken_for_dots() -> None:
    """A spread is two pages wide: its width says nothing of the resolution. On the FRAN
    ledgers (3,600 x 2,847 px) the eraser took the running title's small italic print for
    dots and wiped it (printed CER 8 % -> 13 %)."""
    im = Image.new("L", (3600, 2800), 240)
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 18)  # x-height 10 px, as the FRAN small print
    line = "sont indiqués par une mention spéciale à la suite des noms des parties"
    for y in (300, 330, 360):
        d.text((1900, y), line, font=font, fill=40)
    grey = np.asarray(im)
    assert not dot_leader_mask(grey).any()
    assert np.array_equal(remove_dot_leaders(grey), grey)


def test_dots_run_together_by_a_soft_photo_go_and_rules_stay() -> None:
    # A phone photo's blur (the generator's phone profile, #13) runs the dots of a leader
    # together into one thin stroke, dark dots joined by grey: no dot was tiny any more, the
    # stroke stayed and the recogniser read it as 'u.a.u' after the value. A solid rule of
    # the same size, dark all along, stays.
    grey, text_box, _ = form_line()
    page = np.full((2339, 1654), 245, np.uint8)  # an A4 page at 200 dpi, the line at its top
    page[:200] = grey
    page[84:89, 400:950] = 245  # no separate dots here: the fused stroke instead
    xs = np.arange(950, 1500)
    page[84:89, 950:1500] = np.where(xs % 7 < 3, 60, 150).astype(np.uint8)[None, :]
    page[120:125, 950:1500] = 60  # a solid rule as thin and long
    out = remove_dot_leaders(page)
    assert (out[84:89, 950:1500] < 200).sum() == 0
    assert np.array_equal(out[120:125, 950:1500], page[120:125, 950:1500])
    tx0, ty0, tx1, ty1 = text_box
    assert np.array_equal(out[ty0:ty1, tx0:tx1], page[ty0:ty1, tx0:tx1])
