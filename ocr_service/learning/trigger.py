"""When to train: after every N newly confirmed corrected fields in a scope; and the claim
that lets one training job at a time run for a scope (like a page's, jobs/state.py).

A corrected field is a field a clerk changed (`FieldValue.edited`) in a confirmed record.
The scope's row (`TrainScope`) keeps how many there were at its last training, whether a job
is queued, and the running job's claim token and lease.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.entities import (
    DraftRecord,
    FieldValue,
    Ledger,
    RecordStatus,
    ScopeKind,
    TrainScope,
)
from ocr_service.config import Settings
from ocr_service.jobs.state import now, rowcount
from ocr_service.learning.scopes import ScopeRef


def corrected_fields(session: Session, scope: ScopeRef) -> int:
    """Fields a clerk corrected in the scope's confirmed records."""
    query = (
        select(func.count())
        .select_from(FieldValue)
        .join(DraftRecord, FieldValue.record_id == DraftRecord.id)
        .where(FieldValue.edited.is_(True), DraftRecord.status == RecordStatus.confirmed)
    )
    if scope.kind == ScopeKind.ledger:
        query = query.where(DraftRecord.ledger_id == scope.key)
    elif scope.kind == ScopeKind.commune:
        query = query.join(Ledger, DraftRecord.ledger_id == Ledger.id).where(
            Ledger.commune == scope.key
        )
    return session.scalar(query) or 0


def train_scope_of(settings: Settings, ledger: Ledger) -> ScopeRef:
    """The scope a ledger's corrections train (SOHOA_TRAIN_SCOPE), a ledger without a commune
    training its own."""
    if settings.train_scope == "commune" and ledger.commune:
        return ScopeRef(ScopeKind.commune, ledger.commune)
    return ScopeRef(ScopeKind.ledger, ledger.id)


def _row(session: Session, scope: ScopeRef) -> TrainScope:
    row = session.get(TrainScope, (scope.kind.value, scope.key))
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = TrainScope(scope_kind=scope.kind, scope_key=scope.key, trained_fields=0)
            session.add(row)
    except IntegrityError:  # another request created it first
        row = session.get(TrainScope, (scope.kind.value, scope.key))
        assert row is not None
    return row


def due(session: Session, scope: ScopeRef, every: int) -> bool:
    """Mark the scope queued if `every` corrected fields came since its last training and no
    job is queued for it; True when the caller must now queue the job (after committing)."""
    count = corrected_fields(session, scope)
    row = _row(session, scope)
    if count - row.trained_fields < every:
        return False
    result = session.execute(
        update(TrainScope)
        .where(
            TrainScope.scope_kind == scope.kind,
            TrainScope.scope_key == scope.key,
            TrainScope.queued.is_(False),
        )
        .values(queued=True, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def due_after_confirm(session: Session, settings: Settings, ledger_id: str) -> ScopeRef | None:
    """After a record of the ledger was confirmed: the scope to queue a training job for."""
    ledger = session.get(Ledger, ledger_id)
    if ledger is None:
        return None
    scope = train_scope_of(settings, ledger)
    return scope if due(session, scope, settings.train_every) else None


@dataclass(frozen=True)
class TrainClaim:
    scope: ScopeRef
    token: str
    fields: int  # corrected fields in the scope when the job started


def claim(session: Session, scope: ScopeRef, lease_seconds: int) -> TrainClaim | None:
    """Take the scope's training: only one job per scope runs, a lapsed lease is taken over.
    Commits; None when another job holds it."""
    _row(session, scope)
    token = secrets.token_hex(8)
    t = now()
    result = session.execute(
        update(TrainScope)
        .where(
            TrainScope.scope_kind == scope.kind,
            TrainScope.scope_key == scope.key,
            or_(TrainScope.claim_token.is_(None), TrainScope.lease_until < t),
        )
        .values(
            claim_token=token,
            lease_until=t + timedelta(seconds=lease_seconds),
            queued=False,
            updated_at=t,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        session.rollback()
        # This job is dropped: the scope is no longer queued, so the running job's end (or
        # the next confirmation) queues another if corrections keep coming.
        session.execute(
            update(TrainScope)
            .where(TrainScope.scope_kind == scope.kind, TrainScope.scope_key == scope.key)
            .values(queued=False)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return None
    fields = corrected_fields(session, scope)
    session.commit()
    return TrainClaim(scope, token, fields)


def release(session: Session, held: TrainClaim, *, error: str | None = None) -> bool:
    """End the claim: the corrections it saw count as trained on. False if it was lost."""
    result = session.execute(
        update(TrainScope)
        .where(
            TrainScope.scope_kind == held.scope.kind,
            TrainScope.scope_key == held.scope.key,
            TrainScope.claim_token == held.token,
        )
        .values(
            claim_token=None,
            lease_until=None,
            trained_fields=held.fields,
            last_error=error[:2000] if error else None,
            updated_at=now(),
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def holds(session: Session, held: TrainClaim) -> bool:
    """Whether the claim is still this job's (checked before its results are written)."""
    token = session.scalar(
        select(TrainScope.claim_token).where(
            TrainScope.scope_kind == held.scope.kind, TrainScope.scope_key == held.scope.key
        )
    )
    return token == held.token


def queued_scopes(session: Session) -> list[ScopeRef]:
    """Scopes marked queued: at start-up their jobs may have been lost with the queue."""
    rows = session.execute(
        select(TrainScope.scope_kind, TrainScope.scope_key).where(TrainScope.queued.is_(True))
    ).all()
    return [ScopeRef(ScopeKind(kind), key) for kind, key in rows]
