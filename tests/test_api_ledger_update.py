"""PATCH /api/v1/ledgers/{id}: a clerk corrects the book's data, checked, audited, by role."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.entities import AuditEvent, DraftRecord, Ledger
from ocr_service.config import Settings
from ocr_service.db import session_scope
from tests.conftest import auth
from tests.factories import add_book, add_user


def url(ledger_id: str) -> str:
    return f"/api/v1/ledgers/{ledger_id}"


def test_a_clerk_of_the_commune_corrects_the_book_and_it_is_audited(
    settings: Settings, client: TestClient
) -> None:
    book = add_book(settings, year=2019)
    clerk_id, clerk = add_user(settings, "lan", "clerk", "Xã An Nhơn")
    r = client.patch(
        url(book.ledger_id),
        headers=auth(clerk),
        json={"book": " 02/2019 ", "authority": "UBND xã An Nhơn", "year": 2019},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["book"], body["authority"], body["year"]) == ("02/2019", "UBND xã An Nhơn", 2019)
    assert "book_reading" in body
    shown = client.get(url(book.ledger_id), headers=auth(clerk)).json()
    assert shown["book"] == "02/2019"
    cleared = client.patch(url(book.ledger_id), headers=auth(clerk), json={"authority": None})
    assert cleared.status_code == 200 and cleared.json()["authority"] is None
    with session_scope(settings) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "ledger.update", AuditEvent.entity_id == book.ledger_id)
            .order_by(AuditEvent.id)
        ).all()
        assert [e.user_id for e in events] == [clerk_id, clerk_id]
        assert events[0].data["changes"] == [
            {"field": "book", "old": "01/2019", "new": "02/2019"},
            {"field": "authority", "old": None, "new": "UBND xã An Nhơn"},
        ]
        assert events[1].data["changes"] == [
            {"field": "authority", "old": "UBND xã An Nhơn", "new": None}
        ]


def test_bad_values_are_422_naming_the_field(settings: Settings, client: TestClient) -> None:
    book = add_book(settings)
    _, clerk = add_user(settings, "lan", "clerk", "Xã An Nhơn")
    for body, field in (
        ({"year": 2999}, "year"),
        ({"register": "khai-sinh-2"}, "register"),
        ({"register": None}, "register"),
        ({"authority": "x" * 301}, "authority"),
        ({"book": "01\x07/2019"}, "book"),
        ({"book": "quyển một"}, "book"),
    ):
        r = client.patch(url(book.ledger_id), headers=auth(clerk), json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["field"] == field, (body, r.text)
    for body in ({}, {"layout": "table"}, {"year": "năm ngoái"}):
        r = client.patch(url(book.ledger_id), headers=auth(clerk), json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"]
    with session_scope(settings) as session:
        ledger = session.get(Ledger, book.ledger_id)
        assert ledger is not None and (ledger.book, ledger.year) == ("01/2019", 2019)


def test_who_may_change_what(settings: Settings, client: TestClient, admin_token: str) -> None:
    book = add_book(settings)
    _, clerk = add_user(settings, "lan", "clerk", "Xã An Nhơn")
    _, other = add_user(settings, "hoa", "clerk", "Xã Bình Lợi")
    _, reviewer = add_user(settings, "minh", "reviewer", "Xã An Nhơn")
    assert (
        client.patch(url(book.ledger_id), headers=auth(other), json={"year": 2018}).status_code
        == 404
    )
    r = client.patch(url(book.ledger_id), headers=auth(reviewer), json={"year": 2018})
    assert r.status_code == 403, r.text
    moved = client.patch(url(book.ledger_id), headers=auth(clerk), json={"commune": "Xã Bình Lợi"})
    assert moved.status_code == 403, moved.text
    r = client.patch(
        url(book.ledger_id), headers=auth(admin_token), json={"commune": "Xã Bình Lợi"}
    )
    assert r.status_code == 200 and r.json()["commune"] == "Xã Bình Lợi"
    assert client.get(url(book.ledger_id), headers=auth(other)).status_code == 200
    assert (
        client.patch(url("nope"), headers=auth(admin_token), json={"year": 2018}).status_code == 404
    )
    assert client.patch(url(book.ledger_id), json={"year": 2018}).status_code == 401


def test_the_register_changes_only_while_nothing_is_confirmed(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    book = add_book(settings)
    h = auth(admin_token)
    r = client.patch(url(book.ledger_id), headers=h, json={"register": "khai-tu"})
    assert r.status_code == 200 and r.json()["register"] == "khai-tu"
    r = client.patch(url(book.ledger_id), headers=h, json={"register": "khai-sinh"})
    assert r.status_code == 200
    with session_scope(settings) as session:
        record = session.get(DraftRecord, book.record_ids[0])
        assert record is not None
        record.status = "confirmed"
    r = client.patch(url(book.ledger_id), headers=h, json={"register": "ket-hon"})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "register_locked"
    # The same register, or other fields, still go through.
    r = client.patch(url(book.ledger_id), headers=h, json={"register": "khai-sinh", "year": 2019})
    assert r.status_code == 200, r.text
