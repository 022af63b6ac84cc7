"""Blob storage behind one small interface: originals by content hash, derived page images by key.

Callers only see keys (`originals/ab/cd/<sha256>`, `pages/<ledger>/<n>.jpg`); a local directory
(`LocalStorage`, the default) or an S3-compatible object store (`storage_s3.S3Storage`, for
`SOHOA_STORAGE_URL=s3://BUCKET/PREFIX`) implements it, so workers on other machines share pages
through the network alone. Names from uploads never become keys.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ocr_service.errors import ConfigError, SohoaError, TooLarge

if TYPE_CHECKING:
    from ocr_service.config import Settings

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_\-./]*$")
CHUNK = 1024 * 1024


def check_key(key: str) -> str:
    """Keys are produced by sohoa itself; refuse anything that could escape the store."""
    if not _KEY_RE.match(key) or ".." in key.split("/") or key.endswith("/"):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sha256_of_key(key: str) -> str | None:
    """The content hash an original's key names; None for any other key."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == "originals" and original_key(parts[3]) == key:
        return parts[3]
    return None


class BlobNotFound(FileNotFoundError):
    """No blob under this key (yet)."""


class StorageUnavailable(SohoaError):
    """The store cannot be reached, or refuses these credentials."""

    code = "storage_unavailable"
    http_status = 503


class CorruptBlob(SohoaError):
    """A blob's bytes do not hash to the sha256 its key or its record names."""

    code = "corrupt_blob"
    http_status = 500


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str
    size: int


@dataclass(frozen=True)
class StagedUpload:
    """An upload copied to a local temporary file, checked before it becomes an original."""

    path: Path
    sha256: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def stage_stream(stream: BinaryIO, folder: Path | None, *, max_bytes: int) -> StagedUpload:
    """Copy an upload to a private temporary file in `folder` (the system's if None), hashing
    it; refuses it past `max_bytes` and leaves nothing behind then."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="sohoa-upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(
                        f"file is larger than the upload limit of {max_bytes // 1024**2} MiB"
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StagedUpload(path=Path(tmp), sha256=digest.hexdigest(), size=size)


class Storage(ABC):
    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A local file with the blob's bytes while the context lasts: the file itself for a
        local store, a private temporary copy (removed afterwards) for a remote one."""

    @abstractmethod
    def check(self) -> None:
        """Raise StorageUnavailable, in one line, unless the store can be read and written."""

    def presigned_url(self, key: str, *, expires_seconds: int) -> str | None:
        """A URL that lets a browser fetch the blob directly for a while; None where the
        store has no such thing (a local folder: the API streams it instead)."""
        return None

    def describe(self) -> str:
        """Where the blobs are, without credentials (for start-up lines and errors)."""
        return type(self).__name__

    @abstractmethod
    def stage_upload(self, stream: BinaryIO, *, max_bytes: int) -> StagedUpload:
        """Copy an upload to a private local file, hashing it; nothing is stored yet."""

    @abstractmethod
    def commit_original(self, staged: StagedUpload) -> StoredBlob:
        """Store a checked upload by its sha256; the same bytes twice are stored once."""

    def put_file(self, key: str, path: Path) -> None:
        """Store a local file under `key`; stores that can stream it override this."""
        self.put_bytes(key, path.read_bytes())

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        with self.open(key) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _atomic_write(self, path: Path, write: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)  # type: ignore[operator]
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes) -> None:
        self._atomic_write(self._path(key), lambda fh: fh.write(data))

    def put_file(self, key: str, path: Path) -> None:
        with path.open("rb") as src:
            self._atomic_write(self._path(key), lambda fh: shutil.copyfileobj(src, fh, CHUNK))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path:
        """The blob's own file (this store only: callers of the interface use local_copy)."""
        return self._path(key)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        yield path

    def check(self) -> None:
        probe = self.root / "tmp" / f".probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(
                f"cannot write to the storage folder {self.root}: {exc.strerror}"
            ) from None

    def describe(self) -> str:
        return f"folder {self.root}"

    def stage_upload(self, stream: BinaryIO, *, max_bytes: int) -> StagedUpload:
        return stage_stream(stream, self.root / "tmp", max_bytes=max_bytes)

    def commit_original(self, staged: StagedUpload) -> StoredBlob:
        key = original_key(staged.sha256)
        target = self._path(key)
        if target.exists():
            staged.path.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.path, target)
            # Originals are immutable: read-only on disk as a guard against accidents.
            target.chmod(0o444)
        return StoredBlob(key=key, sha256=staged.sha256, size=staged.size)

    def copy_to(self, key: str, dest: Path) -> None:
        shutil.copyfile(self._path(key), dest)


def get_storage(settings: Settings | None = None) -> Storage:
    """The installation's store: `SOHOA_STORAGE_URL` (s3://BUCKET/PREFIX), else the folder
    `store` in the data folder. One per configuration and process (an S3 client is reused)."""
    from ocr_service.config import get_settings

    settings = settings or get_settings()
    target = settings.storage_target()
    if target.scheme == "s3":
        return _s3_storage(target.bucket, target.prefix, settings.s3_client_options())
    return LocalStorage(Path(settings.data_dir) / "store")


def _s3_storage(bucket: str, prefix: str, options: tuple[tuple[str, str | None], ...]) -> Storage:
    from ocr_service.storage_s3 import cached_s3_storage

    try:
        return cached_s3_storage(bucket, prefix, options)
    except ImportError as exc:  # boto3 is a dependency; a broken install says so in one line
        raise ConfigError(f"s3:// storage needs boto3: {exc}") from None
