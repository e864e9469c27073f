"""Convolution kernels: the output-size formula, the hand-made presets, the checks of a custom kernel and
of the convolution's settings (:class:`ConvParams`).

The rest of the kernels page's computation lives in modules of its own, and is re-exported here (loaded
on first use) so that ``from cnnviz.kernels import convolve`` keeps working:

* :mod:`cnnviz.convolution`: the convolution itself (``F.conv2d`` on channels_last tensors);
* :mod:`cnnviz.display`: display scaling of signed outputs;
* :mod:`cnnviz.inspector`: the arithmetic behind one output pixel;
* :mod:`cnnviz.learned`: a checkpoint's learned first-layer kernels applied to any image.

Images are float32 in 0–255, ``H×W×C`` (C = 1 grayscale, 3 RGB).  Like ``nn.Conv2d`` the
"convolution" is a cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass

import numpy as np

from .messages import MessageError, Msg, msg


def output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1,
                ceil_mode: bool = False) -> int:
    """``floor((W - D*(F-1) - 1 + 2P) / S) + 1``, PyTorch's rule for conv and pooling.

    With dilation 1 this is the textbook ``(W - F + 2P)/S + 1``.  Returns 0 or less
    when the (dilated) kernel does not fit in the padded input.
    """
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if kernel < 1 or dilation < 1 or padding < 0:
        raise ValueError("kernel and dilation must be at least 1, padding at least 0")
    span = dilation * (kernel - 1) + 1
    num = size + 2 * padding - span
    if num < 0:
        return 0
    out = (math.ceil(num / stride) if ceil_mode else num // stride) + 1
    return out - 1 if ceil_mode and ceil_drops_last(size, kernel, padding, stride, dilation) else out


def ceil_drops_last(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> bool:
    """With ``ceil_mode``, whether PyTorch drops the last window that rounding up would add: it would start
    at ``(out − 1)·S ≥ W + P``, i.e. in the right padding, not in the image (``W=7, F=2, S=2, P=1``:
    ``⌈7/2⌉ + 1 = 5`` windows, the fifth would start at 8 ≥ 8, so there are 4)."""
    num = size + 2 * padding - (dilation * (kernel - 1) + 1)
    return num >= 0 and math.ceil(num / stride) * stride >= size + padding


def formula_text(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1,
                 ceil_mode: bool = False) -> str:
    """The formula with the numbers filled in, e.g. ``(28 − 5 + 2×2)/1 + 1 = 28``; with ``ceil_mode`` and a last
    window that would start in the padding, the ``− 1`` PyTorch takes off is written out
    (``⌈(7 − 2 + 2×1)/2⌉ + 1 − 1 = 4``), so the printed arithmetic gives the result."""
    out = output_size(size, kernel, padding, stride, dilation, ceil_mode)
    drop = " − 1" if ceil_mode and ceil_drops_last(size, kernel, padding, stride, dilation) else ""
    rnd = "⌈" if ceil_mode else "⌊"
    rnd_end = "⌉" if ceil_mode else "⌋"
    if dilation == 1:
        body = f"({size} − {kernel} + 2×{padding})"
    else:
        body = f"({size} − {dilation}×({kernel} − 1) − 1 + 2×{padding})"
    if stride == 1 and dilation == 1:
        return f"{body}/1 + 1 = {out}"
    return f"{rnd}{body}/{stride}{rnd_end} + 1{drop} = {out}"


# ----------------------------------------------------------------------------- presets

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
MAX_ABS_WEIGHT = 1e3
MAX_KERNEL_SIDE = 15


class KernelError(MessageError):
    """Bad kernel or convolution settings: a message key (``kern.err.*``, :mod:`cnnviz.texts.kernels`) and
    its arguments; ``str(err)`` is the English text."""


@dataclass(frozen=True)
class Preset:
    """A hand-made kernel; its title and description are the keys ``preset.<key>.title`` / ``.desc``."""

    key: str
    kernels: tuple[np.ndarray, ...]   # one kernel, or (x, y) for a gradient magnitude
    scaling: str = "clip"             # the display scaling that suits it
    combine: str = "single"           # "single" or "magnitude" (sqrt(gx² + gy²))

    @property
    def kernel(self) -> np.ndarray:
        return self.kernels[0]

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.kernels[0].shape)  # type: ignore[return-value]


def _k(rows, scale: float = 1.0) -> np.ndarray:
    return (np.asarray(rows, dtype=np.float64) * scale).astype(np.float32)


_SOBEL_X = _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
_SOBEL_Y = _k([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
_G5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1])

PRESETS: dict[str, Preset] = {p.key: p for p in [
    Preset("identity", (_k([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),)),
    Preset("sobel_x", (_SOBEL_X,), "diverging"),
    Preset("sobel_y", (_SOBEL_Y,), "diverging"),
    Preset("sobel_magnitude", (_SOBEL_X, _SOBEL_Y), "absolute", "magnitude"),
    Preset("scharr_x", (_k([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]]),), "diverging"),
    Preset("scharr_y", (_k([[-3, -10, -3], [0, 0, 0], [3, 10, 3]]),), "diverging"),
    Preset("prewitt_x", (_k([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),), "diverging"),
    Preset("prewitt_y", (_k([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),), "diverging"),
    Preset("laplacian", (_k([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),), "diverging"),
    Preset("outline", (_k([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),), "absolute"),
    Preset("box_blur", (_k(np.ones((3, 3)), 1 / 9),)),
    Preset("gaussian3", (_k([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),)),
    Preset("gaussian5", (_k(_G5, 1 / 256),)),
    Preset("sharpen", (_k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),)),
    Preset("emboss", (_k([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),)),
]}


def preset(key: str) -> Preset:
    try:
        return PRESETS[key]
    except KeyError:
        raise KernelError("kern.err.unknown_preset", key=key, choices=", ".join(PRESETS)) from None


# ----------------------------------------------------------------------------- custom kernels

def validate_kernel(values, sizes: tuple[int, ...] | None = None) -> np.ndarray:
    """A user's kernel as float32, or :class:`KernelError` naming the bad cell.

    Empty cells, text, NaN, ±inf and weights with ``|w| > 1000`` are rejected.
    """
    try:
        arr = np.array(values, dtype=object)
    except Exception:  # noqa: BLE001
        raise KernelError("kern.err.grid") from None
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise KernelError("kern.err.grid_2d")
    h, w = arr.shape
    if sizes is not None and (h not in sizes or w not in sizes):
        raise KernelError("kern.err.size", h=h, w=w, sizes=", ".join(f"{s}×{s}" for s in sizes))
    if h > MAX_KERNEL_SIDE or w > MAX_KERNEL_SIDE:
        raise KernelError("kern.err.too_large", h=h, w=w, max=MAX_KERNEL_SIDE)
    out = np.empty((h, w), dtype=np.float64)
    for r in range(h):
        for c in range(w):
            v = arr[r, c]
            where = dict(row=r + 1, col=c + 1)
            if v is None or (isinstance(v, str) and not v.strip()):
                raise KernelError("kern.err.cell_empty", **where)
            if isinstance(v, bool):
                raise KernelError("kern.err.cell_not_number", **where)
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise KernelError("kern.err.cell_text", value=str(v), **where) from None
            if math.isnan(f):
                raise KernelError("kern.err.cell_nan", **where)
            if math.isinf(f):
                raise KernelError("kern.err.cell_inf", **where)
            if abs(f) > MAX_ABS_WEIGHT:
                raise KernelError("kern.err.cell_range", value=f, max=MAX_ABS_WEIGHT, **where)
            out[r, c] = f
    return out.astype(np.float32)


def normalise(kernel: np.ndarray) -> tuple[np.ndarray, Msg]:
    """Divide by the sum so a flat image keeps its brightness; returns ``(kernel, how)`` (``how``: a message).

    A kernel whose weights sum to 0 (an edge detector) cannot be divided by its sum; it is
    scaled so its positive weights sum to 1 instead, which keeps outputs within ±255.
    """
    k = np.asarray(kernel, dtype=np.float64)
    total = float(k.sum())
    scale = float(np.abs(k).sum()) or 1.0
    if abs(total) > 1e-9 * scale:
        return (k / total).astype(np.float32), msg("norm.sum", total=total)
    positive = float(k[k > 0].sum())
    if positive == 0:
        return k.astype(np.float32), msg("norm.zero")
    return (k / positive).astype(np.float32), msg("norm.edge", positive=positive)


# ----------------------------------------------------------------------------- convolution settings

# grayscale; RGB with each channel filtered separately (depthwise); RGB as the 3 input channels of one
# Conv2d output map: the three per-channel results summed, plus a bias
COLOR_MODES = ("gray", "rgb", "conv3")
MAX_ABS_BIAS = 1e4


@dataclass(frozen=True)
class ConvParams:
    stride: int = 1
    padding: int = 0
    padding_mode: str = "zeros"
    dilation: int = 1
    color: str = "gray"   # one of COLOR_MODES
    bias: float = 0.0     # added to each output pixel in the "conv3" mode (a Conv2d layer's bias)


def whole_at_least(value, lo: int) -> bool:
    """``value`` is a whole number (a Python or numpy integer, not a bool) of at least ``lo``."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= lo


def check_params(height: int, width: int, kernel_shape: tuple[int, int], params: ConvParams) -> tuple[int, int]:
    """Validate settings for an image of ``height×width``; returns the output ``(height, width)``."""
    kh, kw = kernel_shape
    s, p, d = params.stride, params.padding, params.dilation
    for key, value, lo in (("kern.err.stride", s, 1), ("kern.err.dilation", d, 1), ("kern.err.padding", p, 0)):
        if not whole_at_least(value, lo):
            raise KernelError(key, value=value)
    if not (isinstance(params.bias, (int, float, np.number)) and abs(float(params.bias)) <= MAX_ABS_BIAS):
        raise KernelError("kern.err.bias", value=params.bias, max=MAX_ABS_BIAS)   # NaN fails too
    if params.padding_mode not in PADDING_MODES:
        raise KernelError("kern.err.padding_mode", mode=params.padding_mode, choices=", ".join(PADDING_MODES))
    if height < 1 or width < 1:
        raise KernelError("kern.err.empty_image")
    if p > 0 and params.padding_mode == "reflect" and (p >= height or p >= width):
        raise KernelError("kern.err.reflect", p=p, h=height, w=width)
    if p > 0 and params.padding_mode == "circular" and (p > height or p > width):
        raise KernelError("kern.err.circular", p=p, h=height, w=width)
    span_h, span_w = d * (kh - 1) + 1, d * (kw - 1) + 1
    if span_h > height + 2 * p or span_w > width + 2 * p:
        sizes = dict(kh=kh, kw=kw, ph=height + 2 * p, pw=width + 2 * p, h=height, w=width, p=p)
        if d > 1:
            raise KernelError("kern.err.no_fit_dilated", sh=span_h, sw=span_w, d=d, **sizes)
        raise KernelError("kern.err.no_fit", **sizes)
    return (output_size(height, kh, p, s, d), output_size(width, kw, p, s, d))


# ----------------------------------------------------------------------------- re-exports

_MOVED = {
    "convolution": ("STRIPES", "ConvResult", "apply_kernels", "apply_preset", "convolve", "correlate",
                    "prepare_input", "size_text"),
    "display": ("SCALINGS", "DisplayImage", "diverging_rgb", "scale_for_display"),
    "inspector": ("Inspection", "inspect_pixel", "output_pixel_near"),
    "learned": ("LearnedResult", "apply_learned", "first_conv"),
}
_WHERE = {name: module for module, names in _MOVED.items() for name in names}


def __getattr__(name: str):
    """``kernels.convolve`` and the other names of the split-off modules, imported on first use (the
    modules import this one, so importing them here at the top would be circular)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
