"""Export JSON (CONTRACT.md shape) and CSV (one row per record), both streamed record by record."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from ocr_service.export.cells import clean_text, record_values
from ocr_service.export.containers import ExportLedger, ExportRecord
from ocr_service.export.spec import excel_columns

CSV_LEAD_COLUMNS = ["id", "page", "status"]
# OWASP's CSV injection rule: a cell starting with one of these is read as a formula by
# spreadsheets (=HYPERLINK(…) leaks data, =cmd|… runs programs), so it gets a leading quote.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """`text` as a spreadsheet shows it but never evaluates: a formula trigger first gets "'"."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


@contextlib.contextmanager
def _binary_out(out: IO[bytes] | Path | str) -> Iterator[IO[bytes]]:
    if isinstance(out, str | Path):
        with open(out, "wb") as fh:
            yield fh
    else:
        yield out


def iter_export_json(ledger: ExportLedger, records: Iterable[ExportRecord]) -> Iterator[str]:
    """Chunks of `{"ledger": {...}, "records": [...]}`, one per record (for HTTP streaming)."""
    yield '{"ledger": ' + json.dumps(ledger.to_json(), ensure_ascii=False) + ', "records": ['
    sep = ""
    for record in records:
        yield sep + "\n" + json.dumps(record.to_json(), ensure_ascii=False)
        sep = ","
    yield "\n]}\n"


def write_export_json(
    ledger: ExportLedger, records: Iterable[ExportRecord], out: IO[bytes] | Path | str
) -> int:
    """Write the export JSON as UTF-8; returns the number of records."""
    n = 0

    def counted() -> Iterator[ExportRecord]:
        nonlocal n
        for record in records:
            n += 1
            yield record

    with _binary_out(out) as fh:
        for chunk in iter_export_json(ledger, counted()):
            fh.write(chunk.encode("utf-8"))
    return n


def csv_columns(register: str) -> list[str]:
    """id, page, status, then the type's Excel columns."""
    return CSV_LEAD_COLUMNS + excel_columns(register)


def iter_export_csv(
    ledger: ExportLedger, records: Iterable[ExportRecord], *, raw: bool = False
) -> Iterator[str]:
    """CSV text chunks: a header line, then one line per record.

    Values are the normalised `value`s (labels such as 'Nam', not Excel codes), book metadata
    fills noiDangKy/noiCap/quyenSo as in the Excel, STT is the row number. The first chunk
    starts with a UTF-8 byte-order mark so that Excel on Windows reads the file as UTF-8
    (without it Vietnamese letters come out garbled); other readers skip it ('utf-8-sig').
    A value starting with a formula trigger (=, +, -, @, tab, CR) is prefixed with "'" so that
    a spreadsheet never runs it; `raw` writes the values as they are, for programs.
    """
    columns = csv_columns(ledger.meta.register)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    yield "\ufeff" + buf.getvalue()
    for n, record in enumerate(records, start=1):
        values = record_values(ledger, record)
        values.update({"id": record.id, "page": str(record.page), "status": record.status})
        values["STT"] = str(n)
        buf.seek(0)
        buf.truncate()
        cells = [clean_text(values.get(c, "")) for c in columns]
        writer.writerow(cells if raw else [neutralise_formula(c) for c in cells])
        yield buf.getvalue()


def write_export_csv(
    ledger: ExportLedger,
    records: Iterable[ExportRecord],
    out: IO[bytes] | Path | str,
    *,
    raw: bool = False,
) -> int:
    """Write the CSV (UTF-8 with BOM, CRLF lines); returns the number of records.

    `raw`: values as they are, formula triggers included (see `iter_export_csv`)."""
    n = -1
    with _binary_out(out) as fh:
        for chunk in iter_export_csv(ledger, records, raw=raw):
            fh.write(chunk.encode("utf-8"))
            n += 1
    return n
