"""Engine registry: names, plug-in paths and clear errors for what is missing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from ocr_service.errors import EngineUnavailable
from ocr_service.ocr import OcrEngine, engine_names, get_engine

PLUGIN = textwrap.dedent(
    """
    from __future__ import annotations

    import numpy as np

    from ocr_service.ocr.base import OcrEngine
    from ocr_service.ocr.containers import OcrLine, OcrPage


    class EchoEngine(OcrEngine):
        name = "echo"

        def version(self) -> str:
            return "echo 1.0"

        def read_page(self, image: np.ndarray) -> OcrPage:
            h, w = image.shape[:2]
            line = OcrLine(text="xin chào", confidence=0.5, bbox=(0, 0, w, h), engine=self.name)
            return OcrPage(width=w, height=h, lines=[line], engine=self.name)

        def read_line(self, crop: np.ndarray) -> tuple[str, float]:
            return "xin chào", 0.5


    class NotAnEngine:
        pass
    """
)


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "sohoa_test_plugin.py").write_text(PLUGIN, "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "sohoa_test_plugin"


def test_builtin_names() -> None:
    assert engine_names() == ["vi", "tesseract", "paddle"]


def test_default_engine_is_vi() -> None:
    engine = get_engine(None)
    assert isinstance(engine, OcrEngine) and engine.name == "vi"


def test_unknown_name_is_engine_unavailable() -> None:
    with pytest.raises(EngineUnavailable, match="unknown OCR engine 'kraken'") as err:
        get_engine("kraken")
    assert err.value.code == "engine_unavailable"


def test_plugin_path_is_imported_and_instantiated(plugin_module: str) -> None:
    engine = get_engine(f"{plugin_module}:EchoEngine")
    assert engine.name == "echo" and engine.version() == "echo 1.0"
    page = engine.read_page(np.zeros((10, 20), np.uint8))
    assert page.lines[0].bbox == (0, 0, 20, 10)


def test_plugin_path_errors_name_the_problem(plugin_module: str) -> None:
    with pytest.raises(EngineUnavailable, match=r"cannot import no_such_pkg\.mod"):
        get_engine("no_such_pkg.mod:Engine")
    with pytest.raises(EngineUnavailable, match="no OcrEngine subclass named 'NotAnEngine'"):
        get_engine(f"{plugin_module}:NotAnEngine")
    with pytest.raises(EngineUnavailable, match="no OcrEngine subclass named 'Missing'"):
        get_engine(f"{plugin_module}:Missing")
