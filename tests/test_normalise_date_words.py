"""Dates written in words: the spec's examples, OCR-damaged words, agreement, export style."""

from __future__ import annotations

import pytest

from ocr_service.extract.normalise import (
    date_words_agree,
    format_date_words,
    normalise_field,
    parse_date_words,
)
from ocr_service.extract.normalise.base import load_registers
from ocr_service.extract.normalise.date_words import read_cardinal


def _spec_examples() -> list[tuple[str, str]]:
    return [(w, v) for w, v in load_registers()["formats"]["date_words"]["examples"]]


@pytest.mark.parametrize(("words", "expected"), _spec_examples())
def test_spec_examples(words: str, expected: str) -> None:
    result = parse_date_words(words)
    assert result.value == expected
    assert result.ok
    assert result.score == 1.0


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        # OCR dropped every diacritic (score 0.9, still parsed).
        ("ngay hai muoi bay thang tam nam hai nghin khong tram linh tam", "27.08.2008"),
        ("NGAY MUOI LAM THANG BAY NAM MOT NGHIN CHIN TRAM TAM MUOI", "15.07.1980"),
        ("ngày hai mươi lăm tháng mười hai năm một ngàn chín trăm chín mươi", "25.12.1990"),
        ("ngày mười chín tháng tư năm hai nghìn linh bốn", "19.04.2004"),
        ("ngày hai tháng chín năm một nghìn chín trăm bốn mươi lăm", "02.09.1945"),
        ("Ngày Mười Một Tháng Mười Một Năm Hai Nghìn Không Trăm Mười Một", "11.11.2011"),
        ("ngày ba mươi mốt tháng mười năm hai nghìn lẻ một", "31.10.2001"),
        ("ngày mồng một tháng một năm hai nghìn", "01.01.2000"),
        ("mùng chín tháng sáu năm một nghìn chín trăm bảy mươi", "09.06.1970"),
        ("ngày hai mươi nhăm tháng ba năm một nghìn chín trăm sáu mươi", "25.03.1960"),
        ("ngày mười bốn tháng bẩy năm hai nghìn mười lăm", "14.07.2015"),
        ("ngày hăm hai tháng tám năm hai nghìn không trăm hai mươi mốt", "22.08.2021"),
        ("ngày 12 tháng mười năm 2012", "12.10.2012"),
        ("Sinh ngày mười tháng ba năm một nghìn chín trăm tám mươi", "10.03.1980"),
        ("ngày mười lăm tháng tám năm một chín tám bảy", "15.08.1987"),
        ("ngày hai mươi, tháng ba, năm hai nghìn mười.", "20.03.2010"),
    ],
)
def test_more_words(words: str, expected: str) -> None:
    result = parse_date_words(words)
    assert result.value == expected
    assert result.ok


def test_missing_diacritics_lower_the_score() -> None:
    plain = parse_date_words("ngay hai thang ba nam hai nghin linh tam")
    accented = parse_date_words("ngày hai tháng ba năm hai nghìn linh tám")
    assert plain.value == accented.value == "02.03.2008"
    assert plain.score < accented.score


def test_misspelt_number_words_are_repaired_and_flagged() -> None:
    result = parse_date_words("ngày hai mươi thnag ba năm hai nghln mười")
    assert result.value == "20.03.2010"
    assert "date-words-fuzzy" in result.issues
    assert result.score < 1.0


@pytest.mark.parametrize(
    "words",
    [
        "ngày mồng một tháng giêng năm hai nghìn",
        "ngày mười tháng chạp năm một nghìn chín trăm chín mươi",
        "ngày ba tháng hai năm một nghìn chín trăm tám mươi (âm lịch)",
    ],
)
def test_lunar_words_are_flagged(words: str) -> None:
    result = parse_date_words(words)
    assert result.ok
    assert "date-lunar" in result.issues


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("tháng năm năm hai nghìn", "05.2000"),
        ("năm một nghìn chín trăm sáu mươi tám", "1968"),
    ],
)
def test_partial_words(words: str, expected: str) -> None:
    result = parse_date_words(words)
    assert result.value == expected
    assert "date-partial" in result.issues


@pytest.mark.parametrize(
    "words",
    [
        "ngày ba mươi tháng hai năm hai nghìn",  # 30.02 does not exist
        "ngày hai tháng ba năm hai nghìn tám",  # 'hai nghìn tám' is 2800, not 2008
        "ngày mười tháng mười ba năm hai nghìn",  # month 13
        "ký tên đóng dấu",
    ],
)
def test_invalid_words(words: str) -> None:
    result = parse_date_words(words)
    assert result.value is None
    assert not result.ok
    assert "date-invalid" in result.issues


@pytest.mark.parametrize(
    ("tokens", "value"),
    [
        ("hai nghin khong tram linh tam", 2008),
        ("hai nghin le tam", 2008),
        ("mot nghin chin tram bon muoi lam", 1945),
        ("hai muoi mot", 21),
        ("muoi mot", 11),
        ("ham tu", 24),
        ("mot tram muoi", 110),
        ("hai nghin tam", None),
        ("muoi muoi", None),
    ],
)
def test_read_cardinal(tokens: str, value: int | None) -> None:
    assert read_cardinal(tokens.split()) == value


@pytest.mark.parametrize(
    ("numeric", "words", "agree"),
    [
        ("27.08.2008", "Ngày Hai Mươi Bảy Tháng Tám Năm Hai Nghìn Không Trăm Linh Tám", True),
        ("27/8/2008", "ngay hai muoi bay thang tam nam hai nghin linh tam", True),
        # The official-style sample row 2 fails the rule (REGISTERS.md §11).
        ("01.09.2008", "Ngày Hai Mươi Bảy Tháng Tám Năm Hai Nghìn Không Trăm Linh Tám", False),
        ("08.2008", "Ngày Hai Mươi Bảy Tháng Tám Năm Hai Nghìn Không Trăm Linh Tám", True),
        ("27.08.2008", "chữ không đọc được", False),
    ],
)
def test_date_words_agree(numeric: str, words: str, agree: bool) -> None:
    assert date_words_agree(numeric, words) is agree


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "ngày hai mươi bảy tháng tám năm hai nghìn không trăm linh tám",
            "Ngày Hai Mươi Bảy Tháng Tám Năm Hai Nghìn Không Trăm Linh Tám",
        ),
        ("NGÀY HAI THÁNG BA NĂM HAI NGHÌN LINH TÁM", "Ngày Hai Tháng Ba Năm Hai Nghìn Linh Tám"),
        (
            "  mùng  mười tháng mười năm hai ngàn lẻ năm ",
            "Mùng Mười Tháng Mười Năm Hai Ngàn Lẻ Năm",
        ),
    ],
)
def test_format_keeps_the_books_words(raw: str, expected: str) -> None:
    assert format_date_words(raw) == expected


def test_date_words_field_exports_words_and_derives_the_date() -> None:
    result = normalise_field(
        "khai-sinh",
        "nksNgaySinhBangChu",
        "ngày mồng năm tháng ba năm một nghìn chín trăm tám mươi bảy",
    )
    assert result.value == "Ngày Mồng Năm Tháng Ba Năm Một Nghìn Chín Trăm Tám Mươi Bảy"
    assert result.extra == {"date": "05.03.1987"}
    assert result.ok
    death = normalise_field("khai-tu", "nktNgayChetGhiBangChu", "ngày ba mươi tháng hai năm 2001")
    assert death.value == "Ngày Ba Mươi Tháng Hai Năm 2001"
    assert not death.ok


# OCR readings of synthetic book pages (bench_fields) with misread date words.
@pytest.mark.parametrize(
    ("raw", "value", "date"),
    [
        (
            "Ngày hai mươi tư thăng mườihai năm hai nghìn không trăm hai mươi mốt",
            "Ngày Hai Mươi Tư Tháng Mười Hai Năm Hai Nghìn Không Trăm Hai Mươi Mốt",
            "24.12.2021",
        ),
        (
            "Ngày mười sáu tháng mươi một năm hai nghìn không trăm mười. bảy",
            "Ngày Mười Sáu Tháng Mười Một Năm Hai Nghìn Không Trăm Mười Bảy",
            "16.11.2017",
        ),
        (
            "Ngày tám tháng một năm hai nghìn không trănm mười tóm",
            "Ngày Tám Tháng Một Năm Hai Nghìn Không Trăm Mười Tám",
            "08.01.2018",
        ),
        (
            "Ngày năm thăng chín năm hai nghìn không trăm nmười bảy",
            "Ngày Năm Tháng Chín Năm Hai Nghìn Không Trăm Mười Bảy",
            "05.09.2017",
        ),
        (
            "Ngày mười bồn tháng một năm hai nghìn không trăm mười tám",
            "Ngày Mười Bốn Tháng Một Năm Hai Nghìn Không Trăm Mười Tám",
            "14.01.2018",
        ),
        (
            "Ngày tăm Thángmười năm hai nghìn không trăm hai mươi môt",
            "Ngày Tám Tháng Mười Năm Hai Nghìn Không Trăm Hai Mươi Mốt",
            "08.10.2021",
        ),
        (
            "ngày hai mười tháng ba năm hai nghìn linh môt",
            "Ngày Hai Mươi Tháng Ba Năm Hai Nghìn Linh Một",
            "20.03.2001",
        ),
        (
            "ngay muoi lam thang bay nam mot nghin chin tram tam muoi",
            "Ngày Mười Lăm Tháng Bảy Năm Một Nghìn Chín Trăm Tám Mươi",
            "15.07.1980",
        ),
    ],
)
def test_misread_date_words_are_suggested_from_the_vocabulary(
    raw: str, value: str, date: str
) -> None:
    result = normalise_field("khai-sinh", "nksNgaySinhBangChu", raw)
    assert result.value == format_date_words(raw)  # the words as read, Title Case (§6.7)
    assert result.candidates == (value,)  # the repaired words are a suggestion
    assert result.raw == raw
    assert result.extra == {"date": date}
    assert result.ok
    assert "date-words-corrected" in result.issues
    assert result.score < normalise_field("khai-sinh", "nksNgaySinhBangChu", value).score


@pytest.mark.parametrize(
    "raw",
    [
        "ngày mồng năm tháng ba năm một nghìn chín trăm tám mươi bảy",  # the book's 'mồng'
        "mùng mười tháng mười năm hai ngàn lẻ năm",  # 'ngàn', 'lẻ' are the book's choice
        "Sinh ngày mười tháng ba năm một nghìn chín trăm tám mươi",  # 'Sinh' is not 'linh'
        "ngày hai mươi một tháng ba năm hai nghìn",  # 'mươi một' is read as written
    ],
)
def test_correct_date_words_are_kept(raw: str) -> None:
    result = normalise_field("khai-sinh", "nksNgaySinhBangChu", raw)
    assert result.value == format_date_words(raw)
    assert "date-words-corrected" not in result.issues
    assert result.ok


def test_snapped_words_that_do_not_parse_are_not_used() -> None:
    # 'ba mươi tháng hai' (30 February) parses to no date: the reading stays as it was.
    raw = "ngày ba mươi thăng hai năm hai nghìn"
    result = normalise_field("khai-sinh", "nksNgaySinhBangChu", raw)
    assert result.value == format_date_words(raw)
    assert "date-words-corrected" not in result.issues
    assert not result.ok
