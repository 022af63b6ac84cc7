"""Personal names: NFC, single spaces, Title Case, every diacritic kept (REGISTERS.md §6.5)."""

from __future__ import annotations

import re

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fold,
    is_blank,
    title_word,
    tone_key,
)

_ALLOWED_PUNCT = set(" -'’().,")  # hyphens, apostrophes (H'Nhi), brackets and 'tức' forms
_CONNECTIVES = {"tuc", "(tuc"}  # alias forms ('… tức …') stay lower case


def _case_word(word: str) -> str:
    """Title-case an all-upper / all-lower word; keep deliberate mixed case ('McDonald')."""
    pieces = re.split(r"([-'’(])", word)
    out = []
    for piece in pieces:
        letters = [ch for ch in piece if ch.isalpha()]
        mixed = any(ch.isupper() for ch in letters[1:]) and any(ch.islower() for ch in letters)
        out.append(piece if mixed and piece[:1].isupper() else title_word(piece))
    return "".join(out)


def normalise_name(raw: str, *, upper: bool = False) -> Normalised:
    """'NGUYỄN  THỊ thu hương' → 'Nguyễn Thị Thu Hương'; upper=True gives the CA upper-case style.

    Spelling and tone-mark placement are kept as read (tôn trọng sổ gốc); only case and spacing
    change. Digits or stray symbols make the result not ok (likely OCR damage).
    """
    if is_blank(raw):
        return empty_result(raw)
    text = clean_text(raw).strip(" ,.;:")
    text = re.sub(r"\s*-\s*", "-", text) if re.search(r"\w-\s|\s-\w", text) else text
    value = " ".join(
        w.lower() if fold(w) in _CONNECTIVES else _case_word(w) for w in text.split(" ")
    )
    if upper:
        value = value.upper()
    issues: list[str] = []
    score = 1.0
    if any(ch.isdigit() for ch in value):
        issues.append("name-digits")
    if any(not (ch.isalpha() or ch in _ALLOWED_PUNCT) for ch in value):
        issues.append("name-chars")
    if len(value.split(" ")) == 1:
        issues.append("name-single-word")
        score = 0.7
    ok = not ({"name-digits", "name-chars"} & set(issues))
    if not ok:
        score = 0.3
    return Normalised(raw=raw, value=value, ok=ok, score=score, issues=tuple(issues))


def names_equal(a: str, b: str) -> bool:
    """Same name up to case, spacing, NFC and old/new tone placement ('Hoà' == 'Hòa').

    Different tones or vowels stay different: 'Hoa' != 'Hòa', 'Thu' != 'Thư'.
    """
    return tone_key(a) == tone_key(b)
