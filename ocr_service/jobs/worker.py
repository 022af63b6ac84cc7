"""`sohoa worker`: an RQ worker on the sohoa queue that rides out Redis and database outages,
plus the upkeep every worker runs: the reaper for work lost by dead workers, and the sweep.

It is a SimpleWorker (jobs run in the worker process, no fork per job) so OCR models load once
and stay loaded; a worker that crashes or is killed loses at most its current page, which the
reaper of any other worker re-queues when that page's lease runs out.

A worker needs only the network: the database, Redis and the store (s3:// storage). Before it
takes a job it checks that it reaches the database and the store, and that they are the
installation's (`jobs.installation`); otherwise it refuses to start with one line.

RQ itself retries a lost connection only while it waits for a job; anywhere else (a heartbeat,
the end of a job, its maintenance) a connection error makes `Worker.work` log "unhandled
exception, quitting" and return. So the worker runs RQ's loop inside its own: when the loop
ends without a stop request, it waits for Redis with capped backoff and starts a fresh RQ
worker (a Redis that restarted empty has forgotten the old one's registration). A job cut off
by the outage is not lost: its page is pending or running in the database, and the sweep or the
reaper queues it again.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from redis import Redis
from redis.client import Pipeline
from rq import Queue, SimpleWorker, worker_registration

from ocr_service.config import Settings
from ocr_service.errors import SohoaError
from ocr_service.jobs import tasks
from ocr_service.jobs.dispatch import RqDispatcher
from ocr_service.jobs.installation import WrongInstallation, check_worker, database_label
from ocr_service.jobs.lifecycle import QueueUnavailable
from ocr_service.jobs.outage import Backoff, OutageLog, is_connection_error
from ocr_service.jobs.queues import WorkerQueue, queue_name
from ocr_service.jobs.sweep import sweep
from ocr_service.jobs.tasks import recover
from ocr_service.storage import get_storage

log = logging.getLogger(__name__)

# RQ's own lines for a lost connection: one per retry, which the outage log replaces.
_RQ_RETRY_LINES = ("could not connect to Redis instance", "Redis connection timeout")


class _QuietRetries(logging.Filter):
    """Drops RQ's per-retry connection lines and its traceback for a connection error."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if any(line in message for line in _RQ_RETRY_LINES):
            return False
        exc = record.exc_info[1] if record.exc_info else None
        return not (exc is not None and is_connection_error(exc))


class HealingWorker(SimpleWorker):
    """RQ's SimpleWorker that registers again after Redis restarted empty: RQ reconnects by
    itself while it waits for a job, but the restarted Redis no longer lists the worker, and
    `sohoa status --all` (RQ's Worker.all) would not count it.

    `stop` is set by a SIGTERM / SIGINT that came before RQ's loop installed its own handlers;
    the loop then stops at once instead of missing the request."""

    stop: threading.Event | None = None

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        # RQ raises StopRequested out of an idle loop without noting the request anywhere.
        if self.stop is not None:
            self.stop.set()
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[no-untyped-call]
        if self.stop is not None and self.stop.is_set():
            self._stop_requested = True

    def heartbeat(
        self, timeout: int | None = None, pipeline: Pipeline[bytes] | None = None
    ) -> None:
        if pipeline is None and not self.connection.sismember(self.redis_workers_keys, self.key):
            with self.connection.pipeline() as again:
                again.hset(self.key, mapping=self.serialize())
                worker_registration.register(self, again)
                again.execute()
        super().heartbeat(timeout, pipeline)


def upkeep_pass(settings: Settings, dispatcher: RqDispatcher) -> None:
    """One round of upkeep: release work of dead workers, then sweep (if it is our turn)."""
    recover(settings, dispatcher)
    sweep(settings, dispatcher)


UPKEEP_JOIN_S = 30.0  # s a stopping worker waits for its upkeep pass (a stuck one is left)


def run_upkeep(settings: Settings, stop: threading.Event, name: str) -> None:
    """Upkeep until `stop`, one log line per outage of Redis or the database."""
    dispatcher = RqDispatcher(settings)
    outage = OutageLog(f"{name} upkeep: queue or database")
    interval = max(1.0, min(settings.page_lease_seconds / 2, settings.sweep_interval_seconds))
    while True:
        try:
            upkeep_pass(settings, dispatcher)
            outage.ok()
        except Exception as exc:
            if isinstance(exc, QueueUnavailable) or is_connection_error(exc):
                outage.failed(exc)
            else:
                log.exception("%s upkeep pass failed", name)
        if stop.wait(interval):
            return


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


def _wait_for_redis(
    connection: Redis[bytes], outage: OutageLog, backoff: Backoff, stop: threading.Event
) -> bool:
    """Block until Redis answers; False if asked to stop meanwhile."""
    while not stop.is_set():
        try:
            connection.ping()
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            outage.failed(exc)
            backoff.sleep(stop)
            continue
        outage.ok()
        backoff.reset()
        return True
    return False


def _default_signals(stop: threading.Event) -> None:
    """Between two RQ loops, SIGTERM / SIGINT stop the worker (RQ's handlers belong to the
    loop that installed them)."""

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)


def run_worker(
    settings: Settings, *, burst: bool = False, queue: WorkerQueue = WorkerQueue.pages
) -> bool:
    """Take jobs from `queue` (pages, or training) until stopped (or empty, with `burst`)."""
    assert settings.redis_url
    logging.getLogger("rq.worker").addFilter(_QuietRetries())
    connection = Redis.from_url(settings.redis_url, socket_connect_timeout=5)
    rq_queue = Queue(queue_name(settings, queue), connection=connection)
    if queue == WorkerQueue.pages:
        warm_up(settings)
    stop = threading.Event()
    _default_signals(stop)
    upkeep = threading.Thread(
        target=run_upkeep, args=(settings, stop, "worker"), daemon=True, name="sohoa-upkeep"
    )
    upkeep.start()
    outage = OutageLog("worker: queue (Redis)")
    backoff = Backoff()
    worked = False
    try:
        while _wait_for_redis(connection, outage, backoff, stop):
            worker = HealingWorker([rq_queue], connection=connection)
            worker.stop = stop
            try:
                worked = worker.work(burst=burst, logging_level="WARNING") or worked
            except Exception as exc:  # RQ's teardown when Redis is gone
                if not is_connection_error(exc):
                    raise
                outage.failed(exc)
            finally:
                _default_signals(stop)
            # Stopped on purpose: burst done, SIGTERM, or a job of another installation that
            # it put back (tasks.refused, raised below) - never restarted.
            if burst or stop.is_set() or tasks.refused:
                break
            # RQ's loop ended on an error of its own: Redis went away, or something else went
            # wrong, which RQ has logged; either way wait a little, then start again.
            backoff.sleep(stop)
    finally:
        stop.set()
        # Let the upkeep pass end before the interpreter does: a daemon thread still inside a
        # library call at exit is ended by pthread_exit, which C++ code that catches all
        # exceptions turns into an abort ("FATAL: exception not rethrown", exit -6 of a
        # `worker --burst` after its work was done; seen once in CI).
        upkeep.join(UPKEEP_JOIN_S)
    if tasks.refused:  # it met another installation's job, put it back and stopped
        raise WrongInstallation(tasks.refused)
    return worked
