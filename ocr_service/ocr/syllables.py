"""Every well-formed Vietnamese syllable, from the rules of the orthography (no word list).

Vietnamese writes one syllable between spaces, and its syllables are a closed set: an initial
consonant (or none), a rhyme (an optional medial o/u, a vowel nucleus, an optional final
consonant or glide) and one of six tones, marked on one vowel. The set is built here from
those parts and their spelling rules (k/gh/ngh before e, ê, i, y; gi and qu as initials; only
the sắc and nặng tones on a stop final c, ch, p, t), with the tone mark in both the old and
the new placement (hòa and hoà). It holds no text of any book, corpus or writer: it is
knowledge of the script, like the code lists. A line read outside any ledger is decoded with
it (ctc_beam.Decoding, BeamConfig.illformed): a letter run that spells no syllable is most
likely misread, and costs a little; one the recogniser reads surely is still written as read
(an abbreviation, a foreign name).

`syllable_lexicon()` is the ctc_beam.Lexicon of that set (lower case, NFC).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ocr_service.ocr.ctc_beam import Lexicon

INITIALS = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
    "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip

# Rhymes without their tone (the medial o/u included), as the orthography spells them after
# an initial consonant; iê is spelt yê without one (yên, yêu), and after qu the medial is the
# initial's u (qua, quý, quyên).
OPEN_RHYMES = (
    "a", "ai", "ao", "au", "ay", "âu", "ây", "e", "eo", "ê", "êu", "i", "ia", "iu", "iêu",
    "o", "oa", "oai", "oao", "oay", "oe", "oeo", "oi", "ô", "ôi", "ơ", "ơi", "u", "ua", "uây",
    "uê", "ui", "uôi", "uơ", "uy", "uya", "uyu", "ư", "ưa", "ưi", "ưu", "ươi", "ươu", "y",
)  # fmt: skip
# Nucleus (with any medial) -> the finals it takes.
CLOSED_NUCLEI: dict[str, tuple[str, ...]] = {
    "a": ("m", "n", "ng", "nh", "p", "t", "c", "ch"),
    "ă": ("m", "n", "ng", "p", "t", "c"),
    "â": ("m", "n", "ng", "p", "t", "c"),
    "e": ("m", "n", "ng", "p", "t", "c"),
    "ê": ("m", "n", "nh", "p", "t", "ch"),
    "i": ("m", "n", "nh", "p", "t", "ch"),
    "o": ("m", "n", "ng", "p", "t", "c"),
    "oo": ("ng", "c"),
    "ô": ("m", "n", "ng", "p", "t", "c"),
    "ơ": ("m", "n", "p", "t"),
    "u": ("m", "n", "ng", "p", "t", "c"),
    "ư": ("m", "n", "ng", "t", "c"),
    "iê": ("m", "n", "ng", "p", "t", "c"),
    "uô": ("m", "n", "ng", "t", "c"),
    "ươ": ("m", "n", "ng", "p", "t", "c"),
    "oa": ("m", "n", "ng", "nh", "p", "t", "c", "ch"),
    "oă": ("m", "n", "ng", "t", "c"),
    "oe": ("m", "n", "t"),
    "uâ": ("n", "ng", "t"),
    "uê": ("n", "nh", "ch"),
    "uy": ("n", "nh", "t", "ch"),
    "uyê": ("n", "t"),
}
STOP_FINALS = ("p", "t", "c", "ch")
# Combining marks of the tones (NFD): ngang (none), huyền, sắc, hỏi, ngã, nặng.
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
STOP_TONES = ("\u0301", "\u0323")  # the only tones of a syllable ending in c, ch, p, t
VOWELS = frozenset("aăâeêioôơuưy")
HATTED = frozenset("ăâêôơư")
FRONT = ("e", "ê", "i", "y")  # before these c, g, ng are spelt k, gh, ngh
FRONT_ONLY = {"k": "c", "gh": "g", "ngh": "ng"}
MEDIALS = ("o", "u")
# What a page's provenance calls the set (models.vocabulary) when a reading outside a ledger
# was decoded with it.
SYLLABLES_LABEL = "well-formed syllables"


def rhymes() -> list[str]:
    out = list(OPEN_RHYMES)
    for nucleus, finals in CLOSED_NUCLEI.items():
        out += [nucleus + final for final in finals]
    return out


def spellings() -> set[tuple[str, str]]:
    """Every (initial, rhyme) pair as the orthography writes it; the rhyme is the part that
    carries the tone (after qu, the medial is the initial's u; after gi, gi's i is the
    rhyme's own where the rhyme starts with i: gì, giếng)."""
    out: set[tuple[str, str]] = set()
    for rhyme in rhymes():
        front = rhyme.startswith(FRONT)
        for initial in INITIALS:
            if initial == "qu":
                if rhyme.startswith(MEDIALS) and len(rhyme) > 1 and rhyme[1] in VOWELS:
                    out.add(("qu", rhyme[1:]))  # oa -> qua, uy -> quy, uyên -> quyên
                elif rhyme.startswith("i"):
                    out.add(("qu", rhyme))  # quì, quít (the older spellings)
                continue
            if initial == "gi":
                if rhyme != "ia":  # gia is gi + a
                    out.add(("g", rhyme) if rhyme.startswith("i") else ("gi", rhyme))
                continue
            if initial in FRONT_ONLY:
                if front:
                    out.add((initial, rhyme))
                continue
            if initial in FRONT_ONLY.values() and front:
                continue
            if not initial and rhyme.startswith("iê"):
                out.add(("", "y" + rhyme[1:]))  # yên, yêu, yết
                continue
            out.add((initial, rhyme))
    return out


def _tone_positions(rhyme: str) -> set[int]:
    """The vowel(s) of `rhyme` that may carry the tone mark (new and old placement)."""
    vowels = [i for i, ch in enumerate(rhyme) if ch in VOWELS]
    if not vowels:
        return set()
    hatted = [i for i in vowels if rhyme[i] in HATTED]
    if hatted:
        return {hatted[-1]}
    closed = rhyme[-1] not in VOWELS
    if closed or len(vowels) == 1:
        return {vowels[-1]}
    if len(vowels) == 3:
        return {vowels[1]}
    # Two vowels, open: the first (ai, ao, ia, ua ...); oa, oe, uy also on the second.
    first, second = vowels
    if rhyme[first : second + 1] in ("oa", "oe", "uy"):
        return {first, second}
    return {first}


def _toned(initial: str, rhyme: str) -> set[str]:
    closed_stop = rhyme.endswith(STOP_FINALS)
    out: set[str] = set()
    for tone in STOP_TONES if closed_stop else TONES:
        if not tone:
            out.add(initial + rhyme)
            continue
        for pos in _tone_positions(rhyme):
            marked = rhyme[: pos + 1] + tone + rhyme[pos + 1 :]
            out.add(unicodedata.normalize("NFC", initial + marked))
    return out


@lru_cache(maxsize=1)
def all_syllables() -> frozenset[str]:
    """Every well-formed syllable, lower case, NFC."""
    return frozenset(s for initial, rhyme in spellings() for s in _toned(initial, rhyme))


@lru_cache(maxsize=1)
def syllable_lexicon() -> Lexicon:
    return Lexicon.of(sorted(all_syllables()))
