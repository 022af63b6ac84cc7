"""API shapes of the person search (GET /api/v1/records/search)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SearchMatch(BaseModel):
    """A name field of the record that matched, with the same person's birth date."""

    code: str  # e.g. nksHoTen, meHoTen
    value: str | None
    birth_code: str  # e.g. nksNgaySinh
    birth: str | None


class RecordSearchHit(BaseModel):
    """A record with someone of that name: where it is (book, page) and who matched."""

    model_config = ConfigDict(populate_by_name=True)

    record_id: str
    ledger_id: str
    register_: str = Field(serialization_alias="register", validation_alias="register")
    commune: str | None
    book: str | None  # quyển số
    year: int | None
    filename: str | None
    page: int
    seq: int
    so: str | None  # the entry's number in the book
    status: str  # draft | confirmed | flagged
    matches: list[SearchMatch]
