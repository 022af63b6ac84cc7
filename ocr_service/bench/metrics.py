"""Accuracy measures: CER/WER by line style, and line-detection recall by box IoU."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

Box = Sequence[float]


@dataclass
class TruthLine:
    """One ground-truth line: text, box in page-image pixels, style ("typed"/"hand"), kind."""

    text: str
    bbox: tuple[int, int, int, int]
    style: str = "typed"
    kind: str = "other"
    field: str | None = None


@dataclass
class ErrorCount:
    """Edit operations against a number of reference units (characters or words)."""

    errors: int = 0
    total: int = 0

    def add(self, other: ErrorCount) -> None:
        self.errors += other.errors
        self.total += other.total

    @property
    def rate(self) -> float | None:
        return self.errors / self.total if self.total else None


@dataclass
class PageScore:
    """The accuracy counts of one page, by style; merged over pages by ``add``."""

    chars: dict[str, ErrorCount] = field(default_factory=dict)
    words: dict[str, ErrorCount] = field(default_factory=dict)
    truth_lines: int = 0
    found_lines: int = 0  # truth lines matched by a predicted line at IoU ≥ min_iou
    extra_chars: int = 0  # predicted characters over no truth line (not in the CER)

    def add(self, other: PageScore) -> None:
        for mine, theirs in ((self.chars, other.chars), (self.words, other.words)):
            for style, count in theirs.items():
                mine.setdefault(style, ErrorCount()).add(count)
        self.truth_lines += other.truth_lines
        self.found_lines += other.found_lines
        self.extra_chars += other.extra_chars


def nfc(text: str) -> str:
    """NFC with runs of white space made single spaces: truth files mix NFC and NFD."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(prediction: str, truth: str) -> float:
    """Character error rate: edits / truth characters (1.0 for any text against empty truth)."""
    p, t = nfc(prediction), nfc(truth)
    if not t:
        return 0.0 if not p else 1.0
    return Levenshtein.distance(p, t) / len(t)


def wer(prediction: str, truth: str) -> float:
    """Word error rate: word edits / truth words."""
    p, t = nfc(prediction).split(), nfc(truth).split()
    if not t:
        return 0.0 if not p else 1.0
    return Levenshtein.distance(p, t) / len(t)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def _area(a: Box) -> float:
    return max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])


def match_by_iou(
    predicted: Sequence[Box], truth: Sequence[Box], min_iou: float = 0.5
) -> list[tuple[int, int]]:
    """One-to-one (predicted index, truth index) pairs, best IoU first, each ≥ ``min_iou``."""
    pairs = [
        (iou(p, t), i, j)
        for i, p in enumerate(predicted)
        for j, t in enumerate(truth)
        if _overlaps(p, t)
    ]
    pairs.sort(reverse=True)
    used_p: set[int] = set()
    used_t: set[int] = set()
    out: list[tuple[int, int]] = []
    for score, i, j in pairs:
        if score < min_iou:
            break
        if i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        out.append((i, j))
    return out


def line_recall(predicted: Sequence[Box], truth: Sequence[Box], min_iou: float = 0.5) -> float:
    """Share of truth lines matched one-to-one by a predicted box at IoU ≥ ``min_iou``."""
    if not truth:
        return 1.0
    return len(match_by_iou(predicted, truth, min_iou)) / len(truth)


def row_matches(
    predicted: Sequence[Box], truth: Sequence[Box], min_iou: float = 0.5
) -> list[tuple[int, list[int]]]:
    """(predicted index, truth indices) matches where a predicted line may stand for several
    truth lines of one row: a printed label and its value, boxed apart in the synth truth,
    that the detector reads as one line. A predicted box matches the union box of the truth
    lines of a row that lie mostly (≥ half their area) inside it, at IoU ≥ ``min_iou``;
    the remaining lines are matched one-to-one as in ``match_by_iou``."""
    used_p: set[int] = set()
    found: dict[int, list[int]] = {}
    for row in rows_of(list(range(len(truth))), truth):
        for i, p in enumerate(predicted):
            if i in used_p:
                continue
            inside = [j for j in row if j not in found and _inside(truth[j], p) >= 0.5]
            if len(inside) < 2:
                continue
            union = (
                min(truth[j][0] for j in inside),
                min(truth[j][1] for j in inside),
                max(truth[j][2] for j in inside),
                max(truth[j][3] for j in inside),
            )
            if iou(p, union) >= min_iou:
                used_p.add(i)
                for j in inside:
                    found[j] = [i]
    out = [(i, [j for j, ps in found.items() if ps == [i]]) for i in sorted(used_p)]
    rest_p = [i for i in range(len(predicted)) if i not in used_p]
    rest_t = [j for j in range(len(truth)) if j not in found]
    for a, b in match_by_iou([predicted[i] for i in rest_p], [truth[j] for j in rest_t], min_iou):
        out.append((rest_p[a], [rest_t[b]]))
    return out


def row_recall(predicted: Sequence[Box], truth: Sequence[Box], min_iou: float = 0.5) -> float:
    """Share of truth lines found by ``row_matches`` (a line read together with its row
    neighbours counts as found)."""
    if not truth:
        return 1.0
    return sum(len(js) for _, js in row_matches(predicted, truth, min_iou)) / len(truth)


def _inside(a: Box, b: Box) -> float:
    """Share of box a's area that lies inside box b."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = _area(a)
    return ix * iy / area if area > 0 else 0.0


def _overlaps(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _linked(a: Box, b: Box, min_iou: float) -> bool:
    """Same text: boxes match by IoU, or one lies mostly inside the other (merged/split lines)."""
    if not _overlaps(a, b):
        return False
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    inter = ix * iy
    small = min(_area(a), _area(b))
    return iou(a, b) >= min_iou or (small > 0 and inter / small >= 0.5)


def group_lines(
    predicted: Sequence[Box], truth: Sequence[Box], min_iou: float = 0.5
) -> list[tuple[list[int], list[int]]]:
    """Connected groups of (predicted indices, truth indices) that cover the same text.

    A detector often reads a printed label and its handwritten value as one line, or cuts a
    long line in two; comparing groups rather than single boxes measures recognition, not that.
    """
    n = len(predicted)
    parent = list(range(n + len(truth)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, p in enumerate(predicted):
        for j, t in enumerate(truth):
            if _linked(p, t, min_iou):
                parent[find(i)] = find(n + j)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for k in range(n + len(truth)):
        g = groups.setdefault(find(k), ([], []))
        (g[0] if k < n else g[1]).append(k if k < n else k - n)
    return list(groups.values())


def reading_sorted(indices: list[int], boxes: Sequence[Box]) -> list[int]:
    """Indices in reading order: rows top to bottom, then left to right within a row.

    A row gathers boxes whose vertical centres lie within half a median line height of the
    row's first box (a label and its value in another font sit a few pixels apart).
    """
    if len(indices) < 2:
        return list(indices)
    return [i for row in rows_of(indices, boxes) for i in row]


def rows_of(indices: list[int], boxes: Sequence[Box]) -> list[list[int]]:
    """The indices grouped into rows (top to bottom), each row sorted by x.

    A box joins the current row when it overlaps the row's vertical span by at least half
    of the smaller height (a label and its value in another font sit a few pixels apart).
    """
    by_y = sorted(indices, key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    top = bottom = 0.0
    for i in by_y:
        y0, y1 = float(boxes[i][1]), float(boxes[i][3])
        overlap = min(bottom, y1) - max(top, y0)
        if rows and overlap >= 0.5 * min(y1 - y0, bottom - top):
            rows[-1].append(i)
            top, bottom = min(top, y0), max(bottom, y1)
        else:
            rows.append([i])
            top, bottom = y0, y1
    return [sorted(row, key=lambda i: boxes[i][0]) for row in rows]


def _attributed_errors(
    truth_units: list[list[str]], styles: list[str], predicted_units: list[str], sep: str | None
) -> dict[str, ErrorCount]:
    """Edits between joined truth units and predicted units, charged to the truth line's style.

    truth_units: per truth line, its units (characters or words); lines are joined with the
    ``sep`` unit (a space between character lists), which belongs to the line before it.
    """
    seq: list[str] = []
    owner: list[int] = []
    for k, units in enumerate(truth_units):
        if k and seq and sep is not None:
            seq.append(sep)
            owner.append(k - 1)
        seq.extend(units)
        owner.extend([k] * len(units))
    out: dict[str, ErrorCount] = {}
    for k, units in enumerate(truth_units):
        out.setdefault(styles[k], ErrorCount()).total += len(units)
    if not seq:
        return out
    for op in Levenshtein.editops(seq, predicted_units):
        k = owner[min(op.src_pos, len(owner) - 1)]
        out[styles[k]].errors += 1
    return out


def is_date_field(code: str | None) -> bool:
    """A date written in figures (ngayDangKy, nksNgaySinh, gbtNgay, …), not one in words."""
    if not code:
        return False
    return ("Ngay" in code or code.startswith("ngay")) and "Chu" not in code


def value_category(line: TruthLine) -> str:
    """'<style> value' or '<style> date' for a written value's line; '' for anything else."""
    if line.kind != "value":
        return ""
    return f"{line.style} {'date' if is_date_field(line.field) else 'value'}"


def score_page(
    predicted: Sequence[tuple[str, Box]], truth: Sequence[TruthLine], min_iou: float = 0.5
) -> PageScore:
    """CER/WER counts by truth style and line recall for one page."""
    p_boxes = [b for _, b in predicted]
    t_boxes = [t.bbox for t in truth]
    score = PageScore(truth_lines=len(truth))
    score.found_lines = len(match_by_iou(p_boxes, t_boxes, min_iou))
    for p_idx, t_idx in group_lines(p_boxes, t_boxes, min_iou):
        p_sorted = reading_sorted(p_idx, p_boxes)
        if not t_idx:
            score.extra_chars += sum(len(nfc(predicted[i][0])) for i in p_sorted)
            continue
        t_sorted = reading_sorted(t_idx, t_boxes)
        styles = [truth[j].style for j in t_sorted]
        p_text = " ".join(nfc(predicted[i][0]) for i in p_sorted).strip()
        t_texts = [nfc(truth[j].text) for j in t_sorted]
        for style, count in _attributed_errors(
            [list(t) for t in t_texts], styles, list(p_text), " "
        ).items():
            score.chars.setdefault(style, ErrorCount()).add(count)
        # The same edits by category of value line ("hand value", "hand date", ...): issue #13's
        # line CER of handwritten values, dates included.
        cats = [value_category(truth[j]) for j in t_sorted]
        for cat, count in _attributed_errors(
            [list(t) for t in t_texts], cats, list(p_text), " "
        ).items():
            if cat:
                score.chars.setdefault(cat, ErrorCount()).add(count)
        for style, count in _attributed_errors(
            [t.split() for t in t_texts], styles, p_text.split(), None
        ).items():
            score.words.setdefault(style, ErrorCount()).add(count)
    return score
