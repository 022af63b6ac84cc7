"""Block-form pages (books since 2016, one record per page): printed labels → raw fields."""

from __future__ import annotations

import dataclasses
import itertools
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from rapidfuzz import fuzz

from ocr_service.extract.containers import FieldDraft, RecordDraft
from ocr_service.extract.layouts.composite import split_composite
from ocr_service.extract.layouts.labels import (
    find_labels,
    fold_words,
    is_tick_mark,
    strip_tick_marks,
    strip_value,
)
from ocr_service.extract.layouts.signatures import (
    Piece,
    clean_name,
    looks_like_name,
    split_into_columns,
)
from ocr_service.extract.spec import (
    OFFICER_TITLES,
    Anchor,
    block_anchors,
    enum_labels,
    register_spec,
)
from ocr_service.ocr.containers import BBox, OcrLine, OcrPage

# Printed wording of each tick-box (registers.json names them by label; codes per register).
TICK_LABELS = {"1": "Đúng hạn", "2": "Đăng ký lại", "3": "Ghi vào sổ", "4": "Quá hạn"}
# §6.8: the value when no box is ticked.
NO_TICK_DEFAULT = {"KS": "6", "KT": "0", "KH": "1", "CMC": "0"}

# The reader's heuristics. Lengths are in line heights (the page's median line height) unless
# they say px; zones are shares of the page's height or width from the top or left. They were
# set with the first block-form reader (7cd5990) and the signature and tick-box work (83eab5f)
# on the synthetic books and the vi-OCR fixtures of tests/resources/extract, and are measured
# together by bench/bench_fields.py (docs/BENCHMARKS.md, "Fields of whole books": block books
# typed 95.9–98.6 %, hand 88.4–97.1 % on 2026-11-25); no sweep of a single value is recorded
# unless its comment names one.

DEFAULT_LINE_H = 20.0  # px: the line height of a page with no lines (nothing is measured then)
# Lines share a visual row when they overlap by this share of the shorter one's height (the
# row's median line height when that is less: a tall handwritten value does not widen it).
ROW_OVERLAP = 0.5

# Where labels of each part of the form may stand: elsewhere the same words are part of a
# value ('Số' is everywhere, '… số: 0123').
HEADER_ZONE = 0.35  # header labels only in the top of the page (or above the first body label)
FOOTER_ZONE = 0.5  # footer labels only below the middle of the page
BOTTOM_ZONE = 0.45  # labels of a "bottom" zone (signers, 'Chức vụ') only below this
RIGHT_COLUMN_ZONE = 0.45  # labels of the right column ('Ghi chú') only right of this share
# Line heights: a line starting less than this left of the right column's first label is in the
# right column.
RIGHT_COLUMN_MARGIN = 1.0

# Signature block and lines taken under a label.
CAPTION_TOUCH_PX = 2  # px: a line whose top is this close above a caption row's foot is under it
SIGNATURE_DEPTH = 14  # line heights under a signer's caption where its written name may stand
CAPTION_REST_SCORE = 50  # fuzzy ratio to a caption's unmatched words: its rest misread, no value
BELOW_MARGIN = 0.25  # label widths either side of a label that the line under it may centre in
BELOW_REACH = 2.5  # line heights: the line under a footer label starts within this
CONTINUATION_GAP = 2.5  # line heights: a value's next line starts within this of its last

# Tick-boxes.
TICK_MIN_H = 4  # px: the least label height searched with (a degenerate box still gets a strip)
INK_GREY = 128  # grey level: darker pixels are ink in a tick-box and its frame
# Without a box found, the ink is measured between these many label heights left of the label.
TICK_STRIP_FROM = 1.8
TICK_STRIP_TO = 0.2
TICK_MIN_BOX_PX = 3  # px: a narrower box measures nothing
# The printed box is searched from TICK_SEARCH_LEFT label heights left of the label (or of the
# line the engine read the box into) to TICK_SEARCH_RIGHT inside it, and a third of the label
# height above and below.
TICK_SEARCH_LEFT = 2.2
TICK_SEARCH_RIGHT = 0.3
TICK_SEARCH_MARGIN_PARTS = 3
# A box's frame is TICK_BOX_MIN–TICK_BOX_MAX label heights wide and tall, and dark along at
# least FRAME_COVER of each side over a thickness of 1/FRAME_PARTS of its size (a letter is not).
TICK_BOX_MIN = 0.45
TICK_BOX_MAX = 1.5
FRAME_PARTS = 8
FRAME_COVER = 0.6
TICK_INK = 0.15  # measured in the found box: ticked 0.32–0.41, empty 0.0 (synth, 200 dpi, vi OCR)
# A box counts as ticked only if it also holds this share of the most inked box's ink: stray
# dots in another box are not a second tick.
TICK_RELATIVE = 0.6
TICK_MARK_CHARS = 6  # characters before a tick label where a tick read as text ('[x]', '☒') sits
SEVERAL_TICKED_CONFIDENCE = 0.3  # OCR confidence of loaiDangKy with several boxes ticked
NO_TICK_CONFIDENCE = 0.5  # OCR confidence of the §6.8 default: a guess from a missing mark


@dataclass
class _Row:
    """Lines on one visual row, joined left to right, with a map from characters to lines."""

    lines: list[OcrLine]
    text: str = ""
    owner: list[int] = field(default_factory=list)  # line index per character (-1 = separator)
    offset: list[int] = field(default_factory=list)  # character index within that line

    def __post_init__(self) -> None:
        parts: list[str] = []
        for li, ln in enumerate(self.lines):
            if parts:
                parts.append(" ")
                self.owner.append(-1)
                self.offset.append(0)
            parts.append(ln.text)
            self.owner.extend([li] * len(ln.text))
            self.offset.extend(range(len(ln.text)))
        self.text = "".join(parts)

    @property
    def y0(self) -> int:
        return min(ln.bbox[1] for ln in self.lines)

    @property
    def y1(self) -> int:
        return max(ln.bbox[3] for ln in self.lines)

    def x_at(self, pos: int) -> float:
        """Approximate x of a character: linear along its line's box (no glyph boxes)."""
        pos = max(0, min(pos, len(self.text) - 1))
        li = self.owner[pos]
        while li < 0 and pos > 0:
            pos -= 1
            li = self.owner[pos]
        ln = self.lines[max(li, 0)]
        x0, _, x1, _ = ln.bbox
        return x0 + (x1 - x0) * self.offset[pos] / max(1, len(ln.text))

    def span_box(self, start: int, end: int) -> BBox:
        """Box of the characters start..end, cut from the boxes of the lines they belong to."""
        lis = {self.owner[p] for p in range(start, end) if self.owner[p] >= 0}
        if not lis:
            return (0, 0, 0, 0)
        ys0 = [self.lines[li].bbox[1] for li in lis]
        ys1 = [self.lines[li].bbox[3] for li in lis]
        return (int(self.x_at(start)), min(ys0), int(self.x_at(end - 1) + 1), max(ys1))

    def span_confidence(self, start: int, end: int) -> float:
        lis = [self.owner[p] for p in range(start, end) if self.owner[p] >= 0]
        if not lis:
            return 0.0
        return float(sum(self.lines[li].confidence for li in lis) / len(lis))


def group_rows(lines: list[OcrLine], *, overlap: float = ROW_OVERLAP) -> list[_Row]:
    """Lines overlapping a row by ``overlap`` of their height form one visual row.

    A line must also touch the row's core band (median top to median bottom of its lines),
    so a tall handwritten value or a sloping baseline does not chain two printed rows.
    """
    rows: list[list[OcrLine]] = []
    for ln in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        y0, y1 = ln.bbox[1], ln.bbox[3]
        if rows:
            last = rows[-1]
            uy0 = min(o.bbox[1] for o in last)
            uy1 = max(o.bbox[3] for o in last)
            cy0 = statistics.median(o.bbox[1] for o in last)
            cy1 = statistics.median(o.bbox[3] for o in last)
            h = min(y1 - y0, statistics.median(o.bbox[3] - o.bbox[1] for o in last))
            union = min(y1, uy1) - max(y0, uy0)
            core = min(y1, cy1) - max(y0, cy0)
            if union >= overlap * max(1.0, h) and core > 0:
                last.append(ln)
                continue
        rows.append([ln])
    return [_Row(sorted(r, key=lambda ln: ln.bbox[0])) for r in rows]


@dataclass
class _Hit:
    row: int
    start: int
    end: int
    key: str
    score: float
    alternatives: tuple[str, ...] = ()
    anchor: Anchor | None = None
    value_end: int = 0
    extra: list[tuple[str, BBox, float]] = field(default_factory=list)  # continuation lines


def _assign_anchors(
    hits: list[_Hit], anchors: tuple[Anchor, ...], rows: list[_Row], width: int, height: int
) -> None:
    """Give every label hit its anchor; repeated labels follow the printed order per zone."""
    by_key: dict[str, list[Anchor]] = {}
    for a in anchors:
        for lb in a.labels:
            by_key.setdefault(fold_words(lb), []).append(a)
    used: set[int] = set()
    cursor: dict[str, int] = {}
    # The header ends where the first label that only belongs to the body is.
    body_keys = {k for k, anchors_ in by_key.items() if all(a.group == "left" for a in anchors_)}
    body_top = min(
        (rows[h.row].y0 for h in hits if h.key in body_keys),
        default=HEADER_ZONE * height,
    )
    officer_keys = {fold_words(t) for t in OFFICER_TITLES}
    for h in hits:
        y = (rows[h.row].y0 + rows[h.row].y1) / 2
        if h.key in officer_keys and _after_colon(rows[h.row], h.start):
            # The officer's title as a value ('Chức vụ: Công chức tư pháp - hộ tịch') is no
            # caption.
            h.key = ""
            continue
        x = rows[h.row].x_at(h.start)

        def placed(key: str, y: float = y, x: float = x, row: _Row = rows[h.row]) -> list[Anchor]:
            # Header and footer labels only count in their part of the page ('Số' is
            # everywhere): elsewhere the words are part of a value ('… số: 0123').
            return [
                a
                for a in by_key.get(key, [])
                if not (a.group == "header" and (y > HEADER_ZONE * height or row.y0 >= body_top))
                and not (a.group == "footer" and y < FOOTER_ZONE * height)
                and not ("bottom" in a.zone and y < BOTTOM_ZONE * height)
                and not (a.group == "right" and x < RIGHT_COLUMN_ZONE * width)
            ]

        def next_free(key: str) -> Anchor | None:
            """The anchor the label takes next in the printed order (None: none left)."""
            cands = [a for a in placed(key) if a.index not in used]
            after = [a for a in cands if a.index > cursor.get(a.group, -1)]
            return after[0] if after else (cands[0] if cands else None)

        if not placed(h.key):
            h.key = ""
            continue
        chosen = next_free(h.key)
        if h.alternatives and chosen is not None:
            # Look-alike labels ('Nai sinh': 'Nơi sinh' or 'Năm sinh'): the one printed next
            # after the labels already placed. Taking the later one would push every
            # repeated label after it one person down.
            options = [(k, next_free(k)) for k in (h.key, *h.alternatives)]
            in_order = [
                (k, b) for k, b in options if b is not None and b.index > cursor.get(b.group, -1)
            ]
            if in_order:
                h.key, chosen = min(in_order, key=lambda kb: kb[1].index)
        if chosen is None:
            continue
        h.anchor = chosen
        used.add(chosen.index)
        cursor[chosen.group] = max(cursor.get(chosen.group, -1), chosen.index)


def _after_colon(row: _Row, pos: int) -> bool:
    """True when the row's text before ``pos`` ends with a colon (leader dots aside): what
    follows is a label's value."""
    return row.text[:pos].rstrip(" .…_([").endswith(":")


def tick_ink(
    image: np.ndarray[Any, Any],
    label_box: BBox,
    line_x0: int | None = None,
    *,
    ink_grey: int = INK_GREY,
) -> float:
    """Share of dark pixels inside the printed box just left of a tick label (0 if none).

    The box is found as a hollow square in the strip left of the label (the engine sometimes
    reads the box into the label's line, so `line_x0`, the line's own left edge, widens the
    strip); its inner half is measured, so the frame stays out and a tick crosses it.
    Without a box found, the inner half of the space left of the label is measured. Ink is
    what is darker than ``ink_grey``.
    """
    x_label, y0, _, y1 = label_box
    h = max(TICK_MIN_H, y1 - y0)
    gray = image if image.ndim == 2 else image.mean(axis=2)
    box = find_tick_box(gray, label_box, line_x0, ink_grey=ink_grey)
    if box is None:
        x0 = max(0, x_label - int(TICK_STRIP_FROM * h))
        x1 = max(0, x_label - int(TICK_STRIP_TO * h))
        bx0, by0, bx1, by1 = x0, max(0, y0), x1, y1
    else:
        bx0, by0, bx1, by1 = box
    crop = gray[by0:by1, bx0:bx1]
    if crop.size == 0 or bx1 - bx0 < TICK_MIN_BOX_PX:
        return 0.0
    ch, cw = crop.shape[:2]
    inner = crop[ch // 4 : ch - ch // 4, cw // 4 : cw - cw // 4]
    return float((inner < ink_grey).mean()) if inner.size else 0.0


def find_tick_box(
    gray: np.ndarray[Any, Any],
    label_box: BBox,
    line_x0: int | None = None,
    *,
    ink_grey: int = INK_GREY,
    min_size: float = TICK_BOX_MIN,
    max_size: float = TICK_BOX_MAX,
    frame_cover: float = FRAME_COVER,
) -> BBox | None:
    """The printed tick-box left of a label: the right-most dark square outline there.

    A candidate is ``min_size``–``max_size`` label heights wide and tall and darker than
    ``ink_grey`` along at least ``frame_cover`` of each of its four sides.
    """
    x_label, y0, _, y1 = label_box
    h = max(TICK_MIN_H, y1 - y0)
    left = min(x_label, line_x0 if line_x0 is not None else x_label)
    sx0 = max(0, left - int(TICK_SEARCH_LEFT * h))
    sx1 = max(0, x_label + int(TICK_SEARCH_RIGHT * h))
    margin = h // TICK_SEARCH_MARGIN_PARTS
    sy0, sy1 = max(0, y0 - margin), min(gray.shape[0], y1 + margin)
    region = gray[sy0:sy1, sx0:sx1]
    if region.size == 0:
        return None
    dark = (region < ink_grey).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    best: BBox | None = None
    for i in range(1, n):
        x, y, w, hh, _area = (int(v) for v in stats[i])
        if not (min_size * h <= w <= max_size * h and min_size * h <= hh <= max_size * h):
            continue
        # A frame: dark along most of its four sides (a letter is not).
        sub = dark[y : y + hh, x : x + w]
        t = max(1, min(w, hh) // FRAME_PARTS)
        sides = [sub[:t].max(axis=0), sub[-t:].max(axis=0), sub[:, :t].max(axis=1)]
        sides.append(sub[:, -t:].max(axis=1))
        if min(float(s.mean()) for s in sides) < frame_cover:
            continue
        if best is None or x > best[0] - sx0:
            best = (sx0 + x, sy0 + y, sx0 + x + w, sy0 + y + hh)
    return best


@dataclass
class _Page:
    """One page being read: its lines and rows, the label hits and what they took."""

    rows: list[_Row]
    lines: list[OcrLine]
    hits: list[_Hit]
    line_h: float
    right_x: float
    consumed: set[int] = field(default_factory=set)


def anchor_labels(register: str, page: OcrPage) -> _Page:
    """Stage 1: the printed labels on the page, each given its anchor (field) if it has one."""
    anchors = block_anchors(register)
    # NFC copies: label offsets are computed on composed text (engines may emit decomposed).
    lines = [
        dataclasses.replace(ln, text=unicodedata.normalize("NFC", ln.text))
        for ln in page.lines
        if ln.text.strip()
    ]
    rows = group_rows(lines)
    all_labels = [lb for a in anchors for lb in a.labels]
    colon_labels = [lb for a in anchors if a.colon for lb in a.labels]
    hits: list[_Hit] = []
    for ri, row in enumerate(rows):
        for lh in find_labels(row.text, all_labels, colon_labels):
            hits.append(_Hit(ri, lh.start, lh.end, lh.key, lh.score, lh.alternatives))
    _assign_anchors(hits, anchors, rows, page.width, page.height)
    # Hits left without an anchor (a label printed twice, a signature caption) still end the
    # value before them; they fill nothing. Words out of their zone are no label at all.
    hits = [h for h in hits if h.key]
    line_h = float(statistics.median([ln.bbox[3] - ln.bbox[1] for ln in lines] or [DEFAULT_LINE_H]))
    right_hits = [h for h in hits if h.anchor is not None and h.anchor.group == "right"]
    right_x = min((rows[h.row].x_at(h.start) for h in right_hits), default=float("inf"))
    return _Page(rows, lines, hits, line_h, right_x)


def take_row_values(pg: _Page) -> None:
    """Stage 2: a value runs to the next label on its row, never into the right column."""
    for i, h in enumerate(pg.hits):
        row = pg.rows[h.row]
        nxt = pg.hits[i + 1] if i + 1 < len(pg.hits) and pg.hits[i + 1].row == h.row else None
        h.value_end = nxt.start if nxt else len(row.text)
        if h.anchor is not None and h.anchor.group == "left":
            for p in range(h.end, h.value_end):
                li = row.owner[p]
                if (
                    li >= 0
                    and row.lines[li].bbox[0] >= pg.right_x - RIGHT_COLUMN_MARGIN * pg.line_h
                ):
                    h.value_end = p
                    break
        for p in range(h.start, h.value_end):
            if row.owner[p] >= 0:
                pg.consumed.add(id(row.lines[row.owner[p]]))


SIGNERS = ("nguoiThucHien", "nguoiKy")


def _signature_columns(pg: _Page, caption: _Hit) -> list[float]:
    """Inner column borders (x, left to right) of the signature block a caption heads.

    Each caption ('Chữ ký của chồng', 'Người thực hiện', 'Người ký …') is centred over its
    column; the borders lie halfway between neighbouring captions.
    """
    row = pg.rows[caption.row]
    on_row = [
        h
        for h in pg.hits
        if h.row == caption.row
        and not (h.anchor is not None and (h.anchor.colon or h.anchor.group != "left"))
    ]
    xs = sorted((row.x_at(h.start) + row.x_at(h.end - 1)) / 2 for h in on_row)
    return [(a + b) / 2 for a, b in itertools.pairwise(xs)]


def _caption_rest(h: _Hit, text: str) -> bool:
    """Whether `text` after a signer's caption on its row is the rest of that caption misread,
    not a name written there: a small bold 'Người ký Trích lục khai tử' on a blurred photo reads
    'Người ký Tự tọc khai tá', only its first words match, and the rest looked like a value.

    A written name capitalises every word; the caption's words are lower case. So: a word of
    two letters or more in lower case, and the text close to the caption's unmatched words.
    """
    if h.anchor is None or not any(w[:1].islower() for w in text.split() if len(w) >= 2):
        return False
    matched = h.key.split()
    folded = fold_words(text)
    for label in h.anchor.labels:
        words = fold_words(label).split()
        if len(words) > len(matched) and words[: len(matched)] == matched:
            tail = " ".join(words[len(matched) :])
            if fuzz.ratio(folded, tail) >= CAPTION_REST_SCORE:
                return True
    return False


def take_signature_names(pg: _Page, image: np.ndarray[Any, Any] | None = None) -> None:
    """Stage 3: under 'Người thực hiện', 'Người ký …' the name is below the signature space.

    The block is read in columns (one per caption): every free line under the captions is cut
    at the column borders (the engine joins names and scribbles of neighbouring columns), and
    each signer gets the lowest piece of its column that reads as a name, not the scribble.
    """
    name_lines: set[int] = set()
    others: list[_Hit] = []
    for h in pg.hits:
        if h.anchor is None or "bottom" not in h.anchor.zone or not h.anchor.codes:
            continue
        row = pg.rows[h.row]
        rest = strip_value(row.text[h.end : h.value_end]).strip("([ ")
        if rest and h.anchor.codes[0] in SIGNERS and _caption_rest(h, rest):
            h.value_end = h.end  # the caption's own last words misread: no value on its row
        elif rest:
            continue  # the value is printed on the label's row itself
        if h.anchor.codes[0] not in SIGNERS or h.anchor.colon:
            others.append(h)
            continue
        edges = _signature_columns(pg, h)
        col = sum((row.x_at(h.start) + row.x_at(h.end - 1)) / 2 >= e for e in edges)
        names: list[tuple[float, Piece, int]] = []
        for ln in pg.lines:
            if id(ln) in pg.consumed or ln.bbox[1] <= row.y1 - CAPTION_TOUCH_PX:
                continue
            if (
                ln.bbox[1] - row.y1 >= SIGNATURE_DEPTH * pg.line_h
                or ln.bbox[0] >= pg.right_x - RIGHT_COLUMN_MARGIN * pg.line_h
            ):
                continue
            for piece in split_into_columns(ln, edges, image):
                if piece.column == col and looks_like_name(piece.text):
                    names.append((ln.bbox[1], piece, id(ln)))
        if names:
            # Names sit on one baseline under the signatures; scribbles are above them.
            _, best, line_id = max(names, key=lambda n: n[0])
            h.extra.append((clean_name(best.text), best.bbox, best.confidence))
            name_lines.add(line_id)
    for h in others:
        # 'Chức vụ:' with its value wrapped under it; never the signers' names.
        _take_line_below(pg, h, name_lines)


def _take_line_below(pg: _Page, h: _Hit, skip: set[int]) -> None:
    """The nearest free line under a footer label, within the label's width."""
    row = pg.rows[h.row]
    lx0, lx1 = row.x_at(h.start), row.x_at(h.end - 1)
    margin = BELOW_MARGIN * (lx1 - lx0)
    below = [
        ln
        for ln in pg.lines
        if id(ln) not in pg.consumed
        and id(ln) not in skip
        and ln.bbox[1] > row.y1 - CAPTION_TOUCH_PX
        and ln.bbox[1] - row.y1 < BELOW_REACH * pg.line_h
        and lx0 - margin <= (ln.bbox[0] + ln.bbox[2]) / 2 <= lx1 + margin
    ]
    if below:
        first = min(below, key=lambda ln: ln.bbox[1])
        h.extra.append((first.text, first.bbox, first.confidence))
        pg.consumed.add(id(first))


def take_continuation_lines(pg: _Page) -> None:
    """Stage 4: lines no label took continue a value: a line in the right column the last
    right-column label above it (Ghi chú), any other line the last left label above it."""
    last_y: dict[int, int] = {id(h): pg.rows[h.row].y1 for h in pg.hits}
    for ri, row in enumerate(pg.rows):
        for ln in row.lines:
            if id(ln) in pg.consumed:
                continue
            in_right = ln.bbox[0] >= pg.right_x - RIGHT_COLUMN_MARGIN * pg.line_h
            above = [
                h
                for h in pg.hits
                if pg.rows[h.row].y0 < ln.bbox[1]
                and h.row <= ri
                and h.anchor is not None
                and (h.anchor.group == "right") == in_right
            ]
            if not above:
                continue
            owner = above[-1]
            if owner.anchor is None or owner.anchor.is_tick or "bottom" in owner.anchor.zone:
                continue
            if ln.bbox[1] - last_y[id(owner)] > CONTINUATION_GAP * pg.line_h:
                continue
            owner.extra.append((ln.text, ln.bbox, ln.confidence))
            last_y[id(owner)] = ln.bbox[3]


def _hit_value(row: _Row, h: _Hit) -> tuple[str, BBox, float]:
    """Raw text, box and OCR confidence of a label's value (same row + taken lines)."""
    vs, ve = _trim_span(row.text, h.end, h.value_end)
    while vs < ve and row.text[vs] in ")]":
        vs, ve = _trim_span(row.text, vs + 1, ve)  # '(người chết):' read up to its words
    raw_text = strip_value(row.text[vs:ve], trailing=False)
    parts = [raw_text] if raw_text else []
    boxes: list[BBox] = []
    confs: list[float] = []
    if raw_text:
        boxes.append(row.span_box(vs, ve))
        confs.append(row.span_confidence(vs, ve))
    for text, bbox, conf in h.extra:
        t = strip_value(text, trailing=False)
        if t:
            parts.append(t)
            boxes.append(bbox)
            confs.append(conf)
    raw = strip_value(" ".join(parts))
    box = _union(boxes) if boxes else row.span_box(h.start, h.end)
    return raw, box, float(sum(confs) / len(confs)) if confs else 0.0


def build_fields(
    register: str,
    page_no: int,
    pg: _Page,
    image: np.ndarray[Any, Any] | None,
    *,
    tick_min: float = TICK_INK,
    tick_relative: float = TICK_RELATIVE,
) -> RecordDraft:
    """Stage 5: field drafts from the values (composites split), loaiDangKy from the boxes.

    A box is ticked when its ink (or a tick read as text) reaches ``tick_min`` and
    ``tick_relative`` of the most inked box's.
    """
    record = RecordDraft(page=page_no, pages=[page_no])
    tick_scores: list[tuple[float, Anchor, BBox, float]] = []
    for h in pg.hits:
        a = h.anchor
        if a is None:
            continue
        row = pg.rows[h.row]
        if a.is_tick:
            h = _tick_label_only(h, row, a.labels)
            box = row.span_box(h.start, h.end)
            conf = row.span_confidence(h.start, h.end)
            tick_scores.append((_tick_score(h, pg.rows, image), a, box, conf))
            continue
        raw, bbox, conf = _hit_value(row, h)
        label_text = row.text[h.start : h.end]
        for k, (code, part) in enumerate(split_composite(a.codes, raw, label_text).items()):
            if code in record.fields and record.fields[code].raw:
                continue  # the same field printed twice: keep the first reading
            if k > 0 and not part:
                continue  # a composite label fills only the parts it shows
            record.fields[code] = FieldDraft(
                code=code, raw=part, confidence=conf if part else 0.0, bbox=bbox, page=page_no
            )
    # Ticked: clearly inked, and not much fainter than the most inked box (stray dots).
    top = max((t[0] for t in tick_scores), default=0.0)
    ticked = [
        (a, b, c) for sc, a, b, c in tick_scores if sc >= tick_min and sc >= tick_relative * top
    ]
    _set_loai_dang_ky(record, register_spec(register)["code"], register, ticked, page_no)
    return record


def read_block_form(
    register: str,
    page_no: int,
    page: OcrPage,
    image: np.ndarray[Any, Any] | None = None,
) -> RecordDraft:
    """One draft record (raw readings, not yet normalised) from one block-form page.

    `image` (grey or BGR, the page the OCR boxes refer to) lets unmarked tick-boxes be read
    from the ink inside them.
    """
    pg = anchor_labels(register, page)
    take_row_values(pg)
    take_signature_names(pg, image)
    take_continuation_lines(pg)
    return build_fields(register, page_no, pg, image)


_JUNK = set(" \t:;,.-_…|")
_END_JUNK = set(" \t_…|([")  # a trailing comma may continue on the next line; '(' opens a label


def _trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Character span of a value without colon, leader dots and a trailing tick-box mark."""
    while start < end and text[start] in _JUNK:
        start += 1
    while end > start:
        while end > start and text[end - 1] in _END_JUNK:
            end -= 1
        word_start = text.rfind(" ", start, end) + 1
        word_start = max(word_start, start)
        if end > start and strip_tick_marks(text[word_start:end])[0] == "":
            end = word_start
            continue
        break
    return start, end


def _tick_label_only(h: _Hit, row: _Row, labels: tuple[str, ...]) -> _Hit:
    """The tick label's hit without a stray one- or two-letter word the match took in before
    it: a ticked box read as a letter ('D Đúng hạn') put the label's left edge on the box, and
    the box, looked for left of the label, was not found (the tick was lost)."""
    firsts = {fold_words(label).split(" ")[0] for label in labels if fold_words(label)}
    start = h.start
    while True:
        word = row.text[start : h.end].split(" ")[0]
        rest = row.text[start + len(word) : h.end]
        if not 0 < len(word) <= 2 or fold_words(word) in firsts or not rest.strip():
            break
        start += len(word) + (len(rest) - len(rest.lstrip(" ")))
    return h if start == h.start else dataclasses.replace(h, start=start)


def _tick_score(h: _Hit, rows: list[_Row], image: np.ndarray[Any, Any] | None) -> float:
    """1.0 for a tick mark read as text before the label, else the ink inside its box."""
    row = rows[h.row]
    before = row.text[max(0, h.start - TICK_MARK_CHARS) : h.start]
    words = before.split()
    if words and is_tick_mark(words[-1]):
        return 1.0
    if image is None:
        return 0.0
    box = row.span_box(h.start, h.end)
    first = row.owner[h.start] if row.owner[h.start] >= 0 else 0
    return tick_ink(image, box, row.lines[first].bbox[0])


def _set_loai_dang_ky(
    record: RecordDraft,
    reg_code: str,
    register: str,
    ticked: list[tuple[Anchor, BBox, float]],
    page_no: int,
) -> None:
    if "loaiDangKy" not in register_spec(register)["fields"]:
        return
    labels = enum_labels(register, "loaiDangKy")
    if len(ticked) == 1:
        a, bbox, conf = ticked[0]
        code = a.tick or ""
        record.fields["loaiDangKy"] = FieldDraft(
            code="loaiDangKy",
            raw=TICK_LABELS.get(code, a.labels[0]),
            value=labels.get(code),
            confidence=conf,
            bbox=bbox,
            page=page_no,
            source="ocr",
        )
    elif len(ticked) > 1:
        record.fields["loaiDangKy"] = FieldDraft(
            code="loaiDangKy",
            raw=" + ".join(a.labels[0] for a, _, _ in ticked),
            value=None,
            confidence=SEVERAL_TICKED_CONFIDENCE,
            bbox=_union([b for _, b, _ in ticked]),
            page=page_no,
            issues=["several-ticked"],
            candidates=[labels.get(a.tick or "", "") for a, _, _ in ticked],
        )
    elif reg_code in NO_TICK_DEFAULT:
        code = NO_TICK_DEFAULT[reg_code]
        record.fields["loaiDangKy"] = FieldDraft(
            code="loaiDangKy",
            raw="",
            value=labels.get(code),
            confidence=NO_TICK_CONFIDENCE,
            page=page_no,
            source="derived",
            issues=["no-box-ticked"],
        )


def _union(boxes: list[BBox]) -> BBox:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
