"""The words a register book is written with, as a decoding lexicon (ocr/ctc_beam.Lexicon).

Three local sources, no downloads: the register's own words (registers.json labels, enum and
code-list labels, ethnic groups), dates in words (normalise/date_words.py), and
the administrative units of vietnamadminunits with the institution words of places
(normalise/place_words.py). A scope's confirmed names and places are added by
learning/vocabulary.py.

A value written from a list (gender, ethnic group, nationality), in the words of a date or of
a kinship ('Con trai', 'Bố đẻ') is
read again, after its label, with a closed lexicon (label_lexicons): the list's words, the
words of the register's labels (a label read into the value's part stays a label), and
CLOSED_NATS against any other run of letters; that reading is kept only where it spells one
of the list's entries (any run of a date's words). The recogniser still decides: only readings
it found plausible are tried (ocr/ctc_beam.py), so a value outside the list is read as written.

A place after its label (label_repairs) whose words the places' vocabulary repairs
(normalise/places.repair_place: 'huyện Đắk Mit' → 'huyện Đắk Mil') is read again toward the
repaired wording in the same way, kept only where the recogniser spells it whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from ocr_service.extract.normalise.date_words import date_vocabulary
from ocr_service.extract.normalise.nationality import COUNTRIES, SPECIAL
from ocr_service.extract.normalise.place_words import place_syllables
from ocr_service.extract.normalise.places import repair_place
from ocr_service.extract.spec import load_registers
from ocr_service.ocr.ctc_beam import Lexicon, Repair, label_key

# Field types whose confirmed values name people and places (registers.json).
NAME_PLACE_TYPES = ("name", "place")
# Nats against a letter run outside a closed lexicon (a list value, a date's words); chosen
# on the tuning books (docs/BENCHMARKS.md, seventeenth session).
CLOSED_NATS = 6.0
# A place's value read again toward its repaired wording (label_repairs): the vocabulary of
# normalise/place_words.correct_place (units of the 63-province list, institution words,
# issuing authorities).
PLACE_REPAIR = Repair("places: normalise/places.repair_place", CLOSED_NATS, repair_place)


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


# The words of a kinship ('Quan hệ với người chết: Con trai', 'Cháu nội', 'Bố đẻ') and of the
# other standings a requester signs in ('Người được ủy quyền', 'Người giám hộ'): Vietnamese
# kinship terms, northern and southern, not the generator's list.
KINSHIP_WORDS = (
    "cha mẹ bố má ba thầy ông bà cụ anh chị em con cháu chắt chút chít chú bác cô dì cậu mợ "
    "thím dượng vợ chồng nội ngoại ruột đẻ nuôi kế trai gái dâu rể họ cả út "
    "người được ủy quyền giám hộ đại diện thân nhân"
)
KINSHIP = KINSHIP_WORDS.split()


def closed_values(fspec: Mapping[str, Any]) -> list[str] | None:
    """The words a field's value is written from, if it is a closed set (None: free text)."""
    spec = load_registers()
    ftype = fspec.get("type")
    if ftype == "date-words":
        return list(date_vocabulary())
    if ftype == "text" and label_key(fspec.get("label_vi") or "").startswith("quan he voi"):
        return list(KINSHIP)
    if ftype == "enum" and fspec.get("code_list"):
        return [v for v in spec["code_lists"][fspec["code_list"]]["values"].values() if v]
    if ftype == "list" and fspec.get("list") == "ethnic_groups":
        groups = spec["ethnic_groups"]
        return [w for g in groups for w in (g["name"], *g.get("variants", []))]
    if ftype == "list" and fspec.get("list") == "countries":
        return [w for name, aliases in COUNTRIES.items() for w in (name, *aliases)] + [*SPECIAL]
    return None


def _page_fields(register: str | None) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """(code, spec, label) of the fields read off the page by a printed label, of one
    register type (all types for None)."""
    for slug, rtype in load_registers()["register_types"].items():
        if register is not None and slug != register:
            continue
        for code, fspec in rtype["fields"].items():
            label = fspec.get("label_vi")
            if label and fspec.get("origin") == "page":
                yield code, fspec, label


def label_lexicons(register: str | None = None) -> tuple[tuple[str, Lexicon], ...]:
    """Closed lexicons by the label (label_key) their value follows on the page: the labels
    of page fields whose every field is a closed set (a label shared with a free-text field,
    'Giấy tờ tùy thân', is left open); a relationship ('Quan hệ với người chết') is written
    with the words of a kinship (KINSHIP)."""
    closed: dict[str, list[str]] = {}
    # Labels of dates in words and kinships: their words combine freely.
    wordings: set[str] = set()
    open_labels: set[str] = set()
    label_words: list[str] = []
    for _, fspec, label in _page_fields(register):
        label_words.append(label)
        values = closed_values(fspec)
        key = label_key(label)
        if values is None:
            open_labels.add(key)
        else:
            closed.setdefault(key, []).extend(values)
            if fspec.get("type") in ("date-words", "text"):
                wordings.add(key)
    # A list's entries are phrases (a value spells one); a date's words, words only, and
    # the labels' words never spell a value.
    return tuple(
        (
            key,
            Lexicon.wording(values, label_words, CLOSED_NATS)
            if key in wordings
            else Lexicon.listing(values, label_words, CLOSED_NATS),
        )
        for key, values in sorted(closed.items())
        if key not in open_labels
    )


def label_repairs(register: str | None = None) -> tuple[tuple[str, Repair], ...]:
    """The places' repair (PLACE_REPAIR) by the label (label_key) their value follows on the
    page: the labels of page fields that are all places ('Nơi cư trú', 'Nơi cấp', …)."""
    places: set[str] = set()
    others: set[str] = set()
    for code, fspec, label in _page_fields(register):
        place = fspec.get("type") == "place" and not code.endswith("DVHC")
        (places if place else others).add(label_key(label))
    return tuple((key, PLACE_REPAIR) for key in sorted(places - others))


@lru_cache(maxsize=8)
def book_lexicon(register: str | None = None) -> Lexicon:
    """What any book of the register is written with, whatever its commune; with the closed
    lexicons of its list and date-word values (label_lexicons) and the repair of its places
    (label_repairs)."""
    words = Lexicon.of([*register_texts(register), *date_vocabulary(), *place_syllables()])
    return words.with_after(label_lexicons(register)).with_repairs(label_repairs(register))


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
