"""Reviewing draft records: next record, edits with optimistic locking, confirm, flag, review.

Every change is one audit event with the old and new values, and every write names the version
it was based on: a stale write is refused (409) with the current record, never applied.
Approval follows the four-eyes rule: nobody approves a record they confirmed or edited last,
unless an admin overrides it explicitly, which is an audit event of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import JsonValue
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, selectinload

from models.entities import AuditEvent, DraftRecord, FieldValue, Ledger, RecordStatus, User
from models.json_types import JsonObject
from models.registers import register_spec
from models.schemas import ChangeJson, FieldPublic, HistoryEvent, RecordPublic
from ocr_service.audit import record_event
from ocr_service.errors import BadInput, Conflict, Forbidden, NotFound

ASSIGNMENT_MINUTES = 30
MAX_VALUE_LEN = 2000


# Shown as is by the review UI, hence in Vietnamese; the code is for API clients.
FOUR_EYES_MESSAGE = (
    "Không thể duyệt bản ghi do chính bạn xác nhận hoặc sửa lần cuối: "
    "cần một người kiểm tra khác duyệt."
)
OVERRIDE_ACTION = "record.review_override"


class OwnWork(Forbidden):
    """The four-eyes rule: an approval by the person who confirmed or last edited the record."""

    code = "four_eyes"


class StaleVersion(Conflict):
    """The record changed since the client read it; carries the current state."""

    def __init__(self, message: str, current: RecordPublic) -> None:
        super().__init__(message)
        self.current = current


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())


def field_public(f: FieldValue) -> FieldPublic:
    return FieldPublic(
        value=f.value,
        raw=f.raw,
        confidence=f.confidence,
        band=f.band,
        bbox=f.bbox,
        page=f.page,
        source=f.source,
        issues=list(f.issues or []),
        candidates=list(f.candidates or []),
        note=f.note,
        edited=f.edited,
    )


def neighbours(session: Session, record: DraftRecord) -> tuple[str | None, str | None]:
    prev_id = session.scalar(
        select(DraftRecord.id)
        .where(DraftRecord.ledger_id == record.ledger_id, DraftRecord.seq < record.seq)
        .order_by(DraftRecord.seq.desc())
        .limit(1)
    )
    next_id = session.scalar(
        select(DraftRecord.id)
        .where(DraftRecord.ledger_id == record.ledger_id, DraftRecord.seq > record.seq)
        .order_by(DraftRecord.seq)
        .limit(1)
    )
    return prev_id, next_id


def record_public(
    session: Session, record: DraftRecord, *, register: str | None = None, links: bool = True
) -> RecordPublic:
    names = _usernames(session, {record.assigned_to, record.confirmed_by, record.reviewed_by})
    if register is None:
        register = session.scalar(select(Ledger.register).where(Ledger.id == record.ledger_id))
    prev_id, next_id = neighbours(session, record) if links else (None, None)
    return RecordPublic(
        id=record.id,
        ledger_id=record.ledger_id,
        register_=register,
        page=record.page,
        pages=list(record.pages or [record.page]),
        row=record.row,
        seq=record.seq,
        status=record.status,
        version=record.version,
        flag_reason=record.flag_reason,
        assigned_to=names.get(record.assigned_to) if record.assigned_to else None,
        confirmed_by=names.get(record.confirmed_by) if record.confirmed_by else None,
        confirmed_at=record.confirmed_at.isoformat() if record.confirmed_at else None,
        reviewed_by=names.get(record.reviewed_by) if record.reviewed_by else None,
        reviewed_at=record.reviewed_at.isoformat() if record.reviewed_at else None,
        fields={f.code: field_public(f) for f in record.fields},
        warnings=list(record.warnings or []),
        prev_id=prev_id,
        next_id=next_id,
    )


def load_record(session: Session, record_id: str, user: User | None) -> tuple[DraftRecord, Ledger]:
    record = session.scalar(
        select(DraftRecord)
        .where(DraftRecord.id == record_id)
        .options(selectinload(DraftRecord.fields))
    )
    if record is None:
        raise NotFound(f"no record {record_id}")
    ledger = session.get(Ledger, record.ledger_id)
    assert ledger is not None
    if user is not None and not user.sees_commune(ledger.commune):
        raise NotFound(f"no record {record_id}")
    return record, ledger


def next_record(
    session: Session, ledger: Ledger, user: User, *, after: str | None = None
) -> DraftRecord | None:
    """The next draft in book order that nobody else is working on; assigned to `user`."""
    now = datetime.now(UTC)
    free = or_(
        DraftRecord.assigned_to.is_(None),
        DraftRecord.assigned_to == user.id,
        DraftRecord.assigned_at < now - timedelta(minutes=ASSIGNMENT_MINUTES),
    )
    query = select(DraftRecord.id).where(
        DraftRecord.ledger_id == ledger.id, DraftRecord.status == RecordStatus.draft, free
    )
    if after:
        seq = session.scalar(select(DraftRecord.seq).where(DraftRecord.id == after))
        if seq is not None:
            query = query.where(DraftRecord.seq > seq)
    for candidate in session.scalars(query.order_by(DraftRecord.seq).limit(5)).all():
        # Assign atomically: two clerks asking at once never get the same record.
        result = session.execute(
            update(DraftRecord)
            .where(
                DraftRecord.id == candidate,
                DraftRecord.status == RecordStatus.draft,
                or_(
                    DraftRecord.assigned_to.is_(None),
                    DraftRecord.assigned_to == user.id,
                    DraftRecord.assigned_at < now - timedelta(minutes=ASSIGNMENT_MINUTES),
                ),
            )
            .values(assigned_to=user.id, assigned_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            session.flush()
            record, _ = load_record(session, candidate, None)
            session.refresh(record)
            return record
    return None


def _bump_version(session: Session, record: DraftRecord, version: int, ledger: Ledger) -> None:
    result = session.execute(
        update(DraftRecord)
        .where(and_(DraftRecord.id == record.id, DraftRecord.version == version))
        .values(version=DraftRecord.version + 1, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        fresh, _ = load_record(session, record.id, None)
        raise StaleVersion(
            f"record changed since version {version} (now {fresh.version}): reload and compare",
            record_public(session, fresh, register=ledger.register),
        )
    session.refresh(record)


@dataclass(frozen=True)
class FieldEdit:
    """What a clerk changes in one field: its value, its note or both (None clears either)."""

    value: str | None = None
    note: str | None = None
    sets_value: bool = False
    sets_note: bool = False


def _parse_changes(register: str, fields: Mapping[str, JsonValue]) -> dict[str, FieldEdit]:
    """`{code: value}` or `{code: {"value": …, "note": …}}` from the client, checked."""
    spec_fields = register_spec(register)["fields"]
    changes: dict[str, FieldEdit] = {}
    for code, change in fields.items():
        if code not in spec_fields:
            raise BadInput(f"{code} is not a field of the {register} register")
        if isinstance(change, dict):
            unknown = set(change) - {"value", "note"}
            if unknown:
                raise BadInput(f"{code}: unknown keys {', '.join(sorted(unknown))}")
            sets_value, value = "value" in change, change.get("value")
            sets_note, note = "note" in change, change.get("note")
        else:
            sets_value, value, sets_note, note = True, change, False, None
        if value is not None and not isinstance(value, str):
            raise BadInput(f"{code}: value must be text or null")
        if note is not None and not isinstance(note, str):
            raise BadInput(f"{code}: note must be text or null")
        if isinstance(value, str):
            value = " ".join(value.split()) or None
            if value and len(value) > MAX_VALUE_LEN:
                raise BadInput(f"{code}: value is longer than {MAX_VALUE_LEN} characters")
        changes[code] = FieldEdit(value, note, sets_value, sets_note)
    return changes


def _normalise_typed(register: str, code: str, value: str | None) -> tuple[str | None, list[str]]:
    """What a clerk types goes through the same normalisers as OCR text ('17/11/2021' is
    stored as '17.11.2021'); text that does not parse is kept as typed, with its issues."""
    if value is None:
        return None, []
    from ocr_service.extract.normalise import normalise_field

    result = normalise_field(register, code, value)
    if result.ok and result.value:
        return result.value, list(result.issues)
    return value, list(result.issues)


def _recheck(session: Session, record: DraftRecord, register: str) -> None:
    """Per-record rules again after an edit; book-level warnings are kept as they are."""
    from ocr_service.records.store import recheck_record

    recheck_record(record, register)


def update_record(
    session: Session, record_id: str, user: User, version: int, fields: Mapping[str, JsonValue]
) -> DraftRecord:
    record, ledger = load_record(session, record_id, user)
    changes = _parse_changes(ledger.register, fields)
    if not changes:
        raise BadInput("nothing to change: give at least one field")
    _bump_version(session, record, version, ledger)
    by_code = {f.code: f for f in record.fields}
    diff: list[ChangeJson] = []
    for code, edit in changes.items():
        f = by_code.get(code)
        if f is None:
            f = FieldValue(code=code, source="clerk", issues=[], candidates=[])
            record.fields.append(f)
            by_code[code] = f
        if edit.sets_value:
            value, issues = _normalise_typed(ledger.register, code, edit.value)
            if value != f.value:
                diff.append({"field": code, "old": f.value, "new": value})
                f.value = value
                f.issues = issues
                f.edited = True
                f.band = "sure"
                f.confidence = 1.0
        if edit.sets_note and edit.note != f.note:
            diff.append({"field": code, "old_note": f.note, "new_note": edit.note})
            f.note = edit.note or None
    if record.status == RecordStatus.confirmed and diff:
        record.status = RecordStatus.draft  # an edit after confirmation needs a new confirmation
        record.reviewed_by = None
        record.reviewed_at = None
    _recheck(session, record, ledger.register)
    record_event(
        session,
        "record.update",
        "record",
        record.id,
        user_id=user.id,
        ledger_id=ledger.id,
        data={"version": record.version, "changes": diff},
    )
    session.flush()
    return record


def confirm_record(session: Session, record_id: str, user: User, version: int) -> DraftRecord:
    record, ledger = load_record(session, record_id, user)
    _bump_version(session, record, version, ledger)
    record.status = RecordStatus.confirmed
    record.confirmed_by = user.id
    record.confirmed_at = datetime.now(UTC)
    record.flag_reason = None
    record_event(
        session,
        "record.confirm",
        "record",
        record.id,
        user_id=user.id,
        ledger_id=ledger.id,
        data={"version": record.version},
    )
    session.flush()
    return record


def flag_record(
    session: Session, record_id: str, user: User, version: int, reason: str
) -> DraftRecord:
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("give a reason for the flag (e.g. illegible, damaged page)")
    record, ledger = load_record(session, record_id, user)
    _bump_version(session, record, version, ledger)
    record.status = RecordStatus.flagged
    record.flag_reason = reason[:500]
    record_event(
        session,
        "record.flag",
        "record",
        record.id,
        user_id=user.id,
        ledger_id=ledger.id,
        data={"version": record.version, "reason": record.flag_reason},
    )
    session.flush()
    return record


def last_editor(session: Session, record_id: str) -> int | None:
    """Who last changed a value or a note of the record, from the audit trail (None: nobody,
    or only the pipeline). An update that changed nothing is not an edit."""
    events = session.execute(
        select(AuditEvent.user_id, AuditEvent.data)
        .where(
            AuditEvent.entity_type == "record",
            AuditEvent.entity_id == record_id,
            AuditEvent.action == "record.update",
        )
        .order_by(AuditEvent.id.desc())
    )
    for user_id, data in events:
        if (data or {}).get("changes"):
            return user_id
    return None


def own_work(session: Session, record: DraftRecord, user: User) -> list[str]:
    """Why `user` may not approve `record` under the four-eyes rule: 'confirmed', 'edited'."""
    reasons = []
    if record.confirmed_by == user.id:
        reasons.append("confirmed")
    if last_editor(session, record.id) == user.id:
        reasons.append("edited")
    return reasons


def review_record(
    session: Session,
    record_id: str,
    user: User,
    version: int,
    decision: str,
    note: str | None,
    *,
    override: bool = False,
) -> DraftRecord:
    """Approve or reject a confirmed record. `override`: an admin approves their own work;
    it needs a note saying why and is audited as `record.review_override`, never implied."""
    if user.role not in ("reviewer", "admin"):
        raise Forbidden("only reviewers can second-check records")
    if decision not in ("approve", "reject"):
        raise BadInput("decision must be approve or reject")
    if override:
        if user.role != "admin":
            raise Forbidden("only an admin can override the four-eyes rule")
        if decision != "approve":
            raise BadInput("override applies to approvals only")
        if not (note or "").strip():
            raise BadInput("an override needs a note saying why the four-eyes rule is set aside")
    record, ledger = load_record(session, record_id, user)
    if record.status != RecordStatus.confirmed:
        raise Conflict("only confirmed records can be reviewed")
    # Rejecting one's own work only sends it back to draft: the rule guards approvals.
    four_eyes = own_work(session, record, user) if decision == "approve" else []
    if four_eyes and not override:
        raise OwnWork(FOUR_EYES_MESSAGE)
    _bump_version(session, record, version, ledger)
    if decision == "approve":
        record.reviewed_by = user.id
        record.reviewed_at = datetime.now(UTC)
    else:
        record.status = RecordStatus.draft
        record.reviewed_by = None
        record.reviewed_at = None
        record.warnings = [
            *(record.warnings or []),
            {"field": None, "rule": "review-rejected", "message": note or "Người kiểm tra trả lại"},
        ]
    data: JsonObject = {"version": record.version, "decision": decision, "note": note}
    if four_eyes:
        data["four_eyes"] = list(four_eyes)  # what the override set aside
    record_event(
        session,
        OVERRIDE_ACTION if four_eyes else "record.review",
        "record",
        record.id,
        user_id=user.id,
        ledger_id=ledger.id,
        data=data,
    )
    session.flush()
    return record


def record_history(session: Session, record_id: str, user: User) -> list[HistoryEvent]:
    record, _ = load_record(session, record_id, user)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "record", AuditEvent.entity_id == record.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    names = _usernames(session, {e.user_id for e in events})
    return [
        HistoryEvent(
            at=e.at.isoformat(),
            user=names.get(e.user_id) if e.user_id else None,
            action=e.action,
            changes=(e.data or {}).get("changes", []),
            note=(e.data or {}).get("note") or (e.data or {}).get("reason"),
            version=(e.data or {}).get("version"),
        )
        for e in events
    ]
