"""A model's layer table (layer, type, output shape, parameters) made with torchinfo.

The training page shows it next to the architecture's description, so a learner
sees how 1x28x28 becomes 10 logits before pressing Start.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from . import models
from .messages import Msg, msg


@dataclass
class LayerRow:
    layer: str          # dotted module path, e.g. "3.conv1" (the name forward hooks use)
    type: str           # class name, e.g. "Conv2d"
    depth: int          # nesting depth (1 = a direct child of the model)
    output_shape: str   # e.g. "16×12×12" (batch dimension left out)
    parameters: int     # parameters of this module including its children

    def as_dict(self) -> dict:
        indent = "\u2003" * (self.depth - 1)  # em spaces keep the nesting visible in a table
        return {"layer": f"{indent}{self.layer}", "type": self.type, "output shape": self.output_shape,
                "parameters": self.parameters}


def summary_rows(model_or_arch: nn.Module | str, depth: int = 3) -> tuple[list[LayerRow], int]:
    """Rows for every module down to ``depth`` and the total parameter count.

    Uses ``torchinfo.summary`` on a 1x1x28x28 input; output shapes drop the batch
    dimension.
    """
    from torchinfo import summary  # imported here: only the training page needs it

    model = models.build(model_or_arch) if isinstance(model_or_arch, str) else model_or_arch
    stats = summary(model, input_size=(1, 1, 28, 28), depth=depth, verbose=0, device="cpu",
                    col_names=("output_size", "num_params"))
    rows: list[LayerRow] = []
    paths: dict[int, str] = {}  # id(module) -> dotted path
    for info in stats.summary_list:
        if info.depth == 0:
            continue
        parent = info.parent_info
        # torchinfo's parent_info is a separate object per layer: match parents by module
        prefix = paths.get(id(parent.module), "") if parent is not None and parent.depth > 0 else ""
        path = f"{prefix}.{info.var_name}" if prefix else str(info.var_name)
        paths.setdefault(id(info.module), path)
        shape = info.output_size[1:] if isinstance(info.output_size, (list, tuple)) else []
        rows.append(LayerRow(path, info.class_name, info.depth,
                             "×".join(str(s) for s in shape) if shape else "",
                             int(info.num_params)))
    return rows, int(stats.total_params)


# ----------------------------------------------------------------------------- the size table of the home page

@dataclass
class SizeRow:
    """One leaf layer: how its output size follows from its input, what it sees of the input, what it learns."""

    name: str                             # module path ("c1")
    kind: str                             # class name ("Conv2d")
    in_shape: tuple[int, ...]             # without the batch axis
    out_shape: tuple[int, ...]
    size_rule: Msg | str                  # the rule for its kind with the numbers filled in (a str: only math)
    receptive_field: tuple[int, int] | None   # (height, width) on the input, not clipped; None after flatten
    parameters: int                       # the module's own parameters (numel)
    parameter_rule: Msg | str | None      # the arithmetic behind ``parameters`` (a str: only math), or None


def _size_rule(mod: nn.Module, inp: tuple[int, ...], out: tuple[int, ...], parts: list[int]) -> Msg | str:
    from .explain import _window_geometry
    from .kernels import formula_text

    if isinstance(mod, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        (_, k), (_, s), (_, p), (_, d) = _window_geometry(mod)
        return formula_text(inp[-1], k, p, s, d, bool(getattr(mod, "ceil_mode", False)))
    if isinstance(mod, nn.Linear):
        return msg("summary.size.linear", units=mod.out_features)
    if isinstance(mod, nn.Flatten) and len(inp) == 3:
        c, h, w = inp
        return f"C·H·W = {c}·{h}·{w} = {c * h * w}"
    if isinstance(mod, models.Concat):
        return msg("summary.size.concat", parts=" + ".join(map(str, parts)), n=sum(parts))
    if isinstance(mod, models.SkipAdd):
        return msg("summary.size.add")
    if inp == out:
        return msg("summary.size.unchanged")
    return msg("summary.size.other", shape="×".join(map(str, out)))


def _parameter_rule(mod: nn.Module, n: int) -> Msg | str | None:
    if n == 0:
        return None
    if isinstance(mod, nn.Conv2d):
        kh, kw = mod.kernel_size
        per = mod.in_channels // mod.groups
        if mod.bias is not None:
            return f"{mod.out_channels}·({per}·{kh}·{kw}) + {mod.out_channels} = {n:,}"
        return msg("summary.params.conv", out=mod.out_channels, cin=per, kh=kh, kw=kw, n=n)
    if isinstance(mod, nn.Linear):
        if mod.bias is not None:
            return f"{mod.in_features}·{mod.out_features} + {mod.out_features} = {n:,}"
        return msg("summary.params.linear", cin=mod.in_features, out=mod.out_features, n=n)
    if isinstance(mod, nn.modules.batchnorm._BatchNorm) and mod.affine:
        return msg("summary.params.batch_norm", c=mod.num_features, n=n)
    return f"{n:,}"


def size_table(model_or_arch: nn.Module | str, input_shape: tuple[int, ...] = (1, 1, 28, 28)) -> list[SizeRow]:
    """A row for every leaf layer of the model, in the order they run: shapes from running a zero input
    through the model, the size rule of each kind (conv/pool: the floor formula; fully connected: the
    number of units; flatten: C·H·W; ReLU and batch norm: unchanged), the receptive field of a cell in
    the middle of the layer's maps (:func:`cnnviz.explain.receptive_field`, not clipped to the image) and
    the parameter count with its arithmetic (C1: 6·(1·5·5) + 6 = 156)."""
    import torch

    from . import explain

    model = models.build(model_or_arch) if isinstance(model_or_arch, str) else model_or_arch
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    tr = explain.trace(explain._eval_copy(model), torch.zeros(input_shape, device=device))
    rows = []
    for name, rec in tr.records.items():
        mod = rec.module
        inp, out = tuple(rec.inputs[0].shape[1:]), tuple(rec.output.shape[1:])
        rf = None
        if rec.output.dim() == 4:
            _, _, h, w = rec.output.shape
            box = explain.receptive_field(tr, name, (None, h // 2, w // 2), clip=False)  # any channel
            rf = None if box is None else (box[2] - box[0] + 1, box[3] - box[1] + 1)
        n = sum(p.numel() for p in mod.parameters(recurse=False))
        rows.append(SizeRow(name, type(mod).__name__, inp, out,
                            _size_rule(mod, inp, out, [int(t.shape[1]) for t in rec.inputs]), rf, n,
                            _parameter_rule(mod, n)))
    return rows
