"""Queries about ledgers shared by the API and the CLI: progress, access, page lookup."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.entities import DraftRecord, Ledger, Page, PageState, RecordStatus, User
from models.schemas import LedgerDetail, LedgerPublic, PagePublic, Progress
from ocr_service.errors import NotFound


def progress(session: Session, ledger: Ledger) -> Progress:
    pages = dict(
        session.execute(
            select(Page.state, func.count()).where(Page.ledger_id == ledger.id).group_by(Page.state)
        ).all()
    )
    recs = dict(
        session.execute(
            select(DraftRecord.status, func.count())
            .where(DraftRecord.ledger_id == ledger.id)
            .group_by(DraftRecord.status)
        ).all()
    )
    return Progress(
        pages_total=ledger.pages_total,
        pages_done=pages.get(PageState.done, 0),
        pages_failed=pages.get(PageState.failed, 0),
        pages_pending=pages.get(PageState.pending, 0),
        pages_running=pages.get(PageState.running, 0),
        drafts=recs.get(RecordStatus.draft, 0),
        confirmed=recs.get(RecordStatus.confirmed, 0),
        flagged=recs.get(RecordStatus.flagged, 0),
    )


def page_public(page: Page) -> PagePublic:
    return PagePublic(
        page=page.index,
        state=page.state,
        attempts=page.attempts,
        error=page.error,
        width=page.processed_width or page.width,
        height=page.processed_height or page.height,
        image_source=page.image_source,
        processed=page.processed_key is not None,
    )


def ledger_public(
    session: Session, ledger: Ledger, *, with_progress: bool = True, duplicate: bool | None = None
) -> LedgerPublic:
    """The ledger as the API shows it; its columns are read by name (schemas.LedgerPublic)."""
    public = LedgerPublic.model_validate(ledger)
    public.progress = progress(session, ledger) if with_progress else None
    public.duplicate = duplicate
    return public


def ledger_detail(session: Session, ledger: Ledger) -> LedgerDetail:
    failed = session.scalars(
        select(Page)
        .where(Page.ledger_id == ledger.id, Page.state == PageState.failed)
        .order_by(Page.index)
    )
    base = ledger_public(session, ledger)
    return LedgerDetail(**base.model_dump(), failed_pages=[page_public(p) for p in failed])


def get_ledger_for(session: Session, ledger_id: str, user: User | None) -> Ledger:
    """The ledger, if it exists and the user may see it (404 either way, to leak nothing)."""
    ledger = session.get(Ledger, ledger_id)
    if ledger is None or (user is not None and not user.sees_commune(ledger.commune)):
        raise NotFound(f"no ledger {ledger_id}")
    return ledger


def get_page(session: Session, ledger: Ledger, index: int) -> Page:
    page = session.scalar(select(Page).where(Page.ledger_id == ledger.id, Page.index == index))
    if page is None:
        raise NotFound(f"ledger {ledger.id} has no page {index}")
    return page
