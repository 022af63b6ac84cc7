"""Failed pages tried again on a clerk's request: back to pending with fresh attempts."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Ledger, LedgerStatus, Page, PageState
from ocr_service.audit import record_event
from ocr_service.errors import Conflict
from ocr_service.jobs.lifecycle import Dispatcher, JobTask, QueueUnavailable

log = logging.getLogger(__name__)

# A closed ledger opens again while its retried pages run; `maybe_finish_ledger` closes it.
CLOSED = (LedgerStatus.done, LedgerStatus.partial, LedgerStatus.failed)


def reset_failed_pages(
    session: Session, ledger: Ledger, indexes: list[int] | None, *, user_id: int | None
) -> list[Page]:
    """Failed pages of `ledger` (all, or those `indexes`) made pending, with their attempts
    starting over; the ledger reopens. Audited. Conflict if none of them is failed.

    The caller commits, then queues the pages (`submit_pages`).
    """
    query = select(Page).where(Page.ledger_id == ledger.id, Page.state == PageState.failed)
    if indexes is not None:
        query = query.where(Page.index.in_(indexes))
    pages = list(session.scalars(query.order_by(Page.index)))
    if not pages:
        raise Conflict(
            "the book has no failed page to retry"
            if indexes is None
            else f"page {', '.join(map(str, indexes))} has not failed: nothing to retry",
            code="not_failed",
        )
    for page in pages:
        page.state = PageState.pending
        page.attempts = 0
        page.error = None
        page.claim_token = None
        page.lease_until = None
        page.finished_at = None
    if ledger.status in CLOSED:
        ledger.status = LedgerStatus.processing
    record_event(
        session,
        "ledger.retry",
        "ledger",
        ledger.id,
        user_id=user_id,
        ledger_id=ledger.id,
        data={"pages": [p.index for p in pages]},
    )
    session.flush()
    return pages


def submit_pages(dispatcher: Dispatcher, page_ids: list[int]) -> None:
    """Queue the (committed, pending) pages; with the queue down they stay pending and the
    sweep (jobs/sweep.py) queues them once it is back."""
    for page_id in page_ids:
        try:
            dispatcher.submit(JobTask.process_page, page_id)
        except QueueUnavailable:
            log.warning("retry: the queue is down; the sweep queues the pages when it is back")
            return
