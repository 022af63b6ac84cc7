"""Page latency by stage (split, thumbnail, preprocess, OCR, extract), shared in Redis.

Workers run on several machines, so a Prometheus multiprocess folder (one machine only) or a
port per worker (one scrape target per process) would not add up to the installation's
figures. Each worker instead adds its observations to bucket counters in one Redis hash
(HINCRBY, atomic, one round trip per page); the API's /metrics reads the hash as histograms.
The counters live as long as Redis' data: a Redis restarted empty starts them again, which
Prometheus reads as a counter reset. Recording never fails a page: Redis down, a figure lost.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from redis import Redis

from ocr_service.config import Settings

log = logging.getLogger(__name__)

STAGES = ("split", "thumbnail", "preprocess", "ocr", "extract")
# Upper bounds in seconds; a slow real OCR page takes tens of seconds, a fake one milliseconds.
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass(frozen=True)
class StageHistogram:
    stage: str
    cumulative: list[tuple[float, int]]  # (upper bound, count of observations <= it), +Inf last
    total: float  # sum of the observed seconds

    @property
    def count(self) -> int:
        return self.cumulative[-1][1]


def histogram_key(settings: Settings) -> str:
    return f"sohoa:{settings.queue_name}:stage-seconds"


@lru_cache(maxsize=4)
def _connection(url: str) -> Redis[bytes]:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def bucket_index(seconds: float) -> int:
    """The first bucket the value fits in; len(BUCKETS) for +Inf."""
    for i, bound in enumerate(BUCKETS):
        if seconds <= bound:
            return i
    return len(BUCKETS)


def record(settings: Settings, timings: Mapping[str, float]) -> None:
    """Add one page's stage timings (seconds) to the installation's histograms."""
    if not settings.redis_url or not timings:
        return
    key = histogram_key(settings)
    try:
        pipe = _connection(settings.redis_url).pipeline(transaction=False)
        for stage, seconds in timings.items():
            if stage not in STAGES or not math.isfinite(seconds) or seconds < 0:
                continue
            pipe.hincrby(key, f"{stage}:{bucket_index(seconds)}", 1)
            pipe.hincrbyfloat(key, f"{stage}:sum", seconds)
        pipe.execute()
    except Exception as exc:  # a metric is never worth a page
        log.debug("stage timings not recorded: %s", type(exc).__name__)


def read(connection: Redis[bytes], settings: Settings) -> list[StageHistogram]:
    """Every stage's histogram (stages never observed: all zero)."""
    raw = connection.hgetall(histogram_key(settings))
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    out: list[StageHistogram] = []
    for stage in STAGES:
        running = 0
        cumulative: list[tuple[float, int]] = []
        for i, bound in enumerate((*BUCKETS, math.inf)):
            running += int(fields.get(f"{stage}:{i}", 0))
            cumulative.append((bound, running))
        out.append(StageHistogram(stage, cumulative, float(fields.get(f"{stage}:sum", 0.0))))
    return out
