"""Contrast: flatten uneven light (photo shadows, fold darkening) and even out local contrast."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.preprocess.analysis import to_grey

BACKGROUND_LONG_SIDE = 1000  # the paper's brightness varies slowly: estimate it on a small copy
BACKGROUND_KERNEL = 9  # thumbnail pixels: wider than a pen stroke, narrower than a fold shadow
INK_PERCENTILE = 0.5  # this share (percent) of the darkest pixels becomes pure black


def normalise_contrast(img: np.ndarray) -> np.ndarray:
    """Greyscale page with the paper flattened to white and local contrast evened out.

    The background (paper brightness) is the grey closing of a small copy, so strokes are
    removed but shadows and uneven light stay; dividing by it flattens them. A global stretch
    then makes the darkest ink black. Returns a new uint8 image of the same size."""
    grey = to_grey(img)
    h, w = grey.shape
    s = min(1.0, BACKGROUND_LONG_SIDE / max(h, w))
    small = cv2.resize(
        grey, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA
    )
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (BACKGROUND_KERNEL, BACKGROUND_KERNEL))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, k)
    background = cv2.GaussianBlur(background, (0, 0), BACKGROUND_KERNEL / 3)
    background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(grey, np.maximum(background, 1), scale=255)
    # A global stretch that pins the darkest ink to black: unlike CLAHE it does not lift the
    # grain of the paper and the JPEG noise into speckles.
    small_flat = cv2.resize(flat, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    lo = float(np.percentile(small_flat, INK_PERCENTILE))
    if lo >= 250:
        return flat  # blank page: nothing to stretch
    lut = np.clip((np.arange(256, dtype=np.float32) - lo) * 255.0 / (255.0 - lo), 0, 255)
    return cv2.LUT(flat, lut.astype(np.uint8))
