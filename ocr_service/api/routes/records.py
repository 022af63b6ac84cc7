"""Records: list a book's drafts, take the next one, edit, confirm, flag, review, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models.entities import DraftRecord
from models.limits import MAX_ID_LEN, MAX_QUERY_TEXT
from models.schemas import (
    ErrorResponse,
    FlagBody,
    Paginated,
    RecordHistory,
    RecordPublic,
    RecordUpdate,
    ReviewBody,
    StaleRecord,
    VersionBody,
)
from models.search import RecordSearchHit
from ocr_service.api.deps import (
    CurrentUser,
    LedgerId,
    ListPage,
    QueryText,
    RecordId,
    SessionDep,
    SettingsDep,
)
from ocr_service.errors import BadInput, NotFound
from ocr_service.jobs.lifecycle import JobTask
from ocr_service.learning.trigger import due_after_confirm
from ocr_service.ledgers import get_ledger_for
from ocr_service.records import service
from ocr_service.records.search import MAX_PER_PAGE, parse_query, search_records

router = APIRouter(tags=["records"])


# A write names the version it was based on; a stale one gets the record as it is now.
STALE = "the record changed since that version: the body holds it as it is now"


@router.get("/ledgers/{ledger_id}/records", response_model=Paginated[RecordPublic])
def list_records(
    ledger_id: LedgerId,
    session: SessionDep,
    user: CurrentUser,
    status: QueryText = None,
    page: ListPage = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Paginated[RecordPublic]:
    ledger = get_ledger_for(session, ledger_id, user)
    query = select(DraftRecord).where(DraftRecord.ledger_id == ledger.id)
    if status:
        if status not in ("draft", "confirmed", "flagged"):
            raise BadInput("status must be draft, confirmed or flagged")
        query = query.where(DraftRecord.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DraftRecord.seq)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(selectinload(DraftRecord.fields))
    ).all()
    items = [service.record_public(session, r, register=ledger.register, links=False) for r in rows]
    return Paginated[RecordPublic](items=items, total=total, page=page, per_page=per_page)


@router.get("/records/next", response_model=RecordPublic)
def next_record(
    session: SessionDep,
    user: CurrentUser,
    ledger: Annotated[str, Query(max_length=MAX_ID_LEN)],
    after: Annotated[str | None, Query(max_length=MAX_ID_LEN)] = None,
) -> RecordPublic:
    book = get_ledger_for(session, ledger, user)
    record = service.next_record(session, book, user, after=after)
    if record is None:
        raise NotFound("no draft left in this book", code="none_left")
    return service.record_public(session, record, register=book.register)


# Before /records/{record_id}, which would otherwise take "search" for an id. The name travels in
# the query string (a GET anyone can bookmark); the access log drops query strings (privacy.py).
@router.get(
    "/records/search",
    response_model=Paginated[RecordSearchHit],
    responses={422: {"model": ErrorResponse, "description": "empty or too long query, bad date"}},
)
def search(
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_TEXT,
            description="a name, any accents or case ('nguyen van an'), optionally with a birth "
            "year or date ('nguyen van an 05/03/1990')",
        ),
    ],
    birth: Annotated[
        str | None,
        Query(max_length=10, description="birth year (1990) or date (05/03/1990, 05.03.1990)"),
    ] = None,
    commune: QueryText = None,
    page: ListPage = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
) -> Paginated[RecordSearchHit]:
    """People in the records of the books the caller may see (a clerk: their commune's), by
    name regardless of accents and case; at most MAX_RESULTS (500) records, in book order."""
    return search_records(
        session, user, parse_query(q, birth), commune=commune, page=page, per_page=per_page
    )


@router.get("/records/{record_id}", response_model=RecordPublic)
def read_record(record_id: RecordId, session: SessionDep, user: CurrentUser) -> RecordPublic:
    record, ledger = service.load_record(session, record_id, user)
    return service.record_public(session, record, register=ledger.register)


@router.patch(
    "/records/{record_id}",
    response_model=RecordPublic,
    responses={409: {"model": StaleRecord, "description": STALE}},
)
def update_record(
    record_id: RecordId, body: RecordUpdate, session: SessionDep, user: CurrentUser
) -> RecordPublic:
    record = service.update_record(session, record_id, user, body.version, body.fields)
    return service.record_public(session, record)


@router.post(
    "/records/{record_id}/confirm",
    response_model=RecordPublic,
    responses={409: {"model": StaleRecord, "description": STALE}},
)
def confirm_record(
    record_id: RecordId,
    body: VersionBody,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> RecordPublic:
    record = service.confirm_record(session, record_id, user, body.version)
    # Every SOHOA_TRAIN_EVERY corrected fields confirmed, the scope trains a new recogniser.
    scope = due_after_confirm(session, settings, record.ledger_id)
    if scope is not None:
        session.commit()  # the job claims the scope's row: it must see it queued
        request.app.state.dispatcher.submit(JobTask.train_scope, scope.job_arg())
    return service.record_public(session, record)


@router.post(
    "/records/{record_id}/flag",
    response_model=RecordPublic,
    responses={409: {"model": StaleRecord, "description": STALE}},
)
def flag_record(
    record_id: RecordId, body: FlagBody, session: SessionDep, user: CurrentUser
) -> RecordPublic:
    record = service.flag_record(session, record_id, user, body.version, body.reason)
    return service.record_public(session, record)


@router.post(
    "/records/{record_id}/review",
    response_model=RecordPublic,
    responses={
        403: {
            "model": ErrorResponse,
            "description": "not a reviewer, or `four_eyes`: the caller confirmed or last edited "
            "the record (an admin may approve with `override` and a note)",
        },
        409: {"model": StaleRecord, "description": STALE},
    },
)
def review_record(
    record_id: RecordId, body: ReviewBody, session: SessionDep, user: CurrentUser
) -> RecordPublic:
    record = service.review_record(
        session, record_id, user, body.version, body.decision, body.note, override=body.override
    )
    return service.record_public(session, record)


@router.get("/records/{record_id}/history", response_model=RecordHistory)
def record_history(record_id: RecordId, session: SessionDep, user: CurrentUser) -> RecordHistory:
    return RecordHistory(events=service.record_history(session, record_id, user))
