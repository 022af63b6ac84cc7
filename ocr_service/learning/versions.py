"""Recogniser versions in the database: record a trained candidate, activate one (the guard's
decision, or an admin's rollback), list them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import ModelState, ModelVersion
from models.json_types import JsonObject
from ocr_service.audit import record_event
from ocr_service.errors import Conflict, NotFound
from ocr_service.learning.scopes import ScopeRef, active_version


def record_candidate(
    session: Session,
    scope: ScopeRef,
    *,
    sha256: str,
    base_sha256: str | None,
    data: JsonObject,
    metrics: JsonObject,
) -> ModelVersion:
    version = ModelVersion(
        sha256=sha256,
        base_sha256=base_sha256,
        scope_kind=scope.kind,
        scope_key=scope.key,
        state=ModelState.candidate,
        data=data,
        metrics=metrics,
    )
    session.add(version)
    session.flush()
    return version


def reject(session: Session, version: ModelVersion, reason: str) -> None:
    version.state = ModelState.rejected
    version.reason = reason


def activate(
    session: Session, version: ModelVersion, *, user_id: int | None, reason: str
) -> ModelVersion | None:
    """Make `version` its scope's active one; the one it replaces is retired (returned).

    Audited as `model.activate` (by the guard when `user_id` is None, else an admin's choice:
    a rollback when it is an earlier version)."""
    if version.state == ModelState.active:
        raise Conflict("this version is already active")
    scope = ScopeRef.of(version)
    previous = active_version(session, scope)
    if previous is not None:
        previous.state = ModelState.retired
        previous.reason = f"replaced by version {version.id}"
        session.flush()  # one active per scope: retire before activating
    version.state = ModelState.active
    version.activated_at = datetime.now(UTC)
    version.activated_by = user_id
    version.reason = reason
    session.flush()
    record_event(
        session,
        "model.activate",
        "model",
        str(version.id),
        user_id=user_id,
        data={
            "sha256": version.sha256,
            "scope": scope.job_arg(),
            "replaced": previous.id if previous is not None else None,
            "reason": reason,
        },
    )
    return previous


def get_version(session: Session, version_id: int) -> ModelVersion:
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound("no such model version")
    return version


def list_versions(session: Session) -> list[ModelVersion]:
    """Every version, newest first."""
    return list(session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc())))
