"""Export JSON (CONTRACT.md shape), CSV with BOM, and streaming of every writer."""

from __future__ import annotations

import csv
import io
import json
import weakref
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_export_support import REGISTERS, sample_ledger, sample_record, scan_page

from ocr_service.export import (
    ExportField,
    ExportRecord,
    iter_export_json,
    write_book_zip,
    write_export_csv,
    write_export_json,
    write_ministry_xlsx,
    write_training_set,
)
from ocr_service.export.spec import excel_columns


def test_json_has_the_contract_shape() -> None:
    ledger = sample_ledger("khai-sinh", pages=12)
    rec = sample_record("khai-sinh", 3)
    rec.fields["nksNgaySinh"] = ExportField("05.03.1987", "05/3/1987", 0.91, [10, 20, 300, 60])
    rec.warnings = [{"field": "so", "rule": "sequence-gap", "message": "thiếu số 02"}]
    buf = io.BytesIO()
    assert write_export_json(ledger, [rec, sample_record("khai-sinh", 4)], buf) == 2
    doc = json.loads(buf.getvalue().decode("utf-8"))
    assert set(doc) == {"ledger", "records"}
    assert doc["ledger"] == {
        "id": ledger.id, "register": "khai-sinh", "commune": "Xã Lộc Thuận", "book": "01/2019",
        "year": 2019, "pages": 12,
    }  # fmt: skip
    first = doc["records"][0]
    assert set(first) == {"id", "page", "status", "version", "fields", "warnings"}
    assert first["fields"]["nksNgaySinh"] == {
        "value": "05.03.1987", "raw": "05/3/1987", "confidence": 0.91, "bbox": [10, 20, 300, 60],
    }  # fmt: skip
    assert first["fields"]["nksHoTen"]["value"] == "Nguyễn Thị Thu Hương"
    assert first["warnings"][0]["rule"] == "sequence-gap"
    assert json.loads("".join(iter_export_json(ledger, []))) == {
        "ledger": doc["ledger"], "records": []
    }  # fmt: skip


@pytest.mark.parametrize("register", REGISTERS)
def test_csv_has_bom_lead_columns_and_normalised_values(register: str, tmp_path: Path) -> None:
    out = tmp_path / "book.csv"
    records = [sample_record(register, n) for n in (1, 2)]
    assert write_export_csv(sample_ledger(register), records, out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == ["id", "page", "status", *excel_columns(register)]
    for row, rec in zip(rows, records, strict=True):
        assert (row["id"], row["page"], row["status"]) == (rec.id, str(rec.page), rec.status)
        for code, fld in rec.fields.items():
            if code in row:
                assert row[code] == fld.value  # labels, not codes; '01' stays '01'


class _LiveRecords:
    """Counts records alive at once: a writer that collects the book keeps them all alive."""

    def __init__(self, register: str, count: int, with_bbox: bool = False) -> None:
        self.register, self.count, self.with_bbox = register, count, with_bbox
        self.live = 0
        self.most_alive = 0
        self.made = 0

    def _gone(self) -> None:
        self.live -= 1

    def __iter__(self) -> Iterator[ExportRecord]:
        for n in range(1, self.count + 1):
            rec = sample_record(self.register, n, pages=[1])
            if self.with_bbox:
                rec.fields["nksHoTen"].bbox = [400, 300, 1200, 380]
            weakref.finalize(rec, self._gone)
            self.live += 1
            self.made += 1
            self.most_alive = max(self.most_alive, self.live)
            yield rec
            del rec


def _writers(tmp_path: Path) -> dict[str, Callable[[_LiveRecords], object]]:
    ledger = sample_ledger("khai-sinh")
    page = scan_page(3)
    return {
        "xlsx": lambda recs: write_ministry_xlsx(ledger, recs, tmp_path / "b.xlsx"),
        "json": lambda recs: write_export_json(ledger, recs, tmp_path / "b.json"),
        "csv": lambda recs: write_export_csv(ledger, recs, tmp_path / "b.csv"),
        "training": lambda recs: write_training_set(
            ledger, recs, lambda n: page, tmp_path / "t.zip"
        ),
        "zip": lambda recs: write_book_zip(
            ledger, recs, lambda n: page, tmp_path / "b.zip", on_clash="suffix"
        ),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("writer", "count"),
    [("xlsx", 5000), ("json", 5000), ("csv", 5000), ("training", 100), ("zip", 40)],
)
def test_writers_stream_records_without_keeping_the_book(
    writer: str, count: int, tmp_path: Path
) -> None:
    records = _LiveRecords("khai-sinh", count, with_bbox=writer == "training")
    _writers(tmp_path)[writer](records)
    assert records.made == count
    assert records.most_alive <= 2  # one record in hand (+ the one being dropped)
    if writer == "zip":
        with zipfile.ZipFile(tmp_path / "b.zip") as zf:
            assert len(zf.namelist()) == count + 1
