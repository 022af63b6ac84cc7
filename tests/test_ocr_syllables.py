"""Well-formed Vietnamese syllables (ocr/syllables.py) and the beam search's bias against
letter runs that are none (ctc_beam.BeamConfig.illformed): a misread that spells no syllable
becomes the syllable the recogniser nearly read, without any lexicon; a clear reading stays."""

from __future__ import annotations

import numpy as np
import pytest

from ocr_service.config import OcrSettings, ViSettings
from ocr_service.ocr import get_engine
from ocr_service.ocr.ctc_beam import BeamConfig, Decoding, Lexicon, beam_decode, greedy_decode
from ocr_service.ocr.syllables import SYLLABLES_LABEL, all_syllables, syllable_lexicon
from tests.test_ocr_ctc_beam import BLANK, CHARS, _frames, _word

WELL_FORMED = (
    # initials and the spelling rules: k/gh/ngh before e ê i y, gi and qu as initials
    *("nguyễn", "văn", "thị", "kiên", "nghiêng", "ghế", "gì", "gìn", "giếng", "gia", "giữa"),
    *("quỳnh", "quốc", "quyên", "quý", "quà"),
    # no initial: iê is spelt yê; a medial o/u; glides; three vowels
    *("yên", "yêu", "oanh", "uống", "ước", "ươu", "khuỷu", "khuya", "ngoại", "người", "thuở"),
    # stops take only the sắc and nặng tones
    *("việt", "học", "sách", "tháp", "ất", "ạch"),
    # both placements of the tone on oa, oe, uy
    *("hoà", "hòa", "khoẻ", "khỏe", "thuý", "thúy"),
)
ILL_FORMED = ("ngiêng", "cin", "kan", "ghà", "qoa", "gỉa", "quôc", "nguyẽn", "vă", "thx", "bđ")


def test_the_set_holds_the_script_s_syllables_and_not_misspellings() -> None:
    syllables = all_syllables()
    assert [w for w in WELL_FORMED if w not in syllables] == []
    assert [w for w in ILL_FORMED if w in syllables] == []
    # Stop finals carry no huyền, hỏi or ngã tone.
    assert "việt" in syllables and "việt".replace("ệ", "ề") not in syllables
    # Lower case NFC, and a closed set of the size the script has (~18,000 with both tone
    # placements; about 7,000 are in common use).
    assert all(w == w.lower() for w in syllables)
    assert 15_000 < len(syllables) < 25_000
    lexicon = syllable_lexicon()
    assert "nguyễn" in lexicon and lexicon.can_become("nguy") and not lexicon.can_become("ngiê")


def test_outside_a_ledger_a_misread_that_spells_no_syllable_becomes_the_one_nearly_read() -> None:
    # 'ẽ' 0.55 against 'ễ' 0.40: greedy writes 'Nguyẽn', which is no syllable.
    lp = _frames(*_word("Nguyẽn", ẽ={"ẽ": 0.55, "ễ": 0.40}))
    assert greedy_decode(lp, CHARS, BLANK)[0] == "Nguyẽn"
    ill = BeamConfig(illformed=2.0)
    assert Decoding("beam-vocab", ill).decode(lp, CHARS, BLANK)[0] == "Nguyễn"
    # Plain beam never consults the syllables, nor beam-vocab with the weight at 0.
    assert Decoding("beam", ill).decode(lp, CHARS, BLANK)[0] == "Nguyẽn"
    assert Decoding("beam-vocab").decode(lp, CHARS, BLANK)[0] == "Nguyẽn"


def test_a_clear_reading_that_spells_no_syllable_is_kept() -> None:
    """The book wins: an abbreviation or a foreign name read surely stays as read."""
    lp = _frames(*_word("Nguyẽn", ẽ={"ẽ": 0.97, "ễ": 0.02}))
    assert Decoding("beam-vocab", BeamConfig(illformed=2.0)).decode(lp, CHARS, BLANK)[0] == (
        "Nguyẽn"
    )


def test_in_a_ledger_its_lexicon_is_the_bias_not_the_syllables() -> None:
    """Measured: inside a ledger the syllables add nothing to its lexicon (docs/BENCHMARKS.md);
    a ledger word the script's rules would call ill-formed is read as the ledger has it."""
    lp = _frames(*_word("Nguyẽn", ẽ={"ẽ": 0.55, "ễ": 0.40}))
    ill = BeamConfig(illformed=2.0)
    assert Decoding("beam-vocab", ill).decode(lp, CHARS, BLANK, Lexicon.of(["Thư"]))[0] == (
        "Nguyẽn"
    )
    assert beam_decode(lp, CHARS, BLANK, ill, Lexicon.of(["Thư"]))[0] == "Nguyẽn"


@pytest.mark.parametrize(("env", "expected"), [(None, 2.0), ("0", 0.0), ("3.5", 3.5)])
def test_the_engine_reads_the_weight_from_its_settings(
    monkeypatch: pytest.MonkeyPatch, env: str | None, expected: float
) -> None:
    if env is not None:
        monkeypatch.setenv("SOHOA_VI_ILLFORMED", env)
    assert OcrSettings().vi.illformed == expected


def _vocabulary(ocr: OcrSettings) -> object:
    blank = np.full((120, 400, 3), 255, np.uint8)
    provenance = get_engine("vi", ocr).read_page(blank).provenance
    assert provenance is not None
    return provenance["models"].get("vocabulary")


def test_a_reading_outside_a_ledger_names_the_syllables_in_its_provenance() -> None:
    """What biased the reading is recorded, as a ledger's words are (models.vocabulary)."""
    vocabulary = _vocabulary(OcrSettings())
    assert vocabulary == f"{SYLLABLES_LABEL}: {syllable_lexicon().label}"
    assert str(vocabulary).startswith("well-formed syllables: 18007 words sha256:")
    assert _vocabulary(OcrSettings(vi=ViSettings(illformed=0.0))) is None
