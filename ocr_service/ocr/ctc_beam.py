"""CTC decoding of one line's log-probabilities [T, C]: greedy, or a prefix beam search that
may be biased toward a lexicon of Vietnamese syllables (the commune's names and places, the
administrative units, the register's words: extract/vocabulary.py builds it).

Both return what the engine needs from a reading: the text and, for every emitted character,
its peak probability (a character held over several steps is as sure as its best step).

The search keeps, per prefix, the best alignment ending in a blank and the best ending in a
character ("max" merging, a Viterbi beam): with a width of 1 and no lexicon it is exactly the
greedy reading, since the per-step argmax is the single most probable alignment (without a
lexicon, any width reads the greedy text: the best alignment is never pruned). "sum" merging
(the textbook prefix beam search) adds the alignments of a prefix instead; it read synthetic
fields no better (docs/BENCHMARKS.md).

The lexicon works at syllable granularity, the unit Vietnamese writes between spaces: a run
of letters that ends (a space, a comma, a digit, the end of the line) and is in the lexicon
earns `bonus` nats; one that is not, or a run that can no longer become one, costs `penalty`
nats, once (0 by default: a penalty makes dropping a doubtful unknown word pay). A run that
can still become a lexicon word costs nothing. A line read without a lexicon (outside any
ledger) may use the script's own: every well-formed Vietnamese syllable (ocr/syllables.py,
built from the orthography's rules, no text), with no bonus and `illformed` nats against a run
that is none. Characters whose step probability is under `floor` are never tried, so the bias
chooses between readings the recogniser found plausible and never writes a word the book does
not show; a reading it clearly prefers (by more than `bonus` nats) is kept.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

import numpy as np

from ocr_service.config import DecodeMode, ViSettings

Merge = Literal["max", "sum"]

NEG_INF = -math.inf
WORD_RUN = re.compile(r"[^\W\d_]+")  # letters only: a Vietnamese syllable, a name's part
_T = TypeVar("_T")


def syllables(text: str) -> list[str]:
    """The lower-case letter runs of `text` (NFC): 'Nguyễn Văn A, 12/3' → ['nguyễn', 'văn', 'a']."""
    return WORD_RUN.findall(unicodedata.normalize("NFC", text).lower())


def label_key(text: str) -> str:
    """A printed label as labels are matched: lower case, no marks (đ → d), letters and
    single spaces only: 'Ghi bằng chữ:' → 'ghi bang chu'."""
    bare = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z]+", " ", bare).split())


def _after(pairs: Iterable[tuple[str, _T]], label: str) -> _T | None:
    """What `pairs` (label_key → thing) give the label `label` as read: matched on its last
    words, since a label part may begin with the value before it ('Nam Dân tộc:')."""
    key = label_key(label)
    for words, thing in pairs:
        if key == words or key.endswith(" " + words):
            return thing
    return None


@dataclass(frozen=True)
class Repair:
    """A vocabulary that repairs the values after a label (places: the administrative units
    and the issuing authorities): `fix` turns a value as read into the value with its
    misreadings of the vocabulary's words put right (the same text where it finds none).
    A repaired value is never taken as it is: the vi engine reads the crop again toward it
    (`toward`: `nats` against any other letter run) and keeps that reading only where the
    recogniser spells it there. `name` is what a page's provenance records."""

    name: str
    nats: float
    fix: Callable[[str], str] = field(compare=False, repr=False)

    def toward(self, text: str) -> Lexicon | None:
        """The closed lexicon of `text` as repaired, or None where the repair changes none of
        its words (case and punctuation aside)."""
        fixed = self.fix(text)
        words = syllables(fixed)
        if not words or words == syllables(text):
            return None
        return self.phrase(fixed)

    def phrase(self, text: str) -> Lexicon:
        """The closed lexicon a crop is read again with toward the wording `text`."""
        return Lexicon.listing([text], [], self.nats)


@dataclass(frozen=True)
class Lexicon:
    """Lower-case syllables, and every prefix of them (a partial word that may still become one).

    `closed`: a lexicon a value is written from (a list: gender, ethnic groups, countries, the
    words of a date), with the nats a letter run outside it costs (in place of the reader's
    own penalty); a reading it does not spell (`spells`: one of its `phrases`, the list's
    entries, or for a set of words without phrases, wholly its `own` words) is read with
    `otherwise` (the ledger's lexicon) instead. `after`: such closed lexicons by the label
    they follow on a form (label_key of the label's last words), for a value read apart from
    its label (the vi engine); `repairs`: the same for the vocabularies that repair a value
    (Repair: places)."""

    words: frozenset[str]
    prefixes: frozenset[str] = field(repr=False)
    closed: float | None = None
    after: tuple[tuple[str, Lexicon], ...] = field(default=(), repr=False)
    otherwise: Lexicon | None = field(default=None, repr=False, compare=False)
    phrases: frozenset[str] = field(default=frozenset(), repr=False)
    repairs: tuple[tuple[str, Repair], ...] = field(default=(), repr=False)
    own: frozenset[str] = field(default=frozenset(), repr=False)

    @classmethod
    def of(cls, texts: Iterable[str], closed: float | None = None) -> Lexicon:
        words = frozenset(w for text in texts for w in syllables(text))
        return cls(words, frozenset(w[:i] for w in words for i in range(1, len(w) + 1)), closed)

    @classmethod
    def listing(cls, entries: Iterable[str], others: Iterable[str], closed: float) -> Lexicon:
        """A closed lexicon of a list's `entries` (a value spells one of them), with the
        words of `others` (labels) searched too but spelling no value."""
        entries = list(entries)
        phrases = frozenset(" ".join(syllables(e)) for e in entries) - {""}
        return replace(cls.of([*entries, *others], closed), phrases=phrases)

    @classmethod
    def wording(cls, values: Iterable[str], others: Iterable[str], closed: float) -> Lexicon:
        """A closed lexicon of the words `values` are written with, combined freely (a date's
        words, a kinship's), with the words of `others` (labels) searched too but spelling
        no value."""
        values = list(values)
        own = frozenset(w for value in values for w in syllables(value))
        return replace(cls.of([*values, *others], closed), own=own)

    def spells(self, text: str) -> bool:
        """True when `text` is one of the phrases (NFC, case and punctuation aside), or, for
        a lexicon without phrases, made wholly of its own words (`own`: a closed set of
        words; else all its words)."""
        words = syllables(text)
        if not words:
            return False
        if self.phrases:
            return " ".join(words) in self.phrases
        return all(w in (self.own or self.words) for w in words)

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def __len__(self) -> int:
        return len(self.words)

    def can_become(self, partial: str) -> bool:
        return partial in self.prefixes

    def union(self, other: Lexicon) -> Lexicon:
        keys = {key for key, _ in self.after}
        after = (*self.after, *((k, lex) for k, lex in other.after if k not in keys))
        fixed = {key for key, _ in self.repairs}
        repairs = (*self.repairs, *((k, fix) for k, fix in other.repairs if k not in fixed))
        return Lexicon(
            self.words | other.words,
            self.prefixes | other.prefixes,
            self.closed,
            after,
            repairs=repairs,
        )

    def with_after(self, after: Iterable[tuple[str, Lexicon]]) -> Lexicon:
        """This lexicon, with closed lexicons for the values after these labels."""
        return replace(self, after=tuple(after))

    def with_repairs(self, repairs: Iterable[tuple[str, Repair]]) -> Lexicon:
        """This lexicon, with the vocabularies that repair the values after these labels."""
        return replace(self, repairs=tuple(repairs))

    def after_label(self, label: str) -> Lexicon | None:
        """The closed lexicon of the value that follows `label` (a label part as read, which
        may begin with the value before it: 'Nam Dân tộc:'), matched on its last words; a
        reading it cannot make is read with this lexicon."""
        lexicon = _after(self.after, label)
        return None if lexicon is None else replace(lexicon, otherwise=self)

    def repair_after(self, label: str) -> Repair | None:
        """The vocabulary that repairs the value following `label` (matched as after_label)."""
        return _after(self.repairs, label)

    @property
    def label(self) -> str:
        """What a page's provenance says about the lexicon that read it: the reading is
        reproduced only with the same words."""
        text = "\n".join(sorted(self.words))
        for key, lexicon in self.after:
            text += f"\n@{key} {lexicon.closed}: " + " ".join(sorted(lexicon.words))
            text += " | " + " / ".join(sorted(lexicon.phrases))
            text += " | " + " ".join(sorted(lexicon.own))
        for key, repair in self.repairs:
            text += f"\n%{key} {repair.nats}: {repair.name}"
        digest = hashlib.sha256(text.encode()).hexdigest()
        return f"{len(self.words)} words sha256:{digest}"


@dataclass(frozen=True)
class BeamConfig:
    """How the beam search reads (defaults chosen on the tuning sets: docs/BENCHMARKS.md)."""

    width: int = 10
    floor: float = 1e-2  # a character is tried at a step only from this probability on
    per_step: int = 4  # ... and only the most probable this many of those
    bonus: float = 2.0  # nats for a completed lexicon word
    penalty: float = 0.0  # nats for a word that is not (or can no longer be) in the lexicon
    # Without a lexicon (a line read outside any ledger): nats for a letter run that is no
    # well-formed Vietnamese syllable (ocr/syllables.py), the script's set then being the
    # lexicon, with no bonus. 0: such lines read as plain beam (the greedy text).
    illformed: float = 0.0
    merge: Merge = "max"


def greedy_decode(lp: np.ndarray, chars: Sequence[str], blank: int) -> tuple[str, list[float]]:
    """Greedy CTC over lp [T, C]: the per-step argmax, repeats merged, blanks dropped."""
    best = lp.argmax(axis=1)
    peak = np.exp(lp[np.arange(len(best)), best])
    out: list[str] = []
    probs: list[float] = []
    prev = -1
    for i, idx in enumerate(best.tolist()):
        if idx != prev and idx != blank:
            out.append(chars[idx] if idx < len(chars) else "")
            probs.append(float(peak[i]))
        elif idx == prev and idx != blank and probs:
            # A character held over several steps is as sure as its best step.
            probs[-1] = max(probs[-1], float(peak[i]))
        prev = idx
    return "".join(out), probs


@dataclass
class _Beam:
    """One prefix: its best (or summed) alignments ending in a blank / in its last character,
    the probabilities of their characters, and the lexicon score of its words."""

    pb: float = NEG_INF
    pnb: float = NEG_INF
    probs_b: tuple[float, ...] = ()
    probs_nb: tuple[float, ...] = ()
    lm: float = 0.0
    word: str = ""  # the letter run the prefix ends in (lower case)
    off: bool = False  # that run can no longer become a lexicon word (already penalised)

    def best_probs(self) -> tuple[float, ...]:
        return self.probs_b if self.pb >= self.pnb else self.probs_nb


def _lse(a: float, b: float) -> float:
    hi, lo = (a, b) if a >= b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))


class _Search:
    def __init__(self, chars: Sequence[str], config: BeamConfig, lexicon: Lexicon | None) -> None:
        self.chars, self.config, self.lexicon = chars, config, lexicon
        self.sum = config.merge == "sum"
        self.letter = [bool(WORD_RUN.fullmatch(c)) for c in chars]

    def merged(self, a: float, b: float) -> float:
        if a == NEG_INF:
            return b
        if b == NEG_INF:
            return a
        return _lse(a, b) if self.sum else max(a, b)

    def acoustic(self, beam: _Beam) -> float:
        return self.merged(beam.pb, beam.pnb)

    def close_word(self, beam: _Beam) -> float:
        """The lexicon score of the run the beam ends in, when it ends."""
        if self.lexicon is None or not beam.word or beam.off:
            return 0.0
        return self.config.bonus if beam.word in self.lexicon else -self.config.penalty

    def child(self, parent: _Beam, c: int) -> _Beam:
        """A new prefix: `parent`'s plus character c (lexicon state only)."""
        if self.lexicon is None:
            return _Beam()
        if c < len(self.letter) and self.letter[c]:
            word = parent.word + self.chars[c].lower()
            if not parent.off and not self.lexicon.can_become(word):
                return _Beam(lm=parent.lm - self.config.penalty, word=word, off=True)
            return _Beam(lm=parent.lm, word=word, off=parent.off)
        return _Beam(lm=parent.lm + self.close_word(parent))

    def add(self, into: _Beam, score: float, probs: tuple[float, ...], blank: bool) -> None:
        if blank:
            if score > into.pb:
                into.probs_b = probs
            into.pb = self.merged(into.pb, score)
        else:
            if score > into.pnb:
                into.probs_nb = probs
            into.pnb = self.merged(into.pnb, score)


def beam_decode(
    lp: np.ndarray,
    chars: Sequence[str],
    blank: int,
    config: BeamConfig | None = None,
    lexicon: Lexicon | None = None,
) -> tuple[str, list[float]]:
    """Prefix beam search over lp [T, C] (log-probabilities), biased toward `lexicon` if given."""
    config = config or BeamConfig()
    search = _Search(chars, config, lexicon)
    log_floor = math.log(config.floor) if config.floor > 0 else NEG_INF
    steps = np.asarray(lp, dtype=np.float64)
    top = steps.argmax(axis=1)
    beams: dict[tuple[int, ...], _Beam] = {(): _Beam(pb=0.0)}
    for t in range(steps.shape[0]):
        row = steps[t]
        passed = np.flatnonzero(row >= log_floor)
        if len(passed) > config.per_step:
            passed = passed[np.argsort(row[passed])[-config.per_step :]]
        tried = set(passed.tolist())
        tried.add(int(top[t]))
        tried.discard(blank)
        p_blank = float(row[blank])
        nxt: dict[tuple[int, ...], _Beam] = {}
        for prefix, beam in beams.items():
            # Stay with a blank.
            stay = nxt.get(prefix)
            if stay is None:
                stay = nxt[prefix] = _Beam(lm=beam.lm, word=beam.word, off=beam.off)
            search.add(stay, search.acoustic(beam) + p_blank, beam.best_probs(), blank=True)
            last = prefix[-1] if prefix else -1
            for c in tried:
                p = float(row[c])
                peak = math.exp(p)
                if c == last:
                    # The same character held: the prefix stays.
                    if beam.pnb > NEG_INF:
                        held = (*beam.probs_nb[:-1], max(beam.probs_nb[-1], peak))
                        search.add(stay, beam.pnb + p, held, blank=False)
                    # A second one needs a blank between.
                    if beam.pb == NEG_INF:
                        continue
                    source, probs = beam.pb, beam.probs_b
                else:
                    source, probs = search.acoustic(beam), beam.best_probs()
                key = (*prefix, c)
                ext = nxt.get(key)
                if ext is None:
                    ext = nxt[key] = search.child(beam, c)
                search.add(ext, source + p, (*probs, peak), blank=False)
        ranked = sorted(nxt.items(), key=lambda kv: search.acoustic(kv[1]) + kv[1].lm, reverse=True)
        beams = dict(ranked[: max(1, config.width)])
    best_key, best = max(
        beams.items(), key=lambda kv: search.acoustic(kv[1]) + kv[1].lm + search.close_word(kv[1])
    )
    text = "".join(chars[c] if c < len(chars) else "" for c in best_key)
    return text, list(best.best_probs())


def closed_decode(
    lp: np.ndarray, chars: Sequence[str], blank: int, config: BeamConfig, lexicon: Lexicon
) -> tuple[str, list[float]] | None:
    """The beam search with a closed lexicon (`config.penalty` against any other letter run),
    kept only where it spells a value of the lexicon (Lexicon.spells) and drops none of the
    greedy reading's words (reading nothing dodges the penalty, but the book shows a word
    there); None where it does not: the value is then read as written."""
    read = beam_decode(lp, chars, blank, config, lexicon)
    if not lexicon.spells(read[0]):
        return None
    if len(syllables(read[0])) < len(syllables(greedy_decode(lp, chars, blank)[0])):
        return None
    return read


@dataclass(frozen=True)
class Decoding:
    """How a line reader turns log-probabilities into text (SOHOA_VI_DECODE, SOHOA_VI_BEAM,
    SOHOA_VI_ILLFORMED).

    greedy: the per-step argmax. beam: the prefix beam search (the greedy text). beam-vocab:
    the beam search biased toward the lexicon the caller gives (the ledger's); without one,
    against letter runs that are no well-formed syllable (BeamConfig.illformed; 0: plain beam).
    """

    mode: DecodeMode = "greedy"
    beam: BeamConfig = BeamConfig()

    @classmethod
    def of(cls, vi: ViSettings) -> Decoding:
        """The engine's decoding as its settings say (decode, beam, illformed)."""
        return cls(vi.decode, BeamConfig(width=vi.beam, illformed=vi.illformed))

    def decode(
        self, lp: np.ndarray, chars: Sequence[str], blank: int, lexicon: Lexicon | None = None
    ) -> tuple[str, list[float]]:
        if self.mode == "greedy":
            return greedy_decode(lp, chars, blank)
        if self.mode == "beam" or (lexicon is None and self.beam.illformed <= 0):
            return beam_decode(lp, chars, blank, self.beam)
        if lexicon is None:
            from ocr_service.ocr.syllables import syllable_lexicon

            outside = replace(self.beam, bonus=0.0, penalty=self.beam.illformed)
            return beam_decode(lp, chars, blank, outside, syllable_lexicon())
        if lexicon.closed is not None:
            closed = replace(self.beam, penalty=lexicon.closed)
            read = closed_decode(lp, chars, blank, closed, lexicon)
            if read is not None:
                return read
            return self.decode(lp, chars, blank, lexicon.otherwise)
        return beam_decode(lp, chars, blank, self.beam, lexicon)


GREEDY = Decoding()
