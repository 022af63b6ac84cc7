"""Training crops of confirmed fields in PaddleOCR recognition format."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw
from test_export_support import sample_ledger, sample_record, scan_page

from ocr_service.export import ExportField, write_training_set
from ocr_service.export.training import training_text


def _page() -> bytes:
    """A scan page with the name written inside a known box."""
    img = Image.open(io.BytesIO(scan_page(7))).convert("L")
    ImageDraw.Draw(img).text((410, 310), "Nguyễn Thị Thu Hương", fill=0)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _records() -> list:
    rec = sample_record("khai-sinh", 1, pages=[1])
    rec.fields["nksHoTen"] = ExportField("Nguyễn Thị Thu Hương", "Nguyen Thi Thu Huong", 0.5,
                                         [400, 300, 1200, 380])  # fmt: skip
    rec.fields["nksNgaySinh"] = ExportField("05.03.1987", "05/3/1987", 0.9, [400, 420, 800, 470])
    rec.fields["meNgaySinh"] = ExportField("1960", "1960", 0.9, [400, 500, 600, 550])
    rec.fields["nksGioiTinh"] = ExportField("Nam", "x", 0.9, [100, 100, 130, 130])
    draft = sample_record("khai-sinh", 2, pages=[1])
    draft.status = "draft"
    draft.fields["nksHoTen"].bbox = [400, 300, 1200, 380]
    return [rec, draft]


def test_training_zip_has_crops_labels_and_manifest(tmp_path: Path) -> None:
    page = _page()
    out = tmp_path / "train.zip"
    count = write_training_set(sample_ledger("khai-sinh"), iter(_records()), lambda n: page, out)
    assert count == 2  # name (verbatim type) + meNgaySinh (value equals raw); not the rest
    with zipfile.ZipFile(out) as zf:
        labels = zf.read("rec_gt.txt").decode("utf-8").splitlines()
        manifest = json.loads(zf.read("manifest.json"))
        crop = Image.open(io.BytesIO(zf.read("images/rec-khai-sinh-1_nksHoTen.png")))
    assert labels == [
        "images/rec-khai-sinh-1_nksHoTen.png\tNguyễn Thị Thu Hương",
        "images/rec-khai-sinh-1_meNgaySinh.png\t1960",
    ]
    assert crop.size == (800 + 8, 80 + 8)  # the box plus a 4-pixel margin
    first = manifest["samples"][0]
    assert manifest["register"] == "khai-sinh"
    assert first == {
        "image": "images/rec-khai-sinh-1_nksHoTen.png", "text": "Nguyễn Thị Thu Hương",
        "register": "khai-sinh", "field": "nksHoTen", "record_id": "rec-khai-sinh-1", "page": 1,
        "bbox": [400, 300, 1200, 380], "source_image_sha256": hashlib.sha256(page).hexdigest(),
    }  # fmt: skip


def test_training_directory_output(tmp_path: Path) -> None:
    page = _page()
    out = tmp_path / "train"
    assert write_training_set(sample_ledger("khai-sinh"), _records(), lambda n: page, out) == 2
    assert (out / "rec_gt.txt").read_text(encoding="utf-8").count("\n") == 2
    assert sorted(p.name for p in (out / "images").iterdir()) == [
        "rec-khai-sinh-1_meNgaySinh.png", "rec-khai-sinh-1_nksHoTen.png",
    ]  # fmt: skip
    assert (
        json.loads((out / "manifest.json").read_text(encoding="utf-8"))["samples"][1]["field"]
        == "meNgaySinh"
    )


def test_a_box_shared_by_several_fields_is_not_a_training_crop(tmp_path: Path) -> None:
    """'CMND số: 349024424' read as two fields: the crop shows both, so it labels neither
    (trained on, such crops taught the recogniser to drop the rest of the line)."""
    rec = sample_record("khai-sinh", 1, pages=[1])
    rec.fields["nksHoTen"] = ExportField("Nguyễn Thị Thu Hương", "Nguyễn Thị Thu Hương", 0.9,
                                         [400, 300, 1200, 380])  # fmt: skip
    line = [100, 600, 1200, 660]
    rec.fields["meLoaiGiayToTuyThan"] = ExportField("CMND", "CMND", 0.9, list(line))
    rec.fields["meSoGiayToTuyThan"] = ExportField("349024424", "349024424", 0.9, list(line))
    out = tmp_path / "train"
    assert write_training_set(sample_ledger("khai-sinh"), [rec], lambda n: _page(), out) == 1
    assert (out / "rec_gt.txt").read_text(encoding="utf-8") == (
        "images/rec-khai-sinh-1_nksHoTen.png\tNguyễn Thị Thu Hương\n"
    )


def test_a_date_in_words_is_labelled_in_the_case_the_book_wrote_it() -> None:
    value = "Ngày Mười Lăm Tháng Mười Một Năm Hai Nghìn Không Trăm Mười Sáu"  # the normaliser's
    read = "Ngày mườ lăm thắng mườ một năm hai nghìn không brăm mưà sáu"
    assert training_text("khai-sinh", "nksNgaySinhBangChu", value, read) == (
        "Ngày mười lăm tháng mười một năm hai nghìn không trăm mười sáu"
    )
    # Written in Title Case in the book (the reading says so), or never read: the value.
    assert training_text("khai-sinh", "nksNgaySinhBangChu", value, value) == value
    assert training_text("khai-sinh", "nksNgaySinhBangChu", value, None) == value
