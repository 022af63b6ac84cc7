"""Identity numbers, register numbers (so, quyenSo, trangSo) and clock times."""

from __future__ import annotations

import pytest

from ocr_service.extract.normalise import (
    normalise_field,
    normalise_id_number,
    normalise_number,
    normalise_quyen_so,
    normalise_so,
    normalise_time,
)


@pytest.mark.parametrize(
    ("raw", "kind", "value", "detected"),
    [
        ("025 123 456", None, "025123456", "cmnd"),
        ("250.123.456", "cmnd", "250123456", "cmnd"),
        ("CMND số: 25O123456", None, "250123456", "cmnd"),
        ("068 187 001 234", None, "068187001234", "cccd"),
        ("068187001234", "cccd", "068187001234", "cccd"),
        ("001-303-012345", "dinh-danh", "001303012345", "dinh-danh"),
        ("Số định danh cá nhân: 079 205 000 111", "dinh-danh", "079205000111", "dinh-danh"),
        ("038 086 O12 345", "cmnd", "038086012345", "cmnd"),
        ("C1234567", None, "C1234567", "ho-chieu"),
        ("b 1234567", None, "B1234567", "ho-chieu"),
    ],
)
def test_valid_id_numbers(raw: str, kind: str | None, value: str, detected: str) -> None:
    result = normalise_id_number(raw, kind)
    assert result.value == value
    assert result.ok
    assert result.extra["kind"] == detected


def test_leading_zero_kept_and_ocr_flagged() -> None:
    result = normalise_id_number("O25123456")
    assert result.value == "025123456"
    assert result.issues == ("ocr-digit-fixed",)
    assert result.score < 1.0


def test_twelve_digits_encode_sex_and_birth_year() -> None:
    assert normalise_id_number("068187001234").extra == {
        "kind": "cccd",
        "province_code": "68",
        "gioiTinh": "Nữ",
        "namSinh": "1987",
    }
    assert normalise_id_number("001203000111").extra["namSinh"] == "2003"
    assert normalise_id_number("001203000111").extra["gioiTinh"] == "Nam"


@pytest.mark.parametrize(
    ("raw", "kind", "issue"),
    [
        ("12345678", "cmnd", "id-length"),
        ("0681870012345", "cccd", "id-length"),
        ("250123456", "cccd", "id-length"),
        ("25012A456", None, "id-chars"),
    ],
)
def test_invalid_id_numbers(raw: str, kind: str | None, issue: str) -> None:
    result = normalise_id_number(raw, kind)
    assert not result.ok
    assert issue in result.issues


def test_unknown_province_code_is_a_warning() -> None:
    result = normalise_id_number("998187001234", "cccd")
    assert result.ok
    assert result.issues == ("id-province-code",)
    assert result.score <= 0.6


@pytest.mark.parametrize(
    ("raw", "hint", "value", "issues"),
    [
        ("01/2018", None, "01/2018", ()),
        ("1/2018", None, "01/2018", ()),
        ("01 / 2018", None, "01/2018", ()),
        ("Số 01/2018", None, "01/2018", ()),
        ("Số: 125/2019", 2019, "125/2019", ()),
        ("Số: O1/2O18", None, "01/2018", ("ocr-digit-fixed",)),
        ("01", 2018, "01/2018", ("so-year-derived",)),
        ("7", 2009, "07/2009", ("so-year-derived",)),
        ("01/", 2019, "01/2019", ("so-year-derived",)),
        ("5/18", 2018, "05/2018", ("so-year-2digit",)),
        ("125/2019", 2018, "125/2019", ("so-year-mismatch",)),
        ("Số 15/2016/TLKS", None, "15/2016", ("so-extra-text",)),
    ],
)
def test_so(raw: str, hint: int | None, value: str, issues: tuple[str, ...]) -> None:
    result = normalise_so(raw, hint)
    assert result.value == value
    assert result.ok
    assert result.issues == issues


@pytest.mark.parametrize(
    ("raw", "issue"),
    [("01", "so-year-missing"), ("5/18", "year-2digit"), ("không số", "so-invalid")],
)
def test_so_not_ok(raw: str, issue: str) -> None:
    result = normalise_so(raw)
    assert not result.ok
    assert issue in result.issues


@pytest.mark.parametrize(
    ("raw", "hint", "value", "issues"),
    [
        ("01/2015", None, "01/2015", ()),
        ("Quyển số: 2/2010", None, "02/2010", ()),
        ("01-TP/HT-2015-CMC", None, "01/2015", ("quyenso-cover-style",)),
        ("02-TP/HT-2016-KS", 2016, "02/2016", ("quyenso-cover-style",)),
        ("1", 2015, "01/2015", ("quyenso-year-derived",)),
        ("01/2015", 2016, "01/2015", ("quyenso-year-mismatch",)),
    ],
)
def test_quyen_so(raw: str, hint: int | None, value: str, issues: tuple[str, ...]) -> None:
    result = normalise_quyen_so(raw, hint)
    assert result.value == value
    assert result.ok
    assert result.issues == issues


def test_cover_style_keeps_the_suffix() -> None:
    assert normalise_quyen_so("01-TP/HT-2015-CMC").extra == {"suffix": "CMC"}


@pytest.mark.parametrize(
    ("raw", "value"),
    [("55", "55"), ("055", "55"), ("Trang 12", "12"), ("Trang số: 7", "7"), ("l2", "12")],
)
def test_trang_so(raw: str, value: str) -> None:
    assert normalise_number(raw).value == value
    assert normalise_field("khai-sinh", "trangSo", raw).value == value


def test_trang_so_invalid() -> None:
    result = normalise_number("mười hai")
    assert result.value is None
    assert result.issues == ("number-invalid",)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("06:38", "06:38"),
        ("6 giờ 38 phút", "06:38"),
        ("06h38", "06:38"),
        ("22g15", "22:15"),
        ("18 giờ", "18:00"),
        ("3 giờ chiều", "15:00"),
        ("lúc 10 giờ 5 phút tối", "22:05"),
        ("O6:38", "06:38"),
        ("11 giờ.41 phút", "11:41"),  # a leader dot left between the hour and the minutes
    ],
)
def test_time_of_death(raw: str, value: str) -> None:
    result = normalise_time(raw)
    assert result.value == value
    assert result.ok


def test_a_leader_dot_in_the_time_of_death_keeps_its_minutes() -> None:
    from ocr_service.extract.layouts.composite import split_death_time

    codes = ("nktGioPhutChet", "nktNgayChet")
    split = split_death_time(codes, "11 giờ.41 phút ngày: 20/12/2015")
    assert split == {"nktGioPhutChet": "11 giờ.41 phút", "nktNgayChet": "ngày: 20/12/2015"}


def test_time_invalid() -> None:
    assert normalise_time("25:00").issues == ("time-invalid",)


def test_code_fields_dispatch_with_year_hint() -> None:
    so = normalise_field("khai-tu", "so", "12", year_hint=2008)
    assert so.value == "12/2008"
    assert so.issues == ("so-year-derived",)
    quyen = normalise_field("ket-hon", "quyenSo", "01-TP/HT-2015-KH")
    assert quyen.value == "01/2015"
    gbt = normalise_field("khai-tu", "gbtSo", " 15 / GBT ")
    assert gbt.value == "15/GBT"
    ident = normalise_field("khai-sinh", "nksSoDinhDanh", "068 187 001 234")
    assert ident.extra["kind"] == "dinh-danh"
