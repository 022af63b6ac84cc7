"""Adapters from the page pipeline to the domain packages (preprocess, ocr, extract)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ocr_service.config import Settings
from ocr_service.ocr.containers import OcrPage

if TYPE_CHECKING:
    from ocr_service.pipeline.page import PageInput


def preprocess_image(image: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Upright, cropped, deskewed, evened-out page; the transform is kept to map boxes back."""
    from ocr_service.preprocess import preprocess_page

    result = preprocess_page(image)
    info = {
        "rotation": result.rotation,
        "skew": round(float(result.skew), 3),
        "crop_box": [int(v) for v in result.crop_box],
        "gutter_x": result.gutter_x,
        "sides": [[int(v) for v in side] for side in result.sides],
        "side_skews": [round(float(v), 3) for v in result.side_skews],
        "to_original": np.asarray(result.to_original).round(6).tolist(),
    }
    return result.image, info


def read_text(image: np.ndarray, settings: Settings) -> OcrPage:
    from ocr_service.ocr import get_engine, ocr_image
    from ocr_service.ocr.vi import ViEngine
    from ocr_service.preprocess.leaders import remove_dot_leaders

    engine = get_engine(settings.ocr_engine)
    second = get_engine(settings.second_engine) if settings.second_engine else None
    # The recogniser reads a copy without the printed dotted lines; boxes are the same.
    cleaned = remove_dot_leaders(image)
    if isinstance(engine, ViEngine) and second is None:
        # preprocess_page already turned and deskewed the page: skip trueocr's second pass.
        started = time.perf_counter()
        page = engine.read_page(cleaned, assume_upright=True)
        page.seconds = time.perf_counter() - started
        return page
    return ocr_image(cleaned, engine, second)


LAYOUT_NAMES = {"block": "block_form", "table": "table_ledger"}


def extract_page_records(
    inp: PageInput, ocr: OcrPage, image: np.ndarray, info: dict[str, Any]
) -> list[Any]:
    """Draft records read off one page; book-wide rules run once the whole book is read."""
    from ocr_service.extract.containers import LedgerMeta
    from ocr_service.extract.records import extract_records

    if inp.layout == "table" and not inp.layout_file:
        return []  # a table ledger needs the province team's layout file to map columns
    ledger = LedgerMeta(
        register=inp.register,
        commune=inp.commune or "",
        book=inp.book or "",
        year=inp.year,
        noi_dang_ky=inp.authority or "",
    )
    return extract_records(
        inp.register,
        LAYOUT_NAMES[inp.layout],
        [(inp.index, ocr)],
        ledger,
        layout_file=inp.layout_file,
        images={inp.index: image},
        book_rules=False,
    )
