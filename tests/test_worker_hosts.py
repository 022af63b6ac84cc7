"""Several hosts for real: a worker in its own network namespace, with an empty data folder,
reaches PostgreSQL, Redis and the object store over a veth link only, and shares a book with a
worker on this host. Nothing of the book lands on either worker's disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from models.entities import Page, PageAttempt
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.jobs.dispatch import RqDispatcher
from tests.conftest import (
    _truncate_pg as truncate_pg,
)
from tests.conftest import (
    free_port,
    make_bucket,
    make_settings,
    s3_env,
    s3_settings,
    start_moto_server,
)
from tests.hosts import Namespace, RedisServer, TcpForwarder, network_namespace
from tests.test_jobs_workers import ROOT, add_ledger, book_pdf, wait_ledger

PAGES = 16
REDIS_PORT = 6394  # a port of this test's own: its Redis may be killed
PG_TARGET = ("127.0.0.1", 5432)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pdf", ".tif", ".tiff"}


@dataclass
class Site:
    """The installation as another machine sees it: every service on the link's address."""

    ns: Namespace
    redis: RedisServer
    s3_endpoint: str
    database_url: str
    settings: Settings


@pytest.fixture
def site(tmp_path: Path, pg_database: str) -> Iterator[Site]:
    with network_namespace("w") as ns:
        address = ns.host_address
        redis = RedisServer(address, REDIS_PORT, tmp_path / "redis.log").start()
        s3_port = free_port(address)
        moto = start_moto_server(address, s3_port)
        pg_port = free_port(address)
        forwarder = TcpForwarder(address, pg_port, *PG_TARGET).start()
        try:
            endpoint = f"http://{address}:{s3_port}"
            database_url = (
                f"postgresql://postgres@{address}:{pg_port}/{pg_database.rsplit('/', 1)[1]}"
            )
            settings = make_settings(
                tmp_path / "api",
                database_url,
                redis_url=redis.url,
                ocr_engine="tests.fakes:SlowEngine",
                page_lease_seconds=10,
                queue_name="sohoa-hosts",
                **s3_settings(endpoint, make_bucket(endpoint)),
            )
            upgrade_database(settings)
            truncate_pg(pg_database)
            yield Site(ns, redis, endpoint, database_url, settings)
        finally:
            forwarder.stop()
            moto.terminate()
            moto.wait(10)
            redis.kill()


def worker_env(site: Site, disk: Path) -> dict[str, str]:
    """What a worker machine is given: addresses and credentials, and a disk of its own."""
    settings = site.settings
    assert settings.storage_url
    bucket, _, prefix = settings.storage_url[len("s3://") :].partition("/")
    (disk / "data").mkdir(parents=True)
    (disk / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "AWS_"))}
    return {
        **env,
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(disk / "tmp"),
        "SOHOA_DATA_DIR": str(disk / "data"),
        "SOHOA_DATABASE_URL": site.database_url,
        "SOHOA_REDIS_URL": site.redis.url,
        "SOHOA_OCR_ENGINE": settings.ocr_engine,
        "SOHOA_PAGE_LEASE_SECONDS": str(settings.page_lease_seconds),
        "SOHOA_QUEUE_NAME": settings.queue_name,
        "SOHOA_FAKE_SECONDS": "0.6",
        # The sweep queues again what a restarted, empty Redis forgot: soon, for the test.
        "SOHOA_SWEEP_INTERVAL_SECONDS": "2",
        "SOHOA_SWEEP_GRACE_SECONDS": "3",
        **s3_env(site.s3_endpoint, bucket, prefix),
    }


def files_on(disk: Path) -> list[Path]:
    return sorted(p for p in disk.rglob("*") if p.is_file())


def test_the_namespace_reaches_only_the_link(site: Site, tmp_path: Path) -> None:
    """The namespace is another host: our loopback services are out of its reach, and a worker
    there pointed at them refuses to start in one line."""
    probe = "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)"
    ns = site.ns
    blocked = subprocess.run(
        ns.command(sys.executable, "-c", probe, *map(str, PG_TARGET)), capture_output=True
    )
    assert blocked.returncode != 0
    database = site.database_url.rsplit("/", 1)[1]
    env = {
        **worker_env(site, tmp_path / "far"),
        "SOHOA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
    }
    proc = subprocess.run(
        ns.command(sys.executable, "-m", "ocr_service.cli", "worker"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the database" in lines[0], proc.stderr
    assert files_on(tmp_path / "far" / "data") == []


def pages_done(settings: Settings, ledger_id: str) -> int:
    with session_scope(settings) as session:
        states = session.scalars(select(Page.state).where(Page.ledger_id == ledger_id)).all()
    return sum(1 for s in states if s == "done")


def test_two_workers_one_in_a_namespace_finish_a_book_in_s3_while_redis_is_killed(
    site: Site, tmp_path: Path
) -> None:
    """Issue #15's must-show: two workers with separate empty data folders, one in its own
    network namespace, finish a book stored in S3 while Redis is killed (-9) and restarted
    empty mid-book: every page done exactly once, no API restart, no page image on a disk."""
    settings = site.settings
    ledger_id = add_ledger(settings, book_pdf(tmp_path / "book.pdf", PAGES))
    RqDispatcher(settings, announce=True).submit("split", ledger_id)  # as the API does
    near_disk, far_disk = tmp_path / "near", tmp_path / "far"
    command = [sys.executable, "-m", "ocr_service.cli", "worker"]
    workers = {
        "near": subprocess.Popen(
            command,
            env=worker_env(site, near_disk),
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ),
        "far": subprocess.Popen(
            site.ns.command(*command),
            env=worker_env(site, far_disk),
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ),
    }
    try:
        deadline = time.monotonic() + 180
        while pages_done(settings, ledger_id) < 4:
            assert time.monotonic() < deadline, "the workers did not start on the book"
            assert all(w.poll() is None for w in workers.values())
            time.sleep(0.2)
        site.redis.kill()  # SIGKILL, mid-book: its queue is lost with it
        time.sleep(3)
        assert pages_done(settings, ledger_id) < PAGES, "the book ended before the outage"
        site.redis.start()  # empty: the sweep must find what the queue forgot
        ledger = wait_ledger(settings, ledger_id, timeout=240)
        assert ledger.status == "done"
        with session_scope(settings) as session:
            pages = session.scalars(select(Page).where(Page.ledger_id == ledger_id)).all()
            assert len(pages) == PAGES and {p.state for p in pages} == {"done"}
            attempts = session.scalars(
                select(PageAttempt).where(PageAttempt.page_id.in_([p.id for p in pages]))
            ).all()
        done = sorted(a.page_id for a in attempts if a.outcome == "done")
        assert done == sorted(p.id for p in pages)  # every page done exactly once
        assert all(a.outcome == "done" for a in attempts)
        by_pid = {int(a.worker.rsplit(":", 1)[1]) for a in attempts}
        assert by_pid == {workers["near"].pid, workers["far"].pid}
        for name, w in workers.items():
            assert w.poll() is None, (name, w.stderr.read() if w.stderr else "")
    finally:
        for w in workers.values():
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGTERM)
        for w in workers.values():
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(w.pid, signal.SIGKILL)
                w.wait(10)
    time.sleep(0.1)
    for disk in (near_disk, far_disk):
        leftovers = files_on(disk)
        assert [p for p in leftovers if p.suffix.lower() in IMAGE_SUFFIXES] == []
        assert files_on(disk / "data") == []  # no database, no store: the data folder is empty
