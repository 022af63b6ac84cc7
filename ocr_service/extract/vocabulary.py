"""The words a register book is written with, as a decoding lexicon (ocr/ctc_beam.Lexicon).

Three local sources, no downloads: the register's own words (registers.json labels, enum and
code-list labels, ethnic groups), dates in words (normalise/date_words.py), and
the administrative units of vietnamadminunits with the institution words of places
(normalise/place_words.py). A scope's confirmed names and places are added by
learning/vocabulary.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from ocr_service.extract.normalise.date_words import date_vocabulary
from ocr_service.extract.normalise.place_words import place_syllables
from ocr_service.extract.spec import load_registers
from ocr_service.ocr.ctc_beam import Lexicon

# Field types whose confirmed values name people and places (registers.json).
NAME_PLACE_TYPES = ("name", "place")


def register_texts(register: str | None = None) -> Iterator[str]:
    """Every Vietnamese label of one register type (all types for None): its names, field
    labels, enum labels, code lists, and the ethnic groups."""
    spec = load_registers()
    types = spec["register_types"]
    for slug, rtype in types.items():
        if register is not None and slug != register:
            continue
        yield rtype["name_vi"]
        yield rtype["book_vi"]
        for fspec in rtype["fields"].values():
            yield fspec.get("label_vi") or ""
            yield from (v for v in (fspec.get("enum") or {}).values() if v)
    for code_list in spec["code_lists"].values():
        yield from code_list["values"].values()
    for group in spec["ethnic_groups"]:
        yield group["name"]
        yield from group.get("variants", [])


@lru_cache(maxsize=8)
def book_lexicon(register: str | None = None) -> Lexicon:
    """What any book of the register is written with, whatever its commune."""
    return Lexicon.of([*register_texts(register), *date_vocabulary(), *place_syllables()])


def name_place_codes(register: str | None = None) -> frozenset[str]:
    """Field codes of names and places (of one register type, or of all)."""
    types = load_registers()["register_types"]
    return frozenset(
        code
        for slug, rtype in types.items()
        if register is None or slug == register
        for code, fspec in rtype["fields"].items()
        if fspec.get("type") in NAME_PLACE_TYPES
    )
