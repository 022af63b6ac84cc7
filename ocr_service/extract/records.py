"""Orchestrator: OCR pages of a ledger → draft records (layout, normalise, prefill, rules)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from models.book import BookMeta
from models.json_types import JsonObject
from ocr_service.errors import BadInput
from ocr_service.extract.confidence import score_field
from ocr_service.extract.containers import RecordDraft
from ocr_service.extract.derive import derive_fields, snap_position
from ocr_service.extract.layouts.block_form import read_block_form
from ocr_service.extract.layouts.layout_file import LedgerLayout, load_layout_file
from ocr_service.extract.layouts.table_ledger import read_table_ledger
from ocr_service.extract.normalise import Normalised, normalise_field
from ocr_service.extract.prefill import (
    complete_so_year,
    prefill_defaults,
    prefill_from_ledger,
    prefill_sequence,
)
from ocr_service.extract.rules import check_book, check_record, parse_date_value
from ocr_service.extract.spec import register_spec
from ocr_service.ocr.containers import OcrPage

log = logging.getLogger(__name__)

Image = np.ndarray[Any, Any]
BLOCK_LAYOUTS = {"block_form", "block-form", "block"}
TABLE_LAYOUTS = {"table_ledger", "table-ledger", "table"}


def read_layout(
    register: str,
    layout: str,
    pages: list[tuple[int, OcrPage]],
    *,
    layout_file: str | Path | JsonObject | LedgerLayout | None = None,
    images: dict[int, Image] | None = None,
) -> list[RecordDraft]:
    """Stage 1: raw readings per record from the page layout."""
    if layout in BLOCK_LAYOUTS:
        records = []
        for no, page in pages:
            rec = read_block_form(register, no, page, (images or {}).get(no))
            if any(f.raw.strip() for f in rec.fields.values() if f.source == "ocr"):
                records.append(rec)
        return records
    if layout in TABLE_LAYOUTS:
        if layout_file is None:
            raise BadInput("a table ledger needs a layout file (see docs/LAYOUT_FILES.md)")
        spec = (
            layout_file if isinstance(layout_file, LedgerLayout) else load_layout_file(layout_file)
        )
        if spec.register != register:
            raise BadInput(
                f"layout file: register: the file is for {spec.register!r}, the ledger is "
                f"{register!r}",
                code="bad_layout",
            )
        return read_table_ledger(spec, pages, images)
    raise BadInput(f"unknown layout {layout!r}; expected 'block_form' or 'table_ledger'")


def normalise_record(register: str, rec: RecordDraft, ledger: BookMeta) -> dict[str, Normalised]:
    """Stage 2: value, issues and candidates of every read field (normaliser results by code)."""
    results: dict[str, Normalised] = {}
    # ngayDangKy first: its year completes a `so` written without one.
    order = sorted(rec.fields, key=lambda c: c != "ngayDangKy")
    for code in order:
        f = rec.fields[code]
        if f.source != "ocr" or not f.raw.strip():
            continue
        hint = None
        if code in ("so", "quyenSo"):
            reg = parse_date_value(rec.value("ngayDangKy"))
            hint = reg[0] if reg and code == "so" else ledger.year
        n = normalise_field(register, code, f.raw, year_hint=hint)
        results[code] = n
        # The layout's own value stands when the normaliser cannot read the text.
        if n.ok or f.value is None:
            f.value = n.value
        f.issues = list(dict.fromkeys([*f.issues, *n.issues]))
        f.candidates = list(n.candidates)
    return results


def score_record(rec: RecordDraft, results: dict[str, Normalised]) -> None:
    """Stage 5: one confidence + band per field (formula in confidence.py)."""
    for code, f in rec.fields.items():
        n = results.get(code)
        has_value = bool((f.value or "").strip())
        if n is not None and f.source == "ocr":
            parsed: bool | None = n.ok and has_value
            lexicon = n.score
        elif f.source == "ocr" and not f.raw.strip():
            parsed, lexicon = (True, 1.0) if has_value else (None, 0.0)
        else:
            parsed, lexicon = has_value, 1.0
        score_field(f, ocr=f.confidence, parsed=parsed, lexicon=lexicon)


def extract_records(
    register: str,
    layout: str,
    pages: list[tuple[int, OcrPage]],
    ledger: BookMeta,
    *,
    layout_file: str | Path | JsonObject | LedgerLayout | None = None,
    images: dict[int, Image] | None = None,
    book_rules: bool = True,
) -> list[RecordDraft]:
    """Draft records of one ledger: layout → normalise → derive → prefill → rules.

    With `book_rules=False` (a page job reading one page of a book), numbering from the
    sequence and the book-level rules are left to the pass over the whole book.

    `pages` are (1-based page number in ledger order, OCR of that page); `images` optionally
    maps page numbers to the page images (grey or BGR arrays) for tick-boxes and ruled lines.
    """
    register_spec(register)
    records = read_layout(register, layout, pages, layout_file=layout_file, images=images)
    quyen = normalise_field(register, "quyenSo", ledger.book) if ledger.book else None
    quyen_value = quyen.value if quyen is not None and quyen.ok else (ledger.book or None)
    results = []
    for rec in records:
        normalised = normalise_record(register, rec, ledger)
        results.append(normalised)
        snap_position(rec)
        complete_so_year(rec, ledger)
        derive_fields(register, rec, {c: dict(n.extra) for c, n in normalised.items()})
        prefill_from_ledger(register, rec, ledger, quyen_value)
    if book_rules:
        prefill_sequence(records)
    for rec, normalised in zip(records, results, strict=True):
        prefill_defaults(register, rec)
        score_record(rec, normalised)
        rec.warnings.extend(check_record(register, rec))
    if book_rules:
        for i, warnings in check_book(records).items():
            records[i].warnings.extend(warnings)
    log.info(
        "extracted %d records from %d pages (%s, %s)", len(records), len(pages), register, layout
    )
    return records
