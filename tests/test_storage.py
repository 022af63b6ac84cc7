"""The storage contract, the same tests on both backends: a local folder and an S3 API server."""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
from pathlib import Path

import boto3
import httpx
import pytest

from ocr_service.config import Settings
from ocr_service.errors import ConfigError, TooLarge
from ocr_service.storage import (
    CHUNK,
    BlobNotFound,
    CorruptBlob,
    LocalStorage,
    Storage,
    StorageUnavailable,
    get_storage,
    original_key,
)
from ocr_service.storage_s3 import S3Storage
from tests.conftest import S3_TEST_CREDENTIALS, free_port, make_bucket, s3_settings


def s3_client(endpoint: str) -> object:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_TEST_CREDENTIALS["AWS_DEFAULT_REGION"],
    )


@pytest.fixture
def sys_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temporary folder, private to this test, to see what is left in it."""
    folder = tmp_path / "sys-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path, sys_tmp: Path) -> Storage:
    if request.param == "local":
        return get_storage(Settings(environment="test", data_dir=tmp_path / "data"))
    endpoint: str = request.getfixturevalue("s3_endpoint")
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        **s3_settings(endpoint, make_bucket(endpoint)),  # type: ignore[arg-type]
    )
    return get_storage(settings)


def leftovers(storage: Storage, sys_tmp: Path) -> list[Path]:
    """Temporary files the store left behind: in its own folder, or the system's."""
    folder = storage.root / "tmp" if isinstance(storage, LocalStorage) else sys_tmp
    return sorted(folder.iterdir())


def test_the_default_store_is_the_data_folder(tmp_path: Path) -> None:
    store = get_storage(Settings(environment="test", data_dir=tmp_path))
    assert isinstance(store, LocalStorage) and store.root == (tmp_path / "store").resolve()


def test_an_s3_url_picks_the_object_store(s3_endpoint: str, tmp_path: Path) -> None:
    bucket = make_bucket(s3_endpoint)
    settings = Settings(environment="test", **s3_settings(s3_endpoint, bucket, "a/b/"))  # type: ignore[arg-type]
    store = get_storage(settings)
    assert isinstance(store, S3Storage) and (store.bucket, store.prefix) == (bucket, "a/b")
    store.put_bytes("pages/l1/00001.jpg", b"jpeg")
    listed = s3_client(s3_endpoint).list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]
    assert [o["Key"] for o in listed["Contents"]] == ["a/b/pages/l1/00001.jpg"]
    assert not (tmp_path / "sohoa-data").exists()


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "/srv/sohoa", "minio://b/p"])
def test_a_storage_url_that_is_not_s3_is_refused_by_name(url: str) -> None:
    with pytest.raises(ConfigError, match=r"SOHOA_STORAGE_URL=.*s3://BUCKET/PREFIX"):
        Settings(environment="test", storage_url=url)


def test_blobs_round_trip(storage: Storage) -> None:
    big = bytes(range(256)) * (3 * CHUNK // 256 + 7)
    storage.put_bytes("pages/l1/00001.jpg", b"first")
    storage.put_bytes("pages/l1/00001.jpg", b"second")  # derived images are replaced
    storage.put_bytes("pages/l1/00002.png", big)
    assert storage.get_bytes("pages/l1/00001.jpg") == b"second"
    assert storage.exists("pages/l1/00002.png")
    assert b"".join(storage.iter_chunks("pages/l1/00002.png")) == big
    with storage.open("pages/l1/00002.png") as fh:
        assert fh.read(5) == big[:5]
    with storage.local_copy("pages/l1/00002.png") as path:
        assert path.read_bytes() == big
    storage.delete("pages/l1/00001.jpg")
    storage.delete("pages/l1/00001.jpg")  # deleting twice is fine
    assert not storage.exists("pages/l1/00001.jpg")


def test_a_missing_blob_is_blob_not_found(storage: Storage) -> None:
    assert not storage.exists("pages/none/00001.jpg")
    with pytest.raises(BlobNotFound):
        storage.get_bytes("pages/none/00001.jpg")
    with pytest.raises(BlobNotFound):
        storage.open("pages/none/00001.jpg")
    with pytest.raises(BlobNotFound), storage.local_copy("pages/none/00001.jpg"):
        pass


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "pages/", "A/b"])
def test_keys_that_could_escape_are_refused(storage: Storage, bad: str) -> None:
    with pytest.raises(ValueError):
        storage.put_bytes(bad, b"x")
    with pytest.raises(ValueError):
        storage.get_bytes(bad)


def test_originals_are_content_addressed_and_stored_once(storage: Storage, sys_tmp: Path) -> None:
    data = b"%PDF-1.7 the same bytes" * 1000
    first = storage.commit_original(storage.stage_upload(io.BytesIO(data), max_bytes=10**6))
    again = storage.commit_original(storage.stage_upload(io.BytesIO(data), max_bytes=10**6))
    sha = hashlib.sha256(data).hexdigest()
    assert first == again
    assert (first.key, first.sha256, first.size) == (original_key(sha), sha, len(data))
    assert storage.get_bytes(first.key) == data
    with storage.local_copy(first.key) as path:
        assert path.read_bytes() == data
    assert leftovers(storage, sys_tmp) == []


def test_an_upload_over_the_limit_leaves_nothing(storage: Storage, sys_tmp: Path) -> None:
    with pytest.raises(TooLarge):
        storage.stage_upload(io.BytesIO(b"x" * 2000), max_bytes=1000)
    staged = storage.stage_upload(io.BytesIO(b"refused later"), max_bytes=1000)
    staged.discard()
    assert leftovers(storage, sys_tmp) == []


def test_an_original_is_never_overwritten(storage: Storage) -> None:
    """Put-if-absent: different bytes found under a hash's key are reported, not replaced."""
    data = b"%PDF-1.7 genuine"
    key = original_key(hashlib.sha256(data).hexdigest())
    if isinstance(storage, LocalStorage):
        path = storage.local_path(key)
        path.parent.mkdir(parents=True)
        path.write_bytes(b"tampered")
        storage.commit_original(storage.stage_upload(io.BytesIO(data), max_bytes=1000))
        assert path.read_bytes() == b"tampered"  # as before: the folder is trusted
        return
    storage.put_bytes(key, b"tampered")
    with pytest.raises(CorruptBlob):
        storage.commit_original(storage.stage_upload(io.BytesIO(data), max_bytes=1000))
    assert storage.get_bytes(key) == b"tampered"
    with pytest.raises(CorruptBlob), storage.local_copy(key):
        pass


def test_the_store_checks_it_can_be_used(storage: Storage) -> None:
    storage.check()
    assert storage.describe()


def test_an_unknown_bucket_or_a_dead_endpoint_is_one_clear_line(
    s3_endpoint: str, tmp_path: Path
) -> None:
    missing = Settings(environment="test", **s3_settings(s3_endpoint, "sohoa-no-such-bucket"))  # type: ignore[arg-type]
    with pytest.raises(StorageUnavailable) as exc:
        get_storage(missing).check()
    assert "s3://sohoa-no-such-bucket/sohoa" in exc.value.message
    assert "\n" not in exc.value.message
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as exc:
        get_storage(Settings(environment="test", **s3_settings(dead, "sohoa-x"))).check()  # type: ignore[arg-type]
    assert dead in exc.value.message and "\n" not in exc.value.message
    assert time.monotonic() - started < 60


def test_presigned_urls_fetch_the_blob_without_credentials(storage: Storage) -> None:
    storage.put_bytes("pages/l1/00001.thumb.jpg", b"thumb bytes")
    url = storage.presigned_url("pages/l1/00001.thumb.jpg", expires_seconds=60)
    if isinstance(storage, LocalStorage):
        assert url is None  # the API streams it
        return
    assert url is not None
    assert httpx.get(url).content == b"thumb bytes"
    unsigned = url.split("?", 1)[0]
    assert httpx.get(unsigned).status_code == 403
