"""Ethnicity: the 54 groups of registers.json by folded name or variant, fuzzy for OCR misses."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from ocr_service.extract.normalise.base import (
    Normalised,
    clean_text,
    empty_result,
    fold_key,
    is_blank,
    load_registers,
)

# Candidates offered for the ambiguous aliases of ethnic_group_rules (reviewer decides).
_AMBIGUOUS_CANDIDATES: dict[str, tuple[str, ...]] = {
    "Thổ": ("Thổ", "Tày", "Khơ-me"),
    "Mán": ("Dao", "Sán Dìu"),
    "Miên": ("Khơ-me", "Dao"),
    "Mọi": (),
    "Xá": ("Khơ-mú", "Kháng", "Xinh-mun", "Mảng", "La Ha"),
}
_PREFIX = re.compile(r"^\s*(d[aâ]n\s*t[oộ]c|dt\.?|d\.t\.?)\s*[:.\-]?\s*", re.IGNORECASE)


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, str]]:
    """(folded key → (name, code), ambiguous key → alias, special key → special value)."""
    data = load_registers()
    names: dict[str, tuple[str, str]] = {}
    for group in data["ethnic_groups"]:
        for spelling in (group["name"], *group.get("variants", [])):
            names[fold_key(spelling)] = (group["name"], group["code"])
    rules = data["ethnic_group_rules"]
    ambiguous = {fold_key(alias): alias for alias in rules["ambiguous_aliases"]}
    special = {fold_key(value): value for value in rules["special_values"]}
    return names, ambiguous, special


def ethnic_names() -> tuple[str, ...]:
    """The 54 export names in code order."""
    return tuple(g["name"] for g in load_registers()["ethnic_groups"])


def normalise_ethnicity(raw: str) -> Normalised:
    """'dân tộc Kinh' / 'KINH (Việt)' / 'Hmông' / 'Ede' → the registers.json name ('Kinh', 'HMông').

    extra['code'] is the 01–54 code of registers.json (codes differ between sources: validate by
    name). Ambiguous aliases ('Mán', 'Miên', …) are not mapped silently.
    """
    if is_blank(raw):
        return empty_result(raw)
    text = _PREFIX.sub("", clean_text(raw)).strip(" .,;:")
    names, ambiguous, special = _index()
    key = fold_key(text)
    if key in ambiguous:
        alias = ambiguous[key]
        candidates = _AMBIGUOUS_CANDIDATES.get(alias, ())
        if alias == "Thổ":  # REGISTERS.md §5: keep group 24, raise a warning.
            return Normalised(
                raw, "Thổ", True, 0.7, ("ethnicity-ambiguous",), candidates, {"code": "24"}
            )
        return Normalised(raw, None, False, 0.0, ("ethnicity-ambiguous",), candidates)
    if key in special:
        return Normalised(raw, special[key], True, 0.9, ("ethnicity-special",))
    if key in names:
        name, code = names[key]
        exact = text == name or text.lower() == name.lower()
        return Normalised(raw, name, True, 1.0 if exact else 0.95, (), (), {"code": code})
    if not key:
        return empty_result(raw)
    matches = process.extract(key, list(names), scorer=fuzz.ratio, limit=6, score_cutoff=65)
    ranked: list[tuple[str, float]] = []
    for spelling, similarity, _ in matches:
        name = names[spelling][0]
        if name not in [n for n, _ in ranked]:
            ranked.append((name, similarity))
    candidates = tuple(name for name, _ in ranked)
    if ranked and len(key) >= 3:
        best_name, best = ranked[0]
        clear = len(ranked) == 1 or best - ranked[1][1] >= 8
        if best >= 75 and clear:
            code = next(c for n, c in names.values() if n == best_name)
            return Normalised(
                raw,
                best_name,
                True,
                round(best / 100 * 0.8, 3),
                ("ethnicity-fuzzy",),
                candidates,
                {"code": code},
            )
    return Normalised(raw, None, False, 0.0, ("ethnicity-unknown",), candidates)
