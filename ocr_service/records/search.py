"""Find people across the books a user may see: by name (any accents and case), birth, commune.

The name is looked up in the indexed `record_name_keys.key` as a prefix range, never by reading
every record; see search_keys for how names are folded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from models.entities import DraftRecord, Ledger, RecordNameKey, Role, User
from models.schemas import Paginated
from models.search import RecordSearchHit, SearchMatch
from ocr_service.errors import BadInput
from ocr_service.records.search_keys import BirthDate, birth_code, fold_name, parse_birth

MAX_SEARCH_TEXT = 100  # characters of `q`: a name and a date, with room to spare
MIN_NAME_LEN = 2  # folded characters of the name part: one letter would match half the books
MAX_RESULTS = 500  # records a search lists at most: narrow it (birth, commune) for more
MAX_PER_PAGE = 100
# Sorts after every character a key holds (a-z, 0-9, space): [name, name + END) is "starts with".
_PREFIX_END = "~"


@dataclass(frozen=True)
class SearchQuery:
    name: str  # folded
    birth: BirthDate | None


def parse_query(q: str, birth: str | None = None) -> SearchQuery:
    """The name and birth date of a search: a date or year may be typed in `q` or sent apart."""
    text = q.strip()
    if not text:
        raise BadInput("nhập tên cần tìm", code="empty_query")
    if len(text) > MAX_SEARCH_TEXT:
        raise BadInput(f"nội dung tìm quá dài (tối đa {MAX_SEARCH_TEXT} ký tự)", code="too_long")
    words: list[str] = []
    dates: list[BirthDate] = []
    for token in text.split():
        parsed = parse_birth(token)
        if parsed is not None:
            dates.append(parsed)
        else:
            words.append(token)
    if birth is not None and birth.strip():
        parsed = parse_birth(birth)
        if parsed is None:
            raise BadInput("ngày sinh phải là năm (1990) hoặc ngày (05/03/1990)", code="bad_birth")
        dates.append(parsed)
    if len(dates) > 1:
        raise BadInput("chỉ tìm theo một ngày sinh", code="bad_birth")
    name = fold_name(" ".join(words))
    if len(name) < MIN_NAME_LEN:
        raise BadInput(f"nhập ít nhất {MIN_NAME_LEN} chữ của tên", code="name_too_short")
    return SearchQuery(name=name, birth=dates[0] if dates else None)


def _conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    conds = [RecordNameKey.key >= query.name, RecordNameKey.key < query.name + _PREFIX_END]
    if query.birth is not None:
        if query.birth.iso is not None:
            conds.append(RecordNameKey.birth_date == query.birth.iso)
        else:
            conds.append(RecordNameKey.birth_year == query.birth.year)
    return conds


def search_records(
    session: Session,
    user: User,
    query: SearchQuery,
    *,
    commune: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Paginated[RecordSearchHit]:
    conds = _conditions(query)
    scope: list[ColumnElement[bool]] = []
    if user.role != Role.admin and user.commune:
        scope.append(Ledger.commune == user.commune)
    if commune:
        scope.append(Ledger.commune == commune)
    found = session.execute(
        select(RecordNameKey.record_id, Ledger.created_at, Ledger.id, DraftRecord.seq)
        .join(DraftRecord, DraftRecord.id == RecordNameKey.record_id)
        .join(Ledger, Ledger.id == DraftRecord.ledger_id)
        .where(*conds, *scope)
        .distinct()
        .order_by(Ledger.created_at, Ledger.id, DraftRecord.seq, RecordNameKey.record_id)
        .limit(MAX_RESULTS)
    ).all()
    ids = [row[0] for row in found[(page - 1) * per_page : page * per_page]]
    items: list[RecordSearchHit] = []
    if ids:
        records = {
            r.id: r
            for r in session.scalars(
                select(DraftRecord)
                .where(DraftRecord.id.in_(ids))
                .options(selectinload(DraftRecord.fields))
            )
        }
        ledgers = {
            book.id: book
            for book in session.scalars(
                select(Ledger).where(Ledger.id.in_({r.ledger_id for r in records.values()}))
            )
        }
        matched: dict[str, set[str]] = defaultdict(set)
        for record_id, code in session.execute(
            select(RecordNameKey.record_id, RecordNameKey.code).where(
                RecordNameKey.record_id.in_(ids), *conds
            )
        ):
            matched[record_id].add(code)
        items = [_hit(records[i], ledgers[records[i].ledger_id], matched[i]) for i in ids]
    return Paginated[RecordSearchHit](items=items, total=len(found), page=page, per_page=per_page)


def _hit(record: DraftRecord, ledger: Ledger, codes: set[str]) -> RecordSearchHit:
    values = {f.code: f.value for f in record.fields}
    return RecordSearchHit(
        record_id=record.id,
        ledger_id=ledger.id,
        register_=ledger.register,
        commune=ledger.commune,
        book=ledger.book,
        year=ledger.year,
        filename=ledger.filename,
        page=record.page,
        seq=record.seq,
        so=values.get("so"),
        status=record.status,
        matches=[
            SearchMatch(
                code=code,
                value=values.get(code),
                birth_code=birth_code(code),
                birth=values.get(birth_code(code)),
            )
            for code in sorted(codes)
        ],
    )
