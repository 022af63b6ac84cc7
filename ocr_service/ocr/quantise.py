"""The AsterOCR recogniser with its matrix products in int8, made at load time.

Dynamic quantisation (onnxruntime.quantization) turns the weights of the recogniser's MatMul
and LSTM nodes into int8, with one scale per output channel, and quantises their inputs per
call; the convolutions stay in float32. On this 2-core machine (AVX-512 VNNI) it cuts the
time per page by a fifth with the same character error rate and the same whole-book fields
(docs/BENCHMARKS.md); on processors without VNNI it is unmeasured, so it stays opt-in
(SOHOA_VI_INT8=1, onnxruntime only). It runs in memory from the model file the installed
asterocr package ships: nothing is downloaded, nothing is written outside a temporary folder.
It needs the `onnx` package; without it, or when the quantiser fails on a future model, the
float32 model is used and one warning says why.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

QUANTISED_OPS = ["MatMul", "LSTM"]


class _DropQuantiserNotes(logging.Filter):
    """The quantiser's advice ("consider pre-processing") is not the app's business."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "quantization" not in record.pathname.replace("\\", "/")


def int8_model(model: Path) -> bytes | None:
    """The serialised int8 model, or None (with a warning) when it cannot be made."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        log.warning("int8 recogniser unavailable (%s): using float32", exc)
        return None
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    notes = _DropQuantiserNotes()
    root.addFilter(notes)
    try:
        with tempfile.TemporaryDirectory(prefix="sohoa-int8-") as tmp:
            # The quantiser writes a shape-inferred copy beside its input and deletes it:
            # beside the installed model that is a write into site-packages, and a race
            # between worker processes loading at once (one deletes the other's copy).
            source = Path(tmp) / "rec.onnx"
            shutil.copyfile(model, source)
            out = Path(tmp) / "rec-int8.onnx"
            quantize_dynamic(
                source,
                out,
                op_types_to_quantize=QUANTISED_OPS,
                weight_type=QuantType.QInt8,
                # One scale per output channel: with one per tensor, 7 exact fields of 3,062
                # were lost on the whole-book bench; per channel, none (docs/BENCHMARKS.md).
                per_channel=True,
            )
            return out.read_bytes()
    except Exception as exc:  # any failure of a third-party rewrite: fall back, say why
        log.warning("int8 recogniser could not be made (%s): using float32", type(exc).__name__)
        return None
    finally:
        # logging.warning() inside the quantiser installs a stderr handler on the root
        # logger when it has none: put the application's logging back as it was.
        root.removeFilter(notes)
        root.handlers[:] = handlers
        root.setLevel(level)
