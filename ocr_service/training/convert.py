"""The shipped recogniser's ONNX graph ⇄ asterocr's PyTorch class AsterNet.

The export that made asternet.onnx folded each BatchNorm into the convolution before it and
wrote PyTorch's Linear weights transposed (MatMul); ONNX orders an LSTM's gates i,o,f,c where
PyTorch has i,f,g,o. Every weight is found by the node that uses it, whose name is the module
path of the PyTorch model (``/backbone/layer1/layer1.1/pw1/Conv``).

Loading puts the folded convolution into the conv and makes its BatchNorm an identity with
the folded bias (mean 0, variance 1, eps 0); training keeps BatchNorm statistics frozen, and
`write_onnx` folds scale and shift back, into a copy of the same graph, so the model that
comes out is the graph the `vi` engine already reads, on onnxruntime and on OpenVINO.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import numpy_helper

if TYPE_CHECKING:
    import torch

# conv module -> its BatchNorm, for the convolutions of the backbone (by module name's end).
BN_OF = {"pw1": "bn1", "dw": "bn2", "pw2": "bn3"}
# ONNX LSTM gate blocks (i, o, f, c) in PyTorch's order (i, f, g, o).
ONNX_TO_TORCH_GATES = (0, 2, 3, 1)
HP_KERNEL_CONV = "/backbone/stem/Conv"  # the fixed Laplacian (a buffer, not a weight)


@dataclass(frozen=True)
class Binding:
    """One ONNX initializer and the PyTorch tensor(s) it stands for."""

    onnx_name: str
    # "same" | "transposed" | "conv" (+ its BN) | "conv_bias" | "lstm_w" | "lstm_r" | "lstm_b"
    kind: str
    target: str  # state-dict key; for conv: the conv module; for lstm: "layer"


def _module(node_name: str) -> str:
    """'/backbone/layer1/layer1.1/pw1/Conv' -> 'backbone.layer1.1.pw1'."""
    parts = node_name.strip("/").split("/")[:-1]
    out: list[str] = []
    for part in parts:
        if out and part.startswith(out[-1] + "."):
            part = part[len(out[-1]) + 1 :]  # 'layer1.1' under 'layer1' -> '1'
        out.append(part)
    return ".".join(out)


def _bn_for(conv: str) -> str:
    """The BatchNorm module that follows conv module `conv` in AsterNet."""
    head, _, last = conv.rpartition(".")
    if last in BN_OF:
        return f"{head}.{BN_OF[last]}"
    return f"{head}.{int(last) + 1}"  # Sequential(conv, bn, ...): conv_main.0 -> conv_main.1


def bindings(graph: onnx.GraphProto) -> list[Binding]:
    """Every trained initializer of the graph and where it lives in AsterNet."""
    inits = {i.name for i in graph.initializer}
    out: list[Binding] = []
    lstm_layer = 0
    for node in graph.node:
        weights = [name for name in node.input if name in inits]
        if not weights:
            continue
        if node.op_type == "Conv":
            if node.name == HP_KERNEL_CONV:
                continue
            conv = _module(node.name)
            out.append(Binding(node.input[1], "conv", conv))
            out.append(Binding(node.input[2], "conv_bias", conv))
        elif node.op_type == "MatMul":
            module = _module(node.name)
            key = module + (".in_proj_weight" if module.endswith("self_attn") else ".weight")
            out.append(Binding(node.input[1], "transposed", key))
        elif node.op_type == "LSTM":
            layer = str(lstm_layer)
            out.append(Binding(node.input[1], "lstm_w", layer))
            out.append(Binding(node.input[2], "lstm_r", layer))
            out.append(Binding(node.input[3], "lstm_b", layer))
            lstm_layer += 1
        else:
            out.extend(Binding(name, "same", name) for name in weights if "." in name)
    return out


def _gates(block: np.ndarray, hidden: int) -> np.ndarray:
    """ONNX-ordered gate rows (4*hidden, ...) in PyTorch's order."""
    parts = [block[g * hidden : (g + 1) * hidden] for g in ONNX_TO_TORCH_GATES]
    return np.concatenate(parts, axis=0)


def _onnx_gates(block: np.ndarray, hidden: int) -> np.ndarray:
    """PyTorch-ordered gate rows back in ONNX's order."""
    torch_order = [block[g * hidden : (g + 1) * hidden] for g in range(4)]
    back = [torch_order[ONNX_TO_TORCH_GATES.index(g)] for g in range(4)]
    return np.concatenate(back, axis=0)


def _lstm_keys(layer: str) -> Iterator[tuple[int, str]]:
    for direction, suffix in ((0, ""), (1, "_reverse")):
        yield direction, f"sequence.lstm.{{}}_l{layer}{suffix}"


def new_model(num_classes: int) -> torch.nn.Module:
    from asterocr.models.model import AsterNet

    model: torch.nn.Module = AsterNet(num_classes=num_classes, use_ilm=True)
    return model


def load_onnx(path: Path) -> torch.nn.Module:
    """AsterNet with the weights of the ONNX file at `path`, in eval mode."""
    import torch

    model_proto = onnx.load(str(path))
    arrays = {i.name: numpy_helper.to_array(i) for i in model_proto.graph.initializer}
    classes = int(arrays[_classifier_bias(model_proto.graph)].shape[0])
    model = new_model(classes)
    state = {k: v.clone() for k, v in model.state_dict().items()}

    def put(key: str, value: np.ndarray) -> None:
        if key not in state or tuple(state[key].shape) != value.shape:
            raise ValueError(f"the ONNX model does not fit AsterNet at {key}")
        state[key] = torch.from_numpy(np.array(value, dtype=np.float32, copy=True))

    for b in bindings(model_proto.graph):
        value = arrays[b.onnx_name]
        if b.kind == "same":
            put(b.target, value)
        elif b.kind == "transposed":
            put(b.target, value.T)
        elif b.kind == "conv":
            put(b.target + ".weight", value)
            bn = _bn_for(b.target)
            channels = value.shape[0]
            put(bn + ".weight", np.ones(channels, np.float32))
            put(bn + ".running_mean", np.zeros(channels, np.float32))
            put(bn + ".running_var", np.ones(channels, np.float32))
        elif b.kind == "conv_bias":
            put(_bn_for(b.target) + ".bias", value)
        else:
            hidden = value.shape[1] // (8 if b.kind == "lstm_b" else 4)
            for direction, pattern in _lstm_keys(b.target):
                if b.kind == "lstm_w":
                    put(pattern.format("weight_ih"), _gates(value[direction], hidden))
                elif b.kind == "lstm_r":
                    put(pattern.format("weight_hh"), _gates(value[direction], hidden))
                else:
                    wb, rb = np.split(value[direction], 2)
                    put(pattern.format("bias_ih"), _gates(wb, hidden))
                    put(pattern.format("bias_hh"), _gates(rb, hidden))
    model.load_state_dict(state)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eps = 0.0  # an exact identity: the folded conv already did the work
    return model.eval()


def training_mode(model: Any) -> Any:
    """`model` in training mode with its BatchNorm statistics frozen: the shipped graph has
    them folded into the convolutions, and batches of a few lines would only spoil them."""
    import torch

    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eval()
    return model


def _classifier_bias(graph: onnx.GraphProto) -> str:
    return next(b.onnx_name for b in bindings(graph) if b.target == "classifier.bias")


def onnx_arrays(model: torch.nn.Module, graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """The ONNX initializers of `graph` for the weights of `model` (BatchNorm folded back)."""
    import torch

    state = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    modules = dict(model.named_modules())
    out: dict[str, np.ndarray] = {}
    for b in bindings(graph):
        if b.kind == "same":
            out[b.onnx_name] = state[b.target]
        elif b.kind == "transposed":
            out[b.onnx_name] = np.ascontiguousarray(state[b.target].T)
        elif b.kind in ("conv", "conv_bias"):
            bn = modules[_bn_for(b.target)]
            assert isinstance(bn, torch.nn.BatchNorm2d)
            prefix = _bn_for(b.target)
            gamma, beta = state[prefix + ".weight"], state[prefix + ".bias"]
            mean, var = state[prefix + ".running_mean"], state[prefix + ".running_var"]
            scale = gamma / np.sqrt(var + np.float32(bn.eps))
            if b.kind == "conv":
                w = state[b.target + ".weight"]
                out[b.onnx_name] = (w * scale[:, None, None, None]).astype(np.float32)
            else:
                out[b.onnx_name] = (beta - mean * scale).astype(np.float32)
        else:
            blocks = []
            for _, pattern in _lstm_keys(b.target):
                if b.kind == "lstm_w":
                    w = state[pattern.format("weight_ih")]
                    blocks.append(_onnx_gates(w, w.shape[0] // 4))
                elif b.kind == "lstm_r":
                    w = state[pattern.format("weight_hh")]
                    blocks.append(_onnx_gates(w, w.shape[0] // 4))
                else:
                    bi, bh = state[pattern.format("bias_ih")], state[pattern.format("bias_hh")]
                    hidden = bi.shape[0] // 4
                    blocks.append(
                        np.concatenate([_onnx_gates(bi, hidden), _onnx_gates(bh, hidden)])
                    )
            out[b.onnx_name] = np.stack(blocks).astype(np.float32)
    return out


def write_onnx(model: torch.nn.Module, base: Path, out: Path) -> None:
    """`base`'s ONNX graph with `model`'s weights, written to `out`."""
    proto = onnx.load(str(base))
    arrays = onnx_arrays(model, proto.graph)
    for init in proto.graph.initializer:
        if init.name in arrays:
            new = arrays[init.name]
            old_shape = tuple(init.dims)
            if new.shape != old_shape:
                raise ValueError(f"{init.name}: shape {new.shape} is not the graph's {old_shape}")
            init.CopyFrom(numpy_helper.from_array(new, init.name))
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))


def torch_log_probs(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """model(images) as numpy, in inference mode: [T, B, classes]."""
    import torch

    with torch.inference_mode():
        result: Any = model(torch.from_numpy(images))
    return np.asarray(result.numpy())
