"""Ministry Excel: exact headers per type, text cells, codes for enums, round trip, LibreOffice."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from test_export_support import (
    REGISTERS,
    expected_row,
    sample_ledger,
    sample_record,
    sample_records,
)

from ocr_service.errors import BadInput
from ocr_service.export import (
    ExportField,
    ExportRecord,
    read_ministry_xlsx,
    write_ministry_xlsx,
)
from ocr_service.export.spec import excel_columns, load_registers


def _record(register: str, **values: str) -> ExportRecord:
    rec = sample_record(register, 1)
    for code, value in values.items():
        rec.fields[code] = ExportField(value, value, 0.9, None)
    return rec


def _cell(register: str, code: str, value: str, *, strict: bool = True) -> str:
    buf = io.BytesIO()
    write_ministry_xlsx(
        sample_ledger(register), [_record(register, **{code: value})], buf, strict=strict
    )
    buf.seek(0)
    return read_ministry_xlsx(buf)[0][code]


@pytest.mark.parametrize("register", REGISTERS)
def test_header_is_the_registers_json_column_list_and_values_round_trip(
    register: str, tmp_path: Path
) -> None:
    out = tmp_path / "book.xlsx"
    rows = write_ministry_xlsx(sample_ledger(register), sample_records(register, 3), out)
    assert rows == 3
    columns = load_registers()["register_types"][register]["excel_columns"]

    wb = load_workbook(out)  # full mode: styles and number formats visible
    ws = wb["DL Import"]
    assert [c.value for c in ws[1]] == columns
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.number_format == "@"
            assert cell.value is None or cell.data_type == "s"

    back = read_ministry_xlsx(out)
    assert back == [expected_row(register, n, n, columns) for n in (1, 2, 3)]


def test_khai_sinh_official_template_has_legend_sheet_and_styled_header(tmp_path: Path) -> None:
    out = tmp_path / "ks.xlsx"
    write_ministry_xlsx(sample_ledger("khai-sinh"), sample_records("khai-sinh", 2), out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["DL Import", "Ghi chu"]
    head = wb["DL Import"]["B1"]
    assert head.value == "so"
    assert head.fill.fgColor.rgb.endswith("0070C0")
    assert head.font.color.rgb.endswith("FFFFFF")
    legend = {(r[0], r[1]): r[2] for r in wb["Ghi chu"].iter_rows(min_row=2, values_only=True)}
    assert legend[("nksGioiTinh", "1")] == "Nam"
    assert legend[("loaiDangKy", "6")] == "Không xác định"
    # STT numbers the rows; the other types have no STT and no legend
    assert [r["STT"] for r in read_ministry_xlsx(out)] == ["1", "2"]
    other = tmp_path / "kt.xlsx"
    write_ministry_xlsx(sample_ledger("khai-tu"), sample_records("khai-tu", 1), other)
    assert load_workbook(other).sheetnames == ["DL Import"]


def test_variant_tst_60_and_ca_source_61(tmp_path: Path) -> None:
    ledger = sample_ledger("khai-sinh")
    variants = load_registers()["register_types"]["khai-sinh"]["excel_column_variants"]
    out = tmp_path / "tst.xlsx"
    write_ministry_xlsx(ledger, sample_records("khai-sinh", 2), out, variant="tst_60")
    header = [c.value for c in load_workbook(out)["DL Import"][1]]
    assert header == variants["tst_60"]["columns"]
    assert len(header) == 60
    assert read_ministry_xlsx(out)[1] == expected_row("khai-sinh", 2, 2, header)

    ca = tmp_path / "ca.xlsx"
    write_ministry_xlsx(ledger, sample_records("khai-sinh", 1), ca, variant="ca_source_61")
    assert [c.value for c in load_workbook(ca).active[1]] == variants["ca_source_61"]["columns"]
    row = read_ministry_xlsx(ca, register="khai-sinh")[0]
    # upper-case and drifted names come back as registers.json codes
    want = expected_row("khai-sinh", 1, 1, ["nksMatTichNgayGhiChuTuyenBo", "nksGioiTinh"])
    assert row["nksMatTichNgayGhiChuTuyenBo"] == want["nksMatTichNgayGhiChuTuyenBo"] != ""
    assert row["nksGioiTinh"] == want["nksGioiTinh"] != ""
    assert row["DC_DVNHAPHUYEN"] == "Huyện Bình Đại"
    assert row["DC_DVNHAPXA"] == "Xã Lộc Thuận"

    with pytest.raises(BadInput, match="no column variant"):
        write_ministry_xlsx(ledger, [], tmp_path / "x.xlsx", variant="nope")


def test_enumerations_are_written_as_codes() -> None:
    assert _cell("khai-sinh", "nksGioiTinh", "Nam") == "1"
    assert _cell("khai-sinh", "nksGioiTinh", "Nữ") == "2"
    assert _cell("khai-sinh", "nksGioiTinh", "2") == "2"
    # tick-box wording of the page maps into the longer code-list label
    assert _cell("khai-sinh", "loaiDangKy", "Đúng hạn") == "1"
    assert _cell("khai-sinh", "loaiDangKy", "Quá hạn") == "4"
    assert _cell("khai-sinh", "loaiDangKy", "Đăng ký lại") == "2"  # 'ký' and 'kí' both accepted
    assert _cell("khai-tu", "loaiDangKy", "Đúng hạn") == "1"
    assert _cell("khai-tu", "nktLoaiCuTru", "Tạm trú") == "2"
    assert _cell("khai-sinh", "meLoaiGiayToTuyThan", "Hộ chiếu") == "2"
    assert _cell("ket-hon", "tinhTrangKetHon", "Đã ly hôn") == "1"
    with pytest.raises(BadInput, match="loaiDangKy"):
        _cell("khai-sinh", "loaiDangKy", "Hôm qua")
    assert _cell("khai-sinh", "loaiDangKy", "Hôm qua", strict=False) == "Hôm qua"


def test_text_values_keep_their_form() -> None:
    assert _cell("khai-sinh", "so", "01/2019") == "01/2019"
    assert _cell("khai-sinh", "trangSo", "01") == "01"
    assert _cell("khai-sinh", "meSoGiayToTuyThan", "0123 456.789") == "0123456789"
    assert _cell("khai-sinh", "nksNgaySinh", "5/3/1987") == "05.03.1987"
    assert _cell("khai-sinh", "nksNgaySinh", "1987-03-05") == "05.03.1987"
    assert _cell("khai-sinh", "meNgaySinh", "3/1987") == "03.1987"
    assert _cell("khai-sinh", "meNgaySinh", "1987") == "1987"
    assert _cell("khai-tu", "nktGioPhutChet", "6 giờ 38 phút") == "06:38"
    assert _cell("khai-sinh", "nksQueQuan", ", , , ") == ""
    assert _cell("khai-sinh", "ghiChu", "=1+1") == "=1+1"  # text, never a formula
    assert _cell("khai-sinh", "ghiChu", "a\x01b\x0cc") == "a b c"
    with pytest.raises(BadInput, match="nksNgaySinh"):
        _cell("khai-sinh", "nksNgaySinh", "05.03.87")  # two-digit year: never guessed


def test_book_metadata_fills_noi_dang_ky_and_quyen_so(tmp_path: Path) -> None:
    rec = sample_record("khai-sinh", 1)
    del rec.fields["noiDangKy"], rec.fields["quyenSo"]
    out = tmp_path / "b.xlsx"
    write_ministry_xlsx(sample_ledger("khai-sinh"), [rec], out)
    row = read_ministry_xlsx(out)[0]
    assert row["noiDangKy"] == "UBND xã Lộc Thuận, huyện Bình Đại, tỉnh Bến Tre"
    assert row["quyenSo"] == "01/2019"
    rec_hn = sample_record("xac-nhan-hon-nhan", 1)
    del rec_hn.fields["noiCap"]
    write_ministry_xlsx(sample_ledger("xac-nhan-hon-nhan"), [rec_hn], out)
    assert read_ministry_xlsx(out)[0]["noiCap"].startswith("UBND xã Lộc Thuận")


def test_reimport_of_a_hand_made_file_with_hints_numbers_and_dates(tmp_path: Path) -> None:
    # As in the official-style sample: header hints, so stored as a date, an id stored as a number
    wb = Workbook()
    ws = wb.active
    ws.title = "DL Import"
    ws.append(["STT", "so", "loaiDangKy \ni=[1,2,3,4,5,6]", "nycSoGiayToTuyThan", "nksHoTen"])
    ws.append([1, "01/2018", "1", 141742143, "Nguyễn Văn A"])
    ws.append([2, dt.datetime(2008, 3, 1), 4.0, None, None])
    ws.append([None, None, None, None, None])
    path = tmp_path / "hand.xlsx"
    wb.save(path)
    assert read_ministry_xlsx(path) == [
        {"STT": "1", "so": "01/2018", "loaiDangKy": "1", "nycSoGiayToTuyThan": "141742143",
         "nksHoTen": "Nguyễn Văn A"},
        {"STT": "2", "so": "01.03.2008", "loaiDangKy": "4", "nycSoGiayToTuyThan": "",
         "nksHoTen": ""},
    ]  # fmt: skip


@pytest.mark.slow
def test_libreoffice_opens_every_type(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice Calc is required: apt-get install libreoffice-calc-nogui"
    files = []
    for register in REGISTERS:
        path = tmp_path / f"{register}.xlsx"
        write_ministry_xlsx(sample_ledger(register), sample_records(register, 2), path)
        files.append(path)
    outdir = tmp_path / "csv"
    # 44 = comma, 34 = double quote, 76 = UTF-8; a private profile so parallel runs don't clash
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
         "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1', "--outdir", str(outdir),
         *map(str, files)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    for register in REGISTERS:
        text = (outdir / f"{register}.csv").read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        columns = excel_columns(register)
        assert rows[0] == columns
        assert rows[1:] == [
            [expected_row(register, n, n, columns)[c] for c in columns] for n in (1, 2)
        ]
