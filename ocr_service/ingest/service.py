"""Accept an upload: check it, store the original once, and create its ledger."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.book import BookMeta, InvalidBookMeta
from models.entities import Ledger, LedgerStatus, Original, Role, User
from models.json_types import JsonObject
from ocr_service.audit import record_event
from ocr_service.config import Settings
from ocr_service.errors import BadInput
from ocr_service.ingest.documents import DocumentInfo, Limits, inspect_document
from ocr_service.ingest.sniff import sniff_media_type
from ocr_service.limits import check_nesting
from ocr_service.storage import Storage


@dataclass(frozen=True)
class IngestResult:
    ledger: Ledger
    duplicate: bool
    info: DocumentInfo | None


def limits_from(settings: Settings) -> Limits:
    return Limits(settings.max_pages, settings.max_page_pixels, settings.render_dpi)


def check_book(meta: BookMeta) -> BookMeta:
    """The book's metadata as it may be stored, or BadInput saying what is wrong with it."""
    try:
        meta = meta.checked()
    except InvalidBookMeta as exc:
        raise BadInput(str(exc)) from None
    if meta.layout_file is not None:
        from ocr_service.extract.layouts.layout_file import parse_layout

        parsed = parse_layout(meta.layout_file)  # a wrong file is refused now, not on every page
        if parsed.register != meta.register:
            raise BadInput(
                f"layout file is for the {parsed.register} register, not {meta.register}"
            )
        meta = replace(meta, layout="table")
    return meta


def read_layout_file(path: Path) -> JsonObject:
    """A table-ledger layout file (TOML or JSON) as a mapping, checked."""
    from ocr_service.extract.layouts.layout_file import load_layout_file

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None  # load_layout_file says why, in its own words
    if text is not None:
        check_nesting(text, toml=path.suffix.lower() != ".json", what=f"layout file {path.name}")
    load_layout_file(path)  # validates, with the key path in every error
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() != ".json":
        import tomllib

        return tomllib.loads(text)
    import json

    data = json.loads(text)
    if not isinstance(data, dict):  # load_layout_file refused it already; for the type
        raise BadInput(f"layout file {path.name}: expected an object at the top")
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
    storage: Storage,
    settings: Settings,
    stream: BinaryIO,
    *,
    filename: str | None,
    meta: BookMeta,
    user_id: int | None,
) -> IngestResult:
    """Check and store an upload; returns its new ledger, or the existing one for the same bytes.

    Nothing is stored unless the file passes every check, so a refused upload leaves the store
    and every existing ledger as they were. A duplicate is looked for only among the ledgers
    the uploader may see (`user_id`'s commune; everything for an admin, a user without a
    commune, or the CLI's None): the same bytes uploaded by another commune make a ledger of
    the uploader's own, and nothing of the other commune's book is answered. The original's
    bytes are still stored once, by their hash.
    """
    meta = check_book(meta)
    name = display_name(filename)
    staged = storage.stage_upload(stream, max_bytes=settings.max_upload_bytes)
    try:
        media_type = sniff_media_type(staged.path, name)
        info = inspect_document(staged.path, media_type, limits_from(settings))
    except BaseException:
        staged.discard()
        raise
    same_bytes = select(Ledger).where(
        Ledger.original_sha256 == staged.sha256, Ledger.register == meta.register
    )
    uploader = session.get(User, user_id) if user_id is not None else None
    if uploader is not None and uploader.role != Role.admin and uploader.commune:
        # As User.sees_commune: another commune's book is not even known to exist.
        same_bytes = same_bytes.where(Ledger.commune == uploader.commune)
    existing = session.scalar(same_bytes.order_by(Ledger.created_at).limit(1))
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
    ledger = Ledger.for_book(
        meta,
        original_sha256=blob.sha256,
        filename=name,
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
    storage: Storage,
    settings: Settings,
    path: Path,
    *,
    meta: BookMeta,
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
