"""Max and average pooling on images, a pyramid of repeated pooling, and a worked example.

Computed with ``F.max_pool2d`` / ``F.avg_pool2d`` on channels_last tensors, with PyTorch's
rules: max pooling pads with −∞ (padding never wins), average pooling pads with zeros that
count in the mean (``count_include_pad=True``), padding is at most half the window, and with
``ceil_mode`` a last, partial window is kept if it starts inside the (left-padded) input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .convolution import _as_nchw_channels_last
from .kernels import ceil_drops_last, formula_text, output_size, whole_at_least
from .messages import MessageError

KINDS = ("max", "avg")   # titles: the keys pool_kind.<kind>


class PoolingError(MessageError):
    """Bad pooling settings: a message key (``pool.err.*``, :mod:`cnnviz.texts.pooling`) and its arguments;
    ``str(err)`` is the English text."""


@dataclass(frozen=True)
class PoolParams:
    kind: str = "max"
    kernel: int = 2
    stride: int | None = None      # None: the kernel size, as in nn.MaxPool2d
    padding: int = 0
    ceil_mode: bool = False

    @property
    def step(self) -> int:
        return self.kernel if self.stride is None else self.stride


def check_params(height: int, width: int, params: PoolParams) -> tuple[int, int]:
    """Validate settings for an ``height×width`` input; returns the output ``(height, width)``."""
    k, s, p = params.kernel, params.step, params.padding
    if params.kind not in KINDS:
        raise PoolingError("pool.err.kind", kind=params.kind)
    for key, value, lo in (("pool.err.window", k, 1), ("pool.err.stride", s, 1), ("pool.err.padding", p, 0)):
        if not whole_at_least(value, lo):
            raise PoolingError(key, value=value)
    if p > k // 2:
        raise PoolingError("pool.err.padding_half", p=p, k=k, half=k // 2)
    if height < 1 or width < 1:
        raise PoolingError("pool.err.empty_image")
    if k > height + 2 * p or k > width + 2 * p:
        raise PoolingError("pool.err.no_fit", k=k, ph=height + 2 * p, pw=width + 2 * p, h=height, w=width, p=p)
    oh = output_size(height, k, p, s, 1, params.ceil_mode)
    ow = output_size(width, k, p, s, 1, params.ceil_mode)
    return oh, ow


def dropped_windows(height: int, width: int, params: PoolParams) -> dict[str, tuple[int, int]]:
    """With ``ceil_mode``: for each of ``"height"``/``"width"`` where PyTorch drops the last window that
    rounding up adds, ``(start, limit)``: where that window would start in the padded input, and ``W + P``
    (it starts in the right padding when ``start ≥ W + P``).  Empty without ``ceil_mode``."""
    k, s, p = params.kernel, params.step, params.padding
    out = {}
    for name, n in (("height", height), ("width", width)):
        if params.ceil_mode and ceil_drops_last(n, k, p, s):
            out[name] = (-(-(n + 2 * p - k) // s) * s, n + p)
    return out


def formulas(height: int, width: int, params: PoolParams) -> dict[str, str]:
    k, s, p = params.kernel, params.step, params.padding
    return {"height": formula_text(height, k, p, s, 1, params.ceil_mode),
            "width": formula_text(width, k, p, s, 1, params.ceil_mode)}


def _torch_pool(t: torch.Tensor, params: PoolParams, return_indices: bool = False):
    if params.kind == "max":
        return F.max_pool2d(t, params.kernel, params.step, params.padding, ceil_mode=params.ceil_mode,
                            return_indices=return_indices)
    return F.avg_pool2d(t, params.kernel, params.step, params.padding, ceil_mode=params.ceil_mode,
                        count_include_pad=True)


@torch.no_grad()
def pool(pixels: np.ndarray, params: PoolParams = PoolParams()) -> np.ndarray:
    """Pool an ``H×W`` or ``H×W×C`` float array; the output keeps the channel layout."""
    x = np.asarray(pixels, dtype=np.float32)
    if x.ndim not in (2, 3):
        raise PoolingError("pool.err.shape", shape="×".join(map(str, x.shape)))
    check_params(x.shape[0], x.shape[1], params)
    t = _as_nchw_channels_last(np.ascontiguousarray(x[..., None] if x.ndim == 2 else x))   # no copy
    y = _torch_pool(t, params)[0].permute(1, 2, 0).contiguous().numpy()
    return y[..., 0] if x.ndim == 2 else y


@dataclass
class PyramidLevel:
    pixels: np.ndarray
    height: int
    width: int
    formula: str        # how this level's width follows from the previous one ("" for the input)


def pyramid(pixels: np.ndarray, params: PoolParams = PoolParams(), max_levels: int = 6,
            min_side: int = 1) -> list[PyramidLevel]:
    """The input, then the same pooling applied again and again while the window still fits."""
    x = np.asarray(pixels, dtype=np.float32)
    check_params(x.shape[0], x.shape[1], params)
    levels = [PyramidLevel(x, x.shape[0], x.shape[1], "")]
    while len(levels) < max_levels:
        h, w = levels[-1].height, levels[-1].width
        try:
            oh, ow = check_params(h, w, params)
        except PoolingError:
            break
        if oh < min_side or ow < min_side or (oh, ow) == (h, w):
            break
        levels.append(PyramidLevel(pool(levels[-1].pixels, params), oh, ow,
                                   formulas(h, w, params)["width"]))
    return levels


# ----------------------------------------------------------------------------- worked example

@dataclass
class Window:
    out_row: int
    out_col: int
    rows: tuple[int, int]      # [start, stop) in input coordinates, clipped to the padded input
    cols: tuple[int, int]
    value: float               # the output value
    winner: tuple[int, int] | None = None   # max pooling: the input cell that won
    count: int = 0             # average pooling: how many cells (padding included) the mean divides by


@dataclass
class WorkedExample:
    grid: np.ndarray           # the input, H×W
    params: PoolParams
    output: np.ndarray         # H'×W'
    windows: list[Window]
    formula_height: str
    formula_width: str

    @property
    def padding(self) -> int:
        return self.params.padding


def random_grid(seed: int = 0, size: int = 6, high: int = 9) -> np.ndarray:
    """A small grid of whole numbers 0..high, reproducible from ``seed``."""
    return np.random.default_rng(seed).integers(0, high + 1, size=(size, size)).astype(np.float32)


@torch.no_grad()
def worked_example(grid: np.ndarray, params: PoolParams = PoolParams()) -> WorkedExample:
    """Every window of a small grid: where it lies, its winner (max) or its divisor (avg)."""
    g = np.asarray(grid, dtype=np.float32)
    if g.ndim != 2:
        raise PoolingError("pool.err.grid_2d")
    h, w = g.shape
    oh, ow = check_params(h, w, params)
    t = torch.from_numpy(np.ascontiguousarray(g))[None, None]
    winners = None
    if params.kind == "max":
        out, idx = _torch_pool(t, params, return_indices=True)
        winners = idx[0, 0].numpy()
    else:
        out = _torch_pool(t, params)
    out = out[0, 0].numpy()
    k, s, p = params.kernel, params.step, params.padding
    windows = []
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - p, j * s - p
            r1, c1 = min(r0 + k, h + p), min(c0 + k, w + p)
            win = Window(i, j, (r0, r1), (c0, c1), float(out[i, j]))
            if winners is not None:
                flat = int(winners[i, j])
                win.winner = (flat // w, flat % w)
            else:
                win.count = (r1 - r0) * (c1 - c0)
            windows.append(win)
    fh = formula_text(h, k, p, s, 1, params.ceil_mode)
    fw = formula_text(w, k, p, s, 1, params.ceil_mode)
    return WorkedExample(g, params, out, windows, fh, fw)
