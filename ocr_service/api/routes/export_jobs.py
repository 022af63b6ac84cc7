"""Export jobs: a book's export written in the background, followed, then downloaded."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from models.entities import ExportJob, ExportJobStatus
from models.limits import MAX_ID_LEN
from models.schemas import ErrorResponse, ExportJobList, ExportJobPublic, ExportRequest
from ocr_service.api.deps import CurrentUser, LedgerId, SessionDep, StorageDep
from ocr_service.errors import Conflict, NotFound
from ocr_service.export.from_db import MEDIA_TYPES
from ocr_service.jobs.export_jobs import create_export_job
from ocr_service.jobs.lifecycle import JobTask, QueueUnavailable
from ocr_service.ledgers import get_ledger_for

log = logging.getLogger(__name__)

router = APIRouter(tags=["export"])

ExportJobId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LEN)]
# A book's list shows its latest exports; older ones stay downloadable by their id.
LIST_LIMIT = 20


def job_public(job: ExportJob) -> ExportJobPublic:
    public = ExportJobPublic.model_validate(job)
    if job.status == ExportJobStatus.done:
        public.download = f"/api/v1/exports/{job.id}/file"
    return public


def _job_for(session: SessionDep, job_id: str, user: CurrentUser) -> ExportJob:
    """The job, if its book is one the user may see (404 either way)."""
    job = session.get(ExportJob, job_id)
    if job is None:
        raise NotFound(f"no export job {job_id}")
    get_ledger_for(session, job.ledger_id, user)
    return job


@router.post(
    "/ledgers/{ledger_id}/exports",
    status_code=202,
    response_model=ExportJobPublic,
    responses={
        404: {"model": ErrorResponse, "description": "no such ledger"},
        422: {"model": ErrorResponse, "description": "unknown format or option"},
    },
)
def start_export(
    ledger_id: LedgerId,
    body: ExportRequest,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
) -> ExportJobPublic:
    """Queue an export of the book; follow it at `GET /exports/{id}`."""
    ledger = get_ledger_for(session, ledger_id, user)
    job = create_export_job(session, ledger, body, user.id)
    session.commit()  # committed before queued: the worker must find the job
    try:
        request.app.state.dispatcher.submit(JobTask.export_ledger, job.id)
    except QueueUnavailable:  # stored "queued": the sweep queues it once the queue is back
        log.warning("export job queued while the queue is down; the sweep will queue it")
    return job_public(job)


@router.get("/ledgers/{ledger_id}/exports", response_model=ExportJobList)
def list_exports(ledger_id: LedgerId, session: SessionDep, user: CurrentUser) -> ExportJobList:
    """The book's latest export jobs, newest first."""
    ledger = get_ledger_for(session, ledger_id, user)
    jobs = session.scalars(
        select(ExportJob)
        .where(ExportJob.ledger_id == ledger.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id)
        .limit(LIST_LIMIT)
    )
    return ExportJobList(items=[job_public(j) for j in jobs])


@router.get("/exports/{job_id}", response_model=ExportJobPublic)
def read_export(job_id: ExportJobId, session: SessionDep, user: CurrentUser) -> ExportJobPublic:
    return job_public(_job_for(session, job_id, user))


@router.get(
    "/exports/{job_id}/file",
    status_code=200,
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {media: {} for media in sorted(set(MEDIA_TYPES.values()))},
            "description": "the export's file",
        },
        404: {"model": ErrorResponse, "description": "no such export job"},
        409: {"model": ErrorResponse, "description": "the export is not done (code not_ready)"},
    },
)
def download_export(
    job_id: ExportJobId, session: SessionDep, storage: StorageDep, user: CurrentUser
) -> StreamingResponse:
    job = _job_for(session, job_id, user)
    if job.status != ExportJobStatus.done or not job.storage_key:
        reason = f": {job.error}" if job.error else ""
        raise Conflict(f"the export is {job.status}{reason}", code="not_ready")
    if not storage.exists(job.storage_key):
        raise NotFound(f"the file of export {job_id} is no longer stored")
    name = job.filename or f"export.{job.format}"
    headers = {
        "Content-Disposition": f"attachment; filename*=utf-8''{quote(name)}",
        "Cache-Control": "private, no-store",
    }
    if job.size is not None:
        headers["Content-Length"] = str(job.size)
    return StreamingResponse(
        storage.iter_chunks(job.storage_key),
        media_type=job.media_type or MEDIA_TYPES[job.format],
        headers=headers,
    )
