"""Recogniser versions (admin): list them with their metrics, activate one (a rollback is the
activation of an earlier version), every activation audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy.orm import Session

from models.entities import ModelVersion, Role, User
from models.limits import MAX_INT32
from models.recognisers import ActivateBody, ModelVersionList, ModelVersionPublic
from models.schemas import ErrorResponse
from ocr_service.api.deps import CurrentUser, SessionDep, require_role
from ocr_service.learning.reread import queue_reread, reread_pages
from ocr_service.learning.versions import activate, get_version, list_versions

router = APIRouter(tags=["administration"])

VersionId = Annotated[int, Path(ge=1, le=MAX_INT32, description="a model version's id")]
ACTIVATE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "no such model version"},
    409: {"model": ErrorResponse, "description": "the version is already active"},
}


def _public(session: Session, version: ModelVersion) -> ModelVersionPublic:
    by = session.get(User, version.activated_by) if version.activated_by else None
    return ModelVersionPublic(
        id=version.id,
        sha256=version.sha256,
        base_sha256=version.base_sha256,
        scope=version.scope_kind,
        scope_key=version.scope_key,
        state=version.state,
        data=dict(version.data or {}),
        metrics=dict(version.metrics or {}),
        reason=version.reason,
        created_at=version.created_at,
        activated_at=version.activated_at,
        activated_by=by.username if by is not None else None,
    )


@router.get("/models", response_model=ModelVersionList)
def list_models(session: SessionDep, user: CurrentUser) -> ModelVersionList:
    """Every recogniser version, newest first."""
    require_role(user, Role.admin)
    return ModelVersionList(items=[_public(session, v) for v in list_versions(session)])


@router.post(
    "/models/{version_id}/activate", response_model=ModelVersionPublic, responses=ACTIVATE_ERRORS
)
def activate_model(
    version_id: VersionId,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    body: ActivateBody | None = None,
) -> ModelVersionPublic:
    """Make this version its scope's active one (the one it replaces is retired); the
    scope's pages with drafts nobody touched are read again with it."""
    require_role(user, Role.admin)
    version = get_version(session, version_id)
    reason = (body.reason if body else None) or "activated by an administrator"
    activate(session, version, user_id=user.id, reason=" ".join(reason.split()))
    pages = queue_reread(session, version)
    session.commit()
    reread_pages(request.app.state.dispatcher, pages)
    return _public(session, version)
