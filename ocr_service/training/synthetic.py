"""Synthetic print and handwriting-font lines from the project's own book generator
(ocr_service/synth): replayed while training so print is not forgotten, and the fixed
regression set every new model must not read worse (training/regression/, made by
`python -m ocr_service.training.synthetic OUT`).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from ocr_service.ocr.base import crop_line
from ocr_service.ocr.line_boxes import CROP_PAD_X, CROP_PAD_Y
from ocr_service.synth import generate_book
from ocr_service.training.data import LabelledLine, clean_label, read_lines_dir, write_lines_dir

Kind = Literal["print", "hand"]
KINDS: tuple[Kind, ...] = ("print", "hand")
REGRESSION_DIR = Path(__file__).parent / "regression"
REGRESSION_SEED = 1700  # the committed set; replay uses other seeds
REGRESSION_LINES = 60  # per kind
# (register, layout, records) books each kind draws from: print from typed block forms, the
# handwriting fonts from hand-filled forms and hand-written table ledgers.
BOOKS: dict[Kind, tuple[tuple[str, str, int], ...]] = {
    "print": (("khai-sinh", "block", 2), ("khai-tu", "block", 2), ("ket-hon", "block", 2)),
    "hand": (("khai-sinh", "block", 2), ("khai-sinh", "table", 10), ("khai-tu", "table", 10)),
}
MIN_LINE_PX = 8  # px: lower boxes are rules or dots, not lines
STORED_HEIGHT = 48  # px: committed lines are kept at most this high (read at 32)


def synthetic_lines(
    kind: Kind, seed: int, count: int, books: int | None = None
) -> list[LabelledLine]:
    """`count` lines of `kind` ('print' or 'hand') cut from freshly generated books (the
    first `books` of BOOKS[kind]; all by default), with the page margin the engine's line
    crops have, in a seeded random order."""
    style = "typed" if kind == "print" else "hand"
    found: list[LabelledLine] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-synth-") as tmp:
        for n, (register, layout, records) in enumerate(BOOKS[kind][:books]):
            book = generate_book(
                register, records, Path(tmp) / str(n), style=style, layout=layout, seed=seed + n
            )
            truth = json.loads((book / "truth.json").read_text("utf-8"))
            for p, page in enumerate(truth["pages"], 1):
                image = cv2.imread(str(book / "pages" / f"{p:04d}.jpg"), cv2.IMREAD_GRAYSCALE)
                if image is None:
                    continue
                for i, line in enumerate(page["lines"]):
                    text = clean_label(str(line["text"]))
                    x0, y0, x1, y1 = (round(v) for v in line["bbox"])
                    if line["style"] != style or not text or y1 - y0 < MIN_LINE_PX:
                        continue
                    crop = crop_line(image, (x0, y0, x1, y1), CROP_PAD_Y, CROP_PAD_X)
                    found.append(LabelledLine(crop.copy(), text, f"{kind}/{n}/{p}/{i}"))
    random.Random(seed).shuffle(found)
    return found[:count]


def load_regression_set() -> dict[str, list[LabelledLine]]:
    """The committed regression lines: {'print': [...], 'hand': [...]}."""
    return {kind: read_lines_dir(REGRESSION_DIR / kind) for kind in KINDS}


def main() -> None:
    parser = argparse.ArgumentParser(description="write the synthetic regression line set")
    parser.add_argument("out", type=Path, nargs="?", default=REGRESSION_DIR)
    args = parser.parse_args()
    for kind in KINDS:
        lines = [
            LabelledLine(_at_most(line.image, STORED_HEIGHT), line.text, line.name)
            for line in synthetic_lines(kind, REGRESSION_SEED, REGRESSION_LINES)
        ]
        write_lines_dir(lines, args.out / kind)


def _at_most(grey: np.ndarray, height: int) -> np.ndarray:
    h, w = grey.shape
    if h <= height:
        return grey
    return cv2.resize(grey, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)


if __name__ == "__main__":
    main()
