"""Draft records in the database: written by page jobs, checked per book, read by the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from models.entities import DraftRecord, FieldValue, Ledger, RecordStatus

if TYPE_CHECKING:
    from ocr_service.pipeline.page import PageInput

BOOK_RULES = ("sequence-gap", "duplicate-number")


def source_key(page: int, row: int | None) -> str:
    return f"p{page}" if row is None else f"p{page}r{row}"


def _band(confidence: float | None) -> str | None:
    try:
        from ocr_service.extract.confidence import band_for
    except ImportError:
        return None
    return band_for(confidence) if confidence is not None else None


def replace_page_records(session: Session, inp: PageInput, drafts: list[Any]) -> None:
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
            record.fields.append(
                FieldValue(
                    code=code,
                    value=fd.value,
                    raw=fd.raw,
                    confidence=fd.confidence,
                    band=_band(fd.confidence),
                    bbox=list(fd.bbox) if fd.bbox else None,
                    page=fd.page,
                    source=fd.source,
                    issues=list(fd.issues),
                    candidates=list(fd.candidates),
                )
            )
        session.add(record)
    for key, old in existing.items():
        if key not in keep and old.status == RecordStatus.draft and old.version == 1:
            session.delete(old)


def _warning_json(w: Any) -> dict[str, Any]:
    if isinstance(w, dict):
        return w
    return {"field": w.field, "rule": w.rule, "message": w.message}


def apply_book_rules(session: Session, ledger_id: str) -> int:
    """Numbering gaps and duplicates need the whole book: run them once all pages are read."""
    ledger = session.get(Ledger, ledger_id)
    if ledger is None:
        return 0
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
    try:
        from ocr_service.extract.rules import check_book
    except ImportError:
        return 0
    values = [{f.code: f.value for f in r.fields} for r in records]
    found = check_book(ledger.register, values)
    flagged = 0
    for i, record in enumerate(records):
        kept = [w for w in record.warnings or [] if w.get("rule") not in BOOK_RULES]
        new = [_warning_json(w) for w in found.get(i, [])]
        if new or len(kept) != len(record.warnings or []):
            record.warnings = kept + new
            flagged += bool(new)
    return flagged


def delete_ledger_records(session: Session, ledger_id: str) -> None:
    session.execute(delete(DraftRecord).where(DraftRecord.ledger_id == ledger_id))
