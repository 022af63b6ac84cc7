"""/metrics: the installation in Prometheus' text format, for admins and for the scraper.

Prometheus scrapes with `Authorization: Bearer $SOHOA_METRICS_TOKEN` (its `authorization`
setting); an admin's own API token or review-UI session also works. Anyone else: 401 / 403.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Request, Security
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials

from models.entities import Role
from ocr_service.api.deps import (
    SessionDep,
    SettingsDep,
    bearer_token,
    current_user,
    require_role,
    session_cookie,
)
from ocr_service.metrics.overview import installation_overview
from ocr_service.metrics.prometheus import CONTENT_TYPE, render

router = APIRouter(tags=["metrics"])


def metrics_reader(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_token)] = None,
    cookie: Annotated[str | None, Security(session_cookie)] = None,
) -> None:
    """The scraper's token, or an admin."""
    token = settings.metrics_token
    if token and bearer is not None and hmac.compare_digest(bearer.credentials, token):
        return
    user = current_user(request, session, bearer, cookie)
    require_role(user, Role.admin)


class MetricsResponse(PlainTextResponse):
    media_type = CONTENT_TYPE


@router.get(
    "/metrics",
    response_class=MetricsResponse,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
def metrics(
    session: SessionDep,
    settings: SettingsDep,
    _reader: Annotated[None, Security(metrics_reader)],
) -> MetricsResponse:
    """Ledgers and pages by state, queue depth, workers, page latency by stage, failures."""
    return MetricsResponse(render(installation_overview(settings, session)))
