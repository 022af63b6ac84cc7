"""Benchmark of the preprocess stages: accuracy on real and rendered pages, time per stage."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_service.preprocess import (
    crop_page,
    detect_orientation,
    estimate_skew,
    find_gutter,
    normalise_contrast,
    preprocess_page,
)
from ocr_service.preprocess.analysis import shrink_grey
from ocr_service.preprocess.orientation import (
    ORIENT_LONG_SIDE,
    model_turn_probabilities,
    text_runs_horizontally,
)

# The published scans where this workplace keeps them, beside the checkout; any other folder
# with the same truth.json (tests/resources/real-scans holds smaller copies) is given as --scans.
SHARED_SCANS = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-scans"
REAL_FILES = ("FRAN_0187_50115_L.jpg", "FRAN_0187_50722_L.jpg", "page43_EF.png")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEXT = "Ngày tháng năm sinh họ và tên cha mẹ nơi cư trú đăng ký khai sinh số quyển Huế"
WORDS = TEXT.split(" ")
A4_200DPI = (1654, 2339)


def render_page(seed: int, size: int = 34, ruled: bool = False) -> np.ndarray:
    """A grey A4 page at 200 dpi with lines of Vietnamese words (same recipe as the tests)."""
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


def tilt(page: np.ndarray, skew_deg: float) -> np.ndarray:
    return np.array(Image.fromarray(page).rotate(-skew_deg, expand=True, fillcolor=255))


def render_spread(seed: int) -> tuple[np.ndarray, int]:
    pair = np.hstack([render_page(seed), render_page(seed + 1, ruled=True)]).astype(np.float32)
    w = pair.shape[1]
    x = np.arange(w, dtype=np.float32)
    light = (
        1 - 0.3 * np.exp(-(((x - w // 2) / 25.0) ** 2)) - 0.12 * np.exp(-np.abs(x - w // 2) / 200)
    )
    return np.clip(pair * light[None, :], 0, 255).astype(np.uint8), w // 2


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """(last result, median seconds over ``repeat`` runs)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, round(statistics.median(times), 3)


def bench_orientation(pages: list[tuple[str, np.ndarray]]) -> dict[str, Any]:
    n = ok = ok_model = axis_decided = axis_ok = 0
    misses: list[str] = []
    for name, page in pages:
        for skew in (0.0, 2.5):
            src = tilt(page, skew) if skew else page
            for k in range(4):
                turned = np.ascontiguousarray(np.rot90(src, k))
                got = detect_orientation(turned)
                grey, _ = shrink_grey(turned, ORIENT_LONG_SIDE)
                model_k = int(np.argmax(model_turn_probabilities(grey)[:4]))
                horizontal = text_runs_horizontally(grey)
                n += 1
                ok += got == 90 * k
                ok_model += model_k == k
                if horizontal is not None:
                    axis_decided += 1
                    axis_ok += horizontal == (k % 2 == 0)
                if got != 90 * k:
                    misses.append(f"{name} skew {skew} turned {90 * k}: got {got}")
    return {
        "cases": n,
        "detect_orientation_correct": ok,
        "model_alone_correct": ok_model,
        "text_axis_decided": axis_decided,
        "text_axis_correct_when_decided": axis_ok,
        "misses": misses,
    }


def bench_skew(pages: list[np.ndarray]) -> dict[str, Any]:
    rnd = random.Random(7)
    errors = []
    for page in pages:
        for _ in range(4):
            angle = round(rnd.uniform(-5, 5), 2)
            errors.append(abs(estimate_skew(tilt(page, angle)) - angle))
    return {
        "cases": len(errors),
        "mean_abs_error_deg": round(float(np.mean(errors)), 3),
        "max_abs_error_deg": round(float(np.max(errors)), 3),
        "within_0_3_deg": int(sum(e <= 0.3 for e in errors)),
    }


def _sides_skew(img: np.ndarray, box: tuple[int, int, int, int], split: int) -> tuple[float, float]:
    x0, y0, x1, y1 = box
    return estimate_skew(img[y0:y1, x0:split]), estimate_skew(img[y0:y1, split:x1])


def bench_real(real_scans: Path) -> list[dict[str, Any]]:
    truth = {p["file"]: p for p in json.loads((real_scans / "truth.json").read_text())["pages"]}
    rows = []
    for name, t in truth.items():
        path = str(real_scans / name)
        img, t_read = timed(partial(cv2.imread, path, cv2.IMREAD_COLOR))
        (_, box), t_crop = timed(partial(crop_page, img))
        gutter, t_gutter = timed(partial(find_gutter, img))
        split = gutter if gutter is not None else t["gutter"]["x"]
        (left, right), t_skew = timed(partial(_sides_skew, img, box, split))
        _, t_orient = timed(partial(detect_orientation, img))
        _, t_contrast = timed(partial(normalise_contrast, img))
        result, t_total = timed(partial(preprocess_page, img))
        lo, hi = t["gutter"]["clear_range"]
        slack = 60 * t.get("copy", {}).get("scale", 1.0)  # ±60 px of the published scan
        row: dict[str, Any] = {
            "file": name,
            "size": [img.shape[1], img.shape[0]],
            "decode_s": t_read,
            "gutter_x": gutter,
            "gutter_truth": t["gutter"]["x"],
            "gutter_error_px": None if gutter is None else gutter - t["gutter"]["x"],
            "gutter_in_clear_range_pm60": gutter is not None and lo - slack <= gutter <= hi + slack,
            "skew_left_right": [left, right],
            "skew_truth": [t["skew_deg"]["left_page"], t["skew_deg"]["right_page"]],
            "crop_box": list(box),
            "stage_s": {
                "detect_orientation": t_orient,
                "crop_page": t_crop,
                "find_gutter (incl. crop)": t_gutter,
                "estimate_skew (2 sides)": t_skew,
                "normalise_contrast (full size)": t_contrast,
            },
            "preprocess_page_s": t_total,
            "preprocess_result": {
                "rotation": result.rotation,
                "skew": result.skew,
                "gutter_x": result.gutter_x,
                "sides": len(result.sides),
                "image": list(result.image.shape),
            },
        }
        if "photo_bbox" in t:
            row["photo_bbox_truth"] = t["photo_bbox"]
        rows.append(row)
        del img, result
    return rows


def bench_a4() -> dict[str, Any]:
    page = cv2.cvtColor(tilt(render_page(11, ruled=True), 1.5), cv2.COLOR_GRAY2BGR)
    preprocess_page(page)  # warm-up: loads the orientation model once
    _, t_total = timed(lambda: preprocess_page(page), repeat=5)
    return {
        "image": "rendered A4 200 dpi, BGR, tilted 1.5 deg",
        "size": [page.shape[1], page.shape[0]],
        "preprocess_page_median_s": t_total,
        "stage_median_s": {
            "detect_orientation": timed(lambda: detect_orientation(page), 5)[1],
            "crop_page": timed(lambda: crop_page(page), 5)[1],
            "find_gutter": timed(lambda: find_gutter(page), 5)[1],
            "estimate_skew": timed(lambda: estimate_skew(page), 5)[1],
            "normalise_contrast": timed(lambda: normalise_contrast(page), 5)[1],
        },
    }


def bench_gutter_synthetic() -> dict[str, Any]:
    errors, misses, false_alarms = [], 0, 0
    for seed in range(4):
        spread, fold = render_spread(seed * 3)
        x = find_gutter(spread)
        if x is None:
            misses += 1
        else:
            errors.append(abs(x - fold))
        for ruled in (False, True):
            if find_gutter(render_page(seed + 20, ruled=ruled)) is not None:
                false_alarms += 1
    return {
        "spreads": 4,
        "spreads_missed": misses,
        "max_error_px": max(errors) if errors else None,
        "single_pages": 8,
        "single_page_false_gutters": false_alarms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scans",
        type=Path,
        default=SHARED_SCANS,
        help=f"folder of the real scans with their truth.json and XML (default: {SHARED_SCANS})",
    )
    args = parser.parse_args()
    real_scans: Path = args.scans
    if not (real_scans / "truth.json").is_file():
        parser.error(
            f"no real scans with a truth.json at {real_scans}: pass --scans FOLDER "
            "(e.g. tests/resources/real-scans, the smaller copies the tests use)"
        )
    started = time.perf_counter()
    pages = [(f"text{s}", render_page(s, size=26 + 6 * s)) for s in range(4)]
    pages += [(f"table{s}", render_page(s + 10, ruled=True)) for s in range(4)]
    real_small: list[tuple[str, np.ndarray]] = []
    for name in REAL_FILES:
        small = cv2.imread(str(real_scans / name), cv2.IMREAD_REDUCED_GRAYSCALE_4)
        assert small is not None, name
        real_small.append((name, small))
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": "2-core, 24 GiB, no GPU",
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "python": sys.version.split()[0],
        "opencv": cv2.__version__,
        "a4_page": bench_a4(),
        "scans": str(real_scans),
        "real_scans": bench_real(real_scans),
        "orientation": bench_orientation(pages + real_small),
        "skew_synthetic_pm5deg": bench_skew([p for _, p in pages]),
        "gutter_synthetic": bench_gutter_synthetic(),
    }
    report["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    report["bench_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
