"""Skew: estimate the small tilt of a page from its text rows and ruled columns, and undo it."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.preprocess.analysis import ink_mask, shrink_grey

SKEW_LONG_SIDE = 1600  # analysis thumbnail: 0.05 degrees is ~1 px across it
SKEW_MAX_DEG = 15.0  # larger tilts are rare in scans and photos; quarter turns are orientation's
COARSE_STEP = 0.5
FINE_STEP = 0.05
FINE_RANGE = 0.75  # the coarse answer is within a quarter step, plus the rows' own bias
COARSE_INK = 48  # a coarse pixel is ink when about a fifth of its fine pixels are
MIN_INK_FRACTION = 0.002  # below this the page is blank: nothing to straighten


class _InkPoints:
    """Ink pixel coordinates of a mask, centred, for projecting along slanted lines.

    Projecting the pixels straight into bins (a shear, which equals a rotation to well
    within a pixel for tilts under a few degrees) is several times faster than warping the
    image for every angle, and treats every angle alike (no interpolation blur except at 0)."""

    def __init__(self, mask: np.ndarray) -> None:
        ys, xs = np.nonzero(mask)
        h, w = mask.shape
        self.x = xs.astype(np.float32) - w / 2
        self.y = ys.astype(np.float32) - h / 2
        self.h, self.w = h, w

    def sharpness(self, angle: float, *, rows_only: bool = False) -> float:
        """Sharpness of the row profile (and, unless ``rows_only``, the column profile) of the
        ink turned ``angle`` degrees counter-clockwise: highest when rows or rules are level."""
        t = np.float32(np.tan(np.radians(angle)))
        pad = int(np.ceil(max(self.h, self.w) * abs(float(t)))) + 2
        rows = np.rint(self.y - self.x * t + (self.h / 2 + pad)).astype(np.int64)
        score = _squared_steps(np.bincount(rows))
        if not rows_only:
            cols = np.rint(self.x + self.y * t + (self.w / 2 + pad)).astype(np.int64)
            # The vertical table rules of a register stay straight where the paper bends near
            # the fold, so they check the angle the text rows give.
            score += _squared_steps(np.bincount(cols))
        return score


def _squared_steps(profile: np.ndarray) -> float:
    p = profile.astype(np.float64)
    return float(((p[1:] - p[:-1]) ** 2).sum())


def _best_angle(points: _InkPoints, angles: np.ndarray, *, rows_only: bool = False) -> float:
    scores = [points.sharpness(float(a), rows_only=rows_only) for a in angles]
    return float(angles[int(np.argmax(scores))])


def estimate_skew(img: np.ndarray, *, max_deg: float = SKEW_MAX_DEG) -> float:
    """Tilt of the page content in degrees: positive = turned clockwise on screen, so that
    PIL ``Image.rotate(skew, expand=True)`` (or :func:`deskew`) straightens it.

    A coarse search over +-``max_deg`` uses text rows only on a small copy (their peak is
    broad, so a coarse grid cannot step over it); the fine search within +-0.75 degree adds the
    column profile, whose thin ruled lines give a sharp peak."""
    grey, _ = shrink_grey(img, SKEW_LONG_SIDE)
    fine = ink_mask(grey, block=31, offset=12)
    if fine.mean() < MIN_INK_FRACTION:
        return 0.0
    size = (fine.shape[1] // 4, fine.shape[0] // 4)
    small = cv2.resize(fine * np.uint8(255), size, interpolation=cv2.INTER_AREA) > COARSE_INK
    grid = np.arange(-max_deg, max_deg + 1e-6, COARSE_STEP)
    a0 = _best_angle(_InkPoints(small), grid, rows_only=True)
    near = np.arange(a0 - FINE_RANGE, a0 + FINE_RANGE + 1e-6, FINE_STEP)
    return round(_best_angle(_InkPoints(fine), near), 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def deskew(img: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The image turned ``angle`` degrees counter-clockwise on an enlarged canvas (nothing cut
    off, new corners white): (image, 2x3 matrix mapping original pixels to the result)."""
    h, w = img.shape[:2]
    if abs(angle) < 1e-9:
        return img, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw = int(np.ceil(w * cos + h * sin))
    nh = int(np.ceil(w * sin + h * cos))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    fill = (255,) * (img.shape[2] if img.ndim == 3 else 1)
    out = cv2.warpAffine(
        img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )
    return out, m
