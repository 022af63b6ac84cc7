"""Perspective: a photographed sheet's four corners made a rectangle, and nothing else touched."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr_service.preprocess import PreprocessOptions, preprocess_page
from ocr_service.preprocess.geometry import map_points
from ocr_service.preprocess.perspective import find_paper_quad

W, H = 1400, 1000  # the sheet before it is photographed
RULES = np.arange(120, 900, 60)  # y of its ruled lines, drawn across from x 100 to 1300
REAL_SCANS = Path(__file__).parent / "resources" / "real-scans"
ON = PreprocessOptions(perspective=True)


def _sheet() -> np.ndarray:
    sheet = np.full((H, W), 235, np.uint8)
    for y in RULES:
        cv2.line(sheet, (100, int(y)), (1300, int(y)), 20, 3)
    for x in (100, 1300):
        cv2.line(sheet, (x, 120), (x, int(RULES[-1])), 20, 3)
    return sheet


def _photo(
    corners: list[tuple[float, float]], size: tuple[int, int] = (1600, 1200)
) -> tuple[np.ndarray, np.ndarray]:
    """The sheet seen in perspective, its corners at ``corners`` on a dark table."""
    src = np.array([[0, 0], [W, 0], [W, H], [0, H]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.array(corners, np.float32))
    photo = cv2.warpPerspective(_sheet(), m, size, borderValue=60)
    return cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR), m


def _rule_lean(img: np.ndarray) -> list[float]:
    """For each ruled line found: its y at the right end minus its y at the left end."""
    w = img.shape[1]
    dark = img < 128
    leans = []
    left, right = dark[:, int(0.15 * w) : int(0.2 * w)], dark[:, int(0.8 * w) : int(0.85 * w)]
    ys_l = np.flatnonzero(left.mean(axis=1) > 0.5)
    ys_r = np.flatnonzero(right.mean(axis=1) > 0.5)
    for y in ys_l[np.diff(ys_l, prepend=-10) > 5]:
        near = ys_r[np.abs(ys_r - y) < 25]
        if near.size:
            leans.append(float(near.mean() - y))
    return leans


KEYSTONE = [(180, 150), (1450, 110), (1520, 1090), (120, 1010)]  # all four corners show


def test_a_sheet_in_perspective_is_found_by_its_corners() -> None:
    photo, _ = _photo(KEYSTONE)
    quad = find_paper_quad(photo)
    assert quad is not None
    assert np.abs(quad.corners - np.array(KEYSTONE)).max() <= 6


def test_its_ruled_lines_come_out_level_end_to_end() -> None:
    # In perspective the rules lean differently from top to bottom: no single skew
    # straightens them all. Corrected, every rule is level within a few pixels.
    photo, m = _photo(KEYSTONE)
    old = preprocess_page(photo)  # the stage is opt-in (SOHOA_PERSPECTIVE)
    assert max(abs(v) for v in _rule_lean(old.image)) > 15  # one deskew angle fails here
    result = preprocess_page(photo, options=ON)
    assert result.perspective and abs(result.skew) < 0.3
    leans = _rule_lean(result.image)
    assert len(leans) >= len(RULES) - 2
    assert max(abs(v) for v in leans) <= 4
    # A point of the sheet maps back to where the photo shows it.
    sheet_pt = np.array([[700.0, float(RULES[5])]])
    in_photo = map_points(m, sheet_pt)[0]
    processed = map_points(result.from_original, in_photo[None, :])
    back = map_points(result.to_original, processed)[0]
    assert np.abs(back - in_photo).max() < 0.5
    info = result.info().to_json()
    assert len(info["homography"]) == 3 and len(info["to_original"]) == 2


def test_a_sheet_running_off_the_photo_is_corrected_by_the_sides_that_show() -> None:
    # The right edge of the sheet is outside the photo: the frame says nothing of its lean,
    # so it is taken parallel to the left edge; top and bottom still show the perspective.
    corners = [(150, 140), (1700, 90), (1700, 1110), (110, 1030)]
    photo, _ = _photo(corners)
    result = preprocess_page(photo, options=ON)
    assert result.perspective
    leans = _rule_lean(result.image)
    assert leans and max(abs(v) for v in leans) <= 6


@pytest.mark.parametrize(
    "corners",
    [
        [(200, 100), (1400, 100), (1400, 1100), (200, 1100)],  # upright: crop's work
        [(220, 80), (1420, 130), (1375, 1130), (175, 1080)],  # turned 2.4 degrees: deskew's
    ],
)
def test_a_rectangle_is_left_to_crop_and_deskew(corners: list[tuple[float, float]]) -> None:
    photo, _ = _photo(corners)
    assert find_paper_quad(photo) is None


def test_a_flatbed_scan_and_a_sheet_on_a_light_table_are_left_alone() -> None:
    scan = cv2.cvtColor(_sheet(), cv2.COLOR_GRAY2BGR)
    assert find_paper_quad(scan) is None
    src = np.array([[0, 0], [W, 0], [W, H], [0, H]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.array(KEYSTONE, np.float32))
    light = cv2.warpPerspective(_sheet(), m, (1600, 1200), borderValue=225)
    assert find_paper_quad(cv2.cvtColor(light, cv2.COLOR_GRAY2BGR)) is None


@pytest.mark.parametrize(
    "name", ["FRAN_0187_50115_L.jpg", "FRAN_0187_50722_L.jpg", "page43_EF.png"]
)
def test_real_scans_are_not_warped(name: str) -> None:
    # A bound book photographed on a light ground, its green cover round the pages: the
    # convex outline of what is not dark is the cover's and the ground's, not paper's.
    img = cv2.imread(str(REAL_SCANS / name))
    assert img is not None
    assert find_paper_quad(img) is None


def test_a_turned_sheet_cut_at_top_and_bottom_is_left_to_deskew() -> None:
    # Only the left and right edges show, both leaning 1 degree: a turned page, no keystone.
    # Taking the frame's top and bottom borders for the missing sides sheared such a page
    # (three light-profile tuning pages read worse); square to the sides shown, it is a
    # rectangle, and deskew turns it.
    t = np.radians(1.0)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    half = np.array([[-700, -600], [700, -600], [700, 600], [-700, 600]], float)
    corners = [tuple(p) for p in half @ rot.T + [800, 450]]
    photo, _ = _photo(corners, size=(1600, 900))
    assert find_paper_quad(photo) is None
    result = preprocess_page(photo, options=ON)
    assert not result.perspective and abs(result.skew) > 0.5


def test_the_page_pipeline_corrects_only_when_the_setting_asks() -> None:
    from ocr_service.config import Settings
    from ocr_service.pipeline.stages import preprocess_image

    photo, _ = _photo(KEYSTONE)
    assert Settings().perspective is False
    _, info = preprocess_image(photo)
    assert info.homography is None
    _, info = preprocess_image(photo, perspective=True)
    assert info.homography is not None and "homography" in info.to_json()
