"""The second recogniser, for handwriting (#13): a line part the first recogniser reads unsure
is read with the hand model too, and the surer reading is kept.

One recogniser fine-tuned on print and on all the generator's tuning hands lost print digits
(docs/BENCHMARKS.md, twelfth and thirteenth sessions); the default model reads print, the hand
model is asked only where the default is unsure.
"""

from __future__ import annotations

import copy
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from ocr_service.config import OcrSettings, ViSettings
from ocr_service.errors import BadInput
from ocr_service.ocr.base import crop_line
from ocr_service.ocr.ctc_beam import Lexicon
from ocr_service.ocr.line_boxes import CROP_PAD_X, CROP_PAD_Y
from ocr_service.ocr.line_crops import compact_line
from ocr_service.ocr.line_reader import LineRead
from ocr_service.ocr.rec_model import HAND_MODEL_DIR, NO_MODEL, hand_model, load_model_dir
from ocr_service.ocr.vi import ViEngine
from ocr_service.synth import generate_book
from ocr_service.synth.catalog import TUNING
from ocr_service.training.data import clean_label


@dataclass
class FakeReader:
    """A recogniser that reads every crop as `text`, each character at `prob`."""

    text: str
    prob: float
    calls: list[float] = field(default_factory=list)

    def read(
        self, grey: np.ndarray, squeeze: float = 1.0, lexicon: Lexicon | None = None
    ) -> LineRead:
        self.calls.append(squeeze)
        return LineRead(self.text, [self.prob] * len(self.text), ())


def engine_with(first: FakeReader, hand: FakeReader | None, below: float = 0.8) -> ViEngine:
    engine = ViEngine(OcrSettings(vi=ViSettings(hand_below=below, reread=False, apart=False)))
    models = copy.copy(engine.models)  # the cached models stay as they are
    models.reader, models.hand_reader = first, hand  # type: ignore[assignment]
    engine.models = models
    return engine


CROP = np.full((32, 200), 255, np.uint8)


def test_an_unsure_reading_is_read_with_the_hand_model_and_the_surer_kept() -> None:
    first, hand = FakeReader("Ngày Ba Hóng Đột", 0.5), FakeReader("Ngày Ba Tháng Một", 0.95)
    read = engine_with(first, hand)._read_cased(CROP)
    assert read.text == "Ngày Ba Tháng Một" and read.conf == pytest.approx(0.95)
    assert hand.calls
    text, conf = engine_with(first, hand).read_line(CROP)
    assert text == "Ngày Ba Tháng Một" and conf == pytest.approx(0.95)


def test_a_sure_reading_is_not_read_again() -> None:
    first, hand = FakeReader("3/12/2021", 0.99), FakeReader("3/2/2021", 1.0)
    read = engine_with(first, hand)._read_cased(CROP)
    assert read.text == "3/12/2021" and not hand.calls
    assert engine_with(first, hand).read_line(CROP)[0] == "3/12/2021"


def test_the_hand_model_less_sure_or_empty_keeps_the_first_reading() -> None:
    first = FakeReader("Trạm y tế", 0.6)
    assert engine_with(first, FakeReader("Trạm ỵ tẽ", 0.55))._read_cased(CROP).text == "Trạm y tế"
    assert engine_with(first, FakeReader("", 0.0))._read_cased(CROP).text == "Trạm y tế"
    assert engine_with(first, FakeReader("Trạm Y tế", 0.9), below=0.0)._read_cased(CROP).text == (
        "Trạm y tế"
    )
    assert engine_with(first, None)._read_cased(CROP).text == "Trạm y tế"


def test_the_hand_model_is_chosen_by_its_setting(tmp_path: Path) -> None:
    assert hand_model(NO_MODEL) is None
    shipped = hand_model(None)
    assert shipped is not None and shipped.path.parent == HAND_MODEL_DIR
    assert hand_model(str(HAND_MODEL_DIR)) == load_model_dir(HAND_MODEL_DIR)
    with pytest.raises(BadInput):
        hand_model(str(tmp_path))  # not a model dir


def test_the_provenance_names_both_recognisers() -> None:
    engine = ViEngine(OcrSettings())
    models = engine.provenance()["models"]
    shipped = hand_model(None)
    assert shipped is not None
    assert models["hand recogniser"] == shipped.label != models["recogniser"]
    assert "hand model" in engine.version()
    off = ViEngine(OcrSettings(vi=ViSettings(hand_model_dir=NO_MODEL)))
    assert "hand recogniser" not in off.provenance()["models"]


def value_crops(font: str) -> list[tuple[np.ndarray, str]]:
    """Every handwritten value line of a one-record birth book in `font`, cropped as the engine
    crops a page line, with its text."""
    with tempfile.TemporaryDirectory(prefix="sohoa-hand-") as tmp:
        out = generate_book(
            "khai-sinh", 1, Path(tmp) / "book", style="hand", hand_font=font, group=TUNING
        )
        truth = json.loads((out / "truth.json").read_text("utf-8"))
        crops = []
        for p, page in enumerate(truth["pages"], 1):
            image = cv2.imread(str(out / "pages" / f"{p:04d}.jpg"), cv2.IMREAD_GRAYSCALE)
            for line in page["lines"]:
                text = clean_label(str(line["text"]))
                if line["style"] != "hand" or not text or not line["field"]:
                    continue
                x0, y0, x1, y1 = (round(v) for v in line["bbox"])
                crops.append((crop_line(image, (x0, y0, x1, y1), CROP_PAD_Y, CROP_PAD_X), text))
    return crops


def value_cer(crops: list[tuple[np.ndarray, str]], vi: ViSettings) -> float:
    engine = ViEngine(OcrSettings(vi=vi))
    edits = chars = 0
    for crop, text in crops:
        compact = compact_line(crop, gap=vi.compact_gap, keep=vi.compact_keep, end=vi.compact_end)
        edits += Levenshtein.distance(engine._read_page_line(compact).text, text)
        chars += len(text)
    return edits / chars


@pytest.mark.slow
def test_a_script_hand_the_default_model_never_learnt_reads_better_with_the_hand_model() -> None:
    """Inspiration, a tuning hand of the widened catalogue: the default model's recipe took the
    first nine tuning hands (training/forms.RECIPE_HAND_FONTS), the hand model's all of them.
    One record's value lines: 30.0 % CER with the default alone, 20.3 % with both (2026-12-07)."""
    crops = value_crops("Inspiration-Regular.ttf")
    assert len(crops) >= 30
    alone = value_cer(crops, ViSettings(hand_model_dir=NO_MODEL))
    both = value_cer(crops, ViSettings())
    assert alone > 0.2  # the default model alone misreads this hand
    assert both < 0.8 * alone


def test_a_list_value_is_read_from_its_list_by_either_recogniser() -> None:
    """_read_listed: the first recogniser's reading from the closed set where it is the set's
    and sure; the hand model asked where it is not the set's or unsure; the surer reading of
    the set's words kept, or none."""
    gender = Lexicon.of(["Nam", "Nữ"], closed=6.0)
    first, hand = FakeReader("Nữ", 0.9), FakeReader("Nam", 0.95)
    read = engine_with(first, hand)._read_listed(CROP, gender)
    assert read is not None and read.text == "Nữ" and not hand.calls  # sure: not asked
    first, hand = FakeReader("Nữ", 0.5), FakeReader("Nam", 0.95)
    read = engine_with(first, hand)._read_listed(CROP, gender)
    assert read is not None and read.text == "Nam" and hand.calls  # unsure: the surer
    first, hand = FakeReader("Nũ", 0.9), FakeReader("Nữ", 0.4)
    read = engine_with(first, hand)._read_listed(CROP, gender)
    assert read is not None and read.text == "Nữ"  # only the hand model's is the set's
    first, hand = FakeReader("Nũ", 0.9), FakeReader("Hạ", 0.9)
    assert engine_with(first, hand)._read_listed(CROP, gender) is None
    assert engine_with(FakeReader("Nũ", 0.9), None)._read_listed(CROP, gender) is None
