"""Every OCR tuning knob is a typed setting under its documented variable name, a bad value
is one clear ConfigError, the geometry's defaults are the settings' defaults, and nothing in
the service reads the environment but the settings module."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from ocr_service.config import (
    OcrSettings,
    PaddleSettings,
    Settings,
    TesseractSettings,
    ViSettings,
    get_settings,
    reset_settings,
)
from ocr_service.errors import ConfigError
from ocr_service.ocr.ctc_beam import BeamConfig

ROOT = Path(__file__).resolve().parents[1]

# Variable, raw value, where it lands, parsed value: the names documented before the
# settings existed (the engines read them themselves), kept exactly.
KNOBS: list[tuple[str, str, str, Any]] = [
    ("SOHOA_VI_RUNTIME", "onnxruntime", "vi.runtime", "onnxruntime"),
    ("SOHOA_VI_INT8", "1", "vi.int8", True),
    ("SOHOA_VI_WIDTH_STEP", "32", "vi.width_step", 32),
    ("SOHOA_VI_MODEL_DIR", "/models/hand-v2", "vi.model_dir", "/models/hand-v2"),
    ("SOHOA_VI_HAND_MODEL_DIR", "none", "vi.hand_model_dir", "none"),
    ("SOHOA_VI_HAND_BELOW", "0.5", "vi.hand_below", 0.5),
    ("SOHOA_VI_DET_SIDE", "1536", "vi.det_side", 1536),
    ("SOHOA_VI_CHUNK", "384", "vi.chunk", 384),
    ("SOHOA_VI_SQUEEZE", "0.9", "vi.squeeze", 0.9),
    ("SOHOA_VI_MIN_STROKE", "2.0", "vi.min_stroke", 2.0),
    ("SOHOA_VI_REREAD", "0", "vi.reread", False),
    ("SOHOA_VI_APART", "0", "vi.apart", False),
    ("SOHOA_VI_COMPACT_GAP", "0", "vi.compact_gap", 0.0),
    ("SOHOA_VI_COMPACT_KEEP", "0.5", "vi.compact_keep", 0.5),
    ("SOHOA_VI_COMPACT_END", "0.45", "vi.compact_end", 0.45),
    ("SOHOA_VI_MERGE_GAP", "1.0", "vi.merge_gap", 1.0),
    ("SOHOA_VI_SPLIT_GAP", "2.5", "vi.split_gap", 2.5),
    ("SOHOA_VI_CELL_GAP", "1.5", "vi.cell_gap", 1.5),
    ("SOHOA_VI_RULE_JOIN", "2", "vi.rule_join", 2.0),
    ("SOHOA_VI_STACK_MIN_H", "1.6", "vi.stack_min_h", 1.6),
    ("SOHOA_VI_STACK_VALLEY", "0.2", "vi.stack_valley", 0.2),
    ("SOHOA_VI_STACK_GROW", "1", "vi.stack_grow", 1.0),
    ("SOHOA_VI_BOX_PAD", "0.25", "vi.box_pad", 0.25),
    ("SOHOA_VI_BOX_PAD_X", "0.3", "vi.box_pad_x", 0.3),
    ("SOHOA_VI_REGION_X", "0.5", "vi.region_x", 0.5),
    ("SOHOA_VI_REGION_Y", "0.25", "vi.region_y", 0.25),
    ("SOHOA_VI_TABLE_END", "2", "vi.table_end", 2.0),
    ("SOHOA_VI_DECODE", " Greedy ", "vi.decode", "greedy"),
    ("SOHOA_VI_BEAM", "16", "vi.beam", 16),
    ("SOHOA_VI_ILLFORMED", "0", "vi.illformed", 0.0),
    ("SOHOA_OCR_THREADS", "3", "threads", 3),
    ("SOHOA_PADDLE_DET_DIR", "/models/det", "paddle.det_dir", Path("/models/det")),
    ("SOHOA_PADDLE_REC_DIR", "/models/rec", "paddle.rec_dir", Path("/models/rec")),
    ("SOHOA_PADDLE_DET_NAME", "PP-OCRv5_server_det", "paddle.det_name", "PP-OCRv5_server_det"),
    ("SOHOA_PADDLE_REC_NAME", "vi_rec", "paddle.rec_name", "vi_rec"),
    ("TESSDATA_PREFIX", "/opt/tessdata", "tesseract.tessdata_prefix", "/opt/tessdata"),
]


def _get(ocr: OcrSettings, path: str) -> Any:
    value: Any = ocr
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.fixture(autouse=True)
def _fresh_settings() -> Any:
    reset_settings()
    yield
    reset_settings()


@pytest.mark.parametrize(("variable", "raw", "path", "expected"), KNOBS)
def test_each_documented_variable_sets_its_knob(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str, path: str, expected: Any
) -> None:
    default = _get(Settings().ocr, path)
    assert default != expected  # the test would prove nothing otherwise
    monkeypatch.setenv(variable, raw)
    assert _get(Settings().ocr, path) == expected
    assert _get(get_settings().ocr, path) == expected


def test_every_ocr_knob_has_a_documented_variable_and_a_description() -> None:
    """The KNOBS table above covers every field, and docs/CONFIGURATION.md names each one
    with its default."""
    groups: list[tuple[str, type[Any]]] = [
        ("vi.", ViSettings),
        ("paddle.", PaddleSettings),
        ("tesseract.", TesseractSettings),
        ("", OcrSettings),
    ]
    fields = {
        prefix + name
        for prefix, cls in groups
        for name, info in cls.model_fields.items()
        if name not in ("vi", "paddle", "tesseract") and info.description
    }
    all_fields = {
        prefix + name
        for prefix, cls in groups
        for name in cls.model_fields
        if name not in ("vi", "paddle", "tesseract")
    }
    assert fields == all_fields  # every field has a description
    assert {path for _, _, path, _ in KNOBS} == all_fields
    doc = (ROOT / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if "| `" in line}
    for variable, _, path, _ in KNOBS:
        assert variable in rows, f"{variable} is not in docs/CONFIGURATION.md"
        default = _get(Settings().ocr, path)
        if isinstance(default, bool):
            shown = f"`{int(default)}`"
        else:
            shown = "unset" if default is None else f"`{default}`"
        assert shown in rows[variable], (variable, shown)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("SOHOA_VI_SQUEEZE", "1.5"),
        ("SOHOA_VI_CHUNK", "rộng"),
        ("SOHOA_VI_CHUNK", "100"),  # not wider than the cut window: the pieces could not be cut
        ("SOHOA_VI_WIDTH_STEP", "10"),
        ("SOHOA_VI_RUNTIME", "tensorrt"),
        ("SOHOA_VI_INT8", "maybe"),
        ("SOHOA_VI_MERGE_GAP", "-1"),
        ("SOHOA_VI_DECODE", "viterbi"),
        ("SOHOA_VI_BEAM", "0"),
        ("SOHOA_OCR_THREADS", "0"),
        ("SOHOA_LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, raw: str
) -> None:
    monkeypatch.setenv(variable, raw)
    with pytest.raises(ConfigError) as err:
        get_settings()
    message = err.value.message
    assert message.startswith("bad configuration: ") and "\n" not in message
    assert f"{variable}={raw!r}" in message


def test_values_are_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty means unset (as `os.environ.get(...) or default` had it); the runtime's word is
    trimmed and any case; the log level any case."""
    monkeypatch.setenv("SOHOA_VI_INT8", " ")
    monkeypatch.setenv("SOHOA_PADDLE_DET_DIR", "")
    monkeypatch.setenv("SOHOA_VI_RUNTIME", " OpenVINO ")
    monkeypatch.setenv("SOHOA_LOG_LEVEL", "info")
    settings = Settings()
    assert settings.ocr.vi.int8 is None and settings.ocr.paddle.det_dir is None
    assert settings.ocr.vi.runtime == "openvino" and settings.log_level == "INFO"


def test_settings_handed_to_a_worker_keep_their_ocr_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local runner rebuilds Settings from model_dump() in its children."""
    monkeypatch.setenv("SOHOA_VI_BOX_PAD", "0.3")
    settings = Settings()
    monkeypatch.setenv("SOHOA_VI_BOX_PAD", "0.1")
    assert Settings(**settings.model_dump()).ocr == settings.ocr


def _defaults(func: Any) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def test_the_geometrys_defaults_are_the_settings_defaults() -> None:
    """A tuned value lives in two places, the keyword parameter beside its reason and the
    documented setting: they must not drift apart."""
    from ocr_service.ocr import line_boxes, line_crops, regions, table_lines, vi

    d = ViSettings.model_construct()  # the defaults, whatever the environment says
    assert _defaults(line_boxes.page_lines) == {
        "merge_gap": d.merge_gap,
        "split_gap": d.split_gap,
        "cell_gap": d.cell_gap,
        "stack_min_h": d.stack_min_h,
        "stack_valley": d.stack_valley,
        "stack_grow": d.stack_grow,
    }
    assert _defaults(line_boxes.split_stacked_lines) == {
        "min_h": d.stack_min_h,
        "valley": d.stack_valley,
        "reach": d.stack_grow,
    }
    assert _defaults(line_boxes.fit_part) == {"reach": d.stack_grow}
    crops = {"gap": d.compact_gap, "keep": d.compact_keep, "end": d.compact_end}
    assert _defaults(line_crops.compact_line) == {"pad_y": line_boxes.CROP_PAD_Y, **crops}
    assert _defaults(line_crops.line_pieces) == {"pad_y": line_boxes.CROP_PAD_Y, **crops}
    assert _defaults(line_crops.line_squeeze) == {
        "squeeze_min": d.squeeze,
        "min_stroke": d.min_stroke,
    }
    region = _defaults(regions.line_regions)
    assert (region["grow_x"], region["grow_y"], region["table_end"]) == (
        d.region_x,
        d.region_y,
        d.table_end,
    )
    assert _defaults(table_lines.Table.of_page) == {"rule_join": d.rule_join}
    assert _defaults(table_lines.find_rules)["join_gap"] == d.rule_join
    assert _defaults(table_lines.join_segments) == {"join_gap": d.rule_join}
    assert _defaults(table_lines.merge_in_cells) == {"cell_gap": d.cell_gap}
    assert _defaults(vi._Models)["det_side"] == d.det_side
    assert _defaults(vi._Models)["width_step"] == d.width_step
    assert BeamConfig().width == d.beam


def _reads_environment(node: ast.AST) -> bool:
    """os.getenv(...), os.environ[...], os.environ.get(...), `in os.environ`: any use of
    os.environ but a setdefault() that configures a library."""
    if isinstance(node, ast.Attribute) and node.attr in ("getenv", "environ"):
        return isinstance(node.value, ast.Name) and node.value.id == "os"
    return False


def test_nothing_reads_the_environment_but_the_settings_module() -> None:
    found = []
    for folder in ("ocr_service", "models"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "ocr_service" / "config.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            allowed = {
                id(call.func.value)
                for call in ast.walk(tree)
                if isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "setdefault"
            }
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if _reads_environment(node) and id(node) not in allowed
            ]
    assert found == []
