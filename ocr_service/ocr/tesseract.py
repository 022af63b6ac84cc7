"""Tesseract (Debian tesseract-ocr-vie) through tesserocr: good on clean print, a second reader."""

from __future__ import annotations

import glob
import os
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr_service.config import OcrSettings
from ocr_service.errors import EngineUnavailable
from ocr_service.ocr.base import OcrEngine, clip_box, file_sha256, to_grey
from ocr_service.ocr.containers import OcrLine, OcrPage, OcrProvenance

# Debian's libtesseract is built with OpenMP: one thread per call is ~7x faster on 2 cores.
# Must be set before the library is loaded. (A write that configures the library, not a
# setting of ours: a user's own OMP_THREAD_LIMIT is kept.)
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LANG = "vie"


@dataclass
class _LineSoFar:
    """One text line while its words are read: the text and box Tesseract gives the line,
    its own confidence, and its words' confidences."""

    text: str
    box: tuple[int, int, int, int] | None
    line_conf: float
    confs: list[float] = field(default_factory=list)


@lru_cache(maxsize=2)
def _tessdata(prefix: str | None) -> tuple[Any, str, str]:
    """(tesserocr module, tessdata folder holding vie.traineddata, version string); the
    folder ``prefix`` (TESSDATA_PREFIX) first, then Debian's."""
    try:
        import tesserocr
    except ImportError as exc:
        raise EngineUnavailable(
            "OCR engine 'tesseract' needs tesserocr: pip install tesserocr "
            "(and apt-get install tesseract-ocr-vie)"
        ) from exc
    candidates = [prefix or ""]
    candidates += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata"]
    for folder in candidates:
        if folder and os.path.isfile(os.path.join(folder, f"{LANG}.traineddata")):
            lib = tesserocr.tesseract_version().split()[1]
            version = f"tesserocr {metadata.version('tesserocr')} + tesseract {lib} ({LANG})"
            return tesserocr, folder, version
    raise EngineUnavailable(
        "OCR engine 'tesseract' needs the Vietnamese model: apt-get install tesseract-ocr-vie"
    )


class TesseractEngine(OcrEngine):
    """Page layout analysis and recognition by Tesseract; one API object per thread."""

    name = "tesseract"

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings
        self._tess, self._path, self._version = _tessdata(settings.tesseract.tessdata_prefix)
        # PyTessBaseAPI is not thread-safe: each thread of a pool gets its own.
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> TesseractEngine:
        return cls(settings)

    def version(self) -> str:
        return self._version

    def provenance(self) -> OcrProvenance:
        model = Path(self._path) / f"{LANG}.traineddata"
        return {
            "engine": self.name,
            "engine_version": self.version(),
            "settings": self.settings.model_dump(mode="json", include={"tesseract"}),
            "models": {
                "tesserocr": metadata.version("tesserocr"),
                "tesseract": self._tess.tesseract_version().split()[1],
                "traineddata": f"{model} {file_sha256(model)}",
            },
        }

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is None:
            api = self._tess.PyTessBaseAPI(path=self._path, lang=LANG)
            self._local.api = api
        return api

    def _set_image(self, grey: np.ndarray, psm: Any) -> Any:
        from PIL import Image

        api = self._api()
        api.SetPageSegMode(psm)
        # A 3x3 median removes scanner speckle and leader dots: on noisy 200-dpi form pages
        # Tesseract's layout analysis otherwise takes the framed text block for a picture
        # (synth typed pages: CER 80 % -> 8 %).
        api.SetImage(Image.fromarray(cv2.medianBlur(grey, 3)))
        return api

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        grey = to_grey(crop)
        if grey.shape[0] < 2 or grey.shape[1] < 2:
            return "", 0.0
        api = self._set_image(grey, self._tess.PSM.SINGLE_LINE)
        text = " ".join(api.GetUTF8Text().split())
        if not text:
            return "", 0.0
        return text, max(0.0, min(1.0, api.MeanTextConf() / 100.0))

    def _line(self, acc: _LineSoFar, width: int, height: int) -> OcrLine:
        """An OcrLine from one line's text, box and word confidences (mean, 0..1)."""
        confs = acc.confs
        conf = float(np.mean(confs)) if confs else float(acc.line_conf)
        box = acc.box or (0, 0, 0, 0)
        return OcrLine(
            text=" ".join(acc.text.split()),
            confidence=max(0.0, min(1.0, conf / 100.0)),
            bbox=clip_box(box, width, height),
            engine=self.name,
        )

    def read_page(self, image: np.ndarray) -> OcrPage:
        started = time.perf_counter()
        grey = to_grey(image)
        height, width = grey.shape
        api = self._set_image(grey, self._tess.PSM.AUTO)
        api.Recognize()
        lines: list[OcrLine] = []
        level_line, level_word = self._tess.RIL.TEXTLINE, self._tess.RIL.WORD
        current: _LineSoFar | None = None
        it = api.GetIterator()
        # One pass over the words: a word at the start of a text line opens a new line.
        for word in self._tess.iterate_level(it, level_word) if it is not None else []:
            if current is None or word.IsAtBeginningOf(level_line):
                if current is not None:
                    lines.append(self._line(current, width, height))
                current = _LineSoFar(
                    text=word.GetUTF8Text(level_line) or "",
                    box=word.BoundingBox(level_line),
                    line_conf=word.Confidence(level_line),
                )
            if word.GetUTF8Text(level_word):
                current.confs.append(max(0.0, float(word.Confidence(level_word))))
        if current is not None:
            lines.append(self._line(current, width, height))
        lines = [ln for ln in lines if ln.text]
        return OcrPage(
            width=width,
            height=height,
            lines=lines,
            engine=self.name,
            engine_version=self.version(),
            seconds=time.perf_counter() - started,
            provenance=self.provenance(),
        )
