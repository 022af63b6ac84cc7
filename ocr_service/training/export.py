"""A trained AsterNet back to the shipped ONNX graph (convert.write_onnx), checked to read
like the PyTorch model on onnxruntime and on OpenVINO, the runtimes the `vi` engine uses."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ocr_service.errors import SohoaError
from ocr_service.training.convert import torch_log_probs, write_onnx

if TYPE_CHECKING:
    import torch

# Largest difference of log-probabilities allowed between PyTorch and a runtime in float32
# (the graph is the same; only the order of float operations differs).
MAX_DIFF = 1e-2


class ExportFailed(SohoaError):
    code = "export_failed"
    http_status = 500
    exit_code = 1


def runtime_outputs(path: Path, images: np.ndarray) -> dict[str, np.ndarray]:
    """The ONNX file's log-probabilities on onnxruntime and on OpenVINO (float32)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = {"onnxruntime": np.asarray(session.run(None, {"images": images})[0])}
    try:
        import openvino as ov
    except ImportError:
        return out
    core = ov.Core()
    compiled = core.compile_model(
        core.read_model(str(path)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"}
    )
    out["openvino"] = np.array(compiled.create_infer_request().infer({0: images})[0], copy=True)
    return out


def export_model(
    model: torch.nn.Module, base_onnx: Path, out: Path, probe: np.ndarray
) -> dict[str, float]:
    """Writes `model` as `out` (the graph of `base_onnx`) and checks it on both runtimes
    against PyTorch on `probe` ([B, 3, 32, W]); returns the largest difference per runtime."""
    model.eval()
    write_onnx(model, base_onnx, out)
    expected = torch_log_probs(model, probe)
    diffs = {
        name: float(np.abs(got - expected).max())
        for name, got in runtime_outputs(out, probe).items()
    }
    bad = {k: v for k, v in diffs.items() if not v <= MAX_DIFF}
    if bad:
        raise ExportFailed(f"the exported model does not read like the trained one: {bad}")
    return diffs
