"""API docs served by the app itself: Swagger UI from a PyPI package, for signed-in users."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ocr_service.api.deps import current_user
from ocr_service.config import Settings
from ocr_service.db import session_scope

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
# Swagger UI's script and style sheet, from the fastapi-offline wheel: /docs works offline.
ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def check_reader(request: Request) -> None:
    """Docs and the schema are for signed-in users (a bearer token or the review-UI
    session), unless SOHOA_PUBLIC_DOCS opens them to anyone; else Unauthorized."""
    settings: Settings = request.app.state.settings
    if settings.public_docs:
        return
    with session_scope(settings) as session:
        current_user(request, session)


# Plain Starlette routes, as FastAPI's own docs routes are: pages, not API operations.
def read_openapi(request: Request) -> JSONResponse:
    check_reader(request)
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


def read_docs(request: Request) -> HTMLResponse:
    check_reader(request)
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} — API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
    )
    # The page's one inline script (it starts Swagger UI) is allowed by its hash, nothing else.
    body = bytes(page.body).decode()
    scripts = re.findall(r"<script>(.*?)</script>", body, flags=re.DOTALL)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {hashes}; "
        # Swagger UI sets style attributes and shows data: icons.
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return page


def read_redoc(request: Request) -> HTMLResponse:
    check_reader(request)
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} — API",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )


def install_docs(app: FastAPI) -> None:
    """Mount the docs pages, the schema and Swagger UI's assets (create the app with
    docs_url=None and openapi_url=None: these replace FastAPI's own)."""
    app.add_route(OPENAPI_URL, read_openapi, include_in_schema=False)
    app.add_route(DOCS_URL, read_docs, include_in_schema=False)
    app.add_route(REDOC_URL, read_redoc, include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
