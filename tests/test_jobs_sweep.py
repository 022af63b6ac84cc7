"""The sweep: queues again exactly the work whose job is gone, one sweeper at a time."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select, update

from models.entities import ExportJob, Ledger, Page
from models.schemas import ExportRequest
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.jobs import state
from ocr_service.jobs.dispatch import RqDispatcher
from ocr_service.jobs.export_jobs import create_export_job
from ocr_service.jobs.lifecycle import JobTask, QueueUnavailable
from ocr_service.jobs.outage import Backoff
from ocr_service.jobs.sweep import enqueue_ledger, lock_key, sweep
from ocr_service.jobs.tasks import split_ledger
from tests.conftest import make_settings
from tests.test_jobs_workers import add_ledger, book_pdf


class Recorder:
    def __init__(self) -> None:
        self.jobs: list[tuple[str, str | int]] = []

    def submit(self, task: JobTask, arg: str | int) -> None:
        self.jobs.append((task, arg))


def split_book(settings: Settings, tmp_path: Path, pages: int) -> tuple[str, list[int]]:
    """A ledger split into `pending` pages whose jobs went nowhere, all past the grace."""
    ledger_id = add_ledger(settings, book_pdf(tmp_path / "book.pdf", pages))
    split_ledger(ledger_id, settings, Recorder())
    with session_scope(settings) as session:
        session.execute(
            update(Page)
            .where(Page.ledger_id == ledger_id)
            .values(updated_at=state.now() - timedelta(minutes=5))
        )
        ids = list(session.scalars(select(Page.id).where(Page.ledger_id == ledger_id)))
    return ledger_id, sorted(ids)


def queued_args(dispatcher: RqDispatcher) -> list[int]:
    return sorted(int(job.args[0]) for job in dispatcher.queue.get_jobs())


def test_sweep_queues_only_lost_pages_and_one_sweeper_runs_at_a_time(
    tmp_path: Path, db_url: str, redis_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        db_url,
        redis_url=redis_url,
        sweep_interval_seconds=30,
        sweep_grace_seconds=60,
        queue_name="sweep-test",
    )
    upgrade_database(settings)
    _, ids = split_book(settings, tmp_path, 5)
    dispatcher = RqDispatcher(settings)
    dispatcher.submit(JobTask.process_page, ids[0])  # this one's job is waiting in the queue

    barrier = threading.Barrier(2)
    results = []

    def sweeper() -> None:
        barrier.wait()
        results.append(sweep(settings, RqDispatcher(settings)))

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.ran for r in results) == [False, True]
    assert max(r.pages for r in results) == 4
    # Every page now has exactly one job: the waiting one was not queued twice.
    assert queued_args(dispatcher) == ids
    # Within the interval nobody sweeps again, however many processes try.
    assert not sweep(settings, dispatcher).ran

    # Pages just queued again are inside their grace period: left alone.
    Redis.from_url(redis_url).delete(lock_key(settings))
    assert sweep(settings, dispatcher).pages == 0

    # A job gone from Redis (restarted empty, or its job failed): queued again once past the
    # grace period, the others, waiting, left alone.
    gone = dispatcher.queue.get_jobs()[2]
    lost_page = int(gone.args[0])
    gone.delete()
    with session_scope(settings) as session:
        session.execute(update(Page).values(updated_at=state.now() - timedelta(minutes=5)))
    Redis.from_url(redis_url).delete(lock_key(settings))
    result = sweep(settings, dispatcher)
    assert (result.ran, result.pages) == (True, 1)
    assert queued_args(dispatcher) == ids
    assert str(lost_page) in dispatcher.live_targets(JobTask.process_page, [lost_page])


def test_a_waiting_ledger_is_queued_by_the_sweep_once_the_queue_is_back(
    tmp_path: Path, db_url: str, redis_url: str
) -> None:
    down = make_settings(
        tmp_path, db_url, redis_url="redis://127.0.0.1:6397/0", queue_name="sweep-wait"
    )
    upgrade_database(down)
    ledger_id = add_ledger(down, book_pdf(tmp_path / "book.pdf", 2))
    try:
        RqDispatcher(down).submit(JobTask.split_ledger, ledger_id)
        raise AssertionError("nothing listens on that port")
    except QueueUnavailable:
        pass
    assert enqueue_ledger(down, RqDispatcher(down), ledger_id) == "waiting"
    with session_scope(down) as session:
        assert session.get(Ledger, ledger_id).status == "waiting"  # type: ignore[union-attr]

    up = make_settings(tmp_path, db_url, redis_url=redis_url, queue_name="sweep-wait")
    dispatcher = RqDispatcher(up)
    result = sweep(up, dispatcher)
    assert (result.ran, result.ledgers) == (True, 1)
    with session_scope(up) as session:
        assert session.get(Ledger, ledger_id).status == "queued"  # type: ignore[union-attr]
    assert [job.args[0] for job in dispatcher.queue.get_jobs()] == [ledger_id]
    assert dispatcher.live_targets(JobTask.split_ledger, [ledger_id]) == {ledger_id}


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    import random

    backoff = Backoff(cap=4.0, rng=random.Random(7))
    waits = [backoff.next_wait() for _ in range(8)]
    assert 0.25 <= waits[0] <= 0.5
    assert all(w <= 4.0 for w in waits) and waits[-1] >= 2.0
    assert len(set(waits)) == len(waits)  # jittered: no two workers retry in step
    backoff.reset()
    assert backoff.next_wait() <= 0.5


class QueueDown:
    def submit(self, task: JobTask, arg: str | int) -> None:
        raise QueueUnavailable("queue unreachable: ConnectionError")


def test_a_split_goes_on_while_the_queue_is_down(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    upgrade_database(settings)
    ledger_id = add_ledger(settings, book_pdf(tmp_path / "book.pdf", 6))
    assert split_ledger(ledger_id, settings, QueueDown()) == 6
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        assert (ledger.status, ledger.error) == ("processing", None)
        states = list(session.scalars(select(Page.state).where(Page.ledger_id == ledger_id)))
    assert states == ["pending"] * 6  # stored, for the sweep to queue


def test_upkeep_rides_out_a_database_outage_with_one_log_line(
    tmp_path: Path, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from ocr_service.jobs.worker import run_upkeep

    # Nothing listens on that port: every pass meets a database that is down.
    settings = make_settings(
        tmp_path,
        "postgresql://postgres@127.0.0.1:5999/nowhere",
        redis_url=redis_url,
        page_lease_seconds=2,
        sweep_interval_seconds=1,
        queue_name="upkeep-test",
    )
    stop = threading.Event()
    caplog.set_level(logging.WARNING)
    upkeep = threading.Thread(target=run_upkeep, args=(settings, stop, "test"))
    upkeep.start()
    time.sleep(3.5)  # several passes
    assert upkeep.is_alive()
    stop.set()
    upkeep.join(10)
    assert not upkeep.is_alive()
    lines = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert lines == [
        "test upkeep: queue or database unreachable (OperationalError); retrying with backoff"
    ]
    assert not [r for r in caplog.records if r.exc_info]


def test_an_export_job_whose_queue_entry_is_gone_is_queued_again(
    tmp_path: Path, db_url: str, redis_url: str
) -> None:
    """An export asked for while the queue was down (stored "queued", no job) is queued by the
    sweep once the queue is back, past the grace period; one whose job waits is left alone."""
    settings = make_settings(tmp_path, db_url, redis_url=redis_url, queue_name="sweep-export")
    upgrade_database(settings)
    ledger_id = add_ledger(settings, book_pdf(tmp_path / "book.pdf", 1))
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        lost = create_export_job(session, ledger, ExportRequest(format="json"), None)
        waiting = create_export_job(session, ledger, ExportRequest(format="csv"), None)
        session.flush()
        lost_id, waiting_id = lost.id, waiting.id
    dispatcher = RqDispatcher(settings)
    dispatcher.submit(JobTask.export_ledger, waiting_id)
    assert sweep(settings, dispatcher).exports == 0  # both inside their grace period
    with session_scope(settings) as session:
        session.execute(update(ExportJob).values(updated_at=state.now() - timedelta(minutes=5)))
    Redis.from_url(redis_url).delete(lock_key(settings))
    result = sweep(settings, dispatcher)
    assert (result.ran, result.exports) == (True, 1)
    assert sorted(job.args[0] for job in dispatcher.queue.get_jobs()) == sorted(
        [lost_id, waiting_id]
    )


def test_a_page_done_between_the_sweeps_two_looks_is_not_queued_again(
    tmp_path: Path, db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep reads pending pages from the database, then asks Redis for their jobs; a
    worker that finishes a page in between leaves no live job behind, yet the page needs none."""
    settings = make_settings(tmp_path, db_url, redis_url=redis_url, queue_name="sweep-race")
    upgrade_database(settings)
    _, ids = split_book(settings, tmp_path, 3)
    dispatcher = RqDispatcher(settings)

    def finished_meanwhile(task: JobTask, args: list[int]) -> set[str]:
        with session_scope(settings) as session:  # a worker finishes every page just now
            session.execute(update(Page).values(state="done"))
        return set()  # and their jobs are no longer waiting

    monkeypatch.setattr(dispatcher, "live_targets", finished_meanwhile)
    result = sweep(settings, dispatcher)
    assert (result.ran, result.pages) == (True, 0)
    assert dispatcher.queue.get_jobs() == []
    assert len(ids) == 3
