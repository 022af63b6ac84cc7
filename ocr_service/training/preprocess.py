"""Line images as training input, prepared by the engine's own function (recogniser.rec_tensor)
with the model's reading convention, so a model is trained on what it will be shown.

Also: the CTC targets of a text, the check that a line fits (CTC needs a time step, 4 px of
input, per character plus one between repeated characters, and the graph takes 1024 px at
most), and light augmentation of handwriting (slant, stroke width, contrast, blur, width).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import cv2
import numpy as np

from ocr_service.ocr.recogniser import REC_HEIGHT, REC_MAX_WIDTH, Reading, rec_tensor, rec_width

STEP = 4  # px of input per CTC time step (AsterNet's width stride)
PAPER = 255


@dataclass(frozen=True)
class Sample:
    """One line ready for the model: input [3, 32, W] float32 and its CTC target."""

    image: np.ndarray
    target: list[int]


def targets(text: str, index: dict[str, int]) -> list[int] | None:
    """The class indices of the text, or None when a character is not in the charset."""
    out = [index.get(ch, -1) for ch in text]
    return None if not out or -1 in out else out


def ctc_steps_needed(target: list[int]) -> int:
    """Time steps CTC needs: one per character and one blank between repeated characters."""
    return len(target) + sum(1 for a, b in itertools.pairwise(target) if a == b)


def input_width(grey: np.ndarray, reading: Reading) -> int:
    """The input width the reading convention gives the crop (before the 1024 px cap)."""
    return rec_width(grey.shape[0], grey.shape[1], reading.width)


def fits(grey: np.ndarray, target: list[int], reading: Reading) -> bool:
    """True when the line, capped at 1024 px, has enough time steps for its text."""
    width = min(REC_MAX_WIDTH, input_width(grey, reading))
    return width // STEP >= ctc_steps_needed(target)


def encode(grey: np.ndarray, reading: Reading) -> np.ndarray:
    """The crop as the engine feeds it to the recogniser (one line: [3, 32, W])."""
    tensor: np.ndarray = rec_tensor(grey, 1.0, STEP, reading)[0]
    return tensor


def augment(grey: np.ndarray, rng: random.Random) -> np.ndarray:
    """A plausible other rendering of the same handwritten line."""
    h, w = grey.shape
    out = grey
    # Slant (shear) of up to ±0.25 and a little rotation, paper-filled.
    shear = rng.uniform(-0.25, 0.25)
    angle = rng.uniform(-1.5, 1.5)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rot[0, 1] += shear
    rot[0, 2] -= shear * h / 2
    out = cv2.warpAffine(out, rot, (w, h), borderValue=PAPER, flags=cv2.INTER_LINEAR)
    # Stroke width: thinner or thicker pens.
    kernel = np.ones((2, 2), np.uint8)
    choice = rng.random()
    if choice < 0.2 and h >= 24:
        out = cv2.dilate(out, kernel)  # dilating paper thins the ink
    elif choice < 0.4:
        out = cv2.erode(out, kernel)
    # Width: a wider or narrower hand.
    factor = rng.uniform(0.85, 1.15)
    out = cv2.resize(out, (max(8, round(w * factor)), h), interpolation=cv2.INTER_AREA)
    # Contrast, paper tone and blur.
    ink = rng.uniform(0.0, 80.0)
    paper = rng.uniform(200.0, 255.0)
    out = (ink + out.astype(np.float32) * (paper - ink) / 255.0).clip(0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 0.9))
    # Margins: the crop's padding varies with the box a detector or a clerk drew.
    pad_y, pad_x = rng.randint(0, max(1, h // 8)), rng.randint(0, max(1, h // 4))
    if pad_y or pad_x:
        value = int(np.percentile(out, 90))
        out = cv2.copyMakeBorder(out, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=value)
    return out


def batch(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """Images padded with paper to the widest [B, 3, 32, W], flat targets, input and target
    lengths (in time steps and characters)."""
    width = max(s.image.shape[2] for s in samples)
    images = np.ones((len(samples), 3, REC_HEIGHT, width), np.float32)  # 1.0: white paper
    for i, s in enumerate(samples):
        images[i, :, :, : s.image.shape[2]] = s.image
    flat = np.asarray([c for s in samples for c in s.target], np.int64)
    return (
        images,
        flat,
        [s.image.shape[2] // STEP for s in samples],
        [len(s.target) for s in samples],
    )
