"""Orientation: which quarter turn makes a page upright (text-line direction + trueocr's model)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr_service.preprocess.analysis import ink_mask, shrink_grey

ORIENT_LONG_SIDE = 1000
# Above this probability the model's answer stands on its own (trueocr uses 0.95 for the same
# choice). Below it the model was sometimes wrong on our rendered and real test pages (bench:
# 87 of 88 turned pages right alone), so the text-line axis from OpenCV gets a say.
MODEL_SURE = 0.9
# Below this share of the model's vote for the 180-degree variant of the text-line axis, the
# page is taken as the unflipped one: real pages are almost all upright.
FLIP_SHARE = 0.75
AXIS_LONG_SIDE = 600  # text-line direction needs only a small thumbnail
MIN_INK_FRACTION = 0.002
AXIS_MARGIN = 1.3  # one profile must swing this much more than the other to decide
RULE_FRACTION = 20  # ink runs longer than 1/RULE_FRACTION of the page are ruled lines, not text


@lru_cache(maxsize=1)
def _orient_session() -> Any:
    """trueocr's orientation model (shipped inside the installed package; no download)."""
    import trueocr
    from trueocr.recognizer import session

    return session(Path(trueocr.__file__).parent / "models" / "orient.onnx", 2)


def model_turn_probabilities(grey: np.ndarray) -> np.ndarray:
    """trueocr orient.onnx probabilities: index k = content turned k quarter turns
    counter-clockwise (k = 0..3); index 4 = vertical script columns."""
    from trueocr.page import orient_input

    out = _orient_session().run(None, {"x": orient_input(grey)[None, None]})[0][0]
    return np.asarray(out, dtype=np.float64)


AXIS_TILTS = np.arange(-6.0, 6.01, 0.5)  # the page may still be skewed when this runs


def _profile_contrast(ink: np.ndarray, axis: int) -> float:
    """Best (over small tilts) coefficient of variation of the ink profile along ``axis``:
    across text lines it swings between line and gap, along them it stays level."""
    h, w = ink.shape
    best = 0.0
    for a in AXIS_TILTS:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(a), 1.0)
        turned = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_LINEAR)
        p = cv2.reduce(turned, axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.float64)
        # Only the part of the profile over the text block: margins would count as contrast.
        nz = np.flatnonzero(p)
        if nz.size < 3:
            continue
        p = p[nz[0] : nz[-1] + 1]
        best = max(best, float(p.std() / max(p.mean(), 1e-9)))
    return best


def text_runs_horizontally(grey: np.ndarray) -> bool | None:
    """True when the text lines run left-right, False when top-bottom, None when unclear.

    Ruled lines are removed first (a register's grid is as sharp either way); the remaining
    ink profile across text lines alternates line/gap, the profile along them barely changes."""
    if max(grey.shape) > AXIS_LONG_SIDE:
        grey, _ = shrink_grey(grey, AXIS_LONG_SIDE)
    ink = ink_mask(grey, block=21, offset=12)
    h, w = ink.shape
    horiz = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, np.ones((1, max(3, w // RULE_FRACTION)), np.uint8)
    )
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(3, h // RULE_FRACTION), 1), np.uint8))
    # Ink mask values are 0/1: text is ink that no rule covers.
    text = ((ink > 0) & (horiz == 0) & (vert == 0)).astype(np.uint8) * np.uint8(255)
    if text.mean() < 0.001 * 255:
        return None
    rows = _profile_contrast(text, 1)  # profile down the page: swings for horizontal lines
    cols = _profile_contrast(text, 0)
    if max(rows, cols) < AXIS_MARGIN * min(rows, cols):
        return None
    return rows > cols


def detect_orientation(img: np.ndarray) -> int:
    """Clockwise rotation in degrees (0, 90, 180 or 270) that makes the page upright.

    trueocr's orientation model decides when it is sure; otherwise the text-line direction
    (OpenCV) picks the axis and the model only chooses between the two turns along it,
    defaulting to the unflipped one when it hesitates."""
    grey, _ = shrink_grey(img, ORIENT_LONG_SIDE)
    if ink_mask(grey, block=21, offset=12).mean() < MIN_INK_FRACTION:
        return 0  # a blank page has no way up: leave it as it came
    p = model_turn_probabilities(grey)[:4]
    k = int(np.argmax(p))
    if p[k] >= MODEL_SURE:
        return 90 * k
    horizontal = text_runs_horizontally(grey)
    if horizontal is None:
        horizontal = k in (0, 2)
    base, flipped = (0, 2) if horizontal else (1, 3)
    share = p[flipped] / max(p[base] + p[flipped], 1e-9)
    if horizontal:
        return 180 if share >= FLIP_SHARE else 0
    # No upright default between 90 and 270: the model's vote decides.
    return 90 * (flipped if share >= 0.5 else base)


def rotate_upright(img: np.ndarray, degrees_cw: int) -> np.ndarray:
    """The image turned clockwise by a multiple of 90 degrees (exact, no resampling)."""
    k = (degrees_cw // 90) % 4
    return img if k == 0 else np.ascontiguousarray(np.rot90(img, -k))
