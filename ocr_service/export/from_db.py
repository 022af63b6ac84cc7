"""Exports of a stored ledger: records streamed from the database into the export writers."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.entities import DraftRecord, Ledger, Page, PageOcr, RecordStatus
from ocr_service.audit import record_event
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.errors import BadInput, NotFound, SohoaError
from ocr_service.export.bundle import write_book_zip
from ocr_service.export.containers import ExportField, ExportLedger, ExportRecord, PageLoader
from ocr_service.export.excel import write_ministry_xlsx
from ocr_service.export.naming import book_excel_name, book_stem, book_zip_name
from ocr_service.export.pagexml import page_xml
from ocr_service.export.tabular import write_export_csv, write_export_json
from ocr_service.export.training import write_training_set
from ocr_service.extract.containers import SPREAD_SIDES
from ocr_service.ocr.containers import OcrLine
from ocr_service.records.book_reading import require_book_number
from ocr_service.storage import get_storage

FORMATS = ("json", "csv", "xlsx", "zip", "pagexml", "training")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "pagexml": "application/zip",
    "training": "application/zip",
}
BATCH = 200
MINISTRY_FORMATS = ("xlsx", "zip")  # files named after the book (REGISTERS.md §8)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    filename: str
    media_type: str
    records: int


def export_ledger_meta(ledger: Ledger) -> ExportLedger:
    return ExportLedger(ledger.id, ledger.book_meta(), ledger.pages_total)


def to_export_record(record: DraftRecord, *, block_form: bool = False) -> ExportRecord:
    """The stored record for the exporters; on a block-form book, a record's `row` is the side
    of a spread it was read off (pipeline.sides)."""
    return ExportRecord(
        id=record.id,
        page=record.page,
        status=record.status,
        version=record.version,
        fields={
            f.code: ExportField(value=f.value, raw=f.raw, confidence=f.confidence, bbox=f.bbox)
            for f in record.fields
        },
        warnings=list(record.warnings or []),
        pages=list(record.pages or []),
        side=SPREAD_SIDES.get(record.row or 0) if block_form else None,
    )


def iter_records(
    settings: Settings, ledger_id: str, *, include_drafts: bool
) -> Iterator[ExportRecord]:
    """Records in book order, fetched a batch at a time: a big book never sits in memory."""
    last_seq = -1
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        block_form = ledger is not None and ledger.layout == "block"
    while True:
        with session_scope(settings) as session:
            query = (
                select(DraftRecord)
                .where(DraftRecord.ledger_id == ledger_id, DraftRecord.seq > last_seq)
                .order_by(DraftRecord.seq)
                .limit(BATCH)
                .options(selectinload(DraftRecord.fields))
            )
            if not include_drafts:
                query = query.where(DraftRecord.status == RecordStatus.confirmed)
            batch = [
                (r.seq, to_export_record(r, block_form=block_form)) for r in session.scalars(query)
            ]
        if not batch:
            return
        for seq, record in batch:
            last_seq = seq
            yield record


def page_loader(settings: Settings, ledger_id: str) -> PageLoader:
    storage = get_storage(settings)

    def load(page_no: int) -> bytes:
        with session_scope(settings) as session:
            page = session.scalar(
                select(Page).where(Page.ledger_id == ledger_id, Page.index == page_no)
            )
            if page is None:
                raise NotFound(f"ledger {ledger_id} has no page {page_no}")
            key = page.processed_key or page.image_key
        return storage.get_bytes(key)

    return load


def _page_xml_zip(settings: Settings, ledger: Ledger, out: Path) -> int:
    n = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        index = 0
        while True:
            with session_scope(settings) as session:
                rows = session.execute(
                    select(Page.index, PageOcr)
                    .join(PageOcr, PageOcr.page_id == Page.id)
                    .where(Page.ledger_id == ledger.id, Page.index > index)
                    .order_by(Page.index)
                    .limit(50)
                ).all()
                pages = [(i, o.width, o.height, o.lines) for i, o in rows]
            if not pages:
                return n
            for i, width, height, lines in pages:
                index = i
                image_name = f"page-{i:04d}.jpg"
                xml = page_xml(
                    i, image_name, width, height, [OcrLine.from_json(ln) for ln in lines]
                )
                zf.writestr(f"page-{i:04d}.xml", xml)
                n += 1


def _counted(
    records: Iterator[ExportRecord], report: Callable[[int], None]
) -> Iterator[ExportRecord]:
    for n, record in enumerate(records, start=1):
        yield record
        report(n)


def run_export(
    settings: Settings,
    ledger_id: str,
    fmt: str,
    *,
    include_drafts: bool = False,
    variant: str | None = None,
    user_id: int | None = None,
    out: Path | None = None,
    raw_csv: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write one export of a stored ledger and audit it. `raw_csv`: CSV values as they are,
    without the leading quote that keeps formula triggers from running in a spreadsheet.
    `progress` is called with the number of records read so far, after each record."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown export format {fmt!r}: use {', '.join(FORMATS)}")
    if raw_csv and fmt != "csv":
        raise BadInput("raw values are an option of the csv format only")
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        if ledger is None:
            raise NotFound(f"no ledger {ledger_id}")
        if fmt in MINISTRY_FORMATS:
            # Named after the quyển số: refused only when the book's own pages disagree on it.
            require_book_number(ledger)
        book = export_ledger_meta(ledger)
        session.expunge(ledger)
    records = iter_records(settings, ledger_id, include_drafts=include_drafts)
    if progress is not None:
        records = _counted(records, progress)
    if fmt == "xlsx":
        filename = book_excel_name(book)
    elif fmt == "zip":
        filename = book_zip_name(book)
    else:
        # Only the Ministry deliverables need the Ministry's naming (and so a commune).
        try:
            stem = book_stem(book)
        except SohoaError:
            stem = f"sohoa-{book.meta.register}-{ledger_id[:8]}"
        filename = f"{stem}.{fmt}.zip" if fmt in ("pagexml", "training") else f"{stem}.{fmt}"
    target = out
    if target is None:
        folder = Path(settings.data_dir) / "exports" / ledger_id
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix="." + fmt)
        __import__("os").close(fd)
        target = Path(tmp)
    try:
        if fmt == "json":
            count = write_export_json(book, records, target)
        elif fmt == "csv":
            count = write_export_csv(book, records, target, raw=raw_csv)
        elif fmt == "xlsx":
            count = write_ministry_xlsx(book, records, target, variant=variant)
        elif fmt == "zip":
            report = write_book_zip(
                book, records, page_loader(settings, ledger_id), target, variant=variant
            )
            count = len(report.pdf_names)
        elif fmt == "training":
            count = write_training_set(
                book, records, page_loader(settings, ledger_id), target, as_zip=True
            )
        else:
            count = _page_xml_zip(settings, ledger, target)
    except BaseException:
        if out is None:
            target.unlink(missing_ok=True)
        raise
    with session_scope(settings) as session:
        record_event(
            session,
            "ledger.export",
            "ledger",
            ledger_id,
            user_id=user_id,
            ledger_id=ledger_id,
            data={
                "format": fmt,
                "records": count,
                "include_drafts": include_drafts,
                **({"raw": True} if raw_csv else {}),  # an unsafe export is worth knowing of
            },
        )
    return ExportResult(target, filename, MEDIA_TYPES[fmt], count)
