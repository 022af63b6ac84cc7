"""Where jobs run: RQ queues on Redis (many machines), or a local pool of worker processes.

The local runner mirrors an RQ worker's safety: each job runs in a child process, a child that
dies or overruns the page timeout is replaced, and its page is released for another try.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from ocr_service.config import Settings

log = logging.getLogger(__name__)

SPLIT_TIMEOUT = 6 * 3600


class RqDispatcher:
    def __init__(self, settings: Settings) -> None:
        from redis import Redis
        from rq import Queue

        assert settings.redis_url
        self.settings = settings
        self.connection = Redis.from_url(settings.redis_url)
        self.queue = Queue(settings.queue_name, connection=self.connection)

    def submit(self, task: str, arg: str | int) -> None:
        if task == "split":
            self.queue.enqueue_call(
                "ocr_service.jobs.tasks.split_job",
                args=(arg,),
                timeout=SPLIT_TIMEOUT,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                at_front=True,
            )
        elif task == "page":
            self.queue.enqueue_call(
                "ocr_service.jobs.tasks.page_job",
                args=(arg,),
                timeout=self.settings.page_timeout_seconds,
                result_ttl=600,
                failure_ttl=7 * 86400,
            )
        else:
            raise ValueError(f"unknown task {task}")


class _QueueDispatcher:
    """What a local child uses to fan out work: back onto the shared task queue."""

    def __init__(self, tasks: Any) -> None:
        self.tasks = tasks

    def submit(self, task: str, arg: str | int) -> None:
        self.tasks.put((task, arg))


def _child_main(slot: int, settings_data: dict[str, Any], tasks: Any, events: Any) -> None:
    from ocr_service.config import Settings
    from ocr_service.jobs.tasks import TASKS

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(**settings_data)
    dispatcher = _QueueDispatcher(tasks)
    while True:
        item = tasks.get()
        if item is None:
            return
        task, arg = item
        events.put(("start", slot, task, arg, os.getpid()))
        try:
            TASKS[task](arg, settings, dispatcher)  # type: ignore[operator]
        except Exception:  # the task records its own failure; keep the child alive
            log.exception("local job %s %s crashed", task, arg)
        events.put(("end", slot, task, arg, os.getpid()))


@dataclass
class _Busy:
    task: str
    arg: str | int
    started: float


class LocalRunner:
    """A pool of child processes running the job functions, with a watchdog."""

    def __init__(self, settings: Settings, workers: int | None = None) -> None:
        self.settings = settings
        self.size = max(1, workers or settings.inline_workers)
        self._ctx = mp.get_context("spawn")
        self.tasks: Any = self._ctx.Queue()
        self.events: Any = self._ctx.Queue()
        self._procs: dict[int, Any] = {}
        self._busy: dict[int, _Busy] = {}
        self._split_losses: dict[str, int] = {}
        self._stop = threading.Event()
        self._settings_data = settings.model_dump()
        for slot in range(self.size):
            self._spawn(slot)
        self._monitor = threading.Thread(target=self._watch, daemon=True, name="sohoa-runner")
        self._monitor.start()

    def _spawn(self, slot: int) -> None:
        proc = self._ctx.Process(
            target=_child_main,
            args=(slot, self._settings_data, self.tasks, self.events),
            daemon=True,
            name=f"sohoa-job-{slot}",
        )
        proc.start()
        self._procs[slot] = proc

    def submit(self, task: str, arg: str | int) -> None:
        self.tasks.put((task, arg))

    def _drain_events(self) -> None:
        while True:
            try:
                kind, slot, task, arg, _pid = self.events.get(timeout=0.2)
            except queue.Empty:
                return
            if kind == "start":
                self._busy[slot] = _Busy(task, arg, time.monotonic())
            else:
                self._busy.pop(slot, None)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._drain_events()
            for slot, proc in list(self._procs.items()):
                busy = self._busy.get(slot)
                if not proc.is_alive():
                    if self._stop.is_set():
                        continue
                    if busy:
                        self._lost(busy, f"worker process died (exit code {proc.exitcode})")
                        self._busy.pop(slot, None)
                    self._spawn(slot)
                elif busy and busy.task == "page" and self._overran(busy):
                    proc.kill()
                    proc.join(5)
                    self._busy.pop(slot, None)
                    self._lost(busy, f"timed out after {self.settings.page_timeout_seconds} s")
                    self._spawn(slot)

    def _overran(self, busy: _Busy) -> bool:
        return time.monotonic() - busy.started > self.settings.page_timeout_seconds

    def _lost(self, busy: _Busy, reason: str) -> None:
        from ocr_service.db import session_scope
        from ocr_service.jobs import state
        from ocr_service.jobs.tasks import maybe_finish_ledger

        log.warning("local job %s %s lost: %s", busy.task, busy.arg, reason)
        try:
            if busy.task == "page":
                page_id = int(busy.arg)
                with session_scope(self.settings) as session:
                    new = state.release_lost(
                        session, page_id, reason, max_attempts=self.settings.page_max_attempts
                    )
                    from sqlalchemy import select

                    from models.entities import Page

                    ledger_id = session.scalar(select(Page.ledger_id).where(Page.id == page_id))
                if new == "pending":
                    self.submit("page", page_id)
                elif ledger_id:
                    maybe_finish_ledger(ledger_id, self.settings)
            elif busy.task == "split":
                ledger_id = str(busy.arg)
                losses = self._split_losses.get(ledger_id, 0) + 1
                self._split_losses[ledger_id] = losses
                self._release_split(ledger_id, reason, retry=losses < 3)
        except Exception:
            log.exception("could not release lost job %s %s", busy.task, busy.arg)

    def _release_split(self, ledger_id: str, reason: str, *, retry: bool) -> None:
        from models.entities import Ledger, LedgerStatus
        from ocr_service.db import session_scope

        with session_scope(self.settings) as session:
            ledger = session.get(Ledger, ledger_id)
            if ledger is None:
                return
            if retry:
                ledger.status = LedgerStatus.queued
            else:
                ledger.status = LedgerStatus.processing if ledger.pages else LedgerStatus.failed
                ledger.error = f"split stopped: {reason}"
        if retry:
            self.submit("split", ledger_id)

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
        return RqDispatcher(settings)
    return LocalRunner(settings)
