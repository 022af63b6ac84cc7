"""Issue #13's held-out discipline: a checked-in split of fonts and printings, books drawn from
one group only, bench sets that never mix groups, no tuning code path on held-out fonts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from ocr_service.bench.datasets import load_dataset
from ocr_service.errors import BadInput
from ocr_service.synth import generate_book
from ocr_service.synth.book import typed_value_font
from ocr_service.synth.catalog import (
    FONTS,
    HELD_OUT,
    PRINTINGS,
    TUNING,
    VIETNAMESE_LETTERS,
    FontSpec,
    fonts_for,
    hash_group,
)
from ocr_service.synth.render import FONT_DIR, require_vietnamese

ROOT = Path(__file__).resolve().parents[1]


def test_the_split_is_the_fixed_hash_rule_for_every_font_added_by_issue_13() -> None:
    for spec in FONTS:
        want = TUNING if spec.by_history else hash_group(spec.slug)
        assert spec.group == want, spec.file
    assert PRINTINGS == {"2016": TUNING, "2016b": HELD_OUT, "2016c": TUNING, "2016d": TUNING}


def test_each_role_has_fonts_in_both_groups() -> None:
    for role in ("hand", "typed", "label"):
        assert fonts_for(TUNING, role) and fonts_for(HELD_OUT, role), role
    assert len(fonts_for(TUNING, "hand")) + len(fonts_for(HELD_OUT, "hand")) >= 50
    assert not set(fonts_for(TUNING, "hand")) & set(fonts_for(HELD_OUT, "hand"))


@pytest.mark.parametrize("spec", FONTS, ids=lambda s: s.file)
def test_every_catalogue_font_covers_vietnamese_and_has_its_licence(spec: FontSpec) -> None:
    file = spec.file
    cmap = TTFont(str(FONT_DIR / file)).getBestCmap()
    assert not [c for c in VIETNAMESE_LETTERS if ord(c) not in cmap]
    assert len(VIETNAMESE_LETTERS) == 178
    readme = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    assert f"`{file}`" in readme  # source, licence and group recorded


def _x_height_em(file: str) -> float:
    font = TTFont(str(FONT_DIR / file))
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    heights = []
    for ch in "xo":
        pen = BoundsPen(glyphs)
        glyphs[cmap[ord(ch)]].draw(pen)
        assert pen.bounds is not None
        heights.append(pen.bounds[3] - max(pen.bounds[1], 0))
    return sum(heights) / 2 / font["head"].unitsPerEm


def test_the_twelfth_sessions_hand_fonts_are_scaled_to_one_x_height() -> None:
    """The handwriting fonts added last (after EB Garamond) draw values at one x-height: 0.48
    of the pen's size, the scale within 0.85-1.35, to 0.05."""
    last = next(i for i, s in enumerate(FONTS) if s.slug == "eb-garamond")
    added = FONTS[last + 1 :]
    assert len(added) == 44 and {s.role for s in added} == {"hand"}
    for spec in added:
        want = round(min(1.35, max(0.85, 0.48 / _x_height_em(spec.file))) * 20) / 20
        assert spec.scale == pytest.approx(want), spec.file


def test_a_font_lacking_a_vietnamese_letter_is_refused(tmp_path: Path) -> None:
    src = FONT_DIR / "Sriracha-Regular.ttf"
    options = subset.Options()
    font = TTFont(str(src))
    keep = [c for c in font.getBestCmap() if chr(c) != "ự"]
    sub = subset.Subsetter(options)
    sub.populate(unicodes=keep)
    sub.subset(font)
    lacking = tmp_path / "lacking.ttf"
    font.save(str(lacking))
    require_vietnamese("Sriracha-Regular.ttf")
    with pytest.raises(BadInput, match="lacks Vietnamese glyphs 'ự'"):
        require_vietnamese(str(lacking))


def test_a_tuning_book_refuses_a_held_out_font(tmp_path: Path) -> None:
    held = fonts_for(HELD_OUT, "hand")[0]
    with pytest.raises(BadInput, match="held-out group, not tuning"):
        generate_book("khai-sinh", 1, tmp_path / "b", style="hand", hand_font=held)
    with pytest.raises(BadInput, match="does not belong to the tuning group"):
        generate_book("khai-sinh", 1, tmp_path / "b", printing="2016b", wide=True)
    assert not (tmp_path / "b" / "truth.json").exists()


def test_a_held_out_book_uses_held_out_fonts_and_printing_only(tmp_path: Path) -> None:
    for style in ("typed", "hand"):
        out = generate_book(
            "khai-tu", 1, tmp_path / style, style=style, group=HELD_OUT, seed=4, dpi=100
        )
        truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
        assert truth["group"] == HELD_OUT and PRINTINGS[truth["printing"]] == HELD_OUT
        for f in truth["fonts"].values():
            assert next(s for s in FONTS if s.file == f).group == HELD_OUT


def test_wide_tuning_books_load_as_tuning_sets(tmp_path: Path) -> None:
    labels = set()
    for seed in range(3):
        out = generate_book("khai-tu", 1, tmp_path / f"{seed}", wide=True, seed=seed, dpi=100)
        labels.add(json.loads((out / "truth.json").read_text(encoding="utf-8"))["fonts"]["label"])
        assert {p.meta["group"] for p in load_dataset(out)} == {TUNING}
    assert "DejaVuSerif-subset.ttf" in labels  # with its bold file, also in the catalogue


def test_a_bench_set_that_mixes_groups_is_refused(tmp_path: Path) -> None:
    out = generate_book("khai-sinh", 1, tmp_path / "b", style="hand", group=HELD_OUT, dpi=100)
    assert {p.meta["group"] for p in load_dataset(out)} == {HELD_OUT}
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    truth["fonts"]["label"] = fonts_for(TUNING, "label")[0]
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match="mixes groups"):
        load_dataset(out)


def test_every_bench_set_builder_names_one_group() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from make_sets import SETS  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    groups = {name: spec.get("group", TUNING) for name, spec in SETS.items()}
    assert set(groups.values()) == {TUNING, HELD_OUT}
    for name, group in groups.items():
        assert (group == HELD_OUT) == name.endswith("held-out"), name


# Where held-out books may be drawn: the generator and its tests, and measurement (bench).
# Everything else (the reader, its tests, training-data builders) is a tuning code path.
ALLOWED_UNDER = ("ocr_service/synth/", "ocr_service/bench/")
ALLOWED = {
    "ocr_service/cli.py",
    "tests/test_synth_groups.py",
    "tests/test_synth_wide.py",
    "tests/test_bench_groups.py",
}
# Drawing held-out books: the group constant, or the group's name handed to the generator or
# the bench ("held-out" in prose, e.g. corrections held out from a recogniser's training, is
# not a book of the held-out group).
HELD_OUT_USE = re.compile(
    r"\bHELD_OUT\b|group\w*\s*[=:]\s*[\[(]?[^\n]*[\"']held-out[\"']|[\"']held-out[\"']\s*[,)\]]"
)


def test_no_tuning_code_path_draws_held_out_books() -> None:
    offenders = []
    for folder in ("ocr_service", "tests", "models", "migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ALLOWED or rel.startswith(ALLOWED_UNDER):
                continue
            if HELD_OUT_USE.search(path.read_text(encoding="utf-8")):
                offenders.append(rel)
    assert offenders == []


def test_a_hand_book_draws_its_hand_from_the_fonts_it_is_given(tmp_path: Path) -> None:
    """A recipe keeps its books when fonts are added: its hand comes from the fonts it names."""
    pool = fonts_for(TUNING, "hand")[:2]
    drawn = set()
    for seed in range(4):
        out = generate_book(
            "khai-sinh", 1, tmp_path / str(seed), style="hand", layout="table", wide=True,
            seed=seed, dpi=100, hand_fonts=pool,
        )  # fmt: skip
        drawn.add(json.loads((out / "truth.json").read_text(encoding="utf-8"))["fonts"]["value"])
    assert drawn and drawn <= set(pool)


def test_a_typed_books_value_font_is_known_before_it_is_drawn(tmp_path: Path) -> None:
    """The recipe picks its typed books' seeds by typed_value_font: it must be the font the
    generator then draws, for both groups."""
    for group in (TUNING, HELD_OUT):
        drawn = set()
        for seed in range(3):
            font = typed_value_font("khai-tu", "block", seed, group)
            out = generate_book(
                "khai-tu", 1, tmp_path / f"{group}{seed}", wide=True, seed=seed, group=group,
                dpi=100,
            )  # fmt: skip
            truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
            assert truth["fonts"]["value"] == font
            drawn.add(font)
        assert drawn <= set(fonts_for(group, "typed"))
