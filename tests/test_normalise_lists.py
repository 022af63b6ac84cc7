"""Ethnicity and nationality: registers.json names, variants, folded and fuzzy matching."""

from __future__ import annotations

import pytest

from ocr_service.extract.normalise import (
    normalise_ethnicity,
    normalise_field,
    normalise_nationality,
)
from ocr_service.extract.normalise.base import load_registers
from ocr_service.extract.normalise.ethnicity import ethnic_names


@pytest.mark.parametrize(
    ("raw", "name", "code"),
    [
        ("Kinh", "Kinh", "01"),
        ("KINH", "Kinh", "01"),
        ("dân tộc Kinh", "Kinh", "01"),
        ("DT: Kinh", "Kinh", "01"),
        ("Kinh (Việt)", "Kinh", "01"),
        ("kinh", "Kinh", "01"),
        ("Tầy", "Tày", "02"),
        ("Tay", "Tày", "02"),
        ("Khmer", "Khơ-me", "05"),
        ("Khơ Me", "Khơ-me", "05"),
        ("Muong", "Mường", "06"),
        ("H'Mông", "HMông", "08"),
        ("Hmông", "HMông", "08"),
        ("Mông", "HMông", "08"),
        ("H Mong", "HMông", "08"),
        ("Gia rai", "Gia-rai", "10"),
        ("Ê Đê", "Ê-đê", "12"),
        ("Ede", "Ê-đê", "12"),
        ("Ba Na", "Ba-na", "13"),
        ("BANA", "Ba-na", "13"),
        ("K'Ho", "Cơ-ho", "16"),
        ("Chàm", "Chăm", "17"),
        ("San diu", "Sán Dìu", "18"),
        ("M'Nông", "Mnông", "20"),
        ("Raglay", "Ra-glai", "21"),
        ("Stiêng", "Xtiêng", "22"),
        ("Vân Kiều", "Bru-Vân Kiều", "23"),
        ("Rơ Măm", "Rơ-măm", "54"),
    ],
)
def test_ethnicity_names_and_variants(raw: str, name: str, code: str) -> None:
    result = normalise_ethnicity(raw)
    assert result.value == name
    assert result.extra["code"] == code
    assert result.ok
    assert result.score >= 0.95


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Kihn", "Kinh"),  # letters swapped by OCR
        ("Klnh", "Kinh"),  # i read as l
        ("Jrai", "Gia-rai"),
        ("Nùnq", "Nùng"),  # g read as q
    ],
)
def test_ethnicity_near_misses_are_fuzzy(raw: str, name: str) -> None:
    result = normalise_ethnicity(raw)
    assert result.value == name
    assert result.candidates[0] == name
    assert result.score < 0.95
    assert result.issues == ("ethnicity-fuzzy",)


@pytest.mark.parametrize(
    ("raw", "candidates"),
    [
        ("Mán", ("Dao", "Sán Dìu")),
        ("Miên", ("Khơ-me", "Dao")),
        ("Mọi", ()),
    ],
)
def test_ambiguous_aliases_go_to_the_reviewer(raw: str, candidates: tuple[str, ...]) -> None:
    result = normalise_ethnicity(raw)
    assert result.value is None
    assert not result.ok
    assert result.issues == ("ethnicity-ambiguous",)
    assert result.candidates == candidates


def test_tho_is_kept_with_a_warning() -> None:
    result = normalise_ethnicity("Thổ")
    assert result.value == "Thổ"
    assert result.ok
    assert result.issues == ("ethnicity-ambiguous",)
    assert result.extra["code"] == "24"


@pytest.mark.parametrize("raw", ["Người nước ngoài", "Khác", "không xác định"])
def test_special_values(raw: str) -> None:
    result = normalise_ethnicity(raw)
    assert result.ok
    assert result.issues == ("ethnicity-special",)


def test_unknown_ethnicity() -> None:
    result = normalise_ethnicity("Quốc tịch Việt Nam")
    assert result.value is None
    assert "ethnicity-unknown" in result.issues


def test_every_group_name_maps_to_itself() -> None:
    groups = load_registers()["ethnic_groups"]
    assert len(ethnic_names()) == 54
    for group in groups:
        if group["name"] == "Thổ":  # ambiguous alias as well: see test_tho_is_kept_with_a_warning
            continue
        result = normalise_ethnicity(group["name"])
        assert (result.value, result.extra["code"], result.score) == (
            group["name"],
            group["code"],
            1.0,
        )


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Việt Nam", "Việt Nam"),
        ("Viet Nam", "Việt Nam"),
        ("VIỆT NAM", "Việt Nam"),
        ("Việt nam", "Việt Nam"),
        ("VN", "Việt Nam"),
        ("Quốc tịch: Việt Nam", "Việt Nam"),
        ("Viêt Nam", "Việt Nam"),
        ("Nhật Bản", "Nhật Bản"),
        ("Mỹ", "Hoa Kỳ"),
        ("Han Quoc", "Hàn Quốc"),
        ("Trung Quốc", "Trung Quốc"),
        ("Đài Loan", "Đài Loan (Trung Quốc)"),
        ("Lao", "Lào"),
        ("Cam-pu-chia", "Campuchia"),
        ("Liên bang Nga", "Nga"),
        ("Không quốc tịch", "Không quốc tịch"),
    ],
)
def test_nationality(raw: str, name: str) -> None:
    result = normalise_nationality(raw)
    assert result.value == name
    assert result.ok


def test_nationality_fuzzy_and_unknown() -> None:
    fuzzy = normalise_nationality("Vit Nam")
    assert fuzzy.value == "Việt Nam"
    assert fuzzy.issues == ("nationality-fuzzy",)
    assert fuzzy.score < 0.9
    unknown = normalise_nationality("Atlantis")
    assert unknown.value is None
    assert unknown.issues == ("nationality-unknown",)


def test_list_fields_dispatch_by_list_name() -> None:
    assert normalise_field("khai-sinh", "meDanToc", "dân tộc Tày").value == "Tày"
    assert normalise_field("khai-sinh", "chaQuocTich", "Viet Nam").value == "Việt Nam"
    assert normalise_field("ket-hon", "voQuocTich", "Trung Quoc").value == "Trung Quốc"
    assert normalise_field("khai-tu", "nktDanToc", "Ê Đê").value == "Ê-đê"
