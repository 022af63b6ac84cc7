"""A model version: a folder with ``model.onnx`` and ``model.json`` (ocr/rec_model.py reads it).

model.json: format, charset, blank index, reading convention, sha256 of model.onnx, the
sha256 of the model it was trained from, data counts, metrics and training figures. Stored
content-addressed (storage.py) under ``models/<sha256>/``, so a version is named by its bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ocr_service.errors import BadInput
from ocr_service.ocr.rec_model import FORMAT, META_FILE, MODEL_FILE, model_sha256, read_meta
from ocr_service.ocr.recogniser import Reading
from ocr_service.storage import Storage

STORE_PREFIX = "models"


def write_model_dir(
    folder: Path,
    *,
    charset: list[str],
    reading: Reading,
    base_sha256: str,
    data: dict[str, int],
    metrics: dict[str, float],
    training: dict[str, Any],
    blank: int = 0,
) -> dict[str, Any]:
    """model.json beside the folder's model.onnx (already written); returns its content."""
    onnx_path = folder / MODEL_FILE
    if not onnx_path.is_file():
        raise BadInput(f"{onnx_path} is missing")
    meta: dict[str, Any] = {
        "format": FORMAT,
        "sha256": model_sha256(onnx_path),
        "base_sha256": base_sha256,
        "charset": charset,
        "blank": blank,
        "reading": reading.to_json(),
        "data": data,
        "metrics": metrics,
        "training": training,
    }
    (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    return meta


def update_metrics(folder: Path, metrics: dict[str, float]) -> dict[str, Any]:
    """Adds measurements to a model dir's model.json (its sha256 is unchanged)."""
    meta = read_meta(folder)
    meta["metrics"] = {**meta.get("metrics", {}), **metrics}
    (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    return meta


def store_key(sha256: str, name: str) -> str:
    """models/ab/<hex digest>/<name>: the key of a version's file, by its model's sha256."""
    digest = sha256.removeprefix("sha256:")
    return f"{STORE_PREFIX}/{digest[:2]}/{digest}/{name}"


def store_model_dir(storage: Storage, folder: Path) -> str:
    """Puts a model dir into storage under its model's sha256; returns that sha256. The same
    model twice is stored once."""
    meta = read_meta(folder)
    sha = str(meta["sha256"])
    if model_sha256(folder / MODEL_FILE) != sha:
        raise BadInput(f"{folder / MODEL_FILE} does not match the sha256 of its {META_FILE}")
    if not storage.exists(store_key(sha, MODEL_FILE)):
        storage.put_bytes(store_key(sha, MODEL_FILE), (folder / MODEL_FILE).read_bytes())
    storage.put_bytes(store_key(sha, META_FILE), (folder / META_FILE).read_bytes())
    return sha


def fetch_model_dir(storage: Storage, sha256: str, dest: Path) -> Path:
    """A stored version copied into the folder `dest` (a model dir the engine can load)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, META_FILE):
        key = store_key(sha256, name)
        if not storage.exists(key):
            raise BadInput(f"no stored model {sha256}")
        with storage.open(key) as src, (dest / name).open("wb") as out:
            shutil.copyfileobj(src, out)
    if model_sha256(dest / MODEL_FILE) != sha256:
        raise BadInput(f"stored model {sha256} is damaged")
    return dest
