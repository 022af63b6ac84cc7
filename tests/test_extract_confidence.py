"""Field confidence: one number and a band from OCR confidence, parse result and lexicon."""

from __future__ import annotations

import pytest

from ocr_service.extract.confidence import band_for, combine_confidence, score_field
from ocr_service.extract.containers import FieldDraft


def test_formula() -> None:
    assert combine_confidence(0.9, True, 1.0) == pytest.approx(0.9)
    assert combine_confidence(0.9, True, 0.5) == pytest.approx(0.9 * 0.75)
    assert combine_confidence(0.9, False, 0.0) == pytest.approx(0.9 * 0.35 * 0.5)
    assert combine_confidence(0.9, None, 1.0) == 0.0
    assert combine_confidence(1.0, True, 1.0, "derived") == pytest.approx(0.95)
    assert combine_confidence(1.0, True, 1.0, "prefill") == 0.5


def test_bands_separate_what_the_clerk_must_look_at() -> None:
    assert band_for(0.92, parsed=True, issues=[], n_candidates=0, source="ocr") == "sure"
    # A confident reading that needed repair or has alternatives is checked.
    assert (
        band_for(0.92, parsed=True, issues=["ocr-digit-fixed"], n_candidates=0, source="ocr")
        == "check"
    )
    assert band_for(0.92, parsed=True, issues=[], n_candidates=2, source="ocr") == "check"
    # Informational issues do not.
    assert (
        band_for(0.92, parsed=True, issues=["date-partial"], n_candidates=0, source="ocr") == "sure"
    )
    assert band_for(0.6, parsed=True, issues=[], n_candidates=0, source="ocr") == "check"
    assert band_for(0.3, parsed=False, issues=[], n_candidates=0, source="ocr") == "unsure"
    assert band_for(0.5, parsed=True, issues=[], n_candidates=0, source="prefill") == "check"


def test_score_field_sets_both() -> None:
    f = FieldDraft(code="nksHoTen", raw="Nguyen Van An", value="Nguyen Van An")
    score_field(f, ocr=0.55, parsed=True, lexicon=1.0)
    assert (f.confidence, f.band) == (0.55, "check")
    g = FieldDraft(code="nksDanToc", raw="Kinh", value="Kinh")
    score_field(g, ocr=0.97, parsed=True, lexicon=1.0)
    assert g.band == "sure"
