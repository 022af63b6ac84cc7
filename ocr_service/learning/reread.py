"""A newly active version reads its scope's unconfirmed pages again.

Only pages that still hold a draft nobody touched (or no record at all) are queued; the page
job replaces just those drafts (records/store.replace_page_records keeps every record a clerk
confirmed, flagged or edited), and reads with the version active for its ledger then.

A page being read when the version is activated (a book still being read while its clerk
corrects its first pages) is read with the version its job found at its start: it is put
back to pending too, so that job's claim is lost (jobs/state.mark_done refuses it, its
reading is dropped) and the page is read again with the new version. Pending pages need
nothing: their jobs have not chosen a version yet.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models.entities import (
    DraftRecord,
    Ledger,
    LedgerStatus,
    ModelVersion,
    Page,
    PageState,
    RecordStatus,
)
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.jobs.lifecycle import Dispatcher, JobTask
from ocr_service.jobs.state import requeue_pages
from ocr_service.learning.scopes import ScopeRef, scope_ledger_ids, version_for_ledger

SUPERSEDED = "a new model version was activated: the page is read again with it"


def pages_to_reread(session: Session, ledger_id: str) -> list[int]:
    """Pages of the ledger, ended or being read, with an untouched draft or no record at all."""
    on_page = (DraftRecord.ledger_id == Page.ledger_id) & (DraftRecord.page == Page.index)
    has_untouched = exists().where(
        on_page, DraftRecord.status == RecordStatus.draft, DraftRecord.version == 1
    )
    has_any = exists().where(on_page)
    return list(
        session.scalars(
            select(Page.id)
            .where(
                Page.ledger_id == ledger_id,
                Page.state.in_([PageState.done, PageState.failed, PageState.running]),
                has_untouched | ~has_any,
            )
            .order_by(Page.index)
        )
    )


def queue_reread(session: Session, version: ModelVersion) -> list[int]:
    """Put back to pending the pages `version` now reads (its scope's ledgers that no more
    specific active version covers); the caller commits, then submits them (reread_pages)."""
    scope = ScopeRef.of(version)
    pages: list[int] = []
    for ledger_id in scope_ledger_ids(session, scope):
        ledger = session.get(Ledger, ledger_id)
        if ledger is None:
            continue
        reader = version_for_ledger(session, ledger)
        if reader is None or reader.id != version.id:
            continue
        ids = pages_to_reread(session, ledger_id)
        if not ids:
            continue
        # A reading under way chose the model before this version: it is dropped.
        requeue_pages(session, ids, SUPERSEDED)
        ledger.status = LedgerStatus.processing
        pages += ids
    return pages


def reread_pages(dispatcher: Dispatcher, page_ids: list[int]) -> None:
    for page_id in page_ids:
        dispatcher.submit(JobTask.process_page, page_id)


def reread_with(settings: Settings, dispatcher: Dispatcher, version_id: int) -> int:
    """Queue the pages a just-activated version reads; returns how many."""
    with session_scope(settings) as session:
        version = session.get(ModelVersion, version_id)
        pages = queue_reread(session, version) if version is not None else []
    reread_pages(dispatcher, pages)
    return len(pages)
