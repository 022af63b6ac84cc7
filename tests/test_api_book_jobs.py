"""Failed pages read again, and exports run as jobs: through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from models.entities import AuditEvent, ExportJob, ExportJobStatus, Ledger, Page, PageState
from ocr_service.config import Settings, reset_settings
from ocr_service.db import session_scope
from ocr_service.export.from_db import run_export
from ocr_service.jobs import export_jobs, state
from ocr_service.jobs.lifecycle import JobTask
from tests.conftest import auth, make_settings
from tests.factories import add_book, add_user

FINAL = ("done", "partial", "failed")


def fail_pages(settings: Settings, ledger_id: str, *indexes: int) -> None:
    """Pages that ran out of attempts, as the job machinery leaves them."""
    with session_scope(settings) as session:
        session.execute(
            update(Page)
            .where(Page.ledger_id == ledger_id, Page.index.in_(indexes))
            .values(state=PageState.failed, attempts=3, error="RuntimeError: cannot read")
        )
        session.execute(update(Ledger).where(Ledger.id == ledger_id).values(status="partial"))


def wait_ledger(client: TestClient, token: str, ledger_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = client.get(
            f"/api/v1/ledgers/{ledger_id}", headers=auth(token)
        ).json()
        progress = body["progress"]
        if body["status"] in FINAL and not progress["pages_pending"] + progress["pages_running"]:
            return body
        assert time.monotonic() < deadline, f"ledger still {body['status']}: {body['progress']}"
        time.sleep(0.2)


def wait_export(client: TestClient, token: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = client.get(f"/api/v1/exports/{job_id}", headers=auth(token)).json()
        if body["status"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, f"export still {body['status']}"
        time.sleep(0.2)


# --- retry ---------------------------------------------------------------------------------


def test_a_failed_page_is_read_again_and_the_book_closes(
    settings: Settings, client: TestClient
) -> None:
    _, token = add_user(settings, "canbo", commune="Xã An Nhơn")
    book = add_book(settings, records=3)
    fail_pages(settings, book.ledger_id, 2)
    before = client.get(f"/api/v1/ledgers/{book.ledger_id}", headers=auth(token)).json()
    assert [(p["page"], p["error"]) for p in before["failed_pages"]] == [
        (2, "RuntimeError: cannot read")
    ]

    r = client.post(f"/api/v1/ledgers/{book.ledger_id}/pages/2/retry", headers=auth(token))
    assert r.status_code == 202, r.text
    assert r.json() == {"ledger": book.ledger_id, "pages": [2]}

    body = wait_ledger(client, token, book.ledger_id)
    assert body["status"] == "done"
    assert body["progress"]["pages_failed"] == 0
    assert body["failed_pages"] == []
    with session_scope(settings) as session:
        page = session.scalar(select(Page).where(Page.ledger_id == book.ledger_id, Page.index == 2))
        assert page is not None and page.state == PageState.done and page.attempts == 1
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "ledger.retry"))
        assert event is not None and event.data == {"pages": [2]}
        assert event.ledger_id == book.ledger_id


def test_retry_of_a_page_that_has_not_failed_is_409_and_unknown_ones_404(
    settings: Settings, client: TestClient
) -> None:
    _, token = add_user(settings, "canbo", commune="Xã An Nhơn")
    _, other = add_user(settings, "canbo-khac", commune="Xã Khác")
    book = add_book(settings, records=2)
    base = f"/api/v1/ledgers/{book.ledger_id}"

    r = client.post(f"{base}/pages/1/retry", headers=auth(token))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "not_failed"
    r = client.post(f"{base}/retry-failed", headers=auth(token))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "not_failed"
    assert client.post(f"{base}/pages/9/retry", headers=auth(token)).status_code == 404
    assert client.post("/api/v1/ledgers/nope/retry-failed", headers=auth(token)).status_code == 404
    # Another commune's clerk does not see the book at all.
    fail_pages(settings, book.ledger_id, 1)
    assert client.post(f"{base}/pages/1/retry", headers=auth(other)).status_code == 404
    assert client.post(f"{base}/retry-failed", headers=auth(other)).status_code == 404
    assert client.post(f"{base}/retry-failed").status_code == 401
    with session_scope(settings) as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "ledger.retry")) is None


def test_retry_failed_queues_every_failed_page_once(settings: Settings, client: TestClient) -> None:
    _, token = add_user(settings, "canbo", commune="Xã An Nhơn")
    book = add_book(settings, records=4)
    fail_pages(settings, book.ledger_id, 1, 3)
    r = client.post(f"/api/v1/ledgers/{book.ledger_id}/retry-failed", headers=auth(token))
    assert r.status_code == 202, r.text
    assert r.json()["pages"] == [1, 3]
    body = wait_ledger(client, token, book.ledger_id)
    assert body["status"] == "done"
    assert body["progress"]["pages_done"] == 4
    # Nothing failed any more: a second request has nothing to do.
    again = client.post(f"/api/v1/ledgers/{book.ledger_id}/retry-failed", headers=auth(token))
    assert again.status_code == 409


# --- export jobs -----------------------------------------------------------------------------


def test_an_export_job_runs_with_progress_and_its_file_stays_downloadable(
    settings: Settings, client: TestClient
) -> None:
    _, token = add_user(settings, "canbo", commune="Xã An Nhơn")
    book = add_book(settings, records=3)
    r = client.post(
        f"/api/v1/ledgers/{book.ledger_id}/exports",
        json={"format": "xlsx", "include_drafts": True},
        headers=auth(token),
    )
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["status"] in ("queued", "running", "done")
    assert queued["format"] == "xlsx" and queued["ledger_id"] == book.ledger_id

    done = wait_export(client, token, queued["id"])
    assert done["status"] == "done", done
    assert done["records_total"] == 3 and done["records_done"] == 3
    assert done["filename"].endswith(".xlsx")
    assert done["download"] == f"/api/v1/exports/{queued['id']}/file"

    for _ in range(2):  # stays available: downloaded twice
        f = client.get(done["download"], headers=auth(token))
        assert f.status_code == 200
        assert "attachment" in f.headers["content-disposition"]
        assert int(f.headers["content-length"]) == done["size"] == len(f.content)
        sheet = openpyxl.load_workbook(io.BytesIO(f.content)).active
        assert sheet is not None and sheet.max_row >= 4  # header + three records

    listed = client.get(f"/api/v1/ledgers/{book.ledger_id}/exports", headers=auth(token)).json()
    assert [j["id"] for j in listed["items"]] == [queued["id"]]
    with session_scope(settings) as session:
        job = session.get(ExportJob, queued["id"])
        assert job is not None and job.storage_key == f"exports/{book.ledger_id}/{job.id}.xlsx"
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"export.queue", "ledger.export"} <= actions


def test_an_export_the_book_refuses_fails_with_its_reason_never_500(
    settings: Settings, client: TestClient
) -> None:
    _, token = add_user(settings, "canbo", commune="Xã An Nhơn")
    book = add_book(settings, records=2)
    with session_scope(settings) as session:  # uploaded without its quyển số
        session.execute(update(Ledger).where(Ledger.id == book.ledger_id).values(book=None))
    r = client.post(
        f"/api/v1/ledgers/{book.ledger_id}/exports",
        json={"format": "zip", "include_drafts": True},
        headers=auth(token),
    )
    assert r.status_code == 202
    failed = wait_export(client, token, r.json()["id"])
    assert failed["status"] == "failed"
    assert "quyển số" in failed["error"]
    assert failed["download"] is None
    f = client.get(f"/api/v1/exports/{failed['id']}/file", headers=auth(token))
    assert f.status_code == 409
    assert f.json()["error"]["code"] == "not_ready"
    assert "quyển số" in f.json()["error"]["message"]


def test_export_job_requests_are_checked_and_scoped(settings: Settings, client: TestClient) -> None:
    _, token = add_user(settings, "canbo", commune="Xã An Nhơn")
    _, other = add_user(settings, "canbo-khac", commune="Xã Khác")
    book = add_book(settings, records=1)
    url = f"/api/v1/ledgers/{book.ledger_id}/exports"
    bad = client.post(url, json={"format": "docx"}, headers=auth(token))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_input"
    bad = client.post(url, json={"format": "json", "variant": "x"}, headers=auth(token))
    assert bad.status_code == 422
    assert client.post(url, json={}, headers=auth(token)).status_code == 422
    assert client.post(url, json={"format": "json"}).status_code == 401
    assert client.post(url, json={"format": "json"}, headers=auth(other)).status_code == 404
    assert client.get(url, headers=auth(other)).status_code == 404
    job = client.post(url, json={"format": "json"}, headers=auth(token)).json()
    wait_export(client, token, job["id"])
    assert client.get(f"/api/v1/exports/{job['id']}", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/exports/{job['id']}/file", headers=auth(other)).status_code == 404
    assert client.get("/api/v1/exports/nope", headers=auth(token)).status_code == 404
    assert client.get(f"/api/v1/exports/{job['id']}/file", headers=auth(token)).status_code == 200


def test_run_export_reports_each_record_read(settings: Settings, tmp_path: Path) -> None:
    book = add_book(settings, records=3)
    seen: list[int] = []
    result = run_export(
        settings,
        book.ledger_id,
        "json",
        include_drafts=True,
        out=tmp_path / "out.json",
        progress=seen.append,
    )
    assert result.records == 3
    assert seen == [1, 2, 3]


class Recorder:
    def __init__(self) -> None:
        self.jobs: list[tuple[JobTask, str | int]] = []

    def submit(self, task: JobTask, arg: str | int) -> None:
        self.jobs.append((task, arg))


def test_lost_exports_fail_and_queued_ones_are_queued_again_at_start(settings: Settings) -> None:
    book = add_book(settings, records=1)
    with session_scope(settings) as session:
        stale = ExportJob(ledger_id=book.ledger_id, format="json", status="running")
        fresh = ExportJob(ledger_id=book.ledger_id, format="json", status="running")
        queued = ExportJob(ledger_id=book.ledger_id, format="csv", status="queued")
        session.add_all([stale, fresh, queued])
        session.flush()
        ids = stale.id, fresh.id, queued.id
        session.execute(
            update(ExportJob)
            .where(ExportJob.id == stale.id)
            .values(updated_at=state.now() - export_jobs.STALE_AFTER * 2)
        )
    dispatcher = Recorder()
    assert export_jobs.recover_exports(settings, dispatcher, startup=False) == 0
    assert dispatcher.jobs == []
    assert export_jobs.recover_exports(settings, dispatcher, startup=True) == 1
    assert dispatcher.jobs == [(JobTask.export_ledger, ids[2])]
    with session_scope(settings) as session:
        got = {j.id: j for j in session.scalars(select(ExportJob))}
        assert got[ids[0]].status == ExportJobStatus.failed
        assert "worker lost" in (got[ids[0]].error or "")
        assert got[ids[1]].status == ExportJobStatus.running
    # The queued job runs once, however many times it was queued.
    assert export_jobs.run_export_job(ids[2], settings) == ExportJobStatus.done
    assert export_jobs.run_export_job(ids[2], settings) is None


def test_retry_and_export_jobs_run_on_rq(
    tmp_path: Path, db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    from ocr_service.api.app import create_app
    from ocr_service.db import upgrade_database
    from ocr_service.jobs.dispatch import RqDispatcher

    settings = make_settings(tmp_path, db_url, redis_url=redis_url, queue_name="s14u-test")
    upgrade_database(settings)
    for key, value in {
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_DATABASE_URL": settings.db_url,
        "SOHOA_REDIS_URL": redis_url,
        "SOHOA_OCR_ENGINE": "none",
        "SOHOA_QUEUE_NAME": "s14u-test",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    _, token = add_user(settings, "canbo", commune="Xã An Nhơn")
    book = add_book(settings, records=2)
    fail_pages(settings, book.ledger_id, 2)
    connection = Redis.from_url(redis_url)
    queue = Queue("s14u-test", connection=connection)
    try:
        with TestClient(create_app(settings, start_jobs=False)) as client:
            client.app.state.dispatcher = RqDispatcher(settings)  # type: ignore[attr-defined]
            base = f"/api/v1/ledgers/{book.ledger_id}"
            assert client.post(f"{base}/pages/2/retry", headers=auth(token)).status_code == 202
            job = client.post(
                f"{base}/exports", json={"format": "csv", "include_drafts": True},
                headers=auth(token),
            ).json()  # fmt: skip
            names = [j.func_name for j in queue.get_jobs()]
            assert names == [
                "ocr_service.jobs.tasks.page_job",
                "ocr_service.jobs.export_jobs.export_job",
            ]
            SimpleWorker([queue], connection=connection).work(burst=True)
            assert wait_ledger(client, token, book.ledger_id)["status"] == "done"
            done = wait_export(client, token, job["id"])
            # Page 2 was read again by the "none" engine, which finds no record on it.
            assert done["status"] == "done" and done["records_done"] == 1
            csv = client.get(done["download"], headers=auth(token))
            assert csv.status_code == 200 and csv.text.count("\n") == 2  # header + page 1
    finally:
        reset_settings()
