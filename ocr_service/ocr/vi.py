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

REC_HEIGHT = 32  # AsterNet input height
REC_MAX_WIDTH = 1024  # the model's positional encoding covers 256 steps = 1024 px
REC_CHUNK = int(os.environ.get("SOHOA_VI_CHUNK", "512"))  # piece width for long lines
REC_CHUNK_MAX = min(REC_MAX_WIDTH, int(REC_CHUNK * 1.25))  # lines up to this are read whole
CUT_WINDOW = 160  # px (at height 32) searched for a blank column before the piece limit
CROP_PAD_Y = 0.15  # margin around detector boxes, x line height (the box is tight on accents)
CROP_PAD_X = 0.3
# Two or more dots in a row, or a dot standing alone between words: leader dots, not text
# (dates and abbreviations use single dots inside a word: 19.10.2014, TP.).
LEADER_DOTS = re.compile(r"[.…·_]{2,}|(?<=\s)[.·](?=\s|$)|^[.·](?=\s)")
MIN_LINE_H = 6  # px: smaller detections are specks, not text
# Pieces of one row closer than this x line height can be read as one line. Off by default:
# on the Lyon handwriting 0.8 gained a few points of line recall, but it joins printed labels
# with their values on block forms.
MERGE_GAP = float(os.environ.get("SOHOA_VI_MERGE_GAP", "0"))
# A detected line with a blank run wider than this x its height is two lines: trueocr joins
# a printed label and the value written after it, and the form needs each box on its own.
SPLIT_GAP = float(os.environ.get("SOHOA_VI_SPLIT_GAP", "1.2"))
BOX_PAD_Y = float(os.environ.get("SOHOA_VI_BOX_PAD", "0.15"))


class _Models:
    """trueocr's PageEngine and AsterOCR's ONNX session, loaded once per process."""

    def __init__(self) -> None:
        try:
            import asterocr
            import onnxruntime as ort
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
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.rec = ort.InferenceSession(
            str(aster_model), options, providers=["CPUExecutionProvider"]
        )
        self.rec_input = self.rec.get_inputs()[0].name
        from asterocr.vocab import default_vocab

        self.chars: dict[int, str] = dict(default_vocab.idx2char)
        self.blank = int(default_vocab.blank_idx)
        self.versions = (
            f"trueocr {metadata.version('trueocr')} + asterocr {metadata.version('asterocr')}"
        )
        self.det_name = json.loads((model_dir / "meta.json").read_text("utf-8")).get("name", "")
        # PageEngine.upright/detect use a shared thread pool and numpy scratch: serialise them.
        self.page_lock = threading.Lock()


@lru_cache(maxsize=1)
def _models() -> _Models:
    return _Models()


def _rec_tensor(grey: np.ndarray) -> np.ndarray:
    """A grey crop as AsterNet input [1, 3, 32, W]: height 32, width a multiple of 4, ≤ 1024."""
    h, w = grey.shape
    nw = max(32, round(w * REC_HEIGHT / max(1, h)))
    nw = min(REC_MAX_WIDTH, (nw + 3) // 4 * 4)
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

    def _recognise(self, grey: np.ndarray) -> tuple[str, list[float]]:
        h, w = grey.shape
        if h < 2 or w < 2:
            return "", []
        natural = w * REC_HEIGHT / h
        if natural <= REC_CHUNK_MAX:
            out = self.models.rec.run(None, {self.models.rec_input: _rec_tensor(grey)})[0]
            return self._decode(out)
        # Longer lines are cut at blank columns into pieces of ≤ REC_CHUNK px, read one by
        # one and joined: the model has 1024 px at most, and its attention costs grow faster
        # than the width (2 x 512 px is about half the time of 1 x 1024 px).
        nw = round(natural)
        grey32 = cv2.resize(grey, (nw, REC_HEIGHT), interpolation=cv2.INTER_AREA)
        bounds = [0, *_split_points(grey32, REC_CHUNK), nw]
        text, probs = "", []
        for a, b in itertools.pairwise(bounds):
            out = self.models.rec.run(None, {self.models.rec_input: _rec_tensor(grey32[:, a:b])})
            piece_text, piece_probs = self._decode(out[0])
            if text and piece_text and _is_gap(grey32, a):
                text += " "  # the cut fell in a gap between words
            text += piece_text
            probs += piece_probs
        return text, probs

    def _read_grey(self, grey: np.ndarray) -> tuple[str, float]:
        raw, probs = self._recognise(grey)
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw)).strip()
        # Leader dots of a printed form ("Họ, chữ đệm, tên: ........") are not text.
        text = " ".join(LEADER_DOTS.sub(" ", text).split())
        if not any(ch.isalnum() for ch in text):
            return "", 0.0
        if not text or not probs:
            return "", 0.0
        p = np.asarray(probs)
        # Mean peak probability, pulled down by the least sure character: a single doubtful
        # letter in a name is what a clerk must look at.
        return text, float(np.clip(0.5 * p.mean() + 0.5 * p.min(), 0.0, 1.0))

    def read_line(self, crop: np.ndarray) -> tuple[str, float]:
        return self._read_grey(to_grey(crop))

    # --- page --------------------------------------------------------------------------
    def read_page(self, image: np.ndarray) -> OcrPage:
        started = time.perf_counter()
        grey = to_grey(image)
        height, width = grey.shape
        with self.models.page_lock:
            upright, turns, skew = self.models.page.upright(grey)
            detected = merge_row_fragments(self.models.page.detect(upright)[:, :4], MERGE_GAP)
        boxes = [
            trim_checkbox(upright, p)
            for b in detected
            for p in split_at_gaps(upright, b, SPLIT_GAP)
        ]
        to_input = _inverse_transform(grey.shape, turns, skew)
        uh, uw = upright.shape
        lines: list[OcrLine] = []
        upright_boxes: list[tuple[int, int, int, int]] = []
        for box in boxes:
            ub = clip_box((box[0], box[1], box[2], box[3]), uw, uh)
            if ub[3] - ub[1] < MIN_LINE_H or ub[2] - ub[0] < MIN_LINE_H:
                continue
            text, conf = self._read_grey(crop_line(upright, ub, CROP_PAD_Y, CROP_PAD_X))
            if not text:
                continue
            # The reported box takes in the accents above and below the detector's core box.
            py = BOX_PAD_Y * (ub[3] - ub[1])
            top, bottom = ub[1] - py, ub[3] + py
            corners = np.array(
                [[ub[0], top], [ub[2], top], [ub[2], bottom], [ub[0], bottom]], np.float64
            )
            mapped = _apply(to_input, corners)
            bbox = clip_box(
                (mapped[:, 0].min(), mapped[:, 1].min(), mapped[:, 0].max(), mapped[:, 1].max()),
                width,
                height,
            )
            polygon = [
                (int(np.clip(round(x), 0, width)), int(np.clip(round(y), 0, height)))
                for x, y in mapped
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


def merge_row_fragments(boxes: np.ndarray, gap_factor: float) -> np.ndarray:
    """Boxes [N, 4] with pieces of one row joined when the gap is under gap_factor x height."""
    if len(boxes) < 2 or gap_factor <= 0:
        return boxes
    items = sorted((list(map(float, b)) for b in boxes), key=lambda b: b[0])
    merged: list[list[float]] = []
    for b in items:
        for m in merged:
            h = min(b[3] - b[1], m[3] - m[1])
            overlap = min(b[3], m[3]) - max(b[1], m[1])
            gap = b[0] - m[2]
            if h > 0 and overlap >= 0.6 * h and gap < gap_factor * h:
                m[:] = [min(m[0], b[0]), min(m[1], b[1]), max(m[2], b[2]), max(m[3], b[3])]
                break
        else:
            merged.append(b)
    return np.asarray(merged, np.float32).reshape(-1, 4)


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
