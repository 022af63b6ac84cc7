"""Upload, follow and download in a real browser: no command line, the job runner reading."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from models.entities import Ledger, PageState, User
from models.entities import Page as PageRow
from ocr_service.auth import create_token
from ocr_service.config import Settings
from ocr_service.db import session_scope
from tests.ui_support import (
    PASSWORD,
    SCREEN,
    LiveServer,
    SeededBook,
    add_user,
    keyboard_login,
    make_book,
    seed_book,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS_ENV = "SOHOA_SCREENSHOTS_DIR"  # as in test_ui_review: docs/screenshots to refresh
COMMUNE = "Xã Lộc Thuận"
READ_TIMEOUT = 60_000  # ms: the runner's child process starts, then reads the pages
UPLOAD_LIMIT = 1024**2  # bytes: the generated book is ~200 kB


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    return {**browser_context_args, "viewport": SCREEN, "locale": "vi-VN", "accept_downloads": True}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def small_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_book(tmp_path_factory.mktemp("upload-book"), 2, seed=21)


@pytest.fixture
def ui_settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'ui.db'}",
        ocr_engine="none",
        inline_workers=1,
        max_upload_bytes=UPLOAD_LIMIT,
    )


@pytest.fixture
def server(ui_settings: Settings) -> Iterator[LiveServer]:
    from ocr_service.db import upgrade_database

    upgrade_database(ui_settings)
    add_user(ui_settings, "canbo", "clerk", commune=COMMUNE)
    srv = LiveServer(ui_settings, start_jobs=True).start()
    yield srv
    srv.stop()


_page_errors: list[str] = []


@pytest.fixture(autouse=True)
def no_page_errors() -> Iterator[None]:
    _page_errors.clear()
    yield
    assert not _page_errors, f"JavaScript errors in the page: {_page_errors}"


def login(page: Page, server: LiveServer, username: str = "canbo") -> None:
    """Log in with the keyboard only; any script error or CSP refusal fails the test."""
    keyboard_login(page, server.url, username, PASSWORD, _page_errors, 15_000)


def drop_file(page: Page, selector: str, name: str, data: bytes, mime: str) -> None:
    """A file dragged from the desktop and dropped: the drop event with its DataTransfer."""
    transfer = page.evaluate_handle(
        """([name, bytes, mime]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
            return dt;
        }""",
        [name, list(data), mime],
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def mark_unreloaded(page: Page) -> None:
    page.evaluate("window.__sohoaNoReload = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__sohoaNoReload === true"), "the page was reloaded"


def fail_page(settings: Settings, ledger_id: str, index: int, reason: str) -> None:
    with session_scope(settings) as session:
        session.execute(
            update(PageRow)
            .where(PageRow.ledger_id == ledger_id, PageRow.index == index)
            .values(state=PageState.failed, attempts=3, error=reason)
        )
        session.execute(update(Ledger).where(Ledger.id == ledger_id).values(status="partial"))


def token_for(settings: Settings, username: str) -> str:
    with session_scope(settings) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return create_token(session, user)


def test_clerk_uploads_by_drop_and_picker_sees_progress_errors_and_reading(
    page: Page, server: LiveServer, small_book: Path, shots: Path, tmp_path: Path
) -> None:
    login(page, server)
    page.goto(server.url + "/ui/#/upload")
    expect(page.locator("h1")).to_have_text("Tải sổ lên")
    # The commune comes from the clerk's account and cannot be changed by a clerk.
    expect(page.locator("#upload-commune")).to_have_value(COMMUNE)
    expect(page.locator("#upload-commune")).to_have_attribute("readonly", "")
    mark_unreloaded(page)

    # The book's data with the keyboard: register, quyển số (the year follows it).
    page.locator("#upload-register").select_option("khai-sinh")
    page.locator("#upload-book").focus()
    page.keyboard.type("01/2019")
    expect(page.locator("#upload-year")).to_have_value("2019")
    # The layout file is for table ledgers only.
    expect(page.locator("#upload-layout-file")).to_be_disabled()

    pdf = (small_book / "book.pdf").read_bytes()
    drop_file(page, "#dropzone", "so-khai-sinh.pdf", pdf, "application/pdf")
    wrong = tmp_path / "ghi-chu.txt"
    wrong.write_text("không phải bản quét", encoding="utf-8")
    big = tmp_path / "qua-lon.pdf"
    big.write_bytes(b"%PDF-1.4\n" + bytes(3 * UPLOAD_LIMIT))
    page.locator("#upload-files").set_input_files([str(wrong), str(big)])
    expect(page.locator("#file-list li")).to_have_count(3)
    expect(page.locator("#upload-submit")).to_be_enabled()

    page.locator("#upload-book").focus()
    page.keyboard.press("Control+Enter")
    good = page.locator(".upload-item[data-file='so-khai-sinh.pdf']")
    bad = page.locator(".upload-item[data-file='ghi-chu.txt']")
    expect(bad).to_contain_text("Sai loại tệp")
    expect(bad).to_have_class(re.compile("failed"))
    expect(page.locator(".upload-item[data-file='qua-lon.pdf']")).to_contain_text("Tệp quá lớn")
    expect(good.locator("progress")).to_have_attribute("value", "100")
    expect(good).to_contain_text("Đã tải lên")
    # Then the book's reading, live: both pages read, without a reload.
    expect(good.locator(".reading")).to_contain_text("Trang đã đọc: 2/2", timeout=READ_TIMEOUT)
    expect(good.locator(".reading")).to_contain_text("Đã đọc xong")
    expect(page.locator("#upload-progress")).not_to_contain_text("null")
    assert_not_reloaded(page)
    page.screenshot(path=str(shots / "upload-1366x768.png"))

    # The same scan again: a duplicate, said as such, with the way to the book.
    page.locator("#upload-files").set_input_files(str(small_book / "book.pdf"))
    page.locator("#upload-submit").focus()
    page.keyboard.press("Enter")
    dup = page.locator(".upload-item[data-file='book.pdf']")
    expect(dup).to_contain_text("Trùng")
    expect(dup.locator("a.button")).to_have_attribute("href", re.compile("^#/book/"))

    # A table ledger needs its column layout file, and a broken one is refused with the reason.
    page.locator("#upload-layout").select_option("table")
    expect(page.locator("#upload-layout-file")).to_be_enabled()
    page.locator("#upload-files").set_input_files(str(small_book / "book.pdf"))
    page.locator("#upload-submit").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Sổ kẻ bảng cần tệp bố cục cột")
    expect(page.locator("#upload-layout-file")).to_be_focused()
    broken = tmp_path / "bo-cuc.toml"
    broken.write_text("register = [unclosed", encoding="utf-8")
    page.locator("#upload-layout-file").set_input_files(str(broken))
    page.keyboard.press("Control+Enter")
    items = page.locator(".upload-item[data-file='book.pdf']")
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text("Tệp hoặc thông tin sổ không hợp lệ: layout file")

    # The book screen reached from the upload, its data as given.
    good.locator("a.button").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#/book/[0-9a-f]{32}$"))
    expect(page.locator("h1")).to_contain_text("Sổ 01/2019 (2019)")
    expect(page.locator("#reading-counts")).to_contain_text("Đã đọc: 2/2")


@pytest.fixture
def seeded(ui_settings: Settings, small_book: Path) -> SeededBook:
    return seed_book(ui_settings, small_book, commune=COMMUNE)


def test_book_cards_dashboard_and_book_screen_follow_reading_and_retry_a_failed_page(
    page: Page, server: LiveServer, seeded: SeededBook, ui_settings: Settings, shots: Path
) -> None:
    fail_page(ui_settings, seeded.ledger_id, 2, "RuntimeError: trang bị mờ")
    seed_book(ui_settings, seeded.book_dir, commune=COMMUNE)  # a second book, failed too
    with session_scope(ui_settings) as session:
        other = session.scalar(select(Ledger.id).where(Ledger.id != seeded.ledger_id))
    assert other is not None
    fail_page(ui_settings, other, 1, "RuntimeError: trang rách")
    login(page, server)

    # The cards and the dashboard move when a book is read again by someone else.
    card = page.locator(f".ledger-card[data-ledger='{other}']")
    expect(card).to_contain_text("Trang lỗi: 1")
    dashboard = page.context.new_page()
    dashboard.goto(server.url + "/ui/#/dashboard")
    row = dashboard.locator(f"#per-book tr[data-ledger='{other}']")
    expect(row).to_contain_text("Đã đọc: 1/2")
    mark_unreloaded(page)
    mark_unreloaded(dashboard)
    answer = httpx.post(
        f"{server.url}/api/v1/ledgers/{other}/retry-failed",
        headers={"Authorization": f"Bearer {token_for(ui_settings, 'canbo')}"},
    )
    assert answer.status_code == 202, answer.text
    # Queued again first ("Đang đọc"), then read.
    expect(card).to_contain_text("Trang đã đọc: 2/2", timeout=READ_TIMEOUT)
    expect(card).not_to_contain_text("Trang lỗi")
    expect(row).to_contain_text("Đã đọc: 2/2", timeout=READ_TIMEOUT)
    assert_not_reloaded(page)
    assert_not_reloaded(dashboard)
    dashboard.close()

    # The book screen: the failed page with its reason, and "Thử lại" by keyboard.
    page.goto(server.url + f"/ui/#/book/{seeded.ledger_id}")
    failed = page.locator("#failed-pages tr[data-page='2']")
    expect(failed).to_contain_text("RuntimeError: trang bị mờ")
    expect(page.locator("#retry-all")).to_contain_text("(1)")
    expect(page.locator("#reading")).not_to_contain_text("null")
    page.screenshot(path=str(shots / "book-progress-1366x768.png"))
    mark_unreloaded(page)
    failed.locator("button.retry").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#failed-pages")).to_have_count(0, timeout=READ_TIMEOUT)
    expect(page.locator("#reading-counts")).to_contain_text("Đã đọc: 2/2", timeout=READ_TIMEOUT)
    expect(page.locator("#reading")).not_to_contain_text("Trang lỗi")
    assert_not_reloaded(page)


def test_book_screen_downloads_exports_and_says_why_one_fails(
    page: Page, server: LiveServer, seeded: SeededBook, ui_settings: Settings, shots: Path
) -> None:
    login(page, server)
    page.goto(server.url + f"/ui/#/book/{seeded.ledger_id}")
    expect(page.locator("#export-jobs")).to_contain_text("Chưa xuất lần nào")
    page.locator("#export-drafts").focus()
    page.keyboard.press("Space")
    page.locator("#downloads button[data-format='xlsx']").focus()
    page.keyboard.press("Enter")
    link = page.locator("#export-jobs a.download")
    expect(link).to_have_count(1, timeout=READ_TIMEOUT)
    expect(page.locator("#export-jobs tr[data-status='done']")).to_contain_text("2 bản ghi")
    with page.expect_download() as info:
        link.focus()
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = download.path()
    assert saved is not None
    sheet = openpyxl.load_workbook(io.BytesIO(saved.read_bytes())).active
    assert sheet is not None
    values = [c.value for row in sheet.iter_rows() for c in row if c.value]
    truth_names = {r.truth.get("nksHoTen") for r in seeded.records}
    assert truth_names <= set(values)  # both records, by name
    # The JSON export is one click more, and the list keeps both.
    page.locator("#downloads button[data-format='json']").click()
    expect(page.locator("#export-jobs a.download")).to_have_count(2, timeout=READ_TIMEOUT)
    page.screenshot(path=str(shots / "book-downloads-1366x768.png"))

    # A book without its quyển số: the Ministry zip says why it cannot be made.
    with session_scope(ui_settings) as session:
        session.execute(update(Ledger).where(Ledger.id == seeded.ledger_id).values(book=None))
    page.locator("#downloads button[data-format='zip']").click()
    failed = page.locator("#export-jobs tr[data-status='failed']")
    expect(failed).to_contain_text("Lỗi: quyển số None", timeout=READ_TIMEOUT)
