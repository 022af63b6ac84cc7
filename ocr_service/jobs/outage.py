"""Riding out a Redis or PostgreSQL outage: capped exponential backoff with jitter, and one log
line when a service goes away and one when it is back (never one per retry)."""

from __future__ import annotations

import logging
import random
import threading
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger("ocr_service.outage")

FIRST_WAIT_SECONDS = 0.5
MAX_WAIT_SECONDS = 30.0
BACKOFF_FACTOR = 2.0

# What a lost connection to the queue or the database raises (redis-py, SQLAlchemy + psycopg).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OperationalError,
    ConnectionError,
)


def is_connection_error(exc: BaseException) -> bool:
    """True for an error that says a service could not be reached, not that a call was wrong."""
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)
    return isinstance(exc, CONNECTION_ERRORS)


class Backoff:
    """Waits that double from FIRST_WAIT_SECONDS up to `cap`, each drawn with full jitter so
    that many workers reconnecting at once do not hit the service in step."""

    def __init__(self, cap: float = MAX_WAIT_SECONDS, rng: random.Random | None = None) -> None:
        self.cap = cap
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_wait(self) -> float:
        ceiling = min(self.cap, FIRST_WAIT_SECONDS * BACKOFF_FACTOR**self.attempt)
        self.attempt += 1
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0

    def sleep(self, stop: threading.Event | None = None) -> None:
        wait = self.next_wait()
        if stop is None:
            time.sleep(wait)
        else:
            stop.wait(wait)


class OutageLog:
    """Logs a service's outage once when it starts and once when it ends."""

    def __init__(self, service: str, logger: logging.Logger | None = None) -> None:
        self.service = service
        self.log = logger or log
        self.since: float | None = None
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        # The type only: a driver's message may carry the URL, password included.
        self.log.warning("%s unreachable (%s); retrying with backoff", self.service, _kind(exc))

    def ok(self) -> None:
        with self._lock:
            if self.since is None:
                return
            seconds = time.monotonic() - self.since
            self.since = None
        self.log.warning("%s reachable again after %.0f s", self.service, seconds)


def _kind(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None)
    return type(inner).__name__ if isinstance(inner, BaseException) else type(exc).__name__
