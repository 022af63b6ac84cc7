"""API schemas (pydantic), in families: what clients send and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, NotRequired, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, JsonValue, field_validator
from typing_extensions import TypedDict

from models.json_types import JsonObject, WarningJson
from models.limits import (
    MAX_FIELDS_PER_EDIT,
    MAX_INT32,
    MAX_NOTE_LEN,
    MAX_PASSWORD_LEN,
    MAX_QUERY_TEXT,
)

T = TypeVar("T")


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = Field(default=None, description="the input field at fault, where one is")


class ErrorResponse(BaseModel):
    error: ErrorBody


class InternalErrorBody(ErrorBody):
    id: str = Field(description="error id: the server log has the details under it")


class InternalErrorResponse(BaseModel):
    """500: something failed that should not have; the id finds it in the server log."""

    error: InternalErrorBody


class Progress(BaseModel):
    pages_total: int
    pages_done: int
    pages_failed: int
    pages_pending: int = 0
    pages_running: int = 0
    drafts: int = 0
    confirmed: int = 0
    flagged: int = 0


# --- ledgers ---------------------------------------------------------------------------------


class LedgerKey(BaseModel):
    id: str


class BookPublic(BaseModel):
    """A book's metadata as the API shows it: `models.book.BookMeta` less its layout file.

    Read by attribute name from a BookMeta or a `ledgers` row (same names), never copied
    field by field. `register` is `register_` here: pydantic models reserve the name.
    """

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    register_: str = Field(serialization_alias="register", validation_alias="register")
    commune: str | None
    book: str | None = Field(description="quyển số, e.g. 01/2019")
    year: int | None
    authority: str | None = Field(default=None, description="registering authority (noiDangKy)")
    layout: str


# LedgerKey is the last base so that pydantic, which collects fields base by base from the
# last, puts `id` first on the wire, as it always was.
class LedgerPublic(BookPublic, LedgerKey):
    status: str
    filename: str | None
    pages: int = Field(
        validation_alias=AliasChoices("pages_total", "pages"),
        description="pages in the book (known once the upload is checked)",
    )
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    progress: Progress | None = None
    duplicate: bool | None = None


class PagePublic(BaseModel):
    page: int
    state: str
    attempts: int
    error: str | None
    width: int
    height: int
    image_source: str
    processed: bool


class PageFactsPublic(BaseModel):
    """What one page says of its book (fact → value as read; register as its slug)."""

    page: int
    values: dict[str, str]


class FactReadingPublic(BaseModel):
    value: str
    pages: list[int]


class FactVotePublic(BaseModel):
    """One fact voted across the pages: agreed (a clear majority), disputed or unread."""

    fact: str
    status: Literal["agreed", "disputed", "unread"]
    value: str | None = Field(description="the value proposed: more than half the readable pages")
    pages: list[int] = Field(description="pages that give the proposed value")
    cast: int = Field(description="pages that gave a readable value")
    outliers: list[FactReadingPublic] = Field(
        description="the other values read, with their pages (disputed: every value read)"
    )


class BookWarningPublic(BaseModel):
    rule: str  # so-not-increasing | registration-outside-book-year
    page: int
    record: str
    message: str


class BookReadingPublic(BaseModel):
    """The book's facts read off its pages (issue #14): per page, voted, and checked."""

    pages: list[PageFactsPublic] = []
    facts: dict[str, FactVotePublic] = {}
    warnings: list[BookWarningPublic] = []
    mismatches: dict[str, str] = Field(
        default={}, description="fact → how the value given for the book differs from its pages"
    )
    filled: list[str] = Field(default=[], description="book attributes taken from the pages")


class LedgerDetail(LedgerPublic):
    failed_pages: list[PagePublic] = []
    book_reading: BookReadingPublic | None = Field(
        default=None, description="the book's data read from its pages, once it has been read"
    )


class LedgerUpdate(BaseModel):
    """PATCH /ledgers/{id}: the book's data as a clerk corrects it; only the keys sent change
    (null clears book, year or authority)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    register_: str | None = Field(
        default=None,
        validation_alias="register",
        max_length=64,
        description="register type; only while no record of the book is confirmed",
    )
    commune: str | None = Field(default=None, max_length=1000, description="admin only")
    book: str | None = Field(default=None, max_length=1000, description="quyển số, e.g. 01/2019")
    year: int | None = Field(default=None, ge=0, le=MAX_INT32)
    authority: str | None = Field(default=None, max_length=1000)


class Paginated(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class OcrLinePublic(BaseModel):
    text: str
    confidence: float
    bbox: list[int]
    polygon: list[list[int]] | None = None
    engine: str = ""
    flags: list[str] = []
    alt_text: str | None = None


class PageOcrPublic(BaseModel):
    page: int
    width: int
    height: int
    engine: str
    engine_version: str
    lines: list[OcrLinePublic]
    # What read the page: engine, effective OCR settings, model versions (null before 0003).
    provenance: JsonObject | None = None


class PageImageUrl(BaseModel):
    """Where a browser fetches a page image: a presigned object-store URL that lasts
    `expires_in` seconds, or (local storage, or presigning off) the API's own image URL,
    which needs the same sign-in as this answer (`expires_in` null)."""

    url: str
    expires_in: int | None = None


# --- records ---------------------------------------------------------------------------------


class FieldPublic(BaseModel):
    """One field of a record as the review UI shows it."""

    value: str | None
    raw: str | None
    confidence: float | None
    band: str | None  # sure | check | unsure
    bbox: list[int] | None  # x0, y0, x1, y1 in pixels of the page image the API serves
    page: int | None
    source: str  # ocr | prefill | derived | book | clerk
    issues: list[str]
    candidates: list[str]
    note: str | None
    edited: bool


class RecordPublic(BaseModel):
    """One draft record with its fields, warnings, who holds it and its neighbours."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    ledger_id: str
    register_: str | None = Field(serialization_alias="register", validation_alias="register")
    page: int
    pages: list[int]
    row: int | None
    seq: int
    status: str  # draft | confirmed | flagged
    version: int
    flag_reason: str | None
    assigned_to: str | None  # user names
    confirmed_by: str | None
    confirmed_at: str | None  # ISO 8601
    reviewed_by: str | None
    reviewed_at: str | None
    fields: dict[str, FieldPublic]
    warnings: list[WarningJson]
    prev_id: str | None
    next_id: str | None


class RecordUpdate(BaseModel):
    version: int = Field(ge=1, le=MAX_INT32)
    # code → new value (text or null), or {"value": …, "note": …}; checked against the
    # register by the records service, which names the field in its message.
    fields: dict[str, JsonValue] = Field(max_length=MAX_FIELDS_PER_EDIT)

    @field_validator("fields")
    @classmethod
    def _within_limits(cls, fields: dict[str, JsonValue]) -> dict[str, JsonValue]:
        # Sizes only: what a value or note may be is the records service's business.
        for code, change in fields.items():
            if len(code) > MAX_QUERY_TEXT:
                raise ValueError(f"field code longer than {MAX_QUERY_TEXT} characters")
            texts = change.values() if isinstance(change, dict) else [change]
            for text in texts:
                if isinstance(text, str) and len(text) > MAX_NOTE_LEN:
                    raise ValueError(f"{code}: longer than {MAX_NOTE_LEN} characters")
        return fields


class VersionBody(BaseModel):
    version: int = Field(ge=1, le=MAX_INT32)


class FlagBody(VersionBody):
    reason: str = Field(min_length=1, max_length=500)


class ReviewBody(VersionBody):
    decision: str = Field(max_length=MAX_QUERY_TEXT)
    note: str | None = Field(default=None, max_length=1000)
    override: bool = Field(
        default=False,
        description="admin only: approve despite the four-eyes rule (needs a note; audited)",
    )


class ChangeJson(TypedDict):
    """One change in a `record.update` audit event: a value, or a note."""

    field: str
    old: NotRequired[str | None]
    new: NotRequired[str | None]
    old_note: NotRequired[str | None]
    new_note: NotRequired[str | None]


class HistoryEvent(BaseModel):
    at: str  # ISO 8601
    user: str | None
    action: str  # record.update | record.confirm | record.flag | record.review
    changes: list[ChangeJson]
    note: str | None
    version: int | None


class RecordHistory(BaseModel):
    events: list[HistoryEvent]


class StaleRecord(ErrorResponse):
    """409 on a stale write: the record as it is now, to compare, never overwrite."""

    current: RecordPublic


# --- registers, suggestions, stats, session, health ------------------------------------------


class RegisterField(BaseModel):
    code: str
    label_vi: str | None
    meaning: str | None
    type: str | None
    required: bool
    origin: str | None
    enum: list[str] | None  # the labels a clerk may choose from
    list: str | None  # a named list of values ('countries', 'ethnic_groups')


class RegisterPublic(BaseModel):
    """A register type as the review form needs it (REGISTERS.md)."""

    slug: str
    code: str
    name_vi: str
    book_vi: str | None
    fields: list[RegisterField]


class Suggestions(BaseModel):
    items: list[str]


class CommuneStats(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    commune: str | None
    register_: str = Field(serialization_alias="register", validation_alias="register")
    ledgers: int
    records: int = 0
    draft: int = 0
    confirmed: int = 0
    flagged: int = 0


class DayStats(BaseModel):
    day: str
    confirmed: int


class UserStats(BaseModel):
    user: str
    confirmed: int = 0
    edited: int = 0
    flagged: int = 0
    today: int = 0


class Stats(BaseModel):
    by_commune: list[CommuneStats]
    per_day: list[DayStats]
    per_user: list[UserStats]


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    commune: str | None


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str | None


class TokenPublic(BaseModel):
    token: str
    name: str
    user: str


# --- administration (admin role) --------------------------------------------------------------

UserRole = Literal["clerk", "reviewer", "admin"]
# Login names: what `auth.validate_username` accepts, as a schema (no whitespace at all).
USERNAME_PATTERN = r"^\S{1,80}$"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80, pattern=USERNAME_PATTERN)
    role: UserRole = "clerk"
    commune: str | None = Field(
        default=None, max_length=200, description="limits a clerk to this commune's books"
    )
    password: str | None = Field(
        default=None,
        min_length=8,
        max_length=MAX_PASSWORD_LEN,
        description="for the review UI; none: a token-only API user. Never echoed.",
    )


class UserUpdate(BaseModel):
    """Only the fields sent change; `commune: null` lifts a clerk's commune limit."""

    model_config = ConfigDict(extra="forbid")

    role: UserRole | None = None
    commune: str | None = Field(default=None, max_length=200)
    password: str | None = Field(
        default=None,
        min_length=8,
        max_length=MAX_PASSWORD_LEN,
        description="a new password; ends the user's review-UI sessions. Never echoed.",
    )
    active: bool | None = Field(
        default=None,
        description="false: the user's sessions and tokens stop working at once",
    )


class UserAccountPublic(UserPublic):
    """A user as administrators see it."""

    active: bool
    created_at: datetime
    has_password: bool = Field(description="can log in to the review UI")


class UserAccountList(BaseModel):
    items: list[UserAccountPublic]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=80, description="login name the token acts as")
    name: str = Field(default="api", min_length=1, max_length=120, description="what it is for")


class TokenCreatedPublic(TokenPublic):
    """A new token: `token` is shown this once, only its hash is stored."""

    id: int
    prefix: str
    created_at: datetime


class TokenInfoPublic(BaseModel):
    """A token as listed: never the secret, only its first characters."""

    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="updated at most once a minute")
    revoked_at: datetime | None


class TokenInfoList(BaseModel):
    items: list[TokenInfoPublic]


class Health(BaseModel):
    status: str
    database: str
    queue: str
    version: str
    details: JsonObject = {}


# --- page retries and export jobs ------------------------------------------------------------


class RetryResult(BaseModel):
    """Failed pages queued again: their attempts start over."""

    ledger: str
    pages: list[int] = Field(description="the pages queued again, in book order")


class ExportRequest(BaseModel):
    format: str = Field(max_length=MAX_QUERY_TEXT, description="json, csv, xlsx, zip, …")
    include_drafts: bool = False
    variant: str | None = Field(default=None, max_length=MAX_QUERY_TEXT)


class ExportJobPublic(BaseModel):
    """An export job: queued, running (records_done of records_total), done or failed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    ledger_id: str
    format: str
    include_drafts: bool
    variant: str | None
    status: str
    records_done: int
    records_total: int
    error: str | None = Field(description="why the export failed")
    filename: str | None = Field(description="the file's name, once done")
    size: int | None = Field(description="bytes, once done")
    created_at: datetime
    finished_at: datetime | None
    download: str | None = Field(default=None, description="the file's URL, once done")


class ExportJobList(BaseModel):
    items: list[ExportJobPublic]
