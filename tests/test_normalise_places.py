"""Places: text kept as written, province/district/commune derived via vietnamadminunits."""

from __future__ import annotations

import pytest

from ocr_service.extract.normalise import normalise_field, normalise_place


@pytest.mark.parametrize(
    ("raw", "value", "province"),
    [
        (
            "Thôn 5, xã Lộc Thành, huyện Bảo Lâm, tỉnh Lâm Đồng",
            "Thôn 5, xã Lộc Thành, huyện Bảo Lâm, tỉnh Lâm Đồng",
            "Tỉnh Lâm Đồng",
        ),
        (
            "UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng",
            "UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng",
            "Tỉnh Lâm Đồng",
        ),
        (
            "xã Yên Bình , huyện Ý Yên ,tỉnh Nam Định.",
            "xã Yên Bình, huyện Ý Yên, tỉnh Nam Định",
            "Tỉnh Nam Định",
        ),
        ("Công an tỉnh Nghệ An", "Công an tỉnh Nghệ An", "Tỉnh Nghệ An"),
        (
            "Số 12 đường Trần Phú, phường 5, thành phố Đà Lạt, tỉnh Lâm Đồng",
            "Số 12 đường Trần Phú, phường 5, thành phố Đà Lạt, tỉnh Lâm Đồng",
            "Tỉnh Lâm Đồng",
        ),
        (
            "Thôn Phú Lộc, xã Hòa Phú, huyện Hòa Vang, TP Đà Nẵng",
            "Thôn Phú Lộc, xã Hòa Phú, huyện Hòa Vang, TP Đà Nẵng",
            "Thành phố Đà Nẵng",
        ),
    ],
)
def test_explicit_province(raw: str, value: str, province: str) -> None:
    result = normalise_place(raw)
    assert result.value == value
    assert result.extra["province"] == province
    assert result.ok
    assert result.score == 1.0
    assert result.issues == ()


def test_district_and_commune_when_named() -> None:
    result = normalise_place("Thôn 5, xã Lộc Thành, huyện Bảo Lâm, tỉnh Lâm Đồng")
    assert result.extra["district"] == "Huyện Bảo Lâm"
    assert result.extra["ward"] == "Xã Lộc Thành"
    assert result.extra["province_code"] == "68"


def test_merged_district_is_not_presented_as_written() -> None:
    # Đạ Tẻh was merged into Đạ Huoai; the book's name stays in value, the later unit apart.
    result = normalise_place("UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng")
    assert "district" not in result.extra
    assert result.extra["district_current"] == "Huyện Đạ Huoai"


@pytest.mark.parametrize(
    ("raw", "province"),
    [
        ("Bệnh viện Phụ sản Hải Phòng", "Thành phố Hải Phòng"),
        ("Bệnh viện Đa khoa Lâm Đồng", "Tỉnh Lâm Đồng"),
        ("P.2, TP. Bảo Lộc, Lâm Đồng", "Tỉnh Lâm Đồng"),
        ("Nhà hộ sinh khu vực Bình Thạnh", "Thành phố Hồ Chí Minh"),
    ],
)
def test_inferred_province_scores_lower(raw: str, province: str) -> None:
    result = normalise_place(raw)
    assert result.value == raw
    assert result.extra["province"] == province
    assert result.issues == ("province-inferred",)
    assert result.score == 0.8


@pytest.mark.parametrize(
    "raw",
    [
        "Trạm y tế xã Hòa Bình",  # a commune named like the province Hòa Bình
        "xã Đông Hưng",  # a commune named like the district Đông Hưng
        "thôn Đông",
        "Cục Cảnh sát ĐKQL cư trú và DLQG về dân cư",
    ],
)
def test_no_unit_found(raw: str) -> None:
    result = normalise_place(raw)
    assert result.value == raw
    assert result.ok
    assert "province" not in result.extra
    assert result.issues == ("place-unit-unknown",)
    assert result.score == 0.5


@pytest.mark.parametrize(
    ("raw", "province"),
    [
        ("Xã Phú Lương, huyện Thanh Oai, tỉnh Hà Tây", "Tỉnh Hà Tây"),
        ("xã Nghi Phong, huyện Nghi Lộc, tỉnh Nghệ Tĩnh", "Tỉnh Nghệ Tĩnh"),
        ("Phường Phú Hội, thành phố Huế, tỉnh Thừa Thiên Huế", "Tỉnh Thừa Thiên Huế"),
    ],
)
def test_historical_provinces_kept(raw: str, province: str) -> None:
    result = normalise_place(raw)
    assert result.extra["province"] == province
    assert "province-historical" in result.issues
    assert result.extra["province_current"]


@pytest.mark.parametrize(
    ("raw", "value", "kind"),
    [
        (
            "Thường trú tại: thôn 2, xã Tân Hà, huyện Lâm Hà, tỉnh Lâm Đồng",
            "thôn 2, xã Tân Hà, huyện Lâm Hà, tỉnh Lâm Đồng",
            "Thường trú",
        ),
        (
            "Tạm trú: 12 Lê Lợi, phường 1, Tp Tuy Hòa, Phú Yên",
            "12 Lê Lợi, phường 1, Tp Tuy Hòa, Phú Yên",
            "Tạm trú",
        ),
        (
            "HKTT: xã Lộc An, huyện Bảo Lâm, tỉnh Lâm Đồng",
            "xã Lộc An, huyện Bảo Lâm, tỉnh Lâm Đồng",
            "Thường trú",
        ),
    ],
)
def test_residence_wording(raw: str, value: str, kind: str) -> None:
    result = normalise_place(raw)
    assert result.value == value
    assert result.extra["loaiCuTru"] == kind
    assert result.raw == raw


def test_place_abroad() -> None:
    result = normalise_place("Tokyo, Nhật Bản")
    assert result.value == "Tokyo, Nhật Bản"
    assert result.extra == {"country": "Nhật Bản"}


def test_modern_province_is_a_separate_key() -> None:
    result = normalise_place("xã Yên Bình, huyện Ý Yên, tỉnh Nam Định")
    assert result.extra["province"] == "Tỉnh Nam Định"
    assert result.extra["province_2025"] == "Tỉnh Ninh Bình"


def test_dvhc_field_is_the_province() -> None:
    result = normalise_field("khai-sinh", "nksNoiSinhDVHC", "Bệnh viện Phụ sản Hải Phòng")
    assert result.value == "Thành phố Hải Phòng"
    missing = normalise_field("khai-sinh", "nksNoiSinhDVHC", "Trạm y tế xã Hòa Bình")
    assert missing.value is None
    assert not missing.ok


def test_place_fields_dispatch() -> None:
    result = normalise_field("khai-tu", "nktNoiChet", "  Tại nhà,  thôn 3 ,xã Đạ Kho ")
    assert result.value == "Tại nhà, thôn 3, xã Đạ Kho"
    assert normalise_field("khai-sinh", "noiDangKy", "").issues == ("empty",)
