"""Register numbers: so '01/2018', quyenSo '01/2015' (also '01-TP/HT-2015-CMC'), trangSo '55'."""

from __future__ import annotations

import re

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fix_digit_lookalikes,
    is_blank,
)

_LABEL = re.compile(
    r"^\s*(?:s[oố]|quy[eể]n\s*s[oố]|quy[eể]n|trang\s*s[oố]|trang|tr|no)\s*[.:]?\s*", re.IGNORECASE
)
_NUMBER_YEAR = re.compile(r"(\d+)\s*[/\\|]\s*(\d{4}|\d{2})?(?!\d)")
_COVER = re.compile(r"^(\d+)\s*[-/]\s*TP\s*/\s*HT\s*[-/]\s*(\d{4})(?:\s*[-/]\s*([A-ZĐ]+))?", re.I)


def _prepare(raw: str) -> tuple[str, list[str]]:
    text = _LABEL.sub("", clean_text(raw)).strip(" .,;:")
    fixed, changed = fix_digit_lookalikes(text, separators="/-. ")
    return fixed, (["ocr-digit-fixed"] if changed else [])


def _pad(number: str) -> str:
    """At least two digits, longer numbers as written ('1' → '01', '125' → '125')."""
    return number.zfill(2)


def _number_year(
    raw: str, number: str, year: str | None, year_hint: int | None, issues: list[str], prefix: str
) -> Normalised:
    score = 0.8 if "ocr-digit-fixed" in issues else 1.0
    if year is not None and len(year) == 2:
        if year_hint is not None and str(year_hint)[-2:] == year:
            year = str(year_hint)
            issues.append(f"{prefix}-year-2digit")
            score = min(score, 0.8)
        else:
            issues.append("year-2digit")
            return Normalised(raw, None, False, 0.0, tuple(issues))
    if year is None:
        if year_hint is None:
            issues.append(f"{prefix}-year-missing")
            return Normalised(raw, _pad(number), False, 0.3, tuple(issues))
        issues.append(f"{prefix}-year-derived")
        return Normalised(raw, f"{_pad(number)}/{year_hint}", True, min(score, 0.8), tuple(issues))
    if year_hint is not None and int(year) != year_hint:
        issues.append(f"{prefix}-year-mismatch")
        score = min(score, 0.7)
    return Normalised(raw, f"{_pad(number)}/{year}", True, score, tuple(dict.fromkeys(issues)))


def normalise_so(raw: str, year_hint: int | None = None) -> Normalised:
    """'1/2018', 'Số: 01 / 2018', 'O1/2018' → '01/2018'; a bare '01' + year_hint → '01/2018'.

    year_hint is the registration year (from ngayDangKy): it completes a missing year
    ('so-year-derived'), expands '01/18' ('so-year-2digit') and is checked ('so-year-mismatch').
    """
    if is_blank(raw):
        return empty_result(raw)
    text, issues = _prepare(raw)
    m = _NUMBER_YEAR.search(text)
    if m:
        if text[: m.start()].strip() or text[m.end() :].strip(" /"):
            issues.append("so-extra-text")
        return _number_year(raw, m.group(1), m.group(2), year_hint, issues, "so")
    if re.fullmatch(r"\d+", text):
        return _number_year(raw, text, None, year_hint, issues, "so")
    return Normalised(raw, None, False, 0.0, (*issues, "so-invalid"))


def normalise_quyen_so(raw: str, year_hint: int | None = None) -> Normalised:
    """'01/2015', '1/2015', '01-TP/HT-2015-CMC' → '01/2015'; bare '01' + year_hint → '01/<hint>'.

    year_hint is the year the book was opened (cover / ledger year).
    """
    if is_blank(raw):
        return empty_result(raw)
    text, issues = _prepare(raw)
    cover = _COVER.match(text)
    if cover:
        extra = {"suffix": cover.group(3).upper()} if cover.group(3) else {}
        result = _number_year(raw, cover.group(1), cover.group(2), year_hint, issues, "quyenso")
        return Normalised(
            raw,
            result.value,
            result.ok,
            min(result.score, 0.9),
            (*result.issues, "quyenso-cover-style"),
            (),
            extra,
        )
    m = _NUMBER_YEAR.search(text)
    if m:
        if text[: m.start()].strip() or text[m.end() :].strip(" /"):
            issues.append("so-extra-text")
        return _number_year(raw, m.group(1), m.group(2), year_hint, issues, "quyenso")
    if re.fullmatch(r"\d+", text):
        return _number_year(raw, text, None, year_hint, issues, "quyenso")
    return Normalised(raw, None, False, 0.0, (*issues, "so-invalid"))


def normalise_number(raw: str) -> Normalised:
    """trangSo / STT: 'Trang 055' → '55' (digits only, no leading zeros)."""
    if is_blank(raw):
        return empty_result(raw)
    text, issues = _prepare(raw)
    if not re.fullmatch(r"\d+", text):
        return Normalised(raw, None, False, 0.0, (*issues, "number-invalid"))
    return Normalised(raw, str(int(text)), True, 0.8 if issues else 1.0, tuple(issues))


def normalise_code(raw: str) -> Normalised:
    """Other codes (document numbers, quyết định số): cleaned text, leading zeros kept."""
    if is_blank(raw):
        return empty_result(raw)
    text = re.sub(r"\s*/\s*", "/", clean_text(raw)).strip(" .,;:")
    return Normalised(raw, text, True, 1.0)
