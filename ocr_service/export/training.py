"""Training set from confirmed records: field crops (PNG) + text, PaddleOCR recognition format."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypedDict

from PIL import Image, ImageOps

from ocr_service.export.cells import clean_text
from ocr_service.export.containers import ExportLedger, ExportRecord, PageLoader
from ocr_service.export.spec import field_spec

LABEL_FILE = "rec_gt.txt"
MANIFEST_FILE = "manifest.json"
# Types whose confirmed value is the book's text as written (REGISTERS.md value types). Dates,
# enumerations and list names are normalised (e.g. '5/3/87' → '05.03.1987', tick-box → '1'),
# so their value is not what the crop shows; they are kept only when value equals raw.
VERBATIM_TYPES = {"text", "name", "place", "code", "number", "id-number", "date-words"}
PAD = 4  # pixels around the box: strokes often touch the detector's box edge
# A box that holds more than one field of a record (a line read as several fields, 'CMND số:
# 349024424', or fields derived from another one's line) shows more than any one field's
# text: such crops are left out. Trained on, they taught the recogniser to drop the rest of
# the line: 30 steps on a book's corrections made it read the regression print 0.12 % ->
# 3.2 % CER (docs/BENCHMARKS.md "The learning loop end to end").


class ManifestEntry(TypedDict):
    """One sample in the training set's manifest.json."""

    image: str
    text: str
    register: str
    field: str
    record_id: str
    page: int
    bbox: list[int]
    source_image_sha256: str


@dataclass
class TrainingSample:
    """One crop of the training set."""

    image: str
    text: str
    field: str
    record_id: str
    page: int
    bbox: list[int]
    source_sha256: str

    def manifest_entry(self, register: str) -> ManifestEntry:
        return {
            "image": self.image,
            "text": self.text,
            "register": register,
            "field": self.field,
            "record_id": self.record_id,
            "page": self.page,
            "bbox": self.bbox,
            "source_image_sha256": self.source_sha256,
        }


def training_text(register: str, code: str, value: str | None, raw: str | None) -> str | None:
    """The label of a field crop, or None when the confirmed value is not what the crop shows."""
    if value is None or not clean_text(value):
        return None
    text = clean_text(value)
    kind = field_spec(register, code).get("type")
    if kind == "date-words":
        return _written_case(text, raw)
    if kind in VERBATIM_TYPES:
        return text
    return text if raw is not None and clean_text(raw) == text else None


def _written_case(value: str, raw: str | None) -> str:
    """A date in words as the book wrote it. The value is the words in Title Case (the
    normaliser's; a clerk's correction follows it), the book writes them in sentence case
    ('Ngày mười lăm tháng ...'): when the reading has no capital after its first letter, so
    is the label. Labelled in Title Case, each such crop taught the recogniser capitals the
    page does not show."""
    words = clean_text(raw or "")
    if not words or any(ch.isupper() for ch in words[1:]):
        return value
    return value[:1].upper() + value[1:].lower()


def _safe(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "-", name).strip("-") or "x"


class _Sink:
    """Writes files into a directory or into a zip, one at a time."""

    def __init__(self, out: IO[bytes] | Path | str, as_zip: bool) -> None:
        self.zip: zipfile.ZipFile | None = None
        self.dir: Path | None = None
        if as_zip:
            self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED)
        else:
            assert isinstance(out, str | Path)
            self.dir = Path(out)
            (self.dir / "images").mkdir(parents=True, exist_ok=True)

    def write(self, name: str, data: bytes) -> None:
        if self.zip is not None:
            self.zip.writestr(name, data)
        else:
            assert self.dir is not None
            (self.dir / name).write_bytes(data)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def write_training_set(
    ledger: ExportLedger,
    records: Iterable[ExportRecord],
    load_page: PageLoader,
    out: IO[bytes] | Path | str,
    *,
    as_zip: bool | None = None,
) -> int:
    """Crops of confirmed fields with a box, as `images/*.png` + `rec_gt.txt` + `manifest.json`.

    `rec_gt.txt` has PaddleOCR recognition lines `images/<file>.png<TAB><text>`; the manifest
    lists register, field code, record id, page, box and the SHA-256 of the page image each crop
    came from. Boxes are in pixels of the record's first page (`record.page`). Only records with
    status 'confirmed' are used. `out`: a directory, or a zip (a '.zip' path or a binary stream;
    `as_zip` overrides). Labels and manifest are spooled to temporary files, so memory stays
    flat. Returns the number of crops.
    """
    if as_zip is None:
        as_zip = not isinstance(out, str | Path) or str(out).endswith(".zip")
    sink = _Sink(out, as_zip)
    register = ledger.meta.register
    count = 0
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as labels,
        tempfile.TemporaryFile("w+", encoding="utf-8") as manifest,
    ):
        manifest.write('{"register": ' + json.dumps(register) + ', "samples": [')
        try:
            for record in records:
                if record.status != "confirmed":
                    continue
                for sample, png in _record_samples(register, record, load_page):
                    sink.write(sample.image, png)
                    labels.write(f"{sample.image}\t{sample.text}\n")
                    entry = json.dumps(sample.manifest_entry(register), ensure_ascii=False)
                    manifest.write(("," if count else "") + "\n" + entry)
                    count += 1
            manifest.write("\n]}\n")
            for tmp, name in ((labels, LABEL_FILE), (manifest, MANIFEST_FILE)):
                tmp.seek(0)
                sink.write(name, tmp.read().encode("utf-8"))
        finally:
            sink.close()
    return count


def _record_samples(
    register: str, record: ExportRecord, load_page: PageLoader
) -> Iterable[tuple[TrainingSample, bytes]]:
    """Crops of one record, loading its page image only if some field qualifies."""
    wanted = []
    boxes = Counter(
        tuple(int(v) for v in fld.bbox)
        for fld in record.fields.values()
        if fld.bbox and len(fld.bbox) == 4
    )
    for code, fld in record.fields.items():
        text = training_text(register, code, fld.value, fld.raw)
        if text is None or not fld.bbox or len(fld.bbox) != 4:
            continue
        shown = [int(v) for v in fld.bbox]
        if boxes[tuple(shown)] == 1:  # the box shows this field alone
            wanted.append((code, text, shown))
    if not wanted:
        return
    data = load_page(record.page)
    sha = hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as opened:
        page = ImageOps.exif_transpose(opened) or opened
        page = page.convert("L" if page.mode in ("1", "L", "LA") else "RGB")
    for code, text, (x0, y0, x1, y1) in wanted:
        box = (
            max(0, x0 - PAD),
            max(0, y0 - PAD),
            min(page.width, x1 + PAD),
            min(page.height, y1 + PAD),
        )
        if box[2] - box[0] < 2 or box[3] - box[1] < 2:
            continue
        buf = io.BytesIO()
        page.crop(box).save(buf, "PNG")
        name = f"images/{_safe(record.id)}_{_safe(code)}.png"
        sample = TrainingSample(
            name, text.replace("\t", " "), code, record.id, record.page, [x0, y0, x1, y1], sha
        )
        yield sample, buf.getvalue()
