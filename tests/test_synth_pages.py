"""Synthetic books: reproducible bytes, boxes that hold the ink, one PDF page per image, OCR."""

from __future__ import annotations

import glob
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
import pytest
from PIL import Image

from ocr_service.synth import generate_book


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _truth(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def clean_hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_book(
        "khai-sinh", 2, tmp_path_factory.mktemp("hand"), style="hand", seed=5, degrade="none"
    )


@pytest.fixture(scope="module")
def clean_typed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_book(
        "khai-tu", 1, tmp_path_factory.mktemp("typed"), style="typed", seed=2, degrade="none"
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"register": "khai-sinh", "style": "hand", "degrade": "heavy"},
        {
            "register": "khai-tu",
            "layout": "table",
            "spreads": True,
            "plant_errors": True,
            "records": 9,
        },
    ],
)
def test_same_seed_same_bytes_other_seed_other_bytes(
    tmp_path: Path, kwargs: dict[str, Any]
) -> None:
    args = {"records": 2, **kwargs}
    register, records = args.pop("register"), args.pop("records")
    a = generate_book(register, records, tmp_path / "a", seed=11, **args)
    b = generate_book(register, records, tmp_path / "b", seed=11, **args)
    c = generate_book(register, records, tmp_path / "c", seed=12, **args)
    assert _digest(a) == _digest(b)
    da, dc = _digest(a), _digest(c)
    assert set(da) == set(dc)
    assert all(da[k] != dc[k] for k in da)


def test_pdf_has_one_image_page_per_page_image(tmp_path: Path) -> None:
    out = generate_book("ket-hon", 3, tmp_path / "b", style="hand", seed=1)
    truth = _truth(out)
    with pymupdf.open(out / "book.pdf") as doc:
        assert doc.page_count == len(truth["pages"]) == 3
        for page, info in zip(doc, truth["pages"], strict=True):
            images = page.get_images(full=True)
            assert len(images) == 1
            extracted = doc.extract_image(images[0][0])
            assert extracted["image"] == (out / info["file"]).read_bytes()
            assert (extracted["width"], extracted["height"]) == (info["width"], info["height"])


def test_every_box_lies_inside_its_image(tmp_path: Path) -> None:
    out = generate_book(
        "khai-tu", 12, tmp_path / "b", layout="table", spreads=True, seed=4, degrade="heavy"
    )
    truth = _truth(out)
    for page in truth["pages"]:
        with Image.open(out / page["file"]) as im:
            assert im.size == (page["width"], page["height"])
        assert page["spread"] and 0 < page["gutter_x"] < page["width"]
        for line in page["lines"]:
            x0, y0, x1, y1 = line["bbox"]
            assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"], line
    for rec in truth["records"]:
        page = truth["pages"][rec["page"] - 1]
        assert rec["index"] in page["records"]
        for code, f in rec["fields"].items():
            if f["bbox"] is not None:
                x0, y0, x1, y1 = f["bbox"]
                assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"], code


def _ink(arr: np.ndarray) -> np.ndarray:
    """Print ink (near black) or pen ink (clearly blue); excludes grey dotted leaders and paper."""
    r, g, b = (arr[..., i].astype(np.int16) for i in range(3))
    dark = np.maximum(np.maximum(r, g), b) < 75
    blue = (b - r > 60) & (b < 200)
    result: np.ndarray = dark | blue
    return result


@pytest.mark.parametrize("which", ["clean_hand", "clean_typed"])
def test_ink_lies_in_the_truth_boxes(which: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(which)
    truth = _truth(out)
    for page in truth["pages"]:
        rgb = np.asarray(Image.open(out / page["file"]).convert("RGB"))
        ink = _ink(rgb)
        # Anti-aliased glyph edges are lighter than ink proper but clearly not paper.
        edge = rgb.min(axis=2) < 200
        h, w = ink.shape
        occupied = np.zeros_like(ink)
        for line in page["lines"]:
            x0, y0, x1, y1 = line["bbox"]
            occupied[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2] = True
        for line in page["lines"]:
            x0, y0, x1, y1 = line["bbox"]
            inside = int(ink[y0:y1, x0:x1].sum())
            assert inside > 0, line
            # Tight: ink reaches every side of the box.
            assert edge[y0:y1, x0 : x0 + 2].any() and edge[y0:y1, x1 - 2 : x1].any(), line
            assert edge[y0 : y0 + 2, x0:x1].any() and edge[y1 - 2 : y1, x0:x1].any(), line
            # Complete: no ink of this line just outside its box (other lines' boxes excluded;
            # values sit on their dotted line, so their lower side is not checked).
            ring = np.zeros_like(ink)
            ring[max(0, y0 - 6) : min(h, y1 + 6), max(0, x0 - 6) : min(w, x1 + 6)] = True
            ring[max(0, y0 - 1) : y1 + 1, max(0, x0 - 1) : x1 + 1] = False
            if line["kind"] == "value":
                ring[y1:, :] = False
            stray = int((ring & ink & ~occupied).sum())
            assert stray <= max(3, inside // 200), (line, stray)


def test_fields_point_at_their_lines(clean_hand: Path) -> None:
    truth = _truth(clean_hand)
    for rec in truth["records"]:
        page = truth["pages"][rec["page"] - 1]
        by_field = {ln["field"]: ln for ln in page["lines"] if ln["field"]}
        for code, f in rec["fields"].items():
            if f["text"] is None or code == "loaiDangKy":
                continue
            line = by_field[code]
            assert line["text"] == f["text"] and line["bbox"] == f["bbox"]
            assert line["kind"] == "value"
        ticked = rec["fields"]["loaiDangKy"]
        assert ticked["text"] in {ln["text"] for ln in page["lines"] if ln["kind"] == "label"}
    labels = [ln for p in truth["pages"] for ln in p["lines"] if ln["kind"] == "label"]
    assert all(ln["style"] == "typed" for ln in labels)
    values = [ln for p in truth["pages"] for ln in p["lines"] if ln["field"] == "nksHoTen"]
    assert values and all(ln["style"] == "hand" for ln in values)


def _cer(a: str, b: str) -> float:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / max(1, len(a))


def test_tesseract_reads_labels_from_their_boxes(clean_typed: Path) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from tesserocr import PSM, PyTessBaseAPI

    tessdata = sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"))[-1]
    truth = _truth(clean_typed)
    page = truth["pages"][0]
    image = Image.open(clean_typed / page["file"])
    wanted = {"Họ, chữ đệm, tên (người chết):", "Nơi cư trú cuối cùng:", "Nguyên nhân chết:"}
    lines = [ln for ln in page["lines"] if ln["text"] in wanted]
    assert len(lines) == len(wanted)
    with PyTessBaseAPI(path=tessdata, lang="vie", psm=PSM.SINGLE_LINE) as api:
        for line in lines:
            x0, y0, x1, y1 = line["bbox"]
            api.SetImage(image.crop((x0 - 8, y0 - 8, x1 + 8, y1 + 8)))
            read = api.GetUTF8Text().strip()
            assert _cer(line["text"], read) < 0.10, (line["text"], read)
