"""CTC decoding (ocr/ctc_beam.py): the beam search is the greedy reading when it has nothing to
add, reads a near-miss as the lexicon word the recogniser nearly read, and never overwrites
what the book clearly shows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ocr_service.ocr.ctc_beam import (
    BeamConfig,
    Decoding,
    Lexicon,
    Repair,
    beam_decode,
    closed_decode,
    greedy_decode,
    label_key,
    syllables,
)
from ocr_service.ocr.line_reader import LineReader
from ocr_service.ocr.rec_model import RecModel
from ocr_service.ocr.recogniser import Reading, Recogniser

CHARS = ["<blank>", *"Nguyẽễn Thửư,ăV"]
BLANK = 0


def _random_log_probs(rng: np.random.Generator, steps: int, classes: int) -> np.ndarray:
    x = rng.normal(size=(steps, classes)) * rng.uniform(0.5, 4.0)
    x[:, BLANK] += rng.uniform(0.0, 3.0)  # as a recogniser: mostly blanks
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def _frames(*steps: dict[str, float]) -> np.ndarray:
    """[T, C] log-probabilities: each step's named characters, the rest of the mass on blank."""
    rows = []
    for step in steps:
        row = np.full(len(CHARS), 1e-6)
        for ch, p in step.items():
            row[CHARS.index(ch)] = p
        row[BLANK] = max(1e-6, 1.0 - row.sum() + row[BLANK])
        rows.append(np.log(row / row.sum()))
    return np.array(rows)


def _word(text: str, **doubt: dict[str, float]) -> list[dict[str, float]]:
    """One step per character with a blank after it; `doubt` replaces a character's step."""
    steps: list[dict[str, float]] = []
    for ch in text:
        steps.append(doubt.get(ch, {ch: 0.98}))
        steps.append({"<blank>": 0.99})
    return steps


def test_beam_of_one_without_a_lexicon_is_exactly_greedy() -> None:
    rng = np.random.default_rng(17)
    for _ in range(200):
        lp = _random_log_probs(rng, int(rng.integers(1, 60)), len(CHARS))
        text, probs = greedy_decode(lp, CHARS, BLANK)
        beam_text, beam_probs = beam_decode(lp, CHARS, BLANK, BeamConfig(width=1))
        assert beam_text == text
        assert beam_probs == pytest.approx(probs, abs=1e-12)


def test_a_wider_max_beam_without_a_lexicon_still_reads_greedy() -> None:
    """The per-step argmax is the most probable alignment: a Viterbi beam keeps it."""
    rng = np.random.default_rng(4)
    for _ in range(50):
        lp = _random_log_probs(rng, 40, len(CHARS))
        assert (
            beam_decode(lp, CHARS, BLANK, BeamConfig(width=8))[0]
            == (greedy_decode(lp, CHARS, BLANK)[0])
        )


def test_the_lexicon_turns_a_near_miss_into_the_word_the_recogniser_nearly_read() -> None:
    # 'ẽ' 0.55 against 'ễ' 0.40: greedy writes the near-miss 'Nguyẽn'.
    lp = _frames(*_word("Nguyẽn", ẽ={"ẽ": 0.55, "ễ": 0.40}))
    assert greedy_decode(lp, CHARS, BLANK)[0] == "Nguyẽn"
    assert beam_decode(lp, CHARS, BLANK)[0] == "Nguyẽn"  # no lexicon: nothing to prefer
    lexicon = Lexicon.of(["Nguyễn Văn"])
    text, probs = beam_decode(lp, CHARS, BLANK, lexicon=lexicon)
    assert text == "Nguyễn"
    # The same contract as greedy: one peak probability per character, the doubt kept.
    assert len(probs) == len(text)
    assert probs[4] == pytest.approx(0.40, abs=1e-3)
    assert min(probs) == probs[4]


def test_a_clearly_read_word_outside_the_lexicon_is_kept() -> None:
    """The book wins: 'Thử' read at 0.97 stays 'Thử' though only 'Thư' is in the lexicon."""
    lp = _frames(*_word("Thử", ử={"ử": 0.97, "ư": 0.02}))
    lexicon = Lexicon.of(["Thư"])
    assert beam_decode(lp, CHARS, BLANK, lexicon=lexicon)[0] == "Thử"


def test_a_character_under_the_floor_is_never_written_whatever_the_bonus() -> None:
    lp = _frames(*_word("Thử", ử={"ử": 0.9, "ư": 5e-4}))
    huge = BeamConfig(bonus=50.0)
    assert beam_decode(lp, CHARS, BLANK, huge, Lexicon.of(["Thư"]))[0] == "Thử"
    # Above the floor, such a bias would take it: the floor is what respects the book.
    assert beam_decode(lp, CHARS, BLANK, replace(huge, floor=1e-4), Lexicon.of(["Thư"]))[0] == (
        "Thư"
    )


def test_a_doubtful_word_outside_the_lexicon_is_not_dropped() -> None:
    """Without a penalty (the default) reading nothing never beats reading the word; a
    penalty would drop doubtful words outside the lexicon, which is why it is 0."""
    doubtful = {ch: {ch: 0.6} for ch in "Vă"}
    lp = _frames(*_word("Vă", **doubtful))
    lexicon = Lexicon.of(["Nguyễn"])
    assert beam_decode(lp, CHARS, BLANK, lexicon=lexicon)[0] == "Vă"
    assert beam_decode(lp, CHARS, BLANK, BeamConfig(penalty=3.0), lexicon)[0] == ""


def test_words_are_scored_as_syllables_and_a_partial_word_is_not_penalised() -> None:
    assert syllables("Nguyễn Văn Thử, 12/3/1990 -V") == ["nguyễn", "văn", "thử", "v"]
    lexicon = Lexicon.of(["Nguyễn"])
    assert "nguyễn" in lexicon and "nguy" not in lexicon
    assert lexicon.can_become("nguy") and not lexicon.can_become("nguyẽ")
    # Two words: the bias works per syllable ('Nguyẽn Thư' → 'Nguyễn Thư').
    steps = [*_word("Nguyẽn", ẽ={"ẽ": 0.55, "ễ": 0.40}), {" ": 0.98}, *_word("Thư")]
    text, _ = beam_decode(_frames(*steps), CHARS, BLANK, lexicon=Lexicon.of(["Nguyễn", "Thư"]))
    assert text == "Nguyễn Thư"


def test_the_decoding_modes() -> None:
    lp = _frames(*_word("Nguyẽn", ẽ={"ẽ": 0.55, "ễ": 0.40}))
    lexicon = Lexicon.of(["Nguyễn"])
    assert Decoding("greedy").decode(lp, CHARS, BLANK, lexicon)[0] == "Nguyẽn"
    assert Decoding("beam").decode(lp, CHARS, BLANK, lexicon)[0] == "Nguyẽn"
    assert Decoding("beam-vocab").decode(lp, CHARS, BLANK, lexicon)[0] == "Nguyễn"
    assert Decoding("beam-vocab").decode(lp, CHARS, BLANK, None)[0] == "Nguyẽn"


def test_the_line_reader_hands_the_lexicon_to_its_decoding() -> None:
    lp = _frames(*_word("Nguyẽn", ẽ={"ẽ": 0.55, "ễ": 0.40}))[:, None, :]
    model = RecModel(Path("unused.onnx"), tuple(CHARS), Reading(), "0" * 64, "test.onnx")
    rec = Recogniser(run=lambda images: lp, runtime="onnxruntime", precision="fp32")
    grey = np.full((32, 60), 255, np.uint8)
    reader = LineReader(model=model, rec=rec, decoding=Decoding("beam-vocab"))
    assert reader.recognise(grey)[0] == "Nguyẽn"
    assert reader.recognise(grey, lexicon=Lexicon.of(["Nguyễn"]))[0] == "Nguyễn"
    greedy = replace(reader, decoding=Decoding("greedy"))
    assert greedy.recognise(grey, lexicon=Lexicon.of(["Nguyễn"]))[0] == "Nguyẽn"


def test_a_closed_lexicon_reads_the_list_word_the_recogniser_nearly_read() -> None:
    """A value written from a list (ocr_service/extract/vocabulary.py: label_lexicons): a run
    outside the list costs `closed` nats, so a list word the recogniser found plausible wins
    where an open lexicon keeps the nearer reading."""
    lp = _frames(*_word("Thử", ử={"ử": 0.85, "ư": 0.1}))
    vocab = Decoding("beam-vocab")
    assert vocab.decode(lp, CHARS, BLANK, Lexicon.of(["Thư", "Thử"]))[0] == "Thử"
    # open: 2 nats for a lexicon word are not enough against 8.5 to 1
    assert vocab.decode(lp, CHARS, BLANK, Lexicon.of(["Thư"]))[0] == "Thử"
    assert vocab.decode(lp, CHARS, BLANK, Lexicon.of(["Thư"], closed=6.0))[0] == "Thư"
    # What the recogniser did not find plausible (under the floor) is never written.
    clear = _frames(*_word("Thử", ử={"ử": 0.995, "ư": 0.001}))
    assert vocab.decode(clear, CHARS, BLANK, Lexicon.of(["Thư"], closed=6.0))[0] == "Thử"


def test_a_closed_lexicon_never_drops_a_word_the_book_shows() -> None:
    """Reading nothing dodges a closed lexicon's cost: the search alone drops a doubtful word
    outside the list; closed_decode refuses that, and the value is read as written."""
    lp = _frames(*_word("Vă", **{ch: {ch: 0.6} for ch in "Vă"}))
    closed = Lexicon.of(["Nguyễn"], closed=6.0)
    assert beam_decode(lp, CHARS, BLANK, BeamConfig(penalty=6.0), closed)[0] == ""
    assert closed_decode(lp, CHARS, BLANK, BeamConfig(penalty=6.0), closed) is None
    assert Decoding("beam-vocab").decode(lp, CHARS, BLANK, closed)[0] == "Vă"


def test_a_value_the_list_cannot_spell_is_read_with_the_ledgers_lexicon() -> None:
    """A value not wholly of the list's words (a name the list lacks, a word the recogniser
    never found plausible) is read as the ledger's lexicon reads it, not half-forced."""
    thu = _word("Thử", ử={"ử": 0.85, "ư": 0.1})
    lp = _frames(*_word("Nguyẽn", ẽ={"ẽ": 0.55, "ễ": 0.40}), {" ": 0.98}, *thu)
    ledger = Lexicon.of(["Nguyễn"])
    closed = replace(Lexicon.of(["Thư"], closed=6.0), otherwise=ledger)
    assert closed_decode(lp, CHARS, BLANK, BeamConfig(penalty=6.0), closed) is None
    assert Decoding("beam-vocab").decode(lp, CHARS, BLANK, closed)[0] == "Nguyễn Thử"
    within = replace(Lexicon.of(["Nguyễn", "Thư"], closed=6.0), otherwise=ledger)
    assert Decoding("beam-vocab").decode(lp, CHARS, BLANK, within)[0] == "Nguyễn Thư"


def test_closed_lexicons_are_found_by_the_label_before_the_value() -> None:
    assert label_key("Ngày, tháng, năm sinh ghi bằng chữ:") == "ngay thang nam sinh ghi bang chu"
    assert label_key("Đã chết") == "da chet"
    gender = Lexicon.of(["Nam", "Nữ"], closed=6.0)
    book = Lexicon.of(["Nguyễn"]).with_after([("gioi tinh", gender)])
    # The label part as read: it may begin with the value before it.
    assert book.after_label("Giới tính:") == gender
    assert book.after_label("12/3/2019 Giới  tính :") == gender
    assert book.after_label("Nơi sinh:") is None
    assert book.after_label("tính:") is None  # the label's words, not a tail of them
    # A ledger's lexicon (book ∪ confirmed names) keeps them, and says so in its label.
    ledger = book.union(Lexicon.of(["Thư"]))
    found = ledger.after_label("Giới tính:")
    assert found == gender and found is not None and found.otherwise is ledger
    plain = Lexicon.of(["Nguyễn", "Thư"])
    assert ledger.words == plain.words and ledger.label != plain.label


def test_a_repair_is_found_by_its_label_and_read_toward_as_a_closed_phrase() -> None:
    """A place's repair (ocr_service/extract/vocabulary.label_repairs) after its label: a ledger's
    lexicon keeps it; `toward` is the closed lexicon of the repaired wording, which the
    recogniser's near-miss is read as, and None where the repair changes no word."""
    repair = Repair("test", 6.0, lambda text: text.replace("Thử", "Thư"))
    book = Lexicon.of(["Nguyễn"]).with_repairs([("noi cu tru", repair)])
    assert book.repair_after("12/3 Nơi cư trú:") is repair
    assert book.repair_after("Nơi sinh:") is None
    ledger = book.union(Lexicon.of(["Thư"]))
    assert ledger.repair_after("Nơi cư trú:") is repair
    assert ledger.label != Lexicon.of(["Nguyễn", "Thư"]).label
    assert repair.toward("Nguyễn") is None
    toward = repair.toward("Nguyễn Thử")
    assert toward is not None and toward.spells("nguyễn, thư") and not toward.spells("thư")
    near = _frames(*_word("Thử", ử={"ử": 0.85, "ư": 0.1}))
    assert Decoding("beam-vocab").decode(near, CHARS, BLANK, repair.toward("Thử"))[0] == "Thư"
    # What the recogniser did not find plausible is never written: the reading as written.
    clear = _frames(*_word("Thử", ử={"ử": 0.995, "ư": 0.001}))
    assert Decoding("beam-vocab").decode(clear, CHARS, BLANK, repair.toward("Thử"))[0] == "Thử"


def test_a_closed_set_of_words_spells_with_its_own_words_only() -> None:
    """Lexicon.wording (a date's words, a kinship's): its values' words combine freely; the
    labels' words are searched (in `words`) but spell no value, and the label says so."""
    kin = Lexicon.wording(["con trai", "vợ"], ["Quan hệ với người chết"], 6.0)
    assert kin.spells("Vợ") and kin.spells("trai con")
    assert "hệ" in kin and not kin.spells("hệ") and not kin.spells("vợ hệ")
    assert kin.closed == 6.0 and kin.label != Lexicon.wording(["vợ"], [], 6.0).label
