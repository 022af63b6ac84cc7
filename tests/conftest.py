"""Shared fixtures: real SQLite and PostgreSQL databases, a real Redis, settings, clients."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from redis import Redis

from ocr_service.config import Settings
from ocr_service.db import dispose_engines, session_scope, upgrade_database

RESOURCES = Path(__file__).parent / "resources"
REAL_SCANS = RESOURCES / "real-scans"  # smaller copies of the published scans: see its README
PG_ADMIN_URL = os.environ.get(
    "SOHOA_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("SOHOA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    name = f"sohoa_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    yield url
    dispose_engines()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_pg(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sohoa.db'}"
    url: str = request.getfixturevalue("pg_database")
    settings = Settings(database_url=url, data_dir=tmp_path)
    upgrade_database(settings)
    _truncate_pg(url)
    return url


def make_settings(tmp_path: Path, db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": tmp_path / "data",
        "database_url": db_url,
        "ocr_engine": "none",
        "inline_workers": 2,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    s = make_settings(tmp_path, db_url)
    upgrade_database(s)
    return s


@pytest.fixture
def admin_token(settings: Settings) -> str:
    from ocr_service.auth import create_token, create_user

    with session_scope(settings) as session:
        user = create_user(session, "admin", "admin", password="mat-khau-admin")
        return create_token(session, user)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from ocr_service.api.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def redis_url() -> Iterator[str]:
    conn = Redis.from_url(REDIS_TEST_URL)
    conn.flushdb()
    yield REDIS_TEST_URL
    conn.flushdb()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    return {
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
