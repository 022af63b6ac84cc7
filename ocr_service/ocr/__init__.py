"""OCR engines behind one interface, the engine registry, and the per-image OCR entry point."""

from __future__ import annotations

import time

import numpy as np

from ocr_service.ocr.base import OcrEngine
from ocr_service.ocr.containers import OcrLine, OcrPage
from ocr_service.ocr.registry import DEFAULT_ENGINE, engine_names, get_engine
from ocr_service.ocr.second_reader import read_page_with_second_reader

__all__ = [
    "DEFAULT_ENGINE",
    "OcrEngine",
    "OcrLine",
    "OcrPage",
    "engine_names",
    "get_engine",
    "ocr_image",
    "read_page_with_second_reader",
]


def ocr_image(
    image: np.ndarray,
    engine: OcrEngine,
    second: OcrEngine | None = None,
    threshold: float = 0.8,
) -> OcrPage:
    """OCR one page image (8-bit BGR or grey); with ``second``, low lines are read twice."""
    started = time.perf_counter()
    if second is None:
        page = engine.read_page(image)
    else:
        page = read_page_with_second_reader(engine, second, image, threshold=threshold)
    page.seconds = time.perf_counter() - started
    return page
