"""One 0..1 confidence per field and a band telling the clerk whether to look at it.

Formula (per field, all inputs 0..1):

    ocr      = the recogniser's confidence for the characters of the value
               (character-weighted mean over the lines it came from); 1.0 for book metadata
    parse    = 1.0   the normaliser accepted the value (ok)
               0.35  text was read but does not parse / is not in its list (not ok)
               0.0   nothing was read
    lexicon  = the normaliser's own score: 1.0 for an exact list entry or a clean parse,
               lower for a fuzzy list match or a repaired reading (O→0 …)
    confidence = ocr × parse × (0.5 + 0.5 × lexicon) × source_factor

`source_factor` is 1.0 for "ocr" and "book", 0.95 for "derived" (inherits its source's doubt),
and pre-filled suggestions ("prefill": next number, default nationality/ethnicity) are
capped at 0.5 — the clerk must confirm them.

Bands:
    sure    confidence ≥ 0.85, parsed, one candidate, no issue that asks for a look
    check   confidence ≥ 0.50 (or any prefill suggestion)
    unsure  below 0.50, or nothing read where the field is expected
"""

from __future__ import annotations

from ocr_service.extract.containers import FieldDraft

SURE = 0.85
CHECK = 0.50
PREFILL_CAP = 0.5
NOT_PARSED = 0.35
DERIVED_FACTOR = 0.95

# Issues that are informational: the value is still trustworthy.
_QUIET_ISSUES = {"date-partial", "so-year-derived", "quyenso-cover-style", "ethnicity-special"}


def combine_confidence(
    ocr: float, parsed: bool | None, lexicon: float, source: str = "ocr"
) -> float:
    """The formula of the module docstring; `parsed` None means nothing was read."""
    ocr = min(1.0, max(0.0, ocr))
    lexicon = min(1.0, max(0.0, lexicon))
    parse = 0.0 if parsed is None else (1.0 if parsed else NOT_PARSED)
    conf = ocr * parse * (0.5 + 0.5 * lexicon)
    if source == "derived":
        conf *= DERIVED_FACTOR
    if source == "prefill":
        conf = min(conf, PREFILL_CAP)
    return round(conf, 4)


def band_for(
    conf: float, *, parsed: bool | None, issues: list[str], n_candidates: int, source: str
) -> str:
    """'sure' / 'check' / 'unsure' for a field confidence and its circumstances."""
    loud = [i for i in issues if i not in _QUIET_ISSUES]
    if source == "prefill":
        return "check"
    if parsed and conf >= SURE and not loud and n_candidates <= 1:
        return "sure"
    if conf >= CHECK:
        return "check"
    return "unsure"


def score_field(f: FieldDraft, *, ocr: float, parsed: bool | None, lexicon: float) -> FieldDraft:
    """Set `confidence` and `band` of a field in place (and return it)."""
    f.confidence = combine_confidence(ocr, parsed, lexicon, f.source)
    f.band = band_for(
        f.confidence,
        parsed=parsed,
        issues=f.issues,
        n_candidates=len(f.candidates),
        source=f.source,
    )
    return f
