"""The default Vietnamese engine: trueocr page geometry + AsterOCR line recognition."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein

from ocr_service.config import OcrSettings, ViSettings
from ocr_service.errors import EngineUnavailable
from ocr_service.ocr.base import (
    OcrEngine,
    clip_box,
    crop_line,
    file_sha256,
    ocr_threads,
    reading_order,
    to_grey,
)
from ocr_service.ocr.blots import erase_blots
from ocr_service.ocr.containers import OcrLine, OcrPage, OcrProvenance
from ocr_service.ocr.ctc_beam import GREEDY, Decoding, Lexicon, Repair, syllables
from ocr_service.ocr.label_value import label_parts, value_cuts
from ocr_service.ocr.letter_case import true_case
from ocr_service.ocr.line_boxes import CROP_PAD_X, CROP_PAD_Y, MIN_LINE_H, page_lines
from ocr_service.ocr.line_crops import compact_line, line_squeeze
from ocr_service.ocr.line_reader import GreedyPath, LineReader, line_reader
from ocr_service.ocr.marks import (
    DITTO,
    ditto_in_box,
    find_marks,
    in_columns,
    mark_verdict,
    reads_as_writing,
)
from ocr_service.ocr.rec_model import RecModel, hand_model, rec_model
from ocr_service.ocr.recogniser import REC_HEIGHT
from ocr_service.ocr.regions import line_regions
from ocr_service.ocr.strikes import erase_struck_words
from ocr_service.ocr.syllables import SYLLABLES_LABEL, syllable_lexicon
from ocr_service.ocr.table_lines import Table, median_height
from ocr_service.preprocess.geometry import (
    compose_affine,
    identity_affine,
    invert_affine,
    map_points,
    quarter_turn_affine,
)

# trueocr detects lines on the page shrunk to a 1024 px long side (its det_long_side). A
# 300-dpi spread (7,000 px) then loses a factor of seven and small handwritten lines written
# close together run into one; detecting at SOHOA_VI_DET_SIDE (ViSettings.det_side, a
# multiple of 32) keeps them apart.
DET_LONG_SIDE = 1024
# Two or more dots in a row, or a dot standing alone between words: leader dots, not text
# (dates and abbreviations use single dots inside a word: 19.10.2014, TP.).
LEADER_DOTS = re.compile(r"[.…·_]{2,}|(?<=\s)[.·](?=\s|$)|^[.·](?=\s)")
# A ditto mark in a table cell ("same as above") is reported as the line '"' with this
# confidence: the extractor copies the value above, and the clerk is asked to look.
DITTO_CONFIDENCE = 0.5
# A mark at least TALL_MARK x the line height (and TALL_MARK_ASPECT x its width) that reads
# as nothing is read again from its top MARK_TOP x the line height.
TALL_MARK = 1.2
TALL_MARK_ASPECT = 1.6  # ... and this x its width: a tick-box on a form is about square
TALL_MARK_MIN_W = 0.5  # x line height: a narrower one is a stroke (a page edge, a rule's end)
MARK_TOP = 0.8
# The recogniser emits at most one character per step of REC_STEP_PX input columns, and needs
# a blank step between two equal characters ('11' of '12/11/2001'): a crop too narrow for its
# text (narrow handwriting, tall ascenders, or the width squeeze) loses characters, usually at
# its end ('30/03/1945' read '30/03/195', '12/11/2001' read '12/1/2001'). A reading with more
# than DENSE_READING characters per step is read again stretched to SPARSE_READING (at most
# MAX_STRETCH x). The stretched reading is kept only when it gives back characters the first
# one lost — the first reading with characters added (spaces aside), at most REREAD_CHANGES
# of its own read otherwise — and is no less sure: printed lines near the threshold read
# the same stretched or lose a space, and stay as they were. (Printed labels squeezed to
# 0.75 read at 0.37-0.42 per step; handwritten values 0.22-0.40, and those that lost
# characters at 0.41-0.49, on the three synth hand fonts narrowed to 0.6.)
REC_STEP_PX = 4
REREAD_CHANGES = 1  # characters of the first reading the stretched one may read otherwise
DENSE_READING = 0.4
SPARSE_READING = 0.25
MAX_STRETCH = 2.0
# A stretched reading SURER_BY more confident than the first is kept even when it changed
# letters, and a dense line read unsure (below UNSURE) is also read MILD_STRETCH x: a thin,
# narrow label font (Crimson Pro, Literata) beside a heavy hand was read at the hand's width,
# its labels run together ('Nauucdicùng:' for 'Nơi cư trú cuối cùng:', 'Giấy báotsố:').
MILD_STRETCH = 1.3
SURER_BY = 0.05
UNSURE = 0.8
# A value that a vocabulary repairs (a place) and that wraps onto the next dotted line: the
# line below it, starting within this many of its line heights under it, is its end
# (the block form's extractor joins such lines: extract/layouts/block_form.CONTINUATION_GAP).
WRAP_GAP = 2.5


@dataclass(frozen=True)
class OpenValue:
    """The value a labelled line ends in, where its label's vocabulary repairs it (a place):
    the text before it, its reading and its crop, kept to be read again together with the
    line below it where the value wraps onto it (ViEngine._repair_wrapped)."""

    repair: Repair
    head: str
    value: str
    crop: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class LineText:
    """A crop's reading: text (NFC, spaces collapsed, leader dots dropped), confidence, and
    the recogniser's greedy path placed on the crop (line_reader.LineRead.path); `open`: the
    value the line ends in, where a vocabulary repairs it."""

    text: str
    conf: float
    path: GreedyPath = ()
    open: OpenValue | None = None


def _closed_for(lexicon: Lexicon | None, labelled: list[str], n: int) -> Lexicon | None:
    """The closed lexicon part `n` of a labelled line is written from: the one the ledger's
    lexicon has for the label before it (gender, ethnic group, nationality, a date in words),
    or None."""
    if lexicon is None or n == 0:
        return None
    return lexicon.after_label(labelled[n - 1])


def _repair_for(lexicon: Lexicon | None, labelled: list[str], n: int) -> Repair | None:
    """The vocabulary that repairs part `n` of a labelled line: the one the ledger's lexicon
    has for the label before it (a place's), or None."""
    if lexicon is None or n == 0:
        return None
    return lexicon.repair_after(labelled[n - 1])


class _Models:
    """trueocr's PageEngine and AsterOCR's ONNX session, loaded once per process for the
    settings that choose them (see _models)."""

    def __init__(
        self,
        *,
        threads: int,
        det_side: int = DET_LONG_SIDE,
        runtime: str = "auto",
        int8: bool | None = None,
        width_step: int = 16,
        chunk: int = 512,
        model_dir: str | None = None,
        decoding: Decoding = GREEDY,
        hand_model_dir: str | None = None,
    ) -> None:
        try:
            import asterocr  # noqa: F401  (the recogniser's package)
            import trueocr
            from trueocr.page import PageEngine
        except ImportError as exc:
            raise EngineUnavailable(
                f"OCR engine 'vi' needs trueocr and asterocr: pip install trueocr==0.1.1 "
                f"asterocr==1.0.2 ({exc})"
            ) from exc
        det_dir = Path(trueocr.__file__).parent / "models"
        if not (det_dir / "det.onnx").is_file():
            raise EngineUnavailable(
                "OCR engine 'vi': the model files of trueocr are missing; "
                "reinstall: pip install --force-reinstall trueocr==0.1.1"
            )
        # The recogniser: asterocr's shipped model, or a model dir (SOHOA_VI_MODEL_DIR,
        # `sohoa ocr --model`) written by ocr_service/training, read with its own convention.
        self.model = rec_model(model_dir)
        self.page = PageEngine(det_dir, threads=threads)
        self.page.long_side = max(int(self.page.long_side), det_side // 32 * 32)

        # int8 (SOHOA_VI_INT8): the recogniser on onnxruntime with int8 matrix products (see
        # quantise.py), or not; None: load_recogniser decides (int8 on a VNNI CPU when
        # OpenVINO's bfloat16 is not used).
        def reader_of(model: RecModel) -> LineReader:
            return line_reader(
                model,
                threads,
                runtime,
                int8=int8,
                width_step=width_step,
                chunk=chunk,
                decoding=decoding,
            )

        self.reader: LineReader = reader_of(self.model)
        self.rec = self.reader.rec
        # The second recogniser, for handwriting (SOHOA_VI_HAND_MODEL_DIR): a line part the
        # first reads unsure is read with it too (ViEngine._with_hand).
        hand = hand_model(hand_model_dir)
        self.hand_reader: LineReader | None = None if hand is None else reader_of(hand)
        packages = {name: metadata.version(name) for name in ("trueocr", "asterocr")}
        # The hand model reads on the same runtime and precision (self.rec.label: " int8").
        with_hand = (
            "" if hand is None else f" + hand model {hand.sha256.removeprefix('sha256:')[:12]}"
        )
        self.versions = (
            f"trueocr {packages['trueocr']} + asterocr {packages['asterocr']}"
            + with_hand
            + self.rec.label
        )
        if model_dir is not None:
            self.versions += f" + model {self.model.sha256[:12]}"
        self.det_name = json.loads((det_dir / "meta.json").read_text("utf-8")).get("name", "")
        # What the provenance of each page says about the models (see ViEngine.provenance).
        self.files: dict[str, str] = {
            **packages,
            "detector": f"{self.det_name} det.onnx {file_sha256(det_dir / 'det.onnx')}",
            "recogniser": self.model.label,
            "runtime": self.rec.runtime_name,
            "threads": str(threads),
            **({} if hand is None else {"hand recogniser": hand.label}),
        }
        # PageEngine.upright/detect use a shared thread pool and numpy scratch: serialise them.
        self.page_lock = threading.Lock()

    @property
    def int8(self) -> bool:
        return self.rec.precision == "int8"


@lru_cache(maxsize=1)
def _models(
    threads: int,
    det_side: int,
    runtime: str,
    int8: bool | None,
    width_step: int,
    chunk: int,
    model_dir: str | None,
    decoding: Decoding = GREEDY,
    hand_model_dir: str | None = None,
) -> _Models:
    return _Models(
        threads=threads,
        det_side=det_side,
        runtime=runtime,
        int8=int8,
        width_step=width_step,
        chunk=chunk,
        model_dir=model_dir,
        decoding=decoding,
        hand_model_dir=hand_model_dir,
    )


class ViEngine(OcrEngine):
    """trueocr turns, deskews and finds lines; AsterOCR reads each line (full Vietnamese)."""

    name = "vi"

    def __init__(self, settings: OcrSettings) -> None:
        self.ocr_settings = settings
        self.settings: ViSettings = settings.vi
        vi = settings.vi
        self.models = _models(
            ocr_threads(settings.threads),
            vi.det_side,
            vi.runtime,
            vi.int8,
            vi.width_step,
            vi.chunk,
            vi.model_dir,
            Decoding.of(vi),
            vi.hand_model_dir,
        )

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> ViEngine:
        return cls(settings)

    def version(self) -> str:
        return self.models.versions

    def provenance(self) -> OcrProvenance:
        """The engine, its settings (OcrSettings.threads and .vi, as they validate back) and
        its models: trueocr/asterocr versions, model files' sha256, the recogniser runtime."""
        return {
            "engine": self.name,
            "engine_version": self.version(),
            "settings": self.ocr_settings.model_dump(mode="json", include={"threads", "vi"}),
            "models": dict(self.models.files),
        }

    # --- recognition -------------------------------------------------------------------
    def _read_grey(
        self,
        grey: np.ndarray,
        squeeze: float = 1.0,
        lexicon: Lexicon | None = None,
        reader: LineReader | None = None,
    ) -> LineText:
        """The crop's text, confidence and greedy path. `lexicon`: the ledger's words, for
        SOHOA_VI_DECODE=beam-vocab. `reader`: another recogniser than the first (the hand
        model's)."""
        read = (reader or self.models.reader).read(grey, squeeze, lexicon)
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", read.text)).strip()
        # Leader dots of a printed form ("Họ, chữ đệm, tên: ........") are not text.
        text = " ".join(LEADER_DOTS.sub(" ", text).split())
        if not text or not read.probs or not any(ch.isalnum() for ch in text):
            return LineText("", 0.0)
        p = np.asarray(read.probs)
        # Mean peak probability, pulled down by the least sure character: a single doubtful
        # letter in a name is what a clerk must look at.
        conf = float(np.clip(0.5 * p.mean() + 0.5 * p.min(), 0.0, 1.0))
        return LineText(text, conf, read.path)

    def _squeeze(self, crop: np.ndarray) -> float:
        """How far a page line's crop is narrowed for its first reading (line_squeeze)."""
        vi = self.settings
        return line_squeeze(crop, squeeze_min=vi.squeeze, min_stroke=vi.min_stroke)

    def _read_line_crop(
        self,
        crop: np.ndarray,
        lexicon: Lexicon | None = None,
        first: LineText | None = None,
        reader: LineReader | None = None,
    ) -> LineText:
        """A page line's crop read narrowed as far as its strokes allow (line_squeeze), and
        read again at its natural width when that gives nothing: narrowed, a short word in
        a looped hand ran together ("dud." on FRAN_0187_50115_L read as "?@"); and read
        again stretched when the reading is too dense for its width (DENSE_READING); a
        reading mostly of digits is read again at its natural width.
        SOHOA_VI_REREAD=0 turns these second readings off. `first`: the narrowed reading
        (at self._squeeze(crop)), when the caller has it already; `reader`: the recogniser
        (default: the first)."""
        vi = self.settings
        squeeze = self._squeeze(crop)
        read = first if first is not None else self._read_grey(crop, squeeze, lexicon, reader)
        if not read.text and squeeze < 1.0 and vi.reread:
            squeeze = 1.0
            read = self._read_grey(crop, lexicon=lexicon, reader=reader)
        # Narrowed, a thin '1' beside a '/' of a wide print font fits in less than one step
        # and is dropped without doubt ('3/12/2021' read '3/2/2021' at 1.0): a date or a
        # number is read again at its natural width, kept when it only puts back digits
        # between the characters it read (a handwritten number read wider can also grow a
        # stroke at its ends or a dash: '66248' → '1166248', '66251' → '662-51').
        if vi.reread and squeeze < 1.0 and mostly_digits(read.text):
            natural = self._read_grey(crop, 1.0, lexicon, reader)
            if digits_put_back(read.text, natural.text):
                read, squeeze = natural, 1.0
        density = reading_density(read.text, crop.shape, squeeze)
        if vi.reread and density > DENSE_READING:
            stretch = min(MAX_STRETCH, density / SPARSE_READING)
            first = read
            wide = self._read_grey(crop, squeeze * stretch, lexicon, reader)
            if wide.conf >= read.conf and gives_back(read.text, wide.text):
                return wide
            if wide.conf >= read.conf + SURER_BY:
                read = wide
            if first.conf < UNSURE and stretch > MILD_STRETCH:
                mild = self._read_grey(crop, squeeze * MILD_STRETCH, lexicon, reader)
                if mild.conf >= max(read.conf, first.conf + SURER_BY):
                    read = mild
        return read

    def _read_cased(
        self, crop: np.ndarray, lexicon: Lexicon | None = None, first: LineText | None = None
    ) -> LineText:
        """_read_line_crop, with the hand model too where the first reads it unsure
        (_with_hand), the case of size-only letters then set by the ink ('xã' read 'Xã': the
        case of a size-only letter is what its ink's height says)."""
        read = self._with_hand(
            self._read_line_crop(crop, lexicon, first),
            lambda hand: self._read_line_crop(crop, lexicon, reader=hand),
        )
        return replace(read, text=true_case(crop, read.text))

    def _with_hand(self, read: LineText, again: Callable[[LineReader], LineText]) -> LineText:
        """`read`, or the hand model's reading of the same crop (`again` with the hand
        model's reader) where the first recogniser read it under SOHOA_VI_HAND_BELOW and the
        hand model reads it surer. One recogniser that holds both print and the generator's
        many script hands lost print digits (docs/BENCHMARKS.md, twelfth and thirteenth
        sessions); two, each its own kind, the surer kept."""
        hand = self.models.hand_reader
        if hand is None or read.conf >= self.settings.hand_below:
            return read
        other = again(hand)
        return other if other.text and other.conf > read.conf else read

    def _read_page_line(self, crop: np.ndarray, lexicon: Lexicon | None = None) -> LineText:
        """A page line's crop read (_read_cased); a line that holds a form's labels and the
        values written after them is cut after each label's colon and its parts read apart
        (label_value.py): read beside a printed label in another font and size, a value's
        letters came back in the wrong case or with wrong marks ('Quê quán: Xã', 'Ông Nội',
        'Thăng') and a thin label beside a heavy hand ran together ('Naicưtrú:'), where
        apart they read right. A value after a label whose values are a closed set (the
        lexicon's `after`: gender, ethnic group, nationality, a date in words) is read from
        that set where it can be, a place toward its repaired wording (the lexicon's
        `repairs`; _read_value); a place that ends the line is kept in `open` for the line
        below it (_repair_wrapped). Its confidence is the least sure value's."""
        if not self.settings.apart:
            return self._read_cased(crop, lexicon)
        first = self._read_grey(crop, self._squeeze(crop), lexicon)
        cuts = value_cuts(first.path, crop.shape[0], crop.shape[1])
        labelled = label_parts(first.text)
        if not cuts or len(labelled) != len(cuts) + 1:
            return self._read_cased(crop, lexicon, first)
        edges = [0, *cuts, crop.shape[1]]
        repairs = [_repair_for(lexicon, labelled, n) for n in range(len(labelled))]
        parts = [
            self._read_value(crop[:, a:b], lexicon, _closed_for(lexicon, labelled, n), repairs[n])
            for n, (a, b) in enumerate(itertools.pairwise(edges))
        ]
        if not parts[-1].text:
            return self._read_cased(crop, lexicon, first)
        texts = [
            part.text if part.text.endswith(":") or n == len(cuts) else fallback
            for n, (part, fallback) in enumerate(zip(parts, labelled, strict=True))
        ]
        tail = None
        if repairs[-1] is not None:
            tail = OpenValue(repairs[-1], " ".join(texts[:-1]), texts[-1], crop[:, edges[-2] :])
        return LineText(" ".join(texts), min(part.conf for part in parts[1:]), open=tail)

    def _repair_wrapped(
        self,
        read: list[tuple[str, float, tuple[int, int, int, int]]],
        crops: dict[int, np.ndarray],
        opens: dict[int, OpenValue],
    ) -> None:
        """A value its label's vocabulary repairs (a place) that wraps onto the next dotted
        line ('… xã Đắk Lao, huyện' / 'Đắk Mit, tỉnh Đắk Nông'): repaired whole (its unit
        words and names are only known together), and each of its two lines read again toward
        its share of the repaired wording (the same number of syllables on each line as
        read), kept where the recogniser spells it (_read_listed). `read` (text, confidence,
        box) is changed in place; `crops`: the lines' crops by index, `opens`: the lines that
        end in such a value."""
        for i, value in opens.items():
            box = read[i][2]
            height = box[3] - box[1]
            below = [
                j
                for j in crops
                if j not in opens
                and box[1] + height / 2 < read[j][2][1] <= box[3] + WRAP_GAP * height
                and read[j][2][0] < box[2]
                and read[j][2][2] > box[0]
            ]
            if not below:
                continue
            j = min(below, key=lambda k: read[k][2][1])
            tail = read[j][0]
            head_words, tail_words = syllables(value.value), syllables(tail)
            if ":" in tail or not tail_words:
                continue  # a label's line, or no words to repair
            fixed = syllables(value.repair.fix(f"{value.value} {tail}"))
            if len(fixed) != len(head_words) + len(tail_words):
                continue  # words gained or lost: which line holds them is unknown
            ends = (
                (i, value.crop, head_words, fixed[: len(head_words)]),
                (j, crops[j], tail_words, fixed[len(head_words) :]),
            )
            for k, crop, words, toward in ends:
                if toward == words:
                    continue
                listed = self._read_listed(crop, value.repair.phrase(" ".join(toward)))
                if listed is None:
                    continue
                _, conf, ub = read[k]
                again = true_case(crop, listed.text)
                if k == i:
                    read[k] = (f"{value.head} {again}", min(conf, listed.conf), ub)
                else:
                    read[k] = (again, listed.conf, ub)

    def _read_value(
        self,
        crop: np.ndarray,
        lexicon: Lexicon | None,
        closed: Lexicon | None,
        repair: Repair | None = None,
    ) -> LineText:
        """A labelled line's part (_read_cased); a value whose label says it is written from a
        closed set, and not read as one of its values, is read again from that set
        (_read_listed), and that reading kept where it spells one of the set's values. A value
        whose label's vocabulary repairs it (a place: 'huyện Đắk Mit' → 'huyện Đắk Mil') is
        read again toward its repaired wording, kept where the recogniser spells it: the
        crop, not the vocabulary, decides. Read apart, after the usual choice of readings, so
        a reading forced toward a list (less sure by its nature) never steers that choice.
        Only with SOHOA_VI_DECODE=beam-vocab: greedy and beam readings use no lexicon."""
        read = self._read_cased(crop, lexicon)
        if self.settings.decode != "beam-vocab":
            return read
        if closed is not None and not closed.spells(read.text):
            toward: Lexicon | None = closed
        else:  # a free value, or already one of the list's
            toward = None if repair is None else repair.toward(read.text)
        listed = None if toward is None else self._read_listed(crop, toward)
        return read if listed is None else replace(listed, text=true_case(crop, listed.text))

    def _read_listed(self, crop: np.ndarray, closed: Lexicon) -> LineText | None:
        """The crop read with a closed lexicon (ctc_beam.closed_decode) by the first
        recogniser, and by the hand model where that is not of the set or unsure; the surer
        reading that spells a value of the set, or None."""
        squeeze = self._squeeze(crop)
        first = self._read_grey(crop, squeeze, closed)
        found = [first] if closed.spells(first.text) else []
        hand = self.models.hand_reader
        if hand is not None and (not found or first.conf < self.settings.hand_below):
            other = self._read_grey(crop, squeeze, closed, hand)
            found += [other] if closed.spells(other.text) else []
        return max(found, key=lambda read: read.conf, default=None)

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        grey = to_grey(crop)
        read = self._with_hand(
            self._read_grey(grey), lambda hand: self._read_grey(grey, reader=hand)
        )
        return read.text, read.conf

    def read_mark(
        self,
        upright: np.ndarray,
        box: tuple[int, int, int, int],
        line_h: float,
        lexicon: Lexicon | None = None,
    ) -> tuple[str, float, bool]:
        """The reading of an ink cluster no line covered. A short word with a long tail
        (a clerk's initials "ay" with a looped y, 2-3 lines high) reads as a stray sign
        whole: when a cluster TALL_MARK line heights high, much taller than wide but wider
        than a stroke, reads as nothing, its top MARK_TOP line heights, where the letters
        sit, are read instead. The flag is True when the reading is of the whole cluster."""
        read = self._read_grey(crop_line(upright, box, CROP_PAD_Y, CROP_PAD_X), 1.0, lexicon)
        h, w = box[3] - box[1], box[2] - box[0]
        tall = h >= TALL_MARK * line_h and h >= TALL_MARK_ASPECT * w
        if not read.text and tall and w >= TALL_MARK_MIN_W * line_h:
            top = (box[0], box[1], box[2], box[1] + round(MARK_TOP * line_h))
            top_crop = crop_line(upright, top, CROP_PAD_Y, CROP_PAD_X)
            read = self._read_grey(top_crop, 1.0, lexicon)
            return read.text, read.conf, False
        return read.text, read.conf, True

    # --- page --------------------------------------------------------------------------
    def read_page(
        self, image: np.ndarray, *, assume_upright: bool = False, lexicon: Lexicon | None = None
    ) -> OcrPage:
        """All lines of the page. assume_upright: the caller has already turned and deskewed
        the image (the pipeline's preprocess_page), so trueocr's own pass is skipped.
        lexicon: the ledger's words, that SOHOA_VI_DECODE=beam-vocab biases readings toward
        (extract/vocabulary.py, learning/vocabulary.py); without one it reads as beam."""
        started = time.perf_counter()
        grey = to_grey(image)
        height, width = grey.shape
        with self.models.page_lock:
            if assume_upright:
                upright, turns, skew = grey, 0, 0.0
            else:
                upright, turns, skew = self.models.page.upright(grey)
            # Ink blots beside a value are otherwise read as its last letter ('Chủ tịch O').
            upright = erase_blots(upright)
            detected = self.models.page.detect(upright)[:, :4]
        vi = self.settings
        table = Table.of_page(upright, detected, rule_join=vi.rule_join)
        line_h = median_height(detected)
        boxes = page_lines(
            upright,
            detected,
            table,
            merge_gap=vi.merge_gap,
            split_gap=vi.split_gap,
            cell_gap=vi.cell_gap,
            stack_min_h=vi.stack_min_h,
            stack_valley=vi.stack_valley,
            stack_grow=vi.stack_grow,
        )
        to_input = upright_to_input(grey.shape, turns, skew)
        uh, uw = upright.shape
        read: list[tuple[str, float, tuple[int, int, int, int]]] = []
        dittos: set[int] = set()
        crops: dict[int, np.ndarray] = {}  # the lines read, by index in `read`
        opens: dict[int, OpenValue] = {}  # ... those that end in a value a vocabulary repairs
        for box in boxes:
            ub = clip_box((box[0], box[1], box[2], box[3]), uw, uh)
            if ub[3] - ub[1] < MIN_LINE_H or ub[2] - ub[0] < MIN_LINE_H:
                continue
            crop = compact_line(
                # A word crossed out and written again after it is not the book's text.
                erase_struck_words(crop_line(upright, ub, CROP_PAD_Y, CROP_PAD_X)),
                gap=vi.compact_gap,
                keep=vi.compact_keep,
                end=vi.compact_end,
            )
            read_line = self._read_page_line(crop, lexicon)
            text, conf = read_line.text, read_line.conf
            if (
                table.cell_of(box) is not None
                and ditto_in_box(upright, box, line_h)
                and not reads_as_writing(text, conf)
            ):
                dittos.add(len(read))
                read.append((DITTO, DITTO_CONFIDENCE, ub))
                continue
            if text:
                crops[len(read)] = crop
                if read_line.open is not None:
                    opens[len(read)] = read_line.open
                read.append((text, conf, ub))
        if opens and vi.decode == "beam-vocab":
            self._repair_wrapped(read, crops, opens)
        unsure: list[tuple[str, float, tuple[int, int, int, int]]] = []
        for mark in find_marks(upright, boxes, table, line_h):
            ub = clip_box(mark.box, uw, uh)
            if mark.ditto:
                dittos.add(len(read))
                read.append((DITTO, DITTO_CONFIDENCE, ub))
                continue
            text, conf, whole = self.read_mark(upright, ub, line_h, lexicon)
            verdict = mark_verdict(mark, text, conf, whole)
            if verdict == "line":
                read.append((text, conf, ub))
            elif verdict == "column":
                unsure.append((text, conf, ub))
        # Unsure readings are kept where they repeat down a column (initials in a margin),
        # with the confidence they were read at, so the clerk looks at them.
        kept = [_float_box(ub) for _, _, ub in read]
        for item, keep in zip(
            unsure, in_columns([_float_box(u[2]) for u in unsure], kept, line_h), strict=True
        ):
            if keep:
                read.append(item)
        regions = line_regions(
            [ub for _, _, ub in read],
            table,
            line_h,
            (uw, uh),
            vi.region_x,
            vi.region_y,
            dittos=frozenset(dittos),
            table_end=vi.table_end,
        )
        lines: list[OcrLine] = []
        upright_boxes: list[tuple[int, int, int, int]] = []
        for (text, conf, ub), region in zip(read, regions, strict=True):
            # The reported box: the detector's core box widened by box_pad x its height, up
            # and down (the accents), and box_pad_x at both ends. PAGE/ALTO ground truth draws
            # looser boxes (0.25 / 0.3 match it better: +10 points of IoU-0.5 recall on the
            # real scans) but the synth truth and the form extractor want tight ones (-4 to
            # -14 points of synth row recall), so tight by default (0.15, 0).
            py, px = vi.box_pad * (ub[3] - ub[1]), vi.box_pad_x * (ub[3] - ub[1])
            mapped = map_points(to_input, _corners(ub[0] - px, ub[1] - py, ub[2] + px, ub[3] + py))
            bbox = clip_box(
                (mapped[:, 0].min(), mapped[:, 1].min(), mapped[:, 0].max(), mapped[:, 1].max()),
                width,
                height,
            )
            # The polygon is the line's region (see regions.py): what PAGE XML records.
            outline = map_points(to_input, _corners(*region))
            polygon = [
                (int(np.clip(round(x), 0, width)), int(np.clip(round(y), 0, height)))
                for x, y in outline
            ]
            lines.append(
                OcrLine(text=text, confidence=conf, bbox=bbox, polygon=polygon, engine=self.name)
            )
            upright_boxes.append(ub)
        # Reading order is decided on the upright page, where rows are rows.
        order = reading_order(upright_boxes)
        lines = [lines[i] for i in order]
        return OcrPage(
            width=width,
            height=height,
            lines=lines,
            engine=self.name,
            engine_version=self.version(),
            seconds=time.perf_counter() - started,
            provenance=self._provenance(lexicon),
        )

    def _provenance(self, lexicon: Lexicon | None) -> OcrProvenance:
        """The engine's provenance, and the words beam-vocab read with: the lexicon's, or
        outside a ledger the well-formed syllables (when SOHOA_VI_ILLFORMED weighs them)."""
        provenance = self.provenance()
        if self.settings.decode != "beam-vocab":
            return provenance
        if lexicon is not None:
            provenance["models"] = {**provenance["models"], "vocabulary": lexicon.label}
        elif self.settings.illformed > 0:
            label = f"{SYLLABLES_LABEL}: {syllable_lexicon().label}"
            provenance["models"] = {**provenance["models"], "vocabulary": label}
        return provenance


def reading_density(text: str, shape: tuple[int, ...], squeeze: float = 1.0) -> float:
    """Characters read per recogniser step for a crop of ``shape`` read at ``squeeze``."""
    h, w = shape[:2]
    steps = w * REC_HEIGHT * squeeze / max(1, h) / REC_STEP_PX
    return len(text) / steps if steps > 0 else 0.0


def mostly_digits(text: str) -> bool:
    """True when at least half of the text's characters (spaces aside) are digits."""
    chars = text.replace(" ", "")
    return bool(chars) and 2 * sum(ch.isdigit() for ch in chars) >= len(chars)


def digits_put_back(first: str, second: str) -> bool:
    """True when ``second`` is ``first`` (spaces aside) with one or more digits put in
    between its characters, none before its first or after its last, nothing else changed:
    '3/2/2021' → '3/12/2021', '4//2022' → '4/1/2022'."""
    a, b = first.replace(" ", ""), second.replace(" ", "")
    if not a or len(b) <= len(a) or a[0] != b[0] or a[-1] != b[-1]:
        return False
    i = 0
    for ch in b:
        if i < len(a) and ch == a[i]:
            i += 1
        elif not ch.isdigit():
            return False
    return i == len(a)


def gives_back(first: str, second: str) -> bool:
    """True when ``second`` is ``first`` with characters added (spaces aside, none lost), and
    at most one of ``first``'s changed: a reading that recovered characters the first one
    dropped ('14/06/195' → '19/06/1935': the crowded '9' had been read '4')."""
    if second.count(" ") < first.count(" "):
        return False  # words run together: no better a reading
    a, b = first.replace(" ", ""), second.replace(" ", "")
    added = len(b) - len(a)
    return added > 0 and Levenshtein.distance(a, b) <= added + REREAD_CHANGES


def _float_box(box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _corners(left: float, top: float, right: float, bottom: float) -> np.ndarray:
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float64)


def upright_to_input(shape: tuple[int, ...], turns: int, skew: float) -> np.ndarray:
    """The 2x3 map from trueocr's upright, deskewed image back to the input image: the
    inverse of its quarter turn (preprocess.geometry's) followed by its skew rotation."""
    from trueocr.page import VERTICAL

    h, w = shape[:2]
    # trueocr's turns: k quarter turns clockwise (np.rot90(k=-k)), or VERTICAL for one
    # counter-clockwise (np.rot90(k=1)): three clockwise.
    k_cw = 3 if turns == VERTICAL else turns % 4
    turn = quarter_turn_affine(k_cw, w, h)
    tw, th = (h, w) if k_cw % 2 else (w, h)
    # trueocr.page.rotate_page: cv2 rotation about the centre, same size (maps src → dst).
    rot = cv2.getRotationMatrix2D((tw / 2, th / 2), skew, 1.0) if skew else identity_affine()
    return invert_affine(compose_affine(rot, turn))
