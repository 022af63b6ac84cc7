"""Page job state in the database: claim with a lease, heart-beat, finish exactly once.

The database, not the queue, says what is done. A worker claims a page by an atomic UPDATE that
only succeeds on a pending page or one whose lease ran out; every later write names the claim
token, so a worker that lost its claim (killed, paused, too slow) can never write over the
result of the worker that took over.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, Result, and_, or_, select, update
from sqlalchemy.orm import Session

from models.entities import Page, PageAttempt, PageState


class AttemptOutcome(StrEnum):
    """How one claim of a page ended (`PageAttempt.outcome`)."""

    done = "done"
    failed = "failed"  # the job raised
    lost = "lost"  # the worker died, overran or let its lease run out


def now() -> datetime:
    return datetime.now(UTC)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE matched (an UPDATE's result is always a CursorResult)."""
    assert isinstance(result, CursorResult)
    return result.rowcount


@dataclass(frozen=True)
class Claim:
    page_id: int
    token: str
    attempt: int


def claim_page(
    session: Session, page_id: int, worker: str, *, lease_seconds: int, max_attempts: int
) -> Claim | None:
    token = secrets.token_hex(8)
    t = now()
    result = session.execute(
        update(Page)
        .where(
            Page.id == page_id,
            Page.attempts < max_attempts,
            or_(
                Page.state == PageState.pending,
                and_(Page.state == PageState.running, Page.lease_until < t),
            ),
        )
        .values(
            state=PageState.running,
            claim_token=token,
            attempts=Page.attempts + 1,
            lease_until=t + timedelta(seconds=lease_seconds),
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        session.rollback()
        return None
    attempts = session.scalar(select(Page.attempts).where(Page.id == page_id)) or 1
    session.add(PageAttempt(page_id=page_id, attempt=attempts, claim_token=token, worker=worker))
    session.commit()
    return Claim(page_id, token, attempts)


def extend_lease(session: Session, claim: Claim, lease_seconds: int) -> bool:
    result = session.execute(
        update(Page)
        .where(Page.id == claim.page_id, Page.claim_token == claim.token)
        .values(lease_until=now() + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return rowcount(result) == 1


def _close_attempt(
    session: Session, claim: Claim, outcome: AttemptOutcome, error: str | None
) -> None:
    session.execute(
        update(PageAttempt)
        .where(PageAttempt.page_id == claim.page_id, PageAttempt.claim_token == claim.token)
        .values(finished_at=now(), outcome=outcome, error=error)
        .execution_options(synchronize_session=False)
    )


def mark_done(session: Session, claim: Claim) -> bool:
    """Flip the page to done inside the caller's transaction; False if the claim was lost."""
    result = session.execute(
        update(Page)
        .where(Page.id == claim.page_id, Page.claim_token == claim.token)
        .values(
            state=PageState.done,
            claim_token=None,
            lease_until=None,
            finished_at=now(),
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return False
    _close_attempt(session, claim, AttemptOutcome.done, None)
    return True


def mark_failed(
    session: Session, claim: Claim, error: str, *, max_attempts: int, permanent: bool
) -> PageState | None:
    """Record a failed attempt; the page goes back to pending unless it is out of attempts.

    Returns the new state, or None if the claim had already been lost.
    """
    page = session.get(Page, claim.page_id)
    if page is None or page.claim_token != claim.token:
        session.rollback()
        return None
    state = PageState.failed if permanent or page.attempts >= max_attempts else PageState.pending
    page.state = state
    page.error = error[:2000]
    page.claim_token = None
    page.lease_until = None
    if state == PageState.failed:
        page.finished_at = now()
    _close_attempt(session, claim, AttemptOutcome.failed, error[:2000])
    session.commit()
    return state


def release_lost(
    session: Session, page_id: int, reason: str, *, max_attempts: int
) -> PageState | None:
    """A page whose worker died or overran: back to pending, or failed when out of attempts.

    The database half of `lifecycle.page_lost`, which every runner calls.
    """
    page = session.get(Page, page_id)
    if page is None or page.state != PageState.running:
        session.rollback()
        return None
    token = page.claim_token
    state = PageState.failed if page.attempts >= max_attempts else PageState.pending
    page.state = state
    page.error = reason
    page.claim_token = None
    page.lease_until = None
    if state == PageState.failed:
        page.finished_at = now()
    if token:
        session.execute(
            update(PageAttempt)
            .where(PageAttempt.page_id == page_id, PageAttempt.claim_token == token)
            .values(finished_at=now(), outcome=AttemptOutcome.lost, error=reason)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return state


def requeue_pages(session: Session, page_ids: list[int], reason: str) -> None:
    """Put pages back to pending to be read from the start (the caller commits and submits
    them). A claim under way is lost: its attempt is closed as `lost` with `reason`, and its
    worker's `mark_done` is refused."""
    if not page_ids:
        return
    session.execute(
        update(PageAttempt)
        .where(PageAttempt.page_id.in_(page_ids), PageAttempt.finished_at.is_(None))
        .values(finished_at=now(), outcome=AttemptOutcome.lost, error=reason)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Page)
        .where(Page.id.in_(page_ids))
        .values(
            state=PageState.pending,
            attempts=0,
            error=None,
            claim_token=None,
            lease_until=None,
            finished_at=None,
            updated_at=now(),
        )
        .execution_options(synchronize_session=False)
    )


def stale_running_pages(session: Session) -> list[int]:
    rows = session.scalars(
        select(Page.id).where(Page.state == PageState.running, Page.lease_until < now())
    )
    return list(rows)
