"""The AsterOCR line recogniser behind one call, on the runtime that reads fastest here.

Three ways to run the same shipped model (asterocr's asternet.onnx), chosen by
SOHOA_VI_RUNTIME:

- ``onnxruntime``: float32, or int8 matrix products with SOHOA_VI_INT8=1 (quantise.py; with
  ``auto``, asking for int8 chooses onnxruntime);
- ``openvino``: OpenVINO's CPU plugin, which computes in bfloat16 on processors that do it in
  hardware (AVX512-BF16 or AMX) and in float32 elsewhere;
- ``auto`` (default): OpenVINO when it is installed and the processor has bfloat16;
  otherwise onnxruntime, in int8 where the processor has VNNI (unless SOHOA_VI_INT8=0). On
  this 2-core EPYC bfloat16 reads a line in ~0.6 of the float32 time with the same character
  error rate on every benchmark set, and int8 takes ~0.8 of the float32 time per page with
  the same whole-book fields (docs/BENCHMARKS.md); OpenVINO in float32 is no faster than
  onnxruntime, so it is not chosen then.

Nothing is downloaded or written: both runtimes load the installed model file. A runtime
that is asked for and missing is a clear error; ``auto`` falls back quietly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from ocr_service.errors import EngineUnavailable
from ocr_service.ocr.quantise import int8_model

REC_HEIGHT = 32  # AsterNet input height
REC_MAX_WIDTH = 1024  # the model's positional encoding covers 256 steps = 1024 px
# OpenVINO prepares kernels and buffers for every input shape it meets and keeps them: with
# line widths in steps of 4 px a worker grew from 460 MB to 950 MB over 20 typed pages (and
# on). Line crops are stretched to widths in steps of OV_WIDTH_STEP px: 64 shapes at most,
# 514 -> 525 MB from page 15 to 20, the same CPU time, the same whole-book fields (steps of
# 32: 434 MB but 4 fields fewer of 3,062).
# (SOHOA_VI_WIDTH_STEP; ViSettings.width_step)
OV_WIDTH_STEP = 16


@dataclass(frozen=True)
class Recogniser:
    """run(images [1, 3, 32, W] float32) -> log-probabilities [W/4, 1, classes]."""

    run: Callable[[np.ndarray], np.ndarray]
    runtime: str  # "onnxruntime" | "openvino"
    precision: str  # "fp32" | "int8" | "bf16"
    width_step: int = 4  # input widths are rounded up to a multiple of this

    @property
    def runtime_name(self) -> str:
        """What the provenance says: "openvino-bf16", "onnxruntime-int8", "onnxruntime-fp32"."""
        return f"{self.runtime}-{self.precision}"

    @property
    def label(self) -> str:
        """What the engine's version string says about it ("" for the plain default)."""
        if self.runtime == "onnxruntime":
            return "" if self.precision == "fp32" else f" {self.precision}"
        return f" {self.runtime} {self.precision}"


def load_recogniser(
    model: Path,
    threads: int,
    choice: str,
    int8: bool | None = None,
    width_step: int = OV_WIDTH_STEP,
) -> Recogniser:
    """The recogniser on the runtime `choice` asks for (SOHOA_VI_RUNTIME: "auto",
    "onnxruntime" or "openvino"; see the module's docstring). `int8` (SOHOA_VI_INT8): True or
    False as asked; None lets `auto` use int8 on onnxruntime when it does not use OpenVINO
    and the CPU has VNNI (where int8 was measured to keep every field), and means float32
    otherwise. `width_step`: OpenVINO's input width step (see OV_WIDTH_STEP)."""
    if choice == "openvino" or (choice == "auto" and not int8):
        openvino = _openvino_bf16(model, threads, required=choice == "openvino", step=width_step)
        if openvino is not None:
            return openvino
    if int8 is None:
        int8 = choice == "auto" and cpu_has_vnni()
    return _onnxruntime(model, threads, int8)


def cpu_has_vnni() -> bool:
    """True when the processor multiplies int8 in hardware (AVX512-VNNI or AVX-VNNI), read
    from /proc/cpuinfo; False where that cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text("utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return bool({"avx512_vnni", "avx_vnni"} & set(flags.split()))


def _onnxruntime(model: Path, threads: int, int8: bool) -> Recogniser:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    source: str | bytes = str(model)
    precision = "fp32"
    if int8:
        quantised = int8_model(model)
        if quantised is not None:
            source, precision = quantised, "int8"
    session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(images: np.ndarray) -> np.ndarray:
        return np.asarray(session.run(None, {name: images})[0])

    return Recogniser(run=run, runtime="onnxruntime", precision=precision)


def _openvino_bf16(model: Path, threads: int, required: bool, step: int) -> Recogniser | None:
    """OpenVINO's CPU plugin in its default precision: bfloat16 where the processor has it.
    None (auto) when OpenVINO is missing or the processor would compute in float32."""
    try:
        import openvino as ov
    except ImportError as exc:
        if required:
            raise EngineUnavailable(
                "SOHOA_VI_RUNTIME=openvino needs OpenVINO: "
                f"pip install 'openvino>=2026.4,<2026.5' ({exc})"
            ) from exc
        return None
    core = ov.Core()
    bf16 = "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    if not bf16 and not required:
        return None
    precision = "bf16" if bf16 else "f32"
    compiled = core.compile_model(
        core.read_model(str(model)),
        "CPU",
        {
            "INFERENCE_NUM_THREADS": threads,
            "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": precision,
            # Several bench or RQ worker processes share the cores: no pinning.
            "ENABLE_CPU_PINNING": False,
        },
    )
    # An infer request must not be used by two threads at once (the in-process runner reads
    # pages on threads): one request per thread, made on its first call.
    local = threading.local()

    def run(images: np.ndarray) -> np.ndarray:
        request = getattr(local, "request", None)
        if request is None:
            request = local.request = compiled.create_infer_request()
        # infer() returns views of the request's own buffers: copy before the next call.
        return np.array(request.infer({0: images})[0], copy=True)

    return Recogniser(
        run=run,
        runtime="openvino",
        precision="bf16" if bf16 else "fp32",
        width_step=step,
    )


@dataclass(frozen=True)
class Reading:
    """How a line crop becomes recogniser input (the reading convention of a model).

    ``scale``: pixel values as ``unit`` (x/255, what AsterNet was trained on) or ``signed``
    ((x/255 - 0.5) / 0.5). ``width``: x the aspect width at height 32 (AsterNet was trained
    with at least ~8 px of width per character: 1.5 gives that to handwriting). ``squeeze``:
    whether the engine may narrow a line whose strokes allow it (line_crops.line_squeeze).
    Training (ocr_service/training) and reading use this same convention, from model.json."""

    scale: Literal["unit", "signed"] = "signed"
    width: float = 1.0
    squeeze: bool = True

    def to_json(self) -> dict[str, object]:
        return {"scale": self.scale, "width": self.width, "squeeze": self.squeeze}


# The shipped model as the engine has read it since its speed was tuned (signed pixels, no
# widening, narrowed lines); see docs/BENCHMARKS.md "Training (issue #17)" for the measurement
# of the unit/x1.5 convention on real handwriting and on print.
SHIPPED_READING = Reading()
# What a model fine-tuned by ocr_service/training reads with.
TRAINED_READING = Reading(scale="unit", width=1.5, squeeze=False)


def rec_width(h: int, w: int, factor: float = 1.0) -> int:
    """The input width of an h x w crop at height 32 times `factor` (at least 32 px)."""
    return max(32, round(w * REC_HEIGHT * factor / max(1, h)))


def rec_input(grey32: np.ndarray, scale: str = "signed", step: int = 4) -> np.ndarray:
    """A crop already at height 32 as AsterNet input [1, 3, 32, W]: its width rounded up to a
    multiple of `step` (≤ 1024) by stretching a little, pixels scaled by `scale`."""
    h, w = grey32.shape
    nw = min(REC_MAX_WIDTH, -(-max(w, 32) // step) * step)
    small = (
        grey32
        if (h, w) == (REC_HEIGHT, nw)
        else cv2.resize(grey32, (nw, REC_HEIGHT), interpolation=cv2.INTER_AREA)
    )
    arr = small.astype(np.float32) / 255.0
    if scale == "signed":
        arr = (arr - 0.5) / 0.5
    return np.repeat(arr[None, None], 3, axis=1)


def rec_tensor(
    grey: np.ndarray, squeeze: float = 1.0, step: int = 4, reading: Reading = SHIPPED_READING
) -> np.ndarray:
    """A grey crop as AsterNet input [1, 3, 32, W]: height 32, width (x squeeze x the
    reading's width factor) ≤ 1024 rounded up to a multiple of `step` (the recogniser's: see
    recogniser.py) by stretching the crop a little.
    (Padding with paper instead cost the hand-written table cells 0.4 points of CER.)"""
    h, w = grey.shape
    nw = rec_width(h, w, squeeze * reading.width)
    nw = min(REC_MAX_WIDTH, -(-nw // step) * step)
    small = cv2.resize(grey, (nw, REC_HEIGHT), interpolation=cv2.INTER_AREA)
    return rec_input(small, reading.scale, step)
