"""Administration and search in a real browser: an admin creates a clerk, creates and revokes a
token, disables a user (whose open session then lands on the login screen); a clerk finds a
person typed without accents and opens the record beside its page image."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from models.entities import DraftRecord
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from tests.factories import add_book
from tests.ui_support import PASSWORD, SCREEN, LiveServer, add_user, keyboard_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# As in test_ui_review: SOHOA_SCREENSHOTS_DIR=docs/screenshots refreshes the committed ones.
SCREENSHOTS_ENV = "SOHOA_SCREENSHOTS_DIR"
COMMUNE = "Xã An Nhơn"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    return {**browser_context_args, "viewport": SCREEN, "locale": "vi-VN"}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


_page_errors: list[str] = []


@pytest.fixture(autouse=True)
def no_page_errors() -> Iterator[None]:
    _page_errors.clear()
    yield
    assert not _page_errors, f"JavaScript errors in the page: {_page_errors}"


def login(page: Page, server: LiveServer, username: str) -> None:
    """Log in with the keyboard only; any script error or CSP refusal fails the test."""
    keyboard_login(page, server.url, username, PASSWORD, _page_errors, 15_000)


def screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a real rendering, not a blank page


def new_page(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=SCREEN, locale="vi-VN")
    return context, context.new_page()


def test_admin_creates_a_clerk_and_a_token_revokes_it_and_disables_a_user(
    page: Page, browser: Browser, server: LiveServer, ui_settings: Settings, shots: Path
) -> None:
    add_user(ui_settings, "quantri", "admin")
    add_book(ui_settings, records=1, commune=COMMUNE)
    login(page, server, "quantri")
    admin_link = page.locator("#topbar a[data-nav=admin]")
    expect(admin_link).to_be_visible()
    admin_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#/admin$"))

    # A new clerk, typed and sent with the keyboard.
    page.locator("#new-username").focus()
    page.keyboard.type("canbo")
    page.keyboard.press("Tab")
    page.locator("#new-role").select_option("clerk")
    page.keyboard.press("Tab")
    page.keyboard.type(COMMUNE)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    row = page.locator("tr[data-user=canbo]")
    expect(row.locator("td.role")).to_have_text("Cán bộ nhập liệu")
    expect(row.locator("td.commune")).to_have_text(COMMUNE)
    expect(row.locator("td.state")).to_have_text("Đang hoạt động")
    expect(page.locator("#new-username")).to_be_focused()

    # The clerk can work: logged in elsewhere, the books of the commune show.
    clerk_context, clerk = new_page(browser)
    login(clerk, server, "canbo")
    expect(clerk.locator(".ledger-card")).to_have_count(1)
    expect(clerk.locator("#topbar a[data-nav=admin]")).to_be_hidden()

    # A token for the clerk: shown once, with a copy button and a warning.
    page.locator("#token-user").select_option("canbo")
    page.locator("#token-name").fill("máy quét")
    page.locator("#token-name").press("Enter")
    secret_box = page.locator("#new-token-secret")
    expect(secret_box).to_be_visible()
    expect(page.locator(".token-shown .warning")).to_contain_text("chỉ hiện MỘT LẦN")
    secret = secret_box.input_value()
    assert secret.startswith("sohoa_")
    expect(page.locator("button.copy-token")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".copy-state")).to_have_text("Đã sao chép")
    screenshot(page, shots / "admin-token-created-1366x768.png")
    page.keyboard.press("Escape")  # the secret never goes away by accident
    expect(secret_box).to_be_visible()
    page.get_by_role("button", name="Tôi đã lưu mã — Đóng").click()
    expect(secret_box).to_have_count(0)
    assert secret not in page.content()  # the list shows its prefix only
    api = server.url + "/api/v1/ledgers"
    bearer = {"Authorization": f"Bearer {secret}"}
    assert page.request.get(api, headers=bearer).status == 200

    token_row = page.locator("#admin-tokens tbody tr").filter(has_text="máy quét")
    expect(token_row.locator("td.state")).to_have_text("Đang dùng")
    screenshot(page, shots / "admin-users-tokens-1366x768.png")
    # Revoking asks first; Enter on the focused "Hủy" changes nothing.
    token_row.locator("button.revoke-token").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".modal button.confirm-action")).to_have_text("Thu hồi")
    page.keyboard.press("Enter")
    expect(page.locator(".modal")).to_have_count(0)
    expect(token_row.locator("td.state")).to_have_text("Đang dùng")
    token_row.locator("button.revoke-token").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(token_row.locator("td.state")).to_contain_text("Đã thu hồi")
    assert page.request.get(api, headers=bearer).status == 401

    # Disabling the clerk ends their open session at once: their next click lands on login.
    row.locator("button.disable-user").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".modal")).to_contain_text("Vô hiệu hóa canbo?")
    page.locator(".modal button.confirm-action").click()
    expect(row.locator("td.state")).to_have_text("Đã vô hiệu hóa")
    expect(row.locator("button.enable-user")).to_be_visible()
    assert clerk.request.get(server.url + "/api/v1/session").status == 401
    # Their next request lands on the login screen: the live book cards' poll may come first
    # and hide the top bar, so the clerk's move is made as a link's would be, not by a click.
    clerk.evaluate("location.hash = '#/dashboard'")
    expect(clerk).to_have_url(re.compile("#/login$"))
    expect(clerk.locator("#login-user")).to_be_visible()
    expect(clerk.locator("#topbar")).to_be_hidden()
    clerk.locator("#login-user").fill("canbo")
    clerk.locator("#login-pass").fill(PASSWORD)
    clerk.locator("#login-pass").press("Enter")
    expect(clerk.locator("#login-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu")
    clerk_context.close()

    # An admin cannot disable themselves: their own button is off.
    expect(page.locator("tr[data-user=quantri] button.disable-user")).to_be_disabled()


def test_admin_resets_a_password_and_changes_a_role(
    page: Page, browser: Browser, server: LiveServer, ui_settings: Settings
) -> None:
    add_user(ui_settings, "quantri", "admin")
    add_user(ui_settings, "lan", "clerk", commune=COMMUNE)
    login(page, server, "quantri")
    page.goto(server.url + "/ui/#/admin")
    row = page.locator("tr[data-user=lan]")
    row.locator("button.edit-user").click()
    expect(page.locator("#edit-role")).to_be_focused()
    page.locator("#edit-role").select_option("reviewer")
    page.locator("#edit-commune").fill("")
    page.locator("#edit-commune").press("Enter")
    expect(row.locator("td.role")).to_have_text("Người kiểm tra")
    expect(row.locator("td.commune")).to_have_text("—")

    row.locator("button.reset-password").click()
    expect(page.locator("#reset-password")).to_be_focused()
    page.keyboard.type("mat-khau-moi-9")
    page.keyboard.press("Enter")
    expect(page.locator(".modal")).to_have_count(0)
    context, other = new_page(browser)
    other.goto(server.url + "/")
    other.locator("#login-user").fill("lan")
    other.locator("#login-pass").fill("mat-khau-moi-9")
    other.locator("#login-pass").press("Enter")
    expect(other.locator("#whoami")).to_contain_text("lan")
    expect(other.locator("#topbar a[data-nav=reviewer]")).to_be_visible()
    context.close()


def test_non_admins_get_no_link_and_no_access(
    page: Page, server: LiveServer, ui_settings: Settings
) -> None:
    add_user(ui_settings, "canbo", "clerk", commune=COMMUNE)
    login(page, server, "canbo")
    expect(page.locator("#topbar a[data-nav=admin]")).to_be_hidden()
    page.goto(server.url + "/ui/#/admin")
    expect(page.locator("#no-access")).to_contain_text("Không có quyền")
    expect(page.locator("#admin-users")).to_have_count(0)


def test_a_clerk_finds_a_person_typed_without_accents_and_opens_the_record(
    page: Page, server: LiveServer, ui_settings: Settings, shots: Path
) -> None:
    book = add_book(ui_settings, records=3, commune=COMMUNE)
    elsewhere = add_book(ui_settings, records=1, commune="Xã Khác", year=2020)
    wanted = book.record_ids[1]
    with session_scope(ui_settings) as session:
        for rid in (wanted, elsewhere.record_ids[0]):
            record = session.get(DraftRecord, rid)
            assert record is not None
            for f in record.fields:
                if f.code == "nksHoTen":
                    f.value = "Nguyễn Văn Đức"
                elif f.code == "nksNgaySinh":
                    f.value = "05.03.1990"
    add_user(ui_settings, "canbo", "clerk", commune=COMMUNE)
    login(page, server, "canbo")
    # The name never goes into a page address.
    page.on(
        "framenavigated",
        lambda frame: (
            _page_errors.append(f"name in the address: {frame.url}")
            if "duc" in frame.url.lower()
            else None
        ),
    )

    page.keyboard.press("/")
    expect(page.locator("#search-box")).to_be_focused()
    page.keyboard.type("nguyen van duc")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#/search$"))
    rows = page.locator(".search-table tbody tr")
    expect(rows).to_have_count(1)  # the other commune's Nguyễn Văn Đức is not this clerk's
    expect(rows.first).to_have_attribute("data-record", wanted)
    expect(rows.first).to_contain_text("Nguyễn Văn Đức")
    expect(rows.first).to_contain_text("05.03.1990")
    expect(page.locator(".search-summary")).to_have_text("1 bản ghi")
    expect(page.locator(".search-results")).not_to_contain_text("null")
    expect(page.locator("a.open-record")).to_be_focused()
    screenshot(page, shots / "search-results-1366x768.png")

    # A birth year that is not theirs finds nobody.
    page.locator("#search-birth").fill("1991")
    page.locator("#search-birth").press("Enter")
    expect(page.locator(".search-summary")).to_have_text("Không tìm thấy ai.")
    page.locator("#search-birth").fill("1990")
    page.locator("#search-birth").press("Enter")
    expect(page.locator("a.open-record")).to_be_focused()

    # Enter opens the record beside its page image.
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"#/review/{wanted}$"))
    expect(page.locator(".field-row[data-code=nksHoTen] input.field-input")).to_have_value(
        "Nguyễn Văn Đức"
    )
    image = page.locator(".viewer-pane img.page-image")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.viewer-pane img.page-image');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert "page-image" in (image.get_attribute("class") or "")
    # Back, the results are still there.
    page.go_back()
    expect(page.locator(".search-table tbody tr")).to_have_count(1)


def test_a_book_list_that_arrives_late_leaves_the_search_box_its_focus(
    page: Page, server: LiveServer, ui_settings: Settings
) -> None:
    """On a loaded server the book list came after the clerk had pressed '/': it took the
    focus back to its first book, and the clerk's Enter opened that book's review instead of
    the search (seen in CI)."""
    add_book(ui_settings, records=2, commune=COMMUNE)
    add_user(ui_settings, "canbo", "clerk", commune=COMMUNE)
    held: list[object] = []

    def hold_ledgers(route) -> None:  # type: ignore[no-untyped-def]
        if held:
            route.continue_()  # later polls go through
        else:
            held.append(route)  # the first list: answered below, after the clerk moved on

    page.route(re.compile(r"/api/v1/ledgers(\?.*)?$"), hold_ledgers)
    login(page, server, "canbo")
    expect(page).to_have_url(re.compile("#/queue$"))
    page.keyboard.press("/")
    expect(page.locator("#search-box")).to_be_focused()
    page.keyboard.type("nguyen")
    assert held, "the book list was not requested"
    for route in held:
        route.continue_()  # type: ignore[attr-defined]
    expect(page.locator("button.start").first).to_be_visible()
    expect(page.locator("#search-box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#/search$"))
