"""A whole book with its blobs in an S3 object store: uploaded, read, served and exported
through the API, with no page image in the data folder."""

from __future__ import annotations

import io
import time
from pathlib import Path

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from models.entities import Ledger, Page
from ocr_service.db import session_scope, upgrade_database
from ocr_service.export.from_db import page_loader
from ocr_service.jobs.tasks import process_page, split_ledger
from ocr_service.storage import StorageUnavailable, get_storage
from tests.conftest import (
    S3_TEST_CREDENTIALS,
    auth,
    free_port,
    make_bucket,
    make_settings,
    s3_settings,
)
from tests.test_jobs_workers import add_ledger, book_pdf

PAGES = 4
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pdf", ".tif", ".tiff"}


def image_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]


def wait_finished(client: TestClient, token: str, ledger_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/ledgers/{ledger_id}", headers=auth(token)).json()
        if body["status"] in ("done", "partial", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"ledger {ledger_id} did not finish: {body}")


def test_a_book_in_s3_is_ingested_read_served_and_exported(
    tmp_path: Path, s3_endpoint: str
) -> None:
    from ocr_service.api.app import create_app
    from ocr_service.auth import create_token, create_user

    bucket = make_bucket(s3_endpoint)
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'sohoa.db'}",
        **s3_settings(s3_endpoint, bucket, "tinh/xa"),
    )
    upgrade_database(settings)
    with session_scope(settings) as session:
        token = create_token(session, create_user(session, "admin", "admin", password="mk-admin"))
    pdf = book_pdf(tmp_path / "so.pdf", PAGES)
    with TestClient(create_app(settings)) as client:
        up = client.post(
            "/api/v1/ledgers",
            files={"file": ("so.pdf", pdf.read_bytes(), "application/pdf")},
            data={"register": "khai-sinh", "commune": "Xã Mẫu", "book": "01", "year": "2019"},
            headers=auth(token),
        )
        assert up.status_code == 202, up.text
        ledger_id = up.json()["id"]
        body = wait_finished(client, token, ledger_id)
        assert body["status"] == "done", body

        store = get_storage(settings)
        s3 = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            aws_access_key_id=S3_TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=S3_TEST_CREDENTIALS["AWS_DEFAULT_REGION"],
        )
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
        assert all(k.startswith("tinh/xa/") for k in keys)
        assert sum(k.startswith(f"tinh/xa/pages/{ledger_id}/") for k in keys) == PAGES
        assert sum(k.startswith(f"tinh/xa/thumbs/{ledger_id}/") for k in keys) == PAGES
        assert sum(k.startswith("tinh/xa/originals/") for k in keys) == 1

        for n in range(1, PAGES + 1):
            for size in ("full", "thumb", "original"):
                r = client.get(
                    f"/api/v1/ledgers/{ledger_id}/pages/{n}/image",
                    params={"size": size},
                    headers=auth(token),
                )
                assert r.status_code == 200, r.text
                assert r.headers["content-type"] == "image/jpeg"
                with Image.open(io.BytesIO(r.content)) as im:
                    assert im.width > 0
            where = client.get(
                f"/api/v1/ledgers/{ledger_id}/pages/{n}/image-url", headers=auth(token)
            )
            assert where.status_code == 200 and where.json()["expires_in"] == 300
            direct = httpx.get(where.json()["url"])
            assert direct.status_code == 200
            assert (
                direct.content
                == client.get(
                    f"/api/v1/ledgers/{ledger_id}/pages/{n}/image", headers=auth(token)
                ).content
            )
        assert client.get(f"/api/v1/ledgers/{ledger_id}/pages/1/image-url").status_code == 401
        missing = client.get(f"/api/v1/ledgers/{ledger_id}/pages/99/image", headers=auth(token))
        assert missing.status_code == 404 and set(missing.json()) == {"error"}

        # Exports that embed page images (the Ministry zip, training crops) read them here.
        load = page_loader(settings, ledger_id)
        for n in range(1, PAGES + 1):
            assert load(n) == store.get_bytes(f"pages/{ledger_id}/{n:05d}.jpg")
        store.check()
    assert image_files(settings.data_dir) == []


def test_image_url_without_object_storage_is_the_api_itself(
    tmp_path: Path,
) -> None:
    from ocr_service.api.app import create_app
    from ocr_service.auth import create_token, create_user

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'sohoa.db'}")
    upgrade_database(settings)
    with session_scope(settings) as session:
        token = create_token(session, create_user(session, "admin", "admin", password="mk-admin"))
    pdf = book_pdf(tmp_path / "so.pdf", 1)
    with TestClient(create_app(settings)) as client:
        up = client.post(
            "/api/v1/ledgers",
            files={"file": ("so.pdf", pdf.read_bytes(), "application/pdf")},
            data={"register": "khai-sinh"},
            headers=auth(token),
        )
        ledger_id = up.json()["id"]
        assert wait_finished(client, token, ledger_id)["status"] == "done"
        where = client.get(
            f"/api/v1/ledgers/{ledger_id}/pages/1/image-url",
            params={"size": "thumb"},
            headers=auth(token),
        ).json()
        assert where == {
            "url": f"http://testserver/api/v1/ledgers/{ledger_id}/pages/1/image?size=thumb",
            "expires_in": None,
        }
        assert client.get(where["url"], headers=auth(token)).status_code == 200


class Collect:
    """A dispatcher that keeps what would be queued."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, str | int]] = []

    def submit(self, task: str, arg: str | int) -> None:
        self.queued.append((task, arg))


def test_a_store_outage_neither_stops_a_split_nor_fails_a_page(
    tmp_path: Path, s3_endpoint: str
) -> None:
    """The store down is not the book's fault: the split stays resumable and the page is tried
    again, where a damaged page would stop the split or fail at once."""
    bucket = make_bucket(s3_endpoint)
    db = f"sqlite:///{tmp_path / 'sohoa.db'}"
    good = make_settings(tmp_path, db, page_lease_seconds=0, **s3_settings(s3_endpoint, bucket))
    dead_endpoint = f"http://127.0.0.1:{free_port()}"
    down = make_settings(tmp_path, db, page_lease_seconds=0, **s3_settings(dead_endpoint, bucket))
    upgrade_database(good)
    ledger_id = add_ledger(good, book_pdf(tmp_path / "so.pdf", 2))

    with pytest.raises(StorageUnavailable):
        split_ledger(ledger_id, down, Collect())
    with session_scope(good) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and (ledger.status, ledger.error) == ("splitting", None)
    assert split_ledger(ledger_id, good, Collect()) == 2

    with session_scope(good) as session:
        page_ids = session.scalars(
            select(Page.id).where(Page.ledger_id == ledger_id).order_by(Page.index)
        ).all()
    again = Collect()
    assert process_page(page_ids[0], down, again) == "retry"
    assert again.queued == [("page", page_ids[0])]
    with session_scope(good) as session:
        page = session.get(Page, page_ids[0])
        assert page is not None and page.state == "pending"
        assert page.error is not None and page.error.startswith("StorageUnavailable")
    assert process_page(page_ids[0], good, Collect()) == "done"
