"""The whole installation at a glance: ledgers and pages by state, the queue, the workers,
failures by reason. `sohoa status --all` prints it; /metrics exposes it to Prometheus.

Every figure comes from one cheap query (a count grouped by a state column) or one Redis call,
so a scrape every 15 s costs the database next to nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.entities import (
    ExportJob,
    ExportJobStatus,
    Ledger,
    LedgerStatus,
    ModelState,
    ModelVersion,
    Page,
    PageAttempt,
    PageState,
    TrainScope,
)
from ocr_service.config import Settings
from ocr_service.metrics import stage_timings

# RQ's lists of a queue's jobs, by the state they are in.
QUEUE_STATES = ("queued", "started", "failed", "deferred", "scheduled", "finished")
MAX_REASON = 80


@dataclass
class QueueOverview:
    name: str
    reachable: bool
    jobs: dict[str, int] = field(default_factory=dict)  # QUEUE_STATES -> count
    workers: int = 0


@dataclass
class Overview:
    ledgers: dict[str, int]  # every LedgerStatus, zeros included
    pages: dict[str, int]  # every PageState, zeros included
    attempts: dict[str, int]  # page attempts by outcome (done, failed, lost, running)
    failures: dict[str, int]  # failed pages by reason class
    queue: QueueOverview | None  # None: no Redis (the API runs jobs itself)
    stages: list[stage_timings.StageHistogram] = field(default_factory=list)
    exports: dict[str, int] = field(default_factory=dict)  # export jobs by status
    training: dict[str, int] = field(default_factory=dict)  # training jobs: queued, running
    models: dict[str, int] = field(default_factory=dict)  # recogniser versions by state


def failure_reason(error: str | None) -> str:
    """A failure's class, without the details that would make every page its own series:
    "worker process died (exit code 139)" -> "worker process died",
    "RuntimeError: cannot read this page" -> "RuntimeError"."""
    if not error:
        return "unknown"
    head = error.split(":", 1)[0]
    head = re.sub(r"\([^)]*\)", "", head)
    head = re.sub(r"\d+(\.\d+)?", "N", head)
    return " ".join(head.split())[:MAX_REASON] or "unknown"


def database_overview(session: Session) -> tuple[dict[str, int], ...]:
    ledgers = {s.value: 0 for s in LedgerStatus}
    for status, n in session.execute(select(Ledger.status, func.count()).group_by(Ledger.status)):
        ledgers[str(status)] = n
    pages = {s.value: 0 for s in PageState}
    for st, n in session.execute(select(Page.state, func.count()).group_by(Page.state)):
        pages[str(st)] = n
    attempts: dict[str, int] = {}
    for outcome, n in session.execute(
        select(PageAttempt.outcome, func.count()).group_by(PageAttempt.outcome)
    ):
        attempts[str(outcome) if outcome else "running"] = n
    failures: dict[str, int] = {}
    for error, n in session.execute(
        select(Page.error, func.count()).where(Page.state == PageState.failed).group_by(Page.error)
    ):
        reason = failure_reason(error)
        failures[reason] = failures.get(reason, 0) + n
    return ledgers, pages, attempts, failures


def jobs_overview(session: Session) -> tuple[dict[str, int], ...]:
    """Export jobs by status, training jobs (queued, running) and recogniser versions by
    state, zeros included."""
    exports = {s.value: 0 for s in ExportJobStatus}
    for status, n in session.execute(
        select(ExportJob.status, func.count()).group_by(ExportJob.status)
    ):
        exports[str(status)] = n
    queued = session.scalar(select(func.count()).where(TrainScope.queued.is_(True))) or 0
    running = session.scalar(select(func.count()).where(TrainScope.claim_token.is_not(None))) or 0
    models = {s.value: 0 for s in ModelState}
    for st, n in session.execute(
        select(ModelVersion.state, func.count()).group_by(ModelVersion.state)
    ):
        models[str(st)] = n
    return exports, {"queued": queued, "running": running}, models


def queue_overview(
    settings: Settings,
) -> tuple[QueueOverview | None, list[stage_timings.StageHistogram]]:
    if not settings.redis_url:
        return None, []
    from redis import Redis
    from rq import Queue, Worker

    overview = QueueOverview(settings.queue_name, reachable=False)
    connection = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        queue = Queue(settings.queue_name, connection=connection)
        overview.jobs = {
            "queued": queue.count,
            "started": queue.started_job_registry.count,
            "failed": queue.failed_job_registry.count,
            "deferred": queue.deferred_job_registry.count,
            "scheduled": queue.scheduled_job_registry.count,
            "finished": queue.finished_job_registry.count,
        }
        overview.workers = Worker.count(queue=queue)
        stages = stage_timings.read(connection, settings)
        overview.reachable = True
    except Exception:  # unreachable: reported as such, never an error of the caller
        return overview, []
    finally:
        connection.close()
    return overview, stages


def installation_overview(settings: Settings, session: Session) -> Overview:
    ledgers, pages, attempts, failures = database_overview(session)
    exports, training, models = jobs_overview(session)
    queue, stages = queue_overview(settings)
    return Overview(ledgers, pages, attempts, failures, queue, stages, exports, training, models)
