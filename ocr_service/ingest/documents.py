"""Open uploads (PDF, TIFF, JPEG, PNG), check them against the limits, and split them into pages.

Everything here works page by page: a 2,000-page book never sits in memory at once.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pymupdf
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr_service.errors import BadInput, EncryptedDocument, TooLarge
from ocr_service.ingest.sniff import JPEG, PDF, PNG, TIFF, type_name

log = logging.getLogger(__name__)

# We check pixel counts ourselves, with our own limit and a clear message; Pillow's own
# DecompressionBombError would fire first at a lower, unrelated threshold.
Image.MAX_IMAGE_PIXELS = None
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


@dataclass(frozen=True)
class Limits:
    max_pages: int
    max_page_pixels: int
    render_dpi: int


@dataclass(frozen=True)
class DocumentInfo:
    media_type: str
    pages: int
    repaired: bool = False


@dataclass
class SplitPage:
    """One page image ready to store: encoded bytes, size and how it was obtained."""

    index: int  # 1-based
    data: bytes
    ext: str  # jpg | png
    width: int
    height: int
    source: str  # embedded (PDF image taken as is) | rendered (PDF page drawn) | image


def _pixels_error(what: str, width: int, height: int, limits: Limits) -> TooLarge:
    return TooLarge(
        f"{what} is {width}×{height} px ({width * height / 1e6:.0f} Mpx), over the limit of "
        f"{limits.max_page_pixels / 1e6:.0f} Mpx per page (SOHOA_MAX_PAGE_PIXELS)",
        code="too_many_pixels",
    )


def _pages_error(count: int, limits: Limits) -> TooLarge:
    return TooLarge(
        f"document has {count} pages, over the limit of {limits.max_pages} (SOHOA_MAX_PAGES)",
        code="too_many_pages",
    )


# --- PDF -----------------------------------------------------------------------------------


def _open_pdf(path: Path) -> pymupdf.Document:
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # mupdf raises a variety of errors for garbage
        raise BadInput(f"damaged PDF that cannot be opened ({exc})", code="damaged_pdf") from exc
    if doc.needs_pass:
        doc.close()
        raise EncryptedDocument(
            "PDF is password-protected: remove the password and upload it again"
        )
    return doc


def _pdf_truncated(path: Path) -> bool:
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    return b"%%EOF" not in tail


_PLACEMENT = re.compile(
    rb"^\s*q\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)"
    rb"\s+cm\s+/[^\s/]+\s+Do\s+Q\s*$"
)


def _simple_placement(page: pymupdf.Page) -> tuple[pymupdf.Rect, pymupdf.Matrix] | None:
    """Read a scanner's one-line content stream (`q a b c d e f cm /Im Do Q`) directly.

    pymupdf's general get_image_rects decodes the image to fingerprint it (~25 ms a page);
    scanned books almost always use this one form, so parse it and fall back otherwise.
    """
    try:
        contents = page.read_contents()
    except Exception:
        return None
    if len(contents) > 512:
        return None
    m = _PLACEMENT.match(contents)
    if not m:
        return None
    a, b, c, d, e, f = (float(v) for v in m.groups())
    # Image space has its first row at the top of the unit square, PDF space has y up, and
    # pymupdf's page space has y down: flip, place, flip (as get_image_rects reports it).
    flip = pymupdf.Matrix(1, 0, 0, -1, 0, 1)
    matrix = flip * pymupdf.Matrix(a, b, c, d, e, f) * page.transformation_matrix
    rect = pymupdf.Rect(0, 0, 1, 1) * matrix
    return rect, matrix


def _embedded_scan(page: pymupdf.Page) -> tuple[int, int, int] | None:
    """The xref and size of the one image that is the whole page, if the page is just a scan."""
    images = page.get_images(full=True)
    if len(images) != 1:
        return None
    xref, smask, width, height = images[0][0], images[0][1], images[0][2], images[0][3]
    if smask:
        return None
    if page.get_text("text").strip():
        return None  # a page with a text layer (OCRed PDF, or a form) is drawn, not extracted
    placed = _simple_placement(page)
    if placed is not None:
        rect, matrix = placed
    else:
        try:
            rects = page.get_image_rects(xref, transform=True)
        except Exception:
            return None
        if len(rects) != 1:
            return None
        rect, matrix = rects[0]
    page_area = abs(page.rect)
    if page_area <= 0 or abs(rect & page.rect) < 0.9 * page_area:
        return None
    # Only a plain scale: any rotation or mirroring in the placement means we must draw it.
    if abs(matrix.b) > 1e-6 or abs(matrix.c) > 1e-6 or matrix.a <= 0 or matrix.d <= 0:
        return None
    if page.rotation % 360:
        return None
    return xref, width, height


def inspect_pdf(path: Path, limits: Limits) -> DocumentInfo:
    doc = _open_pdf(path)
    try:
        count = doc.page_count
        if count == 0:
            raise BadInput("PDF has no pages", code="empty_document")
        if doc.is_repaired and _pdf_truncated(path):
            raise BadInput(
                "PDF is truncated (its end is missing): the file was cut short, upload it again",
                code="truncated_pdf",
            )
        if count > limits.max_pages:
            raise _pages_error(count, limits)
        scale = limits.render_dpi / 72.0
        for i in range(count):
            try:
                page = doc.load_page(i)
            except Exception as exc:
                raise BadInput(
                    f"PDF page {i + 1} cannot be read ({exc})", code="damaged_pdf"
                ) from exc
            embedded = _embedded_scan(page)
            if embedded:
                _, w, h = embedded
            else:
                w, h = int(page.rect.width * scale), int(page.rect.height * scale)
            if w * h > limits.max_page_pixels:
                raise _pixels_error(f"PDF page {i + 1}", w, h, limits)
        return DocumentInfo(PDF, count, repaired=doc.is_repaired)
    finally:
        doc.close()


def _encode_pixmap(pix: pymupdf.Pixmap) -> tuple[bytes, str]:
    if pix.alpha:
        pix = pymupdf.Pixmap(pix, 0)
    if pix.colorspace is None or pix.colorspace.n not in (1, 3):
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix)
    return pix.tobytes("png"), "png"


def split_pdf(path: Path, limits: Limits, start: int = 1) -> Iterator[SplitPage]:
    doc = _open_pdf(path)
    try:
        for i in range(start - 1, doc.page_count):
            page = doc.load_page(i)
            embedded = _embedded_scan(page)
            if embedded:
                xref, w, h = embedded
                info = doc.extract_image(xref)
                if info and info.get("ext") in ("jpeg", "jpg") and info.get("colorspace") in (1, 3):
                    # The scan's own JPEG bytes: no decode, no re-encode, no quality loss.
                    yield SplitPage(i + 1, info["image"], "jpg", w, h, "embedded")
                    continue
                if info and info.get("ext") == "png":
                    yield SplitPage(i + 1, info["image"], "png", w, h, "embedded")
                    continue
                pix = pymupdf.Pixmap(doc, xref)
                data, ext = _encode_pixmap(pix)
                yield SplitPage(i + 1, data, ext, pix.width, pix.height, "embedded")
                continue
            pix = page.get_pixmap(dpi=limits.render_dpi, colorspace=pymupdf.csRGB, alpha=False)
            yield SplitPage(i + 1, pix.tobytes("png"), "png", pix.width, pix.height, "rendered")
    finally:
        doc.close()


# --- raster images -------------------------------------------------------------------------


def _open_image(path: Path, media_type: str) -> Image.Image:
    try:
        im = Image.open(path)
    except UnidentifiedImageError as exc:
        raise BadInput(
            f"damaged {type_name(media_type)} that cannot be read", code="damaged_image"
        ) from exc
    except Exception as exc:
        raise BadInput(f"damaged {type_name(media_type)} ({exc})", code="damaged_image") from exc
    expected = {JPEG: "JPEG", PNG: "PNG", TIFF: "TIFF"}[media_type]
    if im.format != expected:
        raise BadInput(f"file is not a valid {expected}", code="damaged_image")
    return im


def inspect_image(path: Path, media_type: str, limits: Limits) -> DocumentInfo:
    with _open_image(path, media_type) as im:
        frames = getattr(im, "n_frames", 1)
        if frames > limits.max_pages:
            raise _pages_error(frames, limits)
        for i in range(frames):
            im.seek(i)
            w, h = im.size
            if w <= 0 or h <= 0:
                raise BadInput("image has no pixels", code="empty_document")
            if w * h > limits.max_page_pixels:
                what = f"image page {i + 1}" if frames > 1 else "image"
                raise _pixels_error(what, w, h, limits)
        if media_type == PNG:
            try:
                im.verify()  # checks chunk CRCs without decoding the pixels
            except Exception as exc:
                raise BadInput(f"damaged PNG ({exc})", code="damaged_image") from exc
        return DocumentInfo(media_type, frames)


def to_page_mode(im: Image.Image) -> Image.Image:
    """8-bit grey or RGB, upright, on white: what every later stage expects."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit scans: scale to 8 bits by the actual range, not by truncation.
        im = im.convert("I")
        lo, hi = cast(tuple[int, int], im.getextrema())
        span = max(1, hi - lo)
        im = im.point(lambda v: (v - lo) * 255 / span).convert("L")
    elif im.mode == "F" or im.mode == "1":
        im = im.convert("L")
    elif im.mode == "CMYK":
        im = im.convert("RGB")
    elif im.mode == "P" or im.mode in ("LA", "La", "PA"):
        im = im.convert("RGBA")
    elif im.mode in ("RGBa", "RGBX", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    if im.mode == "RGBA":
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))
        im = background
    if im.mode not in ("L", "RGB"):
        im = im.convert("RGB")
    return im


def _encode(im: Image.Image, photo: bool) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if photo:
        im.save(buf, "JPEG", quality=92, optimize=False)
        return buf.getvalue(), "jpg"
    im.save(buf, "PNG", compress_level=3)
    return buf.getvalue(), "png"


def split_image(path: Path, media_type: str, limits: Limits, start: int = 1) -> Iterator[SplitPage]:
    im = _open_image(path, media_type)
    try:
        frames = getattr(im, "n_frames", 1)
        for i in range(start - 1, frames):
            im.seek(i)
            orientation = im.getexif().get(0x0112, 1)
            if media_type == JPEG and orientation in (0, 1) and im.mode in ("L", "RGB"):
                yield SplitPage(i + 1, path.read_bytes(), "jpg", im.width, im.height, "image")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = im.copy() if frames > 1 else im
                frame.load()
            frame = ImageOps.exif_transpose(frame) or frame
            frame = to_page_mode(frame)
            data, ext = _encode(frame, photo=media_type == JPEG)
            yield SplitPage(i + 1, data, ext, frame.width, frame.height, "image")
    finally:
        im.close()


def inspect_document(path: Path, media_type: str, limits: Limits) -> DocumentInfo:
    if media_type == PDF:
        return inspect_pdf(path, limits)
    return inspect_image(path, media_type, limits)


def split_pages(path: Path, media_type: str, limits: Limits, start: int = 1) -> Iterator[SplitPage]:
    """Yield the pages of a document from page `start` on, one at a time."""
    if media_type == PDF:
        yield from split_pdf(path, limits, start)
    else:
        yield from split_image(path, media_type, limits, start)
