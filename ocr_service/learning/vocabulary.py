"""The lexicon a ledger's pages are decoded with (SOHOA_VI_DECODE=beam-vocab): the register's
words, dates in words and the administrative units (extract/vocabulary.py), and the names and
places of the confirmed records of its scope, the commune (or the ledger alone when it names no
commune): people and places recur in a commune's books, and a clerk has confirmed them.

Built from the database once per scope and state: a lexicon is reused until a record of the
scope is confirmed or edited again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models.entities import DraftRecord, FieldValue, Ledger, RecordStatus, ScopeKind
from ocr_service.extract.vocabulary import book_lexicon, name_place_codes
from ocr_service.learning.scopes import ScopeRef
from ocr_service.ocr.ctc_beam import Lexicon

CACHE_SIZE = 32  # scopes whose lexicon is kept (one worker reads a few ledgers at a time)

_Key = tuple[str, str, str, int, datetime | None]
_cache: OrderedDict[_Key, Lexicon] = OrderedDict()
_lock = threading.Lock()


def vocabulary_scope(ledger: Ledger) -> ScopeRef:
    """Where a ledger's confirmed names and places come from: its commune, else itself."""
    if ledger.commune:
        return ScopeRef(ScopeKind.commune, ledger.commune)
    return ScopeRef(ScopeKind.ledger, ledger.id)


def _confirmed(scope: ScopeRef) -> list[ColumnElement[bool]]:
    """The scope's confirmed records, as query conditions."""
    where: list[ColumnElement[bool]] = [DraftRecord.status == RecordStatus.confirmed]
    if scope.kind == ScopeKind.commune:
        where.append(Ledger.commune == scope.key)
    else:
        where.append(Ledger.id == scope.key)
    return where


def confirmed_names_places(session: Session, scope: ScopeRef) -> list[str]:
    """The values of the name and place fields of the scope's confirmed records."""
    rows = session.scalars(
        select(FieldValue.value)
        .join(DraftRecord, FieldValue.record_id == DraftRecord.id)
        .join(Ledger, DraftRecord.ledger_id == Ledger.id)
        .where(*_confirmed(scope))
        .where(FieldValue.code.in_(sorted(name_place_codes())))
        .where(FieldValue.value.is_not(None))
    )
    return [v for v in rows if v]


def ledger_lexicon(session: Session, ledger: Ledger) -> Lexicon:
    """The words the ledger's pages are biased toward (cached per scope and state)."""
    scope = vocabulary_scope(ledger)
    count, latest = session.execute(
        select(func.count(DraftRecord.id), func.max(DraftRecord.updated_at))
        .join(Ledger, DraftRecord.ledger_id == Ledger.id)
        .where(*_confirmed(scope))
    ).one()
    key: _Key = (scope.kind.value, scope.key, ledger.register, int(count or 0), latest)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    lexicon = book_lexicon(ledger.register).union(
        Lexicon.of(confirmed_names_places(session, scope))
    )
    with _lock:
        _cache[key] = lexicon
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return lexicon
