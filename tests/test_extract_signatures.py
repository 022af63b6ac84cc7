"""Words of a footer line placed over the runs of ink the page image shows."""

from __future__ import annotations

import numpy as np

from ocr_service.extract.layouts.signatures import split_into_columns, word_centres
from ocr_service.ocr.containers import OcrLine


def footer_line(runs: tuple[int, ...]) -> np.ndarray:
    """A 600 px wide strip with a run of ink (two short written words) at each x of `runs`."""
    img = np.full((60, 600), 245, np.uint8)
    for x in runs:
        for start, letters in ((x, 3), (x + 44, 2)):  # an 8 px space between the two words
            for k in range(letters):
                img[20:40, start + 12 * k : start + 12 * k + 10] = 30
    return img


def test_each_name_stays_over_its_own_run_of_ink() -> None:
    line = OcrLine("Lê Hùng", 0.9, (10, 15, 580, 45))
    centres = word_centres(line, footer_line((20, 480)))
    # By letter counts alone "Lê" would sit at x 91; the ink puts it over the left run.
    assert 20 <= centres[0] <= 90 and 480 <= centres[1] <= 560
    pieces = split_into_columns(line, [300.0], footer_line((20, 480)))
    assert [(p.text, p.column) for p in pieces] == [("Lê", 0), ("Hùng", 1)]


def test_more_runs_of_ink_than_words_spreads_the_words_over_the_line() -> None:
    # The engine read two words where the ink shows three runs (it skipped a scribble): the
    # runs cannot each hold a word, so the words are placed as without an image.
    line = OcrLine("Lê Hùng", 0.9, (10, 15, 580, 45))
    image = footer_line((20, 250, 480))
    assert word_centres(line, image) == word_centres(line, None)
    assert [p.text for p in split_into_columns(line, [300.0], image)] == ["Lê", "Hùng"]
