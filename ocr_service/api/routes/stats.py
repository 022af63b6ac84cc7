"""Progress for the dashboard: per commune and register, per day, per clerk."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select

from models.entities import AuditEvent, DraftRecord, Ledger, RecordStatus, User
from models.schemas import CommuneStats, DayStats, Stats, UserStats
from ocr_service.api.deps import CurrentUser, SessionDep

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=Stats)
def read_stats(session: SessionDep, user: CurrentUser) -> Stats:
    scope = []
    if user.role != "admin" and user.commune:
        scope.append(Ledger.commune == user.commune)
    by_commune: dict[tuple[str | None, str], CommuneStats] = {}
    rows = session.execute(
        select(Ledger.commune, Ledger.register, DraftRecord.status, func.count())
        .join(DraftRecord, DraftRecord.ledger_id == Ledger.id)
        .where(*scope)
        .group_by(Ledger.commune, Ledger.register, DraftRecord.status)
    ).all()
    ledgers = session.execute(
        select(Ledger.commune, Ledger.register, func.count())
        .where(*scope)
        .group_by(Ledger.commune, Ledger.register)
    ).all()
    for commune, register, count in ledgers:
        by_commune[(commune, register)] = CommuneStats(
            commune=commune, register_=register, ledgers=count
        )
    for commune, register, status, count in rows:
        entry = by_commune[(commune, register)]
        if status == RecordStatus.draft:
            entry.draft += count
        elif status == RecordStatus.confirmed:
            entry.confirmed += count
        elif status == RecordStatus.flagged:
            entry.flagged += count
        entry.records += count
    # date() exists in SQLite (returns text) and PostgreSQL (returns a date): str() both.
    day = func.date(AuditEvent.at)
    ledger_scope = select(Ledger.id).where(*scope)
    per_day = session.execute(
        select(day, func.count())
        .where(AuditEvent.action == "record.confirm", AuditEvent.ledger_id.in_(ledger_scope))
        .group_by(day)
        .order_by(day)
    ).all()
    per_user_rows = session.execute(
        select(User.username, AuditEvent.action, func.count())
        .join(User, User.id == AuditEvent.user_id)
        .where(
            AuditEvent.action.in_(("record.confirm", "record.update", "record.flag")),
            AuditEvent.ledger_id.in_(ledger_scope),
        )
        .group_by(User.username, AuditEvent.action)
    ).all()
    today = session.execute(
        select(User.username, func.count())
        .select_from(AuditEvent)
        .join(User, User.id == AuditEvent.user_id)
        .where(
            AuditEvent.action == "record.confirm",
            AuditEvent.ledger_id.in_(ledger_scope),
            func.date(AuditEvent.at) == func.date(func.current_timestamp()),
        )
        .group_by(User.username)
    ).all()
    per_user: dict[str, UserStats] = {}
    for username, action, count in per_user_rows:
        counts = per_user.setdefault(username, UserStats(user=username))
        if action == "record.confirm":
            counts.confirmed = count
        elif action == "record.update":
            counts.edited = count
        else:
            counts.flagged = count
    for username, count in today:
        per_user.setdefault(username, UserStats(user=username)).today = count
    return Stats(
        by_commune=sorted(by_commune.values(), key=lambda e: (e.commune or "", e.register_)),
        per_day=[DayStats(day=str(d), confirmed=n) for d, n in per_day],
        per_user=sorted(per_user.values(), key=lambda e: -e.confirmed),
    )
