"""Spreads: two facing block-form pages in one landscape image are read as two pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from models.book import BookMeta
from ocr_service.pipeline.page import PageInput, run_page
from ocr_service.preprocess import preprocess_page
from ocr_service.preprocess.spread import find_spread
from ocr_service.storage import get_storage
from ocr_service.synth.book import generate_book
from tests.conftest import make_settings

Image = np.ndarray[Any, Any]


def book_pages(path: Path, **kwargs: Any) -> tuple[list[Image], dict[str, Any]]:
    book = generate_book("khai-sinh", kwargs.pop("records", 2), path, seed=3, **kwargs)
    truth: dict[str, Any] = json.loads((book / "truth.json").read_text(encoding="utf-8"))
    images = [cv2.imread(str(book / p["file"])) for p in truth["pages"]]
    assert all(im is not None for im in images)
    return images, truth


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Image], dict[str, Any]]:
    return book_pages(tmp_path_factory.mktemp("typed"), style="typed", degrade="light")


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Image], dict[str, Any]]:
    return book_pages(tmp_path_factory.mktemp("hand"), style="hand", degrade="light")


def cut_of(image: Image) -> int | None:
    result = preprocess_page(image)
    spread = find_spread(result.image, result.gutter_x)
    if spread is None:
        return None
    # Back in the original image's pixels (the page was cropped, maybe turned a little).
    return result.map_bbox_to_original((spread.x, 0, spread.x + 1, 1))[0]


@pytest.mark.parametrize("style", ["typed", "hand"])
def test_two_block_pages_side_by_side_are_a_spread_cut_between_them(
    style: str, request: pytest.FixtureRequest
) -> None:
    images, _ = request.getfixturevalue(style)
    left, right = images
    cut = cut_of(np.hstack([left, right]))
    assert cut is not None
    # Between the frames of the two forms: each page has ≥ 80 px of margin at 200 dpi.
    assert abs(cut - left.shape[1]) < 80


def test_one_block_page_is_no_spread(typed: tuple[list[Image], dict[str, Any]]) -> None:
    assert cut_of(typed[0][0]) is None


def test_a_block_page_beside_blank_paper_is_no_spread(
    typed: tuple[list[Image], dict[str, Any]],
) -> None:
    page = typed[0][0]
    assert cut_of(np.hstack([page, np.full_like(page, 245)])) is None


def test_a_ledger_printed_landscape_is_never_split(tmp_path: Path) -> None:
    images, _ = book_pages(tmp_path / "ledger", records=24, layout="table", degrade="light")
    assert images[0].shape[1] > 1.2 * images[0].shape[0]  # one landscape page
    for image in images:
        assert cut_of(image) is None


@pytest.mark.slow
def test_spread_of_block_pages_gives_a_record_per_page(
    tmp_path: Path, typed: tuple[list[Image], dict[str, Any]]
) -> None:
    images, truth = typed
    spread = np.hstack(images)
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", ocr_engine="vi")
    storage = get_storage(settings)
    ok, buf = cv2.imencode(".jpg", spread, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    storage.put_bytes("pages/spread.jpg", bytes(buf))
    meta = BookMeta("khai-sinh", commune="Xã Mẫu")
    out = run_page(PageInput(1, "l1", 1, "pages/spread.jpg", meta), storage, settings)
    # Image 1, left page then right page: one record each, numbered by their side.
    assert [(r.page, r.row) for r in out.records] == [(1, 1), (1, 2)]
    assert out.preprocess_info is not None and len(out.preprocess_info.sides) == 2
    gutter = out.preprocess_info.gutter_x
    assert gutter is not None
    for rec, want in zip(out.records, truth["records"], strict=True):
        name = want["fields"]["nksHoTen"]["value"]
        assert rec.value("nksHoTen") == name  # no words of the other page glued on
        assert rec.value("so") == want["fields"]["so"]["value"]
        box = rec.fields["nksHoTen"].bbox
        assert box is not None
        # Boxes are in the whole image's pixels, on their own side of the fold.
        assert (box[0] >= gutter) == (rec.row == 2)
    # The stored reading is the whole image's, with the lines of both pages.
    assert out.ocr is not None
    assert any(ln.bbox[2] <= gutter for ln in out.ocr.lines)
    assert any(ln.bbox[0] >= gutter for ln in out.ocr.lines)


def test_export_says_which_side_of_a_spread_a_record_is_on() -> None:
    from models.entities import DraftRecord
    from ocr_service.export.from_db import to_export_record

    def stored(row: int | None) -> DraftRecord:
        return DraftRecord(
            id="r", page=2, row=row, status="draft", version=1, warnings=[], pages=[2]
        )

    # Page 3 of a book photographed as spreads = image 2, left.
    assert to_export_record(stored(1), block_form=True).to_json()["side"] == "left"
    assert to_export_record(stored(2), block_form=True).to_json()["side"] == "right"
    assert "side" not in to_export_record(stored(None), block_form=True).to_json()
    # A table ledger's row is its row, not a side.
    assert "side" not in to_export_record(stored(2), block_form=False).to_json()
