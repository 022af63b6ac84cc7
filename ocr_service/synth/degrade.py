"""Scan degradations (lighting, skew, perspective, blur, noise, JPEG) that move truth boxes."""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Level:
    rotation: float
    perspective: float
    noise: float
    blur: float
    jpeg: int
    lighting: float


LEVELS = {
    "none": Level(0.0, 0.0, 0.0, 0.0, 90, 0.0),
    "light": Level(0.8, 0.004, 2.0, 0.8, 75, 0.08),
    "heavy": Level(2.0, 0.012, 6.0, 1.1, 55, 0.22),
    # A phone photo of the open book (issue #13): tilted, in perspective, unevenly lit, soft.
    "phone": Level(3.0, 0.035, 5.0, 1.6, 70, 0.45),
}


@dataclass
class Degraded:
    jpeg: bytes
    width: int
    height: int
    rotation: float
    matrix: np.ndarray

    def map_box(self, box: Box) -> Box:
        """Axis-aligned box of the transformed corners, clipped to the image."""
        x0, y0, x1, y1 = box
        pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        ones = np.ones((4, 1))
        mapped = (self.matrix @ np.hstack([pts, ones]).T).T
        mapped = mapped[:, :2] / mapped[:, 2:3]
        nx0 = int(np.floor(mapped[:, 0].min()))
        ny0 = int(np.floor(mapped[:, 1].min()))
        nx1 = int(np.ceil(mapped[:, 0].max()))
        ny1 = int(np.ceil(mapped[:, 1].max()))
        return (
            max(0, min(nx0, self.width - 1)),
            max(0, min(ny0, self.height - 1)),
            max(1, min(nx1, self.width)),
            max(1, min(ny1, self.height)),
        )


def _lighting(arr: np.ndarray, level: Level, rng: np.random.Generator) -> np.ndarray:
    """Uneven lighting: a smooth fall-off from a random bright spot, as on a copy stand."""
    if level.lighting <= 0:
        return arr
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h:16, 0:w:16].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    dist = np.sqrt(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2)
    small = (1.0 - level.lighting * dist / dist.max()).astype(np.float32)
    light = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if arr.ndim == 3:
        light = cv2.cvtColor(light, cv2.COLOR_GRAY2RGB)
    out: np.ndarray = cv2.multiply(arr, light, dtype=cv2.CV_8U)
    return out


def _grain_and_blur(arr: np.ndarray, level: Level, rng: np.random.Generator) -> np.ndarray:
    """Grain, then the optics' blur over both (so JPEG stays near real sizes)."""
    h, w = arr.shape[:2]
    if level.noise:
        # Grain at half resolution (scanner noise is not pixel-independent anyway): 4x fewer draws.
        half = rng.standard_normal(((h + 1) // 2, (w + 1) // 2), dtype=np.float32)
        noise = cv2.resize(half * np.float32(level.noise), (w, h), interpolation=cv2.INTER_LINEAR)
        if arr.ndim == 3:
            noise = cv2.cvtColor(noise, cv2.COLOR_GRAY2RGB)
        arr = cv2.add(arr, noise, dtype=cv2.CV_8U)
    if level.blur:
        arr = cv2.GaussianBlur(arr, (0, 0), level.blur)
    return np.ascontiguousarray(arr)


def _jpeg(arr: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=quality, optimize=False)
    return buf.getvalue()


def degrade_page(image: Image.Image, level_name: str, seed: int) -> Degraded:
    """Apply the scan model of `level_name`; deterministic for a given seed."""
    level = LEVELS[level_name]
    rng = np.random.default_rng(seed)
    # Work in uint8 with OpenCV's vectorised kernels: float RGB pages cost ~3x more time.
    arr = _lighting(np.asarray(image.convert("RGB")), level, rng)
    h, w = arr.shape[:2]
    angle = float(rng.uniform(-level.rotation, level.rotation)) if level.rotation else 0.0
    matrix = np.eye(3)
    if level.rotation or level.perspective:
        rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        r3 = np.vstack([rot, [0, 0, 1]])
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        jit = rng.uniform(-level.perspective, level.perspective, size=(4, 2)) * [w, h]
        dst = (src + jit).astype(np.float32)
        persp = cv2.getPerspectiveTransform(src, dst)
        matrix = persp @ r3
        border = tuple(int(v) for v in np.median(arr[:20, :20].reshape(-1, 3), axis=0) * 0.55)
        arr = cv2.warpPerspective(
            arr,
            matrix,
            (w, h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=border,
        )
    out = _grain_and_blur(arr, level, rng)
    return Degraded(_jpeg(out, level.jpeg), w, h, angle, matrix)


def photometric(grey: np.ndarray, level: Level, seed: int) -> np.ndarray:
    """A grey page through `level`'s light, grain, blur and JPEG, with no geometry: its truth
    boxes stay where they are (training crops of soft phone photos, training/forms.py)."""
    rng = np.random.default_rng(seed)
    arr = _grain_and_blur(_lighting(grey, level, rng), level, rng)
    decoded = cv2.imdecode(np.frombuffer(_jpeg(arr, level.jpeg), np.uint8), cv2.IMREAD_GRAYSCALE)
    return np.asarray(decoded)
