"""Numeric dates: any separator, day first, partial dates, OCR digit look-alikes → dd.mm.yyyy."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fix_digit_lookalikes,
    fold,
    is_blank,
)
from ocr_service.extract.normalise.date_parts import (
    MIN_YEAR,
    check_full_date,
    check_partial,
    today,
)
from ocr_service.extract.normalise.date_words import parse_date_words

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # 1900 date system incl. Excel's phantom 29.02.1900
_WORD_MARKERS = re.compile(r"\b(thang|ngay|mong|mung|nam)\b")
_NUMBER_WORDS = re.compile(r"\b(mot|hai|ba|bon|tu|sau|bay|tam|chin|muoi|nghin|ngan|tram|linh)\b")


def pivot_year(yy: int) -> list[int]:
    """Plausible 4-digit years for a 2-digit year, most likely first (never in the future)."""
    now = today().year
    options = [c + yy for c in (2000, 1900, 1800) if MIN_YEAR <= c + yy <= now]
    return options


def _result(
    raw: str,
    value: str | None,
    issues: list[str],
    *,
    partial_allowed: bool,
    score: float = 1.0,
    candidates: tuple[str, ...] = (),
) -> Normalised:
    is_partial = value is not None and len(value) < 10
    if is_partial:
        issues.append("date-partial")
        if not partial_allowed:
            issues.append("date-incomplete")
    ok = value is not None and not (is_partial and not partial_allowed)
    penalties = {
        "ocr-digit-fixed": 0.2,
        "date-excel-serial": 0.4,
        "date-compact": 0.2,
        "date-iso": 0.05,
        "date-lunar": 0.3,
        "date-words-fuzzy": 0.2,
    }
    for issue in issues:
        score -= penalties.get(issue, 0.0)
    if value is None:
        score = 0.0
    elif not ok:
        score = min(score, 0.5)
    return Normalised(
        raw=raw,
        value=value,
        ok=ok,
        score=round(max(score, 0.0), 3),
        issues=tuple(dict.fromkeys(issues)),
        candidates=candidates,
    )


def _two_digit_year(
    raw: str, day: int | None, month: int | None, yy: int, issues: list[str], partial: bool
) -> Normalised:
    candidates: list[str] = []
    for year in pivot_year(yy):
        if day is not None and month is not None:
            value, _ = check_full_date(day, month, year)
        else:
            value, _ = check_partial(month, year)
        if value:
            candidates.append(value)
    issues.append("year-2digit")
    return Normalised(
        raw=raw,
        value=None,
        ok=False,
        score=0.0,
        issues=tuple(dict.fromkeys(issues)),
        candidates=tuple(candidates),
    )


def _from_parts(raw: str, parts: list[str], issues: list[str], partial: bool) -> Normalised:
    """Day-first interpretation of 1–3 digit groups."""
    nums = [int(p) for p in parts]
    if len(parts) == 3:
        if len(parts[0]) == 4 and len(parts[2]) <= 2:
            # Year first (ISO 1999-11-19): the only month-day order we accept.
            parts = [parts[2], parts[1], parts[0]]
            nums = [nums[2], nums[1], nums[0]]
            issues.append("date-iso")
        day, month, ylen = nums[0], nums[1], len(parts[2])
        if len(parts[0]) > 2 or len(parts[1]) > 2:
            return _result(raw, None, [*issues, "date-invalid"], partial_allowed=partial)
        if ylen == 2:
            return _two_digit_year(raw, day, month, nums[2], issues, partial)
        if ylen != 4:
            return _result(raw, None, [*issues, "date-invalid"], partial_allowed=partial)
        value, bad = check_full_date(day, month, nums[2])
        candidates: tuple[str, ...] = ()
        if bad == ("date-invalid",) and 1 <= day <= 12 < month <= 31:
            swapped, _ = check_full_date(month, day, nums[2])
            candidates = (swapped,) if swapped else ()
        if value is None and not candidates:
            candidates = misread_digit_dates(parts)
        return _result(raw, value, [*issues, *bad], partial_allowed=partial, candidates=candidates)
    if len(parts) == 2:
        if (len(parts[0]) > 2 or len(parts[1]) > 4) and len(parts[1]) >= 4:
            return _lost_separator(raw, parts, issues, partial)
        if len(parts[0]) > 2:
            return _result(raw, None, [*issues, "date-invalid"], partial_allowed=partial)
        if len(parts[1]) == 2:
            return _two_digit_year(raw, None, nums[0], nums[1], issues, partial)
        if len(parts[1]) != 4:
            return _result(raw, None, [*issues, "date-invalid"], partial_allowed=partial)
        value, bad = check_partial(nums[0], nums[1])
        return _result(raw, value, [*issues, *bad], partial_allowed=partial)
    return _single_group(raw, parts[0], issues, partial)


# Digits a hand's stroke makes look like one another ('1' with its flag read as '7', an open
# '0' as '6'); a date no calendar has is tried with them.
DIGIT_LOOKALIKES = {
    "0": "68",
    "1": "7",
    "3": "8",
    "4": "9",
    "5": "6",
    "6": "05",
    "7": "1",
    "8": "03",
    "9": "4",
}
MAX_DIGIT_CHANGES = 3


def misread_digit_dates(parts: list[str]) -> tuple[str, ...]:
    """The one calendar date that the fewest look-alike digit changes make of a day-first
    date that is none ('75/72/7952' → 15.12.1952, '24/18/2017' → 24.10.2017): a suggestion
    for the clerk, never the value. Nothing when no date, or several, are that near."""
    digits = "".join(parts)
    cuts = [len(parts[0]), len(parts[0]) + len(parts[1])]
    places = [i for i, d in enumerate(digits) if d in DIGIT_LOOKALIKES]
    for changes in range(1, MAX_DIGIT_CHANGES + 1):
        found: set[str] = set()
        for where in itertools.combinations(places, changes):
            for subs in itertools.product(*(DIGIT_LOOKALIKES[digits[i]] for i in where)):
                chars = list(digits)
                for i, d in zip(where, subs, strict=True):
                    chars[i] = d
                text = "".join(chars)
                day, month, year = text[: cuts[0]], text[cuts[0] : cuts[1]], text[cuts[1] :]
                value, _ = check_full_date(int(day), int(month), int(year))
                if value is not None:
                    found.add(value)
        if found:
            return (found.pop(),) if len(found) == 1 else ()
    return ()


def _lost_separator(raw: str, parts: list[str], issues: list[str], partial: bool) -> Normalised:
    """Two digit groups holding a whole date, one separator lost in OCR ('07.032020',
    '1303.2016', '293-2020'): the year is the last four digits, day and month the rest; used
    only when exactly one split of day and month is a calendar date."""
    digits = parts[0] + parts[1]
    year, rest = int(digits[-4:]), digits[:-4]
    readings = []
    for cut in (1, 2):
        day, month = rest[:cut], rest[cut:]
        if 1 <= len(month) <= 2 and len(day) >= 1:
            value, _ = check_full_date(int(day), int(month), year)
            if value:
                readings.append(value)
    if len(readings) == 1:
        return _result(raw, readings[0], [*issues, "date-compact"], partial_allowed=partial)
    return Normalised(
        raw, None, False, 0.0, (*issues, "date-compact", "date-invalid"), tuple(readings)
    )


def _single_group(raw: str, digits: str, issues: list[str], partial: bool) -> Normalised:
    """One run of digits: a year, a compact ddmmyyyy / yyyymmdd, or an Excel serial number."""
    if len(digits) == 4:
        value, bad = check_partial(None, int(digits))
        return _result(raw, value, [*issues, *bad], partial_allowed=partial)
    if len(digits) == 8:
        first = (int(digits[:2]), int(digits[2:4]), int(digits[4:]))
        iso = (int(digits[6:]), int(digits[4:6]), int(digits[:4]))
        readings = [r for r in (first, iso) if check_full_date(*r)[0]]
        if len(readings) == 1:
            value, _ = check_full_date(*readings[0])
            return _result(raw, value, [*issues, "date-compact"], partial_allowed=partial)
        if len(readings) == 2:
            values = tuple(str(check_full_date(*r)[0]) for r in readings)
            return Normalised(raw, None, False, 0.0, ("date-compact", "date-invalid"), values)
    if len(digits) == 6:
        value, _ = check_partial(int(digits[:2]), int(digits[2:]))
        if value:
            return _result(raw, value, [*issues, "date-compact"], partial_allowed=partial)
    if len(digits) == 5 and 1 <= int(digits) <= 80000:
        date = _EXCEL_EPOCH + dt.timedelta(days=int(digits))
        value, bad = check_full_date(date.day, date.month, date.year)
        return _result(raw, value, [*issues, "date-excel-serial", *bad], partial_allowed=partial)
    return _result(raw, None, [*issues, "date-invalid"], partial_allowed=partial)


# A whole day-first date closing the text, after other words (a space or a colon before it).
_DATE_AT_END = re.compile(r"(?<=[\s:])(\d{1,2})\s?[/.\-]\s?(\d{1,2})\s?[/.\-]\s?(\d{4})[\s.,;:]*$")


def normalise_date(raw: str, *, partial: bool = True) -> Normalised:
    """A date as read → 'dd.mm.yyyy' (or 'mm.yyyy' / 'yyyy' when that is all the text gives).

    Day first always; separators '.', '/', '-', space; 2-digit years are not guessed (issue
    'year-2digit', the pivoted readings in `candidates`); partial=False makes a partial date
    not ok ('date-incomplete'). Text with 'ngày … tháng … năm' words goes to parse_date_words.
    """
    if is_blank(raw):
        return empty_result(raw)
    text = clean_text(raw)
    folded = fold(text)
    if _WORD_MARKERS.search(folded) and (
        "thang" in folded.split() or _NUMBER_WORDS.search(folded) or "nam" in folded.split()
    ):
        worded = parse_date_words(text)
        if worded.value is not None or not re.search(r"\d", text):
            if worded.value is not None and len(worded.value) < 10 and not partial:
                incomplete = (*worded.issues, "date-incomplete")
                return Normalised(raw, worded.value, False, min(worded.score, 0.5), incomplete)
            return Normalised(
                raw, worded.value, worded.ok, worded.score, worded.issues, worded.candidates
            )
    issues: list[str] = ["date-lunar"] if "am lich" in folded else []
    fixed, changed = fix_digit_lookalikes(text)
    if changed:
        issues.append("ocr-digit-fixed")
    parts = re.findall(r"\d+", fixed)
    if len(parts) > 3:
        # Other text before the date: a neighbour's words run into the field ('46 phút ngày:
        # 30/01/2020'), or a date written, crossed out and rewritten after it.
        last = _DATE_AT_END.search(fixed)
        if last is not None:
            found = _from_parts(raw, list(last.groups()), [*issues, "date-extra-text"], partial)
            if found.value is not None:
                return found
    if not parts or len(parts) > 3:
        return _result(raw, None, ["date-invalid"], partial_allowed=partial)
    return _from_parts(raw, parts, issues, partial)


def date_words_agree(numeric_value: str, words_raw: str) -> bool:
    """True when the words parse to the same date as the numeric field (QA date-words-mismatch).

    A partial numeric date agrees with words that end in the same month/year. Anything that
    does not parse on either side disagrees.
    """
    words = parse_date_words(words_raw)
    numeric = normalise_date(numeric_value)
    if words.value is None or numeric.value is None:
        return False
    if words.value == numeric.value:
        return True
    return len(numeric.value) < len(words.value) and words.value.endswith("." + numeric.value)
