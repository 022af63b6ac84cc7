"""API shapes of the recogniser versions (GET /api/v1/models, POST .../activate)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ModelVersionPublic(BaseModel):
    """One recogniser version: what it was trained on, how it measured, where it stands."""

    id: int
    sha256: str = Field(description="sha256 of the version's model.onnx (its name in storage)")
    base_sha256: str | None = Field(description="the version it was trained from; null: shipped")
    scope: str = Field(description="installation | commune | ledger")
    scope_key: str = Field(description="the commune's name or the ledger's id; '' for all")
    state: str = Field(description="candidate | active | rejected | retired")
    data: dict[str, Any] = Field(description="line counts: train, heldout, ...")
    metrics: dict[str, Any] = Field(
        description="heldout_cer_before / heldout_cer_after (the version it would replace / "
        "this one), regression {kind: {current, candidate}}, steps, seconds, peak_rss_mb"
    )
    reason: str | None
    created_at: datetime
    activated_at: datetime | None
    activated_by: str | None = Field(description="the admin who activated it; null: the guard")


class ModelVersionList(BaseModel):
    items: list[ModelVersionPublic]


class ActivateBody(BaseModel):
    reason: str | None = Field(
        default=None, max_length=500, description="why (kept in the audit trail)"
    )
