"""Draft records in the database: written by page jobs, checked per book, read by the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from models.entities import DraftRecord, FieldValue, RecordStatus
from models.json_types import WarningJson

if TYPE_CHECKING:
    from ocr_service.extract.containers import FieldDraft, RecordDraft, RecordWarning
    from ocr_service.ocr.containers import BBox
    from ocr_service.pipeline.page import PageInput


def source_key(page: int, row: int | None) -> str:
    return f"p{page}" if row is None else f"p{page}r{row}"


def field_value(code: str, fd: FieldDraft, default_page: int | None = None) -> FieldValue:
    """A stored field from extraction's FieldDraft (its page, else `default_page`)."""
    return FieldValue(
        code=code,
        value=fd.value,
        raw=fd.raw,
        confidence=fd.confidence,
        band=fd.band or None,
        bbox=list(fd.bbox) if fd.bbox else None,
        page=fd.page or default_page,
        source=fd.source,
        issues=list(fd.issues),
        candidates=list(fd.candidates),
    )


def replace_page_records(session: Session, inp: PageInput, drafts: list[RecordDraft]) -> None:
    """Store the drafts read off one page, replacing an earlier run's unreviewed drafts.

    A record a clerk already touched (confirmed, flagged, or edited) is never overwritten by a
    re-run: the book's reviewed state wins over the machine.
    """
    existing = {
        r.source_key: r
        for r in session.scalars(
            select(DraftRecord).where(
                DraftRecord.ledger_id == inp.ledger_id, DraftRecord.page == inp.index
            )
        )
    }
    keep = set()
    for draft in drafts:
        key = source_key(inp.index, draft.row)
        keep.add(key)
        old = existing.get(key)
        if old is not None:
            if old.status != RecordStatus.draft or old.version > 1:
                continue
            session.delete(old)
            session.flush()
        record = DraftRecord(
            ledger_id=inp.ledger_id,
            source_key=key,
            page=inp.index,
            row=draft.row,
            pages=list(draft.pages or [inp.index]),
            seq=inp.index * 1000 + (draft.row or 0),
            warnings=[_warning_json(w) for w in draft.warnings],
        )
        for code, fd in draft.fields.items():
            record.fields.append(field_value(code, fd))
        session.add(record)
    for key, old in existing.items():
        if key not in keep and old.status == RecordStatus.draft and old.version == 1:
            session.delete(old)


def _warning_json(w: RecordWarning, scope: str | None = None) -> WarningJson:
    d = w.to_json()
    if scope:
        d["scope"] = scope
    return d


def _bbox(stored: list[int] | None) -> BBox | None:
    if not stored:
        return None
    x0, y0, x1, y1 = stored
    return x0, y0, x1, y1


def as_draft(record: DraftRecord) -> RecordDraft:
    """The stored record as extraction's RecordDraft, so the same rules run on edited records."""
    from ocr_service.extract.containers import FieldDraft, RecordDraft

    return RecordDraft(
        page=record.page,
        row=record.row,
        pages=list(record.pages or []),
        fields={
            f.code: FieldDraft(
                code=f.code,
                raw=f.raw or "",
                value=f.value,
                confidence=f.confidence or 0.0,
                bbox=_bbox(f.bbox),
                page=f.page,
                source=f.source if f.source != "clerk" else "ocr",  # type: ignore[arg-type]
                issues=list(f.issues or []),
                candidates=list(f.candidates or []),
            )
            for f in record.fields
        },
    )


def recheck_record(record: DraftRecord, register: str) -> None:
    """Re-run the per-record rules (after an edit); book-level warnings stay until the next pass."""
    from ocr_service.extract.rules import check_record

    book = [w for w in record.warnings or [] if w.get("scope") == "book"]
    kept = [w for w in record.warnings or [] if w.get("rule") == "review-rejected"]
    record.warnings = [_warning_json(w) for w in check_record(register, as_draft(record))] + [
        *kept,
        *book,
    ]


def _prefill_sequence(records: list[DraftRecord], drafts: list[RecordDraft]) -> None:
    """Suggest an unread `so` from its neighbours (a clerk confirms it like any field)."""
    from ocr_service.extract.prefill import prefill_sequence

    prefill_sequence(drafts)
    for record, draft in zip(records, drafts, strict=True):
        proposed = draft.fields.get("so")
        if proposed is None or proposed.source != "prefill" or record.status != "draft":
            continue
        current = next((f for f in record.fields if f.code == "so"), None)
        if current is not None and (current.value or current.edited):
            continue
        if current is None:
            current = FieldValue(code="so", raw=proposed.raw, bbox=None, page=record.page)
            record.fields.append(current)
        current.value = proposed.value
        current.source = "prefill"
        current.confidence = proposed.confidence
        current.band = "check"
        current.issues = list(proposed.issues)
        current.candidates = []


def apply_book_rules(session: Session, ledger_id: str) -> int:
    """Numbering gaps and duplicates need the whole book: run them once all pages are read."""
    from ocr_service.extract.rules import check_book

    records = list(
        session.scalars(
            select(DraftRecord)
            .where(DraftRecord.ledger_id == ledger_id)
            .order_by(DraftRecord.seq)
            .options(selectinload(DraftRecord.fields))
        )
    )
    if not records:
        return 0
    drafts = [as_draft(r) for r in records]
    _prefill_sequence(records, drafts)
    found = check_book(drafts)
    flagged = 0
    for i, record in enumerate(records):
        kept = [w for w in record.warnings or [] if w.get("scope") != "book"]
        new = [_warning_json(w, "book") for w in found.get(i, [])]
        if new or len(kept) != len(record.warnings or []):
            record.warnings = kept + new
            flagged += bool(new)
    return flagged


def delete_ledger_records(session: Session, ledger_id: str) -> None:
    session.execute(delete(DraftRecord).where(DraftRecord.ledger_id == ledger_id))
