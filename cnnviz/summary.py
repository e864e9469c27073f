"""A model's layer table (layer, type, output shape, parameters) made with torchinfo.

The training page shows it next to the architecture's description, so a learner
sees how 1x28x28 becomes 10 logits before pressing Start.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from . import models


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
