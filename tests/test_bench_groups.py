"""`sohoa bench` reports every figure on the tuning and the held-out group side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ocr_service.bench import format_report, load_dataset, score_page
from ocr_service.bench.metrics import TruthLine, is_date_field
from ocr_service.bench.results import BenchReport, EngineResult
from ocr_service.bench.runner import group_cer


def _result(group: str, cer: dict[str, float | None], chars: dict[str, int]) -> EngineResult:
    return {
        "engine": "vi", "pages": 1, "cer": cer, "wer": {}, "chars": chars, "line_recall": 1.0,
        "line_recall_iou03": 1.0, "row_recall": 1.0, "line_recall_ink_boxes": 1.0,
        "extra_chars": 0, "seconds_per_page_median": 1.0, "cpu_seconds_per_page_median": 1.0,
        "pages_per_min": 60.0, "pages_per_min_steady": 60.0, "wall_seconds": 1.0,
        "peak_rss_mb": 100.0, "dataset": f"/x/{group}", "group": group,
    }  # fmt: skip


def _report(results: list[EngineResult]) -> BenchReport:
    return {
        "date": "d", "machine": "m", "workers": 1, "max_side": 3600, "split_spread": False,
        "input": "i", "engines": {"vi": "1"}, "results": results,
    }  # fmt: skip


def test_figures_are_pooled_by_group() -> None:
    report = _report(
        [
            _result("tuning", {"hand": 0.1, "hand date": 0.5}, {"hand": 100, "hand date": 10}),
            _result("tuning", {"hand": 0.2}, {"hand": 300}),
            _result("held-out", {"hand": 0.3, "hand date": 0.25}, {"hand": 100, "hand date": 40}),
        ]
    )
    pooled = {(e, g): c for e, g, c in group_cer(report)}
    assert pooled[("vi", "tuning")]["hand"] == pytest.approx(0.175)
    assert pooled[("vi", "tuning")]["hand date"] == pytest.approx(0.5)
    assert pooled[("vi", "held-out")]["hand date"] == pytest.approx(0.25)
    text = format_report(report)
    assert "by group" in text
    assert "17.50%" in text and "25.00%" in text


def test_a_group_without_sets_is_still_listed() -> None:
    text = format_report(_report([_result("tuning", {"hand": 0.1}, {"hand": 10})]))
    rows = [ln.split() for ln in text.splitlines() if ln.startswith("vi ")]
    assert ["vi", "held-out", "–", "–", "–", "–", "–", "–"] in rows


def test_date_and_value_lines_are_scored_on_their_own() -> None:
    assert is_date_field("nksNgaySinh") and is_date_field("ngayDangKy")
    assert not is_date_field("nksNgaySinhBangChu") and not is_date_field("nksHoTen")
    truth = [
        TruthLine("12/03/2019", (0, 0, 100, 20), "hand", "value", "ngayDangKy"),
        TruthLine("Lê Văn An", (0, 40, 100, 60), "hand", "value", "nksHoTen"),
        TruthLine("Họ, chữ đệm, tên:", (0, 80, 100, 100), "typed", "label"),
    ]
    score = score_page([("12/03/201", (0, 0, 100, 20)), ("Lê Văn An", (0, 40, 100, 60))], truth)
    assert score.chars["hand date"].errors == 1 and score.chars["hand date"].total == 10
    assert score.chars["hand value"].errors == 0 and score.chars["hand value"].total == 9


def test_sohoa_bench_prints_both_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    import ocr_service.bench as bench
    from ocr_service.cli import app

    seen: list[str] = []

    def fake_run_bench(sets: list[Path], engines: list[str], **_: Any) -> BenchReport:
        results = []
        for folder in sets:
            pages = load_dataset(folder)
            group = str(pages[0].meta["group"])
            seen.append(group)
            results.append(_result(group, {"hand": 0.1}, {"hand": 10}))
        return _report(results)

    monkeypatch.setattr(bench, "run_bench", fake_run_bench)
    out = CliRunner().invoke(app, ["bench", "--engine", "vi", "--pages", "1"])
    assert out.exit_code == 0, out.output
    assert sorted(seen) == ["held-out", "held-out", "tuning", "tuning"]
    by_group = out.output.split("by group", 1)[1]
    assert "held-out" in by_group and "tuning" in by_group
