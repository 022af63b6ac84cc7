"""Four eyes: nobody approves what they confirmed or edited last; admin overrides are audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from models.entities import AuditEvent
from ocr_service.config import Settings
from ocr_service.db import session_scope
from tests.conftest import auth
from tests.factories import add_book, add_user

COMMUNE = "Xã An Nhơn"


def review(client: TestClient, rid: str, token: str, version: int, **body: object) -> Response:
    response: Response = client.post(
        f"/api/v1/records/{rid}/review",
        json={"version": version, "decision": "approve", **body},
        headers=auth(token),
    )
    return response


def confirm(client: TestClient, rid: str, token: str, version: int) -> int:
    r = client.post(
        f"/api/v1/records/{rid}/confirm", json={"version": version}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    version_now: int = r.json()["version"]
    return version_now


def test_a_reviewer_cannot_approve_their_own_confirmation(
    client: TestClient, settings: Settings
) -> None:
    book = add_book(settings, records=1)
    _, mine = add_user(settings, "kiemtra", role="reviewer", commune=COMMUNE)
    _, other = add_user(settings, "kiemtra2", role="reviewer", commune=COMMUNE)
    rid = book.record_ids[0]
    version = confirm(client, rid, mine, 1)
    refused = review(client, rid, mine, version)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "four_eyes"
    assert "người kiểm tra khác" in error["message"]  # Vietnamese, shown as is by the UI
    unchanged = client.get(f"/api/v1/records/{rid}", headers=auth(mine)).json()
    assert unchanged["version"] == version and unchanged["reviewed_by"] is None
    # A second reviewer approves.
    approved = review(client, rid, other, version)
    assert approved.status_code == 200, approved.text
    assert approved.json()["reviewed_by"] == "kiemtra2"
    assert approved.json()["confirmed_by"] == "kiemtra"


def test_the_last_editor_cannot_approve_what_another_confirmed(
    client: TestClient, settings: Settings
) -> None:
    book = add_book(settings, records=1)
    _, clerk = add_user(settings, "lan", commune=COMMUNE)
    _, reviewer = add_user(settings, "kiemtra", role="reviewer", commune=COMMUNE)
    rid = book.record_ids[0]
    edited = client.patch(
        f"/api/v1/records/{rid}",
        json={"version": 1, "fields": {"nksHoTen": "Nguyễn Văn Thứ"}},
        headers=auth(reviewer),
    )
    assert edited.status_code == 200, edited.text
    # An update that changes nothing is not an edit: the reviewer stays the last editor.
    same = client.patch(
        f"/api/v1/records/{rid}",
        json={"version": 2, "fields": {"nksHoTen": "Nguyễn Văn Thứ"}},
        headers=auth(clerk),
    )
    assert same.status_code == 200
    version = confirm(client, rid, clerk, 3)
    refused = review(client, rid, reviewer, version)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "four_eyes"
    # Once the clerk edits it again (back to draft) and confirms, the reviewer may approve.
    client.patch(
        f"/api/v1/records/{rid}",
        json={"version": version, "fields": {"nksHoTen": "Nguyễn Văn Thử"}},
        headers=auth(clerk),
    )
    version = confirm(client, rid, clerk, version + 1)
    ok = review(client, rid, reviewer, version)
    assert ok.status_code == 200, ok.text


def test_an_admin_override_is_explicit_and_audited(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=2)
    admin_id, admin = add_user(settings, "quantri", role="admin")
    _, reviewer = add_user(settings, "kiemtra", role="reviewer", commune=COMMUNE)
    r1, r2 = book.record_ids
    version = confirm(client, r1, admin, 1)
    plain = review(client, r1, admin, version)
    assert plain.status_code == 403 and plain.json()["error"]["code"] == "four_eyes"
    no_note = review(client, r1, admin, version, override=True)
    assert no_note.status_code == 422
    # Only an admin may override, and only an approval.
    version2 = confirm(client, r2, reviewer, 1)
    not_admin = review(client, r2, reviewer, version2, override=True, note="gấp")
    assert not_admin.status_code == 403 and not_admin.json()["error"]["code"] == "forbidden"
    rejected = client.post(
        f"/api/v1/records/{r1}/review",
        json={"version": version, "decision": "reject", "override": True, "note": "x"},
        headers=auth(admin),
    )
    assert rejected.status_code == 422
    done = review(client, r1, admin, version, override=True, note="Xã chỉ có một cán bộ")
    assert done.status_code == 200, done.text
    assert done.json()["reviewed_by"] == "quantri"
    history = client.get(f"/api/v1/records/{r1}/history", headers=auth(admin)).json()["events"]
    assert [e["action"] for e in history] == ["record.confirm", "record.review_override"]
    assert history[-1]["note"] == "Xã chỉ có một cán bộ"
    with session_scope(settings) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "record.review_override")
        ).one()
        assert event.user_id == admin_id and event.entity_id == r1
        assert event.data["four_eyes"] == ["confirmed"]
    # An override flag on someone else's work is an ordinary review, audited as such.
    other = review(client, r2, admin, version2, override=True, note="không cần")
    assert other.status_code == 200
    events = client.get(f"/api/v1/records/{r2}/history", headers=auth(admin)).json()["events"]
    assert events[-1]["action"] == "record.review"
