"""Accept an upload: check it, store the original once, and create its ledger."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Ledger, LedgerStatus, Original
from models.registers import LAYOUTS, REGISTER_SLUGS
from ocr_service.audit import record_event
from ocr_service.config import Settings
from ocr_service.errors import BadInput
from ocr_service.ingest.documents import DocumentInfo, Limits, inspect_document
from ocr_service.ingest.sniff import sniff_media_type
from ocr_service.storage import LocalStorage


@dataclass(frozen=True)
class LedgerMeta:
    register: str
    commune: str | None = None
    book: str | None = None
    year: int | None = None
    layout: str = "block"
    authority: str | None = None
    layout_file: dict[str, Any] | None = None  # table ledgers: the province team's column map


@dataclass(frozen=True)
class IngestResult:
    ledger: Ledger
    duplicate: bool
    info: DocumentInfo | None


def limits_from(settings: Settings) -> Limits:
    return Limits(settings.max_pages, settings.max_page_pixels, settings.render_dpi)


def _clean_text(value: str | None, what: str, max_len: int) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", value).strip()
    if not value:
        return None
    if len(value) > max_len or any(ord(c) < 32 for c in value):
        raise BadInput(f"{what} must be at most {max_len} printable characters")
    return value


def validate_meta(meta: LedgerMeta) -> LedgerMeta:
    if meta.register not in REGISTER_SLUGS:
        raise BadInput(
            f"unknown register {meta.register!r}: use one of {', '.join(REGISTER_SLUGS)}"
        )
    if meta.layout not in LAYOUTS:
        raise BadInput(f"unknown layout {meta.layout!r}: use block or table")
    this_year = dt.date.today().year
    if meta.year is not None and not (1900 <= meta.year <= this_year + 1):
        raise BadInput(f"year {meta.year} is outside 1900–{this_year + 1}")
    layout, layout_file = meta.layout, meta.layout_file
    if layout_file is not None:
        from ocr_service.extract.layouts.layout_file import parse_layout

        parsed = parse_layout(layout_file)  # a wrong file is refused now, not on every page
        if parsed.register != meta.register:
            raise BadInput(
                f"layout file is for the {parsed.register} register, not {meta.register}"
            )
        layout = "table"
    return LedgerMeta(
        register=meta.register,
        commune=_clean_text(meta.commune, "commune", 200),
        book=_clean_text(meta.book, "book", 64),
        year=meta.year,
        layout=layout,
        authority=_clean_text(meta.authority, "authority", 300),
        layout_file=layout_file,
    )


def read_layout_file(path: Path) -> dict[str, Any]:
    """A table-ledger layout file (TOML or JSON) as a mapping, checked."""
    from ocr_service.extract.layouts.layout_file import load_layout_file

    load_layout_file(path)  # validates, with the key path in every error
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        import json

        data: dict[str, Any] = json.loads(text)
    else:
        import tomllib

        data = tomllib.loads(text)
    return data


def display_name(filename: str | None) -> str | None:
    """The upload's base name, for display only: it never reaches the file system."""
    if not filename:
        return None
    name = PurePath(filename.replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable())[:255]
    return name or None


def ingest_stream(
    session: Session,
    storage: LocalStorage,
    settings: Settings,
    stream: BinaryIO,
    *,
    filename: str | None,
    meta: LedgerMeta,
    user_id: int | None,
) -> IngestResult:
    """Check and store an upload; returns its new ledger, or the existing one for the same bytes.

    Nothing is stored unless the file passes every check, so a refused upload leaves the store
    and every existing ledger as they were.
    """
    meta = validate_meta(meta)
    name = display_name(filename)
    staged = storage.stage_upload(stream, max_bytes=settings.max_upload_bytes)
    try:
        media_type = sniff_media_type(staged.path, name)
        info = inspect_document(staged.path, media_type, limits_from(settings))
    except BaseException:
        staged.discard()
        raise
    existing = session.scalar(
        select(Ledger)
        .where(Ledger.original_sha256 == staged.sha256, Ledger.register == meta.register)
        .order_by(Ledger.created_at)
        .limit(1)
    )
    if existing is not None:
        staged.discard()
        return IngestResult(existing, duplicate=True, info=info)
    blob = storage.commit_original(staged)
    if session.get(Original, blob.sha256) is None:
        session.add(
            Original(
                sha256=blob.sha256, size=blob.size, media_type=media_type, storage_key=blob.key
            )
        )
    ledger = Ledger(
        original_sha256=blob.sha256,
        filename=name,
        register=meta.register,
        commune=meta.commune,
        book=meta.book,
        year=meta.year,
        layout=meta.layout,
        authority=meta.authority,
        layout_file=meta.layout_file,
        status=LedgerStatus.queued,
        pages_total=info.pages,
        created_by=user_id,
    )
    session.add(ledger)
    session.flush()
    record_event(
        session,
        "ledger.create",
        "ledger",
        ledger.id,
        user_id=user_id,
        ledger_id=ledger.id,
        data={"sha256": blob.sha256, "pages": info.pages, "media_type": media_type},
    )
    return IngestResult(ledger, duplicate=False, info=info)


def ingest_path(
    session: Session,
    storage: LocalStorage,
    settings: Settings,
    path: Path,
    *,
    meta: LedgerMeta,
    user_id: int | None,
) -> IngestResult:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BadInput(f"cannot read {path.name}: {exc.strerror}") from exc
    with fh:
        return ingest_stream(
            session, storage, settings, fh, filename=path.name, meta=meta, user_id=user_id
        )
