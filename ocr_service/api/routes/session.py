"""Review-UI login: a session cookie (HttpOnly, SameSite=Strict) plus a CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from models.schemas import SessionPublic, UserPublic
from ocr_service.api.deps import SESSION_COOKIE, CurrentUser, SessionDep, SettingsDep
from ocr_service.auth import SESSION_HOURS, create_web_session, end_web_session, login, web_session
from ocr_service.errors import Unauthorized

router = APIRouter(prefix="/session", tags=["session"])


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


@router.post("", response_model=SessionPublic)
def create_session(
    body: LoginBody, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionPublic:
    user = login(session, body.username.strip(), body.password)
    if user is None:
        raise Unauthorized("wrong user name or password")
    secret, csrf = create_web_session(session, user)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.environment == "production",
        path="/",
    )
    return SessionPublic(user=UserPublic.model_validate(user), csrf_token=csrf)


@router.get("", response_model=SessionPublic)
def read_session(request: Request, session: SessionDep, user: CurrentUser) -> SessionPublic:
    cookie = request.cookies.get(SESSION_COOKIE)
    ws = web_session(session, cookie) if cookie else None
    csrf = ws.csrf_token if ws else None
    return SessionPublic(user=UserPublic.model_validate(user), csrf_token=csrf)


@router.delete("", status_code=204, response_class=Response)
def delete_session(
    request: Request, response: Response, session: SessionDep, user: CurrentUser
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        end_web_session(session, cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
