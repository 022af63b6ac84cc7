"""Exports of a ledger: Ministry Excel, the zip per book, JSON, CSV, PAGE XML, training crops."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from models.limits import MAX_QUERY_TEXT
from models.schemas import ErrorResponse
from ocr_service.api.deps import CurrentUser, LedgerId, QueryText, SessionDep, SettingsDep
from ocr_service.errors import BadInput
from ocr_service.export.from_db import FORMATS, MEDIA_TYPES, run_export
from ocr_service.ledgers import get_ledger_for

router = APIRouter(tags=["export"])


@router.get(
    "/ledgers/{ledger_id}/export",
    status_code=200,
    response_class=FileResponse,
    responses={
        200: {
            "content": {media: {} for media in sorted(set(MEDIA_TYPES.values()))},
            "description": "the export file; X-Record-Count says how many records it holds",
        },
        404: {"model": ErrorResponse, "description": "no such ledger"},
        409: {
            "model": ErrorResponse,
            "description": "xlsx/zip of a book without quyển số whose pages disagree on it",
        },
        422: {"model": ErrorResponse, "description": "unknown format, or a book it cannot name"},
    },
)
async def export_ledger(
    ledger_id: LedgerId,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    format: Annotated[str, Query(max_length=MAX_QUERY_TEXT)] = "json",
    include_drafts: bool = False,
    variant: QueryText = None,
    raw: Annotated[
        bool,
        Query(
            description="csv only: values as they are; by default a value starting with "
            "=, +, -, @, tab or CR gets a leading ' so that spreadsheets never run it"
        ),
    ] = False,
) -> FileResponse:
    """Only confirmed records unless `include_drafts`; every export is an audit event."""
    if format not in FORMATS:
        raise BadInput(f"format must be one of {', '.join(FORMATS)}")
    get_ledger_for(session, ledger_id, user)
    session.close()
    result = await run_in_threadpool(
        run_export,
        settings,
        ledger_id,
        format,
        include_drafts=include_drafts,
        variant=variant,
        user_id=user.id,
        raw_csv=raw,
    )
    return FileResponse(
        result.path,
        media_type=result.media_type,
        filename=result.filename,
        headers={"X-Record-Count": str(result.records)},
        background=BackgroundTask(result.path.unlink, missing_ok=True),
    )
