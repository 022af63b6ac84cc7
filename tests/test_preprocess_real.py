"""Preprocessing stages on the three real register scans, checked against truth.json and the XML."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from lxml import etree

from ocr_service.preprocess import (
    crop_page,
    detect_orientation,
    estimate_skew,
    find_gutter,
    map_bbox_to_processed,
    preprocess_page,
)
from tests.conftest import REAL_SCANS, RESOURCES

TRUTH = {p["file"]: p for p in json.loads((REAL_SCANS / "truth.json").read_text())["pages"]}
FILES = ["FRAN_0187_50115_L.jpg", "FRAN_0187_50722_L.jpg", "page43_EF.png"]
SPLIT_SLACK_PX = 60  # the README's tolerance around the clear range
SKEW_TOL_DEG = 0.3
WIDE_LINE_SHARE = 0.35  # running titles cross the gutter: the README leaves them out too


def _px(name: str, pixels: float) -> float:
    """A distance in pixels of the published scan, in pixels of the (smaller) test copy."""
    return pixels * float(TRUTH[name]["copy"]["scale"])


def _read(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    img = cv2.imread(str(path), flags)
    assert img is not None, path
    return img


@pytest.fixture(scope="module")
def scans() -> Iterator[dict[str, np.ndarray]]:
    """Each real image decoded once for the whole module (the spreads are ~30 MB each)."""
    loaded = {name: _read(REAL_SCANS / name) for name in FILES}
    yield loaded
    loaded.clear()


@pytest.fixture(scope="module")
def gutters(scans: dict[str, np.ndarray]) -> dict[str, int | None]:
    return {name: find_gutter(img) for name, img in scans.items()}


def _line_polygons(xml_name: str) -> list[np.ndarray]:
    root = etree.parse(str(REAL_SCANS / xml_name)).getroot()
    polys: list[np.ndarray] = []
    for el in root.iter("{*}Coords"):
        if etree.QName(el.getparent()).localname == "TextLine":
            pts = [tuple(map(float, p.split(","))) for p in el.get("points", "").split()]
            polys.append(np.array(pts))
    for el in root.iter("{*}Polygon"):
        if etree.QName(el.getparent().getparent()).localname == "TextLine":
            vals = list(map(float, el.get("POINTS", "").split()))
            polys.append(np.array(vals).reshape(-1, 2))
    return polys


def _area(poly: np.ndarray) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def _clip_left_of(poly: np.ndarray, split: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a polygon to the half-plane x <= split."""
    out: list[tuple[float, float]] = []
    n = len(poly)
    for i in range(n):
        (px, py), (qx, qy) = poly[i - 1], poly[i]
        p_in, q_in = px <= split, qx <= split
        if p_in != q_in:
            t = (split - px) / (qx - px)
            out.append((split, py + t * (qy - py)))
        if q_in:
            out.append((qx, qy))
    return np.array(out).reshape(-1, 2)


@pytest.mark.parametrize("name", FILES)
def test_gutter_splits_between_the_pages(name: str, scans: dict[str, Any], gutters: dict) -> None:
    truth = TRUTH[name]
    w = scans[name].shape[1]
    x = gutters[name]
    assert x is not None
    assert abs(x - truth["gutter"]["x"]) <= 0.03 * w
    lo, hi = truth["gutter"]["clear_range"]
    slack = _px(name, SPLIT_SLACK_PX)
    assert lo - slack <= x <= hi + slack
    polys = [p for p in _line_polygons(truth["xml"]) if np.ptp(p[:, 0]) <= WIDE_LINE_SHARE * w]
    assert len(polys) >= 90
    for poly in polys:
        left = _area(_clip_left_of(poly, x)) / max(_area(poly), 1.0)
        assert max(left, 1.0 - left) >= 0.9, poly.min(axis=0)


@pytest.mark.parametrize("name", FILES)
def test_skew_per_page_side_matches_truth(name: str, scans: dict[str, Any], gutters: dict) -> None:
    img = scans[name]
    x0, y0, x1, y1 = crop_page(img)[1]
    gx = gutters[name]
    assert gx is not None
    left = estimate_skew(img[y0:y1, x0:gx])
    right = estimate_skew(img[y0:y1, gx:x1])
    truth = TRUTH[name]["skew_deg"]
    assert left == pytest.approx(truth["left_page"], abs=SKEW_TOL_DEG)
    assert right == pytest.approx(truth["right_page"], abs=SKEW_TOL_DEG)


def test_crop_finds_the_photo_on_the_lyon_sheet(scans: dict[str, Any]) -> None:
    cropped, box = crop_page(scans["page43_EF.png"])
    truth = TRUTH["page43_EF.png"]["photo_bbox"]  # x0, y0, x1, y1
    assert np.abs(np.array(box) - np.array(truth)).max() <= 12
    assert cropped.shape[:2] == (box[3] - box[1], box[2] - box[0])


@pytest.mark.parametrize("name", FILES[:2])
def test_crop_cuts_the_cover_but_keeps_every_text_line(name: str, scans: dict[str, Any]) -> None:
    img = scans[name]
    w = img.shape[1]
    x0, y0, x1, _ = crop_page(img)[1]
    margin = _px(name, 20)
    assert x0 > 0.03 * w and x1 < 0.98 * w  # the dark cover on both sides is gone
    polys = _line_polygons(TRUTH[name]["xml"])
    inside = [
        p[:, 0].min() >= x0 - margin
        and p[:, 0].max() <= x1 + margin
        and p[:, 1].min() >= y0 - margin
        for p in polys
    ]
    # The folio number sits on the top edge of the right page, next to the cover.
    assert sum(inside) >= len(polys) - 1


@pytest.mark.parametrize("name", FILES)
def test_one_page_of_a_spread_has_no_gutter(name: str, scans: dict[str, Any]) -> None:
    img = scans[name]
    split = TRUTH[name]["gutter"]["x"]
    away = round(_px(name, 150))
    assert find_gutter(img[:, : split - away]) is None
    assert find_gutter(img[:, split + away :]) is None


def test_real_single_page_fixture() -> None:
    page = _read(RESOURCES / "preprocess" / "fran_50115_left_page_1000px.jpg")
    assert find_gutter(page) is None
    assert detect_orientation(page) == 0
    assert detect_orientation(np.rot90(page, 1)) == 90
    assert detect_orientation(np.rot90(page, 2)) == 180


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("turns_ccw", [0, 1, 2, 3])
def test_orientation_of_turned_real_scans(name: str, turns_ccw: int) -> None:
    # A quarter-size decode is plenty: the stage works on a 1000 px thumbnail anyway.
    small = _read(REAL_SCANS / name, cv2.IMREAD_REDUCED_COLOR_4)
    turned = np.ascontiguousarray(np.rot90(small, turns_ccw))
    assert detect_orientation(turned) == 90 * turns_ccw


def test_preprocess_page_on_a_spread_maps_back(scans: dict[str, Any]) -> None:
    name = "FRAN_0187_50722_L.jpg"
    img = scans[name]
    result = preprocess_page(img)
    assert result.rotation == 0
    assert result.gutter_x is not None
    assert len(result.sides) == 2
    assert result.image.ndim == 2  # contrast normalisation gives grey
    truth = TRUTH[name]
    lo, hi = truth["gutter"]["clear_range"]
    ph = result.image.shape[0]
    gx0, _, gx1, _ = result.map_bbox_to_original(
        (result.gutter_x, ph // 2, result.gutter_x, ph // 2)
    )
    slack = _px(name, SPLIT_SLACK_PX)
    assert lo - slack <= (gx0 + gx1) / 2 <= hi + slack
    for est, key in zip(result.side_skews, ("left_page", "right_page"), strict=True):
        assert est == pytest.approx(truth["skew_deg"][key], abs=SKEW_TOL_DEG)
    # A text line's box from the XML survives the round trip through the processed image.
    poly = _line_polygons(truth["xml"])[10]
    box = (
        int(poly[:, 0].min()),
        int(poly[:, 1].min()),
        int(poly[:, 0].max()),
        int(poly[:, 1].max()),
    )
    back = result.map_bbox_to_original(map_bbox_to_processed(result, box))
    # Mapping a rotated box twice grows it by the tilt only: a few pixels at 0.3 degrees.
    assert np.abs(np.array(back) - np.array(box)).max() <= _px(name, 30)
