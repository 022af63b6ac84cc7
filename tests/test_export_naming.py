"""File names of the delivery (REGISTERS.md §8)."""

from __future__ import annotations

import dataclasses

import pytest
from test_export_support import sample_ledger, sample_record

from ocr_service.errors import BadInput, Conflict
from ocr_service.export import (
    RecordNamer,
    book_excel_name,
    book_stem,
    book_zip_name,
    cover_pdf_name,
    record_pdf_name,
)


def test_record_pdf_name_follows_the_pattern() -> None:
    values = {"quyenSo": "01/2007", "ngayDangKy": "09.07.2013", "so": "04/2013"}
    assert record_pdf_name("ket-hon", values) == "KH.2007.01.2013-07-09.004.pdf"
    values["so"] = "1234/2013"  # %03d: 1000+ gives 4 digits
    assert record_pdf_name("khai-sinh", values) == "KS.2007.01.2013-07-09.1234.pdf"
    values |= {"so": "7", "quyenSo": "2-TP/HT-2015-CMC"}  # cover style of TT 15/2015
    assert record_pdf_name("nhan-cha-me-con", values) == "CMC.2015.02.2013-07-09.007.pdf"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"quyenSo": "01/2007", "so": "04/2013"}, "ngayDangKy missing"),
        ({"quyenSo": "01/2007", "so": "04/2013", "ngayDangKy": "07.2013"}, "not dd.mm.yyyy"),
        ({"quyenSo": "01/2007", "ngayDangKy": "09.07.2013"}, "số missing"),
        ({"quyenSo": "01/2007", "ngayDangKy": "09.07.2013", "so": "4a"}, "not a number"),
        ({"so": "04/2013", "ngayDangKy": "09.07.2013"}, "quyển số"),
    ],
)
def test_record_pdf_name_refuses_what_it_cannot_name(values: dict[str, str], message: str) -> None:
    with pytest.raises(BadInput, match=message) as err:
        record_pdf_name("khai-tu", values, record_id="r-9")
    assert "r-9" in err.value.message


def test_book_stem_excel_zip_and_cover_names() -> None:
    ledger = sample_ledger("nhan-cha-me-con")
    ledger.meta = dataclasses.replace(ledger.meta, book="01/2006")
    assert book_stem(ledger) == "xalocthuan_hbd_tbt.CMC.2006.01"
    assert book_excel_name(ledger) == "xalocthuan_hbd_tbt.CMC.2006.01.xlsx"
    assert book_zip_name(ledger) == "xalocthuan_hbd_tbt.CMC.2006.01.zip"
    assert cover_pdf_name(ledger, "A3") == "Cover.xa_loc_thuan.CMC.A3.2006.01.pdf"
    with pytest.raises(BadInput, match="paper size"):
        cover_pdf_name(ledger, "B5")
    # đ→d, diacritics gone; ward code falls back to the folded commune name
    other = dataclasses.replace(
        ledger, ward_code=None, meta=dataclasses.replace(ledger.meta, commune="Phường Đông Hòa"),
        district="Thành phố Dĩ An", province="Tỉnh Bình Dương",
    )  # fmt: skip
    assert book_stem(other) == "phuongdonghoa_tpda_tbd.CMC.2006.01"
    bare = dataclasses.replace(other, district=None, province=None)
    assert book_stem(bare) == "phuongdonghoa.CMC.2006.01"
    with pytest.raises(BadInput, match="ward code"):
        book_stem(dataclasses.replace(bare, meta=dataclasses.replace(bare.meta, commune=None)))
    with pytest.raises(BadInput, match="quyển số"):
        book_stem(dataclasses.replace(ledger, meta=dataclasses.replace(ledger.meta, book=None)))


def test_duplicate_names_in_a_book_are_refused_or_suffixed() -> None:
    values = {"quyenSo": "01/2019", "ngayDangKy": "02.01.2019", "so": "01/2019"}
    a, b, c = (sample_record("khai-sinh", n) for n in (1, 2, 3))
    strict = RecordNamer("khai-sinh")
    assert strict.name(a, values) == "KS.2019.01.2019-01-02.001.pdf"
    with pytest.raises(Conflict, match=f"{a.id} and {b.id}"):
        strict.name(b, values)
    lenient = RecordNamer("khai-sinh", on_clash="suffix")
    names = [lenient.name(r, values) for r in (a, b, c)]
    assert names == [
        "KS.2019.01.2019-01-02.001.pdf",
        "KS.2019.01.2019-01-02.001_2.pdf",
        "KS.2019.01.2019-01-02.001_3.pdf",
    ]
