"""The review API: auth on every endpoint, commune scoping, edits with versions, audit, export."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from models.entities import DraftRecord
from ocr_service.config import Settings
from ocr_service.db import session_scope
from tests.conftest import auth
from tests.factories import add_book, add_user

PUBLIC = {("/healthz", "get"), ("/api/v1/healthz", "get"), ("/api/v1/session", "post")}


def test_every_endpoint_but_health_and_login_requires_auth(
    client: TestClient, admin_token: str
) -> None:
    paths = client.get("/openapi.json", headers=auth(admin_token)).json()["paths"]
    checked = 0
    for path, methods in paths.items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in methods:
            if (path, method) in PUBLIC:
                continue
            r = client.request(method.upper(), url)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json()["error"]["code"] == "unauthorized"
            bad = client.request(method.upper(), url, headers=auth("sohoa_not-a-token"))
            assert bad.status_code == 401, (method, path)
            checked += 1
    assert checked >= 18
    assert client.get("/healthz").json()["status"] == "ok"


def test_clerks_see_only_their_commune(client: TestClient, settings: Settings) -> None:
    mine = add_book(settings, commune="Xã An Nhơn")
    other = add_book(settings, commune="Xã Hòa Bình", records=2)
    _, clerk = add_user(settings, "lan", commune="Xã An Nhơn")
    _, admin = add_user(settings, "quantri", role="admin")
    listed = client.get("/api/v1/ledgers", headers=auth(clerk)).json()
    assert [item["id"] for item in listed["items"]] == [mine.ledger_id]
    assert client.get("/api/v1/ledgers", headers=auth(admin)).json()["total"] == 2
    assert client.get(f"/api/v1/ledgers/{other.ledger_id}", headers=auth(clerk)).status_code == 404
    r = client.get(f"/api/v1/records/{other.record_ids[0]}", headers=auth(clerk))
    assert r.status_code == 404
    img = client.get(f"/api/v1/ledgers/{other.ledger_id}/pages/1/image", headers=auth(clerk))
    assert img.status_code == 404
    ok = client.get(f"/api/v1/ledgers/{mine.ledger_id}/pages/1/image", headers=auth(clerk))
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/jpeg"


def test_next_record_is_assigned_to_one_clerk(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=3)
    _, a = add_user(settings, "a", commune="Xã An Nhơn")
    _, b = add_user(settings, "b", commune="Xã An Nhơn")
    ra = client.get(f"/api/v1/records/next?ledger={book.ledger_id}", headers=auth(a)).json()
    rb = client.get(f"/api/v1/records/next?ledger={book.ledger_id}", headers=auth(b)).json()
    assert ra["id"] == book.record_ids[0] and ra["assigned_to"] == "a"
    assert rb["id"] == book.record_ids[1]
    again = client.get(f"/api/v1/records/next?ledger={book.ledger_id}", headers=auth(a)).json()
    assert again["id"] == ra["id"]  # still mine until confirmed
    after = client.get(
        f"/api/v1/records/next?ledger={book.ledger_id}&after={ra['id']}", headers=auth(a)
    ).json()
    assert after["id"] == book.record_ids[2]


def test_edit_confirm_conflict_history_and_export(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=3)
    _, clerk = add_user(settings, "lan", commune="Xã An Nhơn")
    rid = book.record_ids[0]
    rec = client.get(f"/api/v1/records/{rid}", headers=auth(clerk)).json()
    assert rec["version"] == 1 and rec["fields"]["nksHoTen"]["band"] == "check"
    r = client.patch(
        f"/api/v1/records/{rid}",
        json={
            "version": 1,
            "fields": {
                "nksHoTen": "Nguyễn Văn Thứ",
                "nksNoiSinh": {"value": "Trạm y tế xã An Nhơn", "note": "sổ ghi 'Tram y te'"},
            },
        },
        headers=auth(clerk),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 2
    assert body["fields"]["nksHoTen"]["value"] == "Nguyễn Văn Thứ"
    assert body["fields"]["nksHoTen"]["raw"] == "Nguyễn Văn Thử 1"  # the reading is kept
    with session_scope(settings) as session:  # committed before the response was sent
        assert session.get(DraftRecord, rid).version == 2  # type: ignore[union-attr]
    assert body["fields"]["nksNoiSinh"]["note"] == "sổ ghi 'Tram y te'"
    stale = client.patch(
        f"/api/v1/records/{rid}",
        json={"version": 1, "fields": {"nksHoTen": "Nguyễn Văn Khác"}},
        headers=auth(clerk),
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert stale.json()["current"]["fields"]["nksHoTen"]["value"] == "Nguyễn Văn Thứ"
    bad = client.patch(
        f"/api/v1/records/{rid}",
        json={"version": 2, "fields": {"khongCo": "x"}},
        headers=auth(clerk),
    )
    assert bad.status_code == 422 and "khongCo" in bad.json()["error"]["message"]
    typed = client.patch(
        f"/api/v1/records/{rid}",
        json={"version": 2, "fields": {"nksNgaySinh": "5/3/2019", "nksDanToc": "dan toc tay"}},
        headers=auth(clerk),
    ).json()
    assert typed["fields"]["nksNgaySinh"]["value"] == "05.03.2019"  # normalised like OCR text
    assert typed["fields"]["nksDanToc"]["value"] == "Tày"
    ok = client.post(f"/api/v1/records/{rid}/confirm", json={"version": 3}, headers=auth(clerk))
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert ok.json()["confirmed_by"] == "lan"
    events = client.get(f"/api/v1/records/{rid}/history", headers=auth(clerk)).json()["events"]
    assert [e["action"] for e in events] == ["record.update", "record.update", "record.confirm"]
    change = {c["field"]: c for c in events[0]["changes"] if "new" in c}
    assert change["nksHoTen"]["old"] == "Nguyễn Văn Thử 1"
    assert change["nksHoTen"]["new"] == "Nguyễn Văn Thứ"
    exported = client.get(
        f"/api/v1/ledgers/{book.ledger_id}/export?format=json", headers=auth(clerk)
    )
    assert exported.status_code == 200, exported.text
    doc = json.loads(exported.content)
    assert [r["id"] for r in doc["records"]] == [rid]
    assert doc["records"][0]["fields"]["nksHoTen"]["value"] == "Nguyễn Văn Thứ"
    assert doc["ledger"]["register"] == "khai-sinh"
    everything = client.get(
        f"/api/v1/ledgers/{book.ledger_id}/export?format=json&include_drafts=true",
        headers=auth(clerk),
    )
    assert len(json.loads(everything.content)["records"]) == 3


def test_flag_review_and_roles(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=2)
    _, clerk = add_user(settings, "lan", commune="Xã An Nhơn")
    _, reviewer = add_user(settings, "kiemtra", role="reviewer", commune="Xã An Nhơn")
    r1, r2 = book.record_ids
    no_reason = client.post(
        f"/api/v1/records/{r1}/flag", json={"version": 1, "reason": ""}, headers=auth(clerk)
    )
    assert no_reason.status_code == 422
    flagged = client.post(
        f"/api/v1/records/{r1}/flag",
        json={"version": 1, "reason": "Trang hư hỏng"},
        headers=auth(clerk),
    )
    assert flagged.json()["status"] == "flagged"
    listed = client.get(
        f"/api/v1/ledgers/{book.ledger_id}/records?status=flagged", headers=auth(clerk)
    ).json()
    assert [r["id"] for r in listed["items"]] == [r1]
    client.post(f"/api/v1/records/{r2}/confirm", json={"version": 1}, headers=auth(clerk))
    denied = client.post(
        f"/api/v1/records/{r2}/review",
        json={"version": 2, "decision": "approve"},
        headers=auth(clerk),
    )
    assert denied.status_code == 403
    rejected = client.post(
        f"/api/v1/records/{r2}/review",
        json={"version": 2, "decision": "reject", "note": "Sai ngày sinh"},
        headers=auth(reviewer),
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "draft"
    assert any(w["rule"] == "review-rejected" for w in rejected.json()["warnings"])


def test_session_login_needs_csrf_for_changes(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=1)
    add_user(settings, "lan", commune="Xã An Nhơn")
    wrong = client.post("/api/v1/session", json={"username": "lan", "password": "sai"})
    assert wrong.status_code == 401
    r = client.post("/api/v1/session", json={"username": "lan", "password": "lan-mat-khau"})
    assert r.status_code == 200
    csrf = r.json()["csrf_token"]
    assert "sohoa_session" in r.cookies
    me = client.get("/api/v1/session").json()
    assert me["user"]["username"] == "lan" and me["csrf_token"] == csrf
    rid = book.record_ids[0]
    no_csrf = client.post(f"/api/v1/records/{rid}/confirm", json={"version": 1})
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf"
    ok = client.post(
        f"/api/v1/records/{rid}/confirm", json={"version": 1}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 200
    out = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/session").status_code == 401


def test_register_specs_suggestions_and_stats(client: TestClient, settings: Settings) -> None:
    book = add_book(settings, records=2)
    _, clerk = add_user(settings, "lan", commune="Xã An Nhơn")
    spec = client.get("/api/v1/registers/khai-sinh", headers=auth(clerk)).json()
    codes = [f["code"] for f in spec["fields"]]
    assert codes[:3] == ["STT", "so", "quyenSo"] and len(codes) == 70
    gender = next(f for f in spec["fields"] if f["code"] == "nksGioiTinh")
    assert "Nam" in gender["enum"] and gender["label_vi"]
    eth = client.get("/api/v1/suggest?kind=ethnicity&q=tay", headers=auth(clerk)).json()
    assert "Tày" in eth["items"]
    nat = client.get("/api/v1/suggest?kind=nationality&q=viet", headers=auth(clerk)).json()
    assert nat["items"][0] == "Việt Nam"
    place = client.get("/api/v1/suggest?kind=place&q=an nhon binh dinh", headers=auth(clerk))
    assert any("Bình Định" in p for p in place.json()["items"])
    assert client.get("/api/v1/suggest?kind=x&q=a", headers=auth(clerk)).status_code == 422
    client.post(
        f"/api/v1/records/{book.record_ids[0]}/confirm", json={"version": 1}, headers=auth(clerk)
    )
    stats = client.get("/api/v1/stats", headers=auth(clerk)).json()
    (row,) = stats["by_commune"]
    assert row["confirmed"] == 1 and row["draft"] == 1 and row["ledgers"] == 1
    assert stats["per_user"][0] == {
        "user": "lan",
        "confirmed": 1,
        "edited": 0,
        "flagged": 0,
        "today": 1,
    }
    assert sum(d["confirmed"] for d in stats["per_day"]) == 1


def test_ministry_exports_through_the_api(client: TestClient, settings: Settings) -> None:
    import io
    import zipfile

    from openpyxl import load_workbook

    book = add_book(settings, records=2)
    _, clerk = add_user(settings, "lan", commune="Xã An Nhơn")
    for rid in book.record_ids:
        client.post(f"/api/v1/records/{rid}/confirm", json={"version": 1}, headers=auth(clerk))
    xlsx = client.get(f"/api/v1/ledgers/{book.ledger_id}/export?format=xlsx", headers=auth(clerk))
    assert xlsx.status_code == 200, xlsx.text
    assert ".KS.2019.01.xlsx" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(c).split()[0] for c in rows[0]]
    assert header[:4] == ["STT", "so", "quyenSo", "trangSo"] and len(rows) == 3
    assert rows[1][header.index("so")] == "01/2019"
    assert rows[1][header.index("nksGioiTinh")] == "1"  # labels become Ministry codes
    bundle = client.get(f"/api/v1/ledgers/{book.ledger_id}/export?format=zip", headers=auth(clerk))
    assert bundle.status_code == 200, bundle.text
    names = sorted(zipfile.ZipFile(io.BytesIO(bundle.content)).namelist())
    excel = [n for n in names if n.endswith(".xlsx")]
    assert len(excel) == 1 and excel[0].endswith(".KS.2019.01.xlsx")
    pdfs = [n for n in names if n.endswith(".pdf")]
    assert pdfs == ["KS.2019.01.2019-02-01.001.pdf", "KS.2019.01.2019-02-02.002.pdf"]
    csv_text = client.get(
        f"/api/v1/ledgers/{book.ledger_id}/export?format=csv", headers=auth(clerk)
    ).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("id,page,status")
    assert "Nguyễn Văn Thử 1" in csv_text
    bad = client.get(f"/api/v1/ledgers/{book.ledger_id}/export?format=doc", headers=auth(clerk))
    assert bad.status_code == 422
