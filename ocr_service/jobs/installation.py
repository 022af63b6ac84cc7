"""Which installation a job belongs to, so a worker never works on (or skips) another's jobs.

Every database has one `installation` row with an id made by its first migration. Each job on
the queue carries the id of the database it was queued from, and the processes that queue
jobs for users (the API, `sohoa ingest`) announce theirs on Redis. A worker whose own database
holds another id (left on its default SQLite while the API is on PostgreSQL, pointed at a test
database) or whose storage is not the announced one refuses to start; one that meets such a job
anyway puts it back on the queue for a worker that can see it, and stops.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from models.entities import Installation
from ocr_service.config import Settings
from ocr_service.db import session_scope
from ocr_service.errors import SohoaError

log = logging.getLogger(__name__)

MARKER_PREFIX = "sohoa:installation:"


class WrongInstallation(SohoaError):
    """This process's database or storage is not the one its jobs come from."""

    code = "wrong_installation"
    http_status = 500
    exit_code = 2


def database_label(settings: Settings) -> str:
    """The database URL without credentials, for messages."""
    url = settings.db_url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


def storage_label(settings: Settings) -> str:
    """Which store, independent of how a machine reaches it (endpoints differ per host)."""
    return settings.storage_url or "the data folder (SOHOA_STORAGE_URL unset)"


_ids: dict[str, str] = {}  # by database URL: the row never changes


def installation_id(settings: Settings) -> str:
    found = _ids.get(settings.db_url)
    if found is None:
        with session_scope(settings) as session:
            found = session.scalar(select(Installation.id).limit(1))
        if found is None:
            raise WrongInstallation(f"database {database_label(settings)} has no installation id")
        _ids[settings.db_url] = found
    return found


def marker_key(settings: Settings) -> str:
    return MARKER_PREFIX + settings.queue_name


def announce(settings: Settings, connection: Any) -> None:
    """Say on Redis which database and storage the jobs on this queue come from."""
    doc = {"installation": installation_id(settings), "storage": storage_label(settings)}
    connection.set(marker_key(settings), json.dumps(doc))


def check_worker(settings: Settings, connection: Any) -> None:
    """Raise WrongInstallation, in one line, unless this worker's database and storage are the
    ones announced for its queue. Nothing announced yet: the per-job check still guards."""
    raw = connection.get(marker_key(settings))
    if raw is None:
        return
    doc = json.loads(raw)
    own = installation_id(settings)
    if doc.get("installation") != own:
        raise WrongInstallation(
            f"this worker's database {database_label(settings)} is not the installation's: "
            f"jobs on queue {settings.queue_name!r} come from installation "
            f"{doc.get('installation')}, this database is {own} "
            "(set SOHOA_DATABASE_URL to the API's database)"
        )
    if doc.get("storage") != storage_label(settings):
        raise WrongInstallation(
            f"this worker's storage is {storage_label(settings)}, the installation's is "
            f"{doc.get('storage')} (set SOHOA_STORAGE_URL as on the API)"
        )


def job_mismatch(settings: Settings, installation: str | None) -> str | None:
    """Why a job from `installation` must not run here; None when it may (or is unmarked)."""
    if installation is None:
        return None
    own = installation_id(settings)
    if installation == own:
        return None
    return (
        f"a job from installation {installation} reached a worker whose database "
        f"{database_label(settings)} is installation {own}: put back on the queue, worker stopped"
    )
