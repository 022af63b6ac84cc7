"""Fake OCR engines built on the real plug-in interface, to inject failures real engines can't.

Loaded by path (SOHOA_OCR_ENGINE=tests.fakes:SlowEngine), in worker processes too.
"""

from __future__ import annotations

import os
import time

import numpy as np

from ocr_service.ocr.base import OcrEngine
from ocr_service.ocr.containers import OcrLine, OcrPage


def _is_black(image: np.ndarray) -> bool:
    return float(image.mean()) < 40.0


class _Fake(OcrEngine):
    name = "fake"

    def version(self) -> str:
        return "tests.fakes"

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        return "", 0.0

    def _page(self, image: np.ndarray) -> OcrPage:
        h, w = image.shape[:2]
        line = OcrLine(text="dòng giả", confidence=0.9, bbox=(10, 10, 100, 30), engine=self.name)
        return OcrPage(width=w, height=h, lines=[line], engine=self.name, engine_version="fake")


class SlowEngine(_Fake):
    """Takes a while per page, so a test can kill its worker mid-page."""

    name = "slow"

    def read_page(self, image: np.ndarray) -> OcrPage:
        time.sleep(float(os.environ.get("SOHOA_FAKE_SECONDS", "1.5")))
        return self._page(image)


class CrashingEngine(_Fake):
    """Kills its own process on a black page, as a native crash in an engine would."""

    name = "crashing"

    def read_page(self, image: np.ndarray) -> OcrPage:
        if _is_black(image):
            os._exit(139)
        return self._page(image)


class HangingEngine(_Fake):
    """Never returns on a black page, as an engine stuck in a loop would."""

    name = "hanging"

    def read_page(self, image: np.ndarray) -> OcrPage:
        if _is_black(image):
            time.sleep(3600)
        return self._page(image)


class RaisingEngine(_Fake):
    """Raises on a black page, as an engine refusing a malformed image would."""

    name = "raising"

    def read_page(self, image: np.ndarray) -> OcrPage:
        if _is_black(image):
            raise RuntimeError("cannot read this page")
        return self._page(image)
