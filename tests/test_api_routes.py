"""Every API route says what it returns: a response model, or a file, stream, redirect or text
(/metrics: Prometheus' text format)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.responses import (
    FileResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.responses import Response

from ocr_service.api.app import create_app
from ocr_service.config import Settings

NOT_JSON = (FileResponse, StreamingResponse, RedirectResponse, PlainTextResponse)


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every API route, through included routers."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found.append((context.path or route.path, route))
    return found


def undeclared_routes(routes: Sequence[tuple[str, APIRoute]]) -> list[str]:
    missing = []
    for path, route in routes:
        model = route.response_model
        typed = isinstance(model, type) and issubclass(model, BaseModel)
        response_class = route.response_class
        if isinstance(response_class, type) and issubclass(response_class, NOT_JSON):
            continue
        if route.status_code == 204 and response_class is Response:
            continue  # no content
        if not typed:
            missing.append(f"{sorted(route.methods or ())} {path}")
    return missing


def test_every_route_has_a_response_model_or_is_a_file() -> None:
    app = create_app(Settings(environment="test"), start_jobs=False)
    routes = api_routes(app)
    assert len(routes) > 20
    assert "/api/v1/records/{record_id}" in {path for path, _ in routes}
    assert undeclared_routes(routes) == []


def test_the_check_catches_a_route_returning_a_bare_dict() -> None:
    app = FastAPI()

    @app.get("/loose")
    def loose() -> dict[str, int]:
        return {"n": 1}

    assert undeclared_routes(api_routes(app)) == ["['GET'] /loose"]
