"""Model versions on this machine: a stored version fetched once into a local cache, and the
settings a page is read with (the version active for its ledger)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.storage import get_storage

CACHE_DIR = "model-cache"  # under the data dir: one model dir per sha256


def local_model_dir(settings: Settings, sha256: str) -> Path:
    """The stored version `sha256` as a model dir on this machine (fetched on first use)."""
    from ocr_service.ocr.rec_model import META_FILE
    from ocr_service.training.version import fetch_model_dir

    folder = settings.data_dir / CACHE_DIR / sha256
    if (folder / META_FILE).is_file():
        return folder
    partial = folder.with_name(f"{sha256}.{os.getpid()}.part")
    shutil.rmtree(partial, ignore_errors=True)
    fetch_model_dir(get_storage(settings), sha256, partial)
    try:
        partial.rename(folder)
    except OSError:  # another process put it there first
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def with_model_dir(settings: Settings, model_dir: Path | None) -> Settings:
    """`settings` reading with the recogniser of `model_dir` (None: as configured)."""
    if model_dir is None:
        return settings
    vi = settings.ocr.vi.model_copy(update={"model_dir": str(model_dir)})
    ocr = settings.ocr.model_copy(update={"vi": vi})
    return settings.model_copy(update={"ocr": ocr})


def reading_settings(settings: Settings, ledger_id: str) -> Settings:
    """The settings a page of the ledger is read with: the most specific active version's
    recogniser, else the configured one."""
    from models.entities import Ledger
    from ocr_service.learning.scopes import version_for_ledger

    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        version = version_for_ledger(session, ledger) if ledger is not None else None
        sha = version.sha256 if version is not None else None
    return with_model_dir(settings, local_model_dir(settings, sha) if sha else None)
