"""'Thông tin sổ' in a real browser: the book's data from its pages, outliers, keyboard edit."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models.entities import AuditEvent, DraftRecord, FieldValue, Ledger, RecordStatus
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.records.book_reading import apply_book_reading
from tests.factories import add_book
from tests.ui_support import PASSWORD, SCREEN, LiveServer, add_user, keyboard_login

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
def ledger_id(ui_settings: Settings) -> str:
    """A book ingested without its quyển số; page 3 misreads it."""
    made = add_book(ui_settings, records=4, year=2021)
    with session_scope(ui_settings) as session:
        ledger = session.get(Ledger, made.ledger_id)
        assert ledger is not None
        ledger.book, ledger.year = None, None
        for f in session.scalars(
            select(FieldValue)
            .join(DraftRecord)
            .where(DraftRecord.ledger_id == ledger.id, FieldValue.code == "quyenSo")
        ):
            f.value = f.raw = "07/2027" if f.page == 3 else "01/2021"
        apply_book_reading(session, ledger.id)
    add_user(ui_settings, "canbo", "clerk", "Xã An Nhơn")
    return made.ledger_id


@pytest.fixture
def server(ui_settings: Settings, ledger_id: str) -> Iterator[LiveServer]:
    srv = LiveServer(ui_settings).start()
    yield srv
    srv.stop()


def test_clerk_sees_the_pages_proposal_and_corrects_the_book_by_keyboard(
    page: Page, server: LiveServer, ui_settings: Settings, ledger_id: str, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(15_000)
    page.goto(server.url + "/")
    expect(page.locator("#login-user")).to_be_focused()
    page.keyboard.type("canbo")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_contain_text("canbo")
    # From the book's card, by keyboard: the first button is focused, Tab reaches the link.
    link = page.locator(f"[data-ledger='{ledger_id}'] a.book-info-link")
    expect(link).to_have_text("Thông tin sổ")
    for _ in range(5):
        if page.evaluate("document.activeElement.classList.contains('book-info-link')"):
            break
        page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("h1#book-info-title")).to_have_text("Thông tin sổ")
    book_row = page.locator("tr[data-fact=book]")
    expect(book_row.locator("td.proposed")).to_contain_text("01/2021")
    expect(book_row.locator("td.proposed")).to_contain_text("(3/4 trang)")
    outlier = book_row.locator("a.page-link")
    expect(outlier).to_have_text("trang 3")
    assert outlier.get_attribute("href") == f"/api/v1/ledgers/{ledger_id}/pages/3/image"
    # Refreshed with SOHOA_SCREENSHOTS_DIR=docs/screenshots (as tests/test_ui_review.py).
    shots = Path(os.environ.get("SOHOA_SCREENSHOTS_DIR") or tmp_path)
    shot = shots / "book-info-1366x768.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000  # a real rendering, not a blank page
    # The vote filled what was not given; the clerk corrects the quyển số and a bad year.
    expect(page.locator("#book-edit-book")).to_have_value("01/2021")
    expect(page.locator("#book-edit-register")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#book-edit-book")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("02/2021")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2999")
    page.keyboard.press("Enter")
    expect(page.locator("#book-edit-year-error")).to_contain_text("2999")
    expect(page.locator("#book-edit-year")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("2021")
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Đã lưu thông tin sổ")
    expect(page.locator("tr[data-fact=book] td.current")).to_have_text("02/2021")
    with session_scope(ui_settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and (ledger.book, ledger.year) == ("02/2021", 2021)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ledger.update")
        ).one()
        assert event.data["changes"] == [{"field": "book", "old": "01/2021", "new": "02/2021"}]
    assert errors == []


def test_the_book_screen_shows_the_book_data_and_saves_it_by_keyboard(
    page: Page, server: LiveServer, ui_settings: Settings, ledger_id: str
) -> None:
    errors: list[str] = []
    keyboard_login(page, server.url, "canbo", PASSWORD, errors, 15_000)
    # From the book's card, "Mở sổ": the book screen with its progress, its data and downloads.
    card = page.locator(f".ledger-card[data-ledger='{ledger_id}']")
    expect(card.locator("a.book-info-link")).to_have_text("Thông tin sổ")
    card.locator("a.book-link").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#reading h2")).to_have_text("Tiến độ đọc")
    expect(page.locator("#downloads h2")).to_have_text("Tải xuống")
    panel = page.locator("#book-data")
    expect(panel.locator("h2#book-info-title")).to_have_text("Thông tin sổ")
    expect(page.locator("h1")).to_have_count(1)  # the panel is a section of the book screen
    expect(panel.locator("tr[data-fact=book] td.proposed")).to_contain_text("01/2021")
    expect(page.locator("h1")).to_contain_text("Sổ 01/2021 (2021)")
    # The clerk corrects the quyển số in place; the title follows and the focus stays put.
    panel.locator("#book-edit-book").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("02/2021")
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Đã lưu thông tin sổ")
    expect(panel.locator("tr[data-fact=book] td.current")).to_have_text("02/2021")
    expect(page.locator("h1")).to_contain_text("Sổ 02/2021 (2021)")
    expect(panel.locator("#book-edit-book")).to_be_focused()
    with session_scope(ui_settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and ledger.book == "02/2021"
    # Tab leads on from the form to the downloads.
    panel.locator("#book-info-title ~ form button.primary").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#export-drafts")).to_be_focused()
    # A live update of the progress (someone confirms a record) keeps the focus where it was.
    start = page.locator("#start-review")
    start.focus()
    with session_scope(ui_settings) as session:
        record = session.scalars(select(DraftRecord).where(DraftRecord.ledger_id == ledger_id))
        next(iter(record)).status = RecordStatus.confirmed
    expect(page.locator("#reading-counts")).to_contain_text("Đã xác nhận: 1", timeout=30_000)
    expect(start).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#/review/"))
    assert errors == []
