"""Vietnamese value normalisers: field text as read → export value + issues, by field type."""

from __future__ import annotations

import re

from ocr_service.extract.normalise.base import (
    ISSUES,
    Normalised,
    field_spec,
    fold,
    fold_key,
    tone_key,
)
from ocr_service.extract.normalise.codes import (
    normalise_code,
    normalise_number,
    normalise_quyen_so,
    normalise_so,
)
from ocr_service.extract.normalise.date_words import (
    correct_date_words,
    format_date_words,
    parse_date_words,
)
from ocr_service.extract.normalise.dates import date_words_agree, normalise_date
from ocr_service.extract.normalise.enums import (
    document_type,
    enum_code,
    normalise_code_list,
    normalise_enum,
    normalise_gender,
    residence_type,
)
from ocr_service.extract.normalise.ethnicity import normalise_ethnicity
from ocr_service.extract.normalise.ids import normalise_id_number
from ocr_service.extract.normalise.names import names_equal, normalise_name
from ocr_service.extract.normalise.nationality import normalise_nationality
from ocr_service.extract.normalise.places import normalise_place
from ocr_service.extract.normalise.text import normalise_text, normalise_time

__all__ = [
    "ISSUES",
    "Normalised",
    "correct_date_words",
    "date_words_agree",
    "document_type",
    "enum_code",
    "fold",
    "fold_key",
    "format_date_words",
    "names_equal",
    "normalise_code",
    "normalise_code_list",
    "normalise_date",
    "normalise_date_words_field",
    "normalise_enum",
    "normalise_ethnicity",
    "normalise_field",
    "normalise_gender",
    "normalise_id_number",
    "normalise_name",
    "normalise_nationality",
    "normalise_number",
    "normalise_place",
    "normalise_quyen_so",
    "normalise_so",
    "normalise_text",
    "normalise_time",
    "parse_date_words",
    "residence_type",
    "tone_key",
]


def normalise_date_words_field(raw: str) -> Normalised:
    """A date-words field: value = the words as read in Title Case; extra['date'] = their date.

    OCR misreadings of date words ('Thăng', 'Thángmười', 'mười' for 'mươi') are matched to the
    vocabulary; when the matched words parse as a date they are a suggestion for the clerk
    (the one candidate, issue 'date-words-corrected', score 0.1 lower) and give extra['date'],
    while the value stays the book's words as read (tôn trọng sổ gốc).
    """
    parsed = parse_date_words(raw)
    value = format_date_words(raw) or None
    candidates = parsed.candidates
    corrected = correct_date_words(raw)
    if corrected is not None:
        fixed = parse_date_words(corrected)
        # The snapped words are read whole; the raw reading may have parsed by dropping or
        # fuzzily matching a damaged word ('mườiba' read as 'mười'), so their date wins.
        if fixed.value is not None:
            parsed = Normalised(
                raw,
                fixed.value,
                fixed.ok,
                round(max(0.0, fixed.score - 0.1), 3),
                (*fixed.issues, "date-words-corrected"),
                fixed.candidates,
            )
            candidates = (corrected,)
    extra = {"date": parsed.value} if parsed.value else {}
    return Normalised(raw, value, parsed.ok, parsed.score, parsed.issues, candidates, extra)


def _id_kind(code: str) -> str | None:
    return "dinh-danh" if "DinhDanh" in code else None


def _province_of_place(raw: str) -> Normalised:
    """nksNoiSinhDVHC: the province-level unit of a place (given the place or the province)."""
    place = normalise_place(raw)
    province = place.extra.get("province") or place.extra.get("country")
    if not province:
        return Normalised(raw, None, False, 0.0, place.issues or ("place-unit-unknown",))
    return Normalised(raw, province, True, place.score, place.issues, (), place.extra)


def normalise_field(
    register: str, code: str, raw: str, *, year_hint: int | None = None
) -> Normalised:
    """Normalise one field by its type in registers.json (register slug, Excel column code).

    year_hint: registration year for `so` (book year for `quyenSo`) when the caller knows it.
    """
    spec = field_spec(register, code)
    ftype = spec.get("type", "text")
    if ftype == "date":
        return normalise_date(raw, partial=False)
    if ftype == "partial-date":
        return normalise_date(raw, partial=True)
    if ftype == "date-words":
        return normalise_date_words_field(raw)
    if ftype == "name":
        return normalise_name(raw)
    if ftype == "enum":
        return normalise_enum(register, code, raw)
    if ftype == "list":
        if spec.get("list") == "ethnic_groups":
            return normalise_ethnicity(raw)
        return normalise_nationality(raw)
    if ftype == "place":
        if code.endswith("DVHC"):
            return _province_of_place(raw)
        return normalise_place(raw)
    if ftype == "id-number":
        return normalise_id_number(raw, _id_kind(code))
    if ftype == "code":
        if code == "so":
            return normalise_so(raw, year_hint)
        if code == "quyenSo":
            return normalise_quyen_so(raw, year_hint)
        return normalise_code(raw)
    if ftype == "number":
        return normalise_number(raw)
    if ftype == "time":
        return normalise_time(raw)
    text = normalise_text(raw)
    if text.value is not None and re.fullmatch(r"[\s,;.\-]*", text.value):
        return Normalised(raw, None, False, 0.0, ("empty",))
    return text
