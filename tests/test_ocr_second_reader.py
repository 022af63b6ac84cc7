"""Second reader: low lines re-read by another engine; agreement and disagreement flags."""

from __future__ import annotations

import numpy as np

from ocr_service.ocr import OcrEngine, ocr_image, read_page_with_second_reader
from ocr_service.ocr.containers import OcrLine, OcrPage
from ocr_service.ocr.second_reader import normalise_text, texts_agree


class ScriptedEngine(OcrEngine):
    """Returns fixed lines for a page, and for line crops the text under the crop's mean grey."""

    def __init__(self, name: str, lines: list[OcrLine], line_reads: dict[int, tuple[str, float]]):
        self.name = name
        self._lines = lines
        self._reads = line_reads
        self.crops: list[tuple[int, ...]] = []

    def version(self) -> str:
        return f"{self.name} 0"

    def read_page(self, image: np.ndarray) -> OcrPage:
        h, w = image.shape[:2]
        return OcrPage(width=w, height=h, lines=list(self._lines), engine=self.name)

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        self.crops.append(crop.shape)
        key = round(float(crop.mean()))
        if key not in self._reads:
            raise RuntimeError("engine crashed")
        return self._reads[key]


def _page() -> np.ndarray:
    # Three bands of distinct grey so each line's crop tells the fake engine which line it is.
    image = np.full((300, 400), 255, np.uint8)
    image[0:100] = 10
    image[100:200] = 20
    image[200:300] = 30
    return image


LINES = [
    OcrLine(text="Nguyễn Văn Bình", confidence=0.95, bbox=(50, 40, 350, 60)),
    OcrLine(text="Trần Thị Lan", confidence=0.55, bbox=(50, 140, 350, 160)),
    OcrLine(text="Phú Lộc", confidence=0.6, bbox=(50, 240, 350, 260)),
]


def test_agreement_raises_confidence_and_disagreement_caps_it() -> None:
    primary = ScriptedEngine("vi", LINES, {})
    second = ScriptedEngine("tesseract", [], {20: ("Trần Thị Lan.", 0.7), 30: ("Phù Lục", 0.8)})
    page = read_page_with_second_reader(primary, second, _page(), threshold=0.8)
    sure, agreed, disputed = page.lines
    assert sure == LINES[0] and sure.flags == []  # above the threshold: not re-read
    assert len(second.crops) == 2
    assert agreed.flags == ["engines-agree"] and agreed.text == "Trần Thị Lan"
    assert agreed.confidence >= 0.9
    assert disputed.flags == ["engines-disagree"] and disputed.alt_text == "Phù Lục"
    assert disputed.text == "Phú Lộc" and disputed.confidence <= 0.3
    assert "second reader tesseract" in page.engine_version


def test_a_crashing_second_reader_keeps_the_primary_reading() -> None:
    primary = ScriptedEngine("vi", LINES, {})
    second = ScriptedEngine("broken", [], {})
    page = read_page_with_second_reader(primary, second, _page())
    assert [ln.text for ln in page.lines] == [ln.text for ln in LINES]
    assert page.lines[1].flags == ["second-reader-failed"]
    assert page.lines[1].confidence == LINES[1].confidence


def test_ocr_image_with_a_second_engine() -> None:
    primary = ScriptedEngine("vi", LINES, {})
    second = ScriptedEngine("tesseract", [], {20: ("trần thị lan", 0.9), 30: ("", 0.0)})
    page = ocr_image(_page(), primary, second)
    assert page.lines[1].flags == ["engines-agree"]
    assert page.lines[2].flags == ["engines-disagree"] and page.lines[2].alt_text == ""
    assert page.seconds >= 0


def test_text_comparison() -> None:
    assert normalise_text("  Trần  Thị LAN. ") == "trần thị lan"
    assert texts_agree("Nguyễn Văn Bình", "nguyễn văn bình")
    assert texts_agree(
        "Số 12 đường Lê Lợi, phường Vĩnh Ninh, Huế", "Số 12 đường Lê Lợi phường Vĩnh Ninh Hu"
    )
    assert not texts_agree("Phú Lộc", "Phù Lục")
    assert not texts_agree("Trần Thị Lan", "Tran Thi Lan")  # tone marks matter in names
    assert not texts_agree("", "")
