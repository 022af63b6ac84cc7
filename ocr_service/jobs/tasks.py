"""Job functions: split a ledger into pages, process one page, close a ledger.

They take ids, not objects, and find everything else in the database, so an RQ worker on
another machine and the local runner call them the same way.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from models.entities import (
    Ledger,
    LedgerStatus,
    Original,
    Page,
    PageOcr,
    PageState,
)
from ocr_service.config import Settings, get_settings
from ocr_service.db import session_scope
from ocr_service.ingest.documents import split_pages
from ocr_service.ingest.service import limits_from
from ocr_service.jobs import lifecycle, state
from ocr_service.jobs.lifecycle import (
    Dispatcher,
    JobTask,
    PageOutcome,
    QueueUnavailable,
    maybe_finish_ledger,
)
from ocr_service.learning.models import reading_settings
from ocr_service.metrics import stage_timings
from ocr_service.pipeline.page import PageInput, PageOutput, run_page
from ocr_service.storage import StorageUnavailable, get_storage

log = logging.getLogger(__name__)

# Why this worker refused a job from another installation (then it stops); None: it has not.
refused: str | None = None
REFUSED = "refused"  # such a job's RQ result: it was put back on the queue, not run


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- split ---------------------------------------------------------------------------------


def _claim_ledger_split(session: Session, ledger_id: str, lease: int) -> bool:
    t = state.now()
    result = session.execute(
        update(Ledger)
        .where(
            Ledger.id == ledger_id,
            or_(
                Ledger.status == LedgerStatus.queued,
                (Ledger.status == LedgerStatus.splitting)
                & (Ledger.updated_at < t - timedelta(seconds=lease)),
            ),
        )
        .values(status=LedgerStatus.splitting, updated_at=t)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return state.rowcount(result) == 1


def split_ledger(ledger_id: str, settings: Settings, dispatcher: Dispatcher) -> int:
    """Store every page image of a ledger's original and queue a job per page.

    Resumable: a split that was interrupted continues after the last stored page, and pages
    already stored are neither written again nor queued twice.
    """
    storage = get_storage(settings)
    with session_scope(settings) as session:
        if not _claim_ledger_split(session, ledger_id, settings.page_lease_seconds):
            return 0
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        original = session.get(Original, ledger.original_sha256)
        assert original is not None
        media_type, source_key = original.media_type, original.storage_key
        existing = session.scalar(select(func.max(Page.index)).where(Page.ledger_id == ledger_id))
        pending = session.scalars(
            select(Page.id).where(Page.ledger_id == ledger_id, Page.state == PageState.pending)
        ).all()
    for page_id in pending:
        _submit_page(dispatcher, page_id)
    start = (existing or 0) + 1
    stored = 0
    error: str | None = None
    try:
        # A remote store's original is a temporary copy while the split reads it.
        with storage.local_copy(source_key) as source:
            began = time.perf_counter()
            for sp in split_pages(source, media_type, limits_from(settings), start):
                key = f"pages/{ledger_id}/{sp.index:05d}.{sp.ext}"
                storage.put_bytes(key, sp.data)
                with session_scope(settings) as session:
                    page = Page(
                        ledger_id=ledger_id,
                        index=sp.index,
                        width=sp.width,
                        height=sp.height,
                        image_key=key,
                        image_source=sp.source,
                    )
                    session.add(page)
                    session.execute(
                        update(Ledger)
                        .where(Ledger.id == ledger_id)
                        .values(updated_at=state.now())
                        .execution_options(synchronize_session=False)
                    )
                    session.flush()
                    page_id = page.id
                _submit_page(dispatcher, page_id)
                stored += 1
                stage_timings.record(settings, {"split": time.perf_counter() - began})
                began = time.perf_counter()
    except StorageUnavailable:
        # The store is down, not the book: the ledger stays "splitting", and once its lease
        # runs out a worker's recovery pass queues the split again; it resumes where it was.
        raise
    except Exception as exc:  # a damaged page stops the split; what was stored is kept
        log.warning("ledger %s: split stopped: %s", ledger_id, exc)
        error = f"split stopped after {start - 1 + stored} pages: {exc}"
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        count = session.scalar(select(func.count()).where(Page.ledger_id == ledger_id)) or 0
        ledger.error = error
        ledger.status = LedgerStatus.processing if count else LedgerStatus.failed
        if not count and error is None:
            ledger.error = "no pages found"
    maybe_finish_ledger(ledger_id, settings)
    return stored


def _submit_page(dispatcher: Dispatcher, page_id: int) -> None:
    """Queue a stored page; with the queue down the split goes on (the page is stored and
    pending, and the sweep queues it when the queue is back): a Redis blip never cuts a book."""
    try:
        dispatcher.submit(JobTask.process_page, page_id)
    except QueueUnavailable:
        log.warning("page %s stored; the queue is down, the sweep will queue it", page_id)


# --- pages ---------------------------------------------------------------------------------


def _page_input(session: Session, page_id: int, settings: Settings) -> PageInput | None:
    page = session.get(Page, page_id)
    if page is None:
        return None
    lexicon = None
    if settings.ocr_engine == "vi" and settings.ocr.vi.decode == "beam-vocab":
        from ocr_service.learning.vocabulary import ledger_lexicon

        lexicon = ledger_lexicon(session, page.ledger)
    return PageInput(
        page_id=page.id,
        ledger_id=page.ledger_id,
        index=page.index,
        image_key=page.image_key,
        meta=page.ledger.book_meta(),
        lexicon=lexicon,
    )


class _Heartbeat:
    """Keeps a claimed page's lease alive while the work runs in this process."""

    def __init__(self, claim: state.Claim, settings: Settings) -> None:
        self.claim, self.settings = claim, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = max(0.5, self.settings.page_lease_seconds / 3)
        while not self._stop.wait(interval):
            try:
                with session_scope(self.settings) as session:
                    if not state.extend_lease(
                        session, self.claim, self.settings.page_lease_seconds
                    ):
                        return
            except Exception:  # the database may blip; the next beat tries again
                log.exception("lease heartbeat failed for page %s", self.claim.page_id)


def store_page_output(session: Session, inp: PageInput, out: PageOutput) -> None:
    """Replace (never append) everything this page produced."""
    page = session.get(Page, inp.page_id)
    assert page is not None
    page.thumb_key = out.thumb_key
    page.processed_key = out.processed_key
    page.processed_width = out.processed_size[0] if out.processed_size else None
    page.processed_height = out.processed_size[1] if out.processed_size else None
    page.preprocess = out.preprocess
    session.execute(delete(PageOcr).where(PageOcr.page_id == inp.page_id))
    if out.ocr is not None:
        session.add(
            PageOcr(
                page_id=inp.page_id,
                engine=out.ocr.engine,
                engine_version=out.ocr.engine_version,
                width=out.ocr.width,
                height=out.ocr.height,
                lines=[ln.to_json() for ln in out.ocr.lines],
                seconds=out.ocr.seconds,
                provenance=dict(out.ocr.provenance) if out.ocr.provenance else None,
            )
        )
    from ocr_service.records.store import replace_page_records

    replace_page_records(session, inp, out.records)


def process_page(
    page_id: int, settings: Settings, dispatcher: Dispatcher | None = None
) -> PageOutcome:
    """Run the page pipeline once; returns done, failed, retry or skipped."""
    storage = get_storage(settings)
    with session_scope(settings) as session:
        claim = state.claim_page(
            session,
            page_id,
            worker_name(),
            lease_seconds=settings.page_lease_seconds,
            max_attempts=settings.page_max_attempts,
        )
        inp = _page_input(session, page_id, settings) if claim else None
    if claim is None or inp is None:
        return PageOutcome.skipped
    try:
        with _Heartbeat(claim, settings):
            # The recogniser version active for the ledger reads it (learning/models.py).
            out = run_page(inp, storage, reading_settings(settings, inp.ledger_id))
        with session_scope(settings) as session:
            if not state.mark_done(session, claim):
                session.rollback()
                return PageOutcome.skipped
            store_page_output(session, inp, out)
        stage_timings.record(settings, out.timings)
    except Exception as exc:
        reason = lifecycle.failure_reason(exc)
        log.warning("ledger %s page %s failed: %s", inp.ledger_id, inp.index, reason)
        return lifecycle.page_failed(
            settings,
            dispatcher,
            claim,
            inp.ledger_id,
            reason,
            permanent=lifecycle.is_permanent(exc),
        )
    maybe_finish_ledger(inp.ledger_id, settings)
    return PageOutcome.done


# --- recovery ------------------------------------------------------------------------------


def recover(settings: Settings, dispatcher: Dispatcher, *, startup: bool = False) -> int:
    """Re-queue work that lost its worker: stale running pages, and stuck splits.

    Safe to run from every worker at once: claims are atomic, a duplicate job is a no-op.
    At start-up it also re-queues pending pages and queued ledgers, whose queue entries may
    have been lost with the process or the Redis that held them.
    """
    lease = settings.page_lease_seconds
    requeued = 0
    with session_scope(settings) as session:
        stale = state.stale_running_pages(session)
    for page_id in stale:
        new = lifecycle.page_lost(
            settings,
            dispatcher,
            page_id,
            "worker stopped while processing the page (lease expired)",
        )
        if new == PageState.pending:
            requeued += 1
    cutoff = state.now() - timedelta(seconds=lease)
    with session_scope(settings) as session:
        old_pending: list[int] = []
        split_states = [LedgerStatus.splitting]
        if startup:
            old_pending = list(
                session.scalars(select(Page.id).where(Page.state == PageState.pending))
            )
            split_states.append(LedgerStatus.queued)
        splits = session.scalars(
            select(Ledger.id).where(
                Ledger.status.in_(split_states),
                or_(Ledger.status == LedgerStatus.queued, Ledger.updated_at < cutoff),
            )
        ).all()
        open_ledgers = session.scalars(
            select(Ledger.id).where(Ledger.status == LedgerStatus.processing)
        ).all()
    for page_id in old_pending:
        with session_scope(settings) as session:
            session.execute(
                update(Page)
                .where(Page.id == page_id)
                .values(updated_at=state.now())
                .execution_options(synchronize_session=False)
            )
        dispatcher.submit(JobTask.process_page, page_id)
        requeued += 1
    # A split keeps no attempt count in the database: one that stopped heart-beating (its
    # ledger left "splitting" past the lease) is queued again and resumes where it stopped.
    for ledger_id in splits:
        dispatcher.submit(JobTask.split_ledger, ledger_id)
        requeued += 1
    for ledger_id in open_ledgers:
        maybe_finish_ledger(ledger_id, settings)
    if startup:  # training jobs whose queue entries may have been lost (learning/trigger.py)
        from ocr_service.learning.trigger import queued_scopes

        with session_scope(settings) as session:
            scopes = queued_scopes(session)
        for scope in scopes:
            dispatcher.submit(JobTask.train_scope, scope.job_arg())
            requeued += 1
    from ocr_service.jobs.export_jobs import recover_exports

    return requeued + recover_exports(settings, dispatcher, startup=startup)


# --- entry points for RQ -------------------------------------------------------------------


def refused_foreign(task: JobTask, arg: str | int, settings: Settings, owner: str | None) -> bool:
    """A job from another installation's database: put it back for a worker that can see it
    and stop this worker, which then exits with the reason (jobs.worker.run_worker). Never a
    silent skip: the job is not run here, and not lost."""
    from ocr_service.jobs.dispatch import RqDispatcher
    from ocr_service.jobs.installation import job_mismatch

    reason = job_mismatch(settings, owner)
    if reason is None:
        return False
    RqDispatcher(settings).enqueue(task, arg, owner)
    global refused
    refused = reason
    log.error("%s", reason)
    # RQ's warm shutdown: the worker stops once this job has returned.
    signal.raise_signal(signal.SIGTERM)
    return True


def split_job(ledger_id: str, installation: str | None = None) -> int | str:
    """`installation`: the id of the database the job was queued from (jobs.installation);
    absent on jobs queued before it existed."""
    from ocr_service.jobs.dispatch import RqDispatcher

    settings = get_settings()
    if refused_foreign(JobTask.split_ledger, ledger_id, settings, installation):
        return REFUSED
    return split_ledger(ledger_id, settings, RqDispatcher(settings))


def page_job(page_id: int, installation: str | None = None) -> str:
    """As split_job; returns the page's outcome."""
    from ocr_service.jobs.dispatch import RqDispatcher

    settings = get_settings()
    if refused_foreign(JobTask.process_page, page_id, settings, installation):
        return REFUSED
    # The plain string, not the enum: RQ pickles the result into Redis for any reader.
    return process_page(page_id, settings, RqDispatcher(settings)).value


def run_task(task: JobTask, arg: str | int, settings: Settings, dispatcher: Dispatcher) -> None:
    """Run one job in this process (the local runner's children)."""
    if task == JobTask.split_ledger:
        split_ledger(str(arg), settings, dispatcher)
    elif task == JobTask.process_page:
        process_page(int(arg), settings, dispatcher)
    elif task == JobTask.export_ledger:
        from ocr_service.jobs.export_jobs import run_export_job

        run_export_job(str(arg), settings)
    elif task == JobTask.train_scope:
        from ocr_service.learning.job import run_training

        run_training(str(arg), settings, dispatcher)
    else:
        raise ValueError(f"unknown task {task}")
