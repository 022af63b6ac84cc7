"""The audit trail: one event per upload, edit, confirmation and export."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.entities import AuditEvent
from models.json_types import JsonObject


def record_event(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    user_id: int | None = None,
    ledger_id: str | None = None,
    data: JsonObject | None = None,  # what happened, per action: open-ended
) -> AuditEvent:
    event = AuditEvent(
        user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        ledger_id=ledger_id,
        data=data or {},
    )
    session.add(event)
    return event
