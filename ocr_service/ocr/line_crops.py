"""A text line's crop made ready for the recogniser: letter-free runs cut down (less width,
less time) and the width factor its strokes allow. Image operations only, no model.

Every heuristic is a named keyword parameter whose default is the tuned value, with its
reason beside it; SOHOA_VI_SQUEEZE, _MIN_STROKE and _COMPACT_* (config.ViSettings) reach
them from the engine (ocr/vi.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr_service.ocr.line_boxes import CROP_PAD_Y, MIN_LINE_H
from ocr_service.ocr.recogniser import REC_HEIGHT

# Recognition time grows with the input width. A line is narrowed (down to SQUEEZE_MIN of its
# natural width) as far as its vertical strokes stay MIN_STROKE px wide at height 32: printed
# text has 3-5 px stems, thin handwriting 1-2 px and is left alone. 0.75 kept synth CER level
# for 35 % less CPU; 0.6 lost hyphens in dates ("9-9-2017" read "99-2017").
SQUEEZE_MIN = 0.75  # SOHOA_VI_SQUEEZE
MIN_STROKE = 2.4  # SOHOA_VI_MIN_STROKE
# Recognition costs time in proportion to the crop's width: runs of columns with no letter
# in them (blank paper, leader dots, underlines) wider than COMPACT_GAP x the line height
# are cut down to COMPACT_KEEP x the height, which still reads as a word space. The ends
# keep COMPACT_END x the height of paper: with less, the recogniser drops the last letters
# of a handwritten line ("Thuận, huyện Hàm" read "Thuận huyện H"; ks-table-hand hand CER
# 5.2 -> 4.7 % going from 0.45 to 0.8).
COMPACT_GAP = 0.7  # SOHOA_VI_COMPACT_GAP
COMPACT_KEEP = 0.45  # SOHOA_VI_COMPACT_KEEP
COMPACT_END = 0.8  # SOHOA_VI_COMPACT_END
LETTER_SPAN = 0.3  # a column holds a letter when its ink spans this x the line height
LETTER_TAIL = 0.15  # x line height kept past the outer letter columns of a run
CUT_WINDOW = 160  # px (at height 32) searched for a blank column before the piece limit


def compact_line(
    grey: np.ndarray,
    pad_y: float = CROP_PAD_Y,
    *,
    gap: float = COMPACT_GAP,
    keep: float = COMPACT_KEEP,
    end: float = COMPACT_END,
) -> np.ndarray:
    """The line crop with its letter-free column runs (blank, leader dots, underline) wider
    than ``gap`` x the line height shortened to ``keep`` x the height, and its letter-free
    ends trimmed to ``end`` x the height. Unchanged when no letter column is found."""
    return np.ascontiguousarray(np.hstack(line_pieces(grey, pad_y, gap=gap, keep=keep, end=end)))


def line_pieces(
    grey: np.ndarray,
    pad_y: float = CROP_PAD_Y,
    *,
    gap: float = COMPACT_GAP,
    keep: float = COMPACT_KEEP,
    end: float = COMPACT_END,
) -> list[np.ndarray]:
    """compact_line's parts, in order: paper margins and the runs of letters between them
    (a printed label and the value written after it are two runs). ``gap`` 0 turns the
    cutting off."""
    h, w = grey.shape
    core = h / (1 + 2 * pad_y)  # the detector's line height inside the padded crop
    if gap <= 0 or h < MIN_LINE_H or w < 2 * core:
        return [grey]
    paper = float(np.percentile(grey, 90))
    ink = grey < paper - 60
    rows = np.arange(h)[:, None]
    top = np.where(ink, rows, h).min(axis=0)
    bottom = np.where(ink, rows, -1).max(axis=0)
    # A column holds a letter when its ink spans LETTER_SPAN x the line height, or crosses
    # the middle band: leader dots sit on the baseline and underlines below it, but a dash
    # ("Độc lập - Tự do"), a cursive joining stroke or a hand's small letters ('côn', 'của',
    # spanning less under tall loops and accents) cross it and are text. Without the band,
    # the ends of handwritten lines were cut off as paper (handwriting-vi's tuning writers,
    # shipped model x1.5: CER 40.2 % compacted against 30.3 % uncut).
    middle = ink[round(0.4 * h) : round(0.6 * h) + 1]
    letter = ((bottom - top + 1) >= LETTER_SPAN * core) | middle.any(axis=0)
    cols = np.flatnonzero(letter)
    if not len(cols):
        return [grey]
    keep_px = max(1, round(keep * core))
    max_gap = gap * core
    # Letter columns and the short gaps between them stay; a long gap (or an end) becomes
    # `keep_px` columns of plain paper, so no leader dot is left in it to be read.
    tail = max(1, round(LETTER_TAIL * core))
    long_gaps = np.flatnonzero(np.diff(cols) > max_gap)
    starts = [int(cols[0]), *(int(cols[k + 1]) for k in long_gaps)]
    ends = [*(int(cols[k]) for k in long_gaps), int(cols[-1])]
    margin = np.full((h, keep_px), int(paper), np.uint8)
    end_margin = np.full((h, max(1, round(end * core))), int(paper), np.uint8)
    parts: list[np.ndarray] = [end_margin]
    inked = np.asarray(ink.any(axis=0))
    reach = max(1, round(max_gap / 2))  # never past the middle of the gap cut
    for a, b in zip(starts, ends, strict=True):
        # A run's outer letters may reach past its letter columns with unbroken ink (the bar
        # of a 'T', a hand's loop): kept up to the first blank column; then a few columns
        # either side keep the low strokes of end letters (the arm of "r").
        a0, b0 = a, b
        while a > 0 and a0 - a < reach and inked[a - 1]:
            a -= 1
        while b < w - 1 and b - b0 < reach and inked[b + 1]:
            b += 1
        parts += [grey[:, max(0, a - tail) : min(w, b + 1 + tail)], margin]
    parts[-1] = end_margin
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


def line_squeeze(
    grey: np.ndarray, *, squeeze_min: float = SQUEEZE_MIN, min_stroke: float = MIN_STROKE
) -> float:
    """The width factor (squeeze_min..1) that keeps the line's strokes ≥ min_stroke px."""
    if squeeze_min >= 1.0:
        return 1.0
    sw = stroke_width(grey)
    if sw <= 0:
        return 1.0
    return float(np.clip(min_stroke / sw, squeeze_min, 1.0))


def split_points(grey32: np.ndarray, chunk: int) -> list[int]:
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


def is_gap(grey32: np.ndarray, x: int) -> bool:
    """True when the columns around x are blank for at least a narrow space's width."""
    ink = (grey32 < 128).sum(axis=0)
    a, b = max(0, x - 3), min(grey32.shape[1], x + 3)
    return bool(ink[a:b].sum() == 0)
