"""Liveness and readiness: the only endpoint without authentication.

200 while the API can do its work, which needs the database: with the queue (Redis) down it
still stores uploads, which wait for the queue, so the answer is 200 with `status: degraded`
and `queue: unavailable` (a monitor alerts on the body; a load balancer keeps sending work).
503 when the database is unreachable: nothing can be stored or read.
"""

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
    responses={
        200: {"model": Health, "description": "ok, or degraded: the queue is down, uploads wait"},
        503: {"model": Health, "description": "the database is down"},
    },
)
def healthz(request: Request, settings: SettingsDep) -> JSONResponse:
    db_ok, queue_ok = "ok", "inline"
    try:
        with get_engine(settings).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        db_ok = "unavailable"
    if settings.redis_url:
        ping = getattr(request.app.state.dispatcher, "ping", None)
        queue_ok = "ok" if ping is not None and ping() else "unavailable"
    healthy = db_ok == "ok" and queue_ok != "unavailable"
    body = Health(
        status="ok" if healthy else "degraded", database=db_ok, queue=queue_ok, version=__version__
    )
    return JSONResponse(status_code=200 if db_ok == "ok" else 503, content=body.model_dump())
