"""Bad input gets one clear line (CLI) or a 4xx JSON error (API); odd valid input works."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from models.entities import Ledger, Original, Page
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.ingest.documents import Limits, split_pages
from ocr_service.ingest.sniff import sniff_media_type
from tests.conftest import RESOURCES, auth

INGEST = RESOURCES / "ingest"

BAD = {
    "empty.pdf": (422, "empty"),
    "text-renamed.pdf": (415, "plain text, not a PDF"),
    "truncated.pdf": (422, "truncated"),
    "encrypted.pdf": (422, "password"),
    "huge-60000.png": (413, "60000×60000"),
    "svg-renamed.png": (415, "SVG"),
}
GOOD = {
    "cmyk.jpg": 1,
    "exif-rotated.jpg": 1,
    "grey16.png": 1,
    "palette.png": 1,
    "three-pages.tif": 3,
    "broken-xref.pdf": 2,
    "scanned-4.pdf": 4,
}


@pytest.fixture(scope="module")
def five_thousand_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    doc = pymupdf.open()
    for _ in range(5000):
        doc.new_page(width=595, height=842)
    path = tmp_path_factory.mktemp("big") / "5000-pages.pdf"
    doc.save(path, garbage=1, deflate=True)
    return path


def stored_state(settings: Settings) -> tuple[int, int, int, list[str]]:
    store = settings.data_dir / "store"
    files = sorted(
        str(p.relative_to(store))
        for p in store.rglob("*")
        if p.is_file() and p.relative_to(store).parts[0] != "tmp"
    )
    with session_scope(settings) as session:
        return (
            session.scalar(select(func.count()).select_from(Ledger)) or 0,
            session.scalar(select(func.count()).select_from(Original)) or 0,
            session.scalar(select(func.count()).select_from(Page)) or 0,
            files,
        )


def wait_done(client: TestClient, token: str, ledger_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/ledgers/{ledger_id}", headers=auth(token)).json()
        if body["status"] in ("done", "partial", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"ledger {ledger_id} did not finish: {body}")


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_DATABASE_URL": settings.db_url,
        "SOHOA_OCR_ENGINE": "none",
    }
    env.pop("SOHOA_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ocr_service.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_cli_refuses_bad_input_with_one_line(settings: Settings, five_thousand_pages: Path) -> None:
    ok = run_cli(settings, "ingest", str(INGEST / "scanned-4.pdf"), "--register", "khai-sinh")
    assert ok.returncode == 0, ok.stderr
    before = stored_state(settings)
    cases = [*(INGEST / n for n in BAD), five_thousand_pages]
    for path in cases:
        proc = run_cli(settings, "ingest", str(path), "--register", "khai-sinh")
        assert proc.returncode == 2, (path.name, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, (path.name, proc.stderr)
        assert "Traceback" not in proc.stderr
        expected = BAD.get(path.name, (413, "5000 pages"))[1]
        assert expected in lines[0], lines[0]
    assert stored_state(settings) == before


def test_cli_refuses_unknown_register(settings: Settings) -> None:
    proc = run_cli(settings, "ingest", str(INGEST / "cmyk.jpg"), "--register", "khai-sinhh")
    assert proc.returncode == 2
    assert "unknown register" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_api_refuses_bad_input_with_json(
    client: TestClient, admin_token: str, settings: Settings, five_thousand_pages: Path
) -> None:
    good = client.post(
        "/api/v1/ledgers",
        files={"file": ("so.pdf", (INGEST / "scanned-4.pdf").read_bytes(), "application/pdf")},
        data={"register": "khai-sinh"},
        headers=auth(admin_token),
    )
    assert good.status_code == 202, good.text
    wait_done(client, admin_token, good.json()["id"])
    before = stored_state(settings)
    uploads = [(n, (INGEST / n).read_bytes(), BAD[n]) for n in BAD]
    uploads.append(("5000.pdf", five_thousand_pages.read_bytes(), (413, "5000 pages")))
    for name, data, (status, words) in uploads:
        r = client.post(
            "/api/v1/ledgers",
            files={"file": (name, data, "application/octet-stream")},
            data={"register": "khai-sinh"},
            headers=auth(admin_token),
        )
        assert r.status_code == status, (name, r.text)
        body = r.json()
        assert set(body) == {"error"} and body["error"]["code"]
        assert words in body["error"]["message"], body
    assert stored_state(settings) == before


def test_path_like_upload_names_never_reach_the_file_system(
    client: TestClient, admin_token: str, settings: Settings
) -> None:
    data = (INGEST / "scanned-4.pdf").read_bytes()
    for name in ("../../x.pdf", "/etc/passwd.pdf", "..\\..\\evil.pdf", "a/../../b.pdf"):
        r = client.post(
            "/api/v1/ledgers",
            files={"file": (name, data, "application/pdf")},
            data={"register": "khai-tu", "book": name},
            headers=auth(admin_token),
        )
        assert r.status_code in (200, 202), r.text
        assert "/" not in (r.json()["filename"] or "") and "\\" not in r.json()["filename"]
    escaped = [p for p in settings.data_dir.parent.rglob("*") if p.name in ("x.pdf", "evil.pdf")]
    assert escaped == []
    store_files = [p.name for p in (settings.data_dir / "store").rglob("*") if p.is_file()]
    assert not any(n.endswith(".pdf") for n in store_files)


def test_cli_refuses_path_like_names_in_manifest(settings: Settings, tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,register\n../../x.pdf,khai-sinh\n", encoding="utf-8")
    proc = run_cli(settings, "ingest", "--manifest", str(manifest))
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


@pytest.mark.parametrize("name,pages", GOOD.items())
def test_valid_odd_input_is_accepted_with_its_pages(name: str, pages: int) -> None:
    path = INGEST / name
    media = sniff_media_type(path, name)
    out = list(split_pages(path, media, Limits(2000, 150_000_000, 200)))
    assert [p.index for p in out] == list(range(1, pages + 1))
    for p in out:
        im = Image.open(__import__("io").BytesIO(p.data))
        assert im.mode in ("L", "RGB"), (name, im.mode)
        assert im.size == (p.width, p.height)


def test_exif_rotated_jpeg_is_stored_upright() -> None:
    path = INGEST / "exif-rotated.jpg"
    stored = Image.open(path)
    assert stored.width > stored.height  # stored sideways
    (page,) = split_pages(path, "image/jpeg", Limits(2000, 150_000_000, 200))
    assert page.height > page.width  # served upright
    im = Image.open(__import__("io").BytesIO(page.data)).convert("L")
    # the black mark sits near the top-left once upright
    assert im.getpixel((100, 100)) < 60


def test_sixteen_bit_png_keeps_its_contrast() -> None:
    (page,) = split_pages(INGEST / "grey16.png", "image/png", Limits(2000, 150_000_000, 200))
    im = Image.open(__import__("io").BytesIO(page.data))
    assert im.mode == "L"
    lo, hi = im.getextrema()
    assert lo == 0 and hi == 255


def test_scanned_pdf_pages_are_extracted_not_rendered() -> None:
    pages = list(split_pages(INGEST / "scanned-4.pdf", "application/pdf", Limits(2000, 10**9, 200)))
    assert {p.source for p in pages} == {"embedded"}
    assert all(p.ext == "jpg" and p.data[:3] == b"\xff\xd8\xff" for p in pages)
    assert (pages[0].width, pages[0].height) == (620, 877)


def test_same_bytes_twice_are_recognised(
    client: TestClient, admin_token: str, settings: Settings
) -> None:
    data = (INGEST / "three-pages.tif").read_bytes()
    first = client.post(
        "/api/v1/ledgers",
        files={"file": ("a.tif", data, "image/tiff")},
        data={"register": "khai-sinh"},
        headers=auth(admin_token),
    )
    second = client.post(
        "/api/v1/ledgers",
        files={"file": ("b.tif", data, "image/tiff")},
        data={"register": "khai-sinh"},
        headers=auth(admin_token),
    )
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["id"] == first.json()["id"] and second.json()["duplicate"] is True
    assert stored_state(settings)[1] == 1


def test_table_ledger_layout_file_is_checked_at_upload(
    client: TestClient, admin_token: str, settings: Settings
) -> None:
    scan = (INGEST / "scanned-4.pdf").read_bytes()
    layout = (RESOURCES / "extract" / "ledger_khai_sinh.toml").read_bytes()
    ok = client.post(
        "/api/v1/ledgers",
        files={"file": ("so.pdf", scan, "application/pdf"), "layout_file": ("l.toml", layout)},
        data={"register": "khai-sinh"},
        headers=auth(admin_token),
    )
    assert ok.status_code == 202, ok.text
    assert ok.json()["layout"] == "table"
    wrong_register = client.post(
        "/api/v1/ledgers",
        files={"file": ("so.pdf", scan, "application/pdf"), "layout_file": ("l.toml", layout)},
        data={"register": "khai-tu"},
        headers=auth(admin_token),
    )
    assert wrong_register.status_code == 422
    assert "khai-sinh register" in wrong_register.json()["error"]["message"]
    broken = layout.replace(b'field = "nksGioiTinh"', b'field = "gioiTinhKhongCo"')
    bad = client.post(
        "/api/v1/ledgers",
        files={
            "file": ("x.tif", (INGEST / "three-pages.tif").read_bytes()),
            "layout_file": ("l.toml", broken),
        },
        data={"register": "khai-sinh"},
        headers=auth(admin_token),
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("layout file: columns[3]")
    garbage = client.post(
        "/api/v1/ledgers",
        files={
            "file": ("x.tif", (INGEST / "three-pages.tif").read_bytes()),
            "layout_file": ("l.toml", b"[[columns]\nfield="),
        },
        data={"register": "khai-sinh"},
        headers=auth(admin_token),
    )
    assert garbage.status_code == 422 and "TOML" in garbage.json()["error"]["message"]


def test_duplicates_are_looked_for_only_in_the_books_the_uploader_sees(
    client: TestClient, settings: Settings
) -> None:
    from tests.factories import add_user

    _, clerk_a = add_user(settings, "lan", commune="Xã An Nhơn")
    _, clerk_a2 = add_user(settings, "hoa", commune="Xã An Nhơn")
    _, clerk_b = add_user(settings, "binh", commune="Xã Hòa Bình")
    _, admin = add_user(settings, "quantri", role="admin")
    data = (INGEST / "three-pages.tif").read_bytes()

    def upload(token: str, name: str) -> dict[str, object]:
        r = client.post(
            "/api/v1/ledgers",
            files={"file": (name, data, "image/tiff")},
            data={"register": "khai-sinh", "book": "01/2019"},
            headers=auth(token),
        )
        assert r.status_code in (200, 202), r.text
        body: dict[str, object] = r.json()
        body["status_code"] = r.status_code
        return body

    theirs = upload(clerk_b, "so-hoa-binh.tif")
    assert theirs["status_code"] == 202
    # Commune A registers its own copy: a new ledger, and not a word of commune B's.
    mine = upload(clerk_a, "so-an-nhon.tif")
    assert mine["status_code"] == 202 and mine["duplicate"] is not True
    assert mine["id"] != theirs["id"] and mine["commune"] == "Xã An Nhơn"
    text = str(mine)
    assert str(theirs["id"]) not in text and "Hòa Bình" not in text
    assert "so-hoa-binh" not in text
    # The bytes are stored once, content-addressed; each commune has its ledger.
    ledgers, originals, _, _ = stored_state(settings)
    assert (ledgers, originals) == (2, 1)
    # Within what a user sees, a duplicate answers as before.
    again = upload(clerk_a2, "lan-nua.tif")
    assert again["status_code"] == 200 and again["duplicate"] is True
    assert again["id"] == mine["id"]
    seen_by_all = upload(admin, "quan-tri.tif")
    assert seen_by_all["status_code"] == 200 and seen_by_all["id"] == theirs["id"]
    assert stored_state(settings)[:2] == (2, 1)
