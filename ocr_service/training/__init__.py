"""Fine-tuning the `vi` engine's recogniser on corrected lines (issue #17).

data (labelled lines from a folder or the database) · preprocess (the engine's reading
convention) · convert (ONNX ⇄ AsterNet) · train (CTC fine-tuning, bounded in time) · export
(back to the same ONNX graph, verified on onnxruntime and OpenVINO) · version (model dirs,
content-addressed storage) · guard (evaluate, and activate only what reads better) ·
synthetic (replay and regression lines). Training needs PyTorch: `pip install 'sohoa[train]'`.
"""

from __future__ import annotations

from ocr_service.errors import SohoaError

TRAIN_EXTRA = "install sohoa[train] (pip install 'sohoa[train]'): training needs PyTorch"


class TrainingUnavailable(SohoaError):
    """PyTorch (the `train` extra) is not installed."""

    code = "training_unavailable"
    http_status = 503
    exit_code = 2


def require_torch() -> None:
    """Raises TrainingUnavailable, with the one line to act on, when PyTorch is missing."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise TrainingUnavailable(TRAIN_EXTRA) from exc
