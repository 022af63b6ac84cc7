"""Review-UI login: a session cookie (HttpOnly, SameSite=Strict) plus a CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from models.schemas import ErrorResponse, SessionPublic, UserPublic
from ocr_service import login_throttle
from ocr_service.api.deps import SESSION_COOKIE, CurrentUser, SessionDep, SettingsDep
from ocr_service.auth import SESSION_HOURS, create_web_session, end_web_session, login, web_session
from ocr_service.config import Settings
from ocr_service.errors import Unauthorized
from ocr_service.login_throttle import LoginKeys

router = APIRouter(prefix="/session", tags=["session"])


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorResponse,
        "description": "too many failed logins for this user name or address: wait the "
        "Retry-After header's seconds",
        "headers": {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        },
    }
}


def _too_many(seconds: int) -> JSONResponse:
    return JSONResponse(
        status_code=429,
        headers={"Retry-After": str(seconds)},
        content={
            "error": {
                "code": "too_many_attempts",
                "message": f"too many failed logins: try again in {seconds} s",
            }
        },
    )


@router.post("", response_model=SessionPublic, responses=THROTTLED)
def create_session(
    body: LoginBody,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionPublic | JSONResponse:
    username = body.username.strip()
    keys = LoginKeys(username, request.client.host if request.client else "unknown")
    # Checked before the password, so a throttled guess learns nothing, right or wrong.
    wait = login_throttle.retry_after(session, keys, settings)
    if wait is not None:
        return _too_many(wait)  # the session commits the audit event
    user = login(session, username, body.password)
    if user is None:
        login_throttle.record_failure(session, keys, settings)
        # The counts must outlive the 401, which rolls the request's session back.
        session.commit()
        raise Unauthorized("wrong user name or password")
    login_throttle.record_success(session, keys)
    secret, csrf = create_web_session(session, user)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(settings, request),
        path="/",
    )
    return SessionPublic(user=UserPublic.model_validate(user), csrf_token=csrf)


def cookie_secure(settings: Settings, request: Request) -> bool:
    """SOHOA_COOKIE_SECURE: auto = Secure exactly when this request came over HTTPS (behind a
    proxy: uvicorn's --proxy-headers give the scheme), so login over plain HTTP on a LAN works."""
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "true"


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
