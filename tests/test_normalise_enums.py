"""Enumerations per register type: page wording / tick-boxes → label, label → Ministry code."""

from __future__ import annotations

import pytest

from ocr_service.extract.normalise import (
    document_type,
    enum_code,
    fold,
    normalise_enum,
    normalise_field,
    normalise_gender,
    residence_type,
)
from ocr_service.extract.normalise.base import load_registers


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("Nam", "Nam"),
        ("NAM", "Nam"),
        ("nam giới", "Nam"),
        ("Nữ", "Nữ"),
        ("NỮ", "Nữ"),
        ("nu", "Nữ"),
        ("Nữ giới", "Nữ"),
        ("Nũ", "Nữ"),  # tone misread
        ("2", "Nữ"),
        ("Chưa xác định được giới tính", "Không xác định"),
    ],
)
def test_gender(raw: str, label: str) -> None:
    result = normalise_gender(raw)
    assert result.value == label
    assert result.ok


def test_gender_blank_is_not_guessed() -> None:
    result = normalise_gender("")
    assert result.value is None
    assert result.issues == ("empty",)


@pytest.mark.parametrize(
    ("register", "code", "raw", "label", "ministry_code"),
    [
        ("khai-sinh", "loaiDangKy", "Đúng hạn", "Đăng kí đúng hạn", "1"),
        ("khai-sinh", "loaiDangKy", "Đăng ký lại", "Đăng kí lại", "2"),
        (
            "khai-sinh",
            "loaiDangKy",
            "Ghi vào sổ",
            "Ghi vào sổ việc khai sinh đã đăng ký ở CQ có thẩm quyền nước ngoài",
            "3",
        ),
        ("khai-sinh", "loaiDangKy", "QUÁ HẠN", "Đăng kí quá hạn", "4"),
        ("khai-sinh", "loaiDangKy", "☑ Đúng hạn ☐ Quá hạn ☐ Đăng ký lại", "Đăng kí đúng hạn", "1"),
        ("khai-sinh", "loaiDangKy", "[ ] Đúng hạn [x] Quá hạn", "Đăng kí quá hạn", "4"),
        ("khai-tu", "loaiDangKy", "dung han", "Đăng ký đúng hạn", "1"),
        ("khai-tu", "loaiDangKy", "Đăng kí lại", "Đăng ký lại", "2"),
        ("khai-tu", "loaiDangKy", "Quá hạn", "Đăng ký quá hạn", "4"),
        ("ket-hon", "loaiDangKy", "Đăng ký lần đầu", "Đăng ký lần đầu", "1"),
        ("ket-hon", "loaiDangKy", "Dang ky lai", "Đăng ký lại", "2"),
        ("ket-hon", "tinhTrangKetHon", "Đã ly hôn theo bản án số 12/2015", "Đã ly hôn", "1"),
        (
            "ket-hon",
            "tinhTrangKetHon",
            "Huỷ việc kết hôn trái pháp luật",
            "Đã hủy việc kết hôn",
            "2",
        ),
        ("nhan-cha-me-con", "loaiDangKy", "Đăng ký mới", "Đăng ký mới", "1"),
        ("nhan-cha-me-con", "loaiXacNhan", "Cha nhận con", "Cha nhận con", "1"),
        ("nhan-cha-me-con", "loaiXacNhan", "con nhan me", "Con nhận mẹ", "4"),
        ("xac-nhan-hon-nhan", "nxnGioiTinh", "Nam", "Nam", "1"),
        ("xac-nhan-hon-nhan", "nxnLoaiCuTru", "Thường trú", "Thường trú", "1"),
        ("khai-tu", "gbtLoai", "Giấy báo tử số 25 của Bệnh viện", "Giấy báo tử", "1"),
        ("khai-tu", "gbtLoai", "Biên bản xác nhận việc chết", "Biên bản xác nhận việc chết", "6"),
        ("khai-tu", "nktTinhTrangTuyenBoViecChet", "Huỷ tuyên bố", "Hủy tuyên bố", "2"),
        ("khai-sinh", "nksMatTich", "Tuyên bố mất tích", "Tuyên bố", "1"),
        ("khai-sinh", "nksLoaiKhaiSinh", "Trẻ bị bỏ rơi", "Trẻ bị bỏ rơi", "5"),
        ("khai-sinh", "meLoaiCuTru", "Tạm trú tại phường 3", "Tạm trú", "2"),
        ("khai-sinh", "nycLoaiGiayToTuyThan", "CMND số 250123456", "Giấy CMND", "1"),
        ("khai-sinh", "chaLoaiGiayToTuyThan", "Căn cước công dân", "Thẻ căn cước công dân", "4"),
        ("ket-hon", "voLoaiGiayToTuyThan", "Hộ chiếu", "Hộ chiếu", "2"),
        (
            "khai-tu",
            "nycLoaiGiayToTuyThan",
            "Giấy CM Công an nhân dân",
            "Giấy chứng minh công an nhân dân",
            "7",
        ),
        (
            "xac-nhan-hon-nhan",
            "nxnLoaiMucDichSuDung",
            "Để đăng ký kết hôn với người nước ngoài",
            "Để đăng ký kết hôn trong nước (với người nước ngoài)",
            "2",
        ),
        (
            "xac-nhan-hon-nhan",
            "nxnLoaiMucDichSuDung",
            "Để làm thủ tục vay vốn ngân hàng",
            "Mục đích khác",
            "5",
        ),
    ],
)
def test_enums_per_register(
    register: str, code: str, raw: str, label: str, ministry_code: str
) -> None:
    result = normalise_enum(register, code, raw)
    assert result.value == label
    assert result.ok
    assert result.extra["code"] == ministry_code
    assert enum_code(register, code, result.value) == ministry_code


@pytest.mark.parametrize(
    ("register", "default_code"),
    [("khai-sinh", "6"), ("khai-tu", "0"), ("ket-hon", "1"), ("nhan-cha-me-con", "0")],
)
def test_no_tick_gives_the_documented_default(register: str, default_code: str) -> None:
    result = normalise_enum(register, "loaiDangKy", "")
    assert result.issues == ("enum-default",)
    assert result.extra["code"] == default_code
    assert result.score == 0.5
    unticked = normalise_enum(register, "loaiDangKy", "☐ Đúng hạn ☐ Quá hạn")
    assert unticked.extra["code"] == default_code


def test_two_ticks_go_to_the_reviewer() -> None:
    result = normalise_enum("khai-sinh", "loaiDangKy", "☑ Đúng hạn ☑ Quá hạn")
    assert result.value is None
    assert result.issues == ("enum-multiple",)
    assert result.candidates == ("Đăng kí đúng hạn", "Đăng kí quá hạn")


def test_other_document_keeps_its_wording() -> None:
    result = document_type("Giấy phép lái xe số 123")
    assert result.value == "Giấy tờ khác"
    assert result.extra == {"code": "8", "giayToKhac": "Giấy phép lái xe số 123"}
    assert result.issues == ("enum-other",)


def test_residence_type_defaults_to_no_information() -> None:
    result = residence_type("thôn 3, xã Đạ Kho")
    assert result.value == "Không có thông tin"
    assert result.extra["code"] == "0"


def test_purpose_without_partner_is_ambiguous() -> None:
    result = normalise_enum("xac-nhan-hon-nhan", "nxnLoaiMucDichSuDung", "Để đăng ký kết hôn")
    assert result.value is None
    assert len(result.candidates) == 2


def test_unknown_label() -> None:
    result = normalise_enum("nhan-cha-me-con", "loaiXacNhan", "Ông nhận cháu")
    assert result.value is None
    assert not result.ok


@pytest.mark.parametrize(
    ("register", "code", "label", "expected"),
    [
        ("khai-sinh", "nksGioiTinh", "Nam", "1"),
        ("khai-sinh", "nksGioiTinh", "Nữ", "2"),
        ("khai-tu", "nktGioiTinh", "Không xác định", "3"),
        ("khai-sinh", "loaiDangKy", "Đúng hạn", "1"),
        ("khai-tu", "loaiDangKy", "Đúng hạn", "1"),
        ("khai-tu", "loaiDangKy", "Không có thông tin", "0"),
        ("ket-hon", "chongLoaiCuTru", "Tạm trú", "2"),
        ("khai-sinh", "meLoaiGiayToTuyThan", "Giấy tờ khác", "8"),
        ("khai-sinh", "nksGioiTinh", "1", "1"),
        ("khai-sinh", "nksGioiTinh", "???", None),
        ("khai-sinh", "nksDanToc", "Kinh", None),  # not an enum field
        ("khai-sinh", "nksGioiTinh", "", None),
    ],
)
def test_enum_code(register: str, code: str, label: str, expected: str | None) -> None:
    assert enum_code(register, code, label) == expected


def test_every_label_round_trips_to_its_code() -> None:
    for slug, register in load_registers()["register_types"].items():
        for code, field in register["fields"].items():
            for key, label in (field.get("enum") or {}).items():
                if label is None:
                    continue
                assert enum_code(slug, code, label) == key
                assert normalise_enum(slug, code, label).score == 1.0


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đúng  Hạn", "dung han"),
        ("Ngày, tháng, năm sinh", "ngay, thang, nam sinh"),
        ("ĐĂNG KÝ", "dang ky"),
        (" Quốc   tịch ", "quoc tich"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_field_dispatch_for_enum_and_text() -> None:
    assert normalise_field("khai-sinh", "nksGioiTinh", "nữ").value == "Nữ"
    assert normalise_field("khai-sinh", "ghiChu", "  Cấp lại  bản chính  ").value == (
        "Cấp lại bản chính"
    )
    assert normalise_field("khai-sinh", "ghiChu", ", , ,").value is None
    with pytest.raises(KeyError):
        normalise_field("khai-sinh", "khongCo", "x")


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        # The gender cell spilled into the date line that follows it on the page.
        ("Nữ Ngày mười sáu tháng năm năm hai nghìn không trăm mười bảy", "Nữ"),
        ("Nam Ngày mười sáu tháng năm năm hai nghìn không trăm mười bảy", "Nam"),
        ("nữ, sinh năm 2017", "Nữ"),
    ],
)
def test_gender_is_anchored_on_the_first_word(raw: str, label: str) -> None:
    result = normalise_field("khai-sinh", "nksGioiTinh", raw)
    assert result.value == label
    assert result.ok


@pytest.mark.parametrize("raw", ["mẹ", "mẹ đẻ", "Mẹ Đẻ", "ông  nội"])
def test_free_text_keeps_the_books_case(raw: str) -> None:
    result = normalise_field("khai-sinh", "nycQuanHe", raw)
    assert result.value == " ".join(raw.split())
    assert result.issues == ()


@pytest.mark.parametrize(
    ("raw", "label"),
    [("Nom", "Nam"), ("Nom Ngày mười sáu tháng năm", "Nam")],
)
def test_gender_one_letter_misread(raw: str, label: str) -> None:
    result = normalise_field("khai-sinh", "nksGioiTinh", raw)
    assert result.value == label
    assert "enum-fuzzy" in result.issues
    assert result.score < 0.85


def test_gender_equally_far_from_both_is_not_guessed() -> None:
    result = normalise_field("khai-sinh", "nksGioiTinh", "Na")  # one edit from 'Nam' and 'Nữ'
    assert result.value is None
    assert not result.ok


def test_one_word_of_a_long_label_one_letter_off() -> None:
    result = normalise_field("khai-sinh", "meLoaiGiayToTuyThan", "Cơn cước công dân")
    assert result.value == "Thẻ căn cước công dân"
    assert result.issues == ("enum-fuzzy",)
    assert result.score < 0.85
