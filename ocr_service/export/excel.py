"""Ministry import Excel per book: registers.json header, every cell text, enums as codes."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ocr_service.errors import BadInput
from ocr_service.export.cells import record_row
from ocr_service.export.containers import ExportLedger, ExportRecord
from ocr_service.export.spec import (
    code_list_values,
    column_field_map,
    column_key,
    excel_columns,
    field_spec,
    is_official_template,
    register_spec,
)

DATA_SHEET = "DL Import"
LEGEND_SHEET = "Ghi chu"
TEXT_FORMAT = "@"
HEADER_FILL = PatternFill("solid", fgColor="0070C0")  # the Java exporter's header style
HEADER_FONT = Font(bold=True, color="FFFFFF")


class MinistryWorkbook:
    """A write-only workbook that takes records one at a time (nothing of a book kept in memory).

    Use `add(record)` per record and `save(out)` once; `write_ministry_xlsx` wraps both.
    """

    def __init__(
        self,
        ledger: ExportLedger,
        *,
        variant: str | None = None,
        strict: bool = True,
        sheet_name: str = DATA_SHEET,
    ) -> None:
        self.ledger = ledger
        self.strict = strict
        self.columns = excel_columns(ledger.meta.register, variant)
        self.codes = column_field_map(ledger.meta.register, self.columns, variant)
        # Extra columns of the CA-source variant: who keyed the data (district / commune).
        self.extras = {
            "DC_DVNHAPHUYEN": ledger.district or "",
            "DC_DVNHAPXA": ledger.meta.commune or "",
        }
        self.rows = 0
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet(sheet_name)
        for i, col in enumerate(self.columns, start=1):
            width = max(10, min(40, len(col) + 2))
            self._ws.column_dimensions[get_column_letter(i)].width = width
        self._ws.freeze_panes = "A2"
        self._ws.append([self._header_cell(col) for col in self.columns])
        if is_official_template(ledger.meta.register, variant):
            self._write_legend()

    def _header_cell(self, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self._ws, value=text)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.number_format = TEXT_FORMAT
        return cell

    def _text_cell(self, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self._ws, value=text or None)
        cell.number_format = TEXT_FORMAT
        if text:
            cell.data_type = "s"  # openpyxl would store '=…' as a formula: keep it text
        return cell

    def _write_legend(self) -> None:
        """Sheet 'Ghi chu': the code list of every enumerated column (official template)."""
        legend = self._wb.create_sheet(LEGEND_SHEET)
        legend.append(["Cột", "Mã", "Ý nghĩa", "Danh mục"])
        for code in self.codes:
            fs = field_spec(self.ledger.meta.register, code)
            if fs.get("type") != "enum":
                continue
            values = code_list_values(fs["code_list"]) if fs.get("code_list") else fs["enum"] or {}
            for key, label in values.items():
                legend.append([code, key, label, fs.get("code_list") or ""])

    def add(self, record: ExportRecord) -> None:
        """Append one record as the next row (STT = its 1-based row number)."""
        self.rows += 1
        row = record_row(self.ledger, record, self.codes, self.rows, strict=self.strict)
        for i, code in enumerate(self.codes):
            if not code and self.columns[i] in self.extras:
                row[i] = self.extras[self.columns[i]]
        self._ws.append([self._text_cell(v) for v in row])

    def discard(self) -> None:
        """Close the sheets' temporary files after a failed export (nothing is written)."""
        for ws in self._wb.worksheets:
            with contextlib.suppress(Exception):
                ws.close()
            writer = getattr(ws, "_writer", None)
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cleanup()

    def save(self, out: IO[bytes] | Path | str) -> int:
        """Write the workbook; returns the number of record rows."""
        self._wb.save(out)
        return self.rows


def write_ministry_xlsx(
    ledger: ExportLedger,
    records: Iterable[ExportRecord],
    out: IO[bytes] | Path | str,
    *,
    variant: str | None = None,
    strict: bool = True,
    sheet_name: str = DATA_SHEET,
) -> int:
    """Stream a book's records into the Ministry import Excel; returns the number of rows.

    variant: None = the type's `excel_columns` (khai-sinh: the 70-column official template with
    its 'Ghi chu' legend sheet); otherwise a key of `excel_column_variants` (e.g. 'tst_60').
    strict: an enum label unknown to its code list or an unreadable date raises BadInput
    (naming the record and field) instead of being written as is. sheet_name: the data sheet
    ('DL Import' as in the official template; the Java exporter lets the caller choose).
    """
    book = MinistryWorkbook(ledger, variant=variant, strict=strict, sheet_name=sheet_name)
    try:
        for record in records:
            book.add(record)
    except BaseException:
        book.discard()
        raise
    return book.save(out)


def _cell_text(value: Any) -> str:
    """Text of a cell read back, including cells others stored as numbers or dates."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def iter_ministry_xlsx(
    path: IO[bytes] | Path | str, *, register: str | None = None
) -> Iterator[dict[str, str]]:
    """Rows of a Ministry-style Excel as {column code: text}, one at a time.

    Reads sheet 'DL Import' when present, else the first sheet; header cells are reduced to the
    column name before any space/newline ('loaiDangKy \\ni=[…]' → 'loaiDangKy'). With `register`,
    upper-case or aliased names (CA source file) are mapped to the registers.json codes.
    """
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[DATA_SHEET] if DATA_SHEET in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise BadInput("the Excel file has no header row")
        names = [column_key(_cell_text(h)) for h in header]
        if register is not None:
            register_spec(register)
            mapped = column_field_map(register, names, _guess_variant(register, names))
            names = [m or n for m, n in zip(mapped, names, strict=True)]
        for row in rows:
            texts = [_cell_text(v) for v in row]
            if not any(texts):
                continue
            yield {n: t for n, t in zip(names, texts, strict=False) if n}
    finally:
        wb.close()


def _guess_variant(register: str, names: list[str]) -> str | None:
    """The column variant whose names are all upper case, for alias mapping of CA files."""
    variants = register_spec(register).get("excel_column_variants") or {}
    upper = {n.upper() for n in names}
    for key, var in variants.items():
        if set(var.get("column_aliases") or {}) & upper:
            return str(key)
    return None


def read_ministry_xlsx(
    path: IO[bytes] | Path | str, *, register: str | None = None
) -> list[dict[str, str]]:
    """All data rows of a Ministry-style Excel as {column code: text} (round trip, re-import)."""
    return list(iter_ministry_xlsx(path, register=register))
