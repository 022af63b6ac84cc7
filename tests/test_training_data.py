"""Labelled lines for training: a labels.tsv folder, the training export format, and the
crops of confirmed fields in the database scoped to a ledger, a commune or everything."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from models.entities import DraftRecord, RecordStatus
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.errors import BadInput
from ocr_service.training.data import Scope, lines_from_database, read_lines_dir
from tests.factories import add_book


def _confirm(settings: Settings, record_id: str) -> None:
    with session_scope(settings) as session:
        record = session.scalars(select(DraftRecord).where(DraftRecord.id == record_id)).one()
        record.status = RecordStatus.confirmed


def test_confirmed_fields_by_ledger_commune_and_installation(settings: Settings) -> None:
    a = add_book(settings, records=2, commune="Xã An Nhơn")
    b = add_book(settings, records=2, commune="Xã Lộc Thuận", year=2020)
    _confirm(settings, a.record_ids[0])
    _confirm(settings, b.record_ids[1])

    ledger_lines = lines_from_database(settings, Scope(ledger_id=a.ledger_id))
    texts = {line.text for line in ledger_lines}
    # Verbatim fields of the confirmed record only (the training export's rule): the
    # name, as confirmed; not record 2's, which is still a draft.
    assert "Nguyễn Văn Thử 1" in texts and "Nguyễn Văn Thử 2" not in texts
    assert all(line.name.startswith(a.ledger_id + "/") for line in ledger_lines)
    # Each crop's key is its field's place in the book (the record's source key and the
    # field), not the record's id, which is new each time a book is read: the held-out split
    # hashes it (learning.job.split_heldout).
    assert all(re.fullmatch(r"p\d+(r\d+)?/[A-Za-z0-9_]+", line.key) for line in ledger_lines)
    assert all(line.name == f"{a.ledger_id}/{line.key}" for line in ledger_lines)
    assert "p1/nksHoTen" in {line.key for line in ledger_lines}
    assert all(line.image.ndim == 2 and line.image.shape[0] > 10 for line in ledger_lines)

    commune = lines_from_database(settings, Scope(commune="Xã Lộc Thuận"))
    assert {line.text for line in commune} >= {"Nguyễn Văn Thử 2"}
    assert all(line.name.startswith(b.ledger_id + "/") for line in commune)

    everything = lines_from_database(settings, Scope())
    assert len(everything) == len(ledger_lines) + len(commune)
    assert lines_from_database(settings, Scope(commune="Xã Không Có")) == []


def _write(folder: Path, labels_name: str, rows: list[str]) -> None:
    (folder / "images").mkdir(parents=True)
    cv2.imwrite(str(folder / "images" / "a.png"), np.full((30, 90), 255, np.uint8))
    (folder / labels_name).write_text("".join(rows), "utf-8")


def test_labels_tsv_and_the_training_export_are_both_read(tmp_path: Path) -> None:
    _write(tmp_path / "tsv", "labels.tsv", ["images/a.png\tHọ  và\ttên\n", "\n"])
    (line,) = read_lines_dir(tmp_path / "tsv")
    assert line.text == "Họ và tên" and line.image.shape == (30, 90)
    _write(tmp_path / "export", "rec_gt.txt", ["images/a.png\tNguyễn Văn A\n"])
    assert [x.text for x in read_lines_dir(tmp_path / "export")] == ["Nguyễn Văn A"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["images/a.png Họ và tên\n"], "file<TAB>text"),
        (["../a.png\tHọ\n"], "inside the folder"),
        (["images/b.png\tHọ\n"], "b.png"),
        (["images/a.png\t  \n"], "no labelled line"),
    ],
)
def test_bad_label_files_are_refused_with_one_line(
    tmp_path: Path, rows: list[str], message: str
) -> None:
    _write(tmp_path, "labels.tsv", rows)
    with pytest.raises(BadInput, match=message) as caught:
        read_lines_dir(tmp_path)
    assert "\n" not in caught.value.message
