"""Export of a book: Ministry Excel, per-record PDFs and zip, JSON/CSV, PAGE XML, training crops."""

from __future__ import annotations

from ocr_service.export.bundle import BundleReport, write_book_zip
from ocr_service.export.containers import ExportField, ExportLedger, ExportRecord, PageLoader
from ocr_service.export.excel import (
    MinistryWorkbook,
    iter_ministry_xlsx,
    read_ministry_xlsx,
    write_ministry_xlsx,
)
from ocr_service.export.naming import (
    RecordNamer,
    book_excel_name,
    book_stem,
    book_zip_name,
    cover_pdf_name,
    record_pdf_name,
)
from ocr_service.export.pagexml import page_xml, validate_page_xml
from ocr_service.export.pdf import images_to_pdf, record_pdf
from ocr_service.export.tabular import (
    iter_export_csv,
    iter_export_json,
    write_export_csv,
    write_export_json,
)
from ocr_service.export.training import write_training_set

__all__ = [
    "BundleReport",
    "ExportField",
    "ExportLedger",
    "ExportRecord",
    "MinistryWorkbook",
    "PageLoader",
    "RecordNamer",
    "book_excel_name",
    "book_stem",
    "book_zip_name",
    "cover_pdf_name",
    "images_to_pdf",
    "iter_export_csv",
    "iter_export_json",
    "iter_ministry_xlsx",
    "page_xml",
    "read_ministry_xlsx",
    "record_pdf",
    "record_pdf_name",
    "validate_page_xml",
    "write_book_zip",
    "write_export_csv",
    "write_export_json",
    "write_ministry_xlsx",
    "write_training_set",
]
