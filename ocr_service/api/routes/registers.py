"""Register specifications for the review form, and value suggestions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from models.limits import MAX_QUERY_TEXT
from models.registers import REGISTER_SLUGS, excel_columns, register_spec
from models.schemas import RegisterField, RegisterPublic, Suggestions
from ocr_service.api.deps import CurrentUser
from ocr_service.errors import BadInput, NotFound
from ocr_service.suggest import KINDS, suggest

router = APIRouter(tags=["registers"])


@router.get("/registers/{slug}", response_model=RegisterPublic)
def read_register(
    slug: Annotated[str, Path(max_length=MAX_QUERY_TEXT)], user: CurrentUser
) -> RegisterPublic:
    if slug not in REGISTER_SLUGS:
        raise NotFound(f"no register {slug!r}")
    spec = register_spec(slug)
    fields = []
    for code in excel_columns(slug):
        f = spec["fields"][code]
        enum = f.get("enum")
        fields.append(
            RegisterField(
                code=code,
                label_vi=f.get("label_vi"),
                meaning=f.get("meaning"),
                type=f.get("type"),
                required=bool(f.get("required")),
                origin=f.get("origin"),
                enum=[v for v in enum.values() if v] if isinstance(enum, dict) else None,
                list=f.get("list"),
            )
        )
    return RegisterPublic(
        slug=slug,
        code=spec["code"],
        name_vi=spec["name_vi"],
        book_vi=spec.get("book_vi"),
        fields=fields,
    )


class SuggestQuery(BaseModel):
    """What the clerk typed travels in the body: a query string would land in access logs."""

    kind: str = Field(max_length=MAX_QUERY_TEXT)
    q: str = Field(default="", max_length=MAX_QUERY_TEXT)
    limit: int = Field(default=8, ge=1, le=50)


def _suggestions(kind: str, q: str, limit: int) -> Suggestions:
    if kind not in KINDS:
        raise BadInput(f"kind must be one of {', '.join(KINDS)}")
    return Suggestions(items=suggest(kind, q[:MAX_QUERY_TEXT], limit))


@router.post("/suggest", response_model=Suggestions)
def find_suggestions(user: CurrentUser, body: SuggestQuery) -> Suggestions:
    return _suggestions(body.kind, body.q, body.limit)


@router.get(
    "/suggest",
    response_model=Suggestions,
    deprecated=True,
    description="Deprecated: the typed text ends up in access logs; POST /suggest takes it "
    "in the body.",
)
def read_suggestions(
    user: CurrentUser,
    kind: Annotated[str, Query(max_length=MAX_QUERY_TEXT)],
    q: Annotated[str, Query(max_length=MAX_QUERY_TEXT)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 8,
) -> Suggestions:
    return _suggestions(kind, q, limit)
