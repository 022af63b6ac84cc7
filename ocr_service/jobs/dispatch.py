"""Where jobs run: RQ queues on Redis (many machines), or a local pool of worker processes.

The local runner mirrors an RQ worker's safety: each job runs in a child process, a child that
dies or overruns the page timeout is replaced, and its page is released for another try.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing import queues
from multiprocessing.process import BaseProcess
from typing import Literal, NamedTuple

from ocr_service.config import Settings
from ocr_service.jobs import lifecycle
from ocr_service.jobs.installation import announce, installation_id
from ocr_service.jobs.lifecycle import JobTask, QueueUnavailable
from ocr_service.jobs.outage import is_connection_error

log = logging.getLogger(__name__)

SPLIT_TIMEOUT = 6 * 3600
JOB_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
EXPORT_TIMEOUT = 4 * 3600


# How long the note "this target's latest job is X" is kept: longer than a job waits in the
# queue of a province-sized backlog, so the sweep never mistakes a waiting job for a lost one.
JOB_NOTE_TTL = 60 * 86400
# RQ job states in which a job will still run (or is running): its target is not lost.
LIVE_JOB_STATES = frozenset(
    {"created", "queued", "started", "deferred", "scheduled", "rate_limited", "ready_to_enqueue"}
)
TRAIN_OVERHEAD = 1200  # s beyond the training budget: loading data, the guard, storing


class RqDispatcher:
    """Jobs on an RQ queue, each marked with the installation it belongs to (`installation`),
    with a note of each target's latest job id so the sweep can tell a job that is waiting from
    one that is gone (Redis restarted, job failed, worker lost). `announce`: also say on Redis
    which installation this queue serves (the API, the CLI)."""

    def __init__(self, settings: Settings, *, announce: bool = False) -> None:
        from redis import Redis
        from rq import Queue

        assert settings.redis_url
        self.settings = settings
        self.connection = Redis.from_url(
            settings.redis_url, socket_connect_timeout=5, socket_timeout=30
        )
        self.queue = Queue(settings.queue_name, connection=self.connection)
        # Training runs on its own queue, so `sohoa worker --queue train` takes it anywhere.
        self.train_queue = Queue(settings.train_queue_name, connection=self.connection)
        self._announce = announce
        self._announced = False
        if announce:
            self._try_announce()

    @property
    def installation(self) -> str:
        """The id of this process's database (read once per process)."""
        return installation_id(self.settings)

    def _try_announce(self) -> None:
        from redis.exceptions import RedisError

        try:
            announce(self.settings, self.connection)
            self._announced = True
        except RedisError as exc:  # said again with the next job queued
            log.warning("cannot announce the installation on Redis yet: %s", exc)

    def note_key(self, task: JobTask, arg: str | int) -> str:
        return f"sohoa:{self.settings.queue_name}:job:{task.value}:{arg}"

    def submit(self, task: JobTask, arg: str | int) -> None:
        if self._announce and not self._announced:
            self._try_announce()
        self.enqueue(task, arg, self.installation)

    def enqueue(self, task: JobTask, arg: str | int, installation_id: str | None) -> None:
        """Queue a job for `installation_id`'s workers (a job put back keeps its own); raises
        QueueUnavailable when Redis cannot be reached."""
        task = JobTask(task)
        # RQ job ids take letters, digits, '_' and '-' only (a training scope is "ledger:ID").
        job_id = f"sohoa-{task.value}-{JOB_ID_UNSAFE.sub('_', str(arg))}-{uuid.uuid4().hex[:12]}"
        try:
            # Noted before it is queued: a job never runs without its note.
            self.connection.set(self.note_key(task, arg), job_id, ex=JOB_NOTE_TTL)
            self._enqueue(task, arg, job_id, installation_id)
        except Exception as exc:
            if is_connection_error(exc):
                raise QueueUnavailable(f"queue unreachable: {type(exc).__name__}") from exc
            raise

    def _enqueue(
        self, task: JobTask, arg: str | int, job_id: str, installation_id: str | None
    ) -> None:
        kwargs = {"installation": installation_id} if installation_id else {}
        if task == JobTask.split_ledger:
            self.queue.enqueue_call(
                "ocr_service.jobs.tasks.split_job",
                args=(arg,),
                kwargs=kwargs,
                timeout=SPLIT_TIMEOUT,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                at_front=True,
                job_id=job_id,
            )
        elif task == JobTask.process_page:
            self.queue.enqueue_call(
                "ocr_service.jobs.tasks.page_job",
                args=(arg,),
                kwargs=kwargs,
                timeout=self.settings.page_timeout_seconds,
                result_ttl=600,
                failure_ttl=7 * 86400,
                job_id=job_id,
            )
        elif task == JobTask.export_ledger:
            self.queue.enqueue_call(
                "ocr_service.jobs.export_jobs.export_job",
                args=(arg,),
                kwargs=kwargs,
                timeout=EXPORT_TIMEOUT,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                job_id=job_id,
            )
        elif task == JobTask.train_scope:
            self.train_queue.enqueue_call(
                "ocr_service.learning.job.train_job",
                args=(arg,),
                job_id=job_id,
                timeout=train_timeout(self.settings),
                result_ttl=7 * 86400,
                failure_ttl=7 * 86400,
            )
        else:
            raise ValueError(f"unknown task {task}")

    def live_targets(self, task: JobTask, args: Sequence[str | int]) -> set[str]:
        """Which of `args` have a job that is waiting or running (as strings)."""
        from rq.job import Job

        if not args:
            return set()
        ids = self.connection.mget([self.note_key(task, a) for a in args])
        known = [(str(a), i.decode()) for a, i in zip(args, ids, strict=True) if i is not None]
        jobs = Job.fetch_many([job_id for _, job_id in known], connection=self.connection)
        live: set[str] = set()
        for (arg, _), job in zip(known, jobs, strict=True):
            if job is not None and job.get_status(refresh=False) in LIVE_JOB_STATES:
                live.add(arg)
        return live

    def ping(self) -> bool:
        try:
            return bool(self.connection.ping())
        except Exception:
            return False


def train_timeout(settings: Settings) -> int:
    """A training job's time: its budget, plus measuring, exporting and storing the model."""
    return int(settings.train_minutes * 60) + TRAIN_OVERHEAD


class _Job(NamedTuple):
    task: JobTask
    arg: str | int


class _Event(NamedTuple):
    """A child's report to the watchdog: it started or ended a job."""

    kind: Literal["start", "end"]
    slot: int
    job: _Job
    pid: int


class _QueueDispatcher:
    """What a local child uses to fan out work: back onto the shared task queue."""

    def __init__(self, tasks: queues.Queue[_Job | None]) -> None:
        self.tasks = tasks

    def submit(self, task: JobTask, arg: str | int) -> None:
        self.tasks.put(_Job(task, arg))


def _child_main(
    slot: int, settings: Settings, tasks: queues.Queue[_Job | None], events: queues.Queue[_Event]
) -> None:
    from ocr_service.jobs.tasks import run_task

    logging.basicConfig(level=logging.WARNING)
    dispatcher = _QueueDispatcher(tasks)
    while True:
        job = tasks.get()
        if job is None:
            return
        events.put(_Event("start", slot, job, os.getpid()))
        try:
            run_task(job.task, job.arg, settings, dispatcher)
        except Exception:  # the task records its own failure; keep the child alive
            log.exception("local job %s %s crashed", job.task, job.arg)
        events.put(_Event("end", slot, job, os.getpid()))


@dataclass
class _Busy:
    job: _Job
    started: float


class LocalRunner:
    """A pool of child processes running the job functions, with a watchdog."""

    def __init__(self, settings: Settings, workers: int | None = None) -> None:
        self.settings = settings
        self.size = max(1, workers or settings.inline_workers)
        self._ctx = mp.get_context("spawn")
        self.tasks: queues.Queue[_Job | None] = self._ctx.Queue()
        self.events: queues.Queue[_Event] = self._ctx.Queue()
        self._procs: dict[int, BaseProcess] = {}
        self._busy: dict[int, _Busy] = {}
        self._split_losses: dict[str, int] = {}
        self._stop = threading.Event()
        for slot in range(self.size):
            self._spawn(slot)
        self._monitor = threading.Thread(target=self._watch, daemon=True, name="sohoa-runner")
        self._monitor.start()

    def _spawn(self, slot: int) -> None:
        proc = self._ctx.Process(
            target=_child_main,
            args=(slot, self.settings, self.tasks, self.events),
            daemon=True,
            name=f"sohoa-job-{slot}",
        )
        proc.start()
        self._procs[slot] = proc

    def submit(self, task: JobTask, arg: str | int) -> None:
        self.tasks.put(_Job(task, arg))

    def _drain_events(self) -> None:
        while True:
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                return
            if event.kind == "start":
                self._busy[event.slot] = _Busy(event.job, time.monotonic())
            else:
                self._busy.pop(event.slot, None)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._drain_events()
            for slot, proc in list(self._procs.items()):
                busy = self._busy.get(slot)
                if not proc.is_alive():
                    if self._stop.is_set():
                        continue
                    if busy:
                        self._lost(busy.job, f"worker process died (exit code {proc.exitcode})")
                        self._busy.pop(slot, None)
                    self._spawn(slot)
                elif busy and busy.job.task == JobTask.process_page and self._overran(busy):
                    proc.kill()
                    proc.join(5)
                    self._busy.pop(slot, None)
                    self._lost(busy.job, f"timed out after {self.settings.page_timeout_seconds} s")
                    self._spawn(slot)

    def _overran(self, busy: _Busy) -> bool:
        return time.monotonic() - busy.started > self.settings.page_timeout_seconds

    def _lost(self, job: _Job, reason: str) -> None:
        """The same transitions as the RQ reaper's (`jobs.lifecycle`)."""
        log.warning("local job %s %s lost: %s", job.task, job.arg, reason)
        try:
            if job.task == JobTask.process_page:
                lifecycle.page_lost(self.settings, self, int(job.arg), reason)
            elif job.task == JobTask.split_ledger:
                ledger_id = str(job.arg)
                # Counted here, not in the database: a split has no attempt column.
                losses = self._split_losses.get(ledger_id, 0) + 1
                self._split_losses[ledger_id] = losses
                lifecycle.split_lost(self.settings, self, ledger_id, reason, losses=losses)
            elif job.task == JobTask.export_ledger:
                from ocr_service.jobs.export_jobs import export_lost

                export_lost(self.settings, str(job.arg), reason)
        except Exception:
            log.exception("could not release lost job %s %s", job.task, job.arg)

    def close(self) -> None:
        self._stop.set()
        self._monitor.join(timeout=5)
        # Pages still running are left "running": their lease runs out and the next start
        # re-queues them, exactly as after a crash.
        for proc in self._procs.values():
            proc.kill()
        for proc in self._procs.values():
            proc.join(timeout=5)
        self.tasks.close()
        self.events.close()


def make_dispatcher(settings: Settings) -> RqDispatcher | LocalRunner:
    if settings.redis_url:
        return RqDispatcher(settings, announce=True)
    return LocalRunner(settings)
