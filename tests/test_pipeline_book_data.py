"""A synthetic book uploaded with only its register type (real OCR): its pages name the export."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from models.book import BookMeta
from models.entities import Ledger
from ocr_service.db import session_scope, upgrade_database
from ocr_service.export.from_db import run_export
from ocr_service.ingest.service import ingest_path
from ocr_service.jobs.dispatch import LocalRunner
from ocr_service.storage import get_storage
from ocr_service.synth import generate_book
from tests.conftest import make_settings


@pytest.mark.slow
def test_a_book_given_only_its_register_exports_named_from_its_pages(tmp_path: Path) -> None:
    book = generate_book("khai-sinh", 4, tmp_path / "book", style="typed", degrade="light", seed=7)
    truth = json.loads((book / "truth.json").read_text(encoding="utf-8"))["ledger"]
    volume, year = truth["book"].split("/")
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", ocr_engine="vi")
    upgrade_database(settings)
    with session_scope(settings) as session:
        # As a clerk's upload: the register chosen, the commune the clerk's own; nothing else.
        meta = BookMeta("khai-sinh", commune="Xã Mẫu")
        ledger_id = ingest_path(
            session,
            get_storage(settings),
            settings,
            book / "book.pdf",
            meta=meta,
            user_id=None,
        ).ledger.id
    runner = LocalRunner(settings, workers=2)
    try:
        runner.submit("split", ledger_id)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with session_scope(settings) as session:
                ledger = session.get(Ledger, ledger_id)
                if ledger is not None and ledger.status in ("done", "partial", "failed"):
                    break
            time.sleep(0.5)
    finally:
        runner.close()
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and ledger.status == "done"
        assert (ledger.book, ledger.year) == (truth["book"], truth["year"])
        assert ledger.book_reading is not None
        assert ledger.book_reading["facts"]["book"]["status"] == "agreed"
    stem = f"xamau.KS.{year}.{volume}"
    xlsx = run_export(settings, ledger_id, "xlsx", include_drafts=True, out=tmp_path / "b.xlsx")
    assert xlsx.filename == f"{stem}.xlsx" and xlsx.records == 4
    zipped = run_export(settings, ledger_id, "zip", include_drafts=True, out=tmp_path / "b.zip")
    assert zipped.filename == f"{stem}.zip"
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        pdfs = [n for n in zf.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 4 and all(f"KS.{year}.{volume}." in n for n in pdfs), pdfs
