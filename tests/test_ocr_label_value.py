"""A form line's value read apart from its printed label (#13): beside a small serif label a
value's letters came back as capitals or with other marks ('Quê quán: Xã …', 'Ông Nội',
'Mẹ', 'Trạm ytế'); read alone they read as printed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ocr_service.config import OcrSettings
from ocr_service.ocr.label_value import CUT_AFTER, label_colons, label_parts, value_cuts
from ocr_service.ocr.line_reader import greedy_path
from ocr_service.ocr.vi import ViEngine
from tests.test_ocr_letter_case import labelled_line


def test_the_label_colons_are_those_with_a_value_after_them() -> None:
    assert label_colons("Quê quán: xã Vinh Tiền") == [8]
    assert label_colons("Giờ, phút chết: 11:51") == [14]  # a time is no label
    assert label_colons("11:51") == []
    assert label_colons("Nơi sinh:") == []  # a label with nothing written after it
    assert label_colons("Nơi sinh: ....") == []
    assert label_colons(": xã Vinh") == []  # no label before it
    assert label_parts("Giới tính: Nam Dân tộc: Kinh Quốc tịch: Việt Nam") == [
        "Giới tính:",
        "Nam Dân tộc:",
        "Kinh Quốc tịch:",
        "Việt Nam",
    ]
    assert label_parts("Ghi chú") == ["Ghi chú"]


def test_the_greedy_path_places_each_character_at_its_first_step() -> None:
    # steps: blank a a blank b blank blank a, over crop columns 100..180 (10 px a step)
    best = [0, 1, 1, 0, 2, 0, 0, 1]
    out = np.full((len(best), 1, 3), -9.0, np.float32)
    out[np.arange(len(best)), 0, best] = 0.0
    model = SimpleNamespace(blank=0, chars=("", "a", ":"))
    placed = greedy_path(out, model, 100.0, 180.0)  # type: ignore[arg-type]
    assert placed == (("a", 115.0), (":", 145.0), ("a", 175.0))


def test_the_line_is_cut_past_the_colons_the_recogniser_read() -> None:
    path = tuple((ch, 10.0 * i) for i, ch in enumerate("Số:12/2020Quyểnsố:01"))
    assert value_cuts(path, 40, 400) == [int(20.0 + CUT_AFTER * 40), int(170.0 + CUT_AFTER * 40)]
    assert value_cuts(tuple((ch, 10.0 * i) for i, ch in enumerate("Số 12/2020")), 40, 400) == []
    # a cut that leaves a part too narrow to hold a letter is no cut
    assert value_cuts(path, 40, 190) == []


# The default recogniser (fine-tuned on the generator's books, where a lone relation value is
# 'Mẹ' twice as often as 'mẹ') reads this lone 'mẹ' 'Mẹ' below 29 px, unsure (0.57); asterocr's
# model read it right. Asserted as it is (docs/BENCHMARKS.md "Tenth session"): the word
# right but for its case, and the line unsure, so review shows it to the clerk.
CASE_UNSURE = pytest.mark.case_unsure
UNSURE = 0.8


# Tuning fonts and label sizes only (the held-out ones are read by the benchmarks alone):
# each of these read otherwise with the value read beside its label.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("font", "label_font", "size", "label", "written"),
    [
        ("NotoSans-Regular.ttf", "CrimsonPro-Regular.ttf", 23,
         "Quan hệ với người được khai sinh:", "Ông nội"),
        pytest.param("DejaVuSans-subset.ttf", "Literata-Regular.ttf", 23,
                     "Quan hệ với người được khai sinh:", "mẹ", marks=CASE_UNSURE),
        ("Montserrat-Regular.ttf", "RobotoSlab-Regular.ttf", 27, "Nơi sinh:",
         "Trạm y tế xã Vinh Tiền"),
        ("PatrickHand-Regular.ttf", "DejaVuSerif-subset.ttf", 23,
         "Ngày, tháng, năm sinh ghi bằng chữ:", "ngày ba tháng mười hai"),
    ],
)  # fmt: skip
def test_a_value_beside_a_small_label_is_read_as_printed(
    font: str, label_font: str, size: int, label: str, written: str, request: pytest.FixtureRequest
) -> None:
    engine = ViEngine(OcrSettings())
    read = engine._read_page_line(labelled_line(font, label_font, label, written, size=size))
    value = read.text.split(":", 1)[1].strip()
    assert read.text.startswith(label.split()[0])
    if request.node.get_closest_marker("case_unsure") and value != written:
        assert value.lower() == written.lower() and read.conf < UNSURE
        return
    assert value == written
    assert read.text.endswith(written)
