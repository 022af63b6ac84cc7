"""API schemas (pydantic), in families: what clients send and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

T = TypeVar("T")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Progress(BaseModel):
    pages_total: int
    pages_done: int
    pages_failed: int
    pages_pending: int = 0
    pages_running: int = 0
    drafts: int = 0
    confirmed: int = 0
    flagged: int = 0


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


class LedgerDetail(LedgerPublic):
    failed_pages: list[PagePublic] = []


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


class TokenPublic(BaseModel):
    token: str
    name: str
    user: str


class Health(BaseModel):
    status: str
    database: str
    queue: str
    version: str
    details: dict[str, Any] = {}
