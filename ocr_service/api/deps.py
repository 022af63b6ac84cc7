"""Dependencies for routes: settings, a database session, storage, and the authenticated user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from models.entities import Role, User
from models.limits import MAX_ID_LEN, MAX_LIST_PAGE, MAX_PAGE_NUMBER, MAX_QUERY_TEXT
from ocr_service.auth import user_for_token, web_session
from ocr_service.config import Settings
from ocr_service.db import session_factory
from ocr_service.errors import Forbidden, Unauthorized
from ocr_service.storage import Storage, get_storage

SESSION_COOKIE = "sohoa_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Parameters with their limits (ocr_service.limits): out of range is a 422, never a database
# overflow or a multi-megabyte filter.
LedgerId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LEN)]
RecordId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LEN)]
PageNumber = Annotated[int, Path(ge=1, le=MAX_PAGE_NUMBER, description="page, from 1")]
ListPage = Annotated[int, Query(ge=1, le=MAX_LIST_PAGE)]
QueryText = Annotated[str | None, Query(max_length=MAX_QUERY_TEXT)]


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    session = session_factory(settings)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit runs before the response is sent, so a client that acts on a
# response (confirm right after save) always sees the saved state.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_store(settings: SettingsDep) -> Storage:
    return get_storage(settings)


StorageDep = Annotated[Storage, Depends(get_store)]


# How clients authenticate, declared for the OpenAPI schema; `current_user` reads the header and
# the cookie itself (auto_error off), so its messages and the CSRF rule stay as they are.
bearer_token = HTTPBearer(
    scheme_name="bearerToken",
    description="an API token (`sohoa token create`): `Authorization: Bearer <token>`",
    auto_error=False,
)
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="sessionCookie",
    description=f"the review UI's session (POST /api/v1/session); writes also need {CSRF_HEADER}",
    auto_error=False,
)


def current_user(
    request: Request,
    session: SessionDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_token)] = None,
    _cookie: Annotated[str | None, Security(session_cookie)] = None,
) -> User:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use an Authorization: Bearer <token> header")
        user = user_for_token(session, token.strip())
        if user is None:
            raise Unauthorized("invalid or revoked token")
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        ws = web_session(session, cookie)
        if ws is None:
            raise Unauthorized("session expired: log in again")
        if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != ws.csrf_token:
            raise Forbidden("missing or wrong CSRF token", code="csrf")
        return ws.user
    raise Unauthorized("authentication required")


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles and user.role != Role.admin:
        raise Forbidden(f"this needs the role {' or '.join(r.value for r in roles)}")
