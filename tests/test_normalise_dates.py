"""Numeric dates: separators, day-first, partial dates, 2-digit years, OCR look-alikes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ocr_service.extract.normalise import normalise_date, normalise_field
from ocr_service.extract.normalise.base import load_registers

RESOURCES = Path(__file__).parent / "resources" / "normalise"


def _ocr_rows() -> list[tuple[str, str, str]]:
    with (RESOURCES / "ocr_dates.tsv").open(encoding="utf-8") as fh:
        return [(r["raw"], r["expected"], r["issue"]) for r in csv.DictReader(fh, delimiter="\t")]


def _spec_rows() -> list[tuple[str, str]]:
    rows = load_registers()["formats"]["dates"]["normalise"]
    return [(raw, out) for raw, out in rows if out[:2].isdigit()]


@pytest.mark.parametrize(("raw", "expected"), _spec_rows())
def test_spec_examples(raw: str, expected: str) -> None:
    result = normalise_date(raw)
    assert result.value == expected
    assert result.ok


@pytest.mark.parametrize(("raw", "expected", "issue"), _ocr_rows())
def test_ocr_dates(raw: str, expected: str, issue: str) -> None:
    result = normalise_date(raw)
    assert result.value == (expected or None)
    assert result.ok == bool(expected)
    if issue:
        assert issue in result.issues
    assert 0.0 <= result.score <= 1.0
    assert (result.score == 0.0) == (not expected)


def test_spec_rejects_two_digit_year_but_offers_the_pivot() -> None:
    result = normalise_date("05.03.87")
    assert result.value is None
    assert not result.ok
    assert result.issues == ("year-2digit",)
    assert result.candidates == ("05.03.1987", "05.03.1887")


@pytest.mark.parametrize(
    ("raw", "first_candidate"),
    [
        ("1/1/15", "01.01.2015"),
        ("20-10-99", "20.10.1999"),
        ("3/68", "03.1968"),
        ("07.08.05", "07.08.2005"),
    ],
)
def test_two_digit_years_pivot_to_the_past(raw: str, first_candidate: str) -> None:
    result = normalise_date(raw)
    assert not result.ok
    assert "year-2digit" in result.issues
    assert result.candidates[0] == first_candidate


def test_spec_impossible_year_keeps_raw() -> None:
    result = normalise_date("01/04/5005")
    assert result.raw == "01/04/5005"
    assert result.value is None
    assert result.issues == ("date-out-of-range",)


def test_month_first_is_never_assumed_but_suggested() -> None:
    result = normalise_date("12/25/2000")
    assert result.value is None
    assert result.candidates == ("25.12.2000",)


def test_future_date_is_out_of_range() -> None:
    result = normalise_date("01.01.2999")
    assert result.issues == ("date-out-of-range",)


@pytest.mark.parametrize("raw", ["", "   ", "-", "null", ", , ,"])
def test_blank_is_empty(raw: str) -> None:
    result = normalise_date(raw)
    assert result.value is None
    assert result.issues == ("empty",)


def test_partial_not_allowed_for_full_date_fields() -> None:
    result = normalise_date("3/2008", partial=False)
    assert result.value == "03.2008"
    assert not result.ok
    assert {"date-partial", "date-incomplete"} <= set(result.issues)
    words = normalise_date("năm 2008", partial=False)
    assert words.value == "2008"
    assert not words.ok


def test_field_types_choose_full_or_partial() -> None:
    assert not normalise_field("khai-sinh", "ngayDangKy", "2008").ok
    assert normalise_field("khai-sinh", "meNgaySinh", "1968").ok
    assert normalise_field("khai-sinh", "meNgaySinh", "1968").value == "1968"
    assert normalise_field("khai-tu", "nktNgayChet", "ngày 2 tháng 9 năm 1999").value == (
        "02.09.1999"
    )


# OCR readings of synthetic book pages (bench_fields) where one separator was lost.
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("07.032020", "07.03.2020"),
        ("25.091973", "25.09.1973"),
        ("1303.2016", "13.03.2016"),
        ("05/92017", "05.09.2017"),
        ("293-2020", "29.03.2020"),
        ("ngày: 26.032020", "26.03.2020"),
    ],
)
def test_lost_separator_is_restored_when_only_one_split_is_a_date(raw: str, value: str) -> None:
    result = normalise_date(raw)
    assert result.value == value
    assert "date-compact" in result.issues
    assert result.score < 1.0


def test_lost_separator_with_two_possible_dates_is_not_guessed() -> None:
    result = normalise_date("111.2017")  # 1.11 or 11.1
    assert result.value is None
    assert not result.ok
    assert set(result.candidates) == {"01.11.2017", "11.01.2017"}


# Readings of tuning-group synthetic pages (#13): the minutes of the time beside the date ran
# into the date's field; a date crossed out and written again after it.
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (".46 phút ngày: 30/01/2020", "30.01.2020"),
        (".49 phút ngày: 24/02/2060 24/02/2020", "24.02.2020"),
        ("46 phút, ngày 5-2-2020.", "05.02.2020"),
    ],
)
def test_date_after_other_text_is_the_value_and_flagged(raw: str, value: str) -> None:
    result = normalise_date(raw, partial=False)
    assert result.value == value
    assert "date-extra-text" in result.issues


@pytest.mark.parametrize("raw", ["1/2/3/2020", "12 34 56 78", "46 phút ngày 30/01/20"])
def test_no_date_is_cut_out_of_digits_run_together(raw: str) -> None:
    assert normalise_date(raw, partial=False).value is None


# Handwritten dates of tuning-group pages (#13) read with a look-alike digit: no calendar date,
# so no value; the one date the fewest look-alike changes give is offered to the clerk.
@pytest.mark.parametrize(
    ("raw", "suggested"),
    [
        ("75/72/7952", "15.12.1952"),  # every '1' read as '7'
        ("24/18/2017", "24.10.2017"),  # '0' as '8'
        ("37/7/1929", "31.07.1929"),
    ],
)
def test_look_alike_digits_give_a_suggestion_never_a_value(raw: str, suggested: str) -> None:
    result = normalise_date(raw, partial=False)
    assert result.value is None
    assert not result.ok
    assert result.candidates[:1] == (suggested,)


def test_no_suggestion_when_look_alikes_give_several_dates() -> None:
    # Day '00': one change makes it 06 or 08; which one is the clerk's to read.
    result = normalise_date("00/05/2019", partial=False)
    assert result.value is None
    assert result.candidates == ()
