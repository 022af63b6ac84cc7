"""Administration (admin role): users and API tokens, every change audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import ApiToken, Role, User
from models.json_types import JsonObject
from models.limits import MAX_INT32
from models.schemas import (
    ErrorResponse,
    TokenCreate,
    TokenCreatedPublic,
    TokenInfoList,
    TokenInfoPublic,
    UserAccountList,
    UserAccountPublic,
    UserCreate,
    UserUpdate,
)
from ocr_service.api.deps import CurrentUser, SessionDep, require_role
from ocr_service.audit import record_event
from ocr_service.auth import (
    create_token,
    create_user,
    end_user_sessions,
    find_token,
    hash_password,
    list_tokens,
    revoke_token,
)
from ocr_service.errors import Conflict, NotFound

router = APIRouter(tags=["administration"])

UserId = Annotated[int, Path(ge=1, le=MAX_INT32, description="a user's id")]
TokenId = Annotated[int, Path(ge=1, le=MAX_INT32, description="a token's id")]
UserFilter = Annotated[
    str | None,
    Query(alias="user", min_length=1, max_length=80, description="only this user's tokens"),
]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "the user name is taken"},
}
SELF_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorResponse,
        "description": "an administrator cannot disable themselves or give up their own role",
    },
}
UNKNOWN_USER: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "no user with that name"},
}


def _admin(user: User) -> User:
    require_role(user, Role.admin)
    return user


def _account(user: User) -> UserAccountPublic:
    return UserAccountPublic(
        id=user.id,
        username=user.username,
        role=user.role,
        commune=user.commune,
        active=user.active,
        created_at=user.created_at,
        has_password=user.password_hash is not None,
    )


def _token_info(token: ApiToken) -> TokenInfoPublic:
    return TokenInfoPublic(
        id=token.id,
        user=token.user.username,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


def _user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"không có người dùng tên {username!r}")
    return user


# --- users -----------------------------------------------------------------------------------


@router.get("/users", response_model=UserAccountList)
def list_users(session: SessionDep, user: CurrentUser) -> UserAccountList:
    _admin(user)
    users = session.scalars(select(User).order_by(User.username))
    return UserAccountList(items=[_account(u) for u in users])


@router.post("/users", status_code=201, response_model=UserAccountPublic, responses=CONFLICT)
def add_user(body: UserCreate, session: SessionDep, user: CurrentUser) -> UserAccountPublic:
    _admin(user)
    if session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise Conflict(f"người dùng {body.username!r} đã tồn tại")
    made = create_user(
        session, body.username, body.role, commune=body.commune, password=body.password
    )
    # The audit trail says what was set, never the password.
    record_event(
        session,
        "user.create",
        "user",
        str(made.id),
        user_id=user.id,
        data={
            "username": made.username,
            "role": made.role,
            "commune": made.commune,
            "password": body.password is not None,
        },
    )
    return _account(made)


@router.patch("/users/{user_id}", response_model=UserAccountPublic, responses=SELF_CONFLICT)
def update_user(
    user_id: UserId, body: UserUpdate, session: SessionDep, user: CurrentUser
) -> UserAccountPublic:
    _admin(user)
    target = session.get(User, user_id)
    if target is None:
        raise NotFound(f"không có người dùng số {user_id}")
    sent = body.model_fields_set
    if target.id == user.id:
        # Whoever administers can always undo what they did: an installation is never left
        # without an active administrator by its own last one.
        if body.active is False:
            raise Conflict("không thể tự vô hiệu hoá tài khoản của chính mình", code="self")
        if body.role is not None and body.role != Role.admin:
            raise Conflict("không thể tự bỏ quyền quản trị của chính mình", code="self")
    changes: JsonObject = {}
    if body.role is not None and body.role != target.role:
        changes["role"] = [target.role, body.role]
        target.role = body.role
    if "commune" in sent:
        commune = (body.commune or "").strip() or None
        if commune != target.commune:
            changes["commune"] = [target.commune, commune]
            target.commune = commune
    if body.active is not None and body.active != target.active:
        changes["active"] = [target.active, body.active]
        target.active = body.active
        if not body.active:
            # Checked on every request already; ending them too means enabling the user again
            # later does not bring back a session left open somewhere (a lost laptop).
            changes["sessions_ended"] = end_user_sessions(session, target)
    if body.password is not None:
        target.password_hash = hash_password(body.password)
        # A reset password usually means the old one leaked: its sessions end with it.
        changes["password_reset"] = True
        changes["sessions_ended"] = end_user_sessions(session, target)
    if changes:
        record_event(
            session,
            "user.update",
            "user",
            str(target.id),
            user_id=user.id,
            data={"username": target.username, "changes": changes},
        )
    session.flush()
    return _account(target)


# --- tokens ----------------------------------------------------------------------------------


@router.get("/tokens", response_model=TokenInfoList, responses=UNKNOWN_USER)
def list_api_tokens(
    session: SessionDep, user: CurrentUser, owner_name: UserFilter = None
) -> TokenInfoList:
    _admin(user)
    owner = _user_named(session, owner_name) if owner_name is not None else None
    return TokenInfoList(items=[_token_info(t) for t in list_tokens(session, owner)])


@router.post("/tokens", status_code=201, response_model=TokenCreatedPublic, responses=UNKNOWN_USER)
def add_token(body: TokenCreate, session: SessionDep, user: CurrentUser) -> TokenCreatedPublic:
    _admin(user)
    owner = _user_named(session, body.user)
    secret = create_token(session, owner, body.name)
    row = session.scalar(
        select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.id.desc())
    )
    assert row is not None  # just flushed
    record_event(
        session,
        "token.create",
        "api_token",
        str(row.id),
        user_id=user.id,
        data={"user": owner.username, "name": row.name, "prefix": row.prefix},
    )
    return TokenCreatedPublic(
        id=row.id,
        token=secret,
        name=row.name,
        user=owner.username,
        prefix=row.prefix,
        created_at=row.created_at,
    )


# Last in the schema on purpose: revoking is the one operation that can end the caller's own
# access (its own token), so a client walking the operations in order meets it last.
@router.delete("/tokens/{token_id}", response_model=TokenInfoPublic)
def revoke_api_token(token_id: TokenId, session: SessionDep, user: CurrentUser) -> TokenInfoPublic:
    _admin(user)
    token = find_token(session, token_id)
    if token is None:
        raise NotFound(f"không có token số {token_id}")
    if revoke_token(token):
        record_event(
            session,
            "token.revoke",
            "api_token",
            str(token.id),
            user_id=user.id,
            data={"user": token.user.username, "name": token.name, "prefix": token.prefix},
        )
    session.flush()
    return _token_info(token)
