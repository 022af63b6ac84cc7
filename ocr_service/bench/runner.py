"""The OCR benchmark: accuracy, line recall, speed and memory per engine on labelled sets."""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr_service.bench.datasets import BenchPage, load_dataset, load_image
from ocr_service.bench.metrics import ErrorCount, PageScore, line_recall, row_recall, score_page
from ocr_service.bench.results import BenchReport, EngineResult, PageReading, PageRow, ReadLine

MAX_SIDE = 3600  # px: bigger scans (40-Mpx spreads) are shrunk first, as the pipeline would
WORKERS = 2

_engine: Any = None


def _init_worker(engine_name: str, threads: int) -> None:
    """Load the engine once per worker process, with its per-call thread count."""
    global _engine
    from ocr_service.config import get_settings
    from ocr_service.ocr import get_engine

    settings = get_settings().ocr.model_copy(update={"threads": threads})
    _engine = get_engine(engine_name, settings)


def prepare_image(path: Path, max_side: int = MAX_SIDE) -> tuple[np.ndarray, float]:
    """The page image (BGR) shrunk so its long side is ≤ max_side, and the scale applied."""
    image = load_image(path)
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        size = (round(w * scale), round(h * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image, scale


def read_bench_page(path: str, max_side: int, split_spread: bool, raw: bool = False) -> PageReading:
    """OCR one page in a worker: lines in the original image's pixels, seconds, peak RSS.

    The page is read as the pipeline reads it (printed dot leaders erased first, see
    pipeline.stages.read_text; the time counts), or as it is with ``raw``."""
    image, scale = prepare_image(Path(path), max_side)
    started = time.perf_counter()
    cpu_started = time.process_time()
    if not raw:
        from ocr_service.preprocess.leaders import remove_dot_leaders

        image = remove_dot_leaders(image)
    h, w = image.shape[:2]
    parts = [(0, image)]
    if split_spread and w > 1.2 * h:
        # A double spread: read each half on its own (the detector works at ~1-2k px).
        mid = w // 2
        parts = [(0, image[:, :mid]), (mid, image[:, mid:])]
    lines: list[ReadLine] = []
    for x_off, part in parts:
        page = _engine.read_page(np.ascontiguousarray(part))
        for ln in page.lines:
            box = _to_original(ln.bbox, x_off, scale)
            region = box
            if ln.polygon:
                xs, ys = [x for x, _ in ln.polygon], [y for _, y in ln.polygon]
                region = _to_original((min(xs), min(ys), max(xs), max(ys)), x_off, scale)
            lines.append((ln.text, box, ln.confidence, region))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"lines": lines, "seconds": seconds, "cpu_seconds": cpu_seconds, "rss_mb": rss_kb / 1024}


def _to_original(box: tuple[int, int, int, int], x_off: int, scale: float) -> list[float]:
    x0, y0, x1, y1 = box
    return [(x0 + x_off) / scale, y0 / scale, (x1 + x_off) / scale, y1 / scale]


def _rate(count: ErrorCount) -> float | None:
    return round(count.rate, 4) if count.rate is not None else None


def bench_engine(
    engine_name: str,
    pages: list[BenchPage],
    workers: int = WORKERS,
    max_side: int = MAX_SIDE,
    split_spread: bool = False,
    raw: bool = False,
) -> EngineResult:
    """Run one engine over the pages in a process pool; accuracy, recall, speed, memory."""
    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no models from the parent
    started = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(engine_name, threads),
    ) as pool:
        futures = [
            pool.submit(read_bench_page, str(p.image), max_side, split_spread, raw) for p in pages
        ]
        results = [f.result() for f in futures]
    wall = time.perf_counter() - started
    total = PageScore()
    per_page: list[PageRow] = []
    for page, res in zip(pages, results, strict=True):
        # Each set is scored in its own geometry: PAGE/ALTO lines against our line regions
        # (the polygons our PAGE export writes), synth truth against the ink boxes.
        use_region = page.geometry == "region"
        predicted = [(text, region if use_region else box) for text, box, _, region in res["lines"]]
        ink_boxes = [box for _, box, _, _ in res["lines"]]
        score = score_page(predicted, page.lines)
        total.add(score)
        per_page.append(
            {
                "page": page.name,
                "seconds": round(res["seconds"], 3),
                "truth_lines": len(page.lines),
                "predicted_lines": len(predicted),
                "line_recall": round(
                    line_recall([b for _, b in predicted], [t.bbox for t in page.lines]), 4
                ),
                "line_recall_iou03": round(
                    line_recall([b for _, b in predicted], [t.bbox for t in page.lines], 0.3), 4
                ),
                "row_recall": round(
                    row_recall([b for _, b in predicted], [t.bbox for t in page.lines]), 4
                ),
                "line_recall_ink_boxes": round(
                    line_recall(ink_boxes, [t.bbox for t in page.lines]), 4
                ),
                "cer": {s: _rate(c) for s, c in sorted(score.chars.items())},
            }
        )
    seconds = [r["seconds"] for r in results]
    mean_s = statistics.fmean(seconds) if seconds else 0.0
    return {
        "engine": engine_name,
        "pages": len(pages),
        "cer": {s: _rate(c) for s, c in sorted(total.chars.items())},
        "wer": {s: _rate(c) for s, c in sorted(total.words.items())},
        "chars": {s: c.total for s, c in sorted(total.chars.items())},
        "line_recall": round(total.found_lines / total.truth_lines, 4)
        if total.truth_lines
        else None,
        "line_recall_iou03": round(
            sum(p["line_recall_iou03"] * p["truth_lines"] for p in per_page) / total.truth_lines, 4
        )
        if total.truth_lines
        else None,
        # Row recall: a predicted line may match the union of the truth lines of one row it
        # covers (label + value boxed apart in the synth truth), still at IoU ≥ 0.5.
        "row_recall": round(
            sum(p["row_recall"] * p["truth_lines"] for p in per_page) / total.truth_lines, 4
        )
        if total.truth_lines
        else None,
        "line_recall_ink_boxes": round(
            sum(p["line_recall_ink_boxes"] * p["truth_lines"] for p in per_page)
            / total.truth_lines,
            4,
        )
        if total.truth_lines
        else None,
        "extra_chars": total.extra_chars,
        "seconds_per_page_median": round(statistics.median(seconds), 3) if seconds else None,
        # CPU time is what the page costs on an idle core: wall time grows on a busy machine.
        "cpu_seconds_per_page_median": round(
            statistics.median(r["cpu_seconds"] for r in results), 3
        )
        if results
        else None,
        "pages_per_min": round(60 * len(pages) / wall, 2) if wall else None,
        "pages_per_min_steady": round(60 * workers / mean_s, 2) if mean_s else None,
        "wall_seconds": round(wall, 2),
        "peak_rss_mb": round(max((r["rss_mb"] for r in results), default=0.0), 1),
        "per_page": per_page,
    }


def run_bench(
    dataset_dirs: list[Path],
    engines: list[str],
    max_pages: int | None = None,
    workers: int = WORKERS,
    max_side: int = MAX_SIDE,
    split_spread: bool = False,
    raw: bool = False,
) -> BenchReport:
    """Benchmark every engine on every labelled set; a JSON-able dict (see format_report).
    Pages are read as the pipeline reads them (dot leaders erased) unless ``raw``."""
    from ocr_service.ocr import get_engine

    datasets = []
    for folder in dataset_dirs:
        pages = load_dataset(Path(folder))
        if max_pages is not None:
            pages = pages[:max_pages]
        groups = {str(p.meta.get("group", "")) for p in pages}
        if len(groups) > 1:
            raise ValueError(f"set {folder} mixes groups: {', '.join(sorted(groups))}")
        datasets.append((Path(folder), pages))
    out: BenchReport = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {_total_ram_gib()} GiB, no GPU",
        "workers": workers,
        "max_side": max_side,
        "split_spread": split_spread,
        "input": "raw page images" if raw else "as the pipeline reads them (dot leaders erased)",
        "engines": {},
        "results": [],
    }
    for name in engines:
        engine = get_engine(name)  # fail early, with the install hint, before any pool starts
        out["engines"][name] = engine.version()
        for folder, pages in datasets:
            res = bench_engine(name, pages, workers, max_side, split_spread, raw)
            res["dataset"] = str(folder)
            res["group"] = str(pages[0].meta.get("group", "")) if pages else ""
            out["results"].append(res)
    return out


def _total_ram_gib() -> int:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return round(pages / 1024**3)
    except (ValueError, OSError):
        return 0


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def format_report(result: BenchReport) -> str:
    """A human table of run_bench's result, then every figure again by group (issue #13:
    the tuning and the held-out group side by side)."""
    head = (
        f"{'engine':<10} {'group':<8} {'dataset':<24} {'pages':>5} {'CER typed':>10} "
        f"{'CER hand':>9} {'hand val':>9} {'hand date':>9} {'WER typed':>10} {'WER hand':>9} "
        f"{'recall':>7} {'row rec':>7} {'s/page':>7} {'cpu s':>6} {'pages/min':>9} {'RSS MB':>7}"
    )
    title = f"sohoa bench — {result['date']} — {result['machine']}"
    if result.get("input"):
        title += f" — pages {result['input']}"
    rows = [title, head, "-" * len(head)]
    for r in result["results"]:
        rows.append(
            f"{r['engine']:<10} {r.get('group', ''):<8} {Path(r['dataset']).name[:24]:<24} "
            f"{r['pages']:>5} "
            f"{_pct(r['cer'].get('typed')):>10} {_pct(r['cer'].get('hand')):>9} "
            f"{_pct(r['cer'].get('hand value')):>9} {_pct(r['cer'].get('hand date')):>9} "
            f"{_pct(r['wer'].get('typed')):>10} {_pct(r['wer'].get('hand')):>9} "
            f"{_pct(r['line_recall']):>7} {_pct(r.get('row_recall')):>7} "
            f"{r['seconds_per_page_median'] or 0:>7.2f} "
            f"{r.get('cpu_seconds_per_page_median') or 0:>6.2f} "
            f"{r['pages_per_min'] or 0:>9.1f} {r['peak_rss_mb']:>7.0f}"
        )
    rows += ["", "by group (characters pooled over the group's sets):"]
    keys = ("typed", "hand", "typed value", "typed date", "hand value", "hand date")
    rows.append(f"{'engine':<10} {'group':<8} " + " ".join(f"{k:>11}" for k in keys))
    for engine, group, cer in group_cer(result):
        rows.append(f"{engine:<10} {group:<8} " + " ".join(f"{_pct(cer.get(k)):>11}" for k in keys))
    rows.append("")
    rows += [f"{name}: {version}" for name, version in result["engines"].items()]
    return "\n".join(rows)


def group_cer(result: BenchReport) -> list[tuple[str, str, dict[str, float | None]]]:
    """CER per (engine, group), pooled: errors and characters summed over the group's sets.
    Every synthetic group is listed (tuning and held-out), even one with no set this run."""
    pooled: dict[tuple[str, str], dict[str, list[float]]] = {}
    for r in result["results"]:
        group = r.get("group", "")
        acc = pooled.setdefault((r["engine"], group), {})
        for key, rate in r["cer"].items():
            total = r["chars"].get(key, 0)
            if rate is None or not total:
                continue
            cell = acc.setdefault(key, [0.0, 0.0])
            cell[0] += rate * total
            cell[1] += total
    engines = sorted({e for e, _ in pooled} | set(result["engines"]))
    for engine in engines:
        for group in ("tuning", "held-out"):
            pooled.setdefault((engine, group), {})
    return [
        (engine, group, {k: round(e / t, 4) if t else None for k, (e, t) in acc.items()})
        for (engine, group), acc in sorted(pooled.items())
    ]
