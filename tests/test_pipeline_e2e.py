"""A synthetic book through the whole pipeline (real OCR): drafts, book rules, export."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.book import BookMeta
from models.entities import DraftRecord, Ledger
from ocr_service.db import session_scope, upgrade_database
from ocr_service.export.from_db import run_export
from ocr_service.ingest.service import ingest_path
from ocr_service.jobs.dispatch import LocalRunner
from ocr_service.storage import get_storage
from ocr_service.synth import generate_book
from tests.conftest import make_settings

BOOK_RULES = {"sequence-gap", "duplicate-number"}


def read_book(tmp_path: Path, *, plant_errors: bool) -> tuple[dict, list[DraftRecord], Path]:
    book = generate_book(
        "khai-sinh",
        8,
        tmp_path / "book",
        style="typed",
        degrade="light",
        seed=5,
        plant_errors=plant_errors,
    )
    truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", ocr_engine="vi")
    upgrade_database(settings)
    meta = truth["ledger"]
    with session_scope(settings) as session:
        ledger_id = ingest_path(
            session,
            get_storage(settings),
            settings,
            book / "book.pdf",
            meta=BookMeta(
                "khai-sinh",
                commune="Xã Mẫu",
                book=meta["book"],
                year=meta["year"],
                authority=meta.get("noiDangKy"),
            ),
            user_id=None,
        ).ledger.id
    runner = LocalRunner(settings, workers=2)
    try:
        runner.submit("split", ledger_id)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with session_scope(settings) as session:
                if session.get(Ledger, ledger_id).status in ("done", "partial", "failed"):  # type: ignore[union-attr]
                    break
            time.sleep(0.5)
    finally:
        runner.close()
    with session_scope(settings) as session:
        assert session.get(Ledger, ledger_id).status == "done"  # type: ignore[union-attr]
        records = list(
            session.scalars(
                select(DraftRecord)
                .where(DraftRecord.ledger_id == ledger_id)
                .order_by(DraftRecord.seq)
                .options(selectinload(DraftRecord.fields))
            )
        )
        for r in records:
            session.expunge(r)
    out = tmp_path / "export.json"
    run_export(settings, ledger_id, "json", include_drafts=True, out=out)
    return truth, records, out


@pytest.mark.slow
def test_planted_errors_are_flagged_and_the_book_exports(tmp_path: Path) -> None:
    truth, records, exported = read_book(tmp_path, plant_errors=True)
    assert len(records) == len(truth["records"]) == 8
    flagged = {(r.page, w["rule"]) for r in records for w in r.warnings if w.get("scope") == "book"}
    planted = {(truth["records"][p["record"]]["page"], p["rule"]) for p in truth["planted_errors"]}
    for page, rule in planted:
        if rule in BOOK_RULES:
            assert (page, rule) in flagged, (page, rule, flagged)
    assert any(w["rule"] == "registration-before-event" for r in records for w in r.warnings), (
        "birth after registration not flagged"
    )
    doc = json.loads(exported.read_text(encoding="utf-8"))
    assert len(doc["records"]) == 8
    assert doc["records"][0]["fields"]["noiDangKy"]["value"] == truth["ledger"]["noiDangKy"]


@pytest.mark.slow
def test_a_clean_book_raises_no_book_warnings(tmp_path: Path) -> None:
    truth, records, _ = read_book(tmp_path, plant_errors=False)
    assert len(records) == 8
    book_warnings = [(r.page, w) for r in records for w in r.warnings if w.get("scope") == "book"]
    assert book_warnings == []
    first = {f.code: f for f in records[0].fields}
    assert first["nksHoTen"].value == truth["records"][0]["fields"]["nksHoTen"]["value"]
    assert first["nksHoTen"].bbox is not None and first["nksHoTen"].band in ("sure", "check")
