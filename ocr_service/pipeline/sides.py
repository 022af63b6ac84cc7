"""Pages of one image: a spread of two facing block-form pages is read as two pages.

Each side of a spread is read by the engine on its own (a text line never runs across the
fold, so no words of one page are glued to a value of the other) and extracted as its own
page; its records carry the image's page number and `row` 1 (left page) or 2 (right page),
and every box is given back in the whole image's pixels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ocr_service.extract.containers import RecordDraft
from ocr_service.ocr.containers import BBox, OcrLine, OcrPage
from ocr_service.preprocess.pipeline import PreprocessInfo

Span = tuple[int, int]  # x0, x1 of a side in the processed image


def page_sides(image: np.ndarray, info: PreprocessInfo, layout: str) -> list[Span]:
    """x spans of the pages in the processed image: two for a spread of block pages, else one.

    Table ledgers are left whole: their layout file says whether a row runs across the fold
    (`spread`), and a ledger printed landscape is one page."""
    from ocr_service.preprocess.spread import find_spread

    width = image.shape[1]
    if layout != "block":
        return [(0, width)]
    spread = find_spread(image, info.gutter_x)
    if spread is None:
        return [(0, width)]
    return [(0, spread.x), (spread.x, width)]


def with_sides(info: PreprocessInfo, sides: list[Span], height: int) -> PreprocessInfo:
    """The preprocess record of the page, saying where the fold is and what the sides are."""
    return dataclasses.replace(
        info,
        gutter_x=sides[1][0] if len(sides) == 2 else info.gutter_x,
        sides=[(x0, 0, x1, height) for x0, x1 in sides],
    )


def _shift(box: BBox, dx: int) -> BBox:
    return box[0] + dx, box[1], box[2] + dx, box[3]


def join_sides(parts: list[OcrPage], sides: list[Span], width: int, height: int) -> OcrPage:
    """One OCR page of the whole image from the readings of its sides."""
    lines: list[OcrLine] = []
    for part, (x0, _) in zip(parts, sides, strict=True):
        for ln in part.lines:
            polygon = None if ln.polygon is None else [(x + x0, y) for x, y in ln.polygon]
            lines.append(dataclasses.replace(ln, bbox=_shift(ln.bbox, x0), polygon=polygon))
    first = parts[0]
    return dataclasses.replace(
        first, width=width, height=height, lines=lines, seconds=sum(p.seconds for p in parts)
    )


def shift_record(rec: RecordDraft, dx: int) -> None:
    """Boxes of a record read off a side, moved into the whole image's pixels."""
    for f in rec.fields.values():
        if f.bbox is not None:
            f.bbox = _shift(f.bbox, dx)


def read_sides(
    image: np.ndarray,
    sides: list[Span],
    read: Callable[[np.ndarray], OcrPage],
    extract: Callable[[OcrPage, np.ndarray], list[RecordDraft]],
) -> tuple[OcrPage, list[RecordDraft]]:
    """OCR and records of a spread, side by side: `read` reads an image, `extract` the records
    of one side's reading and image."""
    parts: list[OcrPage] = []
    records: list[RecordDraft] = []
    for no, (x0, x1) in enumerate(sides, start=1):
        side_image = image[:, x0:x1]
        part = read(side_image)
        parts.append(part)
        for rec in extract(part, side_image):
            rec.row = no
            shift_record(rec, x0)
            records.append(rec)
    height, width = image.shape[:2]
    return join_sides(parts, sides, width, height), records
