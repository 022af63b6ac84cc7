"""Benchmark: the queue and the database at province scale, with a fast fake OCR engine.

Many pages (default 100,000 in 100 books) are put in a fresh PostgreSQL database as pending
pages, one RQ job each on a Redis of the benchmark's own, and N `sohoa worker` processes
(`--burst`) take them. The OCR engine is a fake that answers at once, so what is measured is
what the installation adds around the reading of a page: the RQ job, the claim (an atomic
UPDATE with a lease), the lease heartbeat, fetching the page image from storage, storing the
OCR lines and the page's state, closing the book. (Preprocessing and extraction, which cost the
same per page on any number of machines, are measured by the other benchmarks.)

Measured: wall time, pages per second, claim latency (p50/p95/max, timed inside the workers
around `jobs.state.claim_page`), and the safety figures: pages not done, pages claimed more
than once, attempts that did not end "done".

    python bench/bench_scale.py [--pages 100000] [--books 100] [--workers 8] [--json]
    python bench/bench_scale.py --real --pages 24 --books 1 --workers 2   # the real engine

`--real`: the pages are a synthetic book's printed block pages, read by the real pipeline
(preprocessing, the `vi` engine, extraction): pages per minute of N worker processes of the
real engine on this machine.

Needs PostgreSQL (SOHOA_TEST_POSTGRES_ADMIN, default postgresql://postgres@127.0.0.1:5432/test)
and `redis-server` on the PATH; creates and drops its own database and Redis.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402

from ocr_service.config import Settings  # noqa: E402
from ocr_service.ocr.base import OcrEngine  # noqa: E402
from ocr_service.ocr.containers import OcrLine, OcrPage  # noqa: E402
from ocr_service.pipeline.page import PageInput, PageOutput  # noqa: E402
from ocr_service.storage import Storage  # noqa: E402

PG_ADMIN = os.environ.get("SOHOA_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
FAKE_LINES = [
    ("SỔ ĐĂNG KÝ KHAI SINH", (60, 40, 540, 70)),
    ("Họ, chữ đệm, tên: Nguyễn Văn An", (60, 120, 540, 150)),
    ("Ngày, tháng, năm sinh: 05/03/2019", (60, 170, 540, 200)),
]


class FastEngine(OcrEngine):
    """Answers at once with three fixed lines: the OCR cost taken out of the measurement."""

    name = "bench-fast"

    def version(self) -> str:
        return "bench-fast 1"

    def read_page(self, image: np.ndarray) -> OcrPage:
        h, w = image.shape[:2]
        lines = [OcrLine(t, 0.99, box, engine=self.name) for t, box in FAKE_LINES]
        return OcrPage(width=w, height=h, lines=lines, engine=self.name, engine_version="1")

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        return "", 0.0


# --- the worker side ---------------------------------------------------------------------


def fast_page(inp: PageInput, storage: Storage, settings: Settings) -> PageOutput:
    """The page pipeline with its image work taken out: the page image is fetched from
    storage (as a real worker does), the fake engine "reads" it, nothing is preprocessed."""
    data = storage.get_bytes(inp.image_key)
    ocr = FastEngine().read_page(np.zeros((850, 600), dtype=np.uint8))
    return PageOutput(thumb_key=inp.image_key, ocr=ocr, timings={"fetch_bytes": len(data)})


def worker_main(latency_file: Path, real: bool) -> None:
    """`sohoa worker --burst` with the fast page and a timer around every claim."""
    from ocr_service.config import get_settings
    from ocr_service.jobs import state, tasks
    from ocr_service.jobs.worker import run_worker

    if not real:
        setattr(tasks, "run_page", fast_page)  # noqa: B010 (a patch, for this process only)
    timings: list[float] = []
    claim = state.claim_page

    def timed_claim(*args: Any, **kwargs: Any) -> state.Claim | None:
        t0 = time.perf_counter()
        try:
            return claim(*args, **kwargs)
        finally:
            timings.append(time.perf_counter() - t0)

    state.claim_page = timed_claim
    try:
        run_worker(get_settings(), burst=True)
    finally:
        latency_file.write_text(json.dumps(timings))


# --- the driver --------------------------------------------------------------------------


def _page_png() -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("L", (600, 850), 245)
    d = ImageDraw.Draw(im)
    for y in range(100, 800, 50):
        d.line([(50, y), (550, y)], fill=120, width=2)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _real_pages(pages: int, tmp: Path) -> list[bytes]:
    """The page images of a printed synthetic khai-sinh book (the tuning group)."""
    from ocr_service.synth.book import generate_book

    out = generate_book("khai-sinh", pages, tmp / "book", style="typed", seed=5)
    return [p.read_bytes() for p in sorted((out / "pages").glob("*.jpg"))][:pages]


def _populate(
    db_url: str, data_dir: Path, pages: int, books: int, images: list[bytes] | None = None
) -> list[int]:
    """Books and pending pages written straight into the database, as a split leaves them."""
    from sqlalchemy import insert, select

    from models.entities import Ledger, LedgerStatus, Original, Page, PageState
    from ocr_service.config import Settings
    from ocr_service.db import session_scope, upgrade_database
    from ocr_service.storage import get_storage

    settings = Settings(database_url=db_url, data_dir=data_dir)
    upgrade_database(settings)
    storage = get_storage(settings)
    keys = []
    for i, image in enumerate(images or [_page_png()]):
        keys.append(f"pages/bench/{i + 1:05d}.{'jpg' if images else 'png'}")
        storage.put_bytes(keys[-1], image)
    key = keys[0]
    per_book = pages // books
    with session_scope(settings) as session:
        for b in range(books):
            sha = uuid.uuid4().hex * 2
            session.add(Original(sha256=sha, size=1, media_type="image/png", storage_key=key))
            ledger = Ledger(
                original_sha256=sha,
                register="khai-sinh",
                commune="Xã Bench",
                book=f"{b + 1:02d}/2019",
                year=2019,
                status=LedgerStatus.processing,
                pages_total=per_book,
            )
            session.add(ledger)
            session.flush()
            session.execute(
                insert(Page),
                [
                    {
                        "ledger_id": ledger.id,
                        "index": i + 1,
                        "state": PageState.pending,
                        "attempts": 0,
                        "width": 600,
                        "height": 850,
                        "image_key": keys[i % len(keys)],
                        "image_source": "image",
                    }
                    for i in range(per_book)
                ],
            )
        ids = list(session.scalars(select(Page.id).order_by(Page.id)))
    return ids


def _enqueue(db_url: str, data_dir: Path, redis_url: str, page_ids: list[int]) -> float:
    """One job per page, queued as the split queues them (with the job-id note the sweep
    reads and the installation id)."""
    from ocr_service.jobs.dispatch import RqDispatcher
    from ocr_service.jobs.lifecycle import JobTask

    settings = Settings(database_url=db_url, data_dir=data_dir, redis_url=redis_url)
    dispatcher = RqDispatcher(settings, announce=True)
    t0 = time.perf_counter()
    for pid in page_ids:
        dispatcher.submit(JobTask.process_page, pid)
    return time.perf_counter() - t0


def _check(db_url: str) -> dict[str, int]:
    with psycopg.connect(db_url) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            return int(row[0]) if row else 0

        return {
            "pages": one("SELECT count(*) FROM pages"),
            "pages_done": one("SELECT count(*) FROM pages WHERE state = 'done'"),
            "pages_claimed_twice": one(
                "SELECT count(*) FROM (SELECT page_id FROM page_attempts "
                "GROUP BY page_id HAVING count(*) > 1) AS t"
            ),
            "attempts_not_done": one(
                "SELECT count(*) FROM page_attempts WHERE outcome IS DISTINCT FROM 'done'"
            ),
            "ledgers_done": one("SELECT count(*) FROM ledgers WHERE status = 'done'"),
            "ledgers": one("SELECT count(*) FROM ledgers"),
        }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(pages: int, books: int, workers: int, redis_port: int, real: bool) -> dict[str, Any]:
    name = f"sohoa_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="sohoa-scale-"))
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    try:
        time.sleep(0.5)
        t0 = time.perf_counter()
        images = _real_pages(pages, tmp) if real else None
        ids = _populate(db_url, tmp / "data", pages, books, images)
        populate_s = time.perf_counter() - t0
        queue_name = "sohoa"
        enqueue_s = _enqueue(db_url, tmp / "data", redis_url, ids)
        env = dict(
            os.environ,
            SOHOA_DATABASE_URL=db_url,
            SOHOA_REDIS_URL=redis_url,
            SOHOA_DATA_DIR=str(tmp / "data"),
            SOHOA_OCR_ENGINE="vi" if real else "none",
            SOHOA_QUEUE_NAME=queue_name,
            PYTHONPATH=str(ROOT),
        )
        files = [tmp / f"lat-{i}.json" for i in range(workers)]
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "worker", str(f), "real" if real else "fast"], env=env
            )
            for f in files
        ]
        for p in procs:
            p.wait()
        wall = time.perf_counter() - t0
        latencies = [v for f in files if f.exists() for v in json.loads(f.read_text())]
        checks = _check(db_url)
    finally:
        redis.terminate()
        redis.wait()
        from ocr_service.db import dispose_engines

        dispose_engines()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "pages": pages,
        "books": books,
        "workers": workers,
        "populate_s": round(populate_s, 1),
        "enqueue_s": round(enqueue_s, 1),
        "wall_s": round(wall, 1),
        "engine": "vi (real pipeline)" if real else "fast fake page",
        "pages_per_s": round(checks["pages_done"] / wall, 1),
        "pages_per_min": round(60 * checks["pages_done"] / wall, 1),
        "claims": len(latencies),
        "claim_p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "claim_p95_ms": round(_pct(latencies, 0.95) * 1000, 2),
        "claim_max_ms": round(max(latencies) * 1000, 2) if latencies else None,
        **checks,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "worker":
        worker_main(Path(sys.argv[2]), sys.argv[3] == "real")
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--books", type=int, default=100)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--redis-port", type=int, default=6421)
    ap.add_argument("--real", action="store_true", help="real pages, the real vi pipeline")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args.pages, args.books, args.workers, args.redis_port, args.real)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>20}: {v}")


if __name__ == "__main__":
    main()
