"""The book's data read from its stored pages: voted, filled, used by the Ministry exports."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.entities import AuditEvent, DraftRecord, FieldValue, Ledger, Page, PageOcr
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.errors import Conflict
from ocr_service.export.from_db import run_export
from ocr_service.extract.book_vote import quyen_so_key
from ocr_service.jobs.lifecycle import maybe_finish_ledger
from ocr_service.records.book_reading import OUTLIER_ISSUE, apply_book_reading
from tests.conftest import auth
from tests.factories import add_book

AUTHORITY = "UBND xã An Nhơn, huyện Đạ Tẻh, tỉnh Lâm Đồng"


def book_without_data(settings: Settings, quyen: dict[int, str], *, book: str | None = None) -> str:
    """A read book given only its register (and commune): each page's header says `quyen`."""
    made = add_book(settings, records=len(quyen), year=2021)
    with session_scope(settings) as session:
        ledger = session.get(Ledger, made.ledger_id)
        assert ledger is not None
        ledger.book, ledger.year, ledger.authority = book, None, None
        ledger.status = "processing"
        for page in session.scalars(select(Page).where(Page.ledger_id == ledger.id)):
            session.add(
                PageOcr(
                    page_id=page.id,
                    engine="test",
                    engine_version="1",
                    width=827,
                    height=1169,
                    lines=[
                        {"text": AUTHORITY, "confidence": 0.9, "bbox": [60, 20, 700, 50]},
                        {
                            "text": "SỔ ĐĂNG KÝ KHAI SINH",
                            "confidence": 0.9,
                            "bbox": [60, 60, 600, 90],
                        },
                    ],
                )
            )
        for f in session.scalars(
            select(FieldValue)
            .join(DraftRecord)
            .where(DraftRecord.ledger_id == ledger.id, FieldValue.code == "quyenSo")
        ):
            f.raw = quyen[f.page or 0]
            f.value = quyen_so_key(f.raw)  # as the normaliser leaves it
    return made.ledger_id


def test_a_book_given_only_its_register_takes_its_data_from_its_pages(
    settings: Settings, tmp_path
) -> None:
    ledger_id = book_without_data(
        settings, {1: "01/2021", 2: "01 /2021", 3: "07/2027", 4: "01/2021", 5: "01/2027"}
    )
    assert maybe_finish_ledger(ledger_id, settings) == "done"
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and ledger.book_reading is not None
        assert (ledger.book, ledger.year, ledger.authority) == ("01/2021", 2021, AUTHORITY)
        facts = ledger.book_reading["facts"]
        assert facts["book"]["outliers"] == [
            {"value": "07/2027", "pages": [3]},
            {"value": "01/2027", "pages": [5]},
        ]
        assert facts["register"]["value"] == "khai-sinh"
        assert ledger.book_reading["filled"] == ["book", "year", "authority"]
        misread = {
            r.page: next(f for f in r.fields if f.code == "quyenSo")
            for r in session.scalars(select(DraftRecord).where(DraftRecord.ledger_id == ledger_id))
        }
        assert misread[3].value == "01/2021" and misread[3].raw == "07/2027"
        assert OUTLIER_ISSUE in misread[3].issues and OUTLIER_ISSUE not in misread[1].issues
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ledger.book_from_pages")
        ).all()
        assert len(events) == 1 and events[0].data["new"]["book"] == "01/2021"
    xlsx = run_export(settings, ledger_id, "xlsx", include_drafts=True, out=tmp_path / "b.xlsx")
    assert xlsx.filename == "xaannhon.KS.2021.01.xlsx"
    sheet = load_workbook(tmp_path / "b.xlsx").active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    column = header.index("quyenSo")
    assert {row[column].value for row in sheet.iter_rows(min_row=2)} == {"01/2021"}
    zipped = run_export(settings, ledger_id, "zip", include_drafts=True, out=tmp_path / "b.zip")
    assert zipped.filename == "xaannhon.KS.2021.01.zip"
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        pdfs = [n for n in zf.namelist() if n.endswith(".pdf")]
    assert pdfs and all(".2021.01." in n for n in pdfs), pdfs


def test_given_values_are_kept_and_a_contradiction_is_reported(settings: Settings) -> None:
    ledger_id = book_without_data(
        settings, {1: "01/2021", 2: "01/2021", 3: "01/2021"}, book="02/2021"
    )
    with session_scope(settings) as session:
        reading = apply_book_reading(session, ledger_id)
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        assert ledger.book == "02/2021" and ledger.year == 2021
        assert set(reading.mismatches) == {"book"}
        assert "01/2021" in reading.mismatches["book"]
        # Records keep what their pages say: the book's given value is not the pages'.
        values = session.scalars(
            select(FieldValue.value)
            .join(DraftRecord)
            .where(DraftRecord.ledger_id == ledger_id, FieldValue.code == "quyenSo")
        ).all()
        assert set(values) == {"01/2021"}


def cli_export(settings: Settings, ledger_id: str, out: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_DATABASE_URL": settings.db_url,
        "SOHOA_OCR_ENGINE": "none",
    }
    env.pop("SOHOA_REDIS_URL", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ocr_service.cli",
            "export",
            ledger_id,
            "--format",
            "xlsx",
            "--include-drafts",
            "--out",
            out,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_an_export_refuses_a_book_whose_pages_disagree_and_says_where(
    settings: Settings, client: TestClient, admin_token: str, tmp_path
) -> None:
    ledger_id = book_without_data(
        settings, {1: "01/2021", 2: "01/2021", 3: "02/2021", 4: "02/2021"}
    )
    maybe_finish_ledger(ledger_id, settings)
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and ledger.book is None and ledger.year == 2021  # all agree
        assert ledger.book_reading is not None
        assert ledger.book_reading["facts"]["book"]["status"] == "disputed"
    with pytest.raises(Conflict) as refused:
        run_export(settings, ledger_id, "xlsx", include_drafts=True, out=tmp_path / "x.xlsx")
    assert "'01/2021' on pages 1, 2; '02/2021' on pages 3, 4" in refused.value.message
    r = client.get(
        f"/api/v1/ledgers/{ledger_id}/export?format=zip&include_drafts=true",
        headers=auth(admin_token),
    )
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "book_disputed"
    assert "pages 3, 4" in r.json()["error"]["message"]
    proc = cli_export(settings, ledger_id, str(tmp_path / "c.xlsx"))
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "pages 1, 2" in proc.stderr
    # JSON is not named after the book: it still exports.
    assert run_export(settings, ledger_id, "json", include_drafts=True, out=tmp_path / "j").records
    # Once the clerk sets the quyển số, the Excel is named after it.
    patched = client.patch(
        f"/api/v1/ledgers/{ledger_id}", headers=auth(admin_token), json={"book": "02/2021"}
    )
    assert patched.status_code == 200, patched.text
    done = run_export(settings, ledger_id, "xlsx", include_drafts=True, out=tmp_path / "d.xlsx")
    assert done.filename == "xaannhon.KS.2021.02.xlsx"


def test_a_clerks_value_is_compared_with_the_pages_again(
    settings: Settings, client: TestClient, admin_token: str
) -> None:
    ledger_id = book_without_data(settings, {1: "01/2021", 2: "01/2021", 3: "01/2021"})
    maybe_finish_ledger(ledger_id, settings)
    url = f"/api/v1/ledgers/{ledger_id}"
    shown = client.get(url, headers=auth(admin_token)).json()
    assert shown["book"] == "01/2021" and shown["book_reading"]["mismatches"] == {}
    assert shown["book_reading"]["facts"]["book"]["pages"] == [1, 2, 3]
    r = client.patch(url, headers=auth(admin_token), json={"book": "02/2021"})
    assert r.status_code == 200, r.text
    reading = r.json()["book_reading"]
    assert set(reading["mismatches"]) == {"book"} and "01/2021" in reading["mismatches"]["book"]
    assert reading["filled"] == ["year", "authority"]
    # A later vote (the book read again) never overwrites what the clerk set.
    with session_scope(settings) as session:
        apply_book_reading(session, ledger_id)
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and ledger.book == "02/2021"


def test_a_book_is_seen_done_only_with_its_book_facts_stored(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client polling for 'done' read the records before their book facts and rules were
    stored (a later transaction): while they are applied, nobody else sees the book done."""
    import ocr_service.records.book_reading as book_reading

    ledger_id = book_without_data(settings, {1: "01/2021", 2: "01/2021"})
    seen: list[str] = []
    apply = book_reading.apply_book_reading

    def watched(session, ledger):  # type: ignore[no-untyped-def]
        with session_scope(settings) as other:  # another connection, as a polling client
            status = other.scalar(select(Ledger.status).where(Ledger.id == ledger))
            seen.append(str(status))
        apply(session, ledger)

    monkeypatch.setattr(book_reading, "apply_book_reading", watched)
    assert maybe_finish_ledger(ledger_id, settings) == "done"
    assert seen == ["processing"]
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and ledger.status == "done" and ledger.book == "01/2021"


def test_book_rules_that_fail_leave_the_book_closed_and_its_records_stored(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ocr_service.records.store as store

    ledger_id = book_without_data(settings, {1: "01/2021", 2: "01/2021"})

    def broken(session, ledger):  # type: ignore[no-untyped-def]
        raise RuntimeError("rules failed")

    monkeypatch.setattr(store, "apply_book_rules", broken)
    assert maybe_finish_ledger(ledger_id, settings) == "done"
    with session_scope(settings) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None and ledger.status == "done"
        assert ledger.book is None  # the book facts of the failed savepoint are not half-kept
        count = session.scalar(
            select(func.count()).select_from(DraftRecord).where(DraftRecord.ledger_id == ledger_id)
        )
        assert count == 2
