"""Shared fixtures: real SQLite and PostgreSQL databases, a real Redis, settings, clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
# An S3 API server (moto's server mode) that .ci/run starts; without it, a session fixture
# starts one on a free port.
S3_TEST_ENDPOINT = os.environ.get("SOHOA_TEST_S3_ENDPOINT")
S3_TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "sohoa-test",
    "AWS_SECRET_ACCESS_KEY": "sohoa-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")


def start_moto_server(host: str, port: int) -> subprocess.Popen[bytes]:
    """moto's S3 API server: a real HTTP endpoint speaking the S3 protocol."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(host, port, 30, proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    if S3_TEST_ENDPOINT:
        yield S3_TEST_ENDPOINT
        return
    port = free_port()
    proc = start_moto_server("127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def make_bucket(endpoint: str) -> str:
    """A new empty bucket for one test."""
    import boto3

    name = f"sohoa-test-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_TEST_CREDENTIALS["AWS_DEFAULT_REGION"],
    ).create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, bucket: str, prefix: str = "sohoa") -> dict[str, object]:
    """Settings values for s3:// storage on the test server."""
    from ocr_service.config import AwsSettings

    return {
        "storage_url": f"s3://{bucket}/{prefix}",
        "s3_endpoint_url": endpoint,
        "aws": AwsSettings(
            access_key_id=S3_TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_access_key=S3_TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],  # type: ignore[arg-type]
            default_region=S3_TEST_CREDENTIALS["AWS_DEFAULT_REGION"],
        ),
    }


def s3_env(endpoint: str, bucket: str, prefix: str = "sohoa") -> dict[str, str]:
    """The same, as the environment of a worker process."""
    return {
        "SOHOA_STORAGE_URL": f"s3://{bucket}/{prefix}",
        "SOHOA_S3_ENDPOINT_URL": endpoint,
        **S3_TEST_CREDENTIALS,
    }


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
                # The schema's version and the installation's id belong to the database.
                "AND tablename NOT IN ('alembic_version', 'installation')"
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
