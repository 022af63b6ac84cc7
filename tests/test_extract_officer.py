"""Người thực hiện: the civil-status officer under the signatures, in other printings too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from models.book import BookMeta
from ocr_service.extract.containers import RecordDraft
from ocr_service.extract.records import extract_records
from ocr_service.ocr.containers import OcrLine, OcrPage
from ocr_service.synth.book import generate_book

Edit = Callable[[list[OcrLine]], list[OcrLine]]
CAPTION = "Người thực hiện"


@pytest.fixture(scope="module")
def page_truth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    book = generate_book("khai-sinh", 1, tmp_path_factory.mktemp("officer"), seed=5)
    truth: dict[str, Any] = json.loads((book / "truth.json").read_text(encoding="utf-8"))
    return truth


def read(truth: dict[str, Any], edit: Edit) -> RecordDraft:
    p = truth["pages"][0]
    lines = edit([OcrLine(ln["text"], 1.0, tuple(ln["bbox"])) for ln in p["lines"]])
    page = OcrPage(p["width"], p["height"], lines, "truth")
    ledger = BookMeta("khai-sinh", commune="Xã Mẫu")
    (rec,) = extract_records("khai-sinh", "block_form", [(1, page)], ledger, book_rules=False)
    return rec


def officer(truth: dict[str, Any]) -> str:
    value: str = truth["records"][0]["fields"]["nguoiThucHien"]["value"]
    return value


def retitled(title: str) -> Edit:
    """The caption over the officer's signature printed as the officer's title."""

    def edit(lines: list[OcrLine]) -> list[OcrLine]:
        return [OcrLine(title, 1.0, ln.bbox) if ln.text == CAPTION else ln for ln in lines]

    return edit


def stacked(lines: list[OcrLine]) -> list[OcrLine]:
    """'Người thực hiện' with the title and '(Ký, ghi rõ họ tên)' under it."""
    out: list[OcrLine] = []
    for ln in lines:
        out.append(ln)
        if ln.text == CAPTION:
            x0, y0, x1, y1 = ln.bbox
            out.append(
                OcrLine("(Công chức tư pháp - hộ tịch)", 1.0, (x0 - 40, y0 + 36, x1 + 40, y1 + 36))
            )
            out.append(OcrLine("(Ký, ghi rõ họ tên)", 1.0, (x0, y0 + 72, x1, y1 + 72)))
    return out


@pytest.mark.parametrize(
    "edit",
    [
        retitled("Công chức tư pháp - hộ tịch"),
        retitled("Công chức tư pháp – hộ tịch"),
        retitled("CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"),
        retitled("Cán bộ tư pháp - hộ tịch"),
        stacked,
    ],
    ids=["title", "en-dash", "capitals", "before-2015", "stacked"],
)
def test_officer_is_read_under_the_officers_title(page_truth: dict[str, Any], edit: Edit) -> None:
    rec = read(page_truth, edit)
    assert rec.value("nguoiThucHien") == officer(page_truth)
    # The other signers keep their own names.
    fields = page_truth["records"][0]["fields"]
    assert rec.value("nguoiKy") == fields["nguoiKy"]["value"]


def test_officers_title_as_the_signers_position_is_no_caption(page_truth: dict[str, Any]) -> None:
    title = "Công chức tư pháp - hộ tịch"

    def edit(lines: list[OcrLine]) -> list[OcrLine]:
        # The officer signs under their title, and the signer's position reads the same words.
        return [
            OcrLine(title, 1.0, ln.bbox)
            if ln.text == CAPTION or (ln.text == "Chủ tịch" and ln.bbox[1] > 1800)
            else ln
            for ln in retitled(title)(lines)
        ]

    rec = read(page_truth, edit)
    assert rec.value("chucVuNguoiKy") == title
    assert rec.value("nguoiThucHien") == officer(page_truth)
