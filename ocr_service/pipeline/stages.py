"""Adapters from the page pipeline to the domain packages (preprocess, ocr, extract)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from ocr_service.config import Settings
from ocr_service.extract.containers import RecordDraft
from ocr_service.ocr.containers import OcrPage
from ocr_service.ocr.ctc_beam import Lexicon
from ocr_service.preprocess.pipeline import PreprocessInfo

if TYPE_CHECKING:
    from ocr_service.pipeline.page import PageInput


def preprocess_image(
    image: np.ndarray, *, perspective: bool = False
) -> tuple[np.ndarray, PreprocessInfo]:
    """Upright, cropped, deskewed, evened-out page; the transform is kept to map boxes back.
    With ``perspective`` a photographed page's four edges are made a rectangle first."""
    from ocr_service.preprocess import PreprocessOptions, preprocess_page

    result = preprocess_page(image, options=PreprocessOptions(perspective=perspective))
    return result.image, result.info()


def read_text(image: np.ndarray, settings: Settings, lexicon: Lexicon | None = None) -> OcrPage:
    """The page's lines; `lexicon` biases the vi engine's beam-vocab decoding (the ledger's
    words, learning/vocabulary.py)."""
    from ocr_service.ocr import get_engine, ocr_image
    from ocr_service.ocr.vi import ViEngine
    from ocr_service.preprocess.leaders import remove_dot_leaders

    engine = get_engine(settings.ocr_engine, settings.ocr)
    second = get_engine(settings.second_engine, settings.ocr) if settings.second_engine else None
    # The recogniser reads a copy without the printed dotted lines; boxes are the same.
    cleaned = remove_dot_leaders(image)
    if isinstance(engine, ViEngine) and second is None:
        # preprocess_page already turned and deskewed the page: skip trueocr's second pass.
        started = time.perf_counter()
        page = engine.read_page(cleaned, assume_upright=True, lexicon=lexicon)
        page.seconds = time.perf_counter() - started
        return page
    return ocr_image(cleaned, engine, second)


LAYOUT_NAMES = {"block": "block_form", "table": "table_ledger"}


def extract_page_records(
    inp: PageInput, ocr: OcrPage, image: np.ndarray, info: PreprocessInfo
) -> list[RecordDraft]:
    """Draft records read off one page; book-wide rules run once the whole book is read."""
    from ocr_service.extract.records import extract_records

    book = inp.meta
    if book.layout == "table" and not book.layout_file:
        return []  # a table ledger needs the province team's layout file to map columns
    return extract_records(
        book.register,
        LAYOUT_NAMES[book.layout],
        [(inp.index, ocr)],
        book,
        layout_file=book.layout_file,
        images={inp.index: image},
        book_rules=False,
    )
