"""The default Vietnamese engine: trueocr page geometry + AsterOCR line recognition."""

from __future__ import annotations

import itertools
import json
import os
import re
import threading
import time
import unicodedata
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np

from ocr_service.errors import EngineUnavailable
from ocr_service.ocr.base import (
    OcrEngine,
    clip_box,
    crop_line,
    ocr_threads,
    reading_order,
    to_grey,
)
from ocr_service.ocr.containers import OcrLine, OcrPage
from ocr_service.ocr.marks import (
    DITTO,
    ditto_in_box,
    find_marks,
    in_columns,
    mark_verdict,
    reads_as_writing,
)
from ocr_service.ocr.recogniser import load_recogniser, runtime_choice
from ocr_service.ocr.regions import line_regions
from ocr_service.ocr.table_lines import (
    CELL_GAP,
    Table,
    median_height,
    merge_in_cells,
    split_at_rules,
)

# trueocr detects lines on the page shrunk to a 1024 px long side (its det_long_side). A
# 300-dpi spread (7,000 px) then loses a factor of seven and small handwritten lines written
# close together run into one; detecting at DET_LONG_SIDE keeps them apart.
DET_LONG_SIDE = int(os.environ.get("SOHOA_VI_DET_SIDE", "1024")) // 32 * 32
REC_HEIGHT = 32  # AsterNet input height
# SOHOA_VI_INT8=1 / 0: the recogniser on onnxruntime with int8 matrix products (see
# quantise.py), or not; unset, recogniser.load_recogniser decides (int8 on a VNNI CPU when
# OpenVINO's bfloat16 is not used).
REC_INT8 = {"1": True, "0": False}.get(os.environ.get("SOHOA_VI_INT8", "").strip())
REC_MAX_WIDTH = 1024  # the model's positional encoding covers 256 steps = 1024 px
REC_CHUNK = int(os.environ.get("SOHOA_VI_CHUNK", "512"))  # piece width for long lines
REC_CHUNK_MAX = min(REC_MAX_WIDTH, int(REC_CHUNK * 1.25))  # lines up to this are read whole
# Recognition time grows with the input width. A line is narrowed (down to SQUEEZE_MIN of its
# natural width) as far as its vertical strokes stay MIN_STROKE px wide at height 32: printed
# text has 3-5 px stems, thin handwriting 1-2 px and is left alone. 0.75 kept synth CER level
# for 35 % less CPU; 0.6 lost hyphens in dates ("9-9-2017" read "99-2017").
SQUEEZE_MIN = float(os.environ.get("SOHOA_VI_SQUEEZE", "0.75"))
MIN_STROKE = float(os.environ.get("SOHOA_VI_MIN_STROKE", "2.4"))
# A line that reads as nothing narrowed is read again at its natural width (see
# _read_line_crop); SOHOA_VI_REREAD=0 turns that off.
REREAD_UNSQUEEZED = os.environ.get("SOHOA_VI_REREAD", "1") == "1"
CUT_WINDOW = 160  # px (at height 32) searched for a blank column before the piece limit
CROP_PAD_Y = 0.15  # margin around detector boxes, x line height (the box is tight on accents)
CROP_PAD_X = 0.3
# Two or more dots in a row, or a dot standing alone between words: leader dots, not text
# (dates and abbreviations use single dots inside a word: 19.10.2014, TP.).
LEADER_DOTS = re.compile(r"[.…·_]{2,}|(?<=\s)[.·](?=\s|$)|^[.·](?=\s)")
MIN_LINE_H = 6  # px: smaller detections are specks, not text
# A ditto mark in a table cell ("same as above") is reported as the line '"' with this
# confidence: the extractor copies the value above, and the clerk is asked to look.
DITTO_CONFIDENCE = 0.5
# A mark at least TALL_MARK x the line height (and TALL_MARK_ASPECT x its width) that reads
# as nothing is read again from its top MARK_TOP x the line height.
TALL_MARK = 1.2
TALL_MARK_ASPECT = 1.6  # ... and this x its width: a tick-box on a form is about square
TALL_MARK_MIN_W = 0.5  # x line height: a narrower one is a stroke (a page edge, a rule's end)
MARK_TOP = 0.8
# Pieces of one row closer than this x line height are one line (trueocr cuts handwriting at
# wide letter gaps and dashes: "Escoffier - Jean Joseph Marie"), unless a printed column rule
# stands between them. Blank runs wider than SPLIT_GAP are cut again below, so a printed
# label and the value written after it on a block form stay two boxes. (On a form that
# still has its leader dots, fields joined by dots stay joined: the pipeline removes the
# dots first, `sohoa bench` does not, and loses ~2 points of synth row recall to it.)
MERGE_GAP = float(os.environ.get("SOHOA_VI_MERGE_GAP", "1.5"))
# A detected line with a blank run wider than this x its height is two lines: trueocr joins
# a printed label and the value written after it, and the form needs each box on its own.
SPLIT_GAP = float(os.environ.get("SOHOA_VI_SPLIT_GAP", "1.2"))
MERGE_HEIGHT_RATIO = 1.6  # fragments of one line differ in height by less than this
# A box at least STACK_MIN_H x the median line height may hold two lines of writing; it is
# cut where the ink across it falls under STACK_VALLEY of both lines' densest rows.
STACK_MIN_H = float(os.environ.get("SOHOA_VI_STACK_MIN_H", "1.4"))
STACK_VALLEY = float(os.environ.get("SOHOA_VI_STACK_VALLEY", "0.15"))
# A lower box (from STRADDLE_MIN_H line heights) is cut the same way when writing runs past
# both its edges (over STRADDLE_INK of the rows just outside it is ink).
STRADDLE_MIN_H = 0.9
STRADDLE_INK = 0.03
# A part cut from a stacked box grows away from the cut by up to this x line height, to a
# row with less than STACK_BLANK of its width in ink.
STACK_GROW = float(os.environ.get("SOHOA_VI_STACK_GROW", "0.8"))
STACK_BLANK = 0.01
# A double spread is wider than SPREAD_ASPECT x its height; its gutter lies within
# GUTTER_ZONE of the middle. A line printed across it is broken there into two pieces each
# at least GUTTER_LINE_MIN x their height long, at most GUTTER_GAP x the height apart.
SPREAD_ASPECT = 1.2
GUTTER_ZONE = 0.06
GUTTER_LINE_MIN = 6.0
GUTTER_GAP = 5.0
RULE_SPAN = 0.85  # share of a gap's rows a printed column rule darkens
# The reported box: the detector's core box widened by these x its height, up and down (the
# accents) and at both ends. PAGE/ALTO ground truth draws looser boxes (0.25 / 0.3 match
# it better: +10 points of IoU-0.5 recall on the real scans) but the synth truth and the
# form extractor want tight ones (-4 to -14 points of synth row recall), so tight by default.
BOX_PAD_Y = float(os.environ.get("SOHOA_VI_BOX_PAD", "0.15"))
BOX_PAD_X = float(os.environ.get("SOHOA_VI_BOX_PAD_X", "0"))
# Recognition costs time in proportion to the crop's width: runs of columns with no letter
# in them (blank paper, leader dots, underlines) wider than COMPACT_GAP x the line height
# are cut down to COMPACT_KEEP x the height, which still reads as a word space. The ends
# keep COMPACT_END x the height of paper: with less, the recogniser drops the last letters
# of a handwritten line ("Thuận, huyện Hàm" read "Thuận huyện H"; ks-table-hand hand CER
# 5.2 -> 4.7 % going from 0.45 to 0.8).
COMPACT_GAP = float(os.environ.get("SOHOA_VI_COMPACT_GAP", "0.7"))
COMPACT_KEEP = float(os.environ.get("SOHOA_VI_COMPACT_KEEP", "0.45"))
COMPACT_END = float(os.environ.get("SOHOA_VI_COMPACT_END", "0.8"))
LETTER_SPAN = 0.3  # a column holds a letter when its ink spans this x the line height
LETTER_TAIL = 0.15  # x line height kept past the outer letter columns of a run


class _Models:
    """trueocr's PageEngine and AsterOCR's ONNX session, loaded once per process."""

    def __init__(self) -> None:
        try:
            import asterocr
            import trueocr
            from trueocr.page import PageEngine
        except ImportError as exc:
            raise EngineUnavailable(
                f"OCR engine 'vi' needs trueocr and asterocr: pip install trueocr==0.1.1 "
                f"asterocr==1.0.2 ({exc})"
            ) from exc
        threads = ocr_threads()
        model_dir = Path(trueocr.__file__).parent / "models"
        aster_model = Path(asterocr.__file__).parent / "assets" / "asternet.onnx"
        if not (model_dir / "det.onnx").is_file() or not aster_model.is_file():
            raise EngineUnavailable(
                "OCR engine 'vi': the model files of trueocr/asterocr are missing; "
                "reinstall: pip install --force-reinstall trueocr==0.1.1 asterocr==1.0.2"
            )
        self.page = PageEngine(model_dir, threads=threads)
        self.page.long_side = max(int(self.page.long_side), DET_LONG_SIDE)
        self.rec = load_recogniser(aster_model, threads, runtime_choice(), int8=REC_INT8)
        from asterocr.vocab import default_vocab

        self.chars: dict[int, str] = dict(default_vocab.idx2char)
        self.blank = int(default_vocab.blank_idx)
        self.versions = (
            f"trueocr {metadata.version('trueocr')} + asterocr {metadata.version('asterocr')}"
            + self.rec.label
        )
        self.det_name = json.loads((model_dir / "meta.json").read_text("utf-8")).get("name", "")
        # PageEngine.upright/detect use a shared thread pool and numpy scratch: serialise them.
        self.page_lock = threading.Lock()

    @property
    def int8(self) -> bool:
        return self.rec.precision == "int8"


@lru_cache(maxsize=1)
def _models() -> _Models:
    return _Models()


def _rec_tensor(grey: np.ndarray, squeeze: float = 1.0, step: int = 4) -> np.ndarray:
    """A grey crop as AsterNet input [1, 3, 32, W]: height 32, width ≤ 1024 rounded up to a
    multiple of `step` (the recogniser's: see recogniser.py) by stretching the crop a little.
    (Padding with paper instead cost the hand-written table cells 0.4 points of CER.)"""
    h, w = grey.shape
    nw = max(32, round(w * REC_HEIGHT * squeeze / max(1, h)))
    nw = min(REC_MAX_WIDTH, -(-nw // step) * step)
    small = cv2.resize(grey, (nw, REC_HEIGHT), interpolation=cv2.INTER_AREA)
    arr = (small.astype(np.float32) / 255.0 - 0.5) / 0.5
    return np.repeat(arr[None, None], 3, axis=1)


def _split_points(grey32: np.ndarray, chunk: int) -> list[int]:
    """Columns that cut a height-32 line into pieces ≤ chunk px, each at the emptiest column
    of the piece's last CUT_WINDOW px (a gap between words when there is one)."""
    ink = (255 - grey32.astype(np.int32)).sum(axis=0)
    w = grey32.shape[1]
    cuts: list[int] = []
    start = 0
    while w - start > chunk:
        lo, hi = start + chunk - CUT_WINDOW, start + chunk
        cut = lo + int(np.argmin(ink[lo:hi]))
        cuts.append(cut)
        start = cut
    return cuts


def compact_line(grey: np.ndarray, pad_y: float = CROP_PAD_Y) -> np.ndarray:
    """The line crop with its letter-free column runs (blank, leader dots, underline) wider
    than COMPACT_GAP x the line height shortened to COMPACT_KEEP x the height, and its
    letter-free ends trimmed to that margin. Unchanged when no letter column is found."""
    return np.ascontiguousarray(np.hstack(line_pieces(grey, pad_y)))


def line_pieces(grey: np.ndarray, pad_y: float = CROP_PAD_Y) -> list[np.ndarray]:
    """compact_line's parts, in order: paper margins and the runs of letters between them
    (a printed label and the value written after it are two runs)."""
    h, w = grey.shape
    core = h / (1 + 2 * pad_y)  # the detector's line height inside the padded crop
    if COMPACT_GAP <= 0 or h < MIN_LINE_H or w < 2 * core:
        return [grey]
    paper = float(np.percentile(grey, 90))
    ink = grey < paper - 60
    rows = np.arange(h)[:, None]
    top = np.where(ink, rows, h).min(axis=0)
    bottom = np.where(ink, rows, -1).max(axis=0)
    letter = (bottom - top + 1) >= LETTER_SPAN * core
    cols = np.flatnonzero(letter)
    if not len(cols):
        return [grey]
    keep = max(1, round(COMPACT_KEEP * core))
    max_gap = COMPACT_GAP * core
    # Letter columns and the short gaps between them stay; a long gap (or an end) becomes
    # `keep` columns of plain paper, so no leader dot is left in it to be read.
    # Only a gap with no ink across the middle of the line goes: leader dots sit on the
    # baseline and underlines below it, but a dash ("Độc lập - Tự do") or a cursive joining
    # stroke crosses the middle band and is text.
    # (The gap's ends are left out of that test: the round edge of a letter reaches there.)
    middle = ink[round(0.4 * h) : round(0.6 * h) + 1]
    tail = max(1, round(LETTER_TAIL * core))
    gaps = np.diff(cols)
    long_gaps = [
        k
        for k in np.flatnonzero(gaps > max_gap)
        if not middle[:, cols[k] + 1 + tail : cols[k + 1] - tail].any()
    ]
    starts = [int(cols[0]), *(int(cols[k + 1]) for k in long_gaps)]
    ends = [*(int(cols[k]) for k in long_gaps), int(cols[-1])]
    margin = np.full((h, keep), int(paper), np.uint8)
    end = np.full((h, max(1, round(COMPACT_END * core))), int(paper), np.uint8)
    parts: list[np.ndarray] = [end]
    for a, b in zip(starts, ends, strict=True):
        # A few columns either side keep the low strokes of end letters (the arm of "r").
        parts += [grey[:, max(0, a - tail) : min(w, b + 1 + tail)], margin]
    parts[-1] = end
    if sum(p.shape[1] for p in parts) >= w:
        return [grey]
    return parts


def stroke_width(grey: np.ndarray) -> float:
    """Mean width, in px at the recognition height, of the horizontal ink runs across the
    middle half of a line crop: the thickness of its vertical strokes."""
    h, w = grey.shape
    nw = max(8, round(w * REC_HEIGHT / max(1, h)))
    small = cv2.resize(grey, (nw, REC_HEIGHT), interpolation=cv2.INTER_AREA)
    ink = small[REC_HEIGHT // 4 : 3 * REC_HEIGHT // 4] < float(np.percentile(small, 90)) - 60
    runs = int((ink[:, 1:] & ~ink[:, :-1]).sum() + ink[:, 0].sum())
    return float(ink.sum()) / runs if runs else 0.0


def line_squeeze(grey: np.ndarray) -> float:
    """The width factor (SQUEEZE_MIN..1) that keeps the line's strokes ≥ MIN_STROKE px."""
    if SQUEEZE_MIN >= 1.0:
        return 1.0
    sw = stroke_width(grey)
    if sw <= 0:
        return 1.0
    return float(np.clip(MIN_STROKE / sw, SQUEEZE_MIN, 1.0))


def _is_gap(grey32: np.ndarray, x: int) -> bool:
    """True when the columns around x are blank for at least a narrow space's width."""
    ink = (grey32 < 128).sum(axis=0)
    a, b = max(0, x - 3), min(grey32.shape[1], x + 3)
    return bool(ink[a:b].sum() == 0)


class ViEngine(OcrEngine):
    """trueocr turns, deskews and finds lines; AsterOCR reads each line (full Vietnamese)."""

    name = "vi"

    def __init__(self) -> None:
        self.models = _models()

    def version(self) -> str:
        return self.models.versions

    # --- recognition -------------------------------------------------------------------
    def _decode(self, log_probs: np.ndarray) -> tuple[str, list[float]]:
        """Greedy CTC: the text and the peak probability of every emitted character."""
        lp = log_probs[:, 0, :]
        best = lp.argmax(axis=1)
        peak = np.exp(lp[np.arange(len(best)), best])
        chars: list[str] = []
        probs: list[float] = []
        prev = -1
        for i, idx in enumerate(best.tolist()):
            if idx != prev and idx != self.models.blank:
                chars.append(self.models.chars.get(idx, ""))
                probs.append(float(peak[i]))
            elif idx == prev and idx != self.models.blank and probs:
                # A character held over several steps is as sure as its best step.
                probs[-1] = max(probs[-1], float(peak[i]))
            prev = idx
        return "".join(chars), probs

    def _recognise(self, grey: np.ndarray, squeeze: float = 1.0) -> tuple[str, list[float]]:
        h, w = grey.shape
        if h < 2 or w < 2:
            return "", []
        natural = w * REC_HEIGHT * squeeze / h
        if natural <= REC_CHUNK_MAX:
            out = self.models.rec.run(_rec_tensor(grey, squeeze, self.models.rec.width_step))
            return self._decode(out)
        # Longer lines are cut at blank columns into pieces of ≤ REC_CHUNK px, read one by
        # one and joined: the model has 1024 px at most, and its attention costs grow faster
        # than the width (2 x 512 px is about half the time of 1 x 1024 px).
        nw = round(natural)
        grey32 = cv2.resize(grey, (nw, REC_HEIGHT), interpolation=cv2.INTER_AREA)
        bounds = [0, *_split_points(grey32, REC_CHUNK), nw]
        text, probs = "", []
        for a, b in itertools.pairwise(bounds):
            out = self.models.rec.run(_rec_tensor(grey32[:, a:b], 1.0, self.models.rec.width_step))
            piece_text, piece_probs = self._decode(out)
            if text and piece_text and _is_gap(grey32, a):
                text += " "  # the cut fell in a gap between words
            text += piece_text
            probs += piece_probs
        return text, probs

    def _read_grey(self, grey: np.ndarray, squeeze: float = 1.0) -> tuple[str, float]:
        text, conf, _ = self._read_scored(grey, squeeze)
        return text, conf

    def _read_scored(self, grey: np.ndarray, squeeze: float = 1.0) -> tuple[str, float, float]:
        """Text, confidence and the least sure character's probability (1.0 for no text)."""
        raw, probs = self._recognise(grey, squeeze)
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw)).strip()
        # Leader dots of a printed form ("Họ, chữ đệm, tên: ........") are not text.
        text = " ".join(LEADER_DOTS.sub(" ", text).split())
        if not text or not probs or not any(ch.isalnum() for ch in text):
            return "", 0.0, 1.0
        p = np.asarray(probs)
        # Mean peak probability, pulled down by the least sure character: a single doubtful
        # letter in a name is what a clerk must look at.
        return text, float(np.clip(0.5 * p.mean() + 0.5 * p.min(), 0.0, 1.0)), float(p.min())

    def _read_line_crop(self, crop: np.ndarray) -> tuple[str, float]:
        """A page line's crop read narrowed as far as its strokes allow (line_squeeze), and
        read again at its natural width when that gives nothing: narrowed, a short word in
        a looped hand ran together ("dud." on FRAN_0187_50115_L read as "?@")."""
        squeeze = line_squeeze(crop)
        text, conf = self._read_grey(crop, squeeze)
        if not text and squeeze < 1.0 and REREAD_UNSQUEEZED:
            text, conf = self._read_grey(crop)
        return text, conf

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        return self._read_grey(to_grey(crop))

    def read_mark(
        self, upright: np.ndarray, box: tuple[int, int, int, int], line_h: float
    ) -> tuple[str, float, bool]:
        """The reading of an ink cluster no line covered. A short word with a long tail
        (a clerk's initials "ay" with a looped y, 2-3 lines high) reads as a stray sign
        whole: when a cluster TALL_MARK line heights high, much taller than wide but wider
        than a stroke, reads as nothing, its top MARK_TOP line heights, where the letters
        sit, are read instead. The flag is True when the reading is of the whole cluster."""
        text, conf = self._read_grey(crop_line(upright, box, CROP_PAD_Y, CROP_PAD_X))
        h, w = box[3] - box[1], box[2] - box[0]
        tall = h >= TALL_MARK * line_h and h >= TALL_MARK_ASPECT * w
        if not text and tall and w >= TALL_MARK_MIN_W * line_h:
            top = (box[0], box[1], box[2], box[1] + round(MARK_TOP * line_h))
            text, conf = self._read_grey(crop_line(upright, top, CROP_PAD_Y, CROP_PAD_X))
            return text, conf, False
        return text, conf, True

    # --- page --------------------------------------------------------------------------
    def read_page(self, image: np.ndarray, *, assume_upright: bool = False) -> OcrPage:
        """All lines of the page. assume_upright: the caller has already turned and deskewed
        the image (the pipeline's preprocess_page), so trueocr's own pass is skipped."""
        started = time.perf_counter()
        grey = to_grey(image)
        height, width = grey.shape
        with self.models.page_lock:
            if assume_upright:
                upright, turns, skew = grey, 0, 0.0
            else:
                upright, turns, skew = self.models.page.upright(grey)
            detected = self.models.page.detect(upright)[:, :4]
        table = Table.of_page(upright, detected)
        line_h = median_height(detected)
        boxes = page_lines(upright, detected, table)
        to_input = _inverse_transform(grey.shape, turns, skew)
        uh, uw = upright.shape
        read: list[tuple[str, float, tuple[int, int, int, int]]] = []
        dittos: set[int] = set()
        for box in boxes:
            ub = clip_box((box[0], box[1], box[2], box[3]), uw, uh)
            if ub[3] - ub[1] < MIN_LINE_H or ub[2] - ub[0] < MIN_LINE_H:
                continue
            crop = compact_line(crop_line(upright, ub, CROP_PAD_Y, CROP_PAD_X))
            text, conf = self._read_line_crop(crop)
            if (
                table.cell_of(box) is not None
                and ditto_in_box(upright, box, line_h)
                and not reads_as_writing(text, conf)
            ):
                dittos.add(len(read))
                read.append((DITTO, DITTO_CONFIDENCE, ub))
                continue
            if text:
                read.append((text, conf, ub))
        unsure: list[tuple[str, float, tuple[int, int, int, int]]] = []
        for mark in find_marks(upright, boxes, table, line_h):
            ub = clip_box(mark.box, uw, uh)
            if mark.ditto:
                dittos.add(len(read))
                read.append((DITTO, DITTO_CONFIDENCE, ub))
                continue
            text, conf, whole = self.read_mark(upright, ub, line_h)
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
            [ub for _, _, ub in read], table, line_h, (uw, uh), dittos=frozenset(dittos)
        )
        lines: list[OcrLine] = []
        upright_boxes: list[tuple[int, int, int, int]] = []
        for (text, conf, ub), region in zip(read, regions, strict=True):
            # The reported box takes in the accents above and below the detector's core box.
            py, px = BOX_PAD_Y * (ub[3] - ub[1]), BOX_PAD_X * (ub[3] - ub[1])
            mapped = _apply(to_input, _corners(ub[0] - px, ub[1] - py, ub[2] + px, ub[3] + py))
            bbox = clip_box(
                (mapped[:, 0].min(), mapped[:, 1].min(), mapped[:, 0].max(), mapped[:, 1].max()),
                width,
                height,
            )
            # The polygon is the line's region (see regions.py): what PAGE XML records.
            outline = _apply(to_input, _corners(*region))
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
        )


def _float_box(box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def _corners(left: float, top: float, right: float, bottom: float) -> np.ndarray:
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float64)


def page_lines(
    upright: np.ndarray, detected: np.ndarray, table: Table | None = None
) -> list[list[float]]:
    """The detector's boxes made into text lines: cut at table rules, fragments of a row
    joined (inside a ruled cell up to CELL_GAP), label and value cut apart elsewhere."""
    if table is None:
        table = Table.of_page(upright, detected)
    detected = split_at_rules(upright, detected, table)
    detected = split_stacked_lines(upright, detected)
    detected = merge_row_fragments(detected, MERGE_GAP, upright)
    detected = merge_in_cells(detected, table)
    lines = [
        trim_checkbox(upright, p)
        for b in detected
        for p in split_at_gaps(
            upright, b, CELL_GAP if table.cell_of(list(b)) is not None else SPLIT_GAP
        )
    ]
    return join_across_gutter(lines, upright.shape[1], upright.shape[0])


def split_stacked_lines(grey: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Boxes [N, 4] with each box that holds two lines of writing cut between them.

    The detector boxes a value written on two lines of a narrow table cell ("Bệnh viện đa
    khoa / tỉnh Tuyên Quang") as one line about twice as high, which the recogniser cannot
    read. Such a box (STACK_MIN_H x the median line height or more) is cut at the emptiest
    row of its middle when that row holds under STACK_VALLEY of the ink of both halves'
    densest rows: one line of writing is densest across its middle, two stacked lines have
    their gap there."""
    if len(boxes) < 3:
        return boxes
    line_h = float(np.median(boxes[:, 3] - boxes[:, 1]))
    out: list[list[float]] = []
    for b in boxes:
        x0, y0, x1, y1 = (float(v) for v in b[:4])
        ix0, iy0, ix1, iy1 = clip_box((x0, y0, x1, y1), grey.shape[1], grey.shape[0])
        cut = None
        tall = y1 - y0 >= STACK_MIN_H * line_h
        if not tall and y1 - y0 >= STRADDLE_MIN_H * line_h:
            tall = _straddles(grey, (ix0, iy0, ix1, iy1), line_h)
        if tall and x1 - x0 >= 1.2 * line_h and iy1 - iy0 >= 8:
            strip = grey[iy0:iy1, ix0:ix1]
            profile = (strip < float(np.percentile(strip, 90)) - 60).mean(axis=1)
            k = max(1, round(0.1 * line_h))
            profile = np.convolve(profile, np.ones(k) / k, mode="same")
            lo, hi = round(0.4 * line_h), len(profile) - round(0.4 * line_h)
            if hi - lo >= 2:
                row = lo + int(np.argmin(profile[lo:hi]))
                top, bottom = float(profile[:row].max()), float(profile[row:].max())
                if profile[row] <= STACK_VALLEY * min(top, bottom):
                    cut = float(iy0 + row)
        if cut is None:
            out.append([x0, y0, x1, y1])
        else:
            out += [
                fit_part(grey, [x0, y0, x1, cut], line_h, grow="up"),
                fit_part(grey, [x0, cut, x1, y1], line_h, grow="down"),
            ]
    return np.asarray(out, np.float32).reshape(-1, 4)


def _straddles(grey: np.ndarray, box: tuple[int, int, int, int], line_h: float) -> bool:
    """True when writing runs on past both the top and the bottom of the box: the detector
    boxed the lower half of one line of a cell with the upper half of the next."""
    x0, y0, x1, y1 = box
    m = max(2, round(0.1 * line_h))
    if y0 - m < 0 or y1 + m > grey.shape[0]:
        return False
    window = grey[y0 - m : y1 + m, x0:x1]
    ink = window < float(np.percentile(window, 90)) - 60
    return bool(ink[:m].mean() >= STRADDLE_INK and ink[-m:].mean() >= STRADDLE_INK)


def fit_part(grey: np.ndarray, box: list[float], line_h: float, grow: str) -> list[float]:
    """One of the two lines cut out of a stacked box, fitted to its own writing.

    The detector's box around two lines of a cell often holds all of one and half of the
    other ("Nguyễn Bá" over the top half of "Hiếu"): the cut part is grown away from the
    cut (``grow`` "up" or "down", by STACK_GROW line heights at most) until a blank row, and
    narrowed to the columns its middle band has ink in (the line above is often longer)."""
    x0, y0, x1, y1 = box
    h_img, w_img = grey.shape
    reach = round(STACK_GROW * line_h)
    ix0, ix1 = max(0, int(x0)), min(w_img, int(np.ceil(x1)))
    iy0, iy1 = max(0, int(y0)), min(h_img, int(np.ceil(y1)))
    if ix1 - ix0 < 2 or iy1 - iy0 < 2:
        return box
    wy0 = max(0, iy0 - reach) if grow == "up" else iy0
    wy1 = min(h_img, iy1 + reach) if grow == "down" else iy1
    window = grey[wy0:wy1, ix0:ix1]
    ink = window < float(np.percentile(window, 90)) - 60
    rows = ink.mean(axis=1)
    # A ruled line across the cell is not writing: such rows count as blank.
    blank = (rows <= STACK_BLANK) | (rows >= 0.6)
    if grow == "down":
        k = iy1 - wy0
        while k < len(rows) and not blank[k]:
            k += 1
        y1 = float(wy0 + k)
    else:
        k = iy0 - wy0 - 1
        while k >= 0 and not blank[k]:
            k -= 1
        y0 = float(wy0 + k + 1)
    ph = y1 - y0
    band = ink[round(y0 - wy0 + 0.3 * ph) : max(round(y1 - wy0 - 0.3 * ph), 1)]
    cols = np.flatnonzero(band.any(axis=0)) if band.size else np.empty(0, int)
    if len(cols):
        pad = 0.3 * line_h
        x0, x1 = max(x0, ix0 + cols[0] - pad), min(x1, ix0 + cols[-1] + 1 + pad)
    return [float(x0), float(y0), float(x1), float(y1)]


def join_across_gutter(boxes: list[list[float]], width: int, height: int) -> list[list[float]]:
    """On a double spread (landscape, two facing pages), a long line broken only by the
    gutter (a running title printed across both pages) is one line again: two long pieces
    on one row, of one height, whose gap holds the middle of the image and nothing else."""
    if width < SPREAD_ASPECT * height or len(boxes) < 2:
        return boxes
    mid_lo, mid_hi = (0.5 - GUTTER_ZONE) * width, (0.5 + GUTTER_ZONE) * width
    out = [list(b) for b in boxes]
    joined: set[int] = set()
    for i, a in enumerate(out):
        for j, b in enumerate(out):
            if i == j or i in joined or j in joined or a[2] > b[0]:
                continue
            h = min(a[3] - a[1], b[3] - b[1])
            gap = b[0] - a[2]
            if (
                h > 0
                and max(a[3] - a[1], b[3] - b[1]) <= MERGE_HEIGHT_RATIO * h
                and min(a[3], b[3]) - max(a[1], b[1]) >= 0.6 * h
                and min(a[2] - a[0], b[2] - b[0]) >= GUTTER_LINE_MIN * h
                and gap <= GUTTER_GAP * h
                and a[2] <= mid_hi
                and b[0] >= mid_lo
                and not any(
                    k not in (i, j)
                    and min(o[2], b[0]) > max(o[0], a[2])
                    and min(o[3], a[3], b[3]) - max(o[1], a[1], b[1]) > 0.5 * h
                    for k, o in enumerate(out)
                )
            ):
                a[:] = [a[0], min(a[1], b[1]), b[2], max(a[3], b[3])]
                joined.add(j)
                break
    return [b for k, b in enumerate(out) if k not in joined]


def split_at_gaps(
    grey: np.ndarray, box: np.ndarray | list[float], gap_factor: float
) -> list[list[float]]:
    """The box cut at every blank column run wider than gap_factor x its height."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    h = y1 - y0
    ix0, iy0, ix1, iy1 = clip_box((x0, y0, x1, y1), grey.shape[1], grey.shape[0])
    if gap_factor <= 0 or h <= 0 or ix1 - ix0 < 3 * h or iy1 <= iy0:
        return [[x0, y0, x1, y1]]
    strip = grey[iy0:iy1, ix0:ix1]
    # Ink: clearly darker than the strip's paper (its bright percentile), so grey paper is blank.
    paper = float(np.percentile(strip, 90))
    ink: list[bool] = np.asarray((strip < paper - 60).any(axis=0), dtype=bool).tolist()
    min_gap = gap_factor * h
    pieces: list[list[float]] = []
    start: int | None = None
    blank_from: int | None = None
    for x, has_ink in enumerate(ink):
        if has_ink:
            if start is None:
                start = x
            elif blank_from is not None and x - blank_from >= min_gap:
                pieces.append([ix0 + start, y0, ix0 + blank_from, y1])
                start = x
            blank_from = None
        elif start is not None and blank_from is None:
            blank_from = x
    if start is None:
        return [[x0, y0, x1, y1]]
    end = blank_from if blank_from is not None else len(ink)
    pieces.append([ix0 + start, y0, ix0 + end, y1])
    if len(pieces) == 1:
        return [[x0, y0, x1, y1]]
    # Keep the detector's small margin at the outer ends.
    pieces[0][0], pieces[-1][2] = x0, x1
    return pieces


def trim_checkbox(grey: np.ndarray, box: list[float]) -> list[float]:
    """The box without a printed check box at its start ("☐ Đúng hạn"), which AsterOCR
    would read as a letter ("Ở"). A check box: a hollow square about one line high."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    ix0, iy0, ix1, iy1 = clip_box((x0, y0, min(x1, x0 + 2.5 * h), y1), grey.shape[1], grey.shape[0])
    if h < MIN_LINE_H or ix1 - ix0 < h or iy1 <= iy0:
        return box
    strip = grey[iy0:iy1, ix0:ix1]
    ink = (strip < float(np.percentile(strip, 90)) - 60).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n < 2:
        return box
    first = min(range(1, n), key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    bx, by, bw, bh = (int(v) for v in stats[first][:4])
    if not (0.5 * h <= bh <= 1.3 * h and 0.75 <= bw / max(1, bh) <= 1.33):
        return box
    # Straight sides: each edge of the component's box is mostly ink (a letter "O" or "Q"
    # touches its box at a few points only). Two pixels in, to allow a slightly tilted print.
    comp = ink[by : by + bh, bx : bx + bw]
    edges = [
        comp[:2].max(axis=0),
        comp[-2:].max(axis=0),
        comp[:, :2].max(axis=1),
        comp[:, -2:].max(axis=1),
    ]
    if min(float(e.mean()) for e in edges) >= 0.8:
        # Past the box by more than the crop margin (CROP_PAD_X), so no edge of it is read.
        return [ix0 + bx + bw + (CROP_PAD_X + 0.05) * h, y0, x1, y1]
    return box


def merge_row_fragments(
    boxes: np.ndarray, gap_factor: float, grey: np.ndarray | None = None
) -> np.ndarray:
    """Boxes [N, 4] with pieces of one row joined when the gap is under gap_factor x height
    and, given the page image, no printed column rule stands in the gap."""
    if len(boxes) < 2 or gap_factor <= 0:
        return boxes
    items = sorted((list(map(float, b)) for b in boxes), key=lambda b: b[0])
    merged: list[list[float]] = []
    for b in items:
        for m in merged:
            h = min(b[3] - b[1], m[3] - m[1])
            overlap = min(b[3], m[3]) - max(b[1], m[1])
            gap = b[0] - m[2]
            # One line keeps its height: a signature beside a printed line is not part of it.
            if (
                h > 0
                and max(b[3] - b[1], m[3] - m[1]) <= MERGE_HEIGHT_RATIO * h
                and overlap >= 0.6 * h
                and gap < gap_factor * h
                and (grey is None or not has_rule(grey, m, b))
            ):
                m[:] = [min(m[0], b[0]), min(m[1], b[1]), max(m[2], b[2]), max(m[3], b[3])]
                break
        else:
            merged.append(b)
    return np.asarray(merged, np.float32).reshape(-1, 4)


def has_rule(grey: np.ndarray, left: list[float], right: list[float]) -> bool:
    """True when a vertical rule (a column dark over RULE_SPAN of the rows' joint height)
    stands between the end of ``left`` and the start of ``right``: two table cells."""
    y0, y1 = min(left[1], right[1]), max(left[3], right[3])
    x0, x1 = min(left[2], right[0]), max(left[2], right[0])
    pad = 0.3 * (y1 - y0)  # the gap, widened a little: a rule may touch a box's end
    ix0, iy0, ix1, iy1 = clip_box((x0 - pad, y0, x1 + pad, y1), grey.shape[1], grey.shape[0])
    if ix1 - ix0 < 1 or iy1 - iy0 < 2:
        return False
    strip = grey[iy0:iy1, ix0:ix1]
    paper = float(np.percentile(grey[iy0:iy1, max(0, ix0 - 50) : ix1 + 50], 90))
    dark = strip < paper - 40
    return bool((dark.mean(axis=0) >= RULE_SPAN).any())


def _turn_matrix(turns: int, w: int, h: int) -> np.ndarray:
    """3×3 map from input pixels to pixels after trueocr's quarter turn (np.rot90)."""
    from trueocr.page import VERTICAL

    if turns == VERTICAL or turns == 3:  # np.rot90(k=1): counter-clockwise
        return np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1]], np.float64)
    if turns == 1:  # np.rot90(k=-1): clockwise
        return np.array([[0, -1, h], [1, 0, 0], [0, 0, 1]], np.float64)
    if turns == 2:
        return np.array([[-1, 0, w], [0, -1, h], [0, 0, 1]], np.float64)
    return np.eye(3)


def _inverse_transform(shape: tuple[int, ...], turns: int, skew: float) -> np.ndarray:
    """3×3 map from trueocr's upright, deskewed image back to the input image."""
    h, w = shape[:2]
    turn = _turn_matrix(turns, w, h)
    th, tw = (w, h) if turns in (1, 3) or turns > 3 else (h, w)
    rot = np.eye(3)
    if skew:
        # trueocr.page.rotate_page: cv2 rotation about the centre, same size (M maps src → dst).
        rot[:2] = cv2.getRotationMatrix2D((tw / 2, th / 2), skew, 1.0)
    return np.linalg.inv(rot @ turn)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.hstack([points, np.ones((len(points), 1))])
    return (pts @ matrix.T)[:, :2]
