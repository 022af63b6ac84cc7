"""Places: text kept as written; province / district / commune derived into `extra` (§6.6)."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fold,
    fold_key,
    is_blank,
    strip_marks,
)
from ocr_service.extract.normalise.nationality import find_country
from ocr_service.extract.normalise.place_words import correct_place

# Province-level units abolished by mergers/splits before 2025 (and Thừa Thiên Huế, a tỉnh until
# 2025): vietnamadminunits only knows the latest names, but books use the name of their time.
HISTORICAL_PROVINCES = (
    "Hà Tây",
    "Hà Sơn Bình",
    "Hà Nam Ninh",
    "Nam Hà",
    "Hải Hưng",
    "Nghệ Tĩnh",
    "Bình Trị Thiên",
    "Nghĩa Bình",
    "Phú Khánh",
    "Thuận Hải",
    "Sông Bé",
    "Cửu Long",
    "Minh Hải",
    "Vĩnh Phú",
    "Hà Bắc",
    "Bắc Thái",
    "Hoàng Liên Sơn",
    "Hà Tuyên",
    "Cao Lạng",
    "Quảng Nam - Đà Nẵng",
    "Gia Lai - Kon Tum",
    "Thừa Thiên Huế",
)
_RESIDENCE = re.compile(
    r"^(?:noi\s+)?(?:(thuong tru|tam tru)|(hktt|dktt)|(kt3))\s*(?:tai|o)?\s*[:.\-]?\s*"
)
_PROVINCE_UNIT = re.compile(r"\b(tinh|thanh pho|tp)\W*$")
_WARD_UNIT = re.compile(r"\b(xa|phuong|thi tran|thon|xom|ap|ban|to|khu pho)\W*$")
_LOWER_UNIT = re.compile(r"\b(xa|phuong|thi tran|huyen|quan|thi xa|thon|xom|ap|ban|to|khu pho)\W*$")


def _fold_same_length(text: str) -> str:
    """Lower-case, accent-free text with exactly one character per input character."""
    return "".join((strip_marks(ch).lower() or ch)[:1] for ch in text)


@lru_cache(maxsize=4096)
def _parse_legacy(text: str) -> Any:
    from vietnamadminunits import parse_address

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse_address(text, mode="LEGACY")


@lru_cache(maxsize=4096)
def _province_2025(text: str) -> str | None:
    from vietnamadminunits import convert_address

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unit = convert_address(text)
    except Exception:  # the converter raises on addresses it cannot place; that is no error here
        return None
    return str(unit.province) if unit.province else None


def _historical_province(text: str) -> str | None:
    key = fold_key(text)
    last = fold_key(re.split(r"[,;]", text)[-1])
    for name in HISTORICAL_PROVINCES:
        name_key = fold_key(name)
        if f"tinh{name_key}" in key or last in (name_key, f"tinh{name_key}"):
            return f"Tỉnh {name}"
    return None


def _mentions(folded: str, short_name: str) -> list[str]:
    """The folded text just before each mention of a unit's short name."""
    name = fold(short_name)
    return [folded[: m.start()] for m in re.finditer(rf"\b{re.escape(name)}\b", folded)]


def _residence_prefix(text: str) -> tuple[str, str | None]:
    """Split 'Thường trú tại: thôn 3, …' into ('thôn 3, …', 'Thường trú')."""
    folded = _fold_same_length(text)
    m = _RESIDENCE.match(folded)
    if not m:
        return text, None
    kind = "Tạm trú" if (m.group(1) == "tam tru" or m.group(3)) else "Thường trú"
    rest = text[m.end() :].strip(" ,:")
    return (rest or text), kind


def clean_place(raw: str) -> str:
    """NFC, single spaces, ', ' after commas, no trailing punctuation; words kept as written."""
    text = clean_text(raw)
    text = re.sub(r"\s*,\s*", ", ", text)
    text = re.sub(r"(,\s*)+", ", ", text)
    return text.strip(" ,;.")


def repair_place(raw: str) -> str:
    """The place as read (cleaned), with the misreadings correct_place finds of unit and
    institution words, unit names and issuing authorities put right, a residence prefix kept
    ('Thường trú tại: xã Hạng Lung, …' → 'Thường trú tại: xã Hương Lung, …'); the cleaned text
    where it finds none. What the vi engine reads a place's crop again toward
    (extract/vocabulary.label_repairs); never a value by itself."""
    if is_blank(raw):
        return raw
    text = clean_place(raw)
    rest, _ = _residence_prefix(text)
    fixed, corrected = correct_place(rest)
    if not corrected:
        return text
    head = text[: len(text) - len(rest)] if text.endswith(rest) else ""
    return head + fixed


def normalise_place(raw: str) -> Normalised:
    """Place as written (cleaned) + derived units in extra; a repaired reading is a candidate.

    extra keys: province, province_code (63-province list, as vietnamadminunits names them),
    district / ward when the text names them, district_current / ward_current when the library
    only knows a later merged unit, province_2025 (34-province, non-export), country for places
    abroad, loaiCuTru when the text starts with 'Thường trú' / 'Tạm trú' (that prefix is removed
    from value). Lower score when no unit is recognised or the province is only inferred, and
    when OCR misreadings could be repaired toward known unit / institution words
    ('place-corrected': the repaired text is the one candidate, the value stays as written).
    """
    if is_blank(raw):
        return empty_result(raw)
    text = clean_place(raw)
    text, residence = _residence_prefix(text)
    extra: dict[str, str] = {}
    if residence:
        extra["loaiCuTru"] = residence
    issues: list[str] = []
    country = find_country(text)
    if country and country != "Việt Nam":
        extra["country"] = country
        return Normalised(raw, text, True, 0.9, (), (), extra)
    # OCR misreadings of unit words, institution words and real unit names ('tình Phủ Thọ')
    # are matched to the closed vocabulary. The book's text stays the value (tôn trọng sổ
    # gốc); the repaired wording is a suggestion for the clerk (issue, lower score, candidate),
    # and only the units derived into `extra` are read from it.
    suggested, corrected = correct_place(text)
    candidates = (suggested,) if corrected else ()
    if corrected:
        issues.append("place-corrected")
    historical = _historical_province(suggested)
    unit = _parse_legacy(suggested)
    folded = _fold_same_length(suggested)
    score = 1.0
    if historical:
        extra["province"] = historical
        issues.append("province-historical")
        if unit.province:
            extra["province_current"] = str(unit.province)
    elif unit.province:
        before = _mentions(folded, unit.short_province)
        explicit = any(_PROVINCE_UNIT.search(b) for b in before)
        if before:
            misread = all(_LOWER_UNIT.search(b) for b in before) and not unit.district
        else:
            # Province inferred from a district name only: wrong when that name follows a
            # commune word ('xã Đông Hưng' is a commune, not the district Đông Hưng).
            district_before = _mentions(folded, unit.short_district or "")
            misread = not district_before or all(_WARD_UNIT.search(b) for b in district_before)
        if misread:
            # 'Trạm y tế xã Hòa Bình' names a commune, not the province Hòa Bình.
            unit = None
        else:
            extra["province"] = str(unit.province)
            extra["province_code"] = str(unit.province_code)
            if not explicit:
                issues.append("province-inferred")
                score = 0.8
    if unit is not None and unit.province:
        for level, short in (("district", unit.short_district), ("ward", unit.short_ward)):
            full = getattr(unit, level)
            if not full:
                continue
            key = "" if _mentions(folded, short) else "_current"
            extra[level + key] = str(full)
        modern = _province_2025(suggested)
        if modern:
            extra["province_2025"] = modern
    if "province" not in extra:
        issues.append("place-unit-unknown")
        score = 0.5
    if corrected:
        score = round(score - 0.1, 3)
    return Normalised(raw, text, True, score, tuple(issues), candidates, extra)
