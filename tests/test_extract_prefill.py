"""Pre-filling from the ledger and the sequence, and low-confidence default suggestions."""

from __future__ import annotations

from models.book import BookMeta
from ocr_service.extract.confidence import score_field
from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.prefill import (
    complete_so_year,
    prefill_defaults,
    prefill_from_ledger,
    prefill_sequence,
)

LEDGER = BookMeta(
    "khai-sinh", commune="Xã An Nhơn", book="01/2019", year=2019, authority="UBND xã An Nhơn"
)


def rec(page: int, **values: str) -> RecordDraft:
    r = RecordDraft(page=page, pages=[page])
    for code, value in values.items():
        r.fields[code] = FieldDraft(code=code, raw=value, value=value or None, confidence=0.9)
    return r


def test_book_fields_from_the_ledger() -> None:
    r = rec(1, so="01/2019")
    prefill_from_ledger("khai-sinh", r, LEDGER, "01/2019")
    assert r.fields["quyenSo"].value == "01/2019"
    assert r.fields["quyenSo"].source == "book"
    assert r.fields["noiDangKy"].value == "UBND xã An Nhơn"
    # A value read on the page stays.
    r2 = rec(2, quyenSo="02/2019")
    prefill_from_ledger("khai-sinh", r2, LEDGER, "01/2019")
    assert r2.fields["quyenSo"].value == "02/2019"
    assert r2.fields["quyenSo"].source == "ocr"
    # HN books name their authority noiCap.
    r3 = rec(3)
    prefill_from_ledger("xac-nhan-hon-nhan", r3, LEDGER, "01/2019")
    assert r3.fields["noiCap"].value == "UBND xã An Nhơn"
    assert "noiDangKy" not in r3.fields


def test_number_without_year_gets_the_registration_year() -> None:
    r = rec(1, so="7", ngayDangKy="03.01.2020")
    r.fields["so"].value = None
    complete_so_year(r, LEDGER)
    assert r.fields["so"].value == "07/2020"
    assert "so-year-derived" in r.fields["so"].issues
    r2 = rec(2, so="12")
    r2.fields["so"].value = None
    complete_so_year(r2, LEDGER)
    assert r2.fields["so"].value == "12/2019"  # no date read: the ledger year


def test_unread_number_is_suggested_from_the_sequence() -> None:
    book = [rec(1, so="04/2019"), rec(2, so=""), rec(3), rec(4, so="08/2019"), rec(5)]
    prefill_sequence(book)
    assert [r.value("so") for r in book] == ["04/2019", "05/2019", "06/2019", "08/2019", "09/2019"]
    suggested = book[1].fields["so"]
    assert suggested.source == "prefill"
    assert suggested.issues == ["so-from-sequence"]
    score_field(suggested, ocr=suggested.confidence, parsed=True, lexicon=1.0)
    assert suggested.band == "check" and suggested.confidence <= 0.5


def test_defaults_only_for_named_people_and_unread_fields() -> None:
    r = rec(1, nksHoTen="Nguyễn Văn An", meHoTen="Lê Thị Hoa", meDanToc="Tay?")
    r.fields["meDanToc"].value = None  # read but not recognised: the clerk decides, no default
    prefill_defaults("khai-sinh", r)
    assert r.fields["nksQuocTich"].value == "Việt Nam"
    assert r.fields["nksDanToc"].value == "Kinh"
    assert r.fields["nksDanToc"].source == "prefill"
    assert r.fields["meQuocTich"].value == "Việt Nam"
    assert r.fields["meDanToc"].value is None
    assert "chaQuocTich" not in r.fields  # no father on the page
