"""Scoring of whole-book field benchmarks (bench/bench_fields.py, bench/bench_spreads.py).

The truth of a field is what the generated page shows (``FieldTruth.text``), put in the export
form REGISTERS.md gives its type; a field the page does not print (book metadata, derived
values, list values of unticked boxes) is scored against the generator's export value. The
comparison rules are issue #13's and nothing more lenient:

- names are compared in REGISTERS.md §6.5 Title Case ('NGUYỄN THỊ THU' = 'Nguyễn Thị Thu');
- an ethnic group is right in any spelling registers.json lists for it (name or variant);
- a code's number is right with or without its leading zeros ('5/2019' = '05/2019');
- everything else: exact after NFC and whitespace collapsing.

Each field is scored twice: **value** (what the export holds) and **value or suggestion** (the
value, or the top candidate the review form offers the clerk for the field, is right: one
keystroke to accept).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from models.registers import load_spec

# Types whose export value is a format of what is written (a date as dd.mm.yyyy, a list value,
# a code of a code list, a register number with the year REGISTERS.md completes it with): the
# generator's `value` is that export form.
FORMATTED_TYPES = frozenset(
    {"date", "partial-date", "time", "enum", "list", "id-number", "number", "date-words", "code"}
)
MAX_MISSES = 40


def clean(v: object) -> str | None:
    """NFC, whitespace collapsed; None for nothing."""
    if v is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", str(v)).split())
    return text or None


def title_case(text: str) -> str:
    """REGISTERS.md §6.5: every word's first letter upper case, the rest lower case."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))


_CODE_NUMBER = re.compile(r"^0+(?=\d)")


def unpadded(code: str) -> str:
    """'05/2019' → '5/2019': the leading zeros of a code's first number."""
    return _CODE_NUMBER.sub("", code)


@lru_cache(maxsize=1)
def ethnic_spellings() -> dict[str, frozenset[str]]:
    """Every spelling of registers.json's ethnic groups → all spellings of that group."""
    out: dict[str, frozenset[str]] = {}
    for group in load_spec()["ethnic_groups"]:
        names = frozenset(
            s for s in (clean(x) for x in (group["name"], *group.get("variants", []))) if s
        )
        for name in names:
            out[name] = names
    return out


def field_type(register: str, code: str) -> tuple[str, str | None]:
    """(type, list name) of a field in registers.json; ('text', None) when unknown."""
    types: Mapping[str, Any] = load_spec()["register_types"]
    spec: Mapping[str, Any] = types.get(register, {}).get("fields", {}).get(code, {})
    return str(spec.get("type", "text")), spec.get("list")


def expected(register: str, code: str, truth: Mapping[str, Any]) -> str | None:
    """What a right export holds for this field: the page's text for what is written as-is
    (text, place, name), the generator's export form for formatted types and for what
    the page does not print."""
    ftype, _ = field_type(register, code)
    text = clean(truth.get("text"))
    if text is None or ftype in FORMATTED_TYPES:
        return clean(truth.get("value"))
    return text


def same(register: str, code: str, want: str, got: str | None) -> bool:
    """Issue #13's comparison of a field's truth with a reading (see the module's doc)."""
    got = clean(got)
    if got is None:
        return False
    if got == want:
        return True
    ftype, list_name = field_type(register, code)
    if ftype == "name":
        return title_case(got) == title_case(want)
    if ftype == "list" and list_name == "ethnic_groups":
        return got in ethnic_spellings().get(want, frozenset())
    if ftype == "code":
        return unpadded(got) == unpadded(want)
    return False


@dataclass
class FieldScore:
    total: int = 0
    value: int = 0
    suggested: int = 0  # value or top suggestion right

    def as_json(self) -> dict[str, int]:
        return {"total": self.total, "exact": self.value, "value_or_suggestion": self.suggested}


def top_suggestion(field: Mapping[str, Any] | None) -> str | None:
    if not field:
        return None
    candidates: Sequence[str] = field.get("candidates") or ()
    return candidates[0] if candidates else None


def score_records(
    register: str,
    pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
    records_exported: int,
) -> dict[str, Any]:
    """Score (truth record, exported record or None) pairs. An exported field may carry
    ``candidates`` (the stored draft's suggestions, read beside the export)."""
    per_field: dict[str, FieldScore] = defaultdict(FieldScore)
    misses: list[dict[str, Any]] = []
    found = 0
    for t, rec in pairs:
        found += rec is not None
        for code, f in t["fields"].items():
            want = expected(register, code, f)
            if want is None:
                continue
            got_field = rec["fields"].get(code) if rec else None
            got = clean(got_field.get("value")) if got_field else None
            hint = clean(top_suggestion(got_field))
            score = per_field[code]
            score.total += 1
            ok = same(register, code, want, got)
            score.value += ok
            fixed = ok or (hint is not None and same(register, code, want, hint))
            score.suggested += fixed
            if not ok and len(misses) < MAX_MISSES:
                miss = {"page": t["page"], "field": code, "want": want, "got": got}
                if hint is not None:
                    miss["suggestion"] = hint
                if f.get("struck"):
                    miss["struck"] = f["struck"]
                misses.append(miss)
    total = sum(s.total for s in per_field.values())
    exact = sum(s.value for s in per_field.values())
    suggested = sum(s.suggested for s in per_field.values())
    return {
        "records_truth": len(pairs),
        "records_found": found,
        "records_exported": records_exported,
        "fields": total,
        "exact": exact,
        "exact_match": round(exact / total, 4) if total else 0.0,
        "value_or_suggestion": suggested,
        "value_or_suggestion_match": round(suggested / total, 4) if total else 0.0,
        "per_field": {k: v.as_json() for k, v in sorted(per_field.items())},
        "misses": misses,
    }


def pair_by_page(
    truth: Mapping[str, Any], export: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """Truth records with the exported record at the same place: records in book order within
    each image, and on a spread of block pages at the same side."""
    by_place: dict[tuple[int, str | None, int], Mapping[str, Any]] = {}
    seen: dict[tuple[int, str | None], int] = defaultdict(int)
    for rec in export["records"]:
        key = (rec["page"], rec.get("side"))
        by_place[(*key, seen[key])] = rec
        seen[key] += 1
    # An image read whole (a spread not split) has records without a side: matched in order.
    sided = {page for page, side in seen if side is not None}
    truth_seen: dict[tuple[int, str | None], int] = defaultdict(int)
    pairs: list[tuple[Mapping[str, Any], Mapping[str, Any] | None]] = []
    for t in truth["records"]:
        key = (t["page"], t.get("half") if t["page"] in sided else None)
        pairs.append((t, by_place.get((*key, truth_seen[key]))))
        truth_seen[key] += 1
    return pairs


def with_candidates(
    export: Mapping[str, Any], candidates: Mapping[str, Mapping[str, Sequence[str]]]
) -> dict[str, Any]:
    """The export with each field's stored candidates (record id → code → candidates) added."""
    records = []
    for rec in export["records"]:
        stored = candidates.get(rec["id"], {})
        fields = {
            code: {**f, "candidates": list(stored.get(code, ()))}
            for code, f in rec["fields"].items()
        }
        records.append({**rec, "fields": fields})
    return {**export, "records": records}


def stored_candidates(ledger_id: str) -> dict[str, dict[str, list[str]]]:
    """record id → field code → the candidates stored with the draft (what the review form
    offers the clerk): the export JSON does not carry them. Reads the database of the current
    settings (SOHOA_DATA_DIR / SOHOA_DATABASE_URL)."""
    from sqlalchemy import select

    from models.entities import DraftRecord, FieldValue
    from ocr_service.db import session_scope

    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    with session_scope() as session:
        rows = session.execute(
            select(FieldValue.record_id, FieldValue.code, FieldValue.candidates)
            .join(DraftRecord, DraftRecord.id == FieldValue.record_id)
            .where(DraftRecord.ledger_id == ledger_id)
        ).all()
    for record_id, code, candidates in rows:
        if candidates:
            out[record_id][code] = [str(c) for c in candidates]
    return dict(out)


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(stored_candidates(sys.argv[1]), ensure_ascii=False))
