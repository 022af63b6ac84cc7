"""Where a job's work goes next: job tasks and outcomes, and the transitions every runner shares.

A page or a split can end badly in three ways: its job raises (`page_failed`), or its worker
is lost: killed, crashed, overran its time (`page_lost`, `split_lost`). The RQ worker's
reaper (`tasks.recover`), the page job itself and the local runner's watchdog all call these,
so a page is retried, counted and failed by one rule whichever way it ran.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Protocol

from rq.timeouts import JobTimeoutException
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.entities import Ledger, LedgerStatus, Page, PageState
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.errors import PageFailed, SohoaError
from ocr_service.jobs import state
from ocr_service.storage import StorageUnavailable

log = logging.getLogger(__name__)

# A split that loses its worker this many times stops; the pages it stored go on.
SPLIT_MAX_LOSSES = 3


class JobTask(StrEnum):
    """What a job does; the value is the name queues, events and log lines carry."""

    # Named after the job functions (a member named `split` would hide str.split).
    split_ledger = "split"  # store a ledger's page images, queue a job per page
    process_page = "page"  # read one page into draft records
    export_ledger = "export"  # write one export job's file (`jobs.export_jobs`)
    train_scope = "train"  # train a recogniser version from a scope's corrections (learning/)


class PageOutcome(StrEnum):
    """What one run of a page job came to; the value is the RQ job's result."""

    done = "done"
    failed = "failed"  # out of attempts, or a failure that another try cannot mend
    retry = "retry"  # failed, and queued again for another attempt
    skipped = "skipped"  # not claimed (another worker holds it, or it has ended) or claim lost


class QueueUnavailable(Exception):
    """A job could not be queued: Redis is unreachable. What was stored stays stored, and the
    sweep (jobs/sweep.py) queues it once Redis is back."""


class Dispatcher(Protocol):
    """Where follow-up jobs go: an RQ queue, or the local runner's task queue.

    `submit` raises QueueUnavailable when the queue cannot be reached."""

    def submit(self, task: JobTask, arg: str | int) -> None: ...


# --- a page job that raised -----------------------------------------------------------------


def is_permanent(exc: BaseException) -> bool:
    """A failure another try cannot mend: the page itself is unusable, or the setup is wrong.
    An object store that cannot be reached is neither: the page is tried again."""
    return isinstance(exc, (PageFailed, SohoaError)) and not isinstance(exc, StorageUnavailable)


def failure_reason(exc: BaseException) -> str:
    """The reason stored on the page: the error's type and first line."""
    if isinstance(exc, JobTimeoutException):  # RQ stopped the job at the page timeout
        return "timed out"
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{name}: {text}" if text else name


def page_failed(
    settings: Settings,
    dispatcher: Dispatcher | None,
    claim: state.Claim,
    ledger_id: str,
    reason: str,
    *,
    permanent: bool,
) -> PageOutcome:
    """Record a failed attempt: queue the page again, or fail it (at once when `permanent`)."""
    with session_scope(settings) as session:
        new = state.mark_failed(
            session, claim, reason, max_attempts=settings.page_max_attempts, permanent=permanent
        )
    if _requeue_or_close(settings, dispatcher, claim.page_id, ledger_id, new):
        return PageOutcome.retry
    return PageOutcome.failed


# --- work whose worker was lost -------------------------------------------------------------


def page_lost(
    settings: Settings, dispatcher: Dispatcher, page_id: int, reason: str
) -> PageState | None:
    """A running page whose worker died, overran or let its lease run out.

    The attempt it was on counts: the page is queued again, or failed with `reason` once out
    of attempts. Returns the page's new state, None if it was no longer running.
    """
    with session_scope(settings) as session:
        new = state.release_lost(session, page_id, reason, max_attempts=settings.page_max_attempts)
        ledger_id = session.scalar(select(Page.ledger_id).where(Page.id == page_id))
    _requeue_or_close(settings, dispatcher, page_id, ledger_id, new)
    return new


def split_lost(
    settings: Settings, dispatcher: Dispatcher, ledger_id: str, reason: str, *, losses: int
) -> LedgerStatus | None:
    """A split whose worker died, for the `losses`-th time: queued again, or stopped.

    A split is resumable, so it is tried again until SPLIT_MAX_LOSSES; then the ledger keeps
    the pages stored so far (or fails if there are none) with `reason` as its error.
    Returns the ledger's new status, None if there is no such ledger.
    """
    retry = losses < SPLIT_MAX_LOSSES
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        if ledger is None:
            return None
        if retry:
            new = LedgerStatus.queued
        else:
            new = LedgerStatus.processing if ledger.pages else LedgerStatus.failed
            ledger.error = f"split stopped: {reason}"
        ledger.status = new
    if retry:
        dispatcher.submit(JobTask.split_ledger, ledger_id)
    return new


def _requeue_or_close(
    settings: Settings,
    dispatcher: Dispatcher | None,
    page_id: int,
    ledger_id: str | None,
    new: PageState | None,
) -> bool:
    """Queue a page that went back to pending; True if it was queued.

    Otherwise the page has ended (or had already ended, its worker lost before closing the
    ledger), and it may have been its ledger's last.
    """
    if new == PageState.pending and dispatcher is not None:
        dispatcher.submit(JobTask.process_page, page_id)
        return True
    if ledger_id:
        maybe_finish_ledger(ledger_id, settings)
    return False


# --- ledger ---------------------------------------------------------------------------------


def _apply_book_facts(session: Session, ledger_id: str) -> None:
    """The book's facts read from its pages, then its rules across pages; a failure there is
    logged and leaves the records as they are (the book still closes: its pages are read)."""
    from ocr_service.records.book_reading import apply_book_reading
    from ocr_service.records.store import apply_book_rules

    try:
        with session.begin_nested():
            # The book's facts first: records whose page misread the quyển số are pointed at
            # the book's before numbering is checked per book.
            apply_book_reading(session, ledger_id)
            apply_book_rules(session, ledger_id)
    except Exception:  # whatever failed, the pages are read and the ledger closes (as before)
        log.exception("book rules of ledger %s could not be applied", ledger_id)


def maybe_finish_ledger(ledger_id: str, settings: Settings) -> LedgerStatus | None:
    """Close a ledger whose pages have all ended: done, partial or failed, then book rules."""
    with session_scope(settings) as session:
        counts = dict(
            session.execute(
                select(Page.state, func.count())
                .where(Page.ledger_id == ledger_id)
                .group_by(Page.state)
            ).all()
        )
        if counts.get(PageState.pending) or counts.get(PageState.running):
            return None
        done, failed = counts.get(PageState.done, 0), counts.get(PageState.failed, 0)
        if done and failed:
            new = LedgerStatus.partial
        elif done:
            new = LedgerStatus.done
        else:
            new = LedgerStatus.failed
        result = session.execute(
            update(Ledger)
            .where(Ledger.id == ledger_id, Ledger.status == LedgerStatus.processing)
            .values(status=new, updated_at=state.now())
            .execution_options(synchronize_session=False)
        )
        if state.rowcount(result) != 1:
            return None
        # In the transaction that closes the ledger: a client that sees the book done sees its
        # book facts and rules too (they were stored in a later transaction, and a client
        # polling for 'done' could read the records before their book warnings).
        _apply_book_facts(session, ledger_id)
    return new
