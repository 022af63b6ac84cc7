"""Ledgers: upload a book, list and follow books, serve page images and OCR lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import func, select

from models.book import BookMeta, InvalidBookMeta, parse_year
from models.entities import Ledger, LedgerStatus, Page, PageOcr
from models.json_types import JsonObject
from models.limits import MAX_FORM_TEXT
from models.schemas import (
    ErrorResponse,
    LedgerDetail,
    LedgerPublic,
    LedgerUpdate,
    PageImageUrl,
    PageOcrPublic,
    Paginated,
)
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
from ocr_service.errors import BadInput, Forbidden, InvalidField, NotFound, TooLarge
from ocr_service.ingest.service import ingest_stream
from ocr_service.jobs.sweep import enqueue_ledger
from ocr_service.ledgers import (
    get_ledger_for,
    get_page,
    ledger_detail,
    ledger_public,
    update_book,
)
from ocr_service.limits import check_nesting, json_problem
from ocr_service.storage import CHUNK, BlobNotFound

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


@router.patch(
    "/{ledger_id}",
    response_model=LedgerDetail,
    responses={
        403: {"model": ErrorResponse, "description": "not a clerk of the book's commune or admin"},
        409: {
            "model": ErrorResponse,
            "description": "register type of a book with confirmed records",
        },
        422: {
            "model": ErrorResponse,
            "description": "a value out of range (`error.field` names it)",
        },
    },
)
def update_ledger(
    ledger_id: LedgerId, body: LedgerUpdate, session: SessionDep, user: CurrentUser
) -> LedgerDetail:
    """Correct the book's data (register, commune, quyển số, year, authority): audited."""
    ledger = get_ledger_for(session, ledger_id, user)
    changes = body.model_dump(include=body.model_fields_set)
    if "register_" in changes:
        changes["register"] = changes.pop("register_")
        if changes["register"] is None:
            raise InvalidField("register", "register: a book always has a register type")
    if not changes:
        raise BadInput(
            "nothing to change: give at least one of register, commune, book, year, authority"
        )
    update_book(session, ledger, user, changes)
    return ledger_detail(session, ledger)


ImageSize = Literal["full", "thumb", "original"]


def _image_key(page: Page, size: ImageSize) -> str | None:
    if size == "thumb":
        return page.thumb_key
    if size == "original":
        return page.image_key
    return page.processed_key or page.image_key


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(CHUNK):
            yield chunk


@router.get(
    "/{ledger_id}/pages/{n}/image",
    status_code=200,
    response_class=StreamingResponse,
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
    size: ImageSize = "full",
) -> StreamingResponse:
    """The page image that record boxes refer to (`full`), its thumbnail, or the split original,
    streamed from storage (the local folder or the object store)."""
    ledger = get_ledger_for(session, ledger_id, user)
    key = _image_key(get_page(session, ledger, n), size)
    try:
        if not key:
            raise BlobNotFound(size)
        fh = storage.open(key)
    except BlobNotFound:
        raise NotFound(f"page {n} has no {size} image yet") from None
    media = "image/png" if key.endswith(".png") else "image/jpeg"
    return StreamingResponse(
        _chunks(fh), media_type=media, headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get(
    "/{ledger_id}/pages/{n}/image-url",
    response_model=PageImageUrl,
    responses={404: {"model": ErrorResponse, "description": "no such page, or no image yet"}},
)
def page_image_url(
    ledger_id: LedgerId,
    n: PageNumber,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: CurrentUser,
    size: ImageSize = "full",
) -> PageImageUrl:
    """Where the browser can fetch a page image: with object storage a presigned URL valid for
    SOHOA_PRESIGN_SECONDS (the store must be reachable from the browser), otherwise the API's
    own image URL. Either way only a signed-in user who may see the book gets it."""
    ledger = get_ledger_for(session, ledger_id, user)
    key = _image_key(get_page(session, ledger, n), size)
    if not key or not storage.exists(key):
        raise NotFound(f"page {n} has no {size} image yet")
    expires = settings.presign_seconds
    url = storage.presigned_url(key, expires_seconds=expires) if expires else None
    if url is not None:
        return PageImageUrl(url=url, expires_in=expires)
    own = request.url_for("page_image", ledger_id=ledger_id, n=str(n))
    return PageImageUrl(url=str(own.include_query_params(size=size)))


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
