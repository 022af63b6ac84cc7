"""The whole working day in the browser (#14 must-show): no command line after the server starts.

Only the first admin account is made before the browser opens, as an installation does. Then, in
Debian chromium: the admin creates a clerk of a commune; the clerk uploads a synthetic printed book
with only its register type, follows its real `vi` OCR reading on the book screen without a
reload, corrects and confirms a record, and downloads the Ministry Excel, named from the quyển số
the pages print.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from ocr_service.config import Settings
from ocr_service.db import upgrade_database
from ocr_service.export.naming import ascii_fold
from ocr_service.synth import generate_book
from tests.ui_support import PASSWORD, SCREEN, LiveServer, add_user, keyboard_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS_ENV = "SOHOA_SCREENSHOTS_DIR"  # docs/screenshots to refresh, as test_ui_review
COMMUNE = "Xã Lộc Thuận"
CLERK = "canbo.locthuan"
CORRECTED = "nksHoTen"  # the field the clerk corrects
CORRECTED_NAME = "Đặng Thị Ngọc Ánh"  # as the clerk reads it in the book
READ_TIMEOUT = 600_000  # ms: real OCR of two pages on a loaded 2-core machine
STEP_TIMEOUT = 30_000  # ms: any other step of the UI
PAGE_ERRORS: list[str] = []  # uncaught script errors and CSP refusals, from every page


@pytest.fixture
def ui_settings(tmp_path: Path) -> Settings:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'ui.db'}",
        ocr_engine="vi",
        inline_workers=1,
    )
    upgrade_database(settings)
    return settings


@pytest.fixture
def server(ui_settings: Settings) -> Iterator[LiveServer]:
    add_user(ui_settings, "quantri", "admin")  # the installation's first account
    srv = LiveServer(ui_settings, start_jobs=True).start()
    yield srv
    srv.stop()


@pytest.fixture
def printed_book(tmp_path: Path) -> Path:
    return generate_book("khai-sinh", 2, tmp_path / "book", style="typed", degrade="light", seed=7)


def open_as(browser: Browser, server: LiveServer, username: str, password: str) -> Page:
    """A fresh browser context, logged in with the keyboard."""
    context = browser.new_context(viewport=SCREEN, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    keyboard_login(page, server.url, username, password, PAGE_ERRORS, STEP_TIMEOUT)
    return page


def test_a_new_admin_and_a_clerk_do_the_working_day_in_the_browser(
    browser: Browser, server: LiveServer, printed_book: Path, tmp_path: Path
) -> None:
    PAGE_ERRORS.clear()
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    truth = json.loads((printed_book / "truth.json").read_text(encoding="utf-8"))
    volume, book_year = truth["ledger"]["book"].split("/")
    clerk_password = "canbo-mat-khau-9"

    # The admin creates the clerk of the commune, from the top bar's "Quản trị".
    admin = open_as(browser, server, "quantri", PASSWORD)
    for nav in ("upload", "search", "admin"):  # the same top bar on every screen
        expect(admin.locator(f"#topbar a[data-nav={nav}]")).to_be_visible()
    admin.locator("#topbar a[data-nav=admin]").click()
    admin.locator("#new-username").fill(CLERK)
    admin.locator("#new-role").select_option("clerk")
    admin.locator("#new-commune").fill(COMMUNE)
    admin.locator("#new-password").fill(clerk_password)
    admin.locator("#new-password").press("Enter")
    expect(admin.locator(f"tr[data-user='{CLERK}'] td.commune")).to_have_text(COMMUNE)
    admin.context.close()

    # The clerk uploads the scan with only its register type (the commune is the clerk's own).
    clerk = open_as(browser, server, CLERK, clerk_password)
    expect(clerk.locator("#topbar a[data-nav=admin]")).to_be_hidden()
    clerk.locator("#topbar a[data-nav=upload]").click()
    expect(clerk.locator("#upload-commune")).to_have_value(COMMUNE)
    clerk.locator("#upload-register").select_option("khai-sinh")
    clerk.locator("#upload-files").set_input_files(str(printed_book / "book.pdf"))
    clerk.locator("#upload-submit").click()
    item = clerk.locator(".upload-item[data-file='book.pdf']")
    expect(item).to_contain_text("Đã tải lên")
    item.locator("a.button").click()
    expect(clerk).to_have_url(re.compile("#/book/[0-9a-f]{32}$"))
    book_url = clerk.url

    # The book screen follows the reading by itself: every text the counts show is recorded.
    clerk.evaluate("window.__sohoaNoReload = true")
    clerk.evaluate(
        """() => {
            window.__counts = [];
            const note = () => {
                const el = document.getElementById('reading-counts');
                const text = el ? el.textContent : '';
                if (text && window.__counts[window.__counts.length - 1] !== text) {
                    window.__counts.push(text);
                }
            };
            note();
            new MutationObserver(note).observe(document.body, {
                subtree: true, childList: true, characterData: true,
            });
        }"""
    )
    expect(clerk.locator("#reading-counts")).to_contain_text("Đã đọc: 2/2", timeout=READ_TIMEOUT)
    expect(clerk.locator(".book-sub")).to_contain_text("Đã đọc xong", timeout=STEP_TIMEOUT)
    seen: list[str] = clerk.evaluate("window.__counts")
    assert len(seen) >= 2 and "Đã đọc: 2/2" not in seen[0], seen  # it moved, live
    assert clerk.evaluate("window.__sohoaNoReload === true"), "the page was reloaded"
    # The book's data read from its pages, shown on the book screen.
    expect(clerk.locator("#book-data tr[data-fact=book] td.current")).to_have_text(
        truth["ledger"]["book"]
    )
    shot = shots / "book-1366x768.png"
    clerk.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000  # a real rendering, not a blank page

    # Review: the first record; the clerk corrects the name and confirms it.
    clerk.get_by_role("button", name="Bắt đầu duyệt").click()
    expect(clerk).to_have_url(re.compile("#/review/"))
    name_input = clerk.locator(f"#f-{CORRECTED}")
    expect(name_input).to_be_visible()
    assert name_input.input_value() != CORRECTED_NAME
    name_input.fill(CORRECTED_NAME)
    name_input.press("Control+Enter")
    expect(clerk.locator("#toast")).to_contain_text("Đã xác nhận")

    # Back on the book screen, the Ministry Excel is downloaded.
    clerk.goto(book_url)
    clerk.locator("#downloads button[data-format='xlsx']").click()
    link = clerk.locator("#export-jobs a.download")
    expect(link).to_have_count(1, timeout=READ_TIMEOUT)
    with clerk.expect_download() as info:
        link.click()
    download = info.value
    ward = "".join(re.findall(r"[0-9a-z]+", ascii_fold(COMMUNE)))
    assert download.suggested_filename == f"{ward}.KS.{book_year}.{volume}.xlsx"
    saved = download.path()
    assert saved is not None
    sheet = openpyxl.load_workbook(io.BytesIO(saved.read_bytes())).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    assert CORRECTED in header, header
    names = [r[header.index(CORRECTED)] for r in rows[1:] if any(r)]
    assert names == [CORRECTED_NAME]  # the one confirmed record, as corrected

    # The book's card: its counts, the way to its screen and to its data.
    clerk.locator("#topbar a[data-nav=queue]").click()
    card = clerk.locator(".ledger-card")
    expect(card).to_contain_text("Đã xác nhận: 1")
    expect(card.locator("a.book-link")).to_have_attribute("href", "#" + book_url.split("#", 1)[1])
    expect(card.locator("a.book-info-link")).to_have_text("Thông tin sổ")
    clerk.context.close()
    assert not PAGE_ERRORS, f"JavaScript errors in the page: {PAGE_ERRORS}"
