"""Synthetic books (ocr_service.synth) read back from their truth lines as perfect OCR."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from models.book import BookMeta
from ocr_service.extract.containers import RecordDraft
from ocr_service.extract.layouts.layout_file import load_layout_file
from ocr_service.extract.records import extract_records
from ocr_service.ocr.containers import OcrLine, OcrPage
from ocr_service.synth.book import generate_book

RESOURCES = Path(__file__).parent / "resources" / "extract"
pytestmark = pytest.mark.slow


def read_book(
    book: Path, layout: str, layout_file: Any = None
) -> tuple[list[RecordDraft], dict[str, Any]]:
    truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))
    pages: list[tuple[int, OcrPage]] = []
    images: dict[int, np.ndarray[Any, Any]] = {}
    for p in truth["pages"]:
        lines = [OcrLine(ln["text"], 1.0, tuple(ln["bbox"])) for ln in p["lines"]]
        pages.append((p["page"], OcrPage(p["width"], p["height"], lines, "truth")))
        image = cv2.imread(str(book / p["file"]), cv2.IMREAD_GRAYSCALE)
        assert image is not None
        images[p["page"]] = image
    meta = truth["ledger"]
    ledger = BookMeta(
        meta["register"],
        commune=meta["commune"],
        book=meta["book"],
        year=meta["year"],
        authority=meta["noiDangKy"],
    )
    records = extract_records(
        truth["register"], layout, pages, ledger, layout_file=layout_file, images=images
    )
    return records, truth


def exact_match(records: list[RecordDraft], truth: dict[str, Any]) -> tuple[int, int]:
    """Truth fields whose value we reproduce exactly, and all truth fields."""
    by_place = {(r.page, r.row): r for r in records}
    hit = total = 0
    for t in truth["records"]:
        rec = by_place.get((t["page"], None if t["row"] is None else t["row"] + 1))
        for code, f in t["fields"].items():
            total += 1
            hit += rec is not None and rec.value(code) == (f["value"] or None)
    return hit, total


@pytest.mark.parametrize(
    "register", ["khai-sinh", "khai-tu", "ket-hon", "nhan-cha-me-con", "xac-nhan-hon-nhan"]
)
def test_block_books_read_back(register: str, tmp_path: Path) -> None:
    book = generate_book(register, 4, tmp_path / register, seed=11)
    records, truth = read_book(book, "block_form")
    assert len(records) == len(truth["records"])
    hit, total = exact_match(records, truth)
    assert hit / total >= 0.95, f"{register}: {hit}/{total}"


def test_table_spread_read_back_with_the_documented_layout(tmp_path: Path) -> None:
    book = generate_book(
        "khai-sinh", 20, tmp_path / "ledger", layout="table", seed=12, spreads=True
    )
    first = json.loads((book / "truth.json").read_text(encoding="utf-8"))["pages"][0]
    layout = load_layout_file(RESOURCES / "ledger_khai_sinh.toml")
    layout = dataclasses.replace(layout, gutter_x=first["gutter_x"] / first["width"])
    records, truth = read_book(book, "table_ledger", layout)
    assert len(records) == len(truth["records"])
    assert all(len(r.pages) == 1 for r in records)  # both halves of a row are on one image
    hit, total = exact_match(records, truth)
    assert hit / total >= 0.95, f"{hit}/{total}"


def test_planted_errors_are_flagged_and_nothing_else(tmp_path: Path) -> None:
    book = generate_book("khai-sinh", 16, tmp_path / "planted", seed=6, plant_errors=True)
    records, truth = read_book(book, "block_form")
    planted = {(e["record"], e["rule"]) for e in truth["planted_errors"]}
    assert {"sequence-gap", "duplicate-number", "registration-before-event"} <= {
        rule for _, rule in planted
    }
    found = {(i, w.rule) for i, r in enumerate(records) for w in r.warnings}
    assert planted <= found
    # The only other warning: the first record of a duplicated pair is flagged too.
    extra = found - planted
    assert all(rule == "duplicate-number" for _, rule in extra)


def test_clean_book_flags_nothing(tmp_path: Path) -> None:
    book = generate_book("khai-tu", 8, tmp_path / "clean", seed=5)
    records, _ = read_book(book, "block_form")
    assert [w for r in records for w in r.warnings] == []
