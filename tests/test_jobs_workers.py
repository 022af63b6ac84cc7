"""Pages survive dead workers: RQ workers on Redis + PostgreSQL, and the local process runner."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from models.book import BookMeta
from models.entities import Ledger, Page, PageAttempt, PageOcr
from ocr_service.config import Settings
from ocr_service.db import session_scope, upgrade_database
from ocr_service.ingest.service import ingest_path
from ocr_service.jobs.dispatch import LocalRunner, RqDispatcher
from ocr_service.storage import get_storage
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[1]


def book_pdf(path: Path, pages: int, black: set[int] = frozenset()) -> Path:  # type: ignore[assignment]
    doc = pymupdf.open()
    for i in range(1, pages + 1):
        im = Image.new("L", (400, 560), 0 if i in black else 255)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=60)
        page = doc.new_page(width=400, height=560)
        page.insert_image(page.rect, stream=buf.getvalue())
    doc.save(path)
    return path


def add_ledger(settings: Settings, pdf: Path) -> str:
    with session_scope(settings) as session:
        result = ingest_path(
            session,
            get_storage(settings),
            settings,
            pdf,
            meta=BookMeta("khai-sinh"),
            user_id=None,
        )
        return result.ledger.id


def wait_ledger(settings: Settings, ledger_id: str, timeout: float) -> Ledger:
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(settings) as session:
            ledger = session.get(Ledger, ledger_id)
            assert ledger is not None
            if ledger.status in ("done", "partial", "failed"):
                return ledger
        if time.monotonic() > deadline:
            raise AssertionError(f"ledger still {ledger.status} after {timeout} s")
        time.sleep(0.2)


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_DATABASE_URL": settings.db_url,
        "SOHOA_REDIS_URL": settings.redis_url or "",
        "SOHOA_OCR_ENGINE": settings.ocr_engine,
        "SOHOA_PAGE_LEASE_SECONDS": str(settings.page_lease_seconds),
        "SOHOA_QUEUE_NAME": settings.queue_name,
        "SOHOA_FAKE_SECONDS": "1.0",
    }


@pytest.mark.slow
def test_two_workers_one_killed_every_page_done_exactly_once(
    tmp_path: Path, pg_database: str, redis_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        pg_database,
        redis_url=redis_url,
        ocr_engine="tests.fakes:SlowEngine",
        page_lease_seconds=4,
        queue_name=f"sohoa-test-{os.getpid()}",
    )
    upgrade_database(settings)
    ledger_id = add_ledger(settings, book_pdf(tmp_path / "book.pdf", 12))
    RqDispatcher(settings).submit("split", ledger_id)
    env = worker_env(settings)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "ocr_service.cli", "worker"],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        victim = workers[0]
        # Wait until the victim holds a page, then kill it without warning.
        deadline = time.monotonic() + 60
        held: int | None = None
        while held is None and time.monotonic() < deadline:
            with session_scope(settings) as session:
                held = session.scalar(
                    select(PageAttempt.page_id).where(
                        PageAttempt.worker.like(f"%:{victim.pid}"),
                        PageAttempt.finished_at.is_(None),
                    )
                )
            time.sleep(0.05)
        assert held is not None, "the victim never took a page"
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        ledger = wait_ledger(settings, ledger_id, timeout=120)
        assert ledger.status == "done"
        with session_scope(settings) as session:
            pages = session.scalars(select(Page).where(Page.ledger_id == ledger_id)).all()
            assert len(pages) == 12 and {p.state for p in pages} == {"done"}
            ocr_rows = session.scalar(
                select(func.count())
                .select_from(PageOcr)
                .where(PageOcr.page_id.in_([p.id for p in pages]))
            )
            assert ocr_rows == 12
            attempts = session.scalars(
                select(PageAttempt).where(PageAttempt.page_id.in_([p.id for p in pages]))
            ).all()
            done = [a for a in attempts if a.outcome == "done"]
            assert sorted(a.page_id for a in done) == sorted(p.id for p in pages)
            lost = [a for a in attempts if a.outcome == "lost"]
            assert [a.page_id for a in lost] == [held]
            survivors = {a.worker for a in done if a.page_id == held}
            assert all(w.endswith(f":{workers[1].pid}") for w in survivors)
    finally:
        for w in workers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGTERM)
                w.wait(20)


@pytest.mark.slow
@pytest.mark.parametrize(
    "engine,reason",
    [
        ("tests.fakes:CrashingEngine", "worker process died"),
        ("tests.fakes:HangingEngine", "timed out after 3 s"),
        ("tests.fakes:RaisingEngine", "RuntimeError: cannot read this page"),
    ],
)
def test_a_failing_page_fails_alone_with_its_reason(
    tmp_path: Path, db_url: str, engine: str, reason: str
) -> None:
    settings = make_settings(
        tmp_path,
        db_url,
        ocr_engine=engine,
        page_timeout_seconds=3,
        page_max_attempts=2,
    )
    upgrade_database(settings)
    ledger_id = add_ledger(settings, book_pdf(tmp_path / "book.pdf", 5, black={3}))
    runner = LocalRunner(settings, workers=2)
    try:
        runner.submit("split", ledger_id)
        ledger = wait_ledger(settings, ledger_id, timeout=120)
    finally:
        runner.close()
    assert ledger.status == "partial"
    with session_scope(settings) as session:
        pages = {
            p.index: p for p in session.scalars(select(Page).where(Page.ledger_id == ledger_id))
        }
        assert {i: p.state for i, p in pages.items()} == {
            1: "done",
            2: "done",
            3: "failed",
            4: "done",
            5: "done",
        }
        assert reason in (pages[3].error or "")
        assert pages[3].attempts == 2
        assert session.get(PageOcr, pages[3].id) is None
