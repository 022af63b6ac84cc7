"""File names of a book's delivery (REGISTERS.md §8): record PDFs, cover PDF, Excel and zip stem."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from ocr_service.errors import BadInput, Conflict
from ocr_service.export.containers import ExportLedger, ExportRecord
from ocr_service.export.spec import DATE_RE, type_code

PAPER_SIZES = ("A0", "A1", "A2", "A3", "A4")
_QUYEN_SO = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{4})\s*$")
# Cover style of TT 15/2015: '01-TP/HT-2015-CMC' → volume 01, book year 2015.
_QUYEN_SO_COVER = re.compile(r"^\s*(\d{1,3})-TP/HT-(\d{4})(?:-[A-Z]+)?\s*$", re.IGNORECASE)
_SO = re.compile(r"^\s*0*(\d{1,5})\s*(?:/\s*\d{4})?\s*$")


def ascii_fold(text: str) -> str:
    """Lower case, diacritics removed, đ→d (AppUtils.replaceNonEnglishChar)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()


def initials(name: str) -> str:
    """'Huyện Bình Đại' → 'hbd': first letter of every word, unit word included."""
    words = re.findall(r"[0-9a-z]+", ascii_fold(name))
    return "".join(w[0] for w in words)


def split_quyen_so(quyen_so: str | None) -> tuple[str, str]:
    """('2015', '01') from '01/2015' or '01-TP/HT-2015-CMC'; BadInput when it is neither."""
    m = _QUYEN_SO.match(quyen_so or "") or _QUYEN_SO_COVER.match(quyen_so or "")
    if not m:
        raise BadInput(
            f"quyển số {quyen_so!r} is not '<volume>/<yyyy>': the file name needs the book's "
            "year and volume",
            code="export_name",
        )
    return m[2], f"{int(m[1]):02d}"


def ward_code(ledger: ExportLedger) -> str:
    """The configured ward code, else the commune name folded ('Xã Lộc Thuận' → 'xa_loc_thuan')."""
    if ledger.ward_code and ledger.ward_code.strip():
        return ledger.ward_code.strip()
    commune = ledger.meta.commune
    if commune and commune.strip():
        return "_".join(re.findall(r"[0-9a-z]+", ascii_fold(commune)))
    raise BadInput("the book has neither a ward code nor a commune: cannot name the export")


def record_pdf_name(register: str, values: dict[str, str], *, record_id: str = "?") -> str:
    """`<TYPE>.<bookYear>.<volume>.<yyyy-mm-dd>.<NNN>.pdf`, e.g. KH.2007.01.2013-07-09.004.pdf.

    values: the record's normalised values (quyenSo, ngayDangKy, so). Missing or malformed
    parts raise BadInput naming the record and the field: there is no fallback name, because
    the Ministry matches each PDF to its Excel row by these parts.
    """
    book_year, volume = _record_book(values, record_id)
    ngay = values.get("ngayDangKy", "").strip()
    if not DATE_RE.match(ngay) or len(ngay) != 10:
        raise BadInput(
            f"record {record_id}: ngayDangKy {'missing' if not ngay else 'is not dd.mm.yyyy'}: "
            "the PDF name needs the full registration date",
            code="export_name",
        )
    dd, mm, yyyy = ngay.split(".")
    so = values.get("so", "")
    m = _SO.match(so)
    if not m:
        raise BadInput(
            f"record {record_id}: số {'missing' if not so else 'is not a number'}: "
            "the PDF name needs the registration number",
            code="export_name",
        )
    return f"{type_code(register)}.{book_year}.{volume}.{yyyy}-{mm}-{dd}.{int(m[1]):03d}.pdf"


def _record_book(values: dict[str, str], record_id: str) -> tuple[str, str]:
    try:
        return split_quyen_so(values.get("quyenSo"))
    except BadInput as exc:
        raise BadInput(f"record {record_id}: {exc.message}", code=exc.code) from None


def book_stem(ledger: ExportLedger) -> str:
    """`<ward code without '_'>_<district initials>_<province initials>.<TYPE>.<year>.<volume>`.

    Fallback: a missing district or province is left out with its '_' (the ward part is
    required); e.g. 'xalocthuan_hbd_tbt.CMC.2006.01' or 'xalocthuan.CMC.2006.01'.
    """
    year, volume = split_quyen_so(ledger.meta.book)
    parts = [ward_code(ledger).replace("_", "")]
    parts += [initials(p) for p in (ledger.district, ledger.province) if p and initials(p)]
    return f"{'_'.join(parts)}.{type_code(ledger.meta.register)}.{year}.{volume}"


def book_excel_name(ledger: ExportLedger) -> str:
    """e.g. xalocthuan_hbd_tbt.CMC.2006.01.xlsx"""
    return book_stem(ledger) + ".xlsx"


def book_zip_name(ledger: ExportLedger) -> str:
    """Same stem as the Excel file + '.zip'."""
    return book_stem(ledger) + ".zip"


def cover_pdf_name(ledger: ExportLedger, paper_size: str = "A4") -> str:
    """`Cover.<wardCode>.<TYPE>.<paperSize>.<bookYear>.<volume>.pdf`."""
    if paper_size not in PAPER_SIZES:
        raise BadInput(f"paper size {paper_size!r} is not one of {', '.join(PAPER_SIZES)}")
    year, volume = split_quyen_so(ledger.meta.book)
    code = type_code(ledger.meta.register)
    return f"Cover.{ward_code(ledger)}.{code}.{paper_size}.{year}.{volume}.pdf"


class RecordNamer:
    """Names record PDFs of one book and keeps them unique within it.

    on_clash='error' (default) raises Conflict naming both records, as the Ministry's server
    refuses a duplicate name and QA rule duplicate-number is an error. on_clash='suffix' names
    the later record '<name>_2.pdf', '_3' … (for draft exports; such a package needs review).
    """

    def __init__(self, register: str, on_clash: Literal["error", "suffix"] = "error") -> None:
        self.register = register
        self.on_clash = on_clash
        self._used: dict[str, str] = {}

    def name(self, record: ExportRecord, values: dict[str, str]) -> str:
        name = record_pdf_name(self.register, values, record_id=record.id)
        if name in self._used:
            if self.on_clash == "error":
                raise Conflict(
                    f"records {self._used[name]} and {record.id} both name their PDF {name} "
                    "(same number and date in the book): resolve the duplicate in review"
                )
            stem = name.removesuffix(".pdf")
            n = 2
            while f"{stem}_{n}.pdf" in self._used:
                n += 1
            name = f"{stem}_{n}.pdf"
        self._used[name] = record.id
        return name
