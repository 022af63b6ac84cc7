"""The storage interface on an S3-compatible object store (AWS S3, MinIO, Ceph; moto in tests).

Keys are the same as in the local folder, under the URL's prefix: `s3://sohoa/prod` stores
`pages/<ledger>/00001.jpg` as `prod/pages/<ledger>/00001.jpg` in bucket `sohoa`. Originals are
written once, put-if-absent (`If-None-Match: *`), with their sha256 sent for the store to check
and kept as metadata; a copy read back for a split is hashed again before use.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ocr_service.storage import (
    CHUNK,
    BlobNotFound,
    CorruptBlob,
    StagedUpload,
    Storage,
    StorageUnavailable,
    StoredBlob,
    check_key,
    original_key,
    sha256_of_key,
    stage_stream,
)

# Connection set-up: a store that is down is reported in seconds, not after minutes.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
RETRIES = 3
MISSING = {"404", "NoSuchKey", "NotFound"}
ALREADY_THERE = {"412", "PreconditionFailed"}
SHA256_META = "sha256"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _b64_sha256(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class S3Storage(Storage):
    def __init__(self, bucket: str, prefix: str, client: Any, *, endpoint: str | None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.endpoint = endpoint

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} at {self.endpoint}" if self.endpoint else where

    def _unavailable(self, exc: Exception) -> StorageUnavailable:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StorageUnavailable(f"object store {self.describe()}: {text}")

    def put_bytes(self, key: str, data: bytes) -> None:
        digest = hashlib.sha256(data).digest()
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ChecksumSHA256=_b64_sha256(digest),
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable(exc) from exc

    def _get(self, key: str) -> dict[str, Any]:
        try:
            return cast(
                dict[str, Any], self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            )
        except ClientError as exc:
            if _code(exc) in MISSING:
                raise BlobNotFound(key) from None
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc) from exc

    def get_bytes(self, key: str) -> bytes:
        body = self._get(key)["Body"]
        try:
            return cast(bytes, body.read())
        finally:
            body.close()

    def open(self, key: str) -> BinaryIO:
        return cast(BinaryIO, self._get(key)["Body"])

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        body = self._get(key)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return cast(
                dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            )
        except ClientError as exc:
            if _code(exc) in MISSING:
                return None
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc) from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable(exc) from exc

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A private temporary copy in the system's temporary folder, removed afterwards;
        an original's copy is hashed on the way and refused if it is not what its key says."""
        expected = sha256_of_key(key)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(prefix="sohoa-blob-")
        path = Path(tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self.iter_chunks(key):
                    digest.update(chunk)
                    out.write(chunk)
            if expected is not None and digest.hexdigest() != expected:
                raise CorruptBlob(f"stored original {key} does not match its sha256")
            yield path
        finally:
            path.unlink(missing_ok=True)

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable(exc) from None

    def presigned_url(self, key: str, *, expires_seconds: int) -> str | None:
        url = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=expires_seconds,
        )
        return str(url)

    def stage_upload(self, stream: BinaryIO, *, max_bytes: int) -> StagedUpload:
        return stage_stream(stream, None, max_bytes=max_bytes)

    def commit_original(self, staged: StagedUpload) -> StoredBlob:
        """Put-if-absent: the first writer of these bytes stores them; any later one (the
        same upload twice, two API machines at once) finds them there and checks the hash."""
        key = original_key(staged.sha256)
        try:
            with staged.path.open("rb") as fh:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    Body=fh,
                    IfNoneMatch="*",
                    ChecksumSHA256=_b64_sha256(bytes.fromhex(staged.sha256)),
                    Metadata={SHA256_META: staged.sha256},
                )
        except ClientError as exc:
            if _code(exc) not in ALREADY_THERE:
                raise self._unavailable(exc) from exc
            head = self._head(key)
            stored = (head or {}).get("Metadata", {}).get(SHA256_META)
            if (
                head is None
                or head.get("ContentLength") != staged.size
                or (stored is not None and stored != staged.sha256)
            ):
                raise CorruptBlob(f"stored original {key} differs from the upload") from None
        except BotoCoreError as exc:
            raise self._unavailable(exc) from exc
        finally:
            with suppress(OSError):
                staged.path.unlink()
        return StoredBlob(key=key, sha256=staged.sha256, size=staged.size)


def make_client(options: tuple[tuple[str, str | None], ...]) -> Any:
    kwargs = {name: value for name, value in options if value is not None}
    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"max_attempts": RETRIES, "mode": "standard"},
        # MinIO and most self-hosted stores serve buckets as paths, not host names.
        s3={"addressing_style": "path" if kwargs.get("endpoint_url") else "auto"},
        signature_version="s3v4",
    )
    return boto3.session.Session().client("s3", config=config, **kwargs)


@lru_cache(maxsize=8)
def cached_s3_storage(
    bucket: str, prefix: str, options: tuple[tuple[str, str | None], ...]
) -> S3Storage:
    endpoint = dict(options).get("endpoint_url")
    return S3Storage(bucket, prefix, make_client(options), endpoint=endpoint)
