"""A form line's value read apart from its printed label (#13): beside a small serif label a
value's letters came back as capitals or with other marks ('Quê quán: Xã …', 'Ông Nội',
'Mẹ', 'Trạm ytế'); read alone they read as printed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ocr_service.config import OcrSettings, ViSettings
from ocr_service.extract.vocabulary import PLACE_REPAIR, book_lexicon, label_lexicons
from ocr_service.ocr.ctc_beam import Lexicon
from ocr_service.ocr.label_value import CUT_AFTER, label_colons, label_parts, value_cuts
from ocr_service.ocr.line_reader import greedy_path
from ocr_service.ocr.vi import LineText, OpenValue, ViEngine, _closed_for, _repair_for
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


def test_a_value_after_a_closed_label_is_read_with_its_list() -> None:
    """The parts of a labelled line (label_parts) and the closed lexicon each value part is
    read again from: the one of the label before it (gender, ethnic group, nationality, a
    date in words) where the ledger's lexicon has one; none for a free value."""
    book = book_lexicon("khai-sinh")
    parts = label_parts("Giới tính: Nam Dân tộc: Kinh Quốc tịch: Việt Nam")
    found = [_closed_for(book, parts, n) for n in range(len(parts))]
    assert found[0] is None  # the first part is a label
    closed = dict(label_lexicons("khai-sinh"))
    assert [lex.words if lex else None for lex in found[1:]] == [
        closed["gioi tinh"].words,
        closed["dan toc"].words,
        closed["quoc tich"].words,
    ]
    assert _closed_for(book, label_parts("Nơi sinh: Trạm y tế xã Vinh Tiền"), 1) is None
    assert _closed_for(None, parts, 1) is None  # outside a ledger: the script's syllables
    gender = found[1]
    assert gender is not None
    assert gender.spells("Nữ") and not gender.spells("Nũ")
    assert not gender.spells("")


def test_a_listed_reading_is_kept_only_where_it_is_the_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_read_value with stub readings: the list's reading replaces the usual one where it is
    wholly the list's words; else the usual reading stands."""
    engine = ViEngine(OcrSettings())
    closed = dict(label_lexicons("khai-sinh"))["gioi tinh"]
    crop = np.full((40, 120), 255, np.uint8)
    usual = LineText("Nũ", 0.7)
    monkeypatch.setattr(engine, "_read_cased", lambda crop, lexicon=None, first=None: usual)
    listed: list[LineText | None] = [LineText("Nữ", 0.3)]
    asked: list[Lexicon] = []

    def read_listed(crop: np.ndarray, closed: Lexicon) -> LineText | None:
        asked.append(closed)
        return listed[0]

    monkeypatch.setattr(engine, "_read_listed", read_listed)
    assert engine._read_value(crop, None, None) is usual and not asked  # no closed label
    assert engine._read_value(crop, None, closed).text == "Nữ" and asked
    listed[0] = None
    assert engine._read_value(crop, None, closed) is usual
    # A usual reading that is already one of the list's stands, the list not asked.
    asked.clear()
    usual = LineText("Nam", 0.6)
    assert engine._read_value(crop, None, closed) is usual and not asked
    # Greedy and beam decoding use no lexicon: the list is never asked.
    usual = LineText("Nũ", 0.7)
    for mode in ("greedy", "beam"):
        plain = ViEngine(OcrSettings(vi=ViSettings(decode=mode)))
        monkeypatch.setattr(plain, "_read_cased", lambda crop, lexicon=None, first=None: usual)
        monkeypatch.setattr(plain, "_read_listed", read_listed)
        assert plain._read_value(crop, None, closed) is usual and not asked


def test_a_place_after_its_label_is_repaired_by_the_places_vocabulary() -> None:
    """The parts of a labelled line and the repair each value part is read again toward: the
    places' (PLACE_REPAIR) after a place's label, none after another label or outside a
    ledger."""
    book = book_lexicon("khai-tu")
    parts = label_parts("Nơi cư trú cuối cùng: xã Đắk Lao, huyện Đắk Mit Nơi chết: Tại nhà")
    assert [_repair_for(book, parts, n) for n in range(len(parts))] == [
        None,  # the first part is a label
        PLACE_REPAIR,
        PLACE_REPAIR,
    ]
    issued = label_parts("Nơi cấp: Bộ Công ân")
    assert _repair_for(book, issued, 1) is PLACE_REPAIR
    assert _repair_for(book, label_parts("Họ, chữ đệm, tên: Vũ Hữu Nam"), 1) is None
    assert _repair_for(None, issued, 1) is None


def test_a_repaired_place_is_kept_only_where_the_crop_spells_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_read_value with stub readings: a place whose repair changes a word is read again
    toward the repaired wording, and that reading kept only where the recogniser spells it
    (the stub of _read_listed stands for the crop); a place the repair leaves as it is, or a
    decoding without a lexicon, asks nothing."""
    engine = ViEngine(OcrSettings())
    crop = np.full((40, 300), 255, np.uint8)
    usual = LineText("xã Đắk Lao, huyện Đắk Mit, tỉnh Đắk Nông", 0.7)
    monkeypatch.setattr(engine, "_read_cased", lambda crop, lexicon=None, first=None: usual)
    listed: list[LineText | None] = [LineText("xã Đắk Lao, huyện Đắk Mil, tỉnh Đắk Nông", 0.5)]
    asked: list[Lexicon] = []

    def read_listed(crop: np.ndarray, toward: Lexicon) -> LineText | None:
        asked.append(toward)
        return listed[0]

    monkeypatch.setattr(engine, "_read_listed", read_listed)
    assert engine._read_value(crop, None, None, None) is usual and not asked
    read = engine._read_value(crop, None, None, PLACE_REPAIR)
    assert read.text == "xã Đắk Lao, huyện Đắk Mil, tỉnh Đắk Nông"
    (toward,) = asked
    assert toward.spells("xã Đắk Lao huyện Đắk Mil tỉnh Đắk Nông")
    assert not toward.spells(usual.text) and toward.closed is not None
    listed[0] = None  # the crop does not spell it: the reading as written
    assert engine._read_value(crop, None, None, PLACE_REPAIR) is usual
    asked.clear()
    usual = LineText("Xóm 5, xã Đắk Lao, huyện Đắk Mil, tỉnh Đắk Nông", 0.9)
    assert engine._read_value(crop, None, None, PLACE_REPAIR) is usual and not asked
    usual = LineText("xã Đắk Lao, huyện Đắk Mit, tỉnh Đắk Nông", 0.7)
    for mode in ("greedy", "beam"):
        plain = ViEngine(OcrSettings(vi=ViSettings(decode=mode)))
        monkeypatch.setattr(plain, "_read_cased", lambda crop, lexicon=None, first=None: usual)
        monkeypatch.setattr(plain, "_read_listed", read_listed)
        assert plain._read_value(crop, None, None, PLACE_REPAIR) is usual and not asked


# Tuning hands only. Each reads one word of the date wrong with the ledger's open lexicon
# ('mưới', 'chứn', 'bày': plausible syllables, so its bonus cannot help) and right from the
# words of a date, read after 'ghi bằng chữ:'.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("font", "written"),
    [
        ("DancingScript-VF.ttf",
         "Ngày hai mươi lăm tháng mười hai năm hai nghìn không trăm mười chín"),
        ("Charmonman-Regular.ttf",
         "Ngày hai mươi lăm tháng mười hai năm hai nghìn không trăm mười chín"),
        ("SedgwickAve-Regular.ttf", "Ngày mồng bảy tháng ba năm hai nghìn không trăm hai mươi"),
    ],
)  # fmt: skip
def test_a_date_in_words_is_read_from_the_words_of_a_date(font: str, written: str) -> None:
    engine = ViEngine(OcrSettings())
    crop = labelled_line(font, "DejaVuSerif-subset.ttf", "ghi bằng chữ:", written, size=23)
    book = book_lexicon("khai-sinh")
    open_only = book.with_after(())
    value = engine._read_page_line(crop, book).text.split(":", 1)[1].strip()
    assert value == written
    assert engine._read_page_line(crop, open_only).text.split(":", 1)[1].strip() != written


LONG_SON = "Tại nhà, xã Long Sơn, huyện Đắk Mil, tỉnh Đắk Nông"


# Tuning hands only: a place's word misread as another syllable ('ân', 'Mit', 'đã'), which
# the ledger's open lexicon cannot refuse, read right toward the places' repaired wording.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("font", "label", "written"),
    [
        ("GrapeNuts-Regular.ttf", "nơi cấp:", "Công an tỉnh Thanh Hóa"),
        ("GrapeNuts-Regular.ttf", "Nơi chết:", LONG_SON),
        ("Fuggles-Regular.ttf", "Nơi chết:", "Bệnh viện đa khoa tỉnh Đắk Nông"),
    ],
)  # fmt: skip
def test_a_place_is_read_toward_the_units_it_names(font: str, label: str, written: str) -> None:
    engine = ViEngine(OcrSettings())
    crop = labelled_line(font, "DejaVuSerif-subset.ttf", label, written, size=23)
    book = book_lexicon("khai-tu")
    value = engine._read_page_line(crop, book).text.split(":", 1)[1].strip()
    assert value == written
    unrepaired = engine._read_page_line(crop, book.with_repairs(())).text
    assert unrepaired.split(":", 1)[1].strip() != written


@pytest.mark.slow
@pytest.mark.parametrize(
    ("label", "written"),
    [
        ("Nơi chết:", "Tại nhà, xã Long Sơn, huyện Đắk Mit, tỉnh Đắk Nông"),
        ("nơi cấp:", "Công ân tỉnh Hà Tĩnh"),
    ],
)
def test_a_clearly_printed_place_the_units_do_not_know_is_read_as_written(
    label: str, written: str
) -> None:
    """The crop decides, not the vocabulary: print the recogniser reads without doubt stays
    as the book has it, though the repair would change it ('Đắk Mit' is no district)."""
    engine = ViEngine(OcrSettings())
    crop = labelled_line("DejaVuSans-subset.ttf", "DejaVuSerif-subset.ttf", label, written, 23)
    value = engine._read_page_line(crop, book_lexicon("khai-tu")).text.split(":", 1)[1].strip()
    assert value == written


def test_a_place_wrapped_onto_the_next_line_is_repaired_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_repair_wrapped with stub readings: a place that ends a labelled line and goes on in
    the line below is repaired whole ('huyện' | 'Đắk Mit, …' → 'Đắk Mil': the district is
    only known with its unit word on the line above), and the line below read again toward
    its share of it; a line further down, a label's line or a line beside it is left alone."""
    engine = ViEngine(OcrSettings())
    crop = np.full((40, 300), 255, np.uint8)
    head = "Nơi cư trú cuối cùng:"
    read = [
        (f"{head} Xóm 5, xã Đắk Lao, huyện", 0.9, (100, 100, 900, 140)),
        ("Đắk Mit, tỉnh Đắk Nông", 0.8, (60, 170, 700, 210)),
        ("Đắk Mit, tỉnh Đắk Nông", 0.8, (60, 400, 700, 440)),  # too far down
    ]
    opens = {0: OpenValue(PLACE_REPAIR, head, "Xóm 5, xã Đắk Lao, huyện", crop)}
    asked: list[str] = []

    def read_listed(crop: np.ndarray, toward: Lexicon) -> LineText | None:
        (phrase,) = toward.phrases
        asked.append(phrase)
        return LineText("Đắk Mil, tỉnh Đắk Nông", 0.6) if "mil" in phrase else None

    monkeypatch.setattr(engine, "_read_listed", read_listed)
    crops = {n: crop for n in range(len(read))}
    engine._repair_wrapped(read, crops, opens)
    assert asked == ["đắk mil tỉnh đắk nông"]  # the head needs no repair
    assert [text for text, _, _ in read] == [
        f"{head} Xóm 5, xã Đắk Lao, huyện",
        "Đắk Mil, tỉnh Đắk Nông",
        "Đắk Mit, tỉnh Đắk Nông",
    ]
    assert read[1][1] == 0.6  # as sure as the reading kept
    # The line below is a label's line: nothing read again.
    asked.clear()
    labelled = [read[0], ("Nơi chết: Đắk Mit", 0.8, (60, 170, 700, 210))]
    engine._repair_wrapped(labelled, {0: crop, 1: crop}, opens)
    assert not asked and labelled[1][0] == "Nơi chết: Đắk Mit"
    # A line beside the labelled one (right of it), not below it: nothing read again.
    beside = [read[0], ("Đắk Mit, tỉnh Đắk Nông", 0.8, (950, 170, 1300, 210))]
    engine._repair_wrapped(beside, {0: crop, 1: crop}, opens)
    assert not asked


# Tuning hands only: a relationship misread ('Y' for 'Vợ', 'Con trái'), read right from the
# words of a kinship after 'Quan hệ với người chết:'.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("font", "written"),
    [
        ("Fuggles-Regular.ttf", "Vợ"),
        ("Fuggles-Regular.ttf", "Con trai"),
        ("GrapeNuts-Regular.ttf", "Con trai"),
    ],
)
def test_a_relationship_is_read_from_the_words_of_a_kinship(font: str, written: str) -> None:
    engine = ViEngine(OcrSettings())
    label = "Quan hệ với người chết:"
    crop = labelled_line(font, "DejaVuSerif-subset.ttf", label, written, size=23)
    book = book_lexicon("khai-tu")
    value = engine._read_page_line(crop, book).text.split(":", 1)[1].strip()
    assert value == written
    open_only = book.with_after([(k, lex) for k, lex in book.after if not k.startswith("quan")])
    assert engine._read_page_line(crop, open_only).text.split(":", 1)[1].strip() != written
