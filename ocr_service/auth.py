"""Users, password hashes, API tokens and review-UI sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import ApiToken, Role, User, WebSession
from ocr_service.errors import BadInput, Conflict

_hasher = PasswordHasher()
TOKEN_PREFIX = "sohoa_"
SESSION_HOURS = 12


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_username(name: str) -> str:
    name = name.strip()
    if not (1 <= len(name) <= 80) or any(c.isspace() for c in name):
        raise BadInput("user name must be 1–80 characters without spaces")
    return name


def create_user(
    session: Session,
    username: str,
    role: str,
    *,
    commune: str | None = None,
    password: str | None = None,
) -> User:
    username = validate_username(username)
    if role not in {r.value for r in Role}:
        raise BadInput(f"unknown role {role!r}: use clerk, reviewer or admin")
    if password is not None and len(password) < 8:
        raise BadInput("password must be at least 8 characters")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role,
        commune=(commune or None),
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise BadInput(f"no user named {username!r}")
    return user


def create_token(session: Session, user: User, name: str = "api") -> str:
    """A new bearer token for `user`; only its hash is stored, so show it once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, name=name, prefix=secret[:12], token_hash=_sha256(secret))
    )
    session.flush()
    return secret


def find_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """Every token (or one user's), oldest first: metadata only, the secret is not stored."""
    query = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def revoke_token(token: ApiToken) -> bool:
    """Revoke `token` from now on; False if it already was (its first revocation time stays)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = datetime.now(UTC)
    return True


def end_user_sessions(session: Session, user: User) -> int:
    """Log `user` out of the review UI everywhere (after a password reset)."""
    rows = list(session.scalars(select(WebSession).where(WebSession.user_id == user.id)))
    for row in rows:
        session.delete(row)
    return len(rows)


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = datetime.now(UTC)
    # Touch at most once a minute: a busy API client should not write on every request.
    last = row.last_used_at
    if last is None or (now - last.replace(tzinfo=last.tzinfo or UTC)) > timedelta(minutes=1):
        row.last_used_at = now
    return row.user


def login(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        # Spend the same time as a real check so user names can't be probed by timing.
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def create_web_session(session: Session, user: User) -> tuple[str, str]:
    """Returns (cookie secret, CSRF token)."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    session.add(
        WebSession(
            user_id=user.id,
            session_hash=_sha256(secret),
            csrf_token=csrf,
            expires_at=datetime.now(UTC) + timedelta(hours=SESSION_HOURS),
        )
    )
    session.flush()
    return secret, csrf


def web_session(session: Session, secret: str) -> WebSession | None:
    row = session.scalar(select(WebSession).where(WebSession.session_hash == _sha256(secret)))
    if row is None or not row.user.active:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires < datetime.now(UTC):
        return None
    return row


def end_web_session(session: Session, secret: str) -> None:
    row = session.scalar(select(WebSession).where(WebSession.session_hash == _sha256(secret)))
    if row is not None:
        session.delete(row)


_DUMMY_HASH = _hasher.hash("not-a-real-password")
