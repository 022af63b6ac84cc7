"""Blob storage behind one small interface: originals by content hash, derived page images by key.

Callers only see keys (`originals/ab/cd/<sha256>`, `pages/<ledger>/<n>.jpg`); a local directory
implements it now, and an S3-compatible store can implement the same methods later so workers
on other machines share pages. Names from uploads never become keys.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ocr_service.errors import TooLarge

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_\-./]*$")
CHUNK = 1024 * 1024


def check_key(key: str) -> str:
    """Keys are produced by sohoa itself; refuse anything that could escape the store."""
    if not _KEY_RE.match(key) or ".." in key.split("/") or key.endswith("/"):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


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
    def local_path(self, key: str) -> Path:
        """A local file with the blob's bytes (a cached copy for remote stores)."""

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
        return self._path(key).read_bytes()

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def stage_upload(self, stream: BinaryIO, *, max_bytes: int) -> StagedUpload:
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp")
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


def get_storage(data_dir: Path | None = None) -> LocalStorage:
    from ocr_service.config import get_settings

    return LocalStorage(Path(data_dir or get_settings().data_dir) / "store")
