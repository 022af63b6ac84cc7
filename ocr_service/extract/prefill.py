"""Pre-fill what the ledger already knows or the sequence predicts; suggestions stay visible."""

from __future__ import annotations

import re
from collections.abc import Sequence

from models.book import BookMeta
from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.rules import parse_date_value, parse_so
from ocr_service.extract.spec import field_specs

# Defaults offered as low-confidence suggestions for an unread field of a present person.
DEFAULT_SUGGESTIONS = {"QuocTich": "Việt Nam", "DanToc": "Kinh"}
BOOK_CONFIDENCE = 1.0


def _empty(rec: RecordDraft, code: str) -> bool:
    f = rec.fields.get(code)
    return f is None or not (f.value or "").strip()


def _book_field(code: str, raw: str, value: str | None, page: int) -> FieldDraft:
    return FieldDraft(
        code=code, raw=raw, value=value, confidence=BOOK_CONFIDENCE, page=page, source="book"
    )


def prefill_from_ledger(
    register: str, rec: RecordDraft, ledger: BookMeta, quyen_value: str | None
) -> None:
    """quyenSo and noiDangKy (noiCap for HN) from the ledger when the page did not give them."""
    specs = field_specs(register)
    if "quyenSo" in specs and quyen_value and _empty(rec, "quyenSo"):
        read = rec.fields.get("quyenSo")
        f = _book_field("quyenSo", ledger.book or "", quyen_value, rec.page)
        if read is not None and read.raw.strip():
            f.issues.append("page-unreadable")
            f.raw = read.raw
            f.bbox = read.bbox
        rec.fields["quyenSo"] = f
    place_code = "noiDangKy" if "noiDangKy" in specs else "noiCap" if "noiCap" in specs else None
    if place_code and ledger.authority and _empty(rec, place_code):
        rec.fields[place_code] = _book_field(
            place_code, ledger.authority, ledger.authority, rec.page
        )


def complete_so_year(rec: RecordDraft, ledger: BookMeta) -> None:
    """A number read without its year ('15') gets '/yyyy' from ngayDangKy, else the ledger year."""
    f = rec.fields.get("so")
    if f is None:
        return
    text = (f.value or f.raw or "").strip()
    m = re.fullmatch(r"(?:s[oố]\s*:?\s*)?0*(\d{1,4})\s*/?", text, flags=re.IGNORECASE)
    if not m:
        return
    reg = parse_date_value(rec.value("ngayDangKy"))
    year = reg[0] if reg else ledger.year
    if year is None:
        return
    f.value = f"{int(m.group(1)):02d}/{year}"
    if "so-year-derived" not in f.issues:
        f.issues.append("so-year-derived")
    f.issues = [i for i in f.issues if i not in ("so-year-missing", "so-invalid")]


def prefill_sequence(records: Sequence[RecordDraft]) -> None:
    """An unread `so` is suggested as the previous record's number + 1 (same year)."""
    prev: tuple[int, int] | None = None
    for rec in records:
        so = parse_so(rec.value("so"))
        if so is not None:
            prev = so
            continue
        if prev is None:
            continue
        n, year = prev[0] + 1, prev[1]
        read = rec.fields.get("so")
        rec.fields["so"] = FieldDraft(
            code="so",
            raw=read.raw if read else "",
            value=f"{n:02d}/{year}",
            confidence=0.5,
            bbox=read.bbox if read else None,
            page=rec.page,
            source="prefill",
            issues=["so-from-sequence"],
        )
        prev = (n, year)


def _person_present(rec: RecordDraft, prefix: str) -> bool:
    return not _empty(rec, prefix + "HoTen")


def prefill_defaults(register: str, rec: RecordDraft) -> None:
    """Việt Nam / Kinh for an unread nationality / ethnicity of a person the page names."""
    for code in field_specs(register):
        for suffix, default in DEFAULT_SUGGESTIONS.items():
            if not code.endswith(suffix) or not _empty(rec, code):
                continue
            prefix = code[: -len(suffix)]
            if not _person_present(rec, prefix):
                continue
            read = rec.fields.get(code)
            if read is not None and read.raw.strip():
                continue  # something was read: the clerk fixes it, no silent default
            rec.fields[code] = FieldDraft(
                code=code,
                raw="",
                value=default,
                confidence=0.5,
                bbox=read.bbox if read else None,
                page=rec.page,
                source="prefill",
                issues=["default-suggestion"],
            )
