"""Record-level data-quality rules: warnings for the clerk, values never changed."""

from __future__ import annotations

from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.rules import check_record, date_before, parse_date_value, parse_so


def record(**values: str) -> RecordDraft:
    rec = RecordDraft(page=1, pages=[1])
    for code, value in values.items():
        rec.fields[code] = FieldDraft(code=code, raw=value, value=value, confidence=0.9)
    return rec


def clean_birth() -> RecordDraft:
    return record(
        so="05/2019",
        quyenSo="01/2019",
        ngayDangKy="10.03.2019",
        loaiDangKy="Đăng kí đúng hạn",
        noiDangKy="UBND xã An Nhơn",
        nksHoTen="Nguyễn Văn An",
        nksGioiTinh="Nam",
        nksNgaySinh="01.02.2019",
        nksNgaySinhBangChu="Ngày Mồng Một Tháng Hai Năm Hai Nghìn Không Trăm Mười Chín",
        meNgaySinh="1990",
        chaNgaySinh="1988",
    )


def rules(rec: RecordDraft, register: str = "khai-sinh") -> list[tuple[str, str | None]]:
    return [(w.rule, w.field) for w in check_record(register, rec)]


def test_clean_record_has_no_warning() -> None:
    assert rules(clean_birth()) == []


def test_required_field_missing_or_unreadable() -> None:
    rec = clean_birth()
    del rec.fields["nksHoTen"]
    rec.fields["nksGioiTinh"] = FieldDraft(code="nksGioiTinh", raw="N?", value=None)
    found = check_record("khai-sinh", rec)
    assert [(w.rule, w.field) for w in found] == [
        ("required", "nksHoTen"),
        ("required", "nksGioiTinh"),
        ("enum-value", "nksGioiTinh"),
    ]
    assert found[0].severity == "error"
    assert found[0].message.startswith("Thiếu trường bắt buộc")
    assert "'N?'" in found[1].message


def test_registration_before_birth_is_flagged_and_values_kept() -> None:
    rec = clean_birth()
    rec.fields["nksNgaySinh"].value = "20.03.2019"
    rec.fields[
        "nksNgaySinhBangChu"
    ].raw = "ngày hai mươi tháng ba năm hai nghìn không trăm mười chín"
    assert rules(rec) == [("registration-before-event", "nksNgaySinh")]
    assert rec.fields["nksNgaySinh"].value == "20.03.2019"


def test_partial_dates_compare_only_as_far_as_known() -> None:
    rec = clean_birth()
    rec.fields["nksNgaySinh"].value = "2019"  # same year: cannot tell, no warning
    del rec.fields["nksNgaySinhBangChu"]
    assert rules(rec) == []
    rec.fields["nksNgaySinh"].value = "2020"
    assert rules(rec) == [("registration-before-event", "nksNgaySinh")]


def test_death_before_birth_and_registration_before_death() -> None:
    rec = record(
        so="02/2019",
        quyenSo="01/2019",
        ngayDangKy="01.03.2019",
        loaiDangKy="Đăng ký đúng hạn",
        noiDangKy="UBND xã An Nhơn",
        nktHoTen="Trần Văn Bảy",
        nktNgaySinh="05.05.2019",
        nktNgayChet="05.03.2019",
    )
    assert rules(rec, "khai-tu") == [
        ("registration-before-event", "nktNgayChet"),
        ("date-order", "nktNgayChet"),
        ("date-order", "nktNgaySinh"),
    ]


def test_so_year_and_book_year() -> None:
    rec = clean_birth()
    rec.fields["so"].value = "05/2018"
    rec.fields["quyenSo"].value = "01/2020"
    assert rules(rec) == [
        ("so-year-mismatch", "so"),
        ("book-year-after-registration", "quyenSo"),
    ]


def test_so_format() -> None:
    rec = clean_birth()
    rec.fields["so"].value = "5-2019"
    assert ("so-format", "so") in rules(rec)


def test_date_words_disagreeing_with_the_date() -> None:
    rec = clean_birth()
    rec.fields[
        "nksNgaySinhBangChu"
    ].raw = "Ngày Hai Mươi Bảy Tháng Tám Năm Hai Nghìn Không Trăm Linh Tám"
    assert rules(rec) == [("date-words-mismatch", "nksNgaySinhBangChu")]


def test_impossible_values() -> None:
    rec = clean_birth()
    rec.fields["meNgaySinh"] = FieldDraft(
        code="meNgaySinh", raw="31/02/1990", value=None, issues=["date-invalid"]
    )
    rec.fields["chaNgaySinh"] = FieldDraft(
        code="chaNgaySinh", raw="01/04/5005", value=None, issues=["date-out-of-range"]
    )
    rec.fields["nksDanToc"] = FieldDraft(code="nksDanToc", raw="Xyz", value=None)
    assert rules(rec) == [
        ("date-format", "meNgaySinh"),
        ("date-out-of-range", "chaNgaySinh"),
        ("list-value", "nksDanToc"),
    ]


def test_parent_and_marriage_age() -> None:
    rec = clean_birth()
    rec.fields["meNgaySinh"].value = "2010"
    assert rules(rec) == [("parent-age", "meNgaySinh")]
    marriage = record(
        so="01/2019",
        quyenSo="01/2019",
        ngayDangKy="10.03.2019",
        loaiDangKy="Đăng ký lần đầu",
        noiDangKy="UBND xã An Nhơn",
        chongHoTen="Nguyễn Văn An",
        voHoTen="Lê Thị Hoa",
        chongNgaySinh="2001",
        voNgaySinh="1999",
    )
    assert rules(marriage, "ket-hon") == [("marriage-age", "chongNgaySinh")]


def test_helpers() -> None:
    assert parse_so("07/2019") == (7, 2019)
    assert parse_so("7") is None
    assert parse_date_value("05.03.2019") == (2019, 3, 5)
    assert parse_date_value("03.2019") == (2019, 3, None)
    assert parse_date_value("2019") == (2019, None, None)
    assert parse_date_value("5/3/2019") is None
    assert date_before((2019, 3, 5), (2019, 3, 6))
    assert not date_before((2019, None, None), (2019, 3, 6))
