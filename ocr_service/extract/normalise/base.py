"""Shared pieces of the value normalisers: the result type, text folding and registers.json."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from models.registers import FieldSpec, RegistersSpec, load_spec

# Issue codes a normaliser may emit (machine-readable; the review UI shows them in Vietnamese:
# ISSUE_VI in review_ui/js/labels.js, checked by tests/test_ui_issue_labels.py).
ISSUES = {
    "empty": "nothing usable was read",
    "ocr-digit-fixed": "letters read in a digit context were turned into digits (O→0, l→1 …)",
    "date-invalid": "not a calendar date (e.g. 31.02) or unparseable",
    "date-partial": "only month+year or year is given",
    "date-incomplete": "a full date is required but only a partial date is given",
    "date-out-of-range": "year before 1800 or date after today",
    "date-excel-serial": "an Excel serial number was converted (1900 date system)",
    "date-compact": "digits without separators were split into day, month, year",
    "date-extra-text": "text before the date (other words, a crossed-out date) was dropped",
    "date-iso": "year-first input was reordered",
    "date-lunar": "lunar-calendar month word (giêng/chạp) or 'âm lịch' present",
    "date-words-fuzzy": "a misspelt number word was matched to the vocabulary",
    "date-words-ambiguous": "more than one reading of the words is possible",
    "date-words-corrected": "misread words snapped to the closed vocabulary of date words",
    "year-2digit": "two-digit year: century not guessed, see candidates",
    "name-digits": "a personal name contains digits",
    "name-chars": "a personal name contains unexpected characters",
    "name-single-word": "a personal name of one word",
    "enum-unknown": "no label of the code list matches",
    "enum-fuzzy": "label matched approximately",
    "enum-multiple": "several options are ticked",
    "enum-default": "nothing given: the code list's documented default was used",
    "enum-other": "no listed document type matched: 'Giấy tờ khác' (text in extra)",
    "ethnicity-unknown": "not one of the 54 groups or their variants",
    "ethnicity-fuzzy": "ethnic group matched approximately",
    "ethnicity-ambiguous": "alias used for several groups: reviewer decides",
    "ethnicity-special": "special value (Người nước ngoài, Khác, Không xác định)",
    "nationality-unknown": "country name not in the list",
    "nationality-fuzzy": "country matched approximately",
    "nationality-special": "special value (Không quốc tịch, Không xác định)",
    "place-unit-unknown": "no Vietnamese administrative unit recognised",
    "place-corrected": "misread unit / institution words or unit names were snapped to known ones",
    "province-inferred": "province inferred without its unit word (tỉnh/thành phố)",
    "province-historical": "province name no longer in use (kept as written)",
    "id-length": "identity number has the wrong number of digits",
    "id-chars": "identity number contains characters other than digits",
    "id-province-code": "first three digits are not a province code",
    "so-year-derived": "year added from the registration date",
    "so-year-missing": "no year and no hint to complete it",
    "so-year-mismatch": "year differs from the hint",
    "so-year-2digit": "two-digit year expanded with the hint",
    "so-extra-text": "text beyond <number>/<year> was dropped",
    "so-invalid": "no number found",
    "quyenso-cover-style": "cover style '01-TP/HT-2015-CMC' reduced to '01/2015'",
    "quyenso-year-derived": "book year added from the hint",
    "quyenso-year-missing": "no book year and no hint to complete it",
    "quyenso-year-mismatch": "book year differs from the hint",
    "quyenso-year-2digit": "two-digit book year expanded with the hint",
    "number-invalid": "not a non-negative integer",
    "time-invalid": "not a clock time",
    "time-12h": "12-hour wording (sáng/chiều/tối) converted to 24 h",
    "ditto": 'a ditto mark (") in the book: the value of the row above was copied',
    "ditto-unresolved": "a ditto mark with no row above it on the page: see the previous page",
}

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_PLACEHOLDERS = {"-", "--", "null", "none", "/"}


@dataclass(frozen=True)
class Normalised:
    """One field value: as read, normalised for export, and how sure we are."""

    raw: str
    value: str | None
    ok: bool
    score: float
    issues: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


def empty_result(raw: str) -> Normalised:
    return Normalised(raw=raw, value=None, ok=False, score=0.0, issues=("empty",))


def clean_text(text: str) -> str:
    """NFC, whitespace collapsed, no leading/trailing space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def is_blank(text: str) -> bool:
    """True for empty text and the placeholders REGISTERS.md §6.1 forbids ('-', 'null', ', , ,')."""
    stripped = clean_text(text).strip(" ,.;:-_–—")
    return not stripped or stripped.lower() in _PLACEHOLDERS


def strip_marks(text: str) -> str:
    """Drop every combining mark after NFD and map đ/Đ (and the look-alike Ð) to d/D."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("Ð", "D").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Accent- and case-insensitive form (đ→d), whitespace collapsed: 'Đúng  Hạn' → 'dung han'."""
    return " ".join(strip_marks(unicodedata.normalize("NFKC", text)).lower().split())


def fold_key(text: str) -> str:
    """fold() without spaces, hyphens, apostrophes or other punctuation: list-lookup key."""
    return re.sub(r"[^0-9a-z]+", "", fold(text))


def vi_distance(a: str, b: str) -> float:
    """Edit distance where a diacritic-only difference costs 0.5 and any other edit 1.

    'tể' / 'tế' → 0.5, 'Lình' / 'tỉnh' → 1.5; case is ignored. Used to snap OCR misreadings to
    a closed vocabulary.
    """
    a_l, b_l = unicodedata.normalize("NFC", a).lower(), unicodedata.normalize("NFC", b).lower()
    plain = Levenshtein.distance(strip_marks(a_l), strip_marks(b_l))
    marked = Levenshtein.distance(a_l, b_l)
    return plain + 0.5 * max(0, marked - plain)


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (OCR often drops them all)."""
    return strip_marks(text) != text


def tone_key(text: str) -> str:
    """Lower-case NFC text with each word's tone mark moved to its end.

    Makes old and new tone placement compare equal ('hoà' == 'hòa', 'thuý' == 'thúy') while
    keeping tone and vowel-shape differences ('Hoa' != 'Hòa', 'Thu' != 'Thư').
    """
    words = []
    for word in clean_text(text).lower().split(" "):
        decomposed = unicodedata.normalize("NFD", word)
        tones = [ch for ch in decomposed if ch in _TONE_MARKS]
        base = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
        words.append(unicodedata.normalize("NFC", base) + "".join(sorted(tones)))
    return " ".join(words)


def title_word(word: str) -> str:
    """First letter upper, the rest lower, per hyphen/apostrophe-free word ('NGUYỄN' → 'Nguyễn')."""
    return word[:1].upper() + word[1:].lower()


# Letters OCR engines read for digits; only applied inside tokens that already hold a digit.
_DIGIT_LOOKALIKES = {
    "O": "0",
    "o": "0",
    "Q": "0",
    "D": "0",
    "Ø": "0",
    "l": "1",
    "I": "1",
    "i": "1",
    "|": "1",
    "!": "1",
    "]": "1",
    "S": "5",
    "s": "5",
    "B": "8",
    "Z": "2",
    "z": "2",
    "g": "9",
    "q": "9",
    "G": "6",
    "b": "6",
    "T": "7",
}


def fix_digit_lookalikes(text: str, separators: str = "./- ,") -> tuple[str, bool]:
    """Replace digit look-alikes inside tokens that contain a digit and nothing but look-alikes.

    Returns (fixed text, changed?). Tokens are split at `separators` so 'O5/O3/2OO8' is fixed
    token by token, while words such as 'ngày' or 'Số' are left alone.
    """
    pattern = "([" + re.escape(separators) + "]+)"
    parts = re.split(pattern, text)
    changed = False
    for i, part in enumerate(parts):
        if not part or i % 2 == 1:
            continue
        if not any(ch.isdigit() for ch in part):
            continue
        if all(ch.isdigit() or ch in _DIGIT_LOOKALIKES for ch in part):
            fixed = "".join(_DIGIT_LOOKALIKES.get(ch, ch) for ch in part)
            if fixed != part:
                parts[i] = fixed
                changed = True
    return "".join(parts), changed


def load_registers() -> RegistersSpec:
    """registers.json, parsed once per process (shared with models.registers)."""
    return load_spec()


def field_spec(register: str, code: str) -> FieldSpec:
    """register_types[register].fields[code]; KeyError names what is unknown."""
    types = load_registers()["register_types"]
    if register not in types:
        raise KeyError(f"unknown register {register!r}")
    fields = types[register]["fields"]
    if code not in fields:
        raise KeyError(f"unknown field {code!r} for register {register!r}")
    return fields[code]


def code_list(name: str) -> dict[str, str]:
    """code → label of a code list in registers.json."""
    values = load_registers()["code_lists"][name]["values"]
    return {str(k): str(v) for k, v in values.items()}
