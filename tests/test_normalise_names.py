"""Personal names: case, spacing, diacritics kept, old/new tone placement compared equal."""

from __future__ import annotations

import unicodedata

import pytest

from ocr_service.extract.normalise import names_equal, normalise_field, normalise_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NGUYỄN THỊ THU HƯƠNG", "Nguyễn Thị Thu Hương"),
        ("ĐINH THỊ TUYẾT MAI", "Đinh Thị Tuyết Mai"),
        ("nguyễn  văn   an", "Nguyễn Văn An"),
        ("  Trần Thị Hoà  ", "Trần Thị Hoà"),  # new tone placement kept as written
        ("Lê Thị Thủy", "Lê Thị Thủy"),  # old tone placement kept as written
        ("LÊ THỊ THUỶ", "Lê Thị Thuỷ"),
        ("Fukunda Yaruo", "Fukunda Yaruo"),
        ("Ksor H'Nhi", "Ksor H'Nhi"),
        ("Phạm Thị Thuý (tức Tư)", "Phạm Thị Thuý (tức Tư)"),
        ("PHẠM VĂN BA TỨC BẢY", "Phạm Văn Ba tức Bảy"),
        ("Nguyễn Văn An,", "Nguyễn Văn An"),
        ("hồ  thị  ngọc  ánh", "Hồ Thị Ngọc Ánh"),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    result = normalise_name(raw)
    assert result.value == expected
    assert result.ok
    assert result.raw == raw


def test_decomposed_input_becomes_nfc() -> None:
    raw = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    result = normalise_name(raw)
    assert result.value == "Nguyễn Thị Lan"
    assert unicodedata.is_normalized("NFC", result.value)


def test_upper_case_project_switch() -> None:
    assert normalise_name("Đinh thị tuyết mai", upper=True).value == "ĐINH THỊ TUYẾT MAI"


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("Nguy3n Văn An", "name-digits"),
        ("Trần Thị @Lan", "name-chars"),
    ],
)
def test_damaged_names_are_not_ok(raw: str, issue: str) -> None:
    result = normalise_name(raw)
    assert not result.ok
    assert issue in result.issues
    assert result.score < 0.5


def test_single_word_is_a_warning() -> None:
    result = normalise_name("Lê")
    assert result.ok
    assert result.issues == ("name-single-word",)
    assert result.score < 1.0


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("Trần Thị Hoà", "TRẦN THỊ HÒA", True),
        ("Thuý", "Thúy", True),
        ("Nguyễn Thị Thuỷ", "nguyễn thị thủy", True),
        ("Hoàng Văn Khoẻ", "Hoàng Văn Khỏe", True),
        ("Lê Quý Đôn", "Lê Qúy Đôn", True),
        ("Trần  Văn   Hoá", "Trần Văn Hóa", True),
        ("Hoa", "Hòa", False),
        ("Thu", "Thư", False),
        ("Nguyễn Văn Tuấn", "Nguyễn Văn Tuân", False),
        ("Lê Thị Lan", "Lê Thị Lan Anh", False),
    ],
)
def test_names_equal(a: str, b: str, equal: bool) -> None:
    assert names_equal(a, b) is equal


def test_name_fields_dispatch() -> None:
    assert normalise_field("khai-sinh", "nksHoTen", "VŨ MINH KHOA").value == "Vũ Minh Khoa"
    assert normalise_field("ket-hon", "voHoTen", "lò thị mỷ").value == "Lò Thị Mỷ"
