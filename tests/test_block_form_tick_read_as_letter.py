"""A ticked box read as a letter before its label (#13): 'D Đúng hạn' — the label's match took
the stray letter in, its left edge fell on the box, and the tick was not found."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr_service.extract.layouts.block_form import read_block_form
from ocr_service.extract.spec import enum_labels
from ocr_service.ocr.containers import OcrLine, OcrPage

BOX = (1182, 255, 1219, 292)


def page_image(ticked: bool) -> np.ndarray:
    img = np.full((900, 1685), 245, np.uint8)
    for y0 in (255, 325, 395):
        cv2.rectangle(img, (BOX[0], y0), (BOX[2], y0 + 37), 20, 2)
    if ticked:  # a check mark across the first box
        cv2.line(img, (1188, 275), (1198, 288), 20, 3)
        cv2.line(img, (1198, 288), (1214, 262), 20, 3)
    return img


def lines(stray: str) -> list[OcrLine]:
    first = [OcrLine(stray, 0.5, (1182, 251, 1219, 300))] if stray else []
    return [
        OcrLine("Họ, chữ đệm, tên (người chết): Phan Đình Vương", 0.95, (100, 251, 1000, 300)),
        *first,
        OcrLine("Đúng hạn", 0.95, (1227, 246, 1353, 296)),
        OcrLine("Ngày, tháng, năm sinh: 13.04.1949", 0.95, (100, 321, 900, 368)),
        OcrLine("Quá hạn", 0.95, (1229, 321, 1323, 368)),
        OcrLine("Dân tộc: Tày", 0.95, (100, 390, 600, 437)),
        OcrLine("Đăng ký lại", 0.95, (1229, 390, 1366, 437)),
    ]


@pytest.mark.parametrize("stray", ["", "D", "ạ", "Ở"])
def test_a_ticked_box_is_found_whatever_its_reading(stray: str) -> None:
    page = OcrPage(width=1685, height=900, lines=lines(stray), engine="vi")
    record = read_block_form("khai-tu", 1, page, page_image(ticked=True))
    field = record.fields["loaiDangKy"]
    assert field.value == enum_labels("khai-tu", "loaiDangKy")["1"]
    assert field.source == "ocr"


def test_no_tick_stays_no_tick_with_a_stray_letter() -> None:
    page = OcrPage(width=1685, height=900, lines=lines("D"), engine="vi")
    record = read_block_form("khai-tu", 1, page, page_image(ticked=False))
    assert record.fields["loaiDangKy"].source != "ocr"
