"""Fuzzy, accent- and case-insensitive search for printed labels inside OCR line text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

_TOKEN_RE = re.compile(r"[0-9a-z]+")

# Fuzzy label matching (rapidfuzz ratio, 0–100, on folded letters without spaces), set with
# the first block-form reader (7cd5990) and measured with it by bench/bench_fields.py.
# The score a label of at most N letters must reach; longer labels LABEL_MIN_SCORE. One wrong
# letter in 7 ('Dung hin' for 'Đúng hạn') still counts.
LABEL_THRESHOLDS = ((3, 100.0), (7, 85.0), (12, 84.0))
LABEL_MIN_SCORE = 80.0
SHORT_LABEL = 3  # letters: a label this short ('Số') must be followed by a colon
SHORT_LABEL_SCORE = 50  # ... and read with its first letter and length right and this score
FIRST_WORD_SCORE = 67  # a label starts on a word like its first one, not inside a value
# The words tried against a label are at most this many letters longer or shorter (or a
# quarter of the label's length, when more).
LENGTH_SLACK = 2
LENGTH_SLACK_PARTS = 4
COLON_EXACT = 97  # a colon label without its colon must match at least this well, ...
COLON_LONG = 12  # ... or, when it has this many letters or more (one slip in it scores 92-96,
COLON_EXACT_LONG = 92  # and a value is rarely that close to a label that long), this well
COLON_BONUS = 4.0  # printed labels end with a colon: one that has it scores this much more
# A longer label extending the best one ('… tên' → '… tên người mẹ') wins when it scores
# within this many points of it (OCR noise in the extra words).
LONGER_LABEL_SLACK = 6.0
# Another label over the same words scoring within this many points of the best is kept as
# an alternative of the hit (one misread letter away from both).
LOOK_ALIKE_SLACK = 3.0


def fold_char(ch: str) -> str:
    """One character without accents, lower-case, đ→d; always one character long."""
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    low = base.lower()
    return low if len(low) == 1 else base


def fold_keep_length(text: str) -> str:
    """Fold accents and case character by character so offsets map back to `text` (NFC)."""
    return "".join(fold_char(c) for c in text)


def fold_words(text: str) -> str:
    """Folded words joined by single spaces (punctuation dropped): 'Giới tính:' → 'gioi tinh'."""
    nfc = unicodedata.normalize("NFC", text)
    return " ".join(_TOKEN_RE.findall(fold_keep_length(nfc)))


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Folded word tokens with their character offsets in `text` (which must be NFC)."""
    folded = fold_keep_length(text)
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN_RE.finditer(folded)]


@dataclass(frozen=True)
class LabelHit:
    """A printed label found in a text: its key (folded label) and character span."""

    key: str
    start: int
    end: int
    score: float
    # Other labels the same words match as well ('Nai sinh' is one letter from both 'Nơi
    # sinh' and 'Năm sinh'): the form's printed order decides between them (block_form).
    alternatives: tuple[str, ...] = ()


def _threshold(n_chars: int) -> float:
    for most, score in LABEL_THRESHOLDS:
        if n_chars <= most:
            return score
    return LABEL_MIN_SCORE


_TICK_OR_BOX = set("xX☒✓✔☑☐□■[]()")


def _short_label_ok(text: str, tok_end: int) -> bool:
    """Short labels ('Số') only count when a colon follows: the word is common in values."""
    rest = text[tok_end:].lstrip(" .")
    return rest.startswith(":") or rest.startswith(";")


def find_labels(
    text: str, labels: Iterable[str], colon_labels: Iterable[str] = ()
) -> list[LabelHit]:
    """Non-overlapping label occurrences in `text`, left to right.

    At each token position the longest label whose folded letters match the next tokens
    (joined without spaces, so 'Giớitính', 'Nơicưtrú' and 'Nơi cư trú' all match) above a
    length-dependent fuzzy threshold wins; the search then continues after it. Labels in
    `colon_labels` are printed with a colon: an inexact match counts only when a colon
    follows, so a value that looks like a label ('Nguyễn Thanh Ỷ' ~ 'Nguyên nhân chết') is
    not taken for one.
    """
    needs_colon = {fold_words(lb) for lb in colon_labels}
    text = unicodedata.normalize("NFC", text)
    # Longest first, then alphabetical: equal scores break the same way in every process.
    keys = sorted({fold_words(lb) for lb in labels if fold_words(lb)}, key=lambda k: (-len(k), k))
    label_tokens = {k: k.split(" ") for k in keys}
    label_cat = {k: k.replace(" ", "") for k in keys}
    toks = tokenize(text)
    hits: list[LabelHit] = []
    i = 0
    while i < len(toks):
        passing: list[tuple[int, float, str, int]] = []  # (label length, score, key, last token)
        for key in keys:
            cat = label_cat[key]
            n = len(label_tokens[key])
            first = label_tokens[key][0]
            if cat[0] != toks[i].text[0] and fuzz.ratio(toks[i].text, first) < FIRST_WORD_SCORE:
                continue  # a label starts on its first word, not inside a value
            if toks[i].text.isdigit():
                continue
            for j in range(i, min(len(toks), i + n + 1)):
                cand = "".join(t.text for t in toks[i : j + 1])
                if abs(len(cand) - len(cat)) > max(LENGTH_SLACK, len(cat) // LENGTH_SLACK_PARTS):
                    continue
                score = fuzz.ratio(cand, cat)
                colon = _short_label_ok(text, toks[j].end)
                exact = COLON_EXACT_LONG if len(cat) >= COLON_LONG else COLON_EXACT
                if key in needs_colon and not colon and score < exact:
                    continue
                if colon:
                    score = min(100.0, score + COLON_BONUS)
                if len(cat) <= SHORT_LABEL:
                    ok = colon and (
                        cand == cat
                        or (
                            len(cand) == len(cat)
                            and score >= SHORT_LABEL_SCORE
                            and cand[0] == cat[0]
                        )
                    )
                else:
                    ok = score >= _threshold(len(cat))
                if ok:
                    passing.append((len(cat), score, key, j))
        best = None
        if passing:
            # The best score wins; a longer label that extends it ('… tên' → '… tên người mẹ')
            # wins when it scores nearly as well (OCR noise in the extra words).
            best = max(passing, key=lambda p: (p[1], p[0]))
            longer = [
                p
                for p in passing
                if p[1] >= best[1] - LONGER_LABEL_SLACK
                and p[2].startswith(best[2] + " ")
                and p[0] > best[0]
            ]
            if longer:
                best = max(longer, key=lambda p: (p[0], p[1]))
        if best is None:
            i += 1
            continue
        _, score, key, j = best
        alternatives = tuple(
            sorted(
                {
                    p[2]
                    for p in passing
                    if p[3] == j
                    and p[2] != key
                    and p[1] >= score - LOOK_ALIKE_SLACK
                    and not key.startswith(p[2] + " ")
                }
            )
        )
        hits.append(LabelHit(key, toks[i].start, toks[j].end, score, alternatives))
        i = j + 1
    return hits


def strip_value(text: str, *, trailing: bool = True) -> str:
    """A value without the colon and dotted leader lines around it.

    `trailing=False` keeps punctuation at the end: a value continued on the next line keeps
    its comma ('…tỉnh Lâm Đồng,' + 'phường 2 …').
    """
    text = re.sub(r"[.…_]{2,}", " ", text)
    text = text.lstrip(" \t:;,.-_…|")
    text = text.rstrip(" \t:;,.-_…|([") if trailing else text.rstrip(" \t_…|([")
    return " ".join(text.split())


def strip_tick_marks(text: str) -> tuple[str, bool]:
    """Remove a trailing tick-box mark from a value; tell whether the box was ticked."""
    words = text.split()
    ticked = False
    while words and (set(words[-1]) <= _TICK_OR_BOX):
        if set(words[-1]) & set("xX☒✓✔☑"):
            ticked = True
        words.pop()
    return " ".join(words), ticked


def is_tick_mark(text: str) -> bool:
    """'X', '[x]', '☒', '✓': a ticked box as OCR reads it."""
    t = text.replace(" ", "")
    return bool(t) and set(t) <= _TICK_OR_BOX and bool(set(t) & set("xX☒✓✔☑"))
