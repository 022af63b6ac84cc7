"""The default recogniser's recipe (training/forms.py) and where the engine finds that model
(ocr/rec_model.py). The training itself is tests/test_training.py's; here: the lines it learns
and the model that ships."""

from __future__ import annotations

import json
import random

import cv2
import numpy as np
import pytest

from ocr_service.errors import BadInput
from ocr_service.ocr.rec_model import (
    ASTEROCR,
    DEFAULT_MODEL_DIR,
    META_FILE,
    rec_model,
    shipped_model,
)
from ocr_service.synth.catalog import TUNING, fonts_for
from ocr_service.synth.degrade import photometric
from ocr_service.training.forms import (
    RECIPE_HAND_FONTS,
    TABLES,
    form_lines,
    form_rows,
    photo_level,
    recipe_books,
)


def _line(x0: float, y0: float, x1: float, y1: float, text: str) -> dict[str, object]:
    return {"bbox": [x0, y0, x1, y1], "text": text}


def test_a_label_and_its_value_make_one_row_and_a_frame_apart_makes_two() -> None:
    label = _line(80, 300, 390, 330, "Ngày, tháng, năm sinh:")
    value = _line(410, 290, 560, 328, "18/12/2020")  # written higher, on the dotted line
    tick = _line(1080, 300, 1240, 332, "Quá hạn")  # across the frame's rule, far right
    below = _line(80, 360, 200, 390, "Nơi sinh:")
    rows = form_rows([tick, below, value, label])
    parts = [[p["text"] for p in row.parts] for row in rows]
    assert parts == [["Ngày, tháng, năm sinh:", "18/12/2020"], ["Quá hạn"], ["Nơi sinh:"]]
    assert rows[0].box == [80, 290, 560, 330]


def test_the_recipe_learns_labels_values_and_whole_rows_of_the_tuning_books() -> None:
    books = recipe_books(77)
    hand = {b.hand_font for b in books if b.layout == "block" and b.style == "hand"}
    typed = {b.typed_font for b in books if b.style == "typed"}
    assert hand == set(fonts_for(TUNING, "hand")) and typed == set(fonts_for(TUNING, "typed"))
    assert len(books) == len(hand) + len(typed) + len(TABLES)
    # the committed model's recipe: the first nine handwriting fonts, the same books as before
    recipe = recipe_books(77, hand_fonts=RECIPE_HAND_FONTS)
    assert [b.hand_font for b in recipe if b.style == "hand" and b.layout == "block"] == list(
        fonts_for(TUNING, "hand")[:9]
    )
    assert recipe[9:] == books[len(hand) :]  # typed books and ledgers unchanged
    for bad in (0, len(hand) + 1):
        with pytest.raises(BadInput, match="hand_fonts must be 1 to"):
            recipe_books(77, hand_fonts=bad)
    # every typed book drew the font it was chosen for; half the pages as phone photos; a
    # hand-filled block book holds its own number of records (a page each)
    lines = form_lines(seed=77, records=2, photo_share=0.5, hand_records=1)
    texts = {line.text for line in lines}
    pages: dict[int, set[int]] = {}
    for line in lines:
        book, page = line.name.split("_")[:2]
        pages.setdefault(int(book), set()).add(int(page.rstrip("p")))
    assert sorted(pages) == list(range(1, len(books) + 1))  # every book gives lines
    for n, spec in enumerate(books, 1):
        if spec.layout == "block":
            assert max(pages[n]) == (1 if spec.style == "hand" else 2), spec
    assert "Giới tính:" in texts  # a label alone
    assert {"Dân tộc: Kinh", "Quốc tịch: Việt Nam"} & texts  # a label and its value
    assert "Quốc tịch:" in texts and "Việt Nam" in texts  # and each alone
    photos = [line for line in lines if line.name.split("_")[1].endswith("p")]
    assert 0 < len(photos) < len(lines)  # scans and soft phone photos of the same books
    for line in lines:
        assert line.image.ndim == 2 and line.image.shape[0] >= 8 and line.text == line.text.strip()


def test_the_engine_reads_with_the_packaged_model_and_asterocr_stays_at_hand() -> None:
    meta = json.loads((DEFAULT_MODEL_DIR / META_FILE).read_text("utf-8"))
    default = rec_model(None)
    assert default == shipped_model()
    assert default.path == DEFAULT_MODEL_DIR / "model.onnx" and default.sha256 == meta["sha256"]
    assert default.reading.squeeze and default.reading.scale == "signed"  # the engine's speed
    asterocr = rec_model(ASTEROCR)
    assert asterocr.name == "asternet.onnx"
    assert meta["base_sha256"] == asterocr.sha256  # fine-tuned from asterocr's model
    assert default.chars == asterocr.chars
    assert asterocr.path.parent.name == "assets"


def test_a_phone_photo_of_a_page_is_softer_unevenly_lit_and_keeps_its_truth_boxes() -> None:
    page = np.full((400, 600), 245, np.uint8)
    cv2.putText(page, "Ngay 12 thang 3", (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 3)
    level = photo_level(random.Random(4))
    photo = photometric(page, level, seed=9)
    assert photo.shape == page.shape and photo.dtype == np.uint8  # no geometry: boxes stay
    assert np.array_equal(photo, photometric(page, level, seed=9))  # seeded
    sharp = cv2.Laplacian(page, cv2.CV_64F).var()
    assert cv2.Laplacian(photo, cv2.CV_64F).var() < 0.8 * sharp  # the optics' blur
    ink = page < 128
    assert photo[ink].mean() > 20 and photo[~ink].std() > 1.0  # grey ink, uneven paper
    flat = photo_level(random.Random(4))
    assert flat.rotation == 0.0 and flat.perspective == 0.0
