"""The admin's "Mô hình nhận dạng" section in a real browser: versions with their metrics, and a
rollback to an earlier version with the keyboard (asked first, audited, the pages re-read)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models.entities import AuditEvent, ModelState, ModelVersion, ScopeKind
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from tests.factories import add_book
from tests.ui_support import PASSWORD, SCREEN, LiveServer, add_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    return {**browser_context_args, "viewport": SCREEN, "locale": "vi-VN"}


@pytest.fixture
def ui_settings(tmp_path: Path) -> Settings:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'ui.db'}",
        ocr_engine="none",
    )
    upgrade_database(settings)
    return settings


@pytest.fixture
def server(ui_settings: Settings) -> Iterator[LiveServer]:
    srv = LiveServer(ui_settings).start()
    yield srv
    srv.stop()


def _version(settings: Settings, ledger_id: str, state: ModelState, sha: str, after: float) -> int:
    with session_scope(settings) as session:
        v = ModelVersion(
            sha256=sha * 64,
            scope_kind=ScopeKind.ledger,
            scope_key=ledger_id,
            state=state,
            data={"train": 40, "heldout": 10},
            metrics={
                "heldout_cer_before": 0.3,
                "heldout_cer_after": after,
                "regression": {"print": {"current": 0.02, "candidate": 0.02}},
            },
        )
        session.add(v)
        session.flush()
        return v.id


def test_admin_sees_the_versions_and_rolls_back_with_the_keyboard(
    page: Page, server: LiveServer, ui_settings: Settings
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    add_user(ui_settings, "quantri", "admin")
    book = add_book(ui_settings, records=2)
    old = _version(ui_settings, book.ledger_id, ModelState.retired, "a", 0.2)
    new = _version(ui_settings, book.ledger_id, ModelState.active, "b", 0.15)
    page.set_default_timeout(15_000)
    page.goto(server.url + "/")
    page.locator("#login-user").fill("quantri")
    page.locator("#login-pass").fill(PASSWORD)
    page.locator("#login-pass").press("Enter")
    page.locator("#topbar a[data-nav=admin]").click()
    expect(page).to_have_url(re.compile("#/admin$"))

    section = page.locator("#admin-models")
    expect(section.locator("h2")).to_have_text("Mô hình nhận dạng")
    current = section.locator(f"tr[data-model='{new}']")
    earlier = section.locator(f"tr[data-model='{old}']")
    expect(current.locator("td.state")).to_have_text("Đang dùng")
    expect(current.locator("td.heldout")).to_have_text("30.0 % → 15.0 %")
    expect(current.locator("td.regression")).to_have_text("in: 2.0 % → 2.0 %")
    expect(current.locator("button.activate-model")).to_have_count(0)
    expect(earlier.locator("td.state")).to_have_text("Đã thay")

    # Going back asks first; the focused "Hủy" changes nothing.
    button = earlier.locator("button.activate-model")
    expect(button).to_have_text("Quay lại phiên bản này")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".modal button.confirm-action")).to_have_text("Kích hoạt")
    page.keyboard.press("Enter")
    expect(page.locator(".modal")).to_have_count(0)
    expect(earlier.locator("td.state")).to_have_text("Đã thay")
    button.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(earlier.locator("td.state")).to_have_text("Đang dùng")
    expect(current.locator("td.state")).to_have_text("Đã thay")
    expect(current.locator("button.activate-model")).to_have_text("Quay lại phiên bản này")
    with session_scope(ui_settings) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "model.activate"))
        assert event is not None and event.entity_id == str(old)
    assert not errors
