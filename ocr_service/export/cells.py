"""Turn a record's normalised values into Ministry Excel cell text: codes, dd.mm.yyyy."""

from __future__ import annotations

import re
import unicodedata

from ocr_service.errors import BadInput
from ocr_service.export.containers import ExportLedger, ExportRecord
from ocr_service.export.spec import BOOK_FIELDS, DATE_RE, enum_code, field_spec

_DMY = re.compile(r"^(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{4})$")
_MY = re.compile(r"^(\d{1,2})[./\- ](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # Excel/XML cannot hold these
_TIME = re.compile(r"^(\d{1,2})\s*(?:[:hg]|giờ)\s*(\d{1,2})\s*(?:phút|p)?$", re.IGNORECASE)


def clean_text(value: str) -> str:
    """NFC, whitespace collapsed; the placeholders REGISTERS.md §6.1 forbids become empty."""
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", value)).split())
    if text in {"-", "null", "None"} or not text.strip(" ,"):
        return ""
    return text


def export_date(value: str) -> str | None:
    """dd.mm.yyyy / mm.yyyy / yyyy from an already normalised or lightly formatted date."""
    if DATE_RE.match(value):
        return value
    if m := _DMY.match(value):
        d, mo, y = int(m[1]), int(m[2]), m[3]
        out = f"{d:02d}.{mo:02d}.{y}"
    elif m := _ISO.match(value):
        out = f"{m[3]}.{m[2]}.{m[1]}"
    elif m := _MY.match(value):
        out = f"{int(m[1]):02d}.{m[2]}"
    else:
        return None
    return out if DATE_RE.match(out) else None


def title_case_words(value: str) -> str:
    """'ngày hai mươi bảy …' → 'Ngày Hai Mươi Bảy …' (export style of dates in words)."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in value.split(" "))


def excel_cell(register: str, code: str, value: str, *, strict: bool = True) -> str:
    """The text of one Excel cell for a field value, per the field's type in registers.json.

    strict: a value that cannot be put in the Ministry's form (enum label unknown to the code
    list, unreadable date) raises BadInput; otherwise it is written as it is.
    """
    text = clean_text(value)
    if not text:
        return ""
    ftype = field_spec(register, code).get("type")
    converted: str | None = text
    if ftype == "enum":
        converted = enum_code(register, code, text)
    elif ftype in ("date", "partial-date"):
        converted = export_date(text)
    elif ftype == "date-words":
        converted = title_case_words(text)
    elif ftype == "time":
        m = _TIME.match(text)
        converted = f"{int(m[1]):02d}:{int(m[2]):02d}" if m else text
    elif ftype == "id-number":
        converted = re.sub(r"[\s.]", "", text)
    if converted is None:
        if strict:
            raise BadInput(
                f"field {code} ({ftype}) holds a value the Ministry Excel cannot take; "
                "fix it in review or export with strict=False",
                code="export_value",
            )
        return text
    return converted


def record_values(ledger: ExportLedger, record: ExportRecord) -> dict[str, str]:
    """Normalised values of a record, with book metadata filling noiDangKy/noiCap/quyenSo."""
    values = {code: v for code in record.fields if (v := record.value(code)) is not None}
    book = ledger.meta
    book_values = {"noiDangKy": book.authority, "noiCap": book.authority, "quyenSo": book.book}
    for code in BOOK_FIELDS:
        fallback = book_values.get(code)
        if code not in values and fallback and field_spec(book.register, code):
            values[code] = fallback
    return values


def record_row(
    ledger: ExportLedger,
    record: ExportRecord,
    field_codes: list[str],
    row_number: int,
    *,
    strict: bool = True,
) -> list[str]:
    """The Excel cells of one record in header order (STT = row number; '' codes stay empty)."""
    values = record_values(ledger, record)
    row = []
    for code in field_codes:
        if code == "STT":
            row.append(str(row_number))
        elif code in values:
            try:
                row.append(excel_cell(ledger.meta.register, code, values[code], strict=strict))
            except BadInput as exc:
                raise BadInput(f"record {record.id}: {exc.message}", code=exc.code) from None
        else:
            row.append("")
    return row
