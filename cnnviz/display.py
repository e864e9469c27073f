"""Display scaling: a (possibly signed) convolution output mapped to a uint8 picture, with a legend
(messages) that says what black, white or the colours mean."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import colors
from .kernels import KernelError
from .messages import Msg, msg

SCALINGS = ("clip", "absolute", "minmax", "diverging")   # explained by the keys scaling.<name>

RDBU = colors.rgb_stops(colors.RDBU_R)   # blue (negative) → white (0) → red (positive), (11, 3) float64


def diverging_rgb(values: np.ndarray, limit: float) -> np.ndarray:
    """Map values in ``[-limit, limit]`` to RdBu colours (uint8 ``…×3``); ``limit <= 0`` gives white."""
    v = np.asarray(values, dtype=np.float64)
    t = np.zeros_like(v) if limit <= 0 or not math.isfinite(limit) else np.clip(v / limit, -1.0, 1.0)
    pos = (t + 1.0) * 5.0                     # 0..10 along the 11 anchors
    i0 = np.clip(np.floor(pos).astype(int), 0, 9)
    frac = (pos - i0)[..., None]
    rgb = RDBU[i0] * (1.0 - frac) + RDBU[i0 + 1] * frac
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


@dataclass
class DisplayImage:
    image: np.ndarray     # uint8, H×W (gray) or H×W×3
    low: float            # the value shown as black (or as the blue end)
    high: float           # the value shown as white (or as the red end)
    scaling: str
    legend: tuple[Msg, ...]   # one line for the user: these messages, translated and joined in order
    factor: float = 1.0       # display downscale factor (1 = full resolution)
    flat: bool = False


def _robust_top(values: np.ndarray, percentile: float | None) -> tuple[float, float]:
    """``(limit, max)`` of ``|values|``: the limit is the given percentile (a few extreme pixels
    would otherwise wash out everything else), never 0 unless every value is 0."""
    a = np.abs(values.ravel())
    top = float(a.max())
    if percentile is None or top == 0:
        return top, top
    if a.size > 4_000_000:                 # a regular subsample is plenty for a percentile
        a = a[:: a.size // 2_000_000]
    limit = float(np.percentile(a, percentile))
    return (limit if limit > 0 else top), top


def scale_for_display(output: np.ndarray, scaling: str = "clip", max_side: int | None = None,
                      percentile: float | None = 99.5) -> DisplayImage:
    """Map a (possibly signed) output to uint8 for showing.  A flat output never divides by zero.

    The limits come from the full-resolution output; with ``max_side`` only the picture shown is
    downscaled (area averaging) afterwards.  ``H×W×1`` becomes ``H×W``; for a 3-channel output the
    diverging map shows the mean of the channels.  ``absolute`` and ``diverging`` saturate at the
    ``percentile`` of ``|output|`` (``None``: at the maximum), which the legend states.
    """
    from .images import display_downscale

    if scaling not in SCALINGS:
        raise KernelError("kern.err.scaling", scaling=scaling, choices=", ".join(SCALINGS))
    out = np.asarray(output, dtype=np.float32)
    if out.ndim == 3 and out.shape[2] == 1:
        out = out[..., 0]
    if out.size == 0:
        raise KernelError("kern.err.empty_output")
    lo, hi = float(out.min()), float(out.max())
    flat = hi == lo
    small, factor = display_downscale(out, max_side) if max_side else (out, 1.0)
    small = small.astype(np.float64)
    if scaling == "clip":
        img = np.clip(np.rint(small), 0, 255).astype(np.uint8)
        return DisplayImage(img, 0.0, 255.0, scaling, (msg("legend.clip", lo=lo, hi=hi),), factor, flat)
    if scaling == "minmax":
        if flat:
            img, legend = np.full(small.shape, 128, np.uint8), msg("legend.minmax_flat", lo=lo)
        else:
            img = np.clip(np.rint((small - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)
            legend = msg("legend.minmax", lo=lo, hi=hi)
        return DisplayImage(img, lo, hi, scaling, (legend,), factor, flat)
    limit, top = _robust_top(out, percentile)
    sat = () if limit >= top else (msg("legend.sat", top=top, percentile=percentile),)
    if scaling == "absolute":
        img = np.zeros(small.shape, np.uint8) if limit == 0 else \
            np.clip(np.rint(np.abs(small) * (255.0 / limit)), 0, 255).astype(np.uint8)
        legend = (msg("legend.absolute_zero"),) if limit == 0 else (msg("legend.absolute", limit=limit), *sat)
        return DisplayImage(img, 0.0, limit, scaling, legend, factor, flat)
    # diverging
    img = diverging_rgb(small.mean(axis=2) if small.ndim == 3 else small, limit)
    legend = (msg("legend.diverging_zero"),) if limit == 0 else (msg("legend.diverging", limit=limit), *sat)
    if small.ndim == 3:
        legend += (msg("legend.rgb_mean"),)
    return DisplayImage(img, -limit, limit, scaling, legend, factor, flat)
