"""`sohoa worker`: an RQ worker on the sohoa queue, plus a reaper for work lost by dead workers.

It is a SimpleWorker (jobs run in the worker process, no fork per job) so OCR models load once
and stay loaded; a worker that crashes or is killed loses at most its current page, which the
reaper of any other worker re-queues when that page's lease runs out.

A worker needs only the network: the database, Redis and the store (s3:// storage). Before it
takes a job it checks that it reaches the database and the store, and that they are the
installation's (`jobs.installation`); otherwise it refuses to start with one line.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from rq import Queue, SimpleWorker

from ocr_service.config import Settings
from ocr_service.errors import SohoaError
from ocr_service.jobs import tasks
from ocr_service.jobs.dispatch import RqDispatcher
from ocr_service.jobs.installation import WrongInstallation, check_worker, database_label
from ocr_service.jobs.tasks import recover
from ocr_service.storage import get_storage

log = logging.getLogger(__name__)


def _reap(settings: Settings, stop: threading.Event) -> None:
    dispatcher = RqDispatcher(settings)
    interval = max(1.0, settings.page_lease_seconds / 2)
    while not stop.wait(interval):
        try:
            recover(settings, dispatcher)
        except Exception:
            log.exception("recovery pass failed")


def warm_up(settings: Settings) -> None:
    """Load the OCR models before taking jobs, so the first page is not slow."""
    if settings.ocr_engine == "none":
        return
    from ocr_service.ocr import get_engine

    get_engine(settings.ocr_engine, settings.ocr)
    if settings.second_engine:
        get_engine(settings.second_engine, settings.ocr)


class WorkerRefused(SohoaError):
    """The worker cannot reach what it needs; it takes no job."""

    code = "worker_refused"
    exit_code = 2


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def preflight(settings: Settings) -> None:
    """Raise, with one line, unless this worker reaches the installation's database and store
    and they are the ones the installation announced on Redis."""
    from redis.exceptions import RedisError

    from ocr_service.db import upgrade_database

    try:
        upgrade_database(settings)
    except Exception as exc:
        raise WorkerRefused(
            f"worker: cannot reach the database {database_label(settings)}: {_first_line(exc)}"
        ) from None
    storage = get_storage(settings)
    try:
        storage.check()
    except SohoaError as exc:
        raise WorkerRefused(f"worker: cannot use the storage: {exc.message}") from None
    assert settings.redis_url
    try:
        check_worker(settings, Redis.from_url(settings.redis_url))
    except RedisError as exc:  # Redis itself is the queue's business: it waits for it
        log.warning("cannot read the installation marker from Redis yet: %s", _first_line(exc))


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    queue = Queue(settings.queue_name, connection=connection)
    warm_up(settings)
    stop = threading.Event()
    recover(settings, RqDispatcher(settings))
    reaper = threading.Thread(target=_reap, args=(settings, stop), daemon=True)
    reaper.start()
    try:
        worker = SimpleWorker([queue], connection=connection)
        worked = bool(worker.work(burst=burst, logging_level="WARNING"))
    finally:
        stop.set()
    if tasks.refused:  # it met another installation's job, put it back and stopped
        raise WrongInstallation(tasks.refused)
    return worked
