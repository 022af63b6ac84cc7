"""Places: text kept as written, province/district/commune derived via vietnamadminunits."""

from __future__ import annotations

import pytest

from ocr_service.extract.normalise import normalise_field, normalise_place
from ocr_service.extract.normalise.places import clean_place, repair_place


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


# OCR readings of synthetic book pages (bench_fields, typed and handwritten styles) that
# damaged unit words, institution words or the names of real units.
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (
            "xã Vinh Tiền, huyện Tân Sơn, tỉnh Phủ Thọ",
            "xã Vinh Tiền, huyện Tân Sơn, tỉnh Phú Thọ",
        ),
        (
            "phường Thanh Miếu, thành phổ Việt Trì, tỉnh Phú Thọ",
            "phường Thanh Miếu, thành phố Việt Trì, tỉnh Phú Thọ",
        ),
        (
            "Trạm y tể xã Vinh Tiền, huyện Tân Sơn, tỉnh Phú Thọ",
            "Trạm y tế xã Vinh Tiền, huyện Tân Sơn, tỉnh Phú Thọ",
        ),
        (
            "xã Vinh Tiền, huyện Tân Sơn, tỉình Phú Thọ",
            "xã Vinh Tiền, huyện Tân Sơn, tỉnh Phú Thọ",
        ),
        (
            "Xôm 4, xã Tam Sơn, huyện Cẩm Khê, tỉnh Phủ Thọn",
            "Xóm 4, xã Tam Sơn, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        ("Bệnh viện đa khoa tình Phú Thọ", "Bệnh viện đa khoa tỉnh Phú Thọ"),
        ("Bênh viên đa khoa thỉnh Thái Nguyễn", "Bệnh viện đa khoa tỉnh Thái Nguyên"),
        (
            "xã Hương Lung, huyện Cầm Khê, tỉnh Phú Thọ",
            "xã Hương Lung, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        (
            "Xôm 4, xã Hùng Việt, huyện Cẩm Khê, đình Phú Thọ",
            "Xóm 4, xã Hùng Việt, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        ("Công an Lình Nghê An", "Công an tỉnh Nghệ An"),
        (
            "xã Nhật Tiến, huyện Cẩm Khê, tình, Phú Thọ",
            "xã Nhật Tiến, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        (
            "Tram y tế xã Hương Lụng, huyện Cầm Khê, tình Phú Thọn",
            "Trạm y tế xã Hương Lung, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        ("huyện ThanhThủy, tỉnhThái Nguyên", "huyện Thanh Thủy, tỉnh Thái Nguyên"),
        (
            "xã Đắk Lao, huyệnĐắk MiL, tỉnh Đắk Nông",
            "xã Đắk Lao, huyện Đắk Mil, tỉnh Đắk Nông",
        ),
        (
            "xã Tạ Xá, huyện Cẩm Khêatỉnh Phú Thọ",
            "xã Tạ Xá, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        (
            "xã Tạ Xá, huyền Cẩm Khê, anh Phú Thọ",
            "xã Tạ Xá, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        (
            "Xôm 2, xã Hương Lụng, huyện Cẩm Khê, đỉnh Phúc ahọ",
            "Xóm 2, xã Hương Lung, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        # A misread unit word takes the address's lower case ('N' for 'h' says nothing).
        (
            "Xôm 4, xã Tam Sơn, Nuyện Cầm Khê, Đỉnh Phú Thọ",
            "Xóm 4, xã Tam Sơn, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        # Institution words run together or one letter off.
        (
            "Tromy tế xã Hong Lung, huyện Cầm Khê, ỉnh Phú Thọ",
            "Trạm y tế xã Hương Lung, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        (
            "Trạmy tể xã Hưong Lụng, huyện Cầm Khê, Đỉnh Phú Thọ",
            "Trạm y tế xã Hương Lung, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        (
            "Trạm yiế xõ Hương Lưng, huyện Cầm Khê, tỉnh Phú Thọ",
            "Trạm y tế xã Hương Lung, huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
        (
            "Công an tiình Hà Tình",
            "Công an tỉnh Hà Tĩnh",
        ),
        # A stray comma after the unit word; a comma lost between two units.
        ("Bệnh viện đa khoa tiình, Phú Thọ", "Bệnh viện đa khoa tỉnh Phú Thọ"),
        (
            "Trạy tế xã Hong Lung Huyện Cầm Khê, tinh Phủ Thọ",
            "Trạm y tế xã Hương Lung, Huyện Cẩm Khê, tỉnh Phú Thọ",
        ),
    ],
)
def test_ocr_misreadings_are_suggested_from_known_words(raw: str, value: str) -> None:
    result = normalise_place(raw)
    assert result.value == clean_place(raw)  # the book's text is never overwritten
    assert result.candidates == (value,)  # the repaired reading is a suggestion
    assert result.raw == raw
    assert "place-corrected" in result.issues
    clean = normalise_place(value)
    assert clean.issues == ()
    assert result.score < clean.score  # the clerk is asked to check the repaired value
    assert result.extra["province"] == clean.extra["province"]


def test_corrected_place_gives_the_province_of_a_dvhc_field() -> None:
    result = normalise_field("khai-sinh", "nksNoiSinhDVHC", "Bệnh viện đa khoa tình Phú Thọ")
    assert result.value == "Tỉnh Phú Thọ"
    assert "place-corrected" in result.issues


@pytest.mark.parametrize(
    "raw",
    [
        "Ấp 3, xã Tân Hòa, huyện Buôn Đôn, tỉnh Đắk Lắk",  # 'Ấp' is not a misread 'xã'
        "Thôn Phú Lộc, xã Hòa Phú, huyện Hòa Vang, TP Đà Nẵng",  # 'TP' kept as written
        "Nhà ông Linh, xã Hương Lung",  # no district: a commune name is never guessed
        "Số 12 đường Trần Phú, phường 5, thành phố Đà Lạt, tỉnh Lâm Đồng",
        "xã Tiên Lương, huyện Cẩm Khê, tỉnh Phú Thọ",
        "Tokyo, Nhật Bản",
    ],
)
def test_places_as_written_are_not_corrected(raw: str) -> None:
    result = normalise_place(raw)
    assert result.value == raw
    assert "place-corrected" not in result.issues


def test_unknown_unit_name_is_not_forced_onto_a_distant_one() -> None:
    # 'Xuân Trường' is no district of Phú Thọ, nor one edit from one: kept as read.
    result = normalise_place("xã Xuân Viên, huyện Xuân Trường, tỉnh Phú Thọ")
    assert result.value == "xã Xuân Viên, huyện Xuân Trường, tỉnh Phú Thọ"
    assert "place-corrected" not in result.issues


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Cục Cảnh sớt QHC về TTXH", "Cục Cảnh sát QLHC về TTXH"),
        ("Cục Cảnh sát QUHC về TTXH", "Cục Cảnh sát QLHC về TTXH"),
        ("Cục CSQLHC về TTXH", "Cục CS QLHC về TTXH"),
        ("Cục CS QLHC vỀ TTXH", "Cục CS QLHC về TTXH"),
    ],
)
def test_misread_issuing_authority_is_suggested(raw: str, value: str) -> None:
    result = normalise_field("khai-sinh", "nycNoiCapGiayToTuyThan", raw)
    assert result.value == raw
    assert result.candidates == (value,)
    assert result.raw == raw
    assert "place-corrected" in result.issues


@pytest.mark.parametrize("raw", ["Bộ Công An", "Cục CS QLHC VỀ TTXH", "Cục Thuế tỉnh Nghệ An"])
def test_authority_in_the_books_own_case_is_kept(raw: str) -> None:
    result = normalise_field("khai-sinh", "nycNoiCapGiayToTuyThan", raw)
    assert result.value == raw
    assert "place-corrected" not in result.issues


@pytest.mark.parametrize(
    "raw",
    [
        "Trạm Y tế xã Tân Lập, huyện Đan Phượng, thành phố Hà Nội",  # the book's 'Y'
        "TRẠM Y TẾ xã Tân Lập, huyện Đan Phượng, thành phố Hà Nội",
        "số 24 phố Hàng Bạc, phường Hàng Đào, quận Hoàn Kiếm, thành phố Hà Nội",
        "Số 24 Phố Huế, quận Hai Bà Trưng, Hà Nội",
        "bệnh viện Đa Khoa tỉnh Phú Thọ",
    ],
)
def test_the_books_case_and_wording_are_never_rewritten(raw: str) -> None:
    # Tôn trọng sổ gốc: case and wording stay as written, and nothing is suggested for them.
    result = normalise_place(raw)
    assert result.value == raw
    assert result.candidates == ()
    assert "place-corrected" not in result.issues


def test_misread_unit_name_keeps_the_reading_and_still_gives_its_province() -> None:
    result = normalise_place("xã Tân Lập, huyện Đan Phượng, tỉnh Phủ Thọ")
    assert result.value == "xã Tân Lập, huyện Đan Phượng, tỉnh Phủ Thọ"
    assert result.candidates == ("xã Tân Lập, huyện Đan Phượng, tỉnh Phú Thọ",)
    assert result.extra["province"] == "Tỉnh Phú Thọ"


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        (
            "Xóm 5, xã Đắk Lao, huyện Đắk Mit, tỉnh Đắk Nông",
            "Xóm 5, xã Đắk Lao, huyện Đắk Mil, tỉnh Đắk Nông",
        ),
        ("Công ân tỉnh Thánh Hóa", "Công an tỉnh Thanh Hóa"),
        (
            "Thường trú tại: xã Long Sơ, hyện Đắk Mil, tỉnh Đắk Nông",
            "Thường trú tại: xã Long Sơn, huyện Đắk Mil, tỉnh Đắk Nông",
        ),
        # Nothing to repair: the cleaned reading, words and case as written.
        ("Trạm Y tế xã Hương Lung ,", "Trạm Y tế xã Hương Lung"),
        ("", ""),
    ],
)
def test_a_place_is_repaired_toward_the_units_it_names(raw: str, repaired: str) -> None:
    """repair_place: what the vi engine reads a place's crop again toward, a residence prefix
    kept; never a value by itself (normalise_place keeps the reading)."""
    assert repair_place(raw) == repaired
