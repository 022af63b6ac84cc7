"""The shapes of a benchmark run's JSON: one page read by a worker, per-page rows, the report."""

from __future__ import annotations

from typing import NotRequired, TypedDict

# A line as a worker returns it: text, ink box and line region (both in the original image's
# pixels: x0, y0, x1, y1), and the engine's confidence.
ReadLine = tuple[str, list[float], float, list[float]]


class PageReading(TypedDict):
    """What a worker sends back for one page (``runner.read_bench_page``)."""

    lines: list[ReadLine]
    seconds: float
    cpu_seconds: float
    rss_mb: float


class PageRow(TypedDict):
    """One page's figures in an engine's result."""

    page: str
    seconds: float
    truth_lines: int
    predicted_lines: int
    line_recall: float
    line_recall_iou03: float
    row_recall: float
    line_recall_ink_boxes: float
    cer: dict[str, float | None]  # by line style (typed / hand); None: no such lines


class EngineResult(TypedDict):
    """One engine on one labelled set. Rates are None when the set has nothing to count."""

    engine: str
    pages: int
    cer: dict[str, float | None]
    wer: dict[str, float | None]
    chars: dict[str, int]
    line_recall: float | None
    line_recall_iou03: float | None
    row_recall: float | None
    line_recall_ink_boxes: float | None
    extra_chars: int
    seconds_per_page_median: float | None
    cpu_seconds_per_page_median: float | None
    pages_per_min: float | None
    pages_per_min_steady: float | None
    wall_seconds: float
    peak_rss_mb: float
    per_page: NotRequired[list[PageRow]]  # bench/bench_ocr.py drops it unless --per-page
    dataset: NotRequired[str]  # the set's folder, added by run_bench
    group: NotRequired[str]  # tuning | held-out (synthetic, catalog.py) | real, by run_bench


class BenchReport(TypedDict):
    """`sohoa bench --json` and bench/bench_ocr.py: every engine on every set."""

    date: str
    machine: str
    workers: int
    max_side: int
    split_spread: bool
    input: str
    engines: dict[str, str]  # name → version
    results: list[EngineResult]
