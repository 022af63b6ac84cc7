"""normalise_field over every column of every register: odd OCR input never breaks the contract."""

from __future__ import annotations

import pytest

from ocr_service.extract.normalise import ISSUES, Normalised, normalise_field
from ocr_service.extract.normalise.base import load_registers

ODD_INPUTS = (
    "",
    "   ",
    "-",
    ", , ,",
    "l",
    "O1/2O18",
    "ngày",
    "tháng năm năm",
    "Nguyễn Văn An",
    "☑ ☑",
    "[x]",
    "0" * 40,
    "Đ" * 300,
    "ngày 31 tháng 2 năm 2001",
    "\u0301\u0300",
    "Xã\tAn  Nhơn,\nhuyện Đạ Tẻh",
)


def _check(result: Normalised, raw: str) -> None:
    assert result.raw == raw
    assert 0.0 <= result.score <= 1.0
    assert result.value is None or isinstance(result.value, str)
    if result.ok:
        assert result.value
    assert all(issue in ISSUES for issue in result.issues)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.extra.items())


@pytest.mark.parametrize("register", list(load_registers()["register_types"]))
def test_every_field_survives_odd_input(register: str) -> None:
    fields = load_registers()["register_types"][register]["fields"]
    for code in fields:
        for raw in ODD_INPUTS:
            _check(normalise_field(register, code, raw), raw)


@pytest.mark.parametrize("register", list(load_registers()["register_types"]))
def test_blank_input_is_empty_unless_a_default_is_documented(register: str) -> None:
    fields = load_registers()["register_types"][register]["fields"]
    for code, spec in fields.items():
        result = normalise_field(register, code, "")
        if result.value is None:
            assert result.issues == ("empty",)
        else:  # loaiDangKy / *LoaiCuTru defaults of REGISTERS.md §6.8
            assert spec["type"] == "enum"
            assert result.issues == ("enum-default",)
