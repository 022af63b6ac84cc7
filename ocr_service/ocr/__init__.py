"""OCR engines behind one interface, the engine registry, and the per-image OCR entry point."""

from __future__ import annotations

import time

import numpy as np

from ocr_service.ocr.base import OcrEngine
from ocr_service.ocr.containers import OcrLine, OcrPage, OcrProvenance
from ocr_service.ocr.registry import DEFAULT_ENGINE, engine_names, get_engine
from ocr_service.ocr.second_reader import read_page_with_second_reader

__all__ = [
    "DEFAULT_ENGINE",
    "OcrEngine",
    "OcrLine",
    "OcrPage",
    "OcrProvenance",
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
    """OCR one page image (8-bit BGR or grey); with ``second``, low lines are read twice.
    The page says what read it (OcrPage.provenance): the engine's, for a plug-in that does
    not fill it itself, and the second reader's beside it."""
    started = time.perf_counter()
    if second is None:
        page = engine.read_page(image)
    else:
        page = read_page_with_second_reader(engine, second, image, threshold=threshold)
    page.seconds = time.perf_counter() - started
    provenance = page.provenance if page.provenance is not None else engine.provenance()
    if second is not None:
        provenance = {**provenance, "second": second.provenance()}
    page.provenance = provenance
    return page
