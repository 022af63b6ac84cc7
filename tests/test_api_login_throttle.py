"""Login throttling: 429 with Retry-After per user name and per address, audited; a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models.entities import AuditEvent, LoginAttempt
from ocr_service import login_throttle
from ocr_service.config import Settings
from ocr_service.db import session_scope
from tests.factories import add_user


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(login_throttle, "now", fake)
    return fake


def login(client: TestClient, username: str, password: str) -> int:
    body = {"username": username, "password": password}
    status: int = client.post("/api/v1/session", json=body).status_code
    return status


def audit_actions(settings: Settings) -> list[tuple[str, str, dict[str, object]]]:
    with session_scope(settings) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "login"))
        return [(e.action, e.entity_id, dict(e.data)) for e in rows]


def test_a_user_name_is_locked_after_five_failures_even_for_the_right_password(
    client: TestClient, settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    add_user(settings, "lan")  # password "lan-mat-khau"
    assert [login(client, "lan", f"sai-{i}") for i in range(5)] == [401] * 5
    r = client.post("/api/v1/session", json={"username": "lan", "password": "lan-mat-khau"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "too_many_attempts"
    assert int(r.headers["Retry-After"]) == settings.login_lockout_seconds
    assert "sohoa_session" not in r.cookies
    clock.advance(600)
    r = client.post("/api/v1/session", json={"username": "lan", "password": "lan-mat-khau"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 300
    # Another user name from the same address is not locked by lan's failures.
    add_user(settings, "minh")
    assert login(client, "minh", "minh-mat-khau") == 200
    clock.advance(301)
    assert login(client, "lan", "lan-mat-khau") == 200

    events = audit_actions(settings)
    assert [a for a, _, _ in events] == ["login.locked", "login.throttled", "login.throttled"]
    assert all(name == "lan" for _, name, _ in events)
    assert events[0][2]["scope"] == "user" and events[1][2]["retry_after"] == 900
    for _, _, data in events:
        assert not any("sai-" in str(v) or "mat-khau" in str(v) for v in data.values())
    # Plain logs say what happened, without the user name or a password.
    logged = caplog.text
    assert "locked" in logged and "lan" not in logged and "mat-khau" not in logged


def test_a_success_resets_the_user_count_and_counts_expire_with_the_window(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    add_user(settings, "lan")
    assert [login(client, "lan", "sai") for _ in range(4)] == [401] * 4
    assert login(client, "lan", "lan-mat-khau") == 200
    assert [login(client, "lan", "sai") for _ in range(4)] == [401] * 4
    clock.advance(settings.login_window_seconds + 1)
    assert [login(client, "lan", "sai") for _ in range(4)] == [401] * 4
    assert login(client, "lan", "lan-mat-khau") == 200
    with session_scope(settings) as session:
        # The table holds counts, not user names.
        keys = session.scalars(select(LoginAttempt.key)).all()
        assert keys and not any("lan" in k for k in keys)
    # Counts idle past a window and a lockout are dropped by the next failure.
    assert login(client, "lan", "sai") == 401
    clock.advance(settings.login_window_seconds + settings.login_lockout_seconds + 1)
    assert login(client, "khach", "sai") == 401
    with session_scope(settings) as session:
        assert len(session.scalars(select(LoginAttempt.key)).all()) == 2  # khach's, the address's


def test_an_address_is_locked_after_twenty_failures_over_many_user_names(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    add_user(settings, "lan")
    codes = [login(client, f"khach{i}", "sai") for i in range(settings.login_address_failures)]
    assert codes == [401] * settings.login_address_failures
    r = client.post("/api/v1/session", json={"username": "lan", "password": "lan-mat-khau"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    locked = [d for a, _, d in audit_actions(settings) if a == "login.locked"]
    assert [d["scope"] for d in locked] == ["address"]
    assert locked[0]["address"] == "testclient"
    clock.advance(settings.login_lockout_seconds)
    assert login(client, "lan", "lan-mat-khau") == 200
