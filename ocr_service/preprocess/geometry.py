"""Transform bookkeeping: matrices that map boxes between processed and original images.

Every step but one is affine (2x3); a perspective correction is a homography (3x3). Both are
accepted wherever a transform is, and a composition stays 2x3 while every part is affine."""

from __future__ import annotations

import numpy as np

BBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


def identity_affine() -> np.ndarray:
    """The 2x3 identity transform."""
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def compose_affine(second: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The 2x3 transform that applies ``first`` then ``second``."""
    a = np.vstack([second, [0.0, 0.0, 1.0]])
    b = np.vstack([first, [0.0, 0.0, 1.0]])
    return np.asarray((a @ b)[:2])


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a 2x3 affine transform."""
    return np.asarray(np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2])


def translate_affine(dx: float, dy: float) -> np.ndarray:
    """A 2x3 translation."""
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])


def as_homography(matrix: np.ndarray) -> np.ndarray:
    """A 2x3 affine or a 3x3 homography as a 3x3 homography."""
    m = np.asarray(matrix, dtype=np.float64)
    return m if m.shape == (3, 3) else np.vstack([m, [0.0, 0.0, 1.0]])


def compose_transform(second: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``first`` then ``second``, each 2x3 or 3x3: 2x3 when both are affine, else 3x3."""
    if np.shape(second) == (2, 3) and np.shape(first) == (2, 3):
        return compose_affine(second, first)
    m = as_homography(second) @ as_homography(first)
    return np.asarray(m / m[2, 2])


def invert_transform(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a 2x3 affine (2x3) or of a 3x3 homography (3x3)."""
    if np.shape(matrix) == (2, 3):
        return invert_affine(matrix)
    m = np.linalg.inv(as_homography(matrix))
    return np.asarray(m / m[2, 2])


def affine_fit(matrix: np.ndarray, bbox: BBox) -> np.ndarray:
    """The 2x3 affine closest (least squares) to ``matrix`` over the corners and centre of
    ``bbox``: the same matrix when it is affine already."""
    if np.shape(matrix) == (2, 3):
        return np.asarray(matrix, dtype=np.float64)
    x0, y0, x1, y1 = bbox
    src = np.array(
        [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [(x0 + x1) / 2, (y0 + y1) / 2]], dtype=np.float64
    )
    dst = map_points(matrix, src)
    a = np.hstack([src, np.ones((len(src), 1))])
    sol, *_ = np.linalg.lstsq(a, dst, rcond=None)
    return np.asarray(sol.T)


def map_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points [N, 2] mapped through a 2x3 affine or a 3x3 homography."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    m = np.asarray(matrix, dtype=np.float64)
    out = pts @ m[:2, :2].T + m[:2, 2]
    if m.shape == (3, 3):
        w = pts @ m[2, :2] + m[2, 2]
        out = out / w[:, None]
    return np.asarray(out)


def map_bbox(matrix: np.ndarray, bbox: BBox | tuple[float, float, float, float]) -> BBox:
    """The axis-aligned box that encloses ``bbox`` after the transform (corners mapped)."""
    x0, y0, x1, y1 = bbox
    corners = map_points(matrix, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    lo = np.floor(corners.min(axis=0) + 1e-6)
    hi = np.ceil(corners.max(axis=0) - 1e-6)
    return int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])


def quarter_turn_affine(k_cw: int, width: int, height: int) -> np.ndarray:
    """The 2x3 transform of a clockwise rotation by ``k_cw`` quarter turns of a
    ``width`` x ``height`` image (pixel-edge coordinates, so boxes map exactly)."""
    k = k_cw % 4
    if k == 0:
        return identity_affine()
    if k == 1:  # (x, y) -> (H - y, x)
        return np.array([[0.0, -1.0, float(height)], [1.0, 0.0, 0.0]])
    if k == 2:  # (x, y) -> (W - x, H - y)
        return np.array([[-1.0, 0.0, float(width)], [0.0, -1.0, float(height)]])
    return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, float(width)]])  # (x, y) -> (y, W - x)
