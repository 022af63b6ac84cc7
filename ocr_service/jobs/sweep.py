"""The sweep: queue again the work whose job is gone.

A pending page or a queued ledger is only ever worked on through a job on the queue. When the
job is gone (Redis restarted empty, the job failed because the database was down, its worker
was lost) nothing would ever pick the work up again. The sweep finds such work and queues it
again. It runs in every worker and in the API, every `SOHOA_SWEEP_INTERVAL_SECONDS`, but only
one at a time in the whole installation (a lock in Redis); without Redis there is nothing to
queue to, so there is nothing to sweep either.

Queuing twice is harmless (a page is claimed in the database before it is read, and a second
job finds it claimed or done), but the sweep avoids it: work younger than
`SOHOA_SWEEP_GRACE_SECONDS`, or whose latest job still waits or runs, is left alone.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, select, update

from models.entities import ExportJob, ExportJobStatus, Ledger, LedgerStatus, Page, PageState
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.jobs import state
from ocr_service.jobs.dispatch import RqDispatcher
from ocr_service.jobs.lifecycle import Dispatcher, JobTask, QueueUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T", int, str)

# Targets looked up in Redis per round trip.
BATCH = 1000
# The lock outlives a sweep that hangs by at least this long, then frees itself.
LOCK_MIN_SECONDS = 30

_RELEASE_TO = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


@dataclass(frozen=True)
class SweepResult:
    ran: bool  # False: another process holds the lock
    pages: int = 0  # pages queued again
    ledgers: int = 0  # ledgers queued again
    exports: int = 0  # export jobs queued again


def lock_key(settings: Settings) -> str:
    return f"sohoa:{settings.queue_name}:sweep-lock"


def sweep(settings: Settings, dispatcher: RqDispatcher) -> SweepResult:
    """One sweep, if no other process in the installation is sweeping (or swept just now).

    The lock is kept for the rest of the interval after a sweep, so the installation sweeps
    once per interval however many workers it has.
    """
    token = secrets.token_hex(8)
    key = lock_key(settings)
    interval_ms = settings.sweep_interval_seconds * 1000
    hold_ms = max(interval_ms, LOCK_MIN_SECONDS * 1000)
    if not dispatcher.connection.set(key, token, nx=True, px=hold_ms):
        return SweepResult(ran=False)
    release_to = dispatcher.connection.register_script(_RELEASE_TO)
    try:
        result = _sweep(settings, dispatcher)
    except BaseException:
        release_to(keys=[key], args=[token, 1])
        raise
    # Keep the lock until the interval is over (at least 1 ms: PEXPIRE 0 would delete it).
    release_to(keys=[key], args=[token, max(1, interval_ms)])
    return result


def _sweep(settings: Settings, dispatcher: RqDispatcher) -> SweepResult:
    _clean_abandoned(dispatcher)
    cutoff = state.now() - timedelta(seconds=settings.sweep_grace_seconds)
    with session_scope(settings) as session:
        pages = list(
            session.scalars(
                select(Page.id)
                .where(Page.state == PageState.pending, Page.updated_at < cutoff)
                .order_by(Page.id)
            )
        )
        waiting = list(
            session.scalars(select(Ledger.id).where(Ledger.status == LedgerStatus.waiting))
        )
        queued = list(
            session.scalars(
                select(Ledger.id).where(
                    Ledger.status == LedgerStatus.queued, Ledger.updated_at < cutoff
                )
            )
        )
        exports = list(
            session.scalars(
                select(ExportJob.id).where(
                    ExportJob.status == ExportJobStatus.queued, ExportJob.updated_at < cutoff
                )
            )
        )
    ledgers = 0
    # Ledgers first: a split queues its own pages, and a queued ledger has none yet.
    for ledger_id in waiting:
        if enqueue_ledger(settings, dispatcher, ledger_id) == LedgerStatus.queued:
            ledgers += 1
    for ledger_id in _lost(dispatcher, JobTask.split_ledger, queued):
        if _touch(settings, Ledger, ledger_id, Ledger.status == LedgerStatus.queued):
            dispatcher.submit(JobTask.split_ledger, ledger_id)
            ledgers += 1
    requeued = 0
    for page_id in _lost(dispatcher, JobTask.process_page, pages):
        if _touch(settings, Page, page_id, Page.state == PageState.pending):
            dispatcher.submit(JobTask.process_page, page_id)
            requeued += 1
    exported = 0
    for job_id in _lost(dispatcher, JobTask.export_ledger, exports):
        if _touch(settings, ExportJob, job_id, ExportJob.status == ExportJobStatus.queued):
            dispatcher.submit(JobTask.export_ledger, job_id)
            exported += 1
    if requeued or ledgers or exported:
        log.warning(
            "sweep: queued %d pages, %d ledgers and %d exports again", requeued, ledgers, exported
        )
    return SweepResult(ran=True, pages=requeued, ledgers=ledgers, exports=exported)


def _lost(dispatcher: RqDispatcher, task: JobTask, targets: list[T]) -> list[T]:
    lost: list[T] = []
    for start in range(0, len(targets), BATCH):
        batch = targets[start : start + BATCH]
        live = dispatcher.live_targets(task, batch)
        lost.extend(t for t in batch if str(t) not in live)
    return lost


def _touch(
    settings: Settings,
    entity: type[Page] | type[Ledger] | type[ExportJob],
    target: int | str,
    still: ColumnElement[bool],
) -> bool:
    """Restart the grace period of work that is `still` waiting (the next sweep leaves its new
    job alone); False when it moved on meanwhile: a job the sweep saw as gone had just run it,
    between the sweep's two looks (the database, then Redis), and it needs no new job."""
    with session_scope(settings) as session:
        result = session.execute(
            update(entity)
            .where(entity.id == target, still)
            .values(updated_at=state.now())
            .execution_options(synchronize_session=False)
        )
        return state.rowcount(result) == 1


def _clean_abandoned(dispatcher: RqDispatcher) -> None:
    """RQ moves jobs whose worker died (no heartbeat) from its started to its failed list."""
    from rq.registry import StartedJobRegistry

    StartedJobRegistry(queue=dispatcher.queue).cleanup()


def enqueue_ledger(
    settings: Settings, dispatcher: Dispatcher, ledger_id: str
) -> LedgerStatus | None:
    """Queue a stored ledger's split; when the queue is down, leave it `waiting` for the sweep.

    Returns the ledger's status afterwards (None if there is no such ledger). Only a ledger
    that is new, or waiting, is queued: one already split is left as it is.
    """
    with session_scope(settings) as session:
        result = session.execute(
            update(Ledger)
            .where(
                Ledger.id == ledger_id,
                Ledger.status.in_([LedgerStatus.queued, LedgerStatus.waiting]),
            )
            .values(status=LedgerStatus.queued, updated_at=state.now())
            .execution_options(synchronize_session=False)
        )
        if state.rowcount(result) != 1:
            ledger = session.get(Ledger, ledger_id)
            return LedgerStatus(ledger.status) if ledger else None
    try:
        dispatcher.submit(JobTask.split_ledger, ledger_id)
    except QueueUnavailable:
        _set_waiting(settings, ledger_id)
        return LedgerStatus.waiting
    return LedgerStatus.queued


def _set_waiting(settings: Settings, ledger_id: str) -> None:
    with session_scope(settings) as session:
        session.execute(
            update(Ledger)
            .where(Ledger.id == ledger_id, Ledger.status == LedgerStatus.queued)
            .values(status=LedgerStatus.waiting, updated_at=state.now())
            .execution_options(synchronize_session=False)
        )
