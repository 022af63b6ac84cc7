"""Ledgers: upload a book, list and follow books, serve page images and OCR lines."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import func, select

from models.book import BookMeta, InvalidBookMeta, parse_year
from models.entities import Ledger, LedgerStatus, PageOcr
from models.json_types import JsonObject
from models.limits import MAX_FORM_TEXT
from models.schemas import ErrorResponse, LedgerDetail, LedgerPublic, PageOcrPublic, Paginated
from ocr_service.api.deps import (
    CurrentUser,
    LedgerId,
    ListPage,
    PageNumber,
    QueryText,
    SessionDep,
    SettingsDep,
    StorageDep,
)
from ocr_service.errors import BadInput, Forbidden, NotFound, TooLarge
from ocr_service.ingest.service import ingest_stream
from ocr_service.jobs.sweep import enqueue_ledger
from ocr_service.ledgers import get_ledger_for, get_page, ledger_detail, ledger_public
from ocr_service.limits import check_nesting, json_problem

router = APIRouter(prefix="/ledgers", tags=["ledgers"])


@router.post(
    "",
    status_code=202,
    response_model=LedgerPublic,
    responses={
        200: {
            "model": LedgerPublic,
            "description": "the same scan is already a ledger (one `waiting` for the queue is "
            "queued again if the queue is back)",
        }
    },
)
def create_ledger(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="PDF, TIFF, JPEG or PNG scan of one book")],
    register_: Annotated[str, Form(alias="register", max_length=MAX_FORM_TEXT)],
    commune: Annotated[str | None, Form(max_length=MAX_FORM_TEXT)] = None,
    book: Annotated[str | None, Form(max_length=MAX_FORM_TEXT)] = None,
    year: Annotated[str | None, Form(max_length=MAX_FORM_TEXT)] = None,
    layout: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "block",
    authority: Annotated[
        str | None,
        Form(description="registering authority (noiDangKy) of the book", max_length=MAX_FORM_TEXT),
    ] = None,
    layout_file: Annotated[
        UploadFile | None,
        File(description="table ledgers: column layout file (TOML or JSON)"),
    ] = None,
) -> JSONResponse:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes + 1024**2:
        raise TooLarge(
            f"upload is larger than the limit of {settings.max_upload_bytes // 1024**2} MiB"
        )
    try:
        book_year = parse_year(year)
    except InvalidBookMeta as exc:
        raise BadInput(str(exc)) from None
    commune = commune or None
    if user.commune and user.role != "admin":
        if commune and commune != user.commune:
            raise Forbidden("you can only add books of your own commune")
        commune = user.commune
    meta = BookMeta(
        register_,
        layout=layout,
        layout_file=_read_layout_upload(layout_file) if layout_file else None,
        commune=commune,
        book=book,
        year=book_year,
        authority=authority or None,
    )
    result = ingest_stream(
        session,
        storage,
        settings,
        file.file,
        filename=file.filename,
        meta=meta,
        user_id=user.id,
    )
    session.commit()
    if not result.duplicate or result.ledger.status == LedgerStatus.waiting:
        # Stored either way: with the queue down the ledger waits, and the sweep (or the
        # same upload again) queues it once the queue is back.
        enqueue_ledger(settings, request.app.state.dispatcher, result.ledger.id)
        session.refresh(result.ledger)
    body = ledger_public(session, result.ledger, duplicate=result.duplicate)
    return JSONResponse(
        status_code=200 if result.duplicate else 202,
        content=body.model_dump(mode="json", by_alias=True),
        headers={"Location": f"/api/v1/ledgers/{result.ledger.id}"},
    )


def _read_layout_upload(upload: UploadFile) -> JsonObject:
    import json
    import tomllib

    raw = upload.file.read(256 * 1024 + 1)
    if len(raw) > 256 * 1024:
        raise BadInput("layout file: larger than 256 kB")
    is_json = (upload.filename or "").lower().endswith(".json")
    try:
        text = raw.decode("utf-8-sig")
        check_nesting(text, toml=not is_json, what="layout file")
        data = json.loads(text) if is_json else tomllib.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"layout file: cannot be read as TOML/JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BadInput("layout file: expected a table/object at the top")
    problem = json_problem(data)
    if problem:
        raise BadInput(f"layout file: {problem}")
    return data


@router.get("", response_model=Paginated[LedgerPublic])
def list_ledgers(
    session: SessionDep,
    user: CurrentUser,
    commune: QueryText = None,
    register: QueryText = None,
    status: QueryText = None,
    page: ListPage = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Paginated[LedgerPublic]:
    query = select(Ledger)
    if user.role != "admin" and user.commune:
        query = query.where(Ledger.commune == user.commune)
    if commune:
        query = query.where(Ledger.commune == commune)
    if register:
        query = query.where(Ledger.register == register)
    if status:
        query = query.where(Ledger.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Ledger.created_at.desc(), Ledger.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [ledger_public(session, ledger) for ledger in rows]
    return Paginated[LedgerPublic](items=items, total=total, page=page, per_page=per_page)


@router.get("/{ledger_id}", response_model=LedgerDetail)
def read_ledger(ledger_id: LedgerId, session: SessionDep, user: CurrentUser) -> LedgerDetail:
    return ledger_detail(session, get_ledger_for(session, ledger_id, user))


@router.get(
    "/{ledger_id}/pages/{n}/image",
    status_code=200,
    response_class=FileResponse,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "the page image"},
        404: {"model": ErrorResponse, "description": "no such page, or no such image yet"},
    },
)
def page_image(
    ledger_id: LedgerId,
    n: PageNumber,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
    size: Literal["full", "thumb", "original"] = "full",
) -> FileResponse:
    """The page image that record boxes refer to (`full`), its thumbnail, or the split original."""
    ledger = get_ledger_for(session, ledger_id, user)
    page = get_page(session, ledger, n)
    if size == "thumb":
        key = page.thumb_key
    elif size == "original":
        key = page.image_key
    else:
        key = page.processed_key or page.image_key
    if not key or not storage.exists(key):
        raise NotFound(f"page {n} has no {size} image yet")
    media = "image/png" if key.endswith(".png") else "image/jpeg"
    return FileResponse(
        storage.local_path(key),
        media_type=media,
        headers={"Cache-Control": "private, max-age=3600"},
    )


@router.get("/{ledger_id}/pages/{n}/ocr", response_model=PageOcrPublic)
def page_ocr(
    ledger_id: LedgerId, n: PageNumber, session: SessionDep, user: CurrentUser
) -> PageOcrPublic:
    ledger = get_ledger_for(session, ledger_id, user)
    page = get_page(session, ledger, n)
    row = session.get(PageOcr, page.id)
    if row is None:
        raise NotFound(f"page {n} has not been read yet (state: {page.state})")
    return PageOcrPublic(
        page=n,
        width=row.width,
        height=row.height,
        engine=row.engine,
        engine_version=row.engine_version,
        lines=row.lines,
        provenance=row.provenance,
    )
