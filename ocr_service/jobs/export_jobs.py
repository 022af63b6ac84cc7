"""Export jobs: a ledger's export written by a job, with progress, then kept in the storage.

A big book's Ministry zip takes minutes: the API queues an `ExportJob`, a worker (RQ or the
local runner) writes the file through `export.from_db.run_export`, reporting how many records
it has read, and stores it under `exports/<ledger>/<job>.<ext>`, where it stays to download.
An export that cannot be written (a book it cannot name, say) ends `failed` with the reason.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.entities import DraftRecord, ExportJob, ExportJobStatus, Ledger, RecordStatus
from models.schemas import ExportRequest
from ocr_service.audit import record_event
from ocr_service.config import Settings, get_settings
from ocr_service.db import session_scope
from ocr_service.errors import BadInput, SohoaError
from ocr_service.export.from_db import FORMATS, run_export
from ocr_service.jobs import lifecycle, state
from ocr_service.jobs.lifecycle import Dispatcher, JobTask
from ocr_service.storage import get_storage

log = logging.getLogger(__name__)

# The stored file's extension per format (PAGE XML and training sets are zips).
EXTENSIONS = {
    "json": "json",
    "csv": "csv",
    "xlsx": "xlsx",
    "zip": "zip",
    "pagexml": "zip",
    "training": "zip",
}
# Progress is written at most this often (seconds): a row update per record would be wasteful.
PROGRESS_EVERY = 0.5
# A running export whose row has not moved for this long lost its worker.
STALE_AFTER = timedelta(hours=1)


def create_export_job(
    session: Session, ledger: Ledger, request: ExportRequest, user_id: int | None
) -> ExportJob:
    """A queued export job of `ledger`; the caller commits, then submits it."""
    if request.format not in FORMATS:
        raise BadInput(f"format must be one of {', '.join(FORMATS)}")
    if request.variant and request.format not in ("xlsx", "zip"):
        raise BadInput("variant is an option of the xlsx and zip formats only")
    job = ExportJob(
        ledger_id=ledger.id,
        user_id=user_id,
        format=request.format,
        include_drafts=request.include_drafts,
        variant=request.variant or None,
        status=ExportJobStatus.queued,
        records_done=0,
        records_total=0,
    )
    session.add(job)
    session.flush()
    record_event(
        session,
        "export.queue",
        "export_job",
        job.id,
        user_id=user_id,
        ledger_id=ledger.id,
        data={"format": request.format, "include_drafts": request.include_drafts},
    )
    return job


def storage_key(job: ExportJob) -> str:
    return f"exports/{job.ledger_id}/{job.id}.{EXTENSIONS[job.format]}"


def _claim(settings: Settings, job_id: str) -> ExportJob | None:
    """queued → running, atomically: a job queued twice runs once."""
    with session_scope(settings) as session:
        result = session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == ExportJobStatus.queued)
            .values(status=ExportJobStatus.running, updated_at=state.now())
            .execution_options(synchronize_session=False)
        )
        if state.rowcount(result) != 1:
            return None
        job = session.get(ExportJob, job_id)
        assert job is not None
        wanted = [RecordStatus.confirmed]
        if job.include_drafts:
            wanted += [RecordStatus.draft, RecordStatus.flagged]
        job.records_total = (
            session.scalar(
                select(func.count()).where(
                    DraftRecord.ledger_id == job.ledger_id, DraftRecord.status.in_(wanted)
                )
            )
            or 0
        )
        session.flush()
        session.expunge(job)
        return job


class _Progress:
    """Writes the number of records read to the job row, at most every PROGRESS_EVERY s."""

    def __init__(self, settings: Settings, job_id: str) -> None:
        self.settings, self.job_id = settings, job_id
        self.last = 0.0

    def __call__(self, records: int) -> None:
        t = time.monotonic()
        if t - self.last < PROGRESS_EVERY:
            return
        self.last = t
        with session_scope(self.settings) as session:
            session.execute(
                update(ExportJob)
                .where(ExportJob.id == self.job_id)
                .values(records_done=records, updated_at=state.now())
                .execution_options(synchronize_session=False)
            )


def _finish(settings: Settings, job_id: str, **values: object) -> None:
    with session_scope(settings) as session:
        session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id)
            .values(finished_at=state.now(), updated_at=state.now(), **values)
            .execution_options(synchronize_session=False)
        )


def run_export_job(job_id: str, settings: Settings) -> ExportJobStatus | None:
    """Write, store and close one export job; None if it was not queued (ran elsewhere)."""
    job = _claim(settings, job_id)
    if job is None:
        return None
    tmp_dir = Path(settings.data_dir) / "exports" / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, suffix="." + EXTENSIONS[job.format])
    os.close(fd)
    out = Path(tmp)
    try:
        result = run_export(
            settings,
            job.ledger_id,
            job.format,
            include_drafts=job.include_drafts,
            variant=job.variant,
            user_id=job.user_id,
            out=out,
            progress=_Progress(settings, job_id),
        )
        key = storage_key(job)
        get_storage(settings).put_file(key, out)
        _finish(
            settings,
            job_id,
            status=ExportJobStatus.done,
            storage_key=key,
            filename=result.filename,
            media_type=result.media_type,
            size=out.stat().st_size,
            # What the file holds: records, or pages for PAGE XML (a zip of one file per page).
            records_done=result.records,
            records_total=result.records,
        )
        return ExportJobStatus.done
    except SohoaError as exc:  # the export refused the book: the reason is for the clerk
        _finish(settings, job_id, status=ExportJobStatus.failed, error=exc.message[:2000])
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        reason = lifecycle.failure_reason(exc)
        _finish(settings, job_id, status=ExportJobStatus.failed, error=reason[:2000])
    finally:
        out.unlink(missing_ok=True)
    return ExportJobStatus.failed


def export_lost(settings: Settings, job_id: str, reason: str) -> None:
    """A running export whose worker died or overran: it fails with `reason`."""
    with session_scope(settings) as session:
        session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == ExportJobStatus.running)
            .values(
                status=ExportJobStatus.failed,
                error=f"export stopped: {reason}",
                finished_at=state.now(),
                updated_at=state.now(),
            )
            .execution_options(synchronize_session=False)
        )


def recover_exports(settings: Settings, dispatcher: Dispatcher, *, startup: bool) -> int:
    """Fail exports whose worker stopped long ago; at start-up, queue queued ones again."""
    cutoff = state.now() - STALE_AFTER
    with session_scope(settings) as session:
        stale = session.scalars(
            select(ExportJob.id).where(
                ExportJob.status == ExportJobStatus.running, ExportJob.updated_at < cutoff
            )
        ).all()
        queued = (
            session.scalars(
                select(ExportJob.id).where(ExportJob.status == ExportJobStatus.queued)
            ).all()
            if startup
            else []
        )
    for job_id in stale:
        export_lost(settings, job_id, "no progress for an hour (worker lost)")
    for job_id in queued:
        dispatcher.submit(JobTask.export_ledger, job_id)
    return len(queued)


def export_job(job_id: str, installation: str | None = None) -> str:
    """RQ entry point; `installation` as for `tasks.split_job`."""
    from ocr_service.jobs.tasks import REFUSED, refused_foreign

    settings = get_settings()
    if refused_foreign(JobTask.export_ledger, job_id, settings, installation):
        return REFUSED
    status = run_export_job(job_id, settings)
    return status.value if status else "skipped"
