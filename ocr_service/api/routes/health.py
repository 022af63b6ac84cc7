"""Liveness and readiness: the only endpoint without authentication."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from models.schemas import Health
from ocr_service import __version__
from ocr_service.api.deps import SettingsDep
from ocr_service.db import get_engine

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "the database or the queue is down"}},
)
def healthz(request: Request, settings: SettingsDep) -> JSONResponse:
    db_ok, queue_ok = "ok", "inline"
    try:
        with get_engine(settings).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        db_ok = "unavailable"
    if settings.redis_url:
        try:
            request.app.state.dispatcher.connection.ping()
            queue_ok = "ok"
        except Exception:
            queue_ok = "unavailable"
    healthy = db_ok == "ok" and queue_ok != "unavailable"
    body = Health(
        status="ok" if healthy else "degraded", database=db_ok, queue=queue_ok, version=__version__
    )
    return JSONResponse(status_code=200 if healthy else 503, content=body.model_dump())
