"""Dates written in Vietnamese words ('ngày mồng năm tháng ba …') → dd.mm.yyyy (§6.3)."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fold,
    has_diacritics,
    is_blank,
    title_word,
    vi_distance,
)
from ocr_service.extract.normalise.date_parts import check_full_date, check_partial

# All matching is done on folded tokens: OCR often drops the diacritics, and the folded
# vocabulary stays unambiguous once 'mười'/'mươi' are told apart by position (see _Cardinal).
_UNITS = {
    "khong": 0,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}
_FIVE_AFTER_TENS = {"lam", "nham"}
_TEN = "muoi"  # mười (10) and mươi (×10) fold alike
_ZERO_TENS = {"linh", "le"}
_THOUSAND = {"nghin", "ngan"}
_LUNAR_MONTHS = {"gieng": 1, "chap": 12}
_DAY_PREFIX = {"ngay", "mong", "mung"}
_VOCABULARY = (
    *_UNITS,
    *_FIVE_AFTER_TENS,
    _TEN,
    *_ZERO_TENS,
    *_THOUSAND,
    *_LUNAR_MONTHS,
    *_DAY_PREFIX,
    "tram",
    "ham",
    "thang",
)
_TRAILING_NOISE = ({"am", "lich"}, {"duong", "lich"})


class _Cardinal:
    """Strict recursive-descent reader of a Vietnamese cardinal below 10 000."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> str | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> int | None:
        tokens = self.tokens
        if len(tokens) == 1 and tokens[0].isdigit():
            return int(tokens[0])
        if any(t.isdigit() for t in tokens):
            return None
        total = 0
        seen_any = False
        if self.peek(1) in _THOUSAND and self.peek() in _UNITS:
            total += _UNITS[self.take()] * 1000
            self.take()
            seen_any = True
            # 'hai nghìn linh tám', 'hai nghìn mười', 'hai nghìn hai mươi' omit 'không trăm'.
        if self.peek(1) == "tram" and self.peek() in _UNITS:
            total += _UNITS[self.take()] * 100
            self.take()
            seen_any = True
        tail = self.parse_below_hundred(after_big=seen_any)
        if tail is None:
            return None
        if self.pos != len(tokens):
            return None
        if tail < 0:  # nothing after the big units
            return total if seen_any else None
        return total + tail

    def parse_below_hundred(self, *, after_big: bool) -> int | None:
        """0–99 from the current position; -1 when nothing is left."""
        token = self.peek()
        if token is None:
            return -1
        if token in _ZERO_TENS:
            self.take()
            unit = self.peek()
            if unit in _UNITS and unit != "khong":
                self.take()
                return _UNITS[unit]
            return None
        if token == _TEN:  # 'mười' = 10 (+ units)
            self.take()
            return 10 + self.parse_unit_after_tens(after_ten=True)
        if token == "ham":  # colloquial 'hăm' = 20
            self.take()
            return 20 + self.parse_unit_after_tens(after_ten=False)
        if token in _UNITS:
            self.take()
            value = _UNITS[token]
            if self.peek() == _TEN:  # 'hai mươi' = 20
                self.take()
                if value < 2:
                    return None
                return value * 10 + self.parse_unit_after_tens(after_ten=False)
            if after_big and value != 0:
                # 'hai nghìn tám' reads as 2800, not 2008: refuse rather than guess.
                return None
            return value
        return None

    def parse_unit_after_tens(self, *, after_ten: bool) -> int:
        token = self.peek()
        if token is None:
            return 0
        if token in _FIVE_AFTER_TENS or (token in _UNITS and token != "khong"):
            self.take()
            return 5 if token in _FIVE_AFTER_TENS else _UNITS[token]
        return 0


def read_cardinal(tokens: list[str]) -> int | None:
    """Value of folded number-word tokens, or None when they are not one well-formed number."""
    if not tokens:
        return None
    if len(tokens) == 4 and all(t in _UNITS for t in tokens) and tokens[0] != "khong":
        # Year read digit by digit: 'một chín tám bảy' = 1987.
        return int("".join(str(_UNITS[t]) for t in tokens))
    return _Cardinal(tokens).parse()


def _tokens(raw: str) -> tuple[list[str], bool]:
    """Folded word tokens with misspelt number words repaired; (tokens, repaired?)."""
    text = fold(raw)
    text = re.sub(r"(\d)([a-z])|([a-z])(\d)", r"\1\3 \2\4", text)
    tokens = re.findall(r"[a-z]+|\d+", text)
    repaired = False
    out: list[str] = []
    for token in tokens:
        if token.isdigit() or token in _VOCABULARY or len(token) < 4:
            out.append(token)
            continue
        match = process.extractOne(token, _VOCABULARY, scorer=fuzz.ratio, score_cutoff=80)
        if match is not None:
            out.append(str(match[0]))
            repaired = True
        else:
            out.append(token)
    return out, repaired


def _strip_trailing(tokens: list[str]) -> tuple[list[str], bool]:
    for noise in _TRAILING_NOISE:
        if len(tokens) >= 2 and set(tokens[-2:]) == noise:
            return tokens[:-2], tokens[-2] == "am"
    return tokens, False


def _read_month(tokens: list[str]) -> tuple[int | None, bool]:
    if len(tokens) == 1 and tokens[0] in _LUNAR_MONTHS:
        return _LUNAR_MONTHS[tokens[0]], True
    return read_cardinal(tokens), False


def _finish(
    raw: str, value: str | None, issues: list[str], score: float, candidates: tuple[str, ...] = ()
) -> Normalised:
    if value is None:
        return Normalised(raw, None, False, 0.0, tuple(dict.fromkeys(issues)), candidates)
    if len(value) < 10:
        issues.append("date-partial")
    for issue, penalty in (("date-lunar", 0.3), ("date-words-fuzzy", 0.2)):
        if issue in issues:
            score -= penalty
    return Normalised(raw, value, True, round(score, 3), tuple(dict.fromkeys(issues)), candidates)


def parse_date_words(raw: str) -> Normalised:
    """'ngày mồng năm tháng ba năm một nghìn chín trăm tám mươi bảy' → '05.03.1987'.

    Follows REGISTERS.md §6.3: split at the first 'tháng'; try every later 'năm' as the year
    marker and keep the one split where month is 1–12 and year 1000–2999. Digits may be mixed
    in; missing diacritics are tolerated (score 0.9). 'tháng … năm …' without a day and
    'năm 1968' give partial dates.
    """
    if is_blank(raw):
        return empty_result(raw)
    text = clean_text(raw)
    tokens, repaired = _tokens(text)
    issues: list[str] = ["date-words-fuzzy"] if repaired else []
    tokens, lunar = _strip_trailing(tokens)
    if lunar:
        issues.append("date-lunar")
    score = 1.0 if has_diacritics(text) or not re.search(r"[A-Za-z]", text) else 0.9
    if "thang" not in tokens:
        # Only a year: 'năm 1968', 'năm một nghìn chín trăm sáu mươi tám'.
        if tokens[:1] == ["nam"] and (year := read_cardinal(tokens[1:])) is not None:
            value, bad = check_partial(None, year)
            return _finish(raw, value, [*issues, *bad], score)
        return _finish(raw, None, [*issues, "date-invalid"], score)
    split = tokens.index("thang")
    head = tokens[:split]
    if "ngay" in head:
        head = head[len(head) - head[::-1].index("ngay") :]
    else:
        # No 'ngày': keep from the last day prefix ('mồng') on, dropping leading words.
        starts = [i for i, t in enumerate(head) if t in _DAY_PREFIX]
        head = head[starts[-1] :] if starts else head
    day_tokens = [t for t in head if t not in _DAY_PREFIX]
    rest = tokens[split + 1 :]
    readings: list[tuple[int, int, bool]] = []
    for j, token in enumerate(rest):
        if token != "nam" or j == 0:
            continue
        month, month_lunar = _read_month(rest[:j])
        year = read_cardinal(rest[j + 1 :])
        if month is not None and 1 <= month <= 12 and year is not None and 1000 <= year <= 2999:
            readings.append((month, year, month_lunar))
    if not readings:
        return _finish(raw, None, [*issues, "date-invalid"], score)
    if len({(m, y) for m, y, _ in readings}) > 1:
        candidates = tuple(f"{m:02d}.{y}" for m, y, _ in readings)
        return _finish(raw, None, [*issues, "date-words-ambiguous"], score, candidates)
    month, year, month_lunar = readings[0]
    if month_lunar:
        issues.append("date-lunar")
    if not day_tokens:
        value, bad = check_partial(month, year)
        return _finish(raw, value, [*issues, *bad], score)
    day = read_cardinal(day_tokens)
    if day is None or not 1 <= day <= 31:
        return _finish(raw, None, [*issues, "date-invalid"], score)
    value, bad = check_full_date(day, month, year)
    return _finish(raw, value, [*issues, *bad], score)


def format_date_words(raw: str) -> str:
    """Transcribed words in Title Case for export: 'ngày hai mươi …' → 'Ngày Hai Mươi …'.

    Never regenerated from the numeric date; the book's own word choices are kept.
    """
    text = clean_text(raw).strip(" ,;:")
    return " ".join(title_word(word) for word in text.split(" ")) if text else ""


# The closed vocabulary of date words as books spell them (lower case, NFC). Order breaks ties
# between equally close spellings of the same number ('bay' → 'bảy' rather than 'bẩy').
_WORDS = (
    "ngày",
    "mồng",
    "mùng",
    "tháng",
    "năm",
    "một",
    "mốt",
    "hai",
    "ba",
    "bốn",
    "tư",
    "lăm",
    "nhăm",
    "sáu",
    "bảy",
    "bẩy",
    "tám",
    "chín",
    "mười",
    "mươi",
    "không",
    "trăm",
    "linh",
    "lẻ",
    "nghìn",
    "ngàn",
    "giêng",
    "chạp",
    "hăm",
    "âm",
    "lịch",
    "dương",
    "sinh",  # 'Sinh ngày …': not a date word, listed so it is never snapped to 'linh'
)
_WORD_SET = frozenset(_WORDS)


def date_vocabulary() -> tuple[str, ...]:
    """The words dates are written out with, as written (the beam decoder's lexicon has them)."""
    return _WORDS


# Units that take 'mươi' (×10) after them; 'mười' stands alone or starts the teens.
_TENS_UNITS = {"hai", "ba", "bốn", "năm", "sáu", "bảy", "bẩy", "tám", "chín"}
_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$")


@lru_cache(maxsize=4096)
def _nearest_words(word: str) -> tuple[float, list[str]]:
    """(distance, closest vocabulary words) for one lower-case word."""
    scored = sorted((vi_distance(word, w), i) for i, w in enumerate(_WORDS))
    best = scored[0][0]
    return best, [_WORDS[i] for d, i in scored if d == best]


@lru_cache(maxsize=4096)
def _snap_word(word: str) -> tuple[tuple[str, ...], bool] | None:
    """One OCR word → vocabulary word(s); None when it is not close to the vocabulary.

    Accepted: an exact word; a word that differs only in diacritics; a word of ≥ 2 letters
    one edit (or two diacritics) away ('tóm' → 'tám', 'trănm' → 'trăm'); two vocabulary words
    glued together, each differing in diacritics at most ('thángmười', 'mươibẫy'). Ambiguous
    snaps (several closest words that are not spellings of one number word) are refused.
    """
    if word in _WORD_SET or word.isdigit():
        return (word,), False
    best, closest = _nearest_words(word)
    if fold(word) == fold(closest[0]) or best <= 0.5 or (best <= 1.0 and len(word) >= 2):
        # 'một'/'mốt' and 'mười'/'mươi' ties are settled by grammar later; keep the first.
        if len({fold(w) for w in closest}) == 1:
            return (closest[0],), True
        return None
    for cut in range(2, len(word) - 1):
        left, right = _accent_snap(word[:cut]), _accent_snap(word[cut:])
        if left and right:
            return (left, right), True
    return None


def _accent_snap(word: str) -> str | None:
    """The vocabulary word that differs from `word` in diacritics only (one number word)."""
    if word in _WORD_SET:
        return word
    _, closest = _nearest_words(word)
    if fold(word) == fold(closest[0]) and len({fold(w) for w in closest}) == 1:
        return closest[0]
    return None


def _apply_grammar(words: list[tuple[str, bool]]) -> list[str]:
    """mười/mươi by position (mươi after a tens unit); a misread 'một' after 'mươi' is 'mốt'."""
    out: list[str] = []
    for word, fixed in words:
        prev = out[-1] if out else ""
        if fold(word) == "muoi":
            word = "mươi" if prev in _TENS_UNITS else "mười"
        elif fixed and fold(word) == "mot":
            word = "mốt" if prev == "mươi" else "một"
        out.append(word)
    return out


def correct_date_words(raw: str) -> str | None:
    """The words snapped to the date vocabulary in Title Case, or None when nothing changed.

    Only the OCR reading is repaired ('Thăng' → 'Tháng', 'Thángmười' → 'Tháng Mười', 'Tăm' →
    'Tám'); the book's own choices among correct words ('mồng'/'mùng', 'nghìn'/'ngàn', 'lẻ'/'linh')
    are kept. Callers must check the result still parses as a date.
    """
    text = clean_text(raw).strip(" ,;:")
    if not text:
        return None
    pieces: list[tuple[str, tuple[str, ...], str]] = []
    flags: list[tuple[str, bool]] = []
    changed = False
    for token in text.split(" "):
        m = _EDGE.match(token)
        lead, core, trail = (m.group(1), m.group(2), m.group(3)) if m else ("", token, "")
        snapped = _snap_word(core.lower()) if core else None
        if snapped is None:
            return None  # a word outside the vocabulary: leave the whole reading alone
        words, fixed = snapped
        changed = changed or fixed
        pieces.append((lead, words, trail))
        flags.extend((w, fixed) for w in words)
    flat = _apply_grammar(flags)
    out: list[str] = []
    i = 0
    for lead, words, trail in pieces:
        chunk = flat[i : i + len(words)]
        i += len(words)
        # Stray dots and commas between number words ('Mười. Bảy') are OCR noise, not words.
        out.append(" ".join(title_word(w) for w in chunk))
        changed = changed or bool(lead or trail)
    corrected = " ".join(out)
    if not changed and corrected == format_date_words(raw):
        return None
    return corrected
