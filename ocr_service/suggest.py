"""Suggestions for the review form: ethnic groups, nationalities and administrative units."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz, process, utils

from ocr_service.extract.normalise import fold
from ocr_service.extract.normalise.ethnicity import ethnic_names
from ocr_service.extract.normalise.nationality import COUNTRIES, SPECIAL

KINDS = ("ethnicity", "nationality", "place")


@lru_cache(maxsize=1)
def _places() -> tuple[list[str], list[str]]:
    """'Xã …, Huyện …, Tỉnh …' for every commune (63-province units), plus every province."""
    from vietnamadminunits.database import query

    names: list[str] = []
    seen: set[str] = set()
    for row in query("SELECT DISTINCT ward, district, province FROM [admin_units_legacy]"):
        for text in (
            f"{row['ward']}, {row['district']}, {row['province']}",
            f"{row['district']}, {row['province']}",
            row["province"],
        ):
            if text not in seen:
                seen.add(text)
                names.append(text)
    return names, [fold(n) for n in names]


@lru_cache(maxsize=4)
def _choices(kind: str) -> tuple[list[str], list[str]]:
    if kind == "ethnicity":
        names = list(ethnic_names())
    elif kind == "nationality":
        names = [*COUNTRIES, *SPECIAL]
    else:
        return _places()
    return names, [fold(n) for n in names]


def suggest(kind: str, text: str, limit: int = 8) -> list[str]:
    names, folded = _choices(kind)
    q = fold(text or "")
    if not q:
        return names[:limit] if kind != "place" else []
    starts = [names[i] for i, f in enumerate(folded) if f.startswith(q)]
    if len(starts) >= limit:
        return starts[:limit]
    # Addresses are typed in any order and in part: every typed word present scores 100,
    # and among equals the shorter (the unit itself rather than its sub-units) comes first.
    scorer = fuzz.token_set_ratio if kind == "place" else fuzz.ratio
    found = process.extract(
        q, folded, scorer=scorer, processor=utils.default_process, limit=None, score_cutoff=55
    )
    found.sort(key=lambda m: (-m[1], len(names[m[2]])))
    out = list(starts)
    for _, _, i in found:
        if names[i] not in out:
            out.append(names[i])
    return out[:limit]
