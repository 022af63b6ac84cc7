"""API docs served by the app itself: Swagger UI from a PyPI package, for signed-in users."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ocr_service.api.deps import SessionDep, SettingsDep, current_user

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
# Swagger UI's script and style sheet, from the fastapi-offline wheel: /docs works offline.
ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def docs_reader(request: Request, session: SessionDep, settings: SettingsDep) -> None:
    """Docs and the schema are for signed-in users (a bearer token or the review-UI
    session), unless SOHOA_PUBLIC_DOCS opens them to anyone."""
    if not settings.public_docs:
        current_user(request, session)


DocsReader = Annotated[None, Depends(docs_reader)]
router = APIRouter(include_in_schema=False)


@router.get(OPENAPI_URL)
def read_openapi(request: Request, _: DocsReader) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)


@router.get(DOCS_URL)
def read_docs(request: Request, _: DocsReader) -> HTMLResponse:
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


@router.get(REDOC_URL)
def read_redoc(request: Request, _: DocsReader) -> HTMLResponse:
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
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
