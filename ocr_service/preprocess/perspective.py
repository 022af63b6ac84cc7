"""Perspective: a photographed sheet (or open book) seen as a quadrilateral is made rectangular.

A phone held over a book sees the paper as a quadrilateral: its text lines lean differently
from the top of the page to the bottom, so no single skew angle straightens them and a fold
leans. The paper's outline is the convex hull of what is not surround (`crop.surround_dark`);
each side of it that shows — straight, paper just inside, darker surround just outside — is
fitted with a line. A side the photo cut off (the frame runs there) is taken parallel to the
opposite side; where neither of two opposite sides shows, they are taken square to the other
two.
At least two opposite sides must show. The image is then warped so that the four corners
become a rectangle the size of the longer opposite sides. Anything else — no surround, a
surround lighter than a cover round the pages, an outline that is no quadrilateral, a paper
that is a rectangle already (a scan: crop and deskew do that) — is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr_service.preprocess.analysis import shrink_grey
from ocr_service.preprocess.crop import surround_dark

PERSPECTIVE_LONG_SIDE = 1000  # the outline is found on a thumbnail this long
MIN_PAPER_AREA = 0.35  # the quadrilateral covers at least this share of the image
MIN_PART_AREA = 0.04  # paper components smaller than this share of the image are ignored
MAX_HULL_MISFIT = 0.02  # |hull area - quad area| / hull area: the outline is a quadrilateral
MIN_CORNER_DEVIATION = 0.5  # degrees off a right angle and ...
MIN_SIDE_DIFFERENCE = 0.01  # ... share between opposite sides' lengths below which the paper is
# a rectangle already (a scan's slight keystone): crop and deskew are enough
SIDE_SLANT = 20.0  # degrees: a hull edge this close to level (upright) belongs to a side
MIN_SIDE_SHOWN = 0.25  # x the frame's side: a paper side shows over at least this length
MAX_OUTSIDE = 0.15  # x the frame's side: corners of paper running off the photo lie within
EDGE_PROBE = 4.0  # thumbnail pixels either side of a paper edge where paper / surround is seen
EDGE_AGREE = 0.9  # ... along at least this share of the edge
BORDER_PX = 2  # thumbnail pixels: a point this close to the frame lies on it
CLOSE_KERNEL = 5  # thumbnail pixels: text and ruled lines are no holes in the paper's outline


@dataclass(frozen=True)
class Quad:
    """The paper's corners in image pixels: top-left, top-right, bottom-right, bottom-left."""

    corners: np.ndarray  # [4, 2] float64


def _paper_hull(dark: np.ndarray) -> np.ndarray | None:
    """Convex hull [N, 2] of the large paper components of a thumbnail (not ``dark``), or
    None. Closing fills the text and rules inside the paper; opening then drops the specks of
    light in a textured surround (a table's grain)."""
    kernel = np.ones((CLOSE_KERNEL, CLOSE_KERNEL), np.uint8)
    closed = cv2.morphologyEx((~dark).astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    paper = cv2.morphologyEx(closed, cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=8)
    h, w = dark.shape
    keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= MIN_PART_AREA * h * w]
    if not keep:
        return None
    # The pages of a spread may be two components (a deep fold): one outline over both.
    ys, xs = np.nonzero(np.isin(labels, keep))
    points = np.column_stack([xs, ys]).astype(np.int32)
    hull = cv2.convexHull(points)
    return np.asarray(hull.reshape(-1, 2), dtype=np.float64)


def _is_rectangle(quad: np.ndarray) -> bool:
    """Whether the corners already make a rectangle (any rotation), within the tolerances."""
    sides = [quad[(i + 1) % 4] - quad[i] for i in range(4)]
    for i in range(4):
        a, b = -sides[i - 1], sides[i]
        cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
        if abs(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) - 90.0) > MIN_CORNER_DEVIATION:
            return False
    lengths = [float(np.linalg.norm(s)) for s in sides]
    tol = MIN_SIDE_DIFFERENCE
    return abs(lengths[0] - lengths[2]) <= tol * max(lengths[0], lengths[2]) and abs(
        lengths[1] - lengths[3]
    ) <= tol * max(lengths[1], lengths[3])


def _on_frame(p: np.ndarray, w: int, h: int) -> np.ndarray:
    """Which frame borders (left, top, right, bottom) a thumbnail point lies on."""
    return np.array(
        [p[0] <= BORDER_PX, p[1] <= BORDER_PX, p[0] >= w - 1 - BORDER_PX, p[1] >= h - 1 - BORDER_PX]
    )


def _side_points(hull: np.ndarray, w: int, h: int) -> list[list[np.ndarray]]:
    """Points along the paper's own edges, by side (top, right, bottom, left): the hull's edges
    that run within SIDE_SLANT of level or upright and do not follow the frame (where the paper
    runs off the photo, the frame cuts it and says nothing of its lean)."""
    sides: list[list[np.ndarray]] = [[], [], [], []]
    centre = hull.mean(axis=0)
    for i in range(len(hull)):
        p, q = hull[i], hull[(i + 1) % len(hull)]
        if (_on_frame(p, w, h) & _on_frame(q, w, h)).any():
            continue
        d = q - p
        length = float(np.hypot(*d))
        if length < 1:
            continue
        angle = np.degrees(np.arctan2(abs(d[1]), abs(d[0])))
        mid = (p + q) / 2
        if angle <= SIDE_SLANT:
            side = 0 if mid[1] < centre[1] else 2
        elif angle >= 90 - SIDE_SLANT:
            side = 3 if mid[0] < centre[0] else 1
        else:
            continue  # a dog-eared or rounded corner, a finger
        steps = max(2, int(length))
        for t in np.linspace(0.0, 1.0, steps):
            sides[side].append(p + t * d)
    return sides


def _is_paper_edge(
    points: list[np.ndarray], line: np.ndarray, centre: np.ndarray, dark: np.ndarray
) -> bool:
    """Whether paper lies just inside these edge points (fitted by ``line``) and the surround
    just outside them (where the frame allows): the outline of paper lying on something
    darker, not of a cover, a page block's edge or a light table round a book."""
    h, w = dark.shape
    pts = np.array(points)
    normal = line[:2] / np.hypot(line[0], line[1])
    if np.dot(centre - pts.mean(axis=0), normal) < 0:
        normal = -normal  # pointing into the paper
    inside = np.rint(pts + EDGE_PROBE * normal).astype(int)
    outside = np.rint(pts - EDGE_PROBE * normal).astype(int)

    def in_frame(q: np.ndarray) -> np.ndarray:
        return np.asarray((q[:, 0] >= 0) & (q[:, 0] < w) & (q[:, 1] >= 0) & (q[:, 1] < h))

    ok_in, ok_out = in_frame(inside), in_frame(outside)
    if ok_in.sum() < 0.5 * len(pts):
        return False
    paper_in = ~dark[inside[ok_in, 1], inside[ok_in, 0]]
    if paper_in.mean() < EDGE_AGREE:
        return False
    if not ok_out.any():
        return True
    return bool(dark[outside[ok_out, 1], outside[ok_out, 0]].mean() >= EDGE_AGREE)


def _fit(points: list[np.ndarray]) -> np.ndarray:
    """The homogeneous line fitted to points (robust to a few off it)."""
    vx, vy, x0, y0 = cv2.fitLine(np.array(points, np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01)
    p = np.array([float(x0[0]), float(y0[0])])
    return _line(p, p + np.array([float(vx[0]), float(vy[0])]))


def _line(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The homogeneous line through two points."""
    return np.asarray(np.cross(np.append(p, 1.0), np.append(q, 1.0)))


def _meet(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    x = np.cross(a, b)
    return None if abs(x[2]) < 1e-9 else np.asarray(x[:2] / x[2])


def _unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v / np.hypot(v[0], v[1]))


def _direction(line: np.ndarray) -> np.ndarray:
    return np.array([line[1], -line[0]])


def _outline(hull: np.ndarray, dark: np.ndarray) -> np.ndarray | None:
    """The paper's four corners (top-left, top-right, bottom-right, bottom-left; thumbnail
    pixels) from its visible edges, or None when no two opposite sides show. A side that does
    not show (the paper runs off the photo there) is taken parallel to the opposite side,
    through the middle of the frame's border; when neither of two opposite sides shows, they
    are taken square to the other two (nothing is known of that lean)."""
    h, w = dark.shape
    points = _side_points(hull, w, h)
    need = [MIN_SIDE_SHOWN * w, MIN_SIDE_SHOWN * h, MIN_SIDE_SHOWN * w, MIN_SIDE_SHOWN * h]
    centre = hull.mean(axis=0)
    fitted: list[np.ndarray | None] = []
    for i in range(4):
        line = _fit(points[i]) if len(points[i]) >= need[i] else None
        edge = line is not None and _is_paper_edge(points[i], line, centre, dark)
        fitted.append(line if edge else None)
    shown = [line is not None for line in fitted]
    if not ((shown[0] and shown[2]) or (shown[1] and shown[3])):
        return None  # no two opposite sides show: no lean to correct that deskew does not
    frame = [
        (np.array([0.0, 0.0]), np.array([w - 1.0, 0.0])),
        (np.array([w - 1.0, 0.0]), np.array([w - 1.0, h - 1.0])),
        (np.array([0.0, h - 1.0]), np.array([w - 1.0, h - 1.0])),
        (np.array([0.0, 0.0]), np.array([0.0, h - 1.0])),
    ]
    lines: list[np.ndarray] = []
    for i in range(4):
        line, opposite = fitted[i], fitted[(i + 2) % 4]
        mid = (frame[i][0] + frame[i][1]) / 2
        if line is None and opposite is not None:
            line = _line(mid, mid + _direction(opposite))
        elif line is None:
            # Neither shows: square to the other pair (both show), as a rectangle's sides are.
            # The frame's border instead would shear a page that is only turned.
            others = [f for f in (fitted[(i + 1) % 4], fitted[(i + 3) % 4]) if f is not None]
            across = [_unit(_direction(f)) for f in others]
            if np.dot(across[0], across[1]) < 0:
                across[1] = -across[1]
            along = across[0] + across[1]
            line = _line(mid, mid + np.array([-along[1], along[0]]))
        lines.append(line)
    # top-left = left x top, top-right = top x right, ...
    corners = [
        _meet(lines[3], lines[0]),
        _meet(lines[0], lines[1]),
        _meet(lines[1], lines[2]),
        _meet(lines[2], lines[3]),
    ]
    if any(c is None for c in corners):
        return None
    quad = np.array(corners, dtype=np.float64)
    reach = MAX_OUTSIDE * np.array([w, h])
    if (quad < -reach).any() or (quad > np.array([w, h]) + reach).any():
        return None
    return quad


def find_paper_quad(img: np.ndarray) -> Quad | None:
    """The photographed paper's four corners in ``img`` pixels, when its outline against a
    darker surround is a quadrilateral seen in perspective; None otherwise."""
    grey, scale = shrink_grey(img, PERSPECTIVE_LONG_SIDE)
    h, w = grey.shape
    dark = surround_dark(grey)
    hull = _paper_hull(dark)
    if hull is None:
        return None
    quad = _outline(hull, dark)
    if quad is None or _is_rectangle(quad):
        return None
    frame = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    shared, _ = cv2.intersectConvexConvex(quad.astype(np.float32), frame)
    hull_area = cv2.contourArea(hull.astype(np.float32))
    if shared < MIN_PAPER_AREA * h * w or abs(shared - hull_area) > MAX_HULL_MISFIT * hull_area:
        return None  # the outline is no quadrilateral (a page's edge curled, a hand over it)
    # Thumbnail pixel centres to image pixel edges: (p + 0.5) / scale.
    return Quad(corners=(quad + 0.5) / scale)


def rectify(img: np.ndarray, quad: Quad) -> tuple[np.ndarray, np.ndarray]:
    """The paper warped to a rectangle: (image, 3x3 matrix mapping ``img`` pixels to it).

    Where the paper ran off the photo the rectangle reaches past the frame; the frame's edge
    pixels (paper there) are repeated into it: a white fill would make the paper beside it
    look shaded to the crop, and the paper's outline is the crop already."""
    tl, tr, br, bl = quad.corners
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    out_w, out_h = round(float(width)), round(float(height))
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad.corners.astype(np.float32), dst)
    out = cv2.warpPerspective(
        img, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out, np.asarray(m, dtype=np.float64)
