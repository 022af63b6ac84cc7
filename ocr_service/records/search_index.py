"""Keeps each record's name keys (RecordNameKey) in step with its fields, on every flush.

A listener rather than calls in each writer: extraction (store.replace_page_records), a clerk's
PATCH, book passes (prefill, derived values) and test factories all write FieldValue rows; the
index follows whichever wrote, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from models.entities import DraftRecord, FieldValue, RecordNameKey
from ocr_service.records.search_keys import NameKey, name_keys

_WATCHED = ("code", "value")


def _changed(fv: FieldValue) -> bool:
    attrs = inspect(fv).attrs
    return any(attrs[name].history.has_changes() for name in _WATCHED)


def _touched(session: Session) -> set[DraftRecord]:
    records: set[DraftRecord] = set()
    for obj in session.new:
        if isinstance(obj, DraftRecord):
            records.add(obj)
        elif isinstance(obj, FieldValue) and obj.record is not None:
            records.add(obj.record)
    for obj in session.dirty:
        if isinstance(obj, FieldValue) and obj.record is not None and _changed(obj):
            records.add(obj.record)
    for obj in session.deleted:
        if isinstance(obj, FieldValue) and obj.record is not None:
            records.add(obj.record)
    return {r for r in records if r not in session.deleted}


def _stored(row: RecordNameKey) -> NameKey:
    return NameKey(row.code, row.key, row.birth_year, row.birth_date)


def refresh_name_keys(record: DraftRecord, gone: set[FieldValue] | None = None) -> None:
    """Replace the record's name keys with those of its fields now (no-op when unchanged);
    `gone`: fields being deleted in this flush."""
    wanted = name_keys({f.code: f.value for f in record.fields if f not in (gone or set())})
    if [_stored(row) for row in record.name_keys] == wanted:
        return
    record.name_keys = [
        RecordNameKey(code=k.code, key=k.key, birth_year=k.birth_year, birth_date=k.birth_date)
        for k in wanted
    ]


@event.listens_for(Session, "before_flush")
def _refresh_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    records = _touched(session)
    if not records:
        return
    gone = {obj for obj in session.deleted if isinstance(obj, FieldValue)}
    for record in records:
        refresh_name_keys(record, gone)
