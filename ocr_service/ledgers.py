"""Queries about ledgers shared by the API and the CLI: progress, access, page lookup, and
the clerk's corrections of a book's data."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.book import InvalidBookMeta
from models.entities import DraftRecord, Ledger, Page, PageState, RecordStatus, Role, User
from models.json_types import JsonObject
from models.schemas import BookReadingPublic, LedgerDetail, LedgerPublic, PagePublic, Progress
from ocr_service.audit import record_event
from ocr_service.errors import Conflict, Forbidden, InvalidField, NotFound
from ocr_service.extract.book_vote import quyen_so_key

# Book attributes a clerk may correct after ingest (PATCH /ledgers/{id}).
EDITABLE = ("register", "commune", "book", "year", "authority")


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
    reading = BookReadingPublic.model_validate(ledger.book_reading) if ledger.book_reading else None
    return LedgerDetail(
        **base.model_dump(), failed_pages=[page_public(p) for p in failed], book_reading=reading
    )


def update_book(
    session: Session, ledger: Ledger, user: User, changes: Mapping[str, object]
) -> Ledger:
    """A clerk's correction of the book's data, checked like an upload's and audited.

    Admins, and clerks who see the book's commune, may change it; only an admin moves a book
    to another commune. The register type changes only while no record is confirmed (their
    fields are the register's). Raises Forbidden, Conflict or InvalidField (naming the field).
    """
    if user.role not in (Role.admin, Role.clerk):
        raise Forbidden("only a clerk or an admin may change a book's data")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidField(sorted(unknown)[0], f"{sorted(unknown)[0]} cannot be changed")
    old = ledger.book_meta()
    diff = {k: v for k, v in changes.items() if getattr(old, k) != v}
    if "commune" in diff and user.role != Role.admin:
        raise Forbidden("only an admin may move a book to another commune")
    if "register" in diff:
        confirmed = session.scalar(
            select(func.count()).where(
                DraftRecord.ledger_id == ledger.id, DraftRecord.status == RecordStatus.confirmed
            )
        )
        if confirmed:
            raise Conflict(
                f"the register type cannot change: {confirmed} record(s) of this book are "
                "confirmed with its fields",
                code="register_locked",
            )
    if isinstance(diff.get("book"), str) and quyen_so_key(str(diff["book"])) is None:
        raise InvalidField(
            "book", "book: quyển số must read '<volume>/<yyyy>', e.g. 01/2019", code="invalid_book"
        )
    for name, value in diff.items():  # the first field at fault is named
        try:
            old.with_changes({name: value}).checked()
        except InvalidBookMeta as exc:
            raise InvalidField(name, f"{name}: {exc}", code="invalid_book") from None
    try:
        new = old.with_changes(diff).checked()
    except InvalidBookMeta as exc:  # not reached: each change was checked alone
        raise InvalidField(next(iter(diff), "book"), str(exc), code="invalid_book") from None
    for name, value in new.columns().items():
        setattr(ledger, name, value)
    from ocr_service.records.book_reading import apply_book_reading, forget_filled

    forget_filled(ledger, set(diff))
    if diff and ledger.book_reading is not None:
        # The clerk's values are given from now on: compare them with the pages again.
        session.flush()
        apply_book_reading(session, ledger.id, fill=False)
    if diff:
        change_log: list[JsonObject] = [
            {"field": k, "old": _json(getattr(old, k)), "new": _json(getattr(new, k))} for k in diff
        ]
        record_event(
            session,
            "ledger.update",
            "ledger",
            ledger.id,
            user_id=user.id,
            ledger_id=ledger.id,
            data={"changes": change_log},
        )
    session.flush()
    return ledger


def _json(value: object) -> str | int | None:
    return value if value is None or isinstance(value, (str, int)) else str(value)


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
