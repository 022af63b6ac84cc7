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
