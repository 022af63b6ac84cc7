"""Book-level rules: numbering gaps and duplicates, registration dates going back."""

from __future__ import annotations

from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.rules import check_book


def entry(page: int, so: str, ngay: str, quyen: str = "01/2019") -> RecordDraft:
    rec = RecordDraft(page=page, pages=[page])
    for code, value in (("so", so), ("ngayDangKy", ngay), ("quyenSo", quyen)):
        rec.fields[code] = FieldDraft(code=code, raw=value, value=value)
    return rec


def test_clean_book_flags_nothing() -> None:
    book = [entry(i + 1, f"{i + 1:02d}/2019", f"{i + 2:02d}.01.2019") for i in range(12)]
    # A new year restarts at 01; a book may start at any number (it continues the previous one).
    book += [entry(13, "01/2020", "02.01.2020"), entry(14, "02/2020", "02.01.2020")]
    book.insert(0, entry(20, "07/2018", "30.12.2018", "01/2018"))
    assert check_book(book) == {}


def test_gap_duplicate_and_date_order() -> None:
    book = [
        entry(1, "01/2019", "02.01.2019"),
        entry(2, "02/2019", "03.01.2019"),
        entry(3, "05/2019", "04.01.2019"),  # 03 and 04 missing
        entry(4, "06/2019", "05.01.2019"),
        entry(5, "06/2019", "05.01.2019"),  # duplicate
        entry(6, "07/2019", "01.01.2019"),  # earlier than the entries before it
        entry(7, "09/2019", "08.01.2019"),  # 08 missing
    ]
    found = {i: [(w.rule, w.field) for w in ws] for i, ws in check_book(book).items()}
    assert found == {
        2: [("sequence-gap", "so")],
        3: [("duplicate-number", "so")],
        4: [("duplicate-number", "so")],
        5: [("date-order", "ngayDangKy")],
        6: [("sequence-gap", "so")],
    }
    messages = {w.rule: w.message for ws in check_book(book).values() for w in ws}
    assert (
        "Thiếu số 03–04/2019" in messages["sequence-gap"]
        or "Thiếu số 08/2019" in (messages["sequence-gap"])
    )
    gap_messages = [w.message for w in check_book(book)[2]]
    assert gap_messages == ["Thiếu số 03–04/2019 giữa số 02/2019 và 05/2019"]
    assert "trang 5" in check_book(book)[3][0].message


def test_books_of_different_volumes_do_not_collide() -> None:
    # REGISTERS.md §9 keys duplicates by (noiDangKy, quyenSo, so).
    a = entry(1, "01/2019", "02.01.2019", "01/2019")
    b = entry(1, "01/2019", "02.01.2019", "02/2019")
    assert [w.rule for ws in check_book([a, b]).values() for w in ws] == []
