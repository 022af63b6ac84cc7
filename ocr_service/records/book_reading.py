"""The book's facts read off its stored pages, voted, proposed and used (issue #14).

When a book's reading finishes (`jobs.lifecycle.maybe_finish_ledger`), `apply_book_reading`
reads each page's facts from its OCR lines and the record fields read on it, votes them
(`extract.book_vote`), stores the result on the ledger (`Ledger.book_reading`), fills the
BookMeta attributes nobody gave (a given value is never overwritten: a contradiction is a
mismatch shown to the clerk), and points draft records whose page misread the quyển số at
the book's value. Exports ask `require_book_number` before naming a Ministry file.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.book import BookMeta, InvalidBookMeta
from models.entities import DraftRecord, FieldValue, Ledger, Page, PageOcr, RecordStatus
from models.json_types import JsonObject
from ocr_service.audit import record_event
from ocr_service.errors import Conflict
from ocr_service.extract.book_vote import (
    FIELD_FACTS,
    META_FACTS,
    BookReading,
    PageFacts,
    RecordFacts,
    check_numbering,
    compare_given,
    read_page_facts,
    same_value,
    vote_book,
)

# Issue put on a record's quyenSo when its page misread the book's quyển số.
OUTLIER_ISSUE = "book-vote-outlier"
_READ_SOURCES = ("ocr", "clerk")


def _field_reading(f: FieldValue) -> str:
    """What the page says in this field: the clerk's or OCR's value, else the raw text; a value
    put there by the vote counts as the raw text it replaced."""
    if f.source in _READ_SOURCES:
        return (f.value or f.raw or "").strip()
    if OUTLIER_ISSUE in (f.issues or []):
        return (f.raw or "").strip()
    return ""


def page_facts(session: Session, ledger_id: str) -> list[PageFacts]:
    """Every page's facts, in page order (a page not read yet gives none)."""
    lines_by_page: dict[int, list[str]] = {}
    for index, lines in session.execute(
        select(Page.index, PageOcr.lines)
        .outerjoin(PageOcr, PageOcr.page_id == Page.id)
        .where(Page.ledger_id == ledger_id)
        .order_by(Page.index)
    ):
        lines_by_page[index] = [
            str(ln.get("text", "")) for ln in (lines or []) if isinstance(ln, dict)
        ]
    fields_by_page: dict[int, dict[str, str]] = {}
    rows = session.scalars(
        select(FieldValue)
        .join(DraftRecord, DraftRecord.id == FieldValue.record_id)
        .where(DraftRecord.ledger_id == ledger_id, FieldValue.code.in_(tuple(FIELD_FACTS)))
        .order_by(DraftRecord.seq)
        .options(selectinload(FieldValue.record))
    )
    for f in rows:
        text = _field_reading(f)
        page = f.page or f.record.page
        if text:
            fields_by_page.setdefault(page, {}).setdefault(f.code, text)
    pages = sorted(set(lines_by_page) | set(fields_by_page))
    return [read_page_facts(p, lines_by_page.get(p, []), fields_by_page.get(p, {})) for p in pages]


def _given(meta: BookMeta) -> dict[str, object]:
    return {fact: getattr(meta, fact) for fact in ("register", *META_FACTS)}


def _fill(ledger: Ledger, proposals: Mapping[str, str], previously_filled: set[str]) -> list[str]:
    """Fill the attributes not given at ingest from the vote; the names of those filled."""
    meta = ledger.book_meta()
    filled: list[str] = []
    for fact in META_FACTS:
        value = proposals.get(fact)
        current: object = getattr(meta, fact)
        if value is None or (current is not None and fact not in previously_filled):
            continue
        candidate = meta.with_changes({fact: int(value) if fact == "year" else value})
        try:
            meta = candidate.checked()
        except InvalidBookMeta:
            continue  # e.g. a year read beyond next year: proposed, never stored
        if getattr(meta, fact) != current:
            filled.append(fact)
    for name, column in meta.columns().items():
        setattr(ledger, name, column)
    return filled


def _point_records_at_book(records: list[DraftRecord], book: str) -> int:
    """Draft, unedited records whose page misread the quyển số take the book's value; what was
    read stays as the raw text, with OUTLIER_ISSUE for the clerk. Returns how many."""
    changed = 0
    for record in records:
        if record.status != RecordStatus.draft:
            continue
        f = next((f for f in record.fields if f.code == "quyenSo"), None)
        if f is None or f.edited or f.source != "ocr":
            continue
        read = (f.value or f.raw or "").strip()
        if not read or same_value("book", read, book):
            continue
        f.raw = read
        f.value = book
        f.source = "book"
        f.band = "check"
        f.issues = [*(f.issues or []), OUTLIER_ISSUE]
        changed += 1
    return changed


def apply_book_reading(session: Session, ledger_id: str, *, fill: bool = True) -> BookReading:
    """Vote the book's facts, store them on the ledger and, with `fill`, fill what was not given."""
    ledger = session.get(Ledger, ledger_id)
    if ledger is None:
        raise ValueError(f"no ledger {ledger_id}")
    facts = page_facts(session, ledger_id)
    votes = vote_book(facts)
    proposals = {f: v.value for f, v in votes.items() if v.status == "agreed" and v.value}
    before = ledger.book_meta()
    earlier = (ledger.book_reading or {}).get("filled")
    previous = {str(f) for f in earlier} if isinstance(earlier, list) else set()
    filled = _fill(ledger, proposals, previous) if fill else []
    records = list(
        session.scalars(
            select(DraftRecord)
            .where(DraftRecord.ledger_id == ledger_id)
            .order_by(DraftRecord.seq)
            .options(selectinload(DraftRecord.fields))
        )
    )
    book = proposals.get("book")
    if book is not None and ledger.book is not None and same_value("book", ledger.book, book):
        _point_records_at_book(records, ledger.book)
    record_facts = [
        RecordFacts(
            r.page,
            r.id,
            next((f.value for f in r.fields if f.code == "so"), None),
            next((f.value for f in r.fields if f.code == "ngayDangKy"), None),
        )
        for r in records
    ]
    reading = BookReading(
        pages=tuple(facts),
        votes=votes,
        warnings=tuple(check_numbering(record_facts, ledger.year)),
        mismatches=compare_given(
            {k: v for k, v in _given(before).items() if k not in previous}, votes
        ),
        filled=tuple(f for f in META_FACTS if f in {*previous, *filled} and getattr(ledger, f)),
    )
    ledger.book_reading = reading.to_json()
    if filled:
        record_event(
            session,
            "ledger.book_from_pages",
            "ledger",
            ledger.id,
            ledger_id=ledger.id,
            data={f: getattr(before, f) for f in filled}
            | {"new": {f: getattr(ledger, f) for f in filled}},
        )
    session.flush()
    return reading


def require_book_number(ledger: Ledger) -> None:
    """An export that names its files needs the quyển số: refuse (409) only when the book has
    none and its own pages disagree, saying which pages say what."""
    if ledger.book is not None:
        return
    facts = (ledger.book_reading or {}).get("facts")
    vote = facts.get("book") if isinstance(facts, dict) else None
    if not isinstance(vote, dict) or vote.get("status") != "disputed":
        return
    readings = vote.get("outliers") or []
    where = "; ".join(
        f"'{r['value']}' on page{'s' if len(r['pages']) > 1 else ''} "
        f"{', '.join(str(p) for p in r['pages'])}"
        for r in readings
        if isinstance(r, dict)
    )
    raise Conflict(
        f"the book's pages disagree on its quyển số ({where}): set it on the book "
        f"(PATCH /api/v1/ledgers/{ledger.id}, or 'Thông tin sổ' in the review UI)",
        code="book_disputed",
    )


def forget_filled(ledger: Ledger, facts: set[str]) -> None:
    """A clerk set these facts: they are given from now on, never refilled by a vote."""
    reading: JsonObject = dict(ledger.book_reading or {})
    filled = reading.get("filled")
    if isinstance(filled, list):
        reading["filled"] = [f for f in filled if f not in facts]
        ledger.book_reading = reading
