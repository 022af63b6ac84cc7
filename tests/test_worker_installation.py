"""A worker takes only its installation's jobs: one that cannot reach the database or the store,
or whose database is another (left on its default SQLite), refuses in one line, exit 2; a job it
meets from another installation goes back on the queue, never silently skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from models.entities import Ledger, Page
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.jobs.dispatch import RqDispatcher
from ocr_service.jobs.installation import installation_id, marker_key
from tests.conftest import _truncate_pg as truncate_pg
from tests.conftest import free_port, make_bucket, make_settings, s3_env, s3_settings
from tests.test_jobs_workers import ROOT, add_ledger, book_pdf, worker_env


def run_worker(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def default_sqlite_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """The same worker, but left without SOHOA_DATABASE_URL: its own SQLite in `data_dir`."""
    env = worker_env(settings)
    env.pop("SOHOA_DATABASE_URL")
    env["SOHOA_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture
def installation(tmp_path: Path, pg_database: str, redis_url: str, s3_endpoint: str) -> Settings:
    settings = make_settings(
        tmp_path,
        pg_database,
        redis_url=redis_url,
        queue_name=f"sohoa-test-inst-{os.getpid()}",
        **s3_settings(s3_endpoint, make_bucket(s3_endpoint)),
    )
    upgrade_database(settings)
    truncate_pg(pg_database)
    return settings


def installation_env(settings: Settings, s3_endpoint: str) -> dict[str, str]:
    assert settings.storage_url
    bucket, _, prefix = settings.storage_url[len("s3://") :].partition("/")
    return {**worker_env(settings), **s3_env(s3_endpoint, bucket, prefix)}


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_a_worker_on_its_default_sqlite_refuses_to_start(
    installation: Settings, s3_endpoint: str, tmp_path: Path
) -> None:
    RqDispatcher(installation, announce=True)  # the API announces its installation
    env = {**installation_env(installation, s3_endpoint)}
    env.pop("SOHOA_DATABASE_URL")
    env["SOHOA_DATA_DIR"] = str(tmp_path / "lost-worker")
    line = one_line_error(run_worker(env))
    assert "is not the installation's" in line and "SOHOA_DATABASE_URL" in line


def test_a_worker_on_other_storage_refuses_to_start(
    installation: Settings, s3_endpoint: str
) -> None:
    RqDispatcher(installation, announce=True)
    env = worker_env(installation)  # the right database, but no SOHOA_STORAGE_URL
    line = one_line_error(run_worker(env))
    assert "SOHOA_STORAGE_URL" in line and installation.storage_url in line  # type: ignore[operator]


def test_a_worker_that_cannot_reach_the_store_or_the_database_refuses(
    installation: Settings, s3_endpoint: str
) -> None:
    env = installation_env(installation, s3_endpoint)
    no_bucket = {**env, "SOHOA_STORAGE_URL": "s3://sohoa-no-such-bucket/x"}
    line = one_line_error(run_worker(no_bucket))
    assert "cannot use the storage" in line and "sohoa-no-such-bucket" in line
    dead_store = {**env, "SOHOA_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    assert "cannot use the storage" in one_line_error(run_worker(dead_store))
    no_db = {**env, "SOHOA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x"}
    line = one_line_error(run_worker(no_db))
    assert "cannot reach the database postgresql+psycopg://127.0.0.1:" in line


def test_jobs_carry_their_installation(installation: Settings) -> None:
    dispatcher = RqDispatcher(installation, announce=True)
    dispatcher.submit("page", 7)
    queue = Queue(installation.queue_name, connection=Redis.from_url(installation.redis_url or ""))
    (job,) = queue.get_jobs()
    assert job.args == (7,) and job.kwargs == {"installation": installation_id(installation)}
    marker = json.loads(dispatcher.connection.get(marker_key(installation)) or b"{}")
    assert marker == {
        "installation": installation_id(installation),
        "storage": installation.storage_url,
    }
    queue.empty()


def test_a_job_from_another_installation_goes_back_and_the_worker_stops(
    installation: Settings, s3_endpoint: str, tmp_path: Path
) -> None:
    """Nothing announced yet (the API has not started): the lost worker passes its checks, meets
    the book's split job, puts it back and stops; the right worker then does the book."""
    ledger_id = add_ledger(installation, book_pdf(tmp_path / "book.pdf", 3))
    RqDispatcher(installation).submit("split", ledger_id)
    queue = Queue(installation.queue_name, connection=Redis.from_url(installation.redis_url or ""))
    assert queue.count == 1
    lost = installation_env(installation, s3_endpoint)
    lost.pop("SOHOA_DATABASE_URL")
    lost["SOHOA_DATA_DIR"] = str(tmp_path / "lost-worker")
    line = one_line_error(run_worker(lost))
    assert "put back on the queue" in line
    (job,) = queue.get_jobs()
    assert job.args == (ledger_id,)
    assert job.kwargs == {"installation": installation_id(installation)}
    with session_scope(installation) as session:
        assert session.get(Ledger, ledger_id).status == "queued"  # type: ignore[union-attr]

    right = run_worker(installation_env(installation, s3_endpoint))
    assert right.returncode == 0, right.stderr
    with session_scope(installation) as session:
        assert session.get(Ledger, ledger_id).status == "done"  # type: ignore[union-attr]
        states = session.scalars(select(Page.state).where(Page.ledger_id == ledger_id)).all()
        assert sorted(states) == ["done"] * 3


def test_the_api_starts_while_redis_is_down_and_announces_later(installation: Settings) -> None:
    """Announcing is no reason to fail a start: it is said again with the next job queued."""
    down = installation.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    RqDispatcher(down, announce=True)  # no exception
    connection = Redis.from_url(installation.redis_url or "")
    assert connection.get(marker_key(installation)) is None
    dispatcher = RqDispatcher(installation, announce=True)
    dispatcher.submit("page", 1)
    assert connection.get(marker_key(installation)) is not None
    Queue(installation.queue_name, connection=connection).empty()
