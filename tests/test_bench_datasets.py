"""Labelled-set readers: PAGE/ALTO real scans against truth.json, and the synth format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ocr_service.bench.datasets import load_dataset, load_image, read_alto_xml, read_page_xml
from ocr_service.bench.sample_set import make_sample_set
from tests.conftest import REAL_SCANS


def _truth() -> dict[str, dict[str, object]]:
    data = json.loads((REAL_SCANS / "truth.json").read_text("utf-8"))
    return {p["xml"]: p for p in data["pages"]}


@pytest.mark.parametrize(
    ("xml", "total", "printed"),
    [("FRAN_0187_50115_L.xml", 161, 20), ("FRAN_0187_50722_L.xml", 166, 20)],
)
def test_page_xml_lines_match_truth(xml: str, total: int, printed: int) -> None:
    lines = read_page_xml(REAL_SCANS / xml)
    facts = _truth()[xml]["text_lines"]
    assert len(lines) == facts["total"] == total  # type: ignore[index]
    assert sum(ln.style == "typed" for ln in lines) == facts["printed"] == printed  # type: ignore[index]
    assert sum(ln.kind == "signature" for ln in lines) == facts["signature"]  # type: ignore[index]
    width = _truth()[xml]["image"]["width"]  # type: ignore[index]
    assert all(0 <= ln.bbox[0] < ln.bbox[2] <= width for ln in lines)
    assert any(ln.text == "198" for ln in lines)


def test_alto_lines_match_truth_and_are_nfc() -> None:
    lines = read_alto_xml(REAL_SCANS / "page43_EF.xml")
    assert len(lines) == _truth()["page43_EF.xml"]["text_lines"]["total"] == 102  # type: ignore[index]
    texts = [ln.text for ln in lines]
    assert "Falch - Adélaïde Marie" in texts  # NFD in the file, NFC here
    gutter = 1247
    left = sum(ln.bbox[2] <= gutter for ln in lines)
    assert (left, len(lines) - left) == (54, 48)


def test_real_scans_folder_loads_as_three_pages() -> None:
    pages = load_dataset(REAL_SCANS)
    assert [len(p.lines) for p in pages] == [161, 166, 102]


def test_rgba_png_is_flattened_onto_white(tmp_path: Path) -> None:
    import cv2

    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[:2, :, 3] = 255  # top half opaque black, bottom half transparent
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    img = load_image(tmp_path / "a.png")
    assert img.shape == (4, 4, 3)
    assert img[0].max() == 0 and img[3].min() == 255


def test_synth_format_round_trip(tmp_path: Path) -> None:
    out = make_sample_set(tmp_path / "set", style="hand", pages=2, seed=4)
    truth = json.loads((out / "truth.json").read_text("utf-8"))
    pages = load_dataset(out)
    assert len(pages) == 2 and pages[0].image.is_file()
    assert len(pages[0].lines) == len(truth["pages"][0]["lines"])
    assert {ln.style for ln in pages[0].lines} == {"typed", "hand"}
    assert {ln.kind for ln in pages[0].lines} == {"header", "label", "value"}
    h, w = load_image(pages[0].image).shape[:2]
    assert (w, h) == (truth["pages"][0]["width"], truth["pages"][0]["height"])
