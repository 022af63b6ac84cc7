"""The OCR engine interface every engine implements, plus small image helpers they share."""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Self

import cv2
import numpy as np

from ocr_service.ocr.containers import OcrPage, OcrProvenance

if TYPE_CHECKING:
    from ocr_service.config import OcrSettings


class OcrEngine(ABC):
    """Reads a whole page image into lines, or one line crop into text.

    Engines load their models once per process (module-level caches) and may be shared
    by the threads of a pool: every implementation here is safe for concurrent calls.
    """

    name: str = ""

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> Self:
        """The engine built from the OCR settings (the registry's way in). A plug-in that
        has no settings of its own needs not override this."""
        return cls()

    def provenance(self) -> OcrProvenance:
        """What reads with this engine: recorded with each page it reads (PageOcr)."""
        return {"engine": self.name, "engine_version": self.version(), "settings": {}, "models": {}}

    @abstractmethod
    def version(self) -> str:
        """Model packages and versions, e.g. "trueocr 0.1.1 + asterocr 1.0.2"."""

    @abstractmethod
    def read_page(self, image: np.ndarray) -> OcrPage:
        """All text lines of an 8-bit BGR or grey page image; boxes in that image's pixels."""

    @abstractmethod
    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        """The text of one horizontal line crop and a confidence in 0..1."""


def ocr_threads(threads: int | None = None) -> int:
    """Threads one engine may use inside a call: as set (SOHOA_OCR_THREADS), else up to
    2 cores."""
    if threads:
        return threads
    return max(1, min(2, os.cpu_count() or 1))


@lru_cache(maxsize=16)
def file_sha256(path: Path) -> str:
    """A model file's identity for the provenance: "sha256:<hex>" (read once per process)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def to_grey(image: np.ndarray) -> np.ndarray:
    """An 8-bit single-channel copy of a grey, BGR or BGRA image (alpha flattened onto white)."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        bgr = image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return np.asarray(cv2.cvtColor(bgr.astype(np.uint8), cv2.COLOR_BGR2GRAY))
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"unsupported image shape {image.shape}")


def to_bgr(image: np.ndarray) -> np.ndarray:
    """An 8-bit 3-channel BGR copy of a grey, BGR or BGRA image."""
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    return cv2.cvtColor(to_grey(image), cv2.COLOR_GRAY2BGR)


def clip_box(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int]:
    """A float box rounded outward and clipped to the image."""
    x0, y0, x1, y1 = box
    return (
        int(max(0, min(width, np.floor(x0)))),
        int(max(0, min(height, np.floor(y0)))),
        int(max(0, min(width, np.ceil(x1)))),
        int(max(0, min(height, np.ceil(y1)))),
    )


def crop_line(
    image: np.ndarray, bbox: tuple[int, int, int, int], pad_y: float = 0.15, pad_x: float = 0.3
) -> np.ndarray:
    """The line's box cut from the image with a margin of pad × line height (page pixels)."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = bbox
    lh = max(1, y1 - y0)
    px, py = round(pad_x * lh), round(pad_y * lh)
    return image[max(0, y0 - py) : min(h, y1 + py), max(0, x0 - px) : min(w, x1 + px)]


def reading_order(boxes: list[tuple[int, int, int, int]]) -> list[int]:
    """Box indices in reading order: rows top to bottom (centres within half a median line
    height of the row's first box), then left to right."""
    if len(boxes) < 2:
        return list(range(len(boxes)))
    half = max(1.0, float(np.median([b[3] - b[1] for b in boxes])) / 2)
    by_y = sorted(range(len(boxes)), key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    row_y = 0.0
    for i in by_y:
        yc = (boxes[i][1] + boxes[i][3]) / 2
        if rows and yc - row_y <= half:
            rows[-1].append(i)
        else:
            rows.append([i])
            row_y = yc
    return [i for row in rows for i in sorted(row, key=lambda i: boxes[i][0])]
