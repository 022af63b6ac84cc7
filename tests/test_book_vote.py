"""The book's facts voted across its pages (ocr_service/extract/book_vote.py), on crafted pages."""

from __future__ import annotations

from ocr_service.extract.book_vote import (
    PageFacts,
    RecordFacts,
    check_numbering,
    compare_given,
    quyen_so_key,
    read_page_facts,
    register_from_title,
    vote,
    vote_book,
)


def pages_saying(books: dict[int, str]) -> list[PageFacts]:
    return [read_page_facts(p, [], {"quyenSo": b}) for p, b in books.items()]


def test_two_misread_pages_do_not_outvote_the_book() -> None:
    # The example: '01/2027' and '07/2027' inside a book whose other pages say '01/2021'.
    books = {1: "01/2021", 2: "01/2021", 3: "01/2027", 4: "01/2021", 5: "07/2027", 6: "01/2021"}
    votes = vote_book(pages_saying(books))
    book = votes["book"]
    assert (book.status, book.value, book.pages) == ("agreed", "01/2021", (1, 2, 4, 6))
    assert [(o.value, o.pages) for o in book.outliers] == [("01/2027", (3,)), ("07/2027", (5,))]
    assert (votes["year"].value, votes["year"].pages) == ("2021", (1, 2, 4, 6))


def test_spacing_padding_and_accents_do_not_split_the_vote() -> None:
    assert quyen_so_key("01 /2019") == quyen_so_key("1/2019") == "01/2019"
    assert quyen_so_key("01-TP/HT-2019-KS") == "01/2019"
    assert quyen_so_key("0l/2o19") is None  # unreadable abstains
    readings = [
        (1, "UBND xã An Nhơn"),
        (2, "UBND  XÃ AN NHƠN"),
        (3, "UBND xa An Nhon"),
        (4, "UBND xã An Nhơm"),  # one letter misread: the same authority
        (5, "UBND xã Bình Lợi"),
    ]
    v = vote("authority", readings)
    assert v.status == "agreed" and v.value == "UBND xã An Nhơn"
    assert v.pages == (1, 2, 3, 4)
    assert [(o.value, o.pages) for o in v.outliers] == [("UBND xã Bình Lợi", (5,))]


def test_unreadable_values_abstain_and_a_split_book_is_disputed() -> None:
    pages = pages_saying({1: "01/2019", 2: "??", 3: "", 4: "01/2019"})
    assert vote_book(pages)["book"].value == "01/2019"
    assert vote_book(pages)["book"].cast == 2
    split = vote_book(pages_saying({1: "01/2019", 2: "01/2019", 3: "02/2019", 4: "02/2019"}))
    book = split["book"]
    assert book.status == "disputed" and book.value is None
    assert book.where() == "'01/2019' trang 1, 2; '02/2019' trang 3, 4"
    assert vote_book([])["book"].status == "unread"


def test_page_lines_give_title_quyen_so_and_authority() -> None:
    lines = [
        "ỦY BAN NHÂN DÂN XÃ LỘC THUẬN",
        "SỔ ĐĂNG KÝ KHAI SINH",
        "Số: 12   Quyển số: 03 / 2018",
    ]
    facts = read_page_facts(4, lines, {"nguoiThucHien": "Trần Thị Mai", "nguoiKy": ""})
    assert dict(facts.values) == {
        "register": "khai-sinh",
        "book": "03/2018",
        "year": "2018",
        "authority": "ỦY BAN NHÂN DÂN XÃ LỘC THUẬN",
        "officer": "Trần Thị Mai",
    }
    assert register_from_title("Sổ cấp Giấy xác nhận tình trạng hôn nhân") == "xac-nhan-hon-nhan"
    assert register_from_title("Họ, chữ đệm, tên: Khai Sinh") is None


def test_given_values_that_the_pages_contradict_are_reported() -> None:
    votes = vote_book(pages_saying({1: "01/2021", 2: "01/2021"}))
    assert compare_given({"book": "1/2021", "year": 2021}, votes) == {}
    mismatch = compare_given({"book": "02/2021", "year": 2020}, votes)
    assert set(mismatch) == {"book", "year"}
    assert "01/2021" in mismatch["book"] and "trang 1, 2" in mismatch["book"]


def test_numbers_go_up_and_registrations_stay_in_the_book_year() -> None:
    records = [
        RecordFacts(1, "a", "01/2021", "04.01.2021"),
        RecordFacts(2, "b", "03/2021", "09.01.2021"),
        RecordFacts(3, "c", "02/2021", "12.01.2021"),  # lower than page 2's number
        RecordFacts(4, "d", "04/2021", "02.01.2022"),  # registered the next year
        RecordFacts(5, "e", None, None),
    ]
    warnings = check_numbering(records, 2021)
    assert [(w.rule, w.page, w.record_id) for w in warnings] == [
        ("so-not-increasing", 3, "c"),
        ("registration-outside-book-year", 4, "d"),
    ]
    assert "trang 2" in warnings[0].message
    assert check_numbering(records, None)[1:] == []
