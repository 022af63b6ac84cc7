"""Login throttling: failed logins counted per user name and per client address, in the database."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.entities import LoginAttempt
from models.json_types import JsonObject
from ocr_service.audit import record_event
from ocr_service.config import Settings

log = logging.getLogger(__name__)


def now() -> datetime:
    """The clock the throttle reads; tests replace it rather than sleep."""
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LoginKeys:
    """The two counters one login attempt touches, and what the audit trail names."""

    username: str
    address: str

    @property
    def user_key(self) -> str:
        # A hash, so the table holds no user names; case-folded so "Lan" and "lan" share it.
        digest = hashlib.sha256(self.username.casefold().encode("utf-8", "replace")).hexdigest()
        return "user:" + digest

    @property
    def address_key(self) -> str:
        return "addr:" + self.address[:75]

    def limits(self, settings: Settings) -> dict[str, int]:
        return {
            self.user_key: settings.login_user_failures,
            self.address_key: settings.login_address_failures,
        }


def _scope(key: str) -> str:
    return "user" if key.startswith("user:") else "address"


def _audit(session: Session, action: str, keys: LoginKeys, data: JsonObject) -> None:
    # Audit rows may name the user (who tried is what an auditor needs); the password never.
    record_event(
        session,
        action,
        "login",
        keys.username[:64],
        data={"address": keys.address, **data},
    )


def retry_after(session: Session, keys: LoginKeys, settings: Settings) -> int | None:
    """Seconds until this user name and address may try again; None: they may now.

    A throttled attempt is audited here, whatever password it carried."""
    at = now()
    waits: dict[str, float] = {}
    for key in keys.limits(settings):
        row = session.get(LoginAttempt, key)
        if row is not None and row.locked_until is not None:
            left = (_aware(row.locked_until) - at).total_seconds()
            if left > 0:
                waits[key] = left
    if not waits:
        return None
    seconds = max(1, math.ceil(max(waits.values())))
    scopes = sorted(_scope(k) for k in waits)
    _audit(session, "login.throttled", keys, {"scopes": scopes, "retry_after": seconds})
    log.warning("login refused: too many failures (%s), retry after %ss", "+".join(scopes), seconds)
    return seconds


def _counter(session: Session, key: str, at: datetime) -> LoginAttempt:
    row = session.get(LoginAttempt, key, with_for_update=True)
    if row is not None:
        return row
    try:
        # Two processes may count the first failure of a key at once: one insert wins.
        with session.begin_nested():
            row = LoginAttempt(key=key, failures=0, window_start=at)
            session.add(row)
    except IntegrityError:
        row = session.get(LoginAttempt, key, with_for_update=True, populate_existing=True)
        assert row is not None
    return row


def record_failure(session: Session, keys: LoginKeys, settings: Settings) -> None:
    """Count a wrong password against the user name and the address; lock those over their
    limit for the lockout, and audit each lock."""
    at = now()
    window = timedelta(seconds=settings.login_window_seconds)
    lockout = timedelta(seconds=settings.login_lockout_seconds)
    # Counters idle longer than a window and a lockout are of no further use. Rows another
    # login holds are left for later (SKIP LOCKED on PostgreSQL): two cleanups never deadlock.
    stale = (
        select(LoginAttempt.key)
        .where(
            LoginAttempt.window_start < at - window - lockout,
            LoginAttempt.key.not_in(keys.limits(settings)),
        )
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(stale)))
    for key, limit in keys.limits(settings).items():
        row = _counter(session, key, at)
        if at - _aware(row.window_start) > window:
            row.failures, row.window_start = 0, at
        row.failures += 1
        if row.failures >= limit:
            # Locked; the next window starts after the lockout with a clean count.
            row.locked_until = at + lockout
            row.failures, row.window_start = 0, at + lockout
            _audit(
                session,
                "login.locked",
                keys,
                {"scope": _scope(key), "failures": limit, "seconds": int(lockout.total_seconds())},
            )
            log.warning(
                "login locked for %ss: %s failures from one %s",
                settings.login_lockout_seconds,
                limit,
                _scope(key),
            )
    session.flush()


def record_success(session: Session, keys: LoginKeys) -> None:
    """A right password clears the user name's count (not the address's: one good account
    must not unlock guessing at the others from the same place)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys.user_key))
