"""Labelled text lines to train and measure a recogniser on.

Two sources:

- a folder with ``labels.tsv`` (``file<TAB>text``, images beside it, paths relative to the
  folder) or the project's own training export (``rec_gt.txt`` in the same format, written by
  `sohoa export --format training`, ocr_service/export/training.py);
- the database: crops of the fields of confirmed records (the clerks' corrections and the
  readings they confirmed, verbatim fields only, export/training.py's rule), for one ledger,
  one commune or the whole installation.

Bad input is a BadInput with one line naming the file, never a traceback.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr_service.errors import BadInput
from ocr_service.export.training import LABEL_FILE as EXPORT_LABEL_FILE
from ocr_service.export.training import MANIFEST_FILE as EXPORT_MANIFEST_FILE

if TYPE_CHECKING:
    from ocr_service.config import Settings

LABEL_FILE = "labels.tsv"
LABEL_FILES = (LABEL_FILE, EXPORT_LABEL_FILE)


@dataclass(frozen=True)
class LabelledLine:
    """One text line image (grey, uint8) and what it says."""

    image: np.ndarray
    text: str
    name: str  # the image's path in its folder: a stable order and a group key
    # What stays the same about the line from one run to the next and as more lines arrive
    # (a database field crop: its record's place in the book and its field, 'p12/birth_date');
    # the learning job's held-out split hashes it. Empty: the name is that key.
    key: str = ""

    @property
    def stable_key(self) -> str:
        return self.key or self.name


def clean_label(text: str) -> str:
    """NFC with runs of white space made single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def label_file(folder: Path) -> Path:
    """The folder's labels.tsv (or the training export's rec_gt.txt)."""
    if not folder.is_dir():
        raise BadInput(f"no such folder: {folder}")
    for name in LABEL_FILES:
        if (folder / name).is_file():
            return folder / name
    raise BadInput(f"{folder} has no {LABEL_FILE} (file<TAB>text, images beside it)")


def read_labels(folder: Path) -> list[tuple[str, str]]:
    """(image path relative to the folder, text) of every row of the folder's label file."""
    path = label_file(folder)
    try:
        rows = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path} cannot be read as UTF-8 text: {exc}") from exc
    out: list[tuple[str, str]] = []
    for number, row in enumerate(rows, 1):
        if not row.strip():
            continue
        name, tab, text = row.partition("\t")
        if not tab or not name.strip():
            raise BadInput(f"{path.name} line {number}: expected file<TAB>text")
        rel = Path(name.strip())
        if rel.is_absolute() or ".." in rel.parts:
            raise BadInput(f"{path.name} line {number}: the image must lie inside the folder")
        if clean_label(text):
            out.append((rel.as_posix(), clean_label(text)))
    if not out:
        raise BadInput(f"{path} lists no labelled line")
    return out


def read_image(path: Path) -> np.ndarray:
    """A line image as grey uint8; BadInput naming the file when it cannot be decoded."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise BadInput(f"{path.name}: cannot be read ({exc.strerror})") from exc
    image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if image is None or image.shape[0] < 2 or image.shape[1] < 2:
        raise BadInput(f"{path.name}: not a readable image")
    return image


def read_lines_dir(
    folder: Path | str, *, select: Callable[[str], bool] | None = None
) -> list[LabelledLine]:
    """The labelled lines of a folder (labels.tsv or rec_gt.txt), in the file's order;
    `select` keeps only the image paths it accepts."""
    root = Path(folder)
    lines = []
    for name, text in read_labels(root):
        if select is not None and not select(name):
            continue
        lines.append(LabelledLine(read_image(root / name), text, name))
    return lines


def write_lines_dir(lines: list[LabelledLine], folder: Path) -> None:
    """Lines as PNG files + labels.tsv (the format read_lines_dir reads)."""
    (folder / "lines").mkdir(parents=True, exist_ok=True)
    rows = []
    for i, line in enumerate(lines):
        name = f"lines/{i:04d}.png"
        ok, png = cv2.imencode(".png", line.image)
        if not ok:
            raise BadInput(f"line {i} cannot be encoded as PNG")
        (folder / name).write_bytes(png.tobytes())
        rows.append(f"{name}\t{line.text}\n")
    (folder / LABEL_FILE).write_text("".join(rows), "utf-8")


@dataclass(frozen=True)
class Scope:
    """Which confirmed corrections to learn from: one ledger, one commune, or all (both None)."""

    ledger_id: str | None = None
    commune: str | None = None


def scope_ledgers(settings: Settings, scope: Scope) -> list[str]:
    """The ids of the ledgers in the scope, oldest first."""
    from sqlalchemy import select

    from models.entities import Ledger
    from ocr_service.db import session_scope

    query = select(Ledger.id).order_by(Ledger.created_at, Ledger.id)
    if scope.ledger_id is not None:
        query = query.where(Ledger.id == scope.ledger_id)
    elif scope.commune is not None:
        query = query.where(Ledger.commune == scope.commune)
    with session_scope(settings) as session:
        return list(session.scalars(query))


def lines_from_database(settings: Settings, scope: Scope) -> list[LabelledLine]:
    """Field crops of the confirmed records in the scope, with their confirmed text: the
    project's training export (export/training.py) of each ledger, read back."""
    from models.entities import Ledger
    from ocr_service.db import session_scope
    from ocr_service.export.from_db import export_ledger_meta, iter_records, page_loader
    from ocr_service.export.training import write_training_set

    lines: list[LabelledLine] = []
    for ledger_id in scope_ledgers(settings, scope):
        with session_scope(settings) as session:
            row = session.get(Ledger, ledger_id)
            if row is None:
                continue
            meta = export_ledger_meta(row)
        with tempfile.TemporaryDirectory(prefix="sohoa-train-") as tmp:
            records = iter_records(settings, ledger_id, include_drafts=False)
            count = write_training_set(meta, records, page_loader(settings, ledger_id), Path(tmp))
            if count:
                places = _field_places(settings, ledger_id, Path(tmp) / EXPORT_MANIFEST_FILE)
                for line in read_lines_dir(tmp):
                    place = places.get(line.name, line.name)
                    lines.append(
                        LabelledLine(line.image, line.text, f"{ledger_id}/{place}", key=place)
                    )
    return lines


def _field_places(settings: Settings, ledger_id: str, manifest: Path) -> dict[str, str]:
    """The export's image name -> the crop's place in its book, '<record source key>/<field>'
    ('p12/birth_date', 'p3r2/name'): the same in every run, where the record ids in the image
    names are new ones each time a book is read."""
    import json

    from sqlalchemy import select

    from models.entities import DraftRecord
    from ocr_service.db import session_scope

    samples = json.loads(manifest.read_text(encoding="utf-8"))["samples"]
    with session_scope(settings) as session:
        rows = session.execute(
            select(DraftRecord.id, DraftRecord.source_key).where(DraftRecord.ledger_id == ledger_id)
        )
        keys = {record_id: source_key for record_id, source_key in rows}
    return {
        s["image"]: f"{keys[s['record_id']]}/{s['field']}"
        for s in samples
        if s["record_id"] in keys
    }
