"""Docs offline and for signed-in users; security headers; typed text kept out of URLs and logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient

import review_ui
from ocr_service.api.app import create_app
from ocr_service.config import Settings
from tests.conftest import auth
from tests.factories import add_user


def test_docs_and_schema_are_for_signed_in_users_and_need_no_internet(
    client: TestClient, admin_token: str
) -> None:
    for url in ("/openapi.json", "/docs", "/redoc"):
        r = client.get(url)
        assert r.status_code == 401, url
        assert r.json()["error"]["code"] == "unauthorized"
    schema = client.get("/openapi.json", headers=auth(admin_token))
    assert schema.status_code == 200 and "/api/v1/ledgers" in schema.json()["paths"]
    throttled = schema.json()["paths"]["/api/v1/session"]["post"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]
    for url in ("/docs", "/redoc"):
        page = client.get(url, headers=auth(admin_token))
        assert page.status_code == 200
        # Every script, style sheet and icon comes from this server.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text), page.text
        assets = re.findall(r"""(?:src|href)=["']?(/docs-assets/[\w.-]+)""", page.text)
        assert assets
        for asset in assets:
            got = client.get(asset)
            assert got.status_code == 200 and len(got.content) > 1000, asset
    docs = client.get("/docs", headers=auth(admin_token))
    assert "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    # The review-UI session cookie opens them too (the docs page fetches the schema with it).
    signed_in = client.post(
        "/api/v1/session", json={"username": "admin", "password": "mat-khau-admin"}
    )
    assert signed_in.status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_public_docs_setting_opens_them_to_anyone(settings: Settings) -> None:
    public = settings.model_copy(update={"public_docs": True})
    with TestClient(create_app(public, start_jobs=False)) as c:
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/docs").status_code == 200
        assert c.get("/api/v1/ledgers").status_code == 401  # the API itself stays closed


def test_the_review_ui_is_served_with_a_strict_csp_and_no_framing(client: TestClient) -> None:
    for url in ("/ui/", "/ui/js/app.js", "/ui/app.css"):
        r = client.get(url)
        assert r.status_code == 200, url
        csp = r.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-content-type-options"] == "nosniff"
    api = client.get("/api/v1/healthz")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    # What the strict CSP would block: inline scripts, inline styles, inline event handlers.
    ui = Path(review_ui.__file__).parent
    html = (ui / "index.html").read_text()
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert not re.search(r"""\s(on\w+|style)\s*=|<style""", html, flags=re.IGNORECASE)
    for js in (ui / "js").glob("*.js"):
        text = js.read_text()
        assert not re.search(r"innerHTML|setAttribute\(\s*[\"']style|\beval\(|new Function", text)


def test_suggestions_take_the_typed_text_in_a_post_body(
    client: TestClient, settings: Settings
) -> None:
    _, clerk = add_user(settings, "lan", commune="Xã An Nhơn")
    body = {"kind": "place", "q": "an nhon binh dinh", "limit": 5}
    posted = client.post("/api/v1/suggest", json=body, headers=auth(clerk))
    assert posted.status_code == 200
    assert any("Bình Định" in p for p in posted.json()["items"])
    old = client.get("/api/v1/suggest", params=body, headers=auth(clerk))
    assert old.json() == posted.json()  # the GET stays, deprecated
    bad = client.post("/api/v1/suggest", json={"kind": "x", "q": "a"}, headers=auth(clerk))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_input"
    too_long = {"kind": "place", "q": "a" * 201}
    assert client.post("/api/v1/suggest", json=too_long, headers=auth(clerk)).status_code == 422
    assert client.post("/api/v1/suggest", json=body).status_code == 401
    schema = client.get("/openapi.json", headers=auth(clerk)).json()
    assert schema["paths"]["/api/v1/suggest"]["get"]["deprecated"] is True
    assert "deprecated" not in schema["paths"]["/api/v1/suggest"]["post"]
    js = (Path(review_ui.__file__).parent / "js" / "api.js").read_text()
    assert '"/suggest?' not in js and 'request("POST", "/suggest"' in js


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_access_logs_of_sohoa_serve_print_no_query_strings(settings: Settings) -> None:
    # As `sohoa serve` starts: uvicorn configures its logging after the app is made.
    uvicorn.Config(create_app(settings, start_jobs=False), log_level="info")
    access = logging.getLogger("uvicorn.access")
    lines = _Lines()
    access.addHandler(lines)
    try:
        # The call uvicorn's access log makes for each request.
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/api/v1/suggest?kind=place&q=Nguy%E1%BB%85n+V%C4%83n+A+12+Tr%E1%BA%A7n+Ph%C3%BA",
            "1.1",
            200,
        )
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/healthz", "1.1", 200)
    finally:
        access.removeHandler(lines)
    assert lines.lines == [
        '127.0.0.1:5000 - "GET /api/v1/suggest?… HTTP/1.1" 200',
        '127.0.0.1:5000 - "GET /healthz HTTP/1.1" 200',
    ]
