"""Preprocessing on pages rendered here (Pillow + DejaVu): turns, tilts, spreads, geometry."""

from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_service.preprocess import (
    PreprocessOptions,
    crop_page,
    deskew,
    detect_orientation,
    estimate_skew,
    find_gutter,
    map_bbox_to_original,
    map_bbox_to_processed,
    normalise_contrast,
    preprocess_page,
)
from ocr_service.preprocess.spread import find_spread
from ocr_service.synth import generate_book
from ocr_service.synth.catalog import TUNING

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEXT = "Ngày tháng năm sinh họ và tên cha mẹ nơi cư trú đăng ký khai sinh số quyển Huế xã tỉnh"
WORDS = TEXT.split(" ")
A4_200DPI = (1654, 2339)


def render_page(seed: int = 0, size: int = 34, ruled: bool = False) -> np.ndarray:
    """A grey A4 page at 200 dpi: Vietnamese words in lines, optionally a ruled register grid."""
    rnd = random.Random(seed)
    w, h = A4_200DPI
    im = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, size)
    y = 150
    while y < h - 200:
        words: list[str] = []
        while font.getlength(" ".join([*words, "quyển"])) < w - 320:
            words.append(rnd.choice(WORDS))
        draw.text((160, y), " ".join(words), fill=20, font=font)
        y += int(size * 1.8)
    page = np.array(im)
    if ruled:
        for x in (150, 500, 827, 1200, 1504):
            cv2.line(page, (x, 140), (x, h - 180), 0, 3)
        for y in range(140, h - 150, 63):
            cv2.line(page, (150, y), (1504, y), 0, 2)
    return page


def render_spread(seed: int = 0) -> tuple[np.ndarray, int]:
    """Two pages side by side, darkened by a fold shadow in the middle: (image, fold x)."""
    pair = np.hstack([render_page(seed), render_page(seed + 1, ruled=True)]).astype(np.float32)
    w = pair.shape[1]
    fold = w // 2
    x = np.arange(w, dtype=np.float32)
    light = 1 - 0.3 * np.exp(-(((x - fold) / 25.0) ** 2)) - 0.12 * np.exp(-np.abs(x - fold) / 200.0)
    return np.clip(pair * light[None, :], 0, 255).astype(np.uint8), fold


def tilt(page: np.ndarray, skew_deg: float) -> np.ndarray:
    """The page content turned clockwise by ``skew_deg`` (the README's positive skew)."""
    return np.array(Image.fromarray(page).rotate(-skew_deg, expand=True, fillcolor=255))


def on_dark_table(page: np.ndarray, margin: tuple[int, int, int, int]) -> np.ndarray:
    """A BGR photo-like image: the page on a dark noisy table (margin: left, top, right, bottom)."""
    left, top, right, bottom = margin
    h, w = page.shape
    rng = np.random.default_rng(0)
    table = rng.normal(45, 8, (h + top + bottom, w + left + right)).clip(0, 255).astype(np.uint8)
    table[top : top + h, left : left + w] = page
    return cv2.cvtColor(table, cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def text_page() -> np.ndarray:
    return render_page(seed=3)


@pytest.fixture(scope="module")
def table_page() -> np.ndarray:
    return render_page(seed=4, ruled=True)


@pytest.mark.parametrize("turns_ccw", [0, 1, 2, 3])
@pytest.mark.parametrize("kind", ["text", "table"])
def test_turned_page_orientation(
    kind: str, turns_ccw: int, text_page: np.ndarray, table_page: np.ndarray
) -> None:
    page = text_page if kind == "text" else table_page
    turned = np.ascontiguousarray(np.rot90(page, turns_ccw))
    # The answer is the clockwise turn that undoes the counter-clockwise one.
    assert detect_orientation(turned) == 90 * turns_ccw


@pytest.mark.parametrize("turns_ccw", [1, 2, 3])
def test_turned_and_tilted_page_orientation(turns_ccw: int, table_page: np.ndarray) -> None:
    turned = np.ascontiguousarray(np.rot90(tilt(table_page, 2.5), turns_ccw))
    assert detect_orientation(turned) == 90 * turns_ccw


@pytest.mark.parametrize("skew_deg", [-2.5, -0.8, 0.0, 1.2, 2.5])
@pytest.mark.parametrize("kind", ["text", "table"])
def test_skew_is_estimated(
    kind: str, skew_deg: float, text_page: np.ndarray, table_page: np.ndarray
) -> None:
    page = text_page if kind == "text" else table_page
    assert estimate_skew(tilt(page, skew_deg)) == pytest.approx(skew_deg, abs=0.3)


def test_deskew_straightens_and_keeps_everything(text_page: np.ndarray) -> None:
    tilted = tilt(text_page, 2.5)
    straight, matrix = deskew(tilted, estimate_skew(tilted))
    assert abs(estimate_skew(straight)) <= 0.15
    # The enlarged canvas holds the whole input: its corners land inside the output.
    h, w = tilted.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    mapped = corners @ matrix[:, :2].T + matrix[:, 2]
    assert mapped.min() >= -1
    assert (mapped[:, 0].max(), mapped[:, 1].max()) <= (
        straight.shape[1] + 1,
        straight.shape[0] + 1,
    )


def test_blank_page_is_left_alone() -> None:
    blank = np.full((800, 600), 250, np.uint8)
    assert estimate_skew(blank) == 0.0
    assert detect_orientation(blank) == 0
    assert find_gutter(blank) is None
    result = preprocess_page(blank)
    assert (result.rotation, result.skew, result.gutter_x, len(result.sides)) == (0, 0.0, None, 1)
    assert result.crop_box == (0, 0, 600, 800)


@pytest.mark.parametrize("kind", ["text", "table"])
def test_single_page_has_no_gutter(
    kind: str, text_page: np.ndarray, table_page: np.ndarray
) -> None:
    page = text_page if kind == "text" else table_page
    assert find_gutter(page) is None
    assert find_gutter(tilt(page, 1.5)) is None
    assert find_gutter(on_dark_table(page, (120, 90, 140, 100))) is None


@pytest.mark.parametrize("seed", [0, 5])
def test_spread_gutter_is_the_fold(seed: int) -> None:
    spread, fold = render_spread(seed)
    x = find_gutter(spread)
    assert x is not None
    assert abs(x - fold) <= 0.01 * spread.shape[1]
    # Also when photographed on a dark table: the answer is in the photo's pixels.
    photo = on_dark_table(spread, (200, 150, 180, 160))
    x_photo = find_gutter(photo)
    assert x_photo is not None
    assert abs(x_photo - (fold + 200)) <= 0.01 * spread.shape[1]


def test_crop_cuts_the_page_out_of_a_photo(table_page: np.ndarray) -> None:
    photo = on_dark_table(table_page, (230, 170, 110, 260))
    cropped, (x0, y0, x1, y1) = crop_page(photo)
    h, w = table_page.shape
    assert np.abs(np.array([x0, y0, x1, y1]) - np.array([230, 170, 230 + w, 170 + h])).max() <= 15
    assert cropped.shape[:2] == (y1 - y0, x1 - x0)


def test_crop_keeps_a_page_in_shadow(tmp_path: Path) -> None:
    # A phone photo of an open book (the generator's phone profile, tuning group): the light
    # falls from one side, the left page's paper ~155 against the right's ~220, and the
    # image's one threshold fell inside the paper's tones: the crop cut the left page at a
    # fifth of the image as "surround" (#13, phone spreads). Every written line stays inside.
    book = generate_book("khai-sinh", 2, tmp_path / "b", style="typed", seed=11,
                         degrade="phone", spreads=True, group=TUNING, wide=True)  # fmt: skip
    truth = json.loads((book / "truth.json").read_text("utf-8"))
    for n, page in enumerate(truth["pages"], 1):
        photo = cv2.imread(str(book / "pages" / f"{n:04d}.jpg"))
        x0, y0, x1, y1 = crop_page(photo)[1]
        for line in page["lines"]:
            lx0, ly0, lx1, ly1 = line["bbox"]
            assert x0 <= lx0 + 2 and y0 <= ly0 + 2 and lx1 - 2 <= x1 and ly1 - 2 <= y1, line


@pytest.mark.parametrize(("style", "seed"), [("hand", 13), ("typed", 12)])
def test_a_phone_photo_of_a_spread_is_found_as_two_pages(
    tmp_path: Path, style: str, seed: int
) -> None:
    # Phone spreads of the generator (tuning group): the pages lean apart in perspective, and
    # once straightened by their mean skew the fold still leans: its text-free strip was 1-3
    # px wide upright on the thumbnail, and one image of each of these books read as one page
    # (or the crop had cut a page away). Every image here is two pages.
    book = generate_book("khai-sinh", 6, tmp_path / "b", style=style, seed=seed,
                         degrade="phone", spreads=True, group=TUNING, wide=True)  # fmt: skip
    pages = json.loads((book / "truth.json").read_text("utf-8"))["pages"]
    assert len(pages) == 3 and all(page["spread"] for page in pages)
    for n in range(1, len(pages) + 1):
        result = preprocess_page(cv2.imread(str(book / "pages" / f"{n:04d}.jpg")))
        assert find_spread(result.image, result.gutter_x) is not None, n


@pytest.mark.parametrize("kind", ["text", "table"])
def test_crop_leaves_a_flatbed_scan_alone(
    kind: str, text_page: np.ndarray, table_page: np.ndarray
) -> None:
    page = text_page if kind == "text" else table_page
    cropped, box = crop_page(page)
    assert box == (0, 0, page.shape[1], page.shape[0])
    assert cropped.shape == page.shape


def test_contrast_flattens_a_shadow(text_page: np.ndarray) -> None:
    h, w = text_page.shape
    light = np.linspace(0.55, 1.0, w, dtype=np.float32)[None, :]  # one side in shadow
    shaded = (text_page.astype(np.float32) * light).astype(np.uint8)
    out = normalise_contrast(cv2.cvtColor(shaded, cv2.COLOR_GRAY2BGR))
    assert out.shape == (h, w) and out.dtype == np.uint8
    paper = text_page > 250
    left_paper, right_paper = (
        out[:, : w // 4][paper[:, : w // 4]],
        out[:, -w // 4 :][paper[:, -w // 4 :]],
    )
    assert abs(float(np.median(left_paper)) - float(np.median(right_paper))) <= 8
    assert np.median(shaded[:, : w // 4][paper[:, : w // 4]]) < 160  # it was really dark before
    ink = text_page < 60
    assert float(np.median(out[ink])) < float(np.median(out[paper])) - 100


def _find_marker(img: np.ndarray) -> tuple[float, float]:
    """Centre of the largest pure-red blob (the marker survives grey-free processing)."""
    b, g, r = cv2.split(img)
    mask = ((r > 150) & (g < 90) & (b < 90)).astype(np.uint8)
    n, _, stats, cents = cv2.connectedComponentsWithStats(mask)
    assert n > 1
    i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return float(cents[i][0]), float(cents[i][1])


@pytest.mark.parametrize("turns_ccw", [0, 1, 2, 3])
def test_boxes_map_back_to_the_original(turns_ccw: int, text_page: np.ndarray) -> None:
    # A turned, tilted page on a dark table, with a red marker at a known spot of the photo.
    photo = on_dark_table(tilt(text_page, 2.0), (140, 120, 160, 100))
    cv2.rectangle(photo, (600, 900), (640, 940), (0, 0, 255), -1)
    original = np.ascontiguousarray(np.rot90(photo, turns_ccw))
    mx, my = _find_marker(original)
    result = preprocess_page(original, options=PreprocessOptions(contrast=False))
    assert result.rotation == 90 * turns_ccw
    assert result.skew == pytest.approx(2.0, abs=0.3)
    assert result.gutter_x is None and len(result.sides) == 1
    px, py = _find_marker(result.image)
    x0, y0, x1, y1 = map_bbox_to_original(
        result, (int(px) - 2, int(py) - 2, int(px) + 3, int(py) + 3)
    )
    assert x0 - 3 <= mx <= x1 + 3 and y0 - 3 <= my <= y1 + 3
    # And the other way: the marker's original box lands on the marker in the processed image.
    bx0, by0, bx1, by1 = map_bbox_to_processed(
        result, (int(mx) - 2, int(my) - 2, int(mx) + 3, int(my) + 3)
    )
    assert bx0 - 3 <= px <= bx1 + 3 and by0 - 3 <= py <= by1 + 3
    # The two matrices are inverse to each other.
    both = np.vstack([result.to_original, [0, 0, 1]]) @ np.vstack([result.from_original, [0, 0, 1]])
    assert np.allclose(both, np.eye(3), atol=1e-9)


def test_preprocess_finds_both_sides_of_a_spread() -> None:
    spread, fold = render_spread(2)
    result = preprocess_page(spread)
    assert result.gutter_x is not None and len(result.sides) == 2
    (l0, _, l1, _), (r0, _, _, _) = result.sides
    assert l1 == r0 == result.gutter_x
    x0, _, x1, _ = result.map_bbox_to_original((result.gutter_x, 100, result.gutter_x, 100))
    assert abs((x0 + x1) / 2 - fold) <= 0.01 * spread.shape[1]
    assert result.side_image(0).shape[1] == l1 - l0
    assert result.image.ndim == 2


def test_every_stage_can_be_turned_off(text_page: np.ndarray) -> None:
    tilted = np.ascontiguousarray(
        np.rot90(on_dark_table(tilt(text_page, 2.0), (90, 90, 90, 90)), 1)
    )
    off = PreprocessOptions(orient=False, crop=False, split=False, deskew=False, contrast=False)
    result = preprocess_page(tilted, options=off)
    assert np.array_equal(result.image, tilted) and result.image is not tilted
    assert (result.rotation, result.skew, result.gutter_x) == (0, 0.0, None)
    assert result.crop_box == (0, 0, tilted.shape[1], tilted.shape[0])
    assert np.allclose(result.to_original, np.eye(2, 3))
    only_turn = preprocess_page(
        tilted, options=PreprocessOptions(crop=False, deskew=False, contrast=False)
    )
    assert only_turn.rotation == 90
    assert only_turn.image.shape[:2] == tilted.shape[1::-1]


def test_bgra_input_is_read_as_flattened_paper(table_page: np.ndarray) -> None:
    # Archive viewers export RGBA PNGs (page43_EF is one): alpha must not break any stage.
    photo = on_dark_table(tilt(table_page, -1.0), (100, 80, 120, 90))
    bgra = cv2.cvtColor(photo, cv2.COLOR_BGR2BGRA)
    result = preprocess_page(bgra, options=PreprocessOptions(contrast=False))
    assert result.image.shape[2] == 4
    assert result.skew == pytest.approx(-1.0, abs=0.3)
    assert abs(result.crop_box[0] - 100) <= 15 and abs(result.crop_box[1] - 80) <= 15
    assert normalise_contrast(bgra).ndim == 2
