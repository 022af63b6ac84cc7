"""The audit trail: one event per upload, edit, confirmation and export."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.entities import AuditEvent


def record_event(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    user_id: int | None = None,
    ledger_id: str | None = None,
    data: dict[str, Any] | None = None,
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
