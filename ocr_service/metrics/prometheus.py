"""/metrics in Prometheus' text format, read fresh from the database and Redis at each scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ocr_service.metrics.overview import Overview

CONTENT_TYPE = CONTENT_TYPE_LATEST


class OverviewCollector(Collector):
    """Turns one Overview into metric families."""

    def __init__(self, overview: Overview) -> None:
        self.overview = overview

    def collect(self) -> Iterator[Metric]:
        o = self.overview
        ledgers = GaugeMetricFamily("sohoa_ledgers", "Ledgers by status", labels=["status"])
        for status, n in sorted(o.ledgers.items()):
            ledgers.add_metric([status], n)
        yield ledgers
        pages = GaugeMetricFamily("sohoa_pages", "Pages by state", labels=["state"])
        for st, n in sorted(o.pages.items()):
            pages.add_metric([st], n)
        yield pages
        attempts = CounterMetricFamily(
            "sohoa_page_attempts",
            "Page job runs by outcome (running: not finished yet)",
            labels=["outcome"],
        )
        for outcome, n in sorted(o.attempts.items()):
            attempts.add_metric([outcome], n)
        yield attempts
        failed = GaugeMetricFamily(
            "sohoa_pages_failed", "Failed pages by reason (error class)", labels=["reason"]
        )
        for reason, n in sorted(o.failures.items()):
            failed.add_metric([reason], n)
        yield failed
        for name, doc, label, values in (
            ("sohoa_export_jobs", "Export jobs by status", "status", o.exports),
            ("sohoa_training_jobs", "Recogniser training jobs", "state", o.training),
            ("sohoa_model_versions", "Recogniser versions by state", "state", o.models),
        ):
            family = GaugeMetricFamily(name, doc, labels=[label])
            for key, n in sorted(values.items()):
                family.add_metric([key], n)
            yield family
        if o.queue is None:
            return
        up = GaugeMetricFamily("sohoa_queue_up", "1 if Redis answered", labels=["queue"])
        up.add_metric([o.queue.name], 1 if o.queue.reachable else 0)
        yield up
        if not o.queue.reachable:
            return
        jobs = GaugeMetricFamily(
            "sohoa_queue_jobs", "Jobs in the queue by RQ state", labels=["queue", "state"]
        )
        for st, n in sorted(o.queue.jobs.items()):
            jobs.add_metric([o.queue.name, st], n)
        yield jobs
        workers = GaugeMetricFamily(
            "sohoa_workers", "Workers alive on the queue (RQ registrations)", labels=["queue"]
        )
        workers.add_metric([o.queue.name], o.queue.workers)
        yield workers
        latency = HistogramMetricFamily(
            "sohoa_page_stage_seconds",
            "Seconds a page spends in each stage, every worker of the installation",
            labels=["stage"],
        )
        for h in o.stages:
            buckets = [("+Inf" if b == float("inf") else repr(b), n) for b, n in h.cumulative]
            latency.add_metric([h.stage], buckets, h.total)
        yield latency


def render(overview: Overview) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OverviewCollector(overview))
    return generate_latest(registry)
