"""Printed ruled lines of a page: the long straight runs of ink that morphology keeps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

Axis = Literal["horizontal", "vertical"]


@dataclass(frozen=True)
class RuleSegment:
    """One straight run of ink: its extent in page pixels (inclusive) and its ink centroid."""

    x0: int
    y0: int
    x1: int
    y1: int
    cx: float
    cy: float

    def length(self, axis: Axis) -> int:
        """Extent along the rule's direction."""
        return self.x1 - self.x0 + 1 if axis == "horizontal" else self.y1 - self.y0 + 1

    def thickness(self, axis: Axis) -> int:
        """Extent across the rule's direction."""
        return self.y1 - self.y0 + 1 if axis == "horizontal" else self.x1 - self.x0 + 1


def _line_kernel(axis: Axis, size: int) -> np.ndarray:
    shape = (1, size) if axis == "horizontal" else (size, 1)
    return np.ones(shape, np.uint8)


def find_rule_segments(
    ink: np.ndarray,
    *,
    axis: Axis,
    min_run: int,
    bridge: int = 1,
    min_length: float = 0.0,
    max_thickness: float = math.inf,
) -> list[RuleSegment]:
    """The ruled lines along ``axis`` in an ink mask (non-zero = ink), in scan order.

    A printed rule is a long straight run of ink, a letter is not: opening the mask with a
    ``min_run``-pixel line along the axis keeps only runs at least that long. ``bridge`` > 1
    first closes breaks of up to ``bridge`` - 1 pixels along the axis (a rule on old paper
    breaks where the ink skipped). Each 8-connected piece of what is left is one segment;
    those shorter than ``min_length`` along the axis or thicker than ``max_thickness``
    across it are dropped. Each caller knows its page and passes its own values; joining
    the pieces of one rule is left to it too (a row rule's two edges, a column rule broken
    by a word written across it call for different joins).
    """
    mask = ink
    if bridge > 1:
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _line_kernel(axis, bridge))
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _line_kernel(axis, min_run))
    n, _, stats, centroids = cv2.connectedComponentsWithStats(opened, connectivity=8)
    segments: list[RuleSegment] = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i][:4])
        seg = RuleSegment(
            x, y, x + w - 1, y + h - 1, float(centroids[i][0]), float(centroids[i][1])
        )
        if seg.length(axis) >= min_length and seg.thickness(axis) <= max_thickness:
            segments.append(seg)
    return segments
