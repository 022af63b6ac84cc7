"""The FastAPI application: REST API under /api/v1, the review UI at /, errors as JSON."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount, compile_path

import review_ui
from ocr_service import __version__
from ocr_service.api.docs import install_docs
from ocr_service.api.guard import InputGuard, LastResort, error_body
from ocr_service.api.openapi import install_openapi
from ocr_service.api.privacy import SecurityHeaders, hide_query_strings
from ocr_service.api.routes import health, ledgers, metrics
from ocr_service.config import Settings, get_settings
from ocr_service.db import upgrade_database
from ocr_service.errors import InvalidField, SohoaError
from ocr_service.jobs.dispatch import RqDispatcher, make_dispatcher
from ocr_service.jobs.tasks import recover
from ocr_service.jobs.worker import run_upkeep
from ocr_service.records.service import StaleVersion

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: str,
) -> JSONResponse:
    return JSONResponse(
        status_code=status, content=error_body(code, message, **extra), headers=dict(headers or {})
    )


def _http_code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_type",
        422: "bad_input",
        429: "too_many_requests",
    }.get(status, "error")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path: Starlette names only the first route's."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            continue
        route_path: str = context.path or getattr(route, "path", None) or ""
        pattern, _, _ = compile_path(route_path)
        if pattern.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StaleVersion)
    async def _stale(_: Request, exc: StaleVersion) -> JSONResponse:
        # A stale save: the client gets the record as it is now, to compare, never overwrite.
        return JSONResponse(
            status_code=409,
            content={
                "error": {"code": "conflict", "message": exc.message},
                "current": exc.current.model_dump(mode="json", by_alias=True),
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return error_response(
            exc.status_code, _http_code(exc.status_code), str(exc.detail), headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first: Mapping[str, object] = errors[0] if errors else {}
        loc = first.get("loc", ())
        where = ".".join(str(p) for p in loc if p != "body") if isinstance(loc, tuple) else ""
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
        return error_response(422, "bad_input", message)

    @app.exception_handler(SohoaError)
    async def _sohoa(_: Request, exc: SohoaError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        extra = {"field": exc.field} if isinstance(exc, InvalidField) else {}
        return error_response(exc.http_status, exc.code, exc.message, headers, **extra)


def _reaper(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    """The local runner's upkeep: release pages whose child process was lost."""
    interval = max(2.0, settings.page_lease_seconds / 2)
    while not stop.wait(interval):
        try:
            recover(settings, app.state.dispatcher)
        except Exception:
            log.exception("recovery pass failed")


def _start_jobs(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    dispatcher = app.state.dispatcher
    if isinstance(dispatcher, RqDispatcher):
        # With Redis, jobs outlive this process: the upkeep's sweep finds the ones that did
        # not (and waits out a Redis that is down now) instead of queuing everything again.
        upkeep = threading.Thread(
            target=run_upkeep, args=(settings, stop, "api"), daemon=True, name="sohoa-upkeep"
        )
    else:
        # The local runner's queue died with the last process: everything pending goes again.
        recover(settings, dispatcher, startup=True)
        upkeep = threading.Thread(
            target=_reaper, args=(app, settings, stop), daemon=True, name="sohoa-upkeep"
        )
    upkeep.start()


def create_app(settings: Settings | None = None, *, start_jobs: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade_database(settings)
        stop = threading.Event()
        app.state.dispatcher = make_dispatcher(settings) if start_jobs else _NoDispatch()
        if start_jobs:
            _start_jobs(app, settings, stop)
        try:
            yield
        finally:
            stop.set()
            close = getattr(app.state.dispatcher, "close", None)
            if close:
                close()

    app = FastAPI(
        title="sohoa",
        version=__version__,
        description="OCR-assisted transcription of Vietnamese civil-status register books",
        lifespan=lifespan,
        # Replaced by install_docs: offline assets, signed-in readers (api/docs.py).
        docs_url=None,
        openapi_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Added last = outermost: LastResort also catches what fails in the guard, and the
    # security headers go on every answer, a last-resort 500 included.
    app.add_middleware(InputGuard)
    app.add_middleware(LastResort)
    app.add_middleware(SecurityHeaders)
    hide_query_strings()  # no query strings in access logs (#16)
    install_docs(app)  # offline assets, signed-in readers (api/docs.py)
    app.include_router(health.router)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(ledgers.router, prefix=API_PREFIX)
    app.include_router(metrics.router)
    app.include_router(metrics.router, prefix=API_PREFIX)
    for name in (
        "records",
        "session",
        "stats",
        "exports",
        "registers",
        "ui_extra",
        "users",
        "retries",
        "export_jobs",
        "models",
    ):
        try:
            module = __import__(f"ocr_service.api.routes.{name}", fromlist=["router"])
        except ModuleNotFoundError:
            continue
        app.include_router(module.router, prefix=API_PREFIX)
    ui_dir = Path(review_ui.__file__).parent
    if (ui_dir / "index.html").exists():
        app.mount("/ui", StaticFiles(directory=ui_dir, html=True), name="ui")

        @app.get("/", include_in_schema=False, response_class=RedirectResponse)
        def _root() -> RedirectResponse:
            return RedirectResponse("/ui/")

    install_openapi(app)
    return app


class _NoDispatch:
    """For tools that serve the API without running jobs (tests of read-only endpoints)."""

    def submit(self, task: str, arg: str | int) -> None:
        log.info("job %s %s not started: jobs are off", task, arg)
