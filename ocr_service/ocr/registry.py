"""Engine lookup by name: built-in engines or a plug-in given as "package.module:ClassName"."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ocr_service.errors import EngineUnavailable
from ocr_service.ocr.base import OcrEngine

if TYPE_CHECKING:
    from ocr_service.config import OcrSettings

BUILTIN = {
    "vi": "ocr_service.ocr.vi:ViEngine",
    "tesseract": "ocr_service.ocr.tesseract:TesseractEngine",
    "paddle": "ocr_service.ocr.paddle:PaddleEngine",
}
DEFAULT_ENGINE = "vi"


def engine_names() -> list[str]:
    """The built-in engine names (plug-ins are any "package.module:ClassName")."""
    return list(BUILTIN)


def get_engine(name: str | None = None, settings: OcrSettings | None = None) -> OcrEngine:
    """An engine instance by name, built from ``settings`` (default: the process's settings,
    SOHOA_OCR_* / SOHOA_VI_* / ...); models are loaded once per process by the engine
    modules, for the settings they were loaded with.

    Raises EngineUnavailable for an unknown name, a plug-in that cannot be imported, or a
    missing package/model (the message names what to install).
    """
    key = (name or DEFAULT_ENGINE).strip()
    target = BUILTIN.get(key, key)
    if ":" not in target:
        raise EngineUnavailable(
            f"unknown OCR engine {key!r}: choose one of {', '.join(BUILTIN)} "
            "or a plug-in 'package.module:ClassName'"
        )
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EngineUnavailable(
            f"OCR engine {key!r}: cannot import {module_name} ({exc}); install the package "
            "that provides it"
        ) from exc
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, OcrEngine)):
        raise EngineUnavailable(
            f"OCR engine {key!r}: {module_name} has no OcrEngine subclass named {class_name!r}"
        )
    if settings is None:
        from ocr_service.config import get_settings

        settings = get_settings().ocr
    return cls.from_settings(settings)
