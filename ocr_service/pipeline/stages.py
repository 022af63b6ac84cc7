"""Adapters from the page pipeline to the domain packages (preprocess, ocr, extract)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ocr_service.config import Settings
from ocr_service.ocr.containers import OcrPage

if TYPE_CHECKING:
    from ocr_service.pipeline.page import PageInput


def preprocess_image(image: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    return image, {}


def read_text(image: np.ndarray, settings: Settings) -> OcrPage:
    from ocr_service.ocr import get_engine, ocr_image

    engine = get_engine(settings.ocr_engine)
    second = get_engine(settings.second_engine) if settings.second_engine else None
    return ocr_image(image, engine, second)


def extract_page_records(
    inp: PageInput, ocr: OcrPage, image: np.ndarray, info: dict[str, Any]
) -> list[Any]:
    return []
