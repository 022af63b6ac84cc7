"""The story of one page: load → thumbnail → preprocess → read text → fields.

Each stage is a function of its input; `run_page` only strings them together and returns what
should be stored, so the same code runs in a test, the local runner and an RQ worker.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from models.book import BookMeta
from models.json_types import PreprocessJson
from ocr_service.config import Settings
from ocr_service.extract.containers import RecordDraft
from ocr_service.ocr.containers import OcrPage
from ocr_service.ocr.ctc_beam import Lexicon
from ocr_service.preprocess.pipeline import PreprocessInfo
from ocr_service.storage import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageInput:
    """One page to process: where its image is, and the book it belongs to."""

    page_id: int
    ledger_id: str
    index: int  # 1-based, in ledger order
    image_key: str
    meta: BookMeta
    # The ledger's words, when lines are decoded with SOHOA_VI_DECODE=beam-vocab.
    lexicon: Lexicon | None = None


@dataclass
class PageOutput:
    """What one page produced, to be stored by the job (`jobs.tasks.store_page_output`)."""

    thumb_key: str
    processed_key: str | None = None
    processed_size: tuple[int, int] | None = None
    preprocess_info: PreprocessInfo | None = None
    ocr: OcrPage | None = None
    records: list[RecordDraft] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def preprocess(self) -> PreprocessJson | None:
        """The preprocess geometry as stored in `Page.preprocess`."""
        return self.preprocess_info.to_json() if self.preprocess_info is not None else None


def load_page_image(storage: Storage, key: str) -> np.ndarray:
    data = np.frombuffer(storage.get_bytes(key), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("page image cannot be decoded")
    return image


def make_thumbnail(storage: Storage, key: str, thumb_key: str, size: int) -> None:
    with Image.open(io.BytesIO(storage.get_bytes(key))) as im:
        im.draft("RGB", (size * 2, size * 2))  # JPEG: decode at a fraction of full size
        thumb = im.convert("RGB")
        thumb.thumbnail((size, size))
        buf = io.BytesIO()
        thumb.save(buf, "JPEG", quality=80)
    storage.put_bytes(thumb_key, buf.getvalue())


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode page image")
    return bytes(buf)


def run_page(inp: PageInput, storage: Storage, settings: Settings) -> PageOutput:
    timings: dict[str, float] = {}
    t = time.perf_counter()
    thumb_key = f"thumbs/{inp.ledger_id}/{inp.index:05d}.jpg"
    make_thumbnail(storage, inp.image_key, thumb_key, settings.thumb_size)
    timings["thumbnail"] = time.perf_counter() - t
    out = PageOutput(thumb_key=thumb_key, timings=timings)
    if settings.ocr_engine == "none":
        return out

    from ocr_service.pipeline.sides import page_sides, read_sides, with_sides
    from ocr_service.pipeline.stages import extract_page_records, preprocess_image, read_text

    t = time.perf_counter()
    image = load_page_image(storage, inp.image_key)
    processed, info = preprocess_image(image, perspective=settings.perspective)
    sides = page_sides(processed, info, inp.meta.layout)
    if len(sides) > 1:
        info = with_sides(info, sides, processed.shape[0])
    timings["preprocess"] = time.perf_counter() - t
    if processed is not image:
        out.processed_key = f"processed/{inp.ledger_id}/{inp.index:05d}.jpg"
        storage.put_bytes(out.processed_key, encode_jpeg(processed))
        out.processed_size = (processed.shape[1], processed.shape[0])
    out.preprocess_info = info
    if len(sides) > 1:
        # Two facing pages in one image: each side read and extracted as a page of its own.
        timings["ocr"] = timings["extract"] = 0.0

        def read_side(img: np.ndarray) -> OcrPage:
            started = time.perf_counter()
            page = read_text(img, settings, inp.lexicon)
            timings["ocr"] += time.perf_counter() - started
            return page

        def extract_side(ocr: OcrPage, img: np.ndarray) -> list[RecordDraft]:
            started = time.perf_counter()
            records = extract_page_records(inp, ocr, img, info)
            timings["extract"] += time.perf_counter() - started
            return records

        out.ocr, out.records = read_sides(processed, sides, read_side, extract_side)
        return out
    t = time.perf_counter()
    out.ocr = read_text(processed, settings, inp.lexicon)
    timings["ocr"] = time.perf_counter() - t
    t = time.perf_counter()
    out.records = extract_page_records(inp, out.ocr, processed, info)
    timings["extract"] = time.perf_counter() - t
    return out
