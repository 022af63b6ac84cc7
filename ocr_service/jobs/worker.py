"""`sohoa worker`: an RQ worker on the sohoa queue, plus a reaper for work lost by dead workers.

It is a SimpleWorker (jobs run in the worker process, no fork per job) so OCR models load once
and stay loaded; a worker that crashes or is killed loses at most its current page, which the
reaper of any other worker re-queues when that page's lease runs out.
"""

from __future__ import annotations

import logging
import threading

from redis import Redis
from rq import Queue, SimpleWorker

from ocr_service.config import Settings
from ocr_service.jobs.dispatch import RqDispatcher
from ocr_service.jobs.queues import WorkerQueue, queue_name
from ocr_service.jobs.tasks import recover

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


def run_worker(
    settings: Settings, *, burst: bool = False, queue: WorkerQueue = WorkerQueue.pages
) -> bool:
    """Take jobs from `queue` (pages, or training) until stopped (or empty, with `burst`)."""
    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url)
    rq_queue = Queue(queue_name(settings, queue), connection=connection)
    if queue == WorkerQueue.pages:
        warm_up(settings)
    stop = threading.Event()
    recover(settings, RqDispatcher(settings))
    reaper = threading.Thread(target=_reap, args=(settings, stop), daemon=True)
    reaper.start()
    try:
        worker = SimpleWorker([rq_queue], connection=connection)
        return bool(worker.work(burst=burst, logging_level="WARNING"))
    finally:
        stop.set()
