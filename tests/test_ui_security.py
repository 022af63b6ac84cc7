"""In a real browser: /docs offline under its CSP, by bearer token; the login throttle message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from ocr_service.auth import create_token, create_user
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from tests.ui_support import PASSWORD, LiveServer

pytestmark = [pytest.mark.browser]


@pytest.fixture
def docs_server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'docs.db'}",
        ocr_engine="none",
        login_user_failures=2,
    )
    upgrade_database(settings)
    with session_scope(settings) as session:
        token = create_token(session, create_user(session, "admin", "admin", password=PASSWORD))
    srv = LiveServer(settings).start()
    yield srv, token
    srv.stop()


def test_swagger_ui_renders_offline_under_its_csp(
    page: Page, docs_server: tuple[LiveServer, str]
) -> None:
    server, token = docs_server
    problems: list[str] = []
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        # The machine is offline: anything not from the app itself fails.
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    refused = page.goto(server.url + "/docs")
    assert refused is not None and refused.status == 401  # signed-in users only
    page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    page.goto(server.url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    assert page.locator(".opblock").count() > 15
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/ledgers").first).to_be_visible()
    assert not elsewhere, elsewhere
    assert not problems, problems


def test_the_login_screen_says_when_to_try_again_after_too_many_failures(
    page: Page, docs_server: tuple[LiveServer, str]
) -> None:
    server, _ = docs_server
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(server.url + "/")
    message = page.locator("#login-error")
    for password in ("sai-mot", "sai-hai", PASSWORD):
        page.fill("#login-user", "admin")
        page.fill("#login-pass", password)
        page.press("#login-pass", "Enter")
        if password != PASSWORD:
            expect(message).to_have_text("Sai tên đăng nhập hoặc mật khẩu")
            page.evaluate("document.getElementById('login-error').textContent = ''")
    # The right password, but the user name is locked for 15 minutes.
    expect(message).to_have_text("Đăng nhập sai quá nhiều lần. Thử lại sau 15 phút.")
    assert not errors, errors
