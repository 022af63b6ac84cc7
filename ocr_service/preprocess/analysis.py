"""Shared low-resolution views of a page: grey thumbnails and ink maps used by every stage."""

from __future__ import annotations

import cv2
import numpy as np


def to_grey(img: np.ndarray) -> np.ndarray:
    """8-bit single-channel view of a grey, BGR or BGRA image (no copy when already grey)."""
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        # Transparent pixels count as white paper, as when the PNG is flattened onto white.
        bgr = img[:, :, :3].astype(np.float32)
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        flat = (bgr * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
        grey: np.ndarray = cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY)
        return grey
    if img.shape[2] == 1:
        return img[:, :, 0]
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def shrink_grey(img: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """A grey copy whose long side is at most ``long_side``: (thumbnail, scale thumb/original).

    Colour is dropped after resizing, which is cheaper than converting the full-size image."""
    h, w = img.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    else:
        small = img
    return to_grey(small), scale


def ink_mask(grey: np.ndarray, block: int = 31, offset: int = 10) -> np.ndarray:
    """uint8 mask (1 = ink) of pixels darker than their ``block``-pixel neighbourhood.

    Local contrast rather than a global threshold, so shadows and uneven light are not ink."""
    block = block | 1
    mask = cv2.adaptiveThreshold(
        grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, offset
    )
    return mask
