"""Zip per book: the Ministry Excel + one PDF per record (+ cover) at the zip root, streamed."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from ocr_service.export.cells import record_values
from ocr_service.export.containers import ExportLedger, ExportRecord, PageLoader
from ocr_service.export.excel import MinistryWorkbook
from ocr_service.export.naming import RecordNamer, book_excel_name, cover_pdf_name
from ocr_service.export.pdf import TARGET_BYTES, images_to_pdf, record_pdf


@dataclass
class BundleReport:
    """What went into a book's zip."""

    excel_name: str
    pdf_names: list[str] = field(default_factory=list)
    cover_name: str | None = None
    pdf_bytes: int = 0
    pdf_pages: int = 0


def write_book_zip(
    ledger: ExportLedger,
    records: Iterable[ExportRecord],
    load_page: PageLoader,
    out: IO[bytes] | Path | str,
    *,
    cover_image: bytes | None = None,
    cover_paper_size: str = "A4",
    variant: str | None = None,
    strict: bool = True,
    on_clash: Literal["error", "suffix"] = "error",
    target_bytes: int = TARGET_BYTES,
) -> BundleReport:
    """Write the book's delivery zip in one pass over `records`.

    Each record's PDF is written as its own zip entry as soon as it is made, while its Excel row
    goes to a write-only workbook; the workbook is added last. PDFs and the Excel are already
    compressed, so entries are stored, not deflated. Names follow REGISTERS.md §8; a record
    that cannot be named (missing số/ngày đăng ký/quyển số) raises BadInput, a duplicate name
    raises Conflict (see RecordNamer), and the partial zip is not left behind at `out` paths.
    """
    report = BundleReport(excel_name=book_excel_name(ledger))
    namer = RecordNamer(ledger.meta.register, on_clash)
    book = MinistryWorkbook(ledger, variant=variant, strict=strict)
    path = Path(out) if isinstance(out, str | Path) else None
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            if cover_image is not None:
                report.cover_name = cover_pdf_name(ledger, cover_paper_size)
                cover = images_to_pdf([cover_image], target_bytes=target_bytes)
                zf.writestr(report.cover_name, cover)
            for record in records:
                name = namer.name(record, record_values(ledger, record))
                book.add(record)
                pages = record.page_numbers()
                pdf = record_pdf(pages, load_page, target_bytes=target_bytes)
                zf.writestr(name, pdf)
                report.pdf_names.append(name)
                report.pdf_bytes += len(pdf)
                report.pdf_pages += len(pages)
            with tempfile.TemporaryFile() as tmp:
                book.save(tmp)
                tmp.seek(0)
                with zf.open(report.excel_name, "w", force_zip64=True) as entry:
                    shutil.copyfileobj(tmp, entry, 1 << 20)
    except BaseException:
        book.discard()
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return report
