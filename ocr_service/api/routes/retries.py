"""Failed pages read again: one page, or every failed page of a book."""

from __future__ import annotations

from fastapi import APIRouter, Request

from models.schemas import ErrorResponse, RetryResult
from ocr_service.api.deps import CurrentUser, LedgerId, PageNumber, SessionDep
from ocr_service.jobs.retry import reset_failed_pages, submit_pages
from ocr_service.ledgers import get_ledger_for, get_page

router = APIRouter(prefix="/ledgers", tags=["ledgers"])

RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "no such ledger or page"},
    409: {"model": ErrorResponse, "description": "no failed page to retry (code not_failed)"},
}


@router.post(
    "/{ledger_id}/pages/{n}/retry", status_code=202, response_model=RetryResult,
    responses=RESPONSES,
)  # fmt: skip
def retry_page(
    ledger_id: LedgerId, n: PageNumber, request: Request, session: SessionDep, user: CurrentUser
) -> RetryResult:
    """Queue a failed page again, its attempts starting over; audited."""
    ledger = get_ledger_for(session, ledger_id, user)
    get_page(session, ledger, n)
    pages = reset_failed_pages(session, ledger, [n], user_id=user.id)
    return _queued(request, session, ledger.id, [(p.index, p.id) for p in pages])


@router.post(
    "/{ledger_id}/retry-failed", status_code=202, response_model=RetryResult, responses=RESPONSES
)
def retry_failed_pages(
    ledger_id: LedgerId, request: Request, session: SessionDep, user: CurrentUser
) -> RetryResult:
    """Queue every failed page of the book again; audited."""
    ledger = get_ledger_for(session, ledger_id, user)
    pages = reset_failed_pages(session, ledger, None, user_id=user.id)
    return _queued(request, session, ledger.id, [(p.index, p.id) for p in pages])


def _queued(
    request: Request, session: SessionDep, ledger_id: str, pages: list[tuple[int, int]]
) -> RetryResult:
    session.commit()  # committed before queued: a worker must find the pages pending
    submit_pages(request.app.state.dispatcher, [page_id for _, page_id in pages])
    return RetryResult(ledger=ledger_id, pages=[index for index, _ in pages])
