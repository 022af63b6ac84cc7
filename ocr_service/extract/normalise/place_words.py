"""OCR repair of places: unit words, institution words and real unit names snapped when close."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ocr_service.extract.normalise.base import fold, strip_marks, vi_distance

# Administrative-unit words as written inside addresses (lower case), longest first.
UNIT_WORDS = ("thành phố", "thị trấn", "thị xã", "phường", "huyện", "quận", "tỉnh", "xã")
# Institution and hamlet wording found in places; snapped when the words differ from these in
# diacritics alone ('Trạm y tể' → 'Trạm y tế', 'Xôm 4' → 'Xóm 4'), long ones also when run
# together or one letter off at the start of a segment ('Tromy tế' → 'Trạm y tế').
PHRASES = (
    "Trạm y tế",
    "Trung tâm y tế",
    "Bệnh viện",
    "đa khoa",
    "Công an",
    "Ủy ban nhân dân",
    "Nhà hộ sinh",
    "Phụ sản",
    "Tại nhà",
    "Thôn",
    "Xóm",
    "Khu phố",
)
# Issuing authorities of identity documents written as a whole place (closed list): a reading
# within two edits of exactly one of them is that authority ('Cục Cảnh sát QHC về TTXH').
AUTHORITIES = (
    "Cục Cảnh sát QLHC về TTXH",
    "Cục CS QLHC về TTXH",
    "Cục Cảnh sát ĐKQL cư trú và DLQG về dân cư",
    "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    "Bộ Công an",
)
_LEVELS = ("province", "district", "ward")


@dataclass(frozen=True)
class _Unit:
    """One unit of the 63-province list: its unit word, its name and its parent's full name."""

    word: str  # 'tỉnh', 'thành phố', 'huyện' … (lower case)
    name: str  # 'Phú Thọ'
    parent: str  # full name of the parent ('' for provinces)
    full: str  # 'Tỉnh Phú Thọ'


def _key(text: str) -> str:
    """Lower-case NFC letters without spaces: 'ThanhThủy' and 'Thanh Thủy' compare equal."""
    return re.sub(r"[\s\-]+", "", unicodedata.normalize("NFC", text).lower())


def _split_full(full: str) -> tuple[str, str]:
    for word in UNIT_WORDS:
        if full.lower().startswith(word + " "):
            return word, full[len(word) + 1 :]
    return "", full


@lru_cache(maxsize=1)
def _units() -> dict[str, tuple[_Unit, ...]]:
    """Provinces, districts and wards of vietnamadminunits (legacy, 63 provinces)."""
    from vietnamadminunits.database.main import get_data

    rows = get_data(fields=["province", "district", "ward"], table="admin_units_legacy")
    found: dict[str, set[_Unit]] = {level: set() for level in _LEVELS}
    for row in rows:
        parents = {"province": "", "district": row["province"], "ward": row["district"]}
        for level in _LEVELS:
            full = row[level]
            if not full:
                continue
            word, name = _split_full(full)
            if word:
                found[level].add(_Unit(word, name, parents[level] or "", full))
    return {level: tuple(sorted(units, key=lambda u: u.full)) for level, units in found.items()}


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every lower-case word of unit names, unit words and institution words."""
    words: set[str] = set()
    for units in _units().values():
        for unit in units:
            words.update(unit.name.lower().split())
    for phrase in (*UNIT_WORDS, *PHRASES):
        words.update(phrase.lower().split())
    return frozenset(words)


def place_syllables() -> frozenset[str]:
    """Every lower-case word of administrative unit names, unit words and institution words
    (what a place in a register is written with): one vocabulary of the beam decoder."""
    return _syllables()


def _match_case(model: str, word: str) -> str:
    """`word` with the case of `model`'s first letter (the book's case is kept)."""
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word[:1].lower() + word[1:]


def _split_glued(word: str) -> list[str]:
    """'ThanhThủy' → ['Thanh', 'Thủy'], 'tỉnhThái' → ['tỉnh', 'Thái'], 'Khêatỉnh' → ['Khê', ',',
    'tỉnh']: only when every piece is a known word (a stray letter may stand for ', ')."""
    syllables = _syllables()
    if word.lower() in syllables or len(word) < 4:
        return [word]
    for i in range(2, len(word) - 1):
        if not (word[i].isupper() and word[i - 1].islower()):
            continue
        left, right = word[:i], word[i:]
        if left.lower() in syllables and right.lower() in syllables:
            return [left, right]
    lower = word.lower()
    for unit in ("tỉnh", "huyện", "quận", "phường"):
        if lower.endswith(unit) and len(lower) > len(unit) + 1:
            head = word[: -len(unit)]
            for cut in (head, head[:-1]):
                if cut.lower() in syllables and len(cut) >= 2:
                    return [cut, ",", word[-len(unit) :]]
    return [word]


def _split_words(text: str) -> list[list[str]]:
    """Comma-separated segments of words, glued words split."""
    segments: list[list[str]] = [[]]
    for token in re.findall(r"[^\s,]+|,", text):
        for piece in _split_glued(token) if token != "," else [","]:
            if piece == ",":
                segments.append([])
            else:
                segments[-1].append(piece)
    return [s for s in segments if s]


def _fix_phrases(words: list[str]) -> tuple[list[str], bool]:
    """Institution / hamlet words misread: differing from PHRASES in diacritics only, or (for
    long phrases opening the segment) one edit away with spaces lost ('Trạmy tế', 'Tromy tế')."""
    out = list(words)
    changed = False
    for phrase in PHRASES:
        target = phrase.split(" ")
        n = len(target)
        # One-word hamlet words only open a segment; longer phrases may stand anywhere.
        starts = range(len(out) - n + 1) if n > 1 else range(min(1, len(out)))
        for i in starts:
            chunk = out[i : i + n]
            if [fold(w) for w in chunk] != [fold(t) for t in target]:
                continue
            fixed = [
                _match_case(w, t) if w.lower() != t.lower() else w
                for w, t in zip(chunk, target, strict=True)
            ]
            if fixed != chunk:
                out[i : i + n] = fixed
                changed = True
        key = _key(phrase)
        # The same words in the book's own case ('Trạm Y tế') are no misreading.
        if n == 1 or len(key) < 7 or [w.lower() for w in out[:n]] == [t.lower() for t in target]:
            continue
        # Spaces lost or added: compare the opening words run together.
        for size in range(max(1, n - 1), n + 2):
            if size > len(out) - 1:
                break
            if vi_distance(_key("".join(out[:size])), key) <= 1.0:
                out[:size] = [_match_case(out[0], target[0]), *target[1:]]
                changed = True
                break
    return out, changed


@lru_cache(maxsize=2048)
def _candidates(level: str, parent: str | None) -> tuple[tuple[str, ...], tuple[_Unit, ...]]:
    """(folded keys, units) of a level, within one parent unit when it is known."""
    units = _units()[level]
    if parent is None:
        units = units if level != "ward" else ()
    else:
        units = _children()[level].get(parent, ())
    return tuple(strip_marks(_key(u.name)) for u in units), units


@lru_cache(maxsize=1)
def _children() -> dict[str, dict[str, tuple[_Unit, ...]]]:
    """level → parent's full name → its units (built once: a lookup per field stays cheap)."""
    index: dict[str, dict[str, list[_Unit]]] = {level: {} for level in _LEVELS}
    for level, units in _units().items():
        for unit in units:
            index[level].setdefault(unit.parent, []).append(unit)
    return {level: {p: tuple(us) for p, us in kids.items()} for level, kids in index.items()}


@lru_cache(maxsize=8192)
def _best_name(name: str, level: str, parent: str | None) -> tuple[_Unit, float] | None:
    """The one unit whose name is closest to `name` (unique, within the level's tolerance)."""
    key = _key(name)
    folded_keys, pool = _candidates(level, parent)
    if not pool or len(key) < 3:
        return None
    # Few candidates (63 provinces, the districts of one province, the wards of one district)
    # allow a looser match; the runner-up must be clearly worse.
    limit = 2.0 if level == "province" and len(key) >= 6 else 1.5 if parent else 1.0
    if len(key) < 5:
        limit = min(limit, 0.5 if parent is None else 1.0)
    # The accent-free distance never exceeds vi_distance: a cheap filter over the pool.
    near = process.extract(
        strip_marks(key),
        folded_keys,
        scorer=Levenshtein.distance,
        score_cutoff=int(limit) + 1,
        limit=None,
    )
    scored = sorted((vi_distance(key, _key(pool[i].name)), i) for _, _, i in near)
    if not scored:
        return None
    best, index = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 99.0
    if best == 0 or (best <= limit and runner_up >= best + 1.0):
        return pool[index], best
    return None


def _unit_word_distance(words: list[str], unit_word: str) -> float:
    return vi_distance(" ".join(words), unit_word)


def _resolve_segment(
    words: list[str], parents: dict[str, str], *, opens_place: bool = False
) -> tuple[list[str], str, _Unit, int] | None:
    """(fixed words, level, unit, index of the unit word) when the segment ends with
    '<unit word> <known unit name>'."""
    best: tuple[float, list[str], str, _Unit, int] | None = None
    for level in _LEVELS:
        parent = None
        if level == "district":
            parent = parents.get("province")
        elif level == "ward":
            parent = parents.get("district")
            if parent is None:
                continue
        for size in range(1, min(4, len(words) - 1) + 1):
            name_words = words[len(words) - size :]
            hit = _best_name(" ".join(name_words), level, parent)
            if hit is None:
                continue
            unit, name_cost = hit
            n_unit = len(unit.word.split(" "))
            start = len(words) - size - n_unit
            if start < 0:
                continue
            written = words[start : len(words) - size]
            unit_cost = _unit_word_distance(written, unit.word)
            # A badly damaged unit word ('anh', 'Lình' for 'tỉnh') is accepted only before a
            # near-exact province name: 'Ấp' or 'Tổ' before a commune's name stay as written.
            near = level == "province" and name_cost <= 0.5
            if unit_cost > (2.0 if near else 1.0):
                continue
            if unit_cost > 0.5 and len(strip_marks(" ".join(written))) > len(unit.word) + 2:
                continue
            cost = name_cost + unit_cost
            if best is None or cost < best[0]:
                new_unit = unit.word.split(" ")
                # Unit words are lower case inside a place; a misread one is capitalised only
                # where it opens the place (the case of a misread letter tells nothing).
                if opens_place and start == 0 and written[0][:1].isupper():
                    new_unit[0] = new_unit[0][:1].upper() + new_unit[0][1:]
                fixed_unit = written if unit_cost == 0 else new_unit
                written_name = " ".join(name_words)
                # Exactly the name (or the name in capitals, as some books write it): kept.
                kept = written_name == unit.name or (
                    written_name.isupper() and written_name == unit.name.upper()
                )
                fixed_name = name_words if kept else unit.name.split(" ")
                best = (cost, [*words[:start], *fixed_unit, *fixed_name], level, unit, start)
    if best is None:
        return None
    return best[1], best[2], best[3], best[4]


def _authority(text: str) -> str | None:
    """The AUTHORITIES entry the whole text is a reading of, if exactly one is close."""
    key = _key(text)
    if len(key) < 8:
        return None
    scored = sorted((vi_distance(key, _key(a)), a) for a in AUTHORITIES)
    best, name = scored[0]
    limit = 0.0 if len(key) < 12 else 2.0
    if text.lower() == name.lower() and not any(_odd_case(w) for w in text.split(" ")):
        return text  # the same words, in the book's own case ('Bộ Công An')
    if best <= limit and scored[1][0] >= best + 2.0:
        return name
    return None


def _odd_case(word: str) -> bool:
    """A capital after a small letter inside a word ('vỀ', 'MiL'): an OCR case slip."""
    return any(b.isupper() and a.islower() for a, b in pairwise(word))


@lru_cache(maxsize=4096)
def correct_place(text: str) -> tuple[str, bool]:
    """(text with OCR misreadings of unit / institution words and unit names repaired, changed?).

    `text` is a cleaned place ('a, b, c'). Unit names are snapped only to real units of the
    63-province list, level by level from the province down (a district only within the
    province found, a ward only within the district found), and only when one unit is clearly
    the closest; anything else is left exactly as read.
    """
    authority = _authority(text)
    if authority is not None:
        return authority, authority != text
    segments = _split_words(text)
    # A unit word cut off by a stray comma ('tình, Phú Thọ') rejoins its name.
    merged: list[list[str]] = []
    for seg in segments:
        if merged and len(merged[-1]) >= 1 and _resolve_segment(seg, {}) is None:
            joined = _resolve_segment([merged[-1][-1], *seg], {})
            if joined is not None and joined[3] == 0:
                merged[-1] = [*merged[-1], *seg]
                continue
        merged.append(seg)
    parents: dict[str, str] = {}
    fixed_segments: list[list[str]] = []
    for i in range(len(merged) - 1, -1, -1):
        words, _ = _fix_phrases(merged[i])
        pieces: list[list[str]] = []
        # A lost comma ('xã Hong Lung Huyện Cẩm Khê'): the words before a resolved unit are
        # tried as the next unit down and become a segment of their own when they are one.
        while words:
            resolved = _resolve_segment(words, parents, opens_place=i == 0)
            if resolved is None:
                break
            repaired, level, unit, start = resolved
            parents[level] = unit.full
            if level == "district" and "province" not in parents:
                parents["province"] = unit.parent
            pieces.insert(0, repaired[start:])
            words = repaired[:start]
            below = _LEVELS[_LEVELS.index(level) + 1 :]
            if len(words) < 2 or not below:
                break
            trial = _resolve_segment(words, parents, opens_place=i == 0)
            if trial is None or trial[1] not in below:
                break
        if words and pieces:
            pieces[0] = [*words, *pieces[0]]  # 'Trạm y tế' and the like stay in front
        elif words:
            pieces = [words]
        fixed_segments[:0] = pieces
    fixed = ", ".join(" ".join(seg) for seg in fixed_segments)
    return fixed, fixed != text
