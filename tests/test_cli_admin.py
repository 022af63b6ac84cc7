"""CLI for users, tokens and status; storage keeps originals once and immutable."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ocr_service.config import Settings
from ocr_service.errors import TooLarge
from ocr_service.storage import LocalStorage, check_key
from tests.conftest import RESOURCES, auth
from tests.factories import add_user


def cli(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_DATABASE_URL": settings.db_url,
        "SOHOA_OCR_ENGINE": "none",
    }
    env.pop("SOHOA_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_user_token_and_status_commands(settings: Settings, client: TestClient) -> None:
    made = cli(
        settings,
        "user",
        "add",
        "lan",
        "--role",
        "clerk",
        "--commune",
        "Xã An Nhơn",
        "--password-stdin",
        stdin="mat-khau-dai\n",
    )
    assert made.returncode == 0, made.stderr
    again = cli(settings, "user", "add", "lan", "--role", "clerk")
    assert again.returncode == 2 and "already exists" in again.stderr
    bad_role = cli(settings, "user", "add", "x", "--role", "boss")
    assert bad_role.returncode == 2 and "unknown role" in bad_role.stderr
    short = cli(settings, "user", "add", "y", "--password-stdin", stdin="ngan\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    token = cli(settings, "token", "create", "lan", "--json")
    assert token.returncode == 0, token.stderr
    secret = json.loads(token.stdout)["token"]
    assert secret.startswith("sohoa_")
    assert client.get("/api/v1/ledgers", headers=auth(secret)).status_code == 200
    assert cli(settings, "token", "create", "nobody").returncode == 2
    ingest = cli(
        settings,
        "ingest",
        str(RESOURCES / "ingest" / "three-pages.tif"),
        "--register",
        "khai-tu",
        "--wait",
        "--json",
    )
    assert ingest.returncode == 0, ingest.stderr
    (ledger,) = json.loads(ingest.stdout)["ledgers"]
    assert ledger["status"] == "done" and ledger["pages"] == 3 and ledger["failed_pages"] == []
    status = cli(settings, "status", ledger["id"], "--json")
    assert json.loads(status.stdout)["progress"]["pages_done"] == 3
    missing = cli(settings, "status", "khong-co")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_ingest_walks_a_folder_with_a_manifest(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "archive" / "xa-an-nhon"
    archive.mkdir(parents=True)
    src = RESOURCES / "ingest"
    for name in ("scanned-4.pdf", "cmyk.jpg", "encrypted.pdf", "text-renamed.pdf"):
        (archive / name).write_bytes((src / name).read_bytes())
    (archive / "ghi-chu.txt").write_text("not a scan", encoding="utf-8")
    manifest = tmp_path / "archive" / "books.csv"
    manifest.write_text(
        "path,register,commune,book,year\n"
        "xa-an-nhon/scanned-4.pdf,khai-sinh,Xã An Nhơn,01/2019,2019\n"
        "xa-an-nhon/cmyk.jpg,khai-tu,Xã An Nhơn,02/2019,2019\n",
        encoding="utf-8",
    )
    proc = cli(
        settings,
        "ingest",
        str(tmp_path / "archive"),
        "--manifest",
        str(manifest),
        "--register",
        "ket-hon",
        "--json",
    )
    assert proc.returncode == 2  # something was refused
    doc = json.loads(proc.stdout)
    by_name = {Path(e["path"]).name: e for e in doc["ledgers"]}
    assert sorted(by_name) == ["cmyk.jpg", "scanned-4.pdf"]
    assert by_name["scanned-4.pdf"]["pages"] == 4
    refused = {Path(r["path"]).name: r["error"] for r in doc["refused"]}
    assert sorted(refused) == ["encrypted.pdf", "text-renamed.pdf"]
    assert "password" in refused["encrypted.pdf"]


def test_originals_are_stored_once_and_read_only(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    staged = store.stage_upload(io.BytesIO(b"%PDF-1.7 same bytes"), max_bytes=1000)
    first = store.commit_original(staged)
    again = store.commit_original(
        store.stage_upload(io.BytesIO(b"%PDF-1.7 same bytes"), max_bytes=1000)
    )
    assert first == again and first.key.endswith(first.sha256)
    path = store.local_path(first.key)
    assert not path.stat().st_mode & stat.S_IWUSR
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    with pytest.raises(TooLarge):
        store.stage_upload(io.BytesIO(b"x" * 2000), max_bytes=1000)
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    for bad in ("../x", "/etc/passwd", "a/../../b", "pages/", "A/b"):
        with pytest.raises(ValueError):
            check_key(bad)


def test_a_bad_setting_refuses_to_start_with_one_line_and_no_secret_is_needed() -> None:
    from ocr_service.errors import ConfigError

    # SOHOA_SECRET_KEY signed nothing (sessions and tokens are random, stored hashed): gone.
    assert not hasattr(Settings(environment="production"), "secret_key")
    with pytest.raises(ConfigError):
        Settings(cookie_secure="sometimes")
    env = {**os.environ, "SOHOA_ENVIRONMENT": "production", "SOHOA_COOKIE_SECURE": "sometimes"}
    proc = subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", "status", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and "SOHOA_COOKIE_SECURE" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_disable_enable_and_revoke_commands(settings: Settings, client: TestClient) -> None:
    _, first = add_user(settings, "binh", "clerk")
    _, other = add_user(settings, "cuc", "reviewer")
    login = {"username": "binh", "password": "binh-mat-khau"}
    assert client.post("/api/v1/session", json=login).status_code == 200
    assert client.get("/api/v1/ledgers").status_code == 200  # the session cookie works

    off = cli(settings, "user", "disable", "binh")
    assert off.returncode == 0, off.stderr
    # The token and the session both stop at the very next request; others go on.
    assert client.get("/api/v1/ledgers", headers=auth(first)).status_code == 401
    assert client.get("/api/v1/ledgers").status_code == 401
    assert client.get("/api/v1/ledgers", headers=auth(other)).status_code == 200
    on = cli(settings, "user", "enable", "binh")
    assert on.returncode == 0, on.stderr
    assert client.get("/api/v1/ledgers", headers=auth(first)).status_code == 200
    # The session open when binh was disabled stays ended; logging in again works.
    assert client.get("/api/v1/ledgers").status_code == 401
    assert client.post("/api/v1/session", json=login).status_code == 200
    assert client.get("/api/v1/ledgers").status_code == 200

    listed = cli(settings, "token", "list", "--user", "binh", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["user"] == "binh" and row["revoked_at"] is None
    assert first not in listed.stdout and first[:12] == row["prefix"]
    everyone = cli(settings, "token", "list")
    assert everyone.returncode == 0 and "cuc" in everyone.stdout and first not in everyone.stdout

    revoked = cli(settings, "token", "revoke", str(row["id"]))
    assert revoked.returncode == 0, revoked.stderr
    assert client.get("/api/v1/ledgers", headers=auth(first)).status_code == 401
    assert client.get("/api/v1/ledgers", headers=auth(other)).status_code == 200
    (after,) = json.loads(cli(settings, "token", "list", "--user", "binh", "--json").stdout)
    assert after["revoked_at"] is not None

    for args in (
        ("user", "disable", "nobody"),
        ("user", "enable", "nobody"),
        ("token", "list", "--user", "nobody"),
        ("token", "revoke", "999999"),
        ("token", "revoke", "abc"),
        ("token", "revoke", "99999999999999999999"),
    ):
        bad = cli(settings, *args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1, (args, bad.stderr)
        assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("export",), "Missing argument"),
        (("no-such-command",), "No such command"),
        (("status", "--no-such-option"), "No such option"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    settings: Settings, args: tuple[str, ...], says: str
) -> None:
    # Typer ≥ 0.22 raises its own copy of click's usage errors: they were an "internal error"
    # with exit 1.
    out = cli(settings, *args)
    assert out.returncode == 2, out.stderr
    assert says in out.stderr and out.stderr.count("\n") == 1
    assert "internal error" not in out.stderr
