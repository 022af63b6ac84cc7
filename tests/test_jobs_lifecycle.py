"""The transitions every job runner shares: a lost or failed page, a lost split, a timeout."""

from __future__ import annotations

import json

import pytest
from rq.timeouts import JobTimeoutException
from sqlalchemy import select

from models.entities import Ledger, LedgerStatus, Original, Page, PageAttempt, PageState
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.errors import BadInput, PageFailed
from ocr_service.jobs import lifecycle, state
from ocr_service.jobs.lifecycle import JobTask, PageOutcome


class Collect:
    """A dispatcher that only remembers what it was asked to queue."""

    def __init__(self) -> None:
        self.jobs: list[tuple[JobTask, str | int]] = []

    def submit(self, task: JobTask, arg: str | int) -> None:
        self.jobs.append((task, arg))


def add_ledger(settings: Settings, pages: int, status: LedgerStatus) -> tuple[str, list[int]]:
    with session_scope(settings) as session:
        session.add(
            Original(sha256="0" * 64, size=1, media_type="application/pdf", storage_key="o")
        )
        ledger = Ledger(original_sha256="0" * 64, register="khai-sinh", status=status)
        session.add(ledger)
        session.flush()
        rows = [
            Page(
                ledger_id=ledger.id,
                index=i,
                width=10,
                height=10,
                image_key=f"p{i}",
                image_source="image",
            )
            for i in range(1, pages + 1)
        ]
        session.add_all(rows)
        session.flush()
        return ledger.id, [p.id for p in rows]


def claim(settings: Settings, page_id: int) -> state.Claim:
    with session_scope(settings) as session:
        got = state.claim_page(
            session,
            page_id,
            "test:1",
            lease_seconds=60,
            max_attempts=settings.page_max_attempts,
        )
    assert got is not None
    return got


def page_and_attempts(settings: Settings, page_id: int) -> tuple[Page, list[PageAttempt]]:
    with session_scope(settings) as session:
        page = session.get(Page, page_id)
        assert page is not None
        attempts = session.scalars(
            select(PageAttempt).where(PageAttempt.page_id == page_id).order_by(PageAttempt.attempt)
        ).all()
        session.expunge_all()
        return page, list(attempts)


def ledger_status(settings: Settings, ledger_id: str) -> tuple[str, str | None]:
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        return ledger.status, ledger.error


def test_a_lost_page_is_retried_with_its_attempt_counted(settings: Settings) -> None:
    _, (page_id,) = add_ledger(settings, 1, LedgerStatus.processing)
    claim(settings, page_id)
    queue = Collect()
    new = lifecycle.page_lost(settings, queue, page_id, "worker process died (exit code -9)")
    assert new == PageState.pending
    assert queue.jobs == [(JobTask.process_page, page_id)]
    page, attempts = page_and_attempts(settings, page_id)
    assert (page.state, page.attempts, page.claim_token) == ("pending", 1, None)
    assert page.error == "worker process died (exit code -9)"
    assert [(a.outcome, a.error) for a in attempts] == [
        ("lost", "worker process died (exit code -9)")
    ]


def test_a_page_lost_on_its_last_attempt_fails_and_closes_the_ledger(settings: Settings) -> None:
    ledger_id, (page_id, other_id) = add_ledger(settings, 2, LedgerStatus.processing)
    queue = Collect()
    for attempt in range(1, settings.page_max_attempts + 1):
        claim(settings, page_id)
        new = lifecycle.page_lost(settings, queue, page_id, f"timed out after 3 s ({attempt})")
    assert new == PageState.failed
    assert queue.jobs == [(JobTask.process_page, page_id)] * (settings.page_max_attempts - 1)
    page, attempts = page_and_attempts(settings, page_id)
    assert page.state == "failed" and page.finished_at is not None
    assert page.error == f"timed out after 3 s ({settings.page_max_attempts})"
    assert [a.outcome for a in attempts] == ["lost"] * settings.page_max_attempts
    assert ledger_status(settings, ledger_id)[0] == "processing"  # the other page is pending

    other = claim(settings, other_id)
    with session_scope(settings) as session:
        assert state.mark_done(session, other)
    lifecycle.page_lost(settings, queue, other_id, "worker process died (exit code 1)")
    # The page had ended before its worker was lost: it stays done, and it was the last one.
    assert page_and_attempts(settings, other_id)[0].state == "done"
    assert ledger_status(settings, ledger_id)[0] == "partial"


def test_a_page_that_is_not_running_is_left_alone(settings: Settings) -> None:
    ledger_id, (page_id,) = add_ledger(settings, 1, LedgerStatus.processing)
    queue = Collect()
    assert lifecycle.page_lost(settings, queue, page_id, "lease expired") is None
    assert queue.jobs == []
    page, attempts = page_and_attempts(settings, page_id)
    assert (page.state, page.attempts, page.error, attempts) == ("pending", 0, None, [])
    assert ledger_status(settings, ledger_id)[0] == "processing"


@pytest.mark.parametrize(
    "exc,reason,outcome,page_state",
    [
        (RuntimeError("cannot read\nmore"), "RuntimeError: cannot read", "retry", "pending"),
        (JobTimeoutException("Task exceeded maximum timeout"), "timed out", "retry", "pending"),
        (PageFailed("blank page"), "PageFailed: blank page", "failed", "failed"),
        (BadInput("damaged"), "BadInput: damaged", "failed", "failed"),
    ],
)
def test_a_failed_page_is_retried_unless_the_failure_is_permanent(
    settings: Settings, exc: Exception, reason: str, outcome: str, page_state: str
) -> None:
    ledger_id, (page_id,) = add_ledger(settings, 1, LedgerStatus.processing)
    held = claim(settings, page_id)
    queue = Collect()
    got = lifecycle.page_failed(
        settings,
        queue,
        held,
        ledger_id,
        lifecycle.failure_reason(exc),
        permanent=lifecycle.is_permanent(exc),
    )
    assert got == outcome
    assert queue.jobs == ([(JobTask.process_page, page_id)] if outcome == "retry" else [])
    page, attempts = page_and_attempts(settings, page_id)
    assert (page.state, page.error) == (page_state, reason)
    assert [(a.outcome, a.error) for a in attempts] == [("failed", reason)]
    assert ledger_status(settings, ledger_id)[0] == (
        "failed" if page_state == "failed" else "processing"
    )


def test_a_timeout_is_known_by_its_type_not_its_name() -> None:
    class JobTimeoutException(Exception):  # an impostor with rq's class name
        pass

    assert lifecycle.failure_reason(JobTimeoutException("slow")) == "JobTimeoutException: slow"

    class SlowerTimeout(JobTimeoutException):
        pass

    assert lifecycle.failure_reason(SlowerTimeout()) == "SlowerTimeout"


def test_a_lost_split_is_queued_again_then_stopped(settings: Settings) -> None:
    empty, _ = add_ledger(settings, 0, LedgerStatus.splitting)
    queue = Collect()
    for losses in range(1, lifecycle.SPLIT_MAX_LOSSES):
        new = lifecycle.split_lost(settings, queue, empty, "worker died", losses=losses)
        assert new == LedgerStatus.queued
        assert ledger_status(settings, empty) == ("queued", None)
    assert queue.jobs == [(JobTask.split_ledger, empty)] * (lifecycle.SPLIT_MAX_LOSSES - 1)
    last = lifecycle.split_lost(
        settings, queue, empty, "worker died", losses=lifecycle.SPLIT_MAX_LOSSES
    )
    assert last == LedgerStatus.failed
    assert ledger_status(settings, empty) == ("failed", "split stopped: worker died")
    assert len(queue.jobs) == lifecycle.SPLIT_MAX_LOSSES - 1


def test_a_stopped_split_keeps_the_pages_it_stored(settings: Settings) -> None:
    with_pages, _ = add_ledger(settings, 2, LedgerStatus.splitting)
    new = lifecycle.split_lost(
        settings, Collect(), with_pages, "worker died", losses=lifecycle.SPLIT_MAX_LOSSES
    )
    assert new == LedgerStatus.processing
    assert ledger_status(settings, with_pages) == ("processing", "split stopped: worker died")
    assert lifecycle.split_lost(settings, Collect(), "no-such-ledger", "x", losses=1) is None


def test_outcomes_keep_their_wire_values() -> None:
    # CLI JSON, API bodies, RQ results in Redis and log lines carry these strings.
    assert [t.value for t in JobTask] == ["split", "page", "export", "train"]
    assert [o.value for o in PageOutcome] == ["done", "failed", "retry", "skipped"]
    assert str(JobTask.process_page) == "page" and json.dumps(PageOutcome.retry) == '"retry"'
