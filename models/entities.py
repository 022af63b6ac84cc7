"""ORM entities: ledgers and their pages, jobs, draft records, users, tokens and the audit trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from models.book import BookMeta
from models.json_types import JsonObject, PreprocessJson, WarningJson


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {JsonObject: JSON, list[Any]: JSON}


class Role(StrEnum):
    clerk = "clerk"
    reviewer = "reviewer"
    admin = "admin"


class PageState(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class LedgerStatus(StrEnum):
    queued = "queued"  # stored, waiting to be split
    waiting = "waiting"  # stored while the queue was down: the sweep queues it when it is back
    splitting = "splitting"
    processing = "processing"  # pages being worked on
    done = "done"
    partial = "partial"  # some pages failed
    failed = "failed"  # nothing usable (split failed, or every page failed)


class RecordStatus(StrEnum):
    draft = "draft"
    confirmed = "confirmed"
    flagged = "flagged"


class TZDateTime(TypeDecorator[datetime]):
    """A UTC timestamp that comes back with its time zone on every backend.

    PostgreSQL's `timestamptz` keeps the zone; SQLite has no such type and hands back naive
    datetimes, so the API showed them without an offset there. Values are stored in UTC (as
    before: the same text in SQLite, the same instant in PostgreSQL) and read back aware, in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive values in this code base are UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.clerk)
    commune: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    def sees_commune(self, commune: str | None) -> bool:
        """Clerks with a commune see only that commune's books; others see everything."""
        if self.role == Role.admin or not self.commune:
            return True
        return commune == self.commune


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings, never the secret
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A review-UI login: the cookie holds the secret, the database its hash and CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime())

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Failed logins counted per user name or client address, shared by every API process;
    a key over its limit is locked until `locked_until` (ocr_service/login_throttle.py)."""

    __tablename__ = "login_attempts"

    # "user:" + a hash of the user name, or "addr:" + the client address.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(TZDateTime)


class Installation(Base):
    """One row, written by the migration that made it: this installation's id. Every queued
    job carries it, and a worker whose database holds another id (a worker left on its default
    SQLite while the API is on PostgreSQL) refuses the job instead of finding nothing."""

    __tablename__ = "installation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class Original(Base):
    """An uploaded file, stored once by content hash and never modified."""

    __tablename__ = "originals"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)


class Ledger(Base):
    """One register book (sổ): an original scan plus its metadata and processing state.

    The book's metadata is `models.book.BookMeta`, one column per attribute of the same name:
    `book_meta()` reads it back, `for_book()` stores it.
    """

    __tablename__ = "ledgers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    original_sha256: Mapped[str] = mapped_column(ForeignKey("originals.sha256"))
    filename: Mapped[str | None] = mapped_column(String(255))  # display only, never a path
    # The book's metadata (BookMeta): widths as checked by BookMeta.checked.
    register: Mapped[str] = mapped_column(String(32))
    commune: Mapped[str | None] = mapped_column(String(200))
    book: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    authority: Mapped[str | None] = mapped_column(String(300))
    layout: Mapped[str] = mapped_column(String(16), default="block")
    layout_file: Mapped[JsonObject | None] = mapped_column(JSON)
    # The book's facts as its pages give them, voted (extract.book_vote.BookReading.to_json):
    # written when the book's reading finishes, None before.
    book_reading: Mapped[JsonObject | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=LedgerStatus.queued)
    pages_total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, onupdate=utcnow)

    original: Mapped[Original] = relationship()
    pages: Mapped[list[Page]] = relationship(
        back_populates="ledger", order_by="Page.index", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_ledgers_commune_register", "commune", "register"),
        Index("ix_ledgers_status", "status"),
        Index("ix_ledgers_original", "original_sha256"),
    )

    @classmethod
    def for_book(cls, meta: BookMeta, **columns: object) -> Ledger:
        """A new ledger row holding `meta`, with the other `columns` given."""
        return cls(**meta.columns(), **columns)

    def book_meta(self) -> BookMeta:
        """The book's metadata as stored."""
        return BookMeta.read_from(self)


class Page(Base):
    """One page image of a ledger and the state of its processing job."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger_id: Mapped[str] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)  # 1-based, in ledger order
    state: Mapped[str] = mapped_column(String(16), default=PageState.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(TZDateTime())
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    image_key: Mapped[str] = mapped_column(String(300))  # as split from the original
    image_source: Mapped[str] = mapped_column(String(16))  # embedded | rendered | image
    processed_key: Mapped[str | None] = mapped_column(String(300))  # upright, deskewed
    processed_width: Mapped[int | None] = mapped_column(Integer)
    processed_height: Mapped[int | None] = mapped_column(Integer)
    thumb_key: Mapped[str | None] = mapped_column(String(300))
    preprocess: Mapped[PreprocessJson | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    ledger: Mapped[Ledger] = relationship(back_populates="pages")

    __table_args__ = (
        UniqueConstraint("ledger_id", "index", name="uq_pages_ledger_index"),
        Index("ix_pages_state_lease", "state", "lease_until"),
    )


class PageAttempt(Base):
    """One try at processing a page: who ran it, when, and how it ended."""

    __tablename__ = "page_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    claim_token: Mapped[str] = mapped_column(String(32))
    worker: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))  # done | failed | lost
    error: Mapped[str | None] = mapped_column(Text)


class PageOcr(Base):
    """The OCR lines of a page: one row per page, replaced (never appended) on a re-run."""

    __tablename__ = "page_ocr"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    engine: Mapped[str] = mapped_column(String(200))
    engine_version: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list[Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # What read the page (ocr.containers.OcrProvenance): engine, effective OCR settings,
    # model versions and hashes, runtime. None for pages read before it was recorded.
    provenance: Mapped[JsonObject | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)


class DraftRecord(Base):
    """One register entry read off the pages, reviewed by clerks until confirmed."""

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ledger_id: Mapped[str] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    # Where extraction found it; (ledger, source_key) is unique so a re-run replaces, not adds.
    source_key: Mapped[str] = mapped_column(String(64))
    page: Mapped[int] = mapped_column(Integer)
    row: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[list[int]] = mapped_column(JSON, default=list)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # order within the ledger
    status: Mapped[str] = mapped_column(String(16), default=RecordStatus.draft)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    warnings: Mapped[list[WarningJson]] = mapped_column(JSON, default=list)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, onupdate=utcnow)

    fields: Mapped[list[FieldValue]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="FieldValue.id"
    )
    # Kept up to date from `fields` on every flush (ocr_service.records.search_index).
    name_keys: Mapped[list[RecordNameKey]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RecordNameKey.id"
    )

    __table_args__ = (
        UniqueConstraint("ledger_id", "source_key", name="uq_records_ledger_source"),
        Index("ix_records_ledger_status_seq", "ledger_id", "status", "seq"),
        Index("ix_records_assigned", "assigned_to", "status"),
    )


class FieldValue(Base):
    """One field of a record: the normalised value, the raw reading and where it came from."""

    __tablename__ = "record_fields"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))  # Ministry Excel column code
    value: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(8))  # sure | check | unsure
    bbox: Mapped[list[int] | None] = mapped_column(JSON)
    page: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="ocr")
    issues: Mapped[list[str]] = mapped_column(JSON, default=list)
    candidates: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)  # "as written in the book" remarks
    edited: Mapped[bool] = mapped_column(default=False)

    record: Mapped[DraftRecord] = relationship(back_populates="fields")

    __table_args__ = (UniqueConstraint("record_id", "code", name="uq_record_fields_code"),)


# Search keys are plain ASCII; PostgreSQL compares them byte-wise ("C") so that a prefix is a
# range its B-tree index answers, whatever the database's locale. SQLite compares bytes anyway.
SEARCH_KEY_TYPE = String(120).with_variant(String(120, collation="C"), "postgresql")


class RecordNameKey(Base):
    """One person's name in a record, folded for search (no accents, lower case, đ → d), once
    per word it can be searched from: 'Nguyễn Văn An' → 'nguyen van an', 'van an', 'an'. A
    search is then a prefix range on the indexed `key`, never a scan of every record."""

    __tablename__ = "record_name_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))  # the name's field, e.g. nksHoTen
    key: Mapped[str] = mapped_column(SEARCH_KEY_TYPE, index=True)
    # The same person's birth date (…NgaySinh), when read: year, and the ISO date if whole.
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[str | None] = mapped_column(String(10))


class AuditEvent(Base):
    """Who did what, when: every edit, confirmation, upload and export."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    ledger_id: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[JsonObject] = mapped_column(JSON, default=dict)  # per action: open-ended

    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


class ExportJobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ExportJob(Base):
    """One export of a ledger run as a job: its progress, then its file in the storage."""

    __tablename__ = "export_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ledger_id: Mapped[str] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(16))
    include_drafts: Mapped[bool] = mapped_column(default=False)
    variant: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ExportJobStatus.queued)
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    records_total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    storage_key: Mapped[str | None] = mapped_column(String(300))
    filename: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    __table_args__ = (
        Index("ix_export_jobs_ledger", "ledger_id", "created_at"),
        Index("ix_export_jobs_status", "status"),
    )


class ModelState(StrEnum):
    """Where a recogniser version stands in its scope (`ModelVersion.state`)."""

    candidate = "candidate"  # trained, not yet judged
    active = "active"  # reads the scope's pages now (one per scope)
    rejected = "rejected"  # the guard found it no better
    retired = "retired"  # was active; replaced by another version or a rollback


class ScopeKind(StrEnum):
    """How far a recogniser version reaches; the most specific active one reads a page."""

    installation = "installation"
    commune = "commune"
    ledger = "ledger"


class ModelVersion(Base):
    """A recogniser version trained from clerks' corrections (ocr_service/learning): its model
    dir is stored content-addressed under its ONNX file's sha256 (training/version.py)."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    base_sha256: Mapped[str | None] = mapped_column(String(64))  # None: the shipped model
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(200), default="")  # "" for the installation
    state: Mapped[str] = mapped_column(String(16), default=ModelState.candidate)
    data: Mapped[JsonObject] = mapped_column(JSON, default=dict)  # line counts
    metrics: Mapped[JsonObject] = mapped_column(JSON, default=dict)  # CERs, guard decision
    reason: Mapped[str | None] = mapped_column(Text)  # why activated / rejected / retired
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    activated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_model_versions_scope", "scope_kind", "scope_key", "state"),
        # One active version per scope, enforced by the database.
        Index(
            "uq_model_versions_active",
            "scope_kind",
            "scope_key",
            unique=True,
            postgresql_where=text("state = 'active'"),
            sqlite_where=text("state = 'active'"),
        ),
    )


class TrainScope(Base):
    """The training state of one scope: confirmed corrections counted at its last training,
    and the claim (token + lease) of the one training job that may run for it at a time."""

    __tablename__ = "train_scopes"

    scope_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    trained_fields: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[bool] = mapped_column(default=False)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(TZDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, onupdate=utcnow)
