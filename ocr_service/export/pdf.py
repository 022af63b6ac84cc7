"""Per-record PDFs: the record's page images as JPEG at about 100 kB per A4 page (PyMuPDF)."""

from __future__ import annotations

import io
from collections.abc import Iterable

import numpy as np
import pymupdf
from PIL import Image, ImageOps

from ocr_service.errors import BadInput
from ocr_service.export.containers import PageLoader

A4_PT = (595.276, 841.89)  # points, portrait
TARGET_BYTES = 100_000  # REGISTERS.md §8 scan quality: about 100 kB per A4 page
MAX_LONG_SIDE = 1754  # 150 dpi on A4: handwriting stays legible, more only costs bytes
MIN_LONG_SIDE = 1000  # below ~85 dpi on A4 small handwriting turns to mush
QUALITIES = (85, 75, 65, 55, 45, 35, 30)


def _open_page(data: bytes) -> Image.Image:
    try:
        img: Image.Image = Image.open(io.BytesIO(data))
        # JPEG decodes at 1/2, 1/4 … scale directly: a 300-dpi spread loads 4x faster.
        img.draft("RGB" if img.mode == "RGB" else img.mode, (MAX_LONG_SIDE, MAX_LONG_SIDE))
        img.load()
        img = ImageOps.exif_transpose(img) or img
    except Exception as exc:  # PIL raises many types for damaged files
        raise BadInput(f"page image cannot be read: {exc}") from None
    return img


def _is_greyscale(img: Image.Image) -> bool:
    """True when colour channels hardly differ (grey scans stored as RGB)."""
    if img.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return True
    small = np.asarray(img.convert("RGB").resize((128, 128)), dtype=np.int16)
    spread = small.max(axis=2) - small.min(axis=2)
    return float(np.percentile(spread, 99)) < 16


def encode_page_jpeg(data: bytes, target_bytes: int = TARGET_BYTES) -> tuple[bytes, int, int]:
    """Re-encode a page image as JPEG near `target_bytes`; returns (jpeg, width, height).

    Greyscale scans stay single-channel (a third of the bytes of RGB). The resolution is capped
    at 150 dpi on A4, then the highest quality that fits the budget wins; if even the lowest
    quality is too big, the image is scaled down by 15 % steps.
    """
    img = _open_page(data)
    mode = "L" if _is_greyscale(img) else "RGB"
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    img = img.convert(mode)
    scale = min(1.0, MAX_LONG_SIDE / max(img.size))
    while True:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        page = img.resize(size, Image.Resampling.LANCZOS) if scale < 1.0 else img
        best: bytes | None = None
        for quality in QUALITIES:
            buf = io.BytesIO()
            page.save(buf, "JPEG", quality=quality, optimize=True, progressive=False)
            best = buf.getvalue()
            if len(best) <= target_bytes:
                return best, page.width, page.height
        if max(size) * 0.85 < MIN_LONG_SIDE:
            assert best is not None
            return best, page.width, page.height
        scale *= 0.85


def page_rect(width: int, height: int) -> pymupdf.Rect:
    """A4 (portrait or landscape) when the image has roughly A4 proportions, else the image's
    own aspect at the width (or height) of A4, so nothing is stretched."""
    aspect = height / width
    a4 = A4_PT[1] / A4_PT[0]
    if abs(aspect - a4) / a4 < 0.08:
        return pymupdf.Rect(0, 0, *A4_PT)
    if abs(1 / aspect - a4) / a4 < 0.08:
        return pymupdf.Rect(0, 0, A4_PT[1], A4_PT[0])
    if aspect >= 1:
        return pymupdf.Rect(0, 0, A4_PT[1] / aspect, A4_PT[1])
    return pymupdf.Rect(0, 0, A4_PT[1], A4_PT[1] * aspect)


def images_to_pdf(images: Iterable[bytes], *, target_bytes: int = TARGET_BYTES) -> bytes:
    """One PDF page per image, each a re-encoded JPEG filling the page."""
    doc = pymupdf.open()
    try:
        for data in images:
            jpeg, w, h = encode_page_jpeg(data, target_bytes)
            rect = page_rect(w, h)
            page = doc.new_page(width=rect.width, height=rect.height)
            page.insert_image(rect, stream=jpeg)
        if doc.page_count == 0:
            raise BadInput("a record PDF needs at least one page image")
        out: bytes = doc.tobytes(garbage=3, deflate=True)
        return out
    finally:
        doc.close()


def record_pdf(
    pages: list[int], load_page: PageLoader, *, target_bytes: int = TARGET_BYTES
) -> bytes:
    """The PDF of one record: its ledger pages in order, loaded one at a time."""
    return images_to_pdf((load_page(p) for p in pages), target_bytes=target_bytes)
