"""`sohoa bench`: OCR accuracy (CER/WER by style), line recall, speed and memory."""

from __future__ import annotations

from ocr_service.bench.datasets import BenchPage, load_dataset, read_alto_xml, read_page_xml
from ocr_service.bench.metrics import (
    cer,
    iou,
    line_recall,
    match_by_iou,
    row_recall,
    score_page,
    wer,
)
from ocr_service.bench.runner import format_report, run_bench

__all__ = [
    "BenchPage",
    "cer",
    "format_report",
    "iou",
    "line_recall",
    "load_dataset",
    "match_by_iou",
    "read_alto_xml",
    "read_page_xml",
    "row_recall",
    "run_bench",
    "score_page",
    "wer",
]
