"""Issue #13's wider books: every variation shows in the output, and the truth says what the
book says (capitals, unpadded numbers, crossed-out words, wrapping values, blots, the second
printing, spreads of block pages, the phone profile)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ocr_service.synth import generate_book
from ocr_service.synth.catalog import HELD_OUT


def _truth(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def spread_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Seed 3 of the held-out group writes names in capitals and numbers without a zero.
    return generate_book(
        "khai-sinh",
        4,
        tmp_path_factory.mktemp("spread"),
        style="hand",
        seed=3,
        degrade="none",
        group=HELD_OUT,
        wide=True,
        spreads=True,
        dpi=120,
    )


@pytest.fixture(scope="module")
def wide_tuning_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_book(
        "khai-tu",
        6,
        tmp_path_factory.mktemp("wide"),
        style="hand",
        seed=1,
        degrade="none",
        wide=True,
        dpi=120,
    )


def _records(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return list(truth["records"])


def test_block_spreads_put_two_pages_on_each_landscape_image(spread_book: Path) -> None:
    truth = _truth(spread_book)
    assert len(truth["pages"]) == 2
    for page in truth["pages"]:
        image = Image.open(spread_book / page["file"])
        assert image.width > 1.3 * image.height  # A3 landscape
        assert page["spread"] is True
        gutter = page["gutter_x"]
        assert abs(gutter - image.width / 2) < image.width * 0.02
        left, right = (truth["records"][i] for i in page["records"])
        assert (left["half"], right["half"]) == ("left", "right")
        assert left["page"] == right["page"] == page["page"]
        # Each record's values lie on its own half of the image.
        left_boxes = [f["bbox"] for f in left["fields"].values() if f["bbox"]]
        right_boxes = [f["bbox"] for f in right["fields"].values() if f["bbox"]]
        assert left_boxes and all(b[2] <= gutter for b in left_boxes)
        assert right_boxes and all(b[0] >= gutter for b in right_boxes)
    # Facing pages keep their own printed numbers.
    assert [r["fields"]["trangSo"]["value"] for r in _records(truth)] == ["1", "2", "3", "4"]


def test_names_in_capitals_keep_their_title_case_value(spread_book: Path) -> None:
    for rec in _records(_truth(spread_book)):
        name = rec["fields"]["nksHoTen"]
        assert name["text"] == name["text"].upper() != name["value"]
        assert name["text"] == name["value"].upper()


def test_unpadded_numbers_are_printed_without_their_zero(spread_book: Path) -> None:
    for rec in _records(_truth(spread_book)):
        so = rec["fields"]["so"]
        assert so["value"].startswith("0")
        assert not so["text"].startswith("0")
        assert so["value"].split("/")[0] == f"{int(so['text'].split('/')[0]):02d}"


def test_long_values_wrap_onto_a_second_dotted_line(spread_book: Path) -> None:
    truth = _truth(spread_book)
    wrapped = 0
    for page in truth["pages"]:
        for i in page["records"]:
            rec = truth["records"][i]
            for code, f in rec["fields"].items():
                if not f["bbox"] or code == "loaiDangKy":
                    continue
                x0, y0, x1, y1 = f["bbox"]
                parts = [
                    ln
                    for ln in page["lines"]
                    if ln["field"] == code
                    and ln["kind"] == "value"
                    and ln["bbox"][0] >= x0 - 2
                    and ln["bbox"][2] <= x1 + 2
                    and ln["bbox"][1] >= y0 - 2
                    and ln["bbox"][3] <= y1 + 2
                ]
                if len(parts) == 2:
                    wrapped += 1
                    first, second = sorted(parts, key=lambda ln: ln["bbox"][1])
                    assert second["bbox"][1] > first["bbox"][3] - 4  # one line under the other
                    assert f"{first['text']} {second['text']}" == f["text"]
    assert wrapped >= 2


def test_crossed_out_words_are_drawn_and_the_truth_keeps_the_replacement(
    wide_tuning_book: Path,
) -> None:
    truth = _truth(wide_tuning_book)
    struck = [
        (rec, code, f)
        for rec in _records(truth)
        for code, f in rec["fields"].items()
        if "struck" in f
    ]
    assert struck
    for rec, code, f in struck:
        assert f["struck"] != f["text"]
        page = truth["pages"][rec["page"] - 1]
        lines = [ln for ln in page["lines"] if ln["field"] == code and ln.get("struck")]
        assert lines and all(ln["struck"] == f["struck"] for ln in lines)
        # The line reads what the book says: the replacement, not the crossed-out word.
        assert " ".join(ln["text"] for ln in page["lines"] if ln["field"] == code) == f["text"]


def test_blots_are_ink_on_the_page(wide_tuning_book: Path) -> None:
    truth = _truth(wide_tuning_book)
    blots = [(p, b) for p in truth["pages"] for b in p["blots"]]
    assert blots
    for page, (x0, y0, x1, y1) in blots:
        arr = np.asarray(Image.open(wide_tuning_book / page["file"]).convert("L"))
        assert arr[y0:y1, x0:x1].min() < 110  # ink, not paper


def test_the_second_printing_has_its_own_label_font_and_the_officer_title(
    spread_book: Path,
) -> None:
    truth = _truth(spread_book)
    assert truth["group"] == HELD_OUT and truth["printing"] == "2016b"
    assert truth["fonts"]["label"] in {"NotoSerif-Regular.ttf", "Tinos-Regular.ttf"}
    labels = [ln["text"] for ln in truth["pages"][0]["lines"] if ln["kind"] == "label"]
    assert "(Công chức tư pháp - hộ tịch)" in labels
    header = [t for t in labels if t in {"Số:", "Quyển số:"}]
    assert header[:2] == ["Quyển số:", "Số:"]  # the 2016b printing puts the book first


def test_phone_profile_tilts_and_lights_unevenly(tmp_path: Path) -> None:
    light = generate_book("khai-sinh", 1, tmp_path / "l", seed=2, degrade="light", dpi=100)
    phone = generate_book("khai-sinh", 1, tmp_path / "p", seed=2, degrade="phone", dpi=100)
    assert _truth(phone)["degrade"] == "phone"
    a = np.asarray(Image.open(light / "pages" / "0001.jpg").convert("L"), dtype=np.float32)
    b = np.asarray(Image.open(phone / "pages" / "0001.jpg").convert("L"), dtype=np.float32)
    # Perspective leaves dark borders in the corners; the light falls off across the page.
    assert b[:6, :6].mean() < a[:6, :6].mean() - 40 or b[-6:, -6:].mean() < a[-6:, -6:].mean() - 40
    for page in _truth(phone)["pages"]:
        for ln in page["lines"]:
            x0, y0, x1, y1 = ln["bbox"]
            assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]


def test_classic_books_are_unchanged_by_the_wide_options(tmp_path: Path) -> None:
    plain = _truth(generate_book("khai-sinh", 2, tmp_path / "a", style="hand", seed=5))
    assert "group" not in plain and "fonts" not in plain
    assert not any(ln.get("struck") for p in plain["pages"] for ln in p["lines"])
