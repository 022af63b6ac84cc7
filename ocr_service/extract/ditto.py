"""Ditto marks in table ledgers: '"' under a value means "same as the row above".

A clerk writing a ledger by hand puts a ditto mark (〃) in a cell instead of writing the
court's town, the year or "Việt Nam" again. The OCR engine reports the mark as the text
'"'; here it is replaced by what the row above holds in that field, word for word when the
mark stands for part of a value ('22 Juin "' under '14 Mai 1903' is '22 Juin 1903'). The
field is marked so the clerk checks it. A mark with nothing above it on the page (the first
row) is left as read and flagged: the value is on the previous page.
"""

from __future__ import annotations

from ocr_service.extract.containers import FieldDraft, RecordDraft

DITTO_TOKENS = frozenset({'"', "〃", "''", "„", "″", "“", "”", ",,"})


def is_ditto(token: str) -> bool:
    return token in DITTO_TOKENS


def resolve_dittos(records: list[RecordDraft]) -> None:
    """Replace ditto marks in each record's fields by the previous record's words."""
    previous: dict[str, str] = {}
    for rec in records:
        for code, f in rec.fields.items():
            tokens = f.raw.split()
            if any(is_ditto(t) for t in tokens):
                _resolve(f, tokens, previous.get(code))
            if f.raw.strip():
                previous[code] = f.raw
        # A field this row leaves blank does not carry an older value forward.
        for code in [c for c in previous if c not in rec.fields]:
            del previous[code]


def _resolve(f: FieldDraft, tokens: list[str], above: str | None) -> None:
    if above is None:
        f.issues = list(dict.fromkeys([*f.issues, "ditto-unresolved"]))
        return
    if all(is_ditto(t) for t in tokens):
        f.raw = above
    else:
        words = above.split()
        if len(words) != len(tokens):
            f.issues = list(dict.fromkeys([*f.issues, "ditto-unresolved"]))
            return
        f.raw = " ".join(w if is_ditto(t) else t for t, w in zip(tokens, words, strict=True))
    f.issues = list(dict.fromkeys([*f.issues, "ditto"]))
