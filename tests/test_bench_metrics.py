"""Benchmark measures on known cases: CER/WER, IoU, one-to-one matching, style attribution."""

from __future__ import annotations

import unicodedata

import pytest

from ocr_service.bench.metrics import (
    TruthLine,
    cer,
    group_lines,
    iou,
    line_recall,
    match_by_iou,
    row_matches,
    row_recall,
    score_page,
    wer,
)


def test_cer_and_wer_on_known_strings() -> None:
    assert cer("Nguyễn Văn Bình", "Nguyễn Văn Bình") == 0.0
    assert cer("Nguyen Văn Bình", "Nguyễn Văn Bình") == pytest.approx(1 / 15)
    assert cer("", "abcd") == 1.0 and cer("x", "") == 1.0 and cer("", "") == 0.0
    assert wer("Trần Thị Lan", "Trần Thị Lan") == 0.0
    assert wer("Trần Thi Lan", "Trần Thị Lan") == pytest.approx(1 / 3)
    assert wer("Trần Thị", "Trần Thị Lan") == pytest.approx(1 / 3)


def test_cer_normalises_nfd_and_spaces() -> None:
    nfd = unicodedata.normalize("NFD", "Adélaïde  Marie")
    assert cer("Adélaïde Marie", nfd) == 0.0


def test_iou_and_one_to_one_matching() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    truth = [(0, 0, 100, 20), (0, 30, 100, 50), (0, 60, 100, 80)]
    predicted = [(0, 31, 100, 50), (2, 0, 100, 21), (0, 0, 100, 50)]
    assert sorted(match_by_iou(predicted, truth)) == [(0, 1), (1, 0)]
    assert line_recall(predicted, truth) == pytest.approx(2 / 3)
    assert line_recall([], []) == 1.0


def test_merged_label_and_value_are_compared_as_one_group() -> None:
    truth = [
        TruthLine("Họ, chữ đệm, tên:", (100, 100, 400, 130), style="typed", kind="label"),
        TruthLine("Lê Hoàng Yến", (440, 98, 650, 132), style="hand", kind="value"),
        TruthLine("Dân tộc:", (100, 200, 250, 230), style="typed", kind="label"),
    ]
    # One detected line covers label + value, with one error in the handwritten part.
    predicted = [("Họ, chữ đệm, tên: Lê Hoàng Yên", (98, 97, 652, 133))]
    assert group_lines([b for _, b in predicted], [t.bbox for t in truth]) == [
        ([0], [0, 1]),
        ([], [2]),
    ]
    score = score_page(predicted, truth)
    assert score.chars["typed"].errors == len("Dân tộc:")  # unread line: all deletions
    assert score.chars["typed"].total == len("Họ, chữ đệm, tên:") + len("Dân tộc:")
    assert score.chars["hand"].errors == 1 and score.chars["hand"].total == len("Lê Hoàng Yến")
    assert score.words["hand"].errors == 1
    assert score.found_lines == 0 and score.truth_lines == 3


def test_extra_predicted_text_is_counted_apart() -> None:
    truth = [TruthLine("12/03/1985", (0, 0, 200, 30))]
    predicted = [("12/03/1985", (0, 0, 200, 30)), ("Lưu trữ", (0, 500, 100, 530))]
    score = score_page(predicted, truth)
    assert score.chars["typed"].errors == 0 and score.extra_chars == len("Lưu trữ")
    assert score.found_lines == 1


def test_row_recall_counts_a_label_and_value_read_as_one_line() -> None:
    # Synth truth boxes a label and its value apart; the detector returns the whole row.
    truth = [(100, 100, 250, 130), (265, 102, 420, 128), (100, 200, 300, 230)]
    predicted = [(98, 99, 423, 131), (100, 201, 300, 229)]
    assert line_recall(predicted, truth) == 1 / 3  # strict one-to-one: only the second row
    assert row_recall(predicted, truth) == 1.0
    matches = sorted((i, sorted(js)) for i, js in row_matches(predicted, truth))
    assert matches == [(0, [0, 1]), (1, [2])]
    # A box over two rows is not a row match: the rows stay unfound.
    tall = [(98, 99, 423, 231)]
    assert row_recall(tall, truth) == 0.0
