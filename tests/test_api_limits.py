"""Bad input never makes a 500: limits on every input, a last-resort handler, a complete schema.

Each request here made a 500 (or a dropped connection) before issue #16, on SQLite, PostgreSQL
or both; the `client` fixture runs each test on both.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.book import InvalidBookMeta, parse_year
from ocr_service.api.app import create_app
from ocr_service.config import Settings
from ocr_service.errors import BadInput
from ocr_service.ingest.service import read_layout_file
from tests.conftest import auth
from tests.factories import add_book, add_user

DEEP = 100_000


def assert_error(response: object, status: int, code: str | None = None) -> dict[str, str]:
    """The project's error shape, `{"error": {"code", "message"}}`, with this status."""
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body["error"]) >= {"code", "message"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, str] = body["error"]
    return error


def send_json(client: TestClient, method: str, url: str, text: str, token: str) -> object:
    """A JSON body as written, escapes and all (httpx cannot encode a lone surrogate itself)."""
    return client.request(
        method,
        url,
        content=text.encode("utf-8"),
        headers={**auth(token), "Content-Type": "application/json"},
    )


# --- integers ---------------------------------------------------------------------------------


def test_integers_past_64_bits_are_bad_input(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=1)
    _, token = add_user(settings, "lan", commune="Xã An Nhơn")
    h = auth(token)
    lid, rid = book.ledger_id, book.record_ids[0]
    for url in (
        "/api/v1/ledgers?page=1.3e24",
        "/api/v1/ledgers?page=99999999999999999999",
        f"/api/v1/ledgers/{lid}/records?page=1.3e24",
        f"/api/v1/ledgers/{lid}/pages/-3.5e30/ocr",
        f"/api/v1/ledgers/{lid}/pages/99999999999999999999/image",
    ):
        assert_error(client.get(url, headers=h), 422, "bad_input")
    for version in (2**63, 2**31):
        r = send_json(client, "PATCH", f"/api/v1/records/{rid}", f'{{"version": {version}, '
                      '"fields": {"nksHoTen": "A"}}', token)  # fmt: skip
        assert_error(r, 422, "bad_input")
        r = send_json(client, "POST", f"/api/v1/records/{rid}/confirm", f'{{"version": {version}}}',
                      token)  # fmt: skip
        assert_error(r, 422, "bad_input")
    # In range, still the same answers as before.
    assert client.get("/api/v1/ledgers?page=2", headers=h).json()["items"] == []
    assert client.get(f"/api/v1/ledgers/{lid}/pages/1/ocr", headers=h).status_code == 404


# --- text: NUL, lone surrogates, lengths ----------------------------------------------------------


def test_nul_and_lone_surrogates_are_refused_everywhere(
    client: TestClient, settings: Settings
) -> None:
    book = add_book(settings, records=1)
    _, token = add_user(settings, "lan", commune="Xã An Nhơn")
    h = auth(token)
    rid = book.record_ids[0]
    for url in (
        "/api/v1/ledgers?commune=A%00B",
        "/api/v1/ledgers?register=%ED%A0%80",  # a lone surrogate, as UTF-8 would spell it
        "/api/v1/ledgers/ab%00cd",
        f"/api/v1/records/{rid}%00/history",
        f"/api/v1/records/next?ledger={book.ledger_id}%00",
        "/api/v1/suggest?kind=commune&q=%00",
        "/api/v1/registers/khai%00sinh",
    ):
        assert_error(client.get(url, headers=h), 422, "bad_input")
    for body in (
        '{"version": 1, "fields": {"nksHoTen": "A\\u0000B"}}',
        '{"version": 1, "fields": {"nksHoTen": "\\ud800"}}',
        '{"version": 1, "fields": {"nksHoTen": {"value": "A", "note": "x\\u0000"}}}',
        '{"version": 1, "fields": {"\\udfff": "A"}}',
    ):
        assert_error(send_json(client, "PATCH", f"/api/v1/records/{rid}", body, token), 422)
    r = send_json(client, "POST", f"/api/v1/records/{rid}/flag",
                  '{"version": 1, "reason": "m\\u1edd \\u0000"}', token)  # fmt: skip
    assert_error(r, 422, "bad_input")
    r = client.post(
        "/api/v1/session",
        content=b'{"username": "lan\\u0000", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert_error(r, 422, "bad_input")
    # The record is as it was, and a clean edit still works.
    rec = client.get(f"/api/v1/records/{rid}", headers=h).json()
    assert rec["version"] == 1
    ok = client.patch(
        f"/api/v1/records/{rid}",
        json={"version": 1, "fields": {"nksHoTen": "Lê Thị Ánh"}},
        headers=h,
    )
    assert ok.status_code == 200, ok.text


def test_long_text_is_refused(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=1)
    _, token = add_user(settings, "lan", commune="Xã An Nhơn")
    h = auth(token)
    rid = book.record_ids[0]
    url = f"/api/v1/records/{rid}"
    huge = {"version": 1, "fields": {"nksHoTen": {"value": "A", "note": "n" * 3_000_000}}}
    assert_error(client.patch(url, json=huge, headers=h), 413, "too_large")
    long_note = {"version": 1, "fields": {"nksHoTen": {"value": "A", "note": "n" * 4_001}}}
    assert_error(client.patch(url, json=long_note, headers=h), 422, "bad_input")
    many = {"version": 1, "fields": {f"f{i}": "A" for i in range(201)}}
    assert_error(client.patch(url, json=many, headers=h), 422, "bad_input")
    assert_error(client.get("/api/v1/ledgers?commune=" + "x" * 5000, headers=h), 422)
    assert_error(client.get("/api/v1/records/" + "a" * 65, headers=h), 422)
    assert_error(client.get("/api/v1/suggest?kind=commune&q=" + "x" * 201, headers=h), 422)
    fine = {"version": 1, "fields": {"nksHoTen": {"value": "A", "note": "n" * 4_000}}}
    assert client.patch(url, json=fine, headers=h).status_code == 200


def test_deeply_nested_json_bodies_are_refused(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=1)
    _, token = add_user(settings, "lan", commune="Xã An Nhơn")
    deep = "[" * DEEP + "]" * DEEP
    body = f'{{"version": 1, "fields": {{"nksHoTen": {deep}}}}}'
    r = send_json(client, "PATCH", f"/api/v1/records/{book.record_ids[0]}", body, token)
    assert_error(r, 422, "bad_input")


# --- years and layout files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["²⁰²⁰", "٢٠٢٠", "２０２０", "1" * 5000, "20 19"],
    ids=["superscript", "arabic-indic", "fullwidth", "5000-digits", "space"],
)
def test_a_year_is_four_ascii_digits(text: str) -> None:
    with pytest.raises(InvalidBookMeta, match="4-digit"):
        parse_year(text)


def test_an_upload_with_a_superscript_year_is_bad_input(
    client: TestClient, admin_token: str
) -> None:
    r = client.post(
        "/api/v1/ledgers",
        headers=auth(admin_token),
        data={"register": "khai-sinh", "year": "²⁰²⁰"},
        files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")},
    )
    assert_error(r, 422, "bad_input")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * DEEP + "]" * DEEP),
        ("deep.toml", "a = " + "[" * DEEP + "]" * DEEP),
        ("deep.toml", "a = " + "{b = " * 40 + "1" + "}" * 40),
    ],
    ids=["json", "toml-arrays", "toml-tables"],
)
def test_a_deeply_nested_layout_file_is_bad_input(
    client: TestClient, admin_token: str, tmp_path: Path, name: str, text: str
) -> None:
    r = client.post(
        "/api/v1/ledgers",
        headers=auth(admin_token),
        data={"register": "khai-sinh"},
        files={
            "file": ("a.pdf", b"%PDF-1.4\n", "application/pdf"),
            "layout_file": (name, text.encode(), "application/octet-stream"),
        },
    )
    assert_error(r, 422, "bad_input")
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(BadInput, match="nested deeper"):
        read_layout_file(path)


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    from ocr_service.limits import json_depth

    assert json_depth('{"a": [1, {"b": "[[[[\\"{{"}]}') == 3
    assert json_depth("[" * DEEP) == 33  # stops counting past the limit
    assert json_depth('"plain"') == 0


# --- the last resort --------------------------------------------------------------------------


def test_an_unexpected_error_is_a_json_500_with_a_logged_id(
    settings: Settings, admin_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    from ocr_service.api.deps import current_user

    app = create_app(settings, start_jobs=False)

    def broken() -> None:
        raise RuntimeError("disk on fire")

    # A dependency of every authenticated route, failing where no handler expects it.
    app.dependency_overrides[current_user] = broken
    caplog.set_level(logging.ERROR)
    # raise_server_exceptions=True: an exception escaping the app (which uvicorn answers by
    # closing the connection) would be raised here.
    with TestClient(app, raise_server_exceptions=True) as c:
        r = c.get("/api/v1/stats", headers=auth(admin_token))
        error = assert_error(r, 500, "internal")
        assert re.fullmatch(r"[0-9a-f]{32}", error["id"])
        assert error["id"] in error["message"]
        assert "disk on fire" not in r.text  # details stay in the log
        logged = [rec for rec in caplog.records if error["id"] in rec.getMessage()]
        assert logged and logged[0].exc_info and "disk on fire" in str(logged[0].exc_info[1])
        # The same connection answers the next request.
        assert c.get("/healthz").status_code == 200
    with TestClient(app, raise_server_exceptions=False) as c:
        assert_error(c.get("/api/v1/stats", headers=auth(admin_token)), 500, "internal")


# --- time zones -------------------------------------------------------------------------------

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)")


def test_timestamps_carry_their_time_zone(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=1)
    _, token = add_user(settings, "lan", commune="Xã An Nhơn")
    h = auth(token)
    ledger = client.get(f"/api/v1/ledgers/{book.ledger_id}", headers=h).json()
    assert ISO_UTC.fullmatch(ledger["created_at"]), ledger["created_at"]
    assert ISO_UTC.fullmatch(ledger["updated_at"]), ledger["updated_at"]
    listed = client.get("/api/v1/ledgers", headers=h).json()["items"][0]
    assert ISO_UTC.fullmatch(listed["created_at"])
    rid = book.record_ids[0]
    rec = client.post(f"/api/v1/records/{rid}/confirm", json={"version": 1}, headers=h).json()
    assert ISO_UTC.fullmatch(rec["confirmed_at"]), rec["confirmed_at"]
    events = client.get(f"/api/v1/records/{rid}/history", headers=h).json()["events"]
    assert events and all(ISO_UTC.fullmatch(e["at"]) for e in events), events


# --- the schema -------------------------------------------------------------------------------


def test_openapi_declares_how_clients_authenticate_and_every_error(
    client: TestClient, admin_token: str
) -> None:
    schema = client.get("/openapi.json", headers=auth(admin_token)).json()
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["bearerToken"].items()
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == "sohoa_session"
    public = {("/healthz", "get"), ("/api/v1/healthz", "get"), ("/api/v1/session", "post")}
    error_ref = "#/components/schemas/ErrorResponse"
    for path, item in schema["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            where = (method, path)
            if (path, method) not in public:
                assert {"bearerToken": []} in op["security"], where
                assert {"401", "403"} <= set(responses), where
            if "{" in path:
                assert "404" in responses, where
            shape = responses["422"]["content"]["application/json"]["schema"]["$ref"]
            assert shape == error_ref, where
            assert "500" in responses, where
    upload = schema["paths"]["/api/v1/ledgers"]["post"]["responses"]
    assert {"413", "415", "422"} <= set(upload)
    assert {"401", "429"} <= set(schema["paths"]["/api/v1/session"]["post"]["responses"])
    assert "HTTPValidationError" not in json.dumps(schema)


def test_405_names_every_allowed_method(client: TestClient, admin_token: str) -> None:
    r = client.delete("/api/v1/records/abc", headers=auth(admin_token))
    assert_error(r, 405, "method_not_allowed")
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "PATCH"}
    r = client.put("/api/v1/ledgers", headers=auth(admin_token))
    assert_error(r, 405)
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}


def test_401_says_how_to_authenticate(client: TestClient) -> None:
    r = client.get("/api/v1/stats")
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
