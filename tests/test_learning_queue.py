"""Training jobs travel on their own queue and `sohoa worker --queue train` runs them (#17)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import select

from models.entities import TrainScope
from ocr_service.db import session_scope, upgrade_database
from ocr_service.jobs.dispatch import RqDispatcher
from ocr_service.jobs.lifecycle import JobTask
from tests.conftest import make_settings
from tests.factories import add_book
from tests.test_jobs_workers import ROOT, worker_env


def test_a_train_worker_takes_the_training_jobs_and_a_page_worker_does_not(
    tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", redis_url=redis_url)
    upgrade_database(settings)
    book = add_book(settings, records=2)  # nothing confirmed yet: nothing to learn from
    RqDispatcher(settings).submit(JobTask.train_scope, f"ledger:{book.ledger_id}")
    connection = Redis.from_url(redis_url)
    train_queue = Queue(settings.train_queue_name, connection=connection)
    assert Queue(settings.queue_name, connection=connection).count == 0
    assert train_queue.count == 1
    job_id = train_queue.job_ids[0]

    def worker(queue: str) -> None:
        env = {**worker_env(settings), "SOHOA_TRAIN_QUEUE_NAME": settings.train_queue_name}
        run = subprocess.run(
            [sys.executable, "-m", "ocr_service.cli", "worker", "--burst", "--queue", queue],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr

    worker("pages")
    assert train_queue.count == 1  # a page worker leaves training alone
    worker("train")
    assert train_queue.count == 0
    assert train_queue.fetch_job(job_id).return_value() == "too-few"  # type: ignore[union-attr]
    with session_scope(settings) as session:
        row = session.scalar(select(TrainScope))
        assert row is not None and row.scope_key == book.ledger_id
        assert row.claim_token is None and "too few" in (row.last_error or "")


def test_a_burst_worker_ends_its_upkeep_thread_before_it_returns(
    tmp_path: Path, redis_url: str
) -> None:
    """A daemon upkeep thread still in a library call when the interpreter exits is ended by
    pthread_exit, which aborted a burst worker once ('FATAL: exception not rethrown')."""
    import threading

    from ocr_service.jobs.worker import WorkerQueue, run_worker

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", redis_url=redis_url)
    upgrade_database(settings)
    run_worker(settings, burst=True, queue=WorkerQueue.train)
    assert not [t for t in threading.enumerate() if t.name == "sohoa-upkeep" and t.is_alive()]
