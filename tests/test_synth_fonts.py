"""Committed synth fonts: full Vietnamese coverage, every printed character covered, small size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from ocr_service.errors import BadInput
from ocr_service.synth import generate_book
from ocr_service.synth.catalog import FONTS
from ocr_service.synth.render import (
    FONT_DIR,
    HAND_FONTS,
    PRINT_BOLD,
    PRINT_FONT,
    TYPED_VALUE_FONT,
    check_coverage,
)

LETTERS = (
    (Path(__file__).parent / "resources" / "synth" / "vietnamese_letters.txt")
    .read_text(encoding="utf-8")
    .strip()
)
ALL_FONTS = tuple(dict.fromkeys((PRINT_FONT, PRINT_BOLD, TYPED_VALUE_FONT, *HAND_FONTS,
                                  *(f.file for f in FONTS))))  # fmt: skip


@pytest.mark.parametrize("name", ALL_FONTS)
def test_font_covers_the_whole_vietnamese_alphabet(name: str) -> None:
    cmap = TTFont(str(FONT_DIR / name)).getBestCmap()
    missing = [c for c in LETTERS + "0123456789.,:;/-()" if ord(c) not in cmap]
    assert len(LETTERS) == 178
    assert missing == []


def test_fonts_are_small_and_licensed() -> None:
    fonts = list(FONT_DIR.glob("*.ttf"))
    assert {f.name for f in fonts} == set(ALL_FONTS)
    # 59 handwriting fonts since the twelfth session of #13 (44 of them added then): < 9 MB
    assert sum(f.stat().st_size for f in fonts) < 9_000_000
    licences = {p.name for p in FONT_DIR.glob("*.txt")}
    assert {
        "OFL-PatrickHand.txt",
        "OFL-DancingScript.txt",
        "OFL-Itim.txt",
        "LICENSE-DejaVu.txt",
    } <= licences


def test_a_missing_glyph_is_refused() -> None:
    with pytest.raises(BadInput, match="lacks glyphs"):
        check_coverage(HAND_FONTS[0], "Nguyễn 中")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_printed_character_is_covered(tmp_path: Path, seed: int) -> None:
    # Seeds 0-2 pick different hand fonts; ledgers print the most varied text.
    out = generate_book(
        "khai-sinh", 10, tmp_path / "b", layout="table", style="hand", seed=seed, degrade="none"
    )
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    printed = {c for p in truth["pages"] for ln in p["lines"] for c in ln["text"] if c != " "}
    assert printed
    for name in ALL_FONTS:
        cmap = TTFont(str(FONT_DIR / name)).getBestCmap()
        assert {c for c in printed if ord(c) not in cmap} == set(), name
