"""Models out of cnnviz: ONNX (for Netron and ONNX Runtime) and a plain PyTorch ``state_dict``.

``to_onnx`` uses ``torch.onnx.export`` with the torch.export-based exporter (the default since PyTorch 2.9;
it needs the ``onnx`` and ``onnxscript`` packages, no network).  The graph's input is ``image``,
``batch×1×28×28`` with a dynamic batch dimension, already normalized as the app normalizes it (the
checkpoint's mean and std); its output is ``logits``, ``batch×classes``.

The caller's model is never changed: a CPU copy in eval mode is exported.
"""

from __future__ import annotations

import copy
import io

import torch
from torch import nn

from .messages import MessageError

INPUT_NAME = "image"
OUTPUT_NAME = "logits"


class ExportError(MessageError):
    """A model could not be exported; the message says why."""


def _cpu_copy(model: nn.Module) -> nn.Module:
    from .activations import model_lock

    with model_lock(model):   # not while another thread has its capture hooks on this model
        return copy.deepcopy(model).to("cpu").eval()


def to_onnx(model: nn.Module) -> bytes:
    """The model as an ONNX file (bytes): input ``image`` (batch×1×28×28, dynamic batch), output ``logits``."""
    model = _cpu_copy(model)
    # batch 2 in the example: torch.export specializes a dimension of size 1, which would fix the batch
    example = torch.zeros(2, 1, 28, 28)
    try:
        program = torch.onnx.export(model, (example,), dynamo=True, input_names=[INPUT_NAME],
                                    output_names=[OUTPUT_NAME],
                                    dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
        buffer = io.BytesIO()
        program.save(buffer)
    except Exception as exc:  # an exporter failure of any kind becomes one message for the page
        raise ExportError("export.error.onnx", detail=type(exc).__name__) from exc
    return buffer.getvalue()


def to_state_dict_bytes(model: nn.Module) -> bytes:
    """``torch.save`` of the model's ``state_dict`` (CPU tensors only; loads with ``weights_only=True``)."""
    state = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()
