"""The recogniser's runtime: OpenVINO in bfloat16 where the processor has it, onnxruntime
otherwise, the same readings either way, and clear errors for a bad or missing choice."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

from ocr_service.bench.metrics import cer
from ocr_service.config import Settings, ViSettings
from ocr_service.errors import ConfigError, EngineUnavailable
from ocr_service.ocr import recogniser, vi
from tests.test_ocr_quantise import LINES, _aster_model, _line


def _fake_openvino(capabilities: list[str]) -> types.ModuleType:
    """An `openvino` module whose CPU reports `capabilities` and which must not be compiled."""

    class Core:
        def get_property(self, device: str, name: str) -> list[str]:
            assert (device, name) == ("CPU", "OPTIMIZATION_CAPABILITIES")
            return capabilities

        def read_model(self, path: str) -> None:
            raise AssertionError("auto must not load OpenVINO without bfloat16")

    module = types.ModuleType("openvino")
    module.Core = Core  # type: ignore[attr-defined]
    return module


def test_an_unknown_runtime_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_VI_RUNTIME", "tensorrt")
    with pytest.raises(ConfigError, match=r"SOHOA_VI_RUNTIME='tensorrt'.*'auto'"):
        Settings()
    monkeypatch.setenv("SOHOA_VI_RUNTIME", " OpenVINO ")
    assert Settings().ocr.vi.runtime == "openvino"
    monkeypatch.delenv("SOHOA_VI_RUNTIME")
    assert Settings().ocr.vi.runtime == "auto"


def test_openvino_asked_for_and_missing_names_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # import fails
    with pytest.raises(EngineUnavailable, match=r"pip install 'openvino>=2026.4"):
        recogniser.load_recogniser(_aster_model(), 1, "openvino")


def test_auto_without_openvino_uses_onnxruntime_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)
    monkeypatch.setattr(recogniser, "cpu_has_vnni", lambda: False)
    rec = recogniser.load_recogniser(_aster_model(), 1, "auto")
    assert (rec.runtime, rec.precision, rec.label) == ("onnxruntime", "fp32", "")


@pytest.mark.slow
def test_auto_without_bfloat16_uses_int8_on_a_vnni_cpu_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)
    monkeypatch.setattr(recogniser, "cpu_has_vnni", lambda: True)
    rec = recogniser.load_recogniser(_aster_model(), 1, "auto")
    assert (rec.runtime, rec.precision, rec.label) == ("onnxruntime", "int8", " int8")
    off = recogniser.load_recogniser(_aster_model(), 1, "auto", int8=False)
    assert off.precision == "fp32"
    plain = recogniser.load_recogniser(_aster_model(), 1, "onnxruntime")  # asked by name
    assert plain.precision == "fp32"


def test_vnni_is_read_from_the_cpu_flags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    real_path = recogniser.Path

    def fake_path(p: str) -> Path:
        return cpuinfo if p == "/proc/cpuinfo" else real_path(p)

    monkeypatch.setattr(recogniser, "Path", fake_path)
    cpuinfo.write_text("processor : 0\nflags : fpu sse2 avx2 avx512f avx512_vnni\n")
    assert recogniser.cpu_has_vnni()
    cpuinfo.write_text("processor : 0\nflags : fpu sse2 avx2 fma\n")
    assert not recogniser.cpu_has_vnni()
    cpuinfo.unlink()
    assert not recogniser.cpu_has_vnni()  # unreadable: no


def test_auto_on_a_processor_without_bfloat16_uses_onnxruntime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OpenVINO in float32 is no faster than onnxruntime here: auto does not switch for it."""
    monkeypatch.setitem(sys.modules, "openvino", _fake_openvino(["FP32", "INT8"]))
    rec = recogniser.load_recogniser(_aster_model(), 1, "auto")
    assert rec.runtime == "onnxruntime"


def test_the_output_shape_is_the_same_on_both_runtimes() -> None:
    pytest.importorskip("openvino", reason="OpenVINO is a declared dependency; CI installs it")
    ort = recogniser.load_recogniser(_aster_model(), 1, "onnxruntime")
    ov = recogniser.load_recogniser(_aster_model(), 1, "openvino")
    assert ov.runtime == "openvino" and ov.precision in ("bf16", "fp32")
    assert ov.label.startswith(" openvino ")
    inputs = {w: np.random.default_rng(w).random((1, 3, 32, w), np.float32) for w in (64, 132)}
    kept = ov.run(inputs[64])
    for width, images in inputs.items():
        a, b = ort.run(images), ov.run(images)
        assert a.shape == b.shape == (width // 4, 1, a.shape[2])
    # The first result is the caller's own copy: later calls did not write into it.
    assert np.array_equal(kept, ov.run(inputs[64]))


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["openvino", "onnxruntime"])
def test_each_runtime_reads_vietnamese_lines_and_says_which_it_is(runtime: str) -> None:
    if runtime == "openvino":
        pytest.importorskip("openvino", reason="OpenVINO is a declared dependency")
    models = vi._Models(threads=1, runtime=runtime)
    assert models.rec.runtime == runtime
    assert (runtime in models.versions) == (runtime == "openvino")
    engine = vi.ViEngine.__new__(vi.ViEngine)
    engine.models, engine.settings = models, ViSettings()
    total = 0.0
    for font_name, text in LINES:
        read, conf = engine.read_line(_line(font_name, text))
        assert 0.0 < conf <= 1.0
        total += cer(read, text)
    assert total / len(LINES) < 0.05


def test_threads_reading_at_once_each_get_their_own_answer() -> None:
    """The in-process runner reads pages on threads: OpenVINO's infer request is not safe to
    share, so each thread has its own and no answer is another thread's."""
    pytest.importorskip("openvino", reason="OpenVINO is a declared dependency")
    from concurrent.futures import ThreadPoolExecutor

    ov = recogniser.load_recogniser(_aster_model(), 1, "openvino")
    inputs = [np.random.default_rng(w).random((1, 3, 32, w), np.float32) for w in (48, 96, 160)]
    alone = [ov.run(x) for x in inputs]
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(ov.run, inputs * 4))
    for i, out in enumerate(together):
        assert np.array_equal(out, alone[i % 3])


def test_openvino_sees_few_input_widths_so_its_memory_stays_flat() -> None:
    """OpenVINO keeps kernels and buffers for every input shape it meets: a worker grew from
    460 to 950 MB over 20 pages with widths in steps of 4 px. Crops are stretched to steps of
    16 px for it (at most 64 shapes); onnxruntime keeps steps of 4."""
    pytest.importorskip("openvino", reason="OpenVINO is a declared dependency")
    ov = recogniser.load_recogniser(_aster_model(), 1, "openvino")
    ort = recogniser.load_recogniser(_aster_model(), 1, "onnxruntime")
    assert (ov.width_step, ort.width_step) == (16, 4) == (ViSettings().width_step, 4)
    widths = set()
    rng = np.random.default_rng(0)
    for w in range(20, 2000, 7):
        crop = rng.integers(0, 255, (40, w), np.uint8)
        tensor = recogniser.rec_tensor(crop, 0.75, ov.width_step)
        assert tensor.shape[:3] == (1, 3, 32) and tensor.shape[3] % 16 == 0
        widths.add(tensor.shape[3])
        natural = max(32, round(w * 32 * 0.75 / 40))
        assert min(1024, natural) <= tensor.shape[3] <= min(1024, natural + 15)  # a little
    assert len(widths) <= 64
