"""One type for a book's metadata: checked once, stored column by column, read back whole."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import inspect

from models.book import ATTRIBUTES, BookMeta, InvalidBookMeta, parse_year
from models.entities import Ledger
from models.schemas import BookPublic, LedgerPublic
from ocr_service.cli import _collect
from ocr_service.errors import BadInput
from ocr_service.export.containers import ExportLedger
from ocr_service.ingest.service import check_book
from ocr_service.pipeline.page import PageInput, PageOutput
from ocr_service.preprocess import preprocess_page

TODAY = dt.date(2024, 6, 1)


def test_checked_cleans_free_text_and_keeps_the_rest() -> None:
    meta = BookMeta(
        "khai-sinh",
        commune="  Xã \t An   Nhơn ",
        book=" ",
        year=2019,
        authority="UBND xã An Nhơn",
        layout="table",
    )
    checked = meta.checked(today=TODAY)
    assert checked.commune == "Xã An Nhơn"
    assert checked.book is None  # blank means not given
    assert (checked.register, checked.year, checked.layout) == ("khai-sinh", 2019, "table")
    assert checked.authority == "UBND xã An Nhơn"
    assert meta.commune == "  Xã \t An   Nhơn "  # a value type: checking makes a new one


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"register": "giay-phep"}, "unknown register 'giay-phep': use one of khai-sinh"),
        ({"layout": "round"}, "unknown layout 'round': use block or table"),
        ({"year": 1899}, "year 1899 is outside 1900–2025"),
        ({"year": 2026}, "year 2026 is outside 1900–2025"),
        ({"book": "x" * 65}, "book must be at most 64 printable characters"),
        ({"commune": "a\x00b"}, "commune must be at most 200 printable characters"),
        ({"authority": "u" * 301}, "authority must be at most 300 printable characters"),
    ],
)
def test_checked_refuses_with_a_message(changes: dict[str, object], message: str) -> None:
    meta = dataclasses.replace(BookMeta("khai-sinh"), **changes)  # type: ignore[arg-type]
    with pytest.raises(InvalidBookMeta) as err:
        meta.checked(today=TODAY)
    assert str(err.value).startswith(message)


def test_every_free_text_attribute_has_a_limit_that_fits_its_column() -> None:
    columns = Ledger.__table__.columns
    for f in dataclasses.fields(BookMeta):
        if "max_len" in f.metadata:
            assert columns[f.name].type.length == f.metadata["max_len"], f.name  # type: ignore[attr-defined]


def test_ingest_turns_a_refusal_into_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown register"):
        check_book(BookMeta("giay-phep"))
    assert check_book(BookMeta("khai-tu", commune=" Xã  A ")).commune == "Xã A"


@pytest.mark.parametrize(("text", "year"), [(None, None), ("", None), (" 2019 ", 2019)])
def test_parse_year(text: str | None, year: int | None) -> None:
    assert parse_year(text) == year


def test_parse_year_refuses_what_is_not_a_number() -> None:
    with pytest.raises(InvalidBookMeta, match="year must be a 4-digit number"):
        parse_year("19x")


def test_a_ledger_row_has_a_column_for_every_attribute_and_round_trips() -> None:
    assert set(ATTRIBUTES) <= {c.key for c in inspect(Ledger).column_attrs}
    meta = BookMeta(
        "ket-hon",
        layout="table",
        layout_file={"register": "ket-hon", "columns": []},
        commune="Xã Mẫu",
        book="02/2010",
        year=2010,
        authority="UBND xã Mẫu",
    )
    ledger = Ledger.for_book(meta, original_sha256="0" * 64, status="queued")
    assert (ledger.register, ledger.book, ledger.authority) == ("ket-hon", "02/2010", "UBND xã Mẫu")
    assert ledger.book_meta() == meta


def test_the_api_reads_the_book_by_name_and_keeps_the_wire_names() -> None:
    meta = BookMeta("khai-tu", commune="Xã Mẫu", book="01/2019", year=2019, authority="UBND")
    public = BookPublic.model_validate(meta)
    assert public.model_dump(by_alias=True) == {
        "register": "khai-tu",
        "commune": "Xã Mẫu",
        "book": "01/2019",
        "year": 2019,
        "authority": "UBND",
        "layout": "block",
    }
    # `id` first, then the book, then the ledger's state: the order clients have always had
    assert list(LedgerPublic.model_fields)[:8] == [
        "id",
        "register_",
        "commune",
        "book",
        "year",
        "authority",
        "layout",
        "status",
    ]


def test_the_page_job_and_the_export_carry_the_book_whole() -> None:
    meta = BookMeta("khai-sinh", book="01/2019", authority="UBND xã An Nhơn")
    assert PageInput(1, "L", 1, "pages/L/00001.png", meta).meta is meta
    assert ExportLedger("L", meta, 3).to_json() == {
        "id": "L",
        "register": "khai-sinh",
        "commune": None,
        "book": "01/2019",
        "year": None,
        "pages": 3,
    }


def test_preprocess_info_is_stored_as_the_json_it_always_was() -> None:
    image = np.full((400, 300, 3), 255, np.uint8)
    image[50:350:20, 30:270] = 0  # ruled lines, slightly more than a blank page
    result = preprocess_page(image)
    out = PageOutput(thumb_key="t", preprocess_info=result.info())
    stored = out.preprocess
    assert stored is not None
    assert list(stored) == [
        "rotation",
        "skew",
        "crop_box",
        "gutter_x",
        "sides",
        "side_skews",
        "to_original",
    ]
    # what pipeline/stages.py wrote into Page.preprocess before the type existed
    legacy = {
        "rotation": result.rotation,
        "skew": round(float(result.skew), 3),
        "crop_box": [int(v) for v in result.crop_box],
        "gutter_x": result.gutter_x,
        "sides": [[int(v) for v in side] for side in result.sides],
        "side_skews": [round(float(v), 3) for v in result.side_skews],
        "to_original": np.asarray(result.to_original).round(6).tolist(),
    }
    assert json.dumps(stored) == json.dumps(legacy)
    assert PageOutput(thumb_key="t").preprocess is None


def test_a_manifest_row_overrides_the_options_by_attribute_name(tmp_path: Path) -> None:
    for name in ("a.pdf", "b.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4\n")
    manifest = tmp_path / "books.csv"
    manifest.write_text(
        "path,register,commune,book,year,authority,layout\n"
        "a.pdf,khai-tu,Xã B,02/2010,2010,UBND xã B,table\n"
        "b.pdf,,,,,,\n",
        encoding="utf-8",
    )
    defaults = BookMeta(
        "khai-sinh", commune="Xã A", book="01/2019", year=2019, authority="UBND xã A"
    )
    items, refused = _collect([], defaults, manifest)
    assert refused == []
    by_name = {item.path.name: item.meta for item in items}
    assert by_name["a.pdf"] == BookMeta(
        "khai-tu",
        layout="table",
        commune="Xã B",
        book="02/2010",
        year=2010,
        authority="UBND xã B",
    )
    assert by_name["b.pdf"] == defaults  # blank cells keep the options
