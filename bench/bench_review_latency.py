"""Benchmark: latency of the review loop (next record, save) on PostgreSQL with 100,000 records.

Builds a fresh PostgreSQL database with 100 books × 1,000 draft records (12 fields each),
starts the real server (uvicorn) on 127.0.0.1, and times, over HTTP from another process,
`GET /records/next` and `PATCH /records/{id}` as a clerk would issue them.

    python bench/bench_review_latency.py [--records 100000] [--requests 400] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import httpx
import psycopg

ADMIN_URL = os.environ.get("SOHOA_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
FIELDS = [
    ("so", "{n:02d}/2019"),
    ("quyenSo", "01/2019"),
    ("ngayDangKy", "05.03.2019"),
    ("nksHoTen", "Nguyễn Thị Thu Hương"),
    ("nksGioiTinh", "Nữ"),
    ("nksNgaySinh", "01.03.2019"),
    ("nksNoiSinh", "Trạm y tế xã An Nhơn"),
    ("nksDanToc", "Kinh"),
    ("nksQuocTich", "Việt Nam"),
    ("meHoTen", "Trần Thị Lan"),
    ("chaHoTen", "Nguyễn Văn An"),
    ("nycHoTen", "Nguyễn Văn An"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def populate(url: str, books: int, per_book: int) -> None:
    from ocr_service.config import Settings
    from ocr_service.db import upgrade_database

    upgrade_database(Settings(database_url=url, environment="test"))
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "INSERT INTO originals (sha256, size, media_type, storage_key, created_at) "
            "VALUES ('0', 1, 'application/pdf', 'x', now())"
        )
        with conn.cursor() as cur:
            for _ in range(books):
                lid = uuid.uuid4().hex
                cur.execute(
                    "INSERT INTO ledgers (id, original_sha256, register, commune, book, year, "
                    "layout, status, pages_total, created_at, updated_at) VALUES "
                    "(%s, '0', 'khai-sinh', 'Xã An Nhơn', '01/2019', 2019, 'block', 'done', %s,"
                    " now(), now())",
                    (lid, per_book),
                )
                with cur.copy(
                    "COPY records (id, ledger_id, source_key, page, pages, seq, status, version,"
                    " warnings, created_at, updated_at) FROM STDIN"
                ) as copy:
                    ids = []
                    for i in range(1, per_book + 1):
                        rid = uuid.uuid4().hex
                        ids.append((rid, i))
                        copy.write_row(
                            (
                                rid,
                                lid,
                                f"p{i}",
                                i,
                                f"[{i}]",
                                i * 1000,
                                "draft",
                                1,
                                "[]",
                                "2026-11-25",
                                "2026-11-25",
                            )
                        )
                with cur.copy(
                    "COPY record_fields (record_id, code, value, raw, confidence, band, bbox, page,"
                    " source, issues, candidates, edited) FROM STDIN"
                ) as copy:
                    for rid, i in ids:
                        for n, (code, tpl) in enumerate(FIELDS):
                            v = tpl.format(n=i % 100)
                            copy.write_row(
                                (
                                    rid,
                                    code,
                                    v,
                                    v,
                                    0.9,
                                    "check",
                                    f"[60, {100 + 40 * n}, 500, {130 + 40 * n}]",
                                    i,
                                    "ocr",
                                    "[]",
                                    "[]",
                                    False,
                                )
                            )
            conn.commit()
        conn.execute("ANALYZE")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    books = max(1, args.records // 1000)
    per_book = args.records // books
    name = f"sohoa_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    server = None
    try:
        t0 = time.perf_counter()
        populate(url, books, per_book)
        build_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "SOHOA_DATABASE_URL": url,
                "SOHOA_DATA_DIR": tmp,
                "SOHOA_OCR_ENGINE": "none",
            }
            env.pop("SOHOA_REDIS_URL", None)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ocr_service.cli",
                    "user",
                    "add",
                    "lan",
                    "--role",
                    "clerk",
                    "--commune",
                    "Xã An Nhơn",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            token = subprocess.run(
                [sys.executable, "-m", "ocr_service.cli", "token", "create", "lan"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "ocr_service.cli", "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}/api/v1"
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for _ in range(100):
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.2)
                ledgers = [
                    item["id"]
                    for page in (1, 2)
                    for item in client.get(f"/ledgers?per_page=50&page={page}").json()["items"]
                ]
                next_ms: list[float] = []
                save_ms: list[float] = []
                for i in range(args.requests):
                    ledger = ledgers[i % len(ledgers)]
                    t = time.perf_counter()
                    r = client.get(f"/records/next?ledger={ledger}")
                    next_ms.append((time.perf_counter() - t) * 1000)
                    rec = r.json()
                    t = time.perf_counter()
                    s = client.patch(
                        f"/records/{rec['id']}",
                        json={"version": rec["version"], "fields": {"nksHoTen": f"Tên {i}"}},
                    )
                    save_ms.append((time.perf_counter() - t) * 1000)
                    assert s.status_code == 200, s.text
                    c = client.post(
                        f"/records/{rec['id']}/confirm", json={"version": s.json()["version"]}
                    )
                    assert c.status_code == 200, c.text
        result = {
            "records": books * per_book,
            "books": books,
            "requests": args.requests,
            "build_seconds": round(build_s, 1),
            "next_p50_ms": round(statistics.median(next_ms), 1),
            "next_p95_ms": round(percentile(next_ms, 95), 1),
            "save_p50_ms": round(statistics.median(save_ms), 1),
            "save_p95_ms": round(percentile(save_ms, 95), 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "database": "PostgreSQL (local, 127.0.0.1)",
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        from ocr_service.db import dispose_engines

        dispose_engines()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        json.dumps(result)
        if args.json
        else f"next p50 {result['next_p50_ms']} ms, p95 {result['next_p95_ms']} ms; "
        f"save p50 {result['save_p50_ms']} ms, p95 {result['save_p95_ms']} ms "
        f"({result['records']} records, {result['requests']} requests)"
    )


if __name__ == "__main__":
    main()
