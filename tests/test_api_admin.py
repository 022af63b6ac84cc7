"""Administration over the API: users and tokens, admin only; disabling and revoking act at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.entities import ApiToken, AuditEvent
from ocr_service.config import Settings
from ocr_service.db import session_scope
from tests.conftest import auth
from tests.factories import add_book, add_user

USERS = "/api/v1/users"
TOKENS = "/api/v1/tokens"


def _login(client: TestClient, name: str, password: str) -> str:
    r = client.post("/api/v1/session", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    csrf: str = r.json()["csrf_token"]
    return csrf


def test_admin_creates_lists_and_updates_users(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    h = auth(admin_token)
    r = client.post(
        USERS,
        headers=h,
        json={
            "username": "lan",
            "role": "clerk",
            "commune": "Xã An Nhơn",
            "password": "mat-khau-dai",
        },
    )
    assert r.status_code == 201, r.text
    lan = r.json()
    assert "mat-khau-dai" not in r.text and "password" not in lan
    assert lan["username"] == "lan" and lan["role"] == "clerk" and lan["active"] is True
    assert lan["commune"] == "Xã An Nhơn" and lan["has_password"] is True
    # She can log in with what the admin set.
    _login(client, "lan", "mat-khau-dai")
    client.cookies.clear()

    again = client.post(USERS, headers=h, json={"username": "lan", "role": "clerk"})
    assert again.status_code == 409 and "đã tồn tại" in again.json()["error"]["message"]
    for bad in (
        {"username": "có dấu cách", "role": "clerk"},
        {"username": "x", "role": "boss"},
        {"username": "y", "password": "ngan"},
        {"username": "z" * 81},
        {"username": "w", "commune": "x" * 201},
        {"username": "v", "admin": True},
    ):
        r = client.post(USERS, headers=h, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["code"]

    listed = client.get(USERS, headers=h).json()["items"]
    assert [u["username"] for u in listed] == ["admin", "lan"]

    r = client.patch(
        f"{USERS}/{lan['id']}",
        headers=h,
        json={"role": "reviewer", "commune": None, "password": "mat-khau-moi-1"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "reviewer" and r.json()["commune"] is None
    assert "mat-khau-moi-1" not in r.text
    assert (
        client.post(
            "/api/v1/session", json={"username": "lan", "password": "mat-khau-dai"}
        ).status_code
        == 401
    )
    _login(client, "lan", "mat-khau-moi-1")
    client.cookies.clear()
    assert client.patch(f"{USERS}/999999", headers=h, json={"active": False}).status_code == 404
    assert client.patch(f"{USERS}/0", headers=h, json={}).status_code == 422

    with session_scope(settings) as session:
        events = {
            e.action: e.data
            for e in session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "user"))
        }
    assert events["user.create"]["username"] == "lan"
    assert events["user.update"]["changes"]["role"] == ["clerk", "reviewer"]
    assert events["user.update"]["changes"]["password_reset"] is True
    assert "mat-khau" not in repr(events)


def test_disabling_ends_sessions_and_tokens_at_once(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    h = auth(admin_token)
    uid, token = add_user(settings, "mai", "clerk")
    csrf = _login(client, "mai", "mai-mat-khau")
    book = add_book(settings, records=1, commune=None)
    write = {"X-CSRF-Token": csrf}
    flag = {"version": 1, "reason": "illegible"}
    # Both ways in work before…
    assert client.get("/api/v1/ledgers").status_code == 200
    assert client.get("/api/v1/ledgers", headers=auth(token)).status_code == 200

    r = client.patch(f"{USERS}/{uid}", headers=h, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    # …and neither on the very next request, a write with its CSRF token included.
    assert client.get("/api/v1/ledgers").status_code == 401
    assert client.get("/api/v1/ledgers", headers=auth(token)).status_code == 401
    rid = book.record_ids[0]
    assert client.post(f"/api/v1/records/{rid}/flag", json=flag, headers=write).status_code == 401
    assert (
        client.post(f"/api/v1/records/{rid}/flag", json=flag, headers=auth(token)).status_code
        == 401
    )
    assert (
        client.post(
            "/api/v1/session", json={"username": "mai", "password": "mai-mat-khau"}
        ).status_code
        == 401
    )

    r = client.patch(f"{USERS}/{uid}", headers=h, json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True
    assert client.get("/api/v1/ledgers", headers=auth(token)).status_code == 200
    # The session open when she was disabled stays ended: she logs in again.
    assert client.get("/api/v1/ledgers").status_code == 401
    _login(client, "mai", "mai-mat-khau")
    assert client.get("/api/v1/ledgers").status_code == 200
    with session_scope(settings) as session:
        ended = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "user.update", AuditEvent.entity_id == str(uid))
            .order_by(AuditEvent.id)
            .limit(1)
        )
        assert ended is not None and ended.data["changes"]["sessions_ended"] == 1


def test_a_revoked_token_stops_at_once_and_the_owners_session_goes_on(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    h = auth(admin_token)
    add_user(settings, "thu", "clerk")
    made = client.post(TOKENS, headers=h, json={"user": "thu", "name": "may"}).json()
    csrf = _login(client, "thu", "thu-mat-khau")
    book = add_book(settings, records=1, commune=None)
    rid = book.record_ids[0]
    assert client.get(f"/api/v1/records/{rid}", headers=auth(made["token"])).status_code == 200

    assert client.delete(f"{TOKENS}/{made['id']}", headers=h).status_code == 200
    # Read and write with the revoked token: 401 on the very next request…
    assert client.get(f"/api/v1/records/{rid}", headers=auth(made["token"])).status_code == 401
    r = client.post(
        f"/api/v1/records/{rid}/flag",
        json={"version": 1, "reason": "illegible"},
        headers=auth(made["token"]),
    )
    assert r.status_code == 401
    # …while her browser session, another way in, is not a token and goes on.
    r = client.post(
        f"/api/v1/records/{rid}/flag",
        json={"version": 1, "reason": "illegible"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text


def test_an_admin_cannot_lock_themselves_out(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    h = auth(admin_token)
    me = client.get("/api/v1/session", headers=h).json()["user"]
    r = client.patch(f"{USERS}/{me['id']}", headers=h, json={"active": False})
    assert r.status_code == 409 and r.json()["error"]["code"] == "self"
    r = client.patch(f"{USERS}/{me['id']}", headers=h, json={"role": "clerk"})
    assert r.status_code == 409
    assert client.get(USERS, headers=h).status_code == 200  # still an admin, still active
    # Another admin may be disabled by this one.
    other, _ = add_user(settings, "admin2", "admin")
    assert client.patch(f"{USERS}/{other}", headers=h, json={"active": False}).status_code == 200


def test_tokens_are_shown_once_listed_without_secret_and_revoked(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    h = auth(admin_token)
    add_user(settings, "hoa", "clerk")
    r = client.post(TOKENS, headers=h, json={"user": "hoa", "name": "máy quét"})
    assert r.status_code == 201, r.text
    made = r.json()
    secret = made["token"]
    assert secret.startswith("sohoa_") and made["user"] == "hoa" and made["name"] == "máy quét"
    assert client.get("/api/v1/ledgers", headers=auth(secret)).status_code == 200

    with session_scope(settings) as session:
        row = session.get(ApiToken, made["id"])
        assert row is not None and row.token_hash != secret and secret not in row.token_hash

    listed = client.get(TOKENS, headers=h)
    assert listed.status_code == 200 and secret not in listed.text
    mine = client.get(TOKENS, headers=h, params={"user": "hoa"}).json()["items"]
    assert [t["id"] for t in mine][-1] == made["id"]
    assert all(t["user"] == "hoa" for t in mine)
    (info,) = [t for t in mine if t["id"] == made["id"]]
    assert info["revoked_at"] is None and info["last_used_at"] is not None
    assert set(info) == {"id", "user", "name", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert client.get(TOKENS, headers=h, params={"user": "nobody"}).status_code == 404
    assert client.post(TOKENS, headers=h, json={"user": "nobody"}).status_code == 404

    r = client.delete(f"{TOKENS}/{made['id']}", headers=h)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert client.get("/api/v1/ledgers", headers=auth(secret)).status_code == 401
    # Revoking again changes nothing; an unknown token is a 404.
    again = client.delete(f"{TOKENS}/{made['id']}", headers=h)
    assert again.status_code == 200 and again.json()["revoked_at"] == r.json()["revoked_at"]
    assert client.delete(f"{TOKENS}/999999", headers=h).status_code == 404

    with session_scope(settings) as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.entity_type == "api_token")
            )
        ]
        audited = repr([e.data for e in session.scalars(select(AuditEvent))])
    assert actions == ["token.create", "token.revoke"]
    assert secret not in audited


def test_only_admins_administer(settings: Settings, client: TestClient, admin_token: str) -> None:
    uid, clerk = add_user(settings, "clerk1", "clerk")
    _, reviewer = add_user(settings, "rev1", "reviewer")
    calls = [
        ("get", USERS, None),
        ("post", USERS, {"username": "x1", "role": "admin"}),
        ("patch", f"{USERS}/{uid}", {"role": "admin"}),
        ("get", TOKENS, None),
        ("post", TOKENS, {"user": "clerk1"}),
        ("delete", f"{TOKENS}/1", None),
    ]
    for token in (clerk, reviewer):
        for method, url, body in calls:
            r = client.request(method.upper(), url, headers=auth(token), json=body)
            assert r.status_code == 403, (method, url, r.text)
            assert r.json()["error"]["code"] == "forbidden"
        for method, url, body in calls:
            r = client.request(method.upper(), url, json=body)
            assert r.status_code == 401, (method, url)
    # A clerk's session cookie (with its CSRF token) is no admin either.
    csrf = _login(client, "clerk1", "clerk1-mat-khau")
    r = client.patch(f"{USERS}/{uid}", json={"role": "admin"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    # Nothing changed, and the clerk's token still works.
    assert client.get("/api/v1/ledgers", headers=auth(clerk)).status_code == 200
    roles = {
        u["username"]: u["role"]
        for u in client.get(USERS, headers=auth(admin_token)).json()["items"]
    }
    assert roles["clerk1"] == "clerk" and "x1" not in roles
