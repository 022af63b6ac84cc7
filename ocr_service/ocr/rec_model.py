"""Which recogniser model the `vi` engine reads with: sohoa's default, asterocr's, or a model dir.

The default (``shipped_model``) is the model dir that ships in this package,
``ocr/default_model``: asterocr's model fine-tuned on synthetic register lines of the
generator's tuning group (training/forms.py; docs/BENCHMARKS.md "Tenth session"). asterocr's
own model stays readable by the name ``asterocr`` (SOHOA_VI_MODEL_DIR=asterocr) and is what
that recipe starts from.

A model dir (written by ocr_service/training/version.py) holds ``model.onnx`` (the same
AsterNet graph as the shipped model, other weights) and ``model.json``: its charset (class
index -> character, index 0 the CTC blank), its reading convention (recogniser.Reading), the
sha256 of the ONNX file and what it was trained from. Nothing here needs PyTorch.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr_service.errors import BadInput, EngineUnavailable
from ocr_service.ocr.base import file_sha256
from ocr_service.ocr.recogniser import SHIPPED_READING, Reading

MODEL_FILE = "model.onnx"
META_FILE = "model.json"
FORMAT = "sohoa-recogniser/1"


@dataclass(frozen=True)
class RecModel:
    """An ONNX recogniser, its charset and the convention it reads lines with."""

    path: Path
    chars: tuple[str, ...]  # class index -> character; chars[blank] is the CTC blank
    reading: Reading
    sha256: str
    name: str  # what the provenance calls it: "asternet.onnx" or "model.onnx"
    blank: int = 0

    @property
    def label(self) -> str:
        """The provenance line: file name and sha256."""
        return f"{self.name} {self.sha256}"


def model_sha256(path: Path) -> str:
    """ "sha256:<hex>" of a model file, read now (base.file_sha256 caches per path: a model
    dir's file can be replaced by a new version at the same path)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


ASTEROCR = "asterocr"  # the model_dir that names asterocr's own model
DEFAULT_MODEL_DIR = Path(__file__).parent / "default_model"


@functools.cache
def shipped_model() -> RecModel:
    """The model sohoa reads with by default: the package's model dir, or asterocr's own
    model where an installation lacks that folder (read once: package files do not change)."""
    if (DEFAULT_MODEL_DIR / MODEL_FILE).is_file():
        return load_model_dir(DEFAULT_MODEL_DIR)
    return asterocr_model()


def asterocr_model() -> RecModel:
    """asterocr's asternet.onnx with its vocabulary, read the way the engine was tuned."""
    try:
        import asterocr
        from asterocr.vocab import default_vocab
    except ImportError as exc:
        raise EngineUnavailable(
            f"the recogniser needs asterocr: pip install asterocr==1.0.2 ({exc})"
        ) from exc
    path = Path(asterocr.__file__).parent / "assets" / "asternet.onnx"
    if not path.is_file():
        raise EngineUnavailable(
            "the model file of asterocr is missing; reinstall: "
            "pip install --force-reinstall asterocr==1.0.2"
        )
    idx2char: dict[int, str] = dict(default_vocab.idx2char)
    chars = tuple(idx2char.get(i, "") for i in range(max(idx2char) + 1))
    return RecModel(
        path=path,
        chars=chars,
        reading=SHIPPED_READING,
        sha256=file_sha256(path),
        name="asternet.onnx",
        blank=int(default_vocab.blank_idx),
    )


def read_meta(model_dir: Path) -> dict[str, Any]:
    """model.json of a model dir, checked for what the engine needs (BadInput otherwise)."""
    meta_path = model_dir / META_FILE
    if not (model_dir / MODEL_FILE).is_file() or not meta_path.is_file():
        raise BadInput(f"{model_dir} is not a model dir: it needs {MODEL_FILE} and {META_FILE}")
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{meta_path} cannot be read: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BadInput(f"{meta_path} is not a {FORMAT} model description")
    chars, reading = meta.get("charset"), meta.get("reading")
    if not isinstance(chars, list) or len(chars) < 2 or not isinstance(reading, dict):
        raise BadInput(f"{meta_path} lacks its charset or reading convention")
    return meta


def reading_of(raw: dict[str, Any]) -> Reading:
    scale = raw.get("scale")
    if scale not in ("unit", "signed"):
        raise BadInput(f"unknown pixel scale in model.json: {scale!r}")
    return Reading(scale=scale, width=float(raw.get("width", 1.0)), squeeze=bool(raw["squeeze"]))


def load_model_dir(model_dir: Path | str) -> RecModel:
    """The recogniser of a model dir; its ONNX file must match the sha256 model.json gives."""
    folder = Path(model_dir)
    meta = read_meta(folder)
    path = folder / MODEL_FILE
    sha = model_sha256(path)
    if meta.get("sha256") != sha:
        raise BadInput(f"{path} does not match the sha256 in its {META_FILE}")
    return RecModel(
        path=path,
        chars=tuple(str(c) for c in meta["charset"]),
        reading=reading_of(meta["reading"]),
        sha256=sha,
        name=MODEL_FILE,
        blank=int(meta.get("blank", 0)),
    )


HAND_MODEL_DIR = Path(__file__).parent / "hand_model"
NO_MODEL = "none"  # the hand model_dir that turns the second recogniser off


def hand_model(model_dir: Path | str | None) -> RecModel | None:
    """The second recogniser, for handwriting (ViSettings.hand_model_dir): the model dir's;
    None for NO_MODEL; for None the package's hand model, or none where an installation lacks
    that folder."""
    if model_dir is None:
        if (HAND_MODEL_DIR / MODEL_FILE).is_file():
            return load_model_dir(HAND_MODEL_DIR)
        return None
    if str(model_dir) == NO_MODEL:
        return None
    return rec_model(model_dir)


def rec_model(model_dir: Path | str | None) -> RecModel:
    """The model dir's recogniser; asterocr's own for ASTEROCR; the shipped default for None."""
    if model_dir is None:
        return shipped_model()
    if str(model_dir) == ASTEROCR:
        return asterocr_model()
    return load_model_dir(model_dir)
