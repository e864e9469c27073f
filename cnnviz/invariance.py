"""Translation invariance, measured: shift the digit by a few pixels and see how much each layer changes.

:func:`translation_changes` moves a 28×28 digit right, left, down and up by ``shift`` pixels (the pixels
that enter are empty paper), runs every version through the network (:func:`cnnviz.featuremaps.analyze`)
and reports, per layer, the relative L2 change ``‖a(shifted) − a‖ / ‖a‖`` averaged over the four
directions.  Convolutions move their maps with the digit, so they change a lot; pooling keeps the
largest (or mean) value of a window wherever in the window it lies, so pooled layers change less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from . import drawing, featuremaps

DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))    # (rows, cols): right, left, down, up
POOL_KINDS = {"MaxPool2d", "AvgPool2d"}


@dataclass(frozen=True)
class LayerChange:
    name: str          # the layer's name as the analysis lists it
    kind: str          # its module class ("Conv2d", "MaxPool2d", …)
    change: float      # mean relative L2 change over the directions
    pooled: bool       # a pooling layer


def shift_digit(digit_u8: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The 28×28 digit moved by ``rows`` down and ``cols`` right; what enters is 0 (empty paper)."""
    d = np.asarray(digit_u8)
    out = np.zeros_like(d)
    h, w = d.shape
    src = d[max(0, -rows):h - max(0, rows), max(0, -cols):w - max(0, cols)]
    out[max(0, rows):max(0, rows) + src.shape[0], max(0, cols):max(0, cols) + src.shape[1]] = src
    return out


def relative_change(a: np.ndarray, b: np.ndarray) -> float:
    """``‖b − a‖ / ‖a‖`` (0 when both are zero, infinity when only ``a`` is)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    base = float(np.linalg.norm(a64))
    diff = float(np.linalg.norm(b64 - a64))
    if base == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / base


def translation_changes(model: nn.Module, digit_u8: np.ndarray, mean: float, std: float, shift: int = 1,
                        directions=DIRECTIONS) -> list[LayerChange]:
    """Per layer of the analysis (in forward order), how much its output changes when the digit moves
    by ``shift`` pixels (1–3), averaged over ``directions``."""
    if not 1 <= int(shift) <= 27:
        raise ValueError("shift must be between 1 and 27 pixels")
    d = np.asarray(digit_u8, np.uint8)

    def layers(u8):
        return featuremaps.analyze(model, drawing.mnist_tensor(u8, mean, std)).layers

    base = layers(d)
    changes = np.zeros(len(base))
    for dy, dx in directions:
        moved = layers(shift_digit(d, dy * shift, dx * shift))
        changes += [relative_change(a.values, b.values) for a, b in zip(base, moved)]
    changes /= len(directions)
    return [LayerChange(v.name, v.kind, float(c), v.kind in POOL_KINDS) for v, c in zip(base, changes)]
