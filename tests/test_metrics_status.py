"""What the installation is doing: /metrics (Prometheus), `sohoa status --all`, /healthz with
the queue down, JSON logs, and the session cookie's Secure flag."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from redis import Redis
from sqlalchemy import func, select, update

from models.entities import ExportJob, Ledger, Page, TrainScope
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.logs import configure
from ocr_service.metrics import stage_timings
from ocr_service.metrics.overview import failure_reason
from tests.conftest import auth, make_settings
from tests.factories import add_book, add_user

ROOT = Path(__file__).resolve().parents[1]
SCRAPER_TOKEN = "scraper-token-0123456789"
NO_REDIS_HERE = "redis://127.0.0.1:6398/0"


def installation(settings: Settings) -> None:
    """Two books; a few pages moved to other states, two failed for different reasons."""
    add_book(settings, records=4, commune="Xã An Nhơn")
    book = add_book(settings, records=3, commune="Xã Bình Định", year=2020)
    with session_scope(settings) as session:
        pages = list(session.scalars(select(Page).where(Page.ledger_id == book.ledger_id)))
        pages[0].state, pages[0].error = "failed", "worker process died (exit code 139)"
        pages[1].state, pages[1].error = "failed", "RuntimeError: cannot read this page"
        pages[2].state = "pending"
        session.execute(
            update(Ledger).where(Ledger.id == book.ledger_id).values(status="processing")
        )


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            assert isinstance(s, Sample)
            if s.name == name:
                found[tuple(sorted(s.labels.items()))] = s.value
    return found


@pytest.fixture
def metrics_client(tmp_path: Path, db_url: str) -> Iterator[tuple[TestClient, Settings]]:
    from ocr_service.api.app import create_app

    settings = make_settings(tmp_path, db_url, metrics_token=SCRAPER_TOKEN)
    upgrade_database(settings)
    with TestClient(create_app(settings)) as client:
        yield client, settings


def test_metrics_need_auth_and_match_the_database(
    metrics_client: tuple[TestClient, Settings],
) -> None:
    client, settings = metrics_client
    installation(settings)
    with session_scope(settings) as session:  # an export waiting, a training job queued
        ledger_id = session.scalars(select(Ledger.id)).first()
        session.add(ExportJob(ledger_id=ledger_id, format="json"))
        session.add(TrainScope(scope_kind="ledger", scope_key=str(ledger_id), queued=True))
    _, admin = add_user(settings, "quan-tri", "admin")
    _, clerk = add_user(settings, "can-bo", "clerk")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth("not-the-token-at-all")).status_code == 401
    assert client.get("/metrics", headers=auth(clerk)).status_code == 403
    assert client.get("/api/v1/metrics", headers=auth(admin)).status_code == 200
    r = client.get("/metrics", headers=auth(SCRAPER_TOKEN))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    with session_scope(settings) as session:
        by_state = dict(
            session.execute(select(Page.state, func.count()).group_by(Page.state)).all()
        )
        by_status = dict(
            session.execute(select(Ledger.status, func.count()).group_by(Ledger.status)).all()
        )
    pages = samples(r.text, "sohoa_pages")
    assert pages[(("state", "done"),)] == by_state["done"] == 4
    assert pages[(("state", "failed"),)] == by_state["failed"] == 2
    assert pages[(("state", "pending"),)] == 1
    assert pages[(("state", "running"),)] == 0
    ledgers = samples(r.text, "sohoa_ledgers")
    assert ledgers[(("status", "done"),)] == by_status["done"] == 1
    assert ledgers[(("status", "processing"),)] == 1
    assert ledgers[(("status", "waiting"),)] == 0
    failed = samples(r.text, "sohoa_pages_failed")
    assert failed == {(("reason", "worker process died"),): 1, (("reason", "RuntimeError"),): 1}
    assert samples(r.text, "sohoa_export_jobs")[(("status", "queued"),)] == 1
    assert samples(r.text, "sohoa_export_jobs")[(("status", "done"),)] == 0
    assert samples(r.text, "sohoa_training_jobs") == {
        (("state", "queued"),): 1,
        (("state", "running"),): 0,
    }
    assert samples(r.text, "sohoa_model_versions")[(("state", "active"),)] == 0
    # No Redis in this installation: no queue figures, rather than made-up zeros.
    assert samples(r.text, "sohoa_queue_up") == {}


def test_stage_latency_histograms_add_up_across_workers(
    tmp_path: Path, db_url: str, redis_url: str
) -> None:
    from ocr_service.api.app import create_app

    settings = make_settings(
        tmp_path, db_url, redis_url=redis_url, metrics_token=SCRAPER_TOKEN, queue_name="m-test"
    )
    upgrade_database(settings)
    # Two "workers" (any process, any machine) add their pages' timings.
    stage_timings.record(settings, {"ocr": 0.3, "extract": 0.02, "preprocess": 0.7})
    stage_timings.record(settings, {"ocr": 7.0, "extract": 0.04, "split": 0.2})
    with TestClient(create_app(settings, start_jobs=False)) as client:
        text = client.get("/metrics", headers=auth(SCRAPER_TOKEN)).text
    buckets = samples(text, "sohoa_page_stage_seconds_bucket")
    assert buckets[(("le", "0.25"), ("stage", "ocr"))] == 0
    assert buckets[(("le", "0.5"), ("stage", "ocr"))] == 1
    assert buckets[(("le", "10.0"), ("stage", "ocr"))] == 2
    assert buckets[(("le", "+Inf"), ("stage", "ocr"))] == 2
    assert samples(text, "sohoa_page_stage_seconds_count")[(("stage", "extract"),)] == 2
    assert samples(text, "sohoa_page_stage_seconds_sum")[(("stage", "ocr"),)] == pytest.approx(7.3)
    assert samples(text, "sohoa_queue_up") == {(("queue", "m-test"),): 1.0}
    assert samples(text, "sohoa_queue_jobs")[(("queue", "m-test"), ("state", "queued"))] == 0


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_DATABASE_URL": settings.db_url,
        "SOHOA_REDIS_URL": settings.redis_url or "",
        "SOHOA_QUEUE_NAME": settings.queue_name,
    }
    return subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_status_all_reports_the_whole_installation(settings: Settings, redis_url: str) -> None:
    installation(settings)
    with_queue = settings.model_copy(update={"redis_url": redis_url, "queue_name": "st-test"})
    Redis.from_url(redis_url).rpush("rq:queue:st-test", "job-a", "job-b")
    doc = json.loads(run_cli(with_queue, "status", "--all", "--json").stdout)
    assert doc["pages"] == {"pending": 1, "running": 0, "done": 4, "failed": 2}
    assert doc["ledgers"]["done"] == 1 and doc["ledgers"]["processing"] == 1
    assert doc["failures"] == {"worker process died": 1, "RuntimeError": 1}
    assert doc["queue"]["reachable"] is True
    assert doc["queue"]["jobs"]["queued"] == 2 and doc["queue"]["workers"] == 0
    assert doc["exports"]["queued"] == 0 and doc["training"] == {"queued": 0, "running": 0}
    assert doc["models"]["active"] == 0
    text = run_cli(with_queue, "status", "--all").stdout
    assert "pages: 1 pending, 0 running, 4 done, 2 failed" in text
    assert "queue st-test: 2 queued" in text and "workers alive: 0" in text
    assert "export jobs: 0 queued" in text and "training jobs: 0 queued, 0 running" in text
    down = settings.model_copy(update={"redis_url": NO_REDIS_HERE})
    assert "UNREACHABLE" in run_cli(down, "status", "--all").stdout
    bad = run_cli(settings, "status")
    assert bad.returncode == 2 and "--all" in bad.stderr


def test_healthz_with_the_queue_down_is_degraded_but_serving(tmp_path: Path, db_url: str) -> None:
    from ocr_service.api.app import create_app

    settings = make_settings(tmp_path, db_url, redis_url=NO_REDIS_HERE)
    with TestClient(create_app(settings)) as client:
        r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "degraded"
    assert (r.json()["database"], r.json()["queue"]) == ("ok", "unavailable")


@pytest.mark.parametrize(
    "setting,base_url,secure",
    [
        ("auto", "http://testserver", False),  # a LAN install on plain HTTP: login must work
        ("auto", "https://testserver", True),
        ("true", "http://testserver", True),
        ("false", "https://testserver", False),
    ],
)
def test_session_cookie_secure_flag_follows_the_setting(
    tmp_path: Path, db_url: str, setting: str, base_url: str, secure: bool
) -> None:
    from ocr_service.api.app import create_app

    settings = make_settings(tmp_path, db_url, environment="production", cookie_secure=setting)
    upgrade_database(settings)
    add_user(settings, "lan", "clerk")
    with TestClient(create_app(settings), base_url=base_url) as client:
        r = client.post("/api/v1/session", json={"username": "lan", "password": "lan-mat-khau"})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert ("Secure" in cookie) is secure


def test_json_logs_one_object_a_line() -> None:
    stream = io.StringIO()
    configure("INFO", "json")
    root = logging.getLogger()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        logging.getLogger("ocr_service.test").warning("ledger %s: queued again", "abc")
    finally:
        configure("WARNING", "text")
    line = json.loads(stream.getvalue().strip())
    assert line["level"] == "WARNING" and line["logger"] == "ocr_service.test"
    assert line["message"] == "ledger abc: queued again"


def test_failure_reasons_are_classes_not_one_series_per_page() -> None:
    assert failure_reason("timed out after 300 s") == "timed out after N s"
    assert failure_reason("worker process died (exit code 139)") == "worker process died"
    assert failure_reason("PageFailed: page 3 is blank") == "PageFailed"
    assert failure_reason(None) == "unknown"
