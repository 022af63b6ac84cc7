"""A queue that heals itself: Redis killed (-9) and restarted mid-book, an upload while Redis
is down. Real worker processes, a real redis-server of the test's own, PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.entities import Page, PageAttempt, PageOcr
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.jobs.dispatch import RqDispatcher
from tests.conftest import auth, make_settings
from tests.factories import add_user
from tests.redis_server import OwnRedis
from tests.test_jobs_workers import ROOT, add_ledger, book_pdf, wait_ledger, worker_env

KILL_PORT = 6395
UPLOAD_PORT = 6396
SWEEP_INTERVAL, SWEEP_GRACE = 1, 2


@pytest.fixture
def own_redis(request: pytest.FixtureRequest) -> Iterator[OwnRedis]:
    server = OwnRedis(request.param)
    yield server
    server.stop()


def start_workers(settings: Settings, n: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **worker_env(settings),
        "SOHOA_SWEEP_INTERVAL_SECONDS": str(SWEEP_INTERVAL),
        "SOHOA_SWEEP_GRACE_SECONDS": str(SWEEP_GRACE),
        "SOHOA_FAKE_SECONDS": "0.4",
    }
    workers = []
    for i in range(n):
        with (logs / f"worker-{i}.log").open("wb") as log:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ocr_service.cli", "worker"],
                    env=env,
                    cwd=ROOT,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        if w.poll() is None:
            os.killpg(w.pid, signal.SIGTERM)
    for w in workers:
        try:
            w.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait(10)


def pages_by_state(settings: Settings, ledger_id: str) -> dict[str, int]:
    with session_scope(settings) as session:
        rows = session.execute(
            select(Page.state, func.count()).where(Page.ledger_id == ledger_id).group_by(Page.state)
        ).all()
    return {str(state): n for state, n in rows}


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("own_redis", [KILL_PORT], indirect=True)
def test_redis_killed_and_restarted_mid_book_every_page_done_exactly_once(
    tmp_path: Path, pg_database: str, own_redis: OwnRedis
) -> None:
    own_redis.start()
    settings = make_settings(
        tmp_path,
        pg_database,
        redis_url=own_redis.url,
        ocr_engine="tests.fakes:SlowEngine",
        page_lease_seconds=6,
        sweep_interval_seconds=SWEEP_INTERVAL,
        sweep_grace_seconds=SWEEP_GRACE,
        queue_name=f"sohoa-heal-{os.getpid()}",
    )
    upgrade_database(settings)
    pages = 16
    ledger_id = add_ledger(settings, book_pdf(tmp_path / "book.pdf", pages))
    RqDispatcher(settings).submit("split", ledger_id)
    workers = start_workers(settings, 2, tmp_path)
    try:
        # Mid-book: some pages done, most still to do.
        wait_for(lambda: pages_by_state(settings, ledger_id).get("done", 0) >= 3, 90, "3 pages")
        assert pages_by_state(settings, ledger_id).get("pending", 0) >= 6
        own_redis.kill()
        time.sleep(3)  # the workers meet the outage: mid-job, waiting for a job, sweeping
        own_redis.start()  # the same port, empty: every queued job is gone
        ledger = wait_ledger(settings, ledger_id, timeout=120)
        assert ledger.status == "done"
        assert [w.poll() for w in workers] == [None, None], "a worker exited on the outage"
    finally:
        stop_workers(workers)
    with session_scope(settings) as session:
        ids = list(session.scalars(select(Page.id).where(Page.ledger_id == ledger_id)))
        assert len(ids) == pages
        assert pages_by_state(settings, ledger_id) == {"done": pages}
        attempts = session.execute(
            select(PageAttempt.page_id, PageAttempt.outcome).where(PageAttempt.page_id.in_(ids))
        ).all()
        # Each page was read exactly once: one claim, and it ended done.
        assert sorted(a.page_id for a in attempts) == sorted(ids)
        assert {a.outcome for a in attempts} == {"done"}
        ocr_rows = session.scalar(
            select(func.count()).select_from(PageOcr).where(PageOcr.page_id.in_(ids))
        )
        assert ocr_rows == pages
    for i in range(2):
        log = (tmp_path / f"worker-{i}.log").read_text()
        # One line when the outage starts (per loop that met it), none per retry.
        assert log.count("unreachable") <= 2, log
        assert "could not connect to Redis" not in log, log
        assert "Traceback" not in log, log


@pytest.mark.slow
@pytest.mark.parametrize("own_redis", [UPLOAD_PORT], indirect=True)
def test_upload_while_redis_is_down_waits_then_is_read_when_it_returns(
    tmp_path: Path, pg_database: str, own_redis: OwnRedis
) -> None:
    from ocr_service.api.app import create_app

    settings = make_settings(
        tmp_path,
        pg_database,
        redis_url=own_redis.url,  # nothing listens there yet
        ocr_engine="tests.fakes:SlowEngine",
        sweep_interval_seconds=SWEEP_INTERVAL,
        sweep_grace_seconds=SWEEP_GRACE,
        queue_name=f"sohoa-wait-{os.getpid()}",
    )
    upgrade_database(settings)
    _, token = add_user(settings, "quan-tri", "admin")
    pdf = book_pdf(tmp_path / "book.pdf", 4).read_bytes()
    form = {"register": "khai-sinh", "commune": "Xã An Nhơn"}
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded" and health.json()["queue"] == "unavailable"
        first = client.post(
            "/api/v1/ledgers",
            headers=auth(token),
            files={"file": ("so.pdf", pdf, "application/pdf")},
            data=form,
        )
        assert first.status_code == 202, first.text
        assert first.json()["status"] == "waiting"
        again = client.post(
            "/api/v1/ledgers",
            headers=auth(token),
            files={"file": ("so.pdf", pdf, "application/pdf")},
            data=form,
        )
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["status"] == "waiting" and again.json()["duplicate"] is True
        ledger_id = first.json()["id"]
        own_redis.start()
        workers = start_workers(settings, 1, tmp_path)
        try:
            ledger = wait_ledger(settings, ledger_id, timeout=90)
        finally:
            stop_workers(workers)
        assert ledger.status == "done"
        assert client.get("/healthz").json()["status"] == "ok"
    assert pages_by_state(settings, ledger_id) == {"done": 4}
