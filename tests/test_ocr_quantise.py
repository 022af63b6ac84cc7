"""The recogniser in int8: the same readings as float32, said in the engine's version, and a
clean fall back to float32 when the quantiser is missing."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr_service.bench.metrics import cer
from ocr_service.config import ViSettings
from ocr_service.ocr import vi
from ocr_service.ocr.quantise import int8_model
from ocr_service.synth.render import load_font

LINES = [
    ("DejaVuSans.ttf", "Nguyễn Thị Thu Hoà, sinh ngày 21/4/1978"),
    ("DancingScript-VF.ttf", "Trạm y tế xã Yên Thuận, huyện Hàm Yên"),
    ("PatrickHand-Regular.ttf", "Thôn 9, xã Minh Dân, tỉnh Tuyên Quang"),
]


def _line(font_name: str, text: str) -> np.ndarray:
    if font_name == "DejaVuSans.ttf":
        from PIL import ImageFont

        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    else:
        font = load_font(font_name, 34)
    img = Image.new("L", (760, 60), 255)
    ImageDraw.Draw(img).text((12, 8), text, font=font, fill=30)
    return np.array(img)


def _aster_model() -> Path:
    import asterocr

    return Path(asterocr.__file__).parent / "assets" / "asternet.onnx"


@pytest.mark.slow
def test_int8_reads_as_float32_does_and_says_so() -> None:
    int8 = vi._Models(threads=2, int8=True)
    fp32 = vi._Models(threads=2, int8=False)
    assert int8.int8 and int8.versions.endswith(" int8")
    assert not fp32.int8 and "int8" not in fp32.versions
    engine = vi.ViEngine.__new__(vi.ViEngine)  # each model set in turn
    engine.settings = ViSettings()
    total32 = total8 = 0.0
    for font_name, text in LINES:
        grey = _line(font_name, text)
        engine.models = fp32
        read32, _ = engine.read_line(grey)
        engine.models = int8
        read8, _ = engine.read_line(grey)
        total32 += cer(read32, text)
        total8 += cer(read8, text)
    assert total32 / len(LINES) < 0.1  # the lines are readable at all
    assert total8 <= total32 + 0.02 * len(LINES)  # int8 within two points of float32


def test_without_the_quantiser_the_float32_model_is_used_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime.quantization", None)  # import fails
    with caplog.at_level(logging.WARNING, logger="ocr_service.ocr.quantise"):
        assert int8_model(_aster_model()) is None
    assert "using float32" in caplog.text


def test_a_failing_quantiser_falls_back_and_the_apps_logging_is_left_as_it_was(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger="ocr_service.ocr.quantise"):
        assert int8_model(broken) is None
    assert "could not be made" in caplog.text
    assert (list(root.handlers), root.level) == before


@pytest.mark.slow
def test_weights_are_quantised_with_one_scale_per_output_channel() -> None:
    """One scale per tensor lost 7 exact fields of 3,062 on the whole-book bench against
    float32; one per output channel lost none."""
    import onnx

    model = int8_model(_aster_model())
    assert model is not None
    scales = [
        list(t.dims)
        for t in onnx.load_from_string(model).graph.initializer
        if t.name.endswith("_scale")
    ]
    assert scales and all(dims and dims[0] > 1 for dims in scales), scales


@pytest.mark.slow
def test_quantising_the_shipped_model_leaves_root_logging_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quantiser logs with logging.warning(), which gives a root logger without handlers
    a stderr handler: an app that configures logging later would print twice."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in a process that has not set up logging
    model = int8_model(_aster_model())
    assert model is not None and len(model) < _aster_model().stat().st_size
    assert root.handlers == []


@pytest.mark.slow
def test_workers_loading_at_once_all_get_int8_and_nothing_is_written_beside_the_model(
    tmp_path: Path,
) -> None:
    """The quantiser writes "<model>-inferred.onnx" beside its input and deletes it: two bench
    workers quantising the installed model at once made one of them fall back to float32."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    model = tmp_path / "asternet.onnx"
    model.write_bytes(_aster_model().read_bytes())
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=ctx) as pool:
        sizes = list(pool.map(_int8_size, [model] * 3))
    assert all(size > 0 for size in sizes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asternet.onnx"]


def _int8_size(model: Path) -> int:
    out = int8_model(model)
    return len(out) if out is not None else 0
