"""Benchmark: person search (GET /records/search) over a large PostgreSQL database.

Builds a fresh PostgreSQL database at the migration before the search index (0004) with
`--records` draft records (one book per 1,000), each with a child, a mother and a father drawn
from common Vietnamese names, then runs the index migration (timing its back-fill), prints the
query plan of a search, and times searches through the same function the route calls.

    python bench/bench_search.py [--records 100000] [--searches 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
import uuid

import psycopg
from sqlalchemy import create_engine

ADMIN_URL = os.environ.get("SOHOA_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vy",
    "Yến",
    "Đạt",
    "Đào",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Huy",
]


def name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVEN)}"


def populate(url: str, sa_url: str, records: int, rng: random.Random) -> None:
    from alembic import command

    from ocr_service.db import alembic_config

    engine = create_engine(sa_url)
    with engine.begin() as conn:
        cfg = alembic_config(sa_url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    engine.dispose()
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO originals (sha256, size, media_type, storage_key, created_at) "
            "VALUES ('0', 1, 'application/pdf', 'x', now())"
        )
        books = max(1, records // 1000)
        for b in range(books):
            conn.execute(
                "INSERT INTO ledgers (id, original_sha256, register, commune, layout, status, "
                "pages_total, created_at, updated_at) VALUES (%s, '0', 'khai-sinh', %s, 'block', "
                "'done', 1000, now(), now())",
                (f"l{b:05d}", f"Xã {b % 20}"),
            )
        with conn.cursor().copy(
            "COPY records (id, ledger_id, source_key, page, pages, seq, status, version, warnings,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(records):
                copy.write_row(
                    (
                        f"r{i:08d}",
                        f"l{i // 1000 % books:05d}",
                        f"p{i}",
                        i % 1000 + 1,
                        "[]",
                        i,
                        "draft",
                        1,
                        "[]",
                        "2026-01-01",
                        "2026-01-01",
                    )
                )
        with conn.cursor().copy(
            "COPY record_fields (record_id, code, value, source, issues, candidates, edited) "
            "FROM STDIN"
        ) as copy:
            for i in range(records):
                year = rng.randint(1950, 2020)
                values = {
                    "nksHoTen": name(rng),
                    "nksNgaySinh": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{year}",
                    "meHoTen": name(rng),
                    "chaHoTen": name(rng),
                }
                for code, value in values.items():
                    copy.write_row((f"r{i:08d}", code, value, "ocr", "[]", "[]", False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--searches", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = random.Random(14)
    db = f"sohoa_bench_search_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + db
    from ocr_service.config import Settings

    settings = Settings(database_url=url, environment="test")
    sa_url = settings.db_url
    try:
        t0 = time.perf_counter()
        populate(url, sa_url, args.records, rng)
        t_populate = time.perf_counter() - t0
        from ocr_service.db import session_scope, upgrade_database

        t0 = time.perf_counter()
        upgrade_database(settings)  # 0005_s14a: creates and back-fills record_name_keys
        t_backfill = time.perf_counter() - t0

        from models.entities import User
        from ocr_service.records.search import parse_query, search_records

        with psycopg.connect(url) as conn:
            keys = conn.execute("SELECT count(*) FROM record_name_keys").fetchone()
            conn.execute("ANALYZE")
            plan = [
                r[0]
                for r in conn.execute(
                    "EXPLAIN SELECT DISTINCT record_id FROM record_name_keys "
                    "WHERE key >= 'nguyen van an' AND key < 'nguyen van an~'"
                )
            ]
        queries = [f"{name(rng)}" for _ in range(args.searches)]
        queries += [
            f"{rng.choice(MIDDLES)} {rng.choice(GIVEN)} {rng.randint(1950, 2020)}"
            for _ in range(args.searches)
        ]
        times: list[float] = []
        hits: list[int] = []
        with session_scope(settings) as session:
            admin = User(username="bench", role="admin")
            session.add(admin)
            session.flush()
            for q in queries:
                t0 = time.perf_counter()
                page = search_records(session, admin, parse_query(q), per_page=20)
                times.append((time.perf_counter() - t0) * 1000)
                hits.append(page.total)
        times.sort()
        result = {
            "records": args.records,
            "name_keys": keys[0] if keys else 0,
            "populate_s": round(t_populate, 1),
            "backfill_s": round(t_backfill, 1),
            "searches": len(queries),
            "median_hits": statistics.median(hits),
            "p50_ms": round(times[len(times) // 2], 1),
            "p95_ms": round(times[int(len(times) * 0.95)], 1),
            "max_ms": round(times[-1], 1),
            "plan": plan,
            "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores",
        }
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            for k, v in result.items():
                print(f"{k}: {v}")
    finally:
        from ocr_service.db import dispose_engines

        dispose_engines()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
