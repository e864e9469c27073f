"""The pixel inspector: the input window, the kernel, the products and their sum behind one output pixel,
and which output pixel a click on the input picture selects."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .convolution import ConvResult
from .kernels import ConvParams, KernelError


def _source_index(i: np.ndarray, n: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Map padded coordinates to image coordinates; returns ``(index, inside)``."""
    inside = (i >= 0) & (i < n)
    if mode == "zeros":
        return np.clip(i, 0, n - 1), inside
    if mode == "replicate":
        return np.clip(i, 0, n - 1), inside
    if mode == "circular":
        return np.mod(i, n), inside
    # reflect without repeating the edge: -1 -> 1, n -> n-2
    j = np.abs(i)
    j = np.where(j > n - 1, 2 * (n - 1) - j, j)
    return j, inside


@dataclass
class Inspection:
    row: int                       # output position
    col: int
    channel: int
    rows: np.ndarray               # the input row of each kernel row (may lie in the padding)
    cols: np.ndarray
    window: np.ndarray             # kh×kw input values under the kernel (padding filled in)
    in_padding: np.ndarray         # kh×kw, True where the value comes from the padding
    kernels: list[np.ndarray]
    products: list[np.ndarray]     # window × kernel, element-wise, per kernel
    sums: list[float]              # the output before combining, per kernel: Σ products (conv3: Σ over channels + b)
    value: float                   # the sum, or √(gx² + gy²) for the magnitude
    output_value: float            # the pixel of the computed output
    combine: str = "single"
    channel_sums: list[list[float]] = field(default_factory=list)   # conv3: per kernel, Σ products per channel
    bias: float = 0.0              # conv3: the bias added to the channels' sum

    @property
    def matches(self) -> bool:
        return bool(np.isclose(self.value, self.output_value, rtol=1e-5, atol=1e-4))


def inspect_pixel(result: ConvResult, row: int, col: int, channel: int = 0) -> Inspection:
    """The arithmetic behind output pixel ``(row, col)`` of ``result``'s channel ``channel``.

    In the ``conv3`` mode the output pixel is the sum over the three input channels plus the bias; the window
    and products are those of input channel ``channel``, :attr:`Inspection.channel_sums` has all three.

    Products and sums are computed in float64 (exact for float32 inputs); the output pixel is
    the conv2d result.  They agree exactly for integer pixels and dyadic kernels (Sobel,
    Laplacian, Gaussian, ...), and to float32 rounding otherwise.
    """
    oh, ow = result.out_size
    if not (0 <= row < oh and 0 <= col < ow):
        raise KernelError("kern.err.outside", row=row, col=col, oh=oh, ow=ow)
    c = result.input.shape[2]
    if not 0 <= channel < c:
        raise KernelError("kern.err.channel", channel=channel, n=c)
    p = result.params
    n_k, kh, kw = result.kernels.shape
    h, w = result.in_size
    rows = row * p.stride - p.padding + np.arange(kh) * p.dilation
    cols = col * p.stride - p.padding + np.arange(kw) * p.dilation
    ri, rin = _source_index(rows, h, p.padding_mode)
    ci, cin = _source_index(cols, w, p.padding_mode)
    windows = result.input[np.ix_(ri, ci)][..., :c].astype(np.float64)     # kh×kw×C
    in_padding = ~(rin[:, None] & cin[None, :])
    if p.padding_mode == "zeros":
        windows = np.where(in_padding[..., None], 0.0, windows)
    window = windows[..., channel]
    kernels = [result.kernels[k].astype(np.float64) for k in range(n_k)]
    products = [window * k for k in kernels]
    sums = [math.fsum(pr.ravel().tolist()) for pr in products]
    channel_sums, bias = [], 0.0
    if p.color == "conv3":
        bias = float(np.float32(p.bias))
        channel_sums = [[math.fsum((windows[..., ch] * k).ravel().tolist()) for ch in range(c)] for k in kernels]
        sums = [math.fsum([*cs, bias]) for cs in channel_sums]
    value = math.sqrt(sums[0] ** 2 + sums[1] ** 2) if result.combine == "magnitude" else sums[0]
    out_channel = channel if result.output.shape[2] > 1 else 0
    return Inspection(row, col, channel, rows, cols, window, in_padding, kernels, products, sums, value,
                      float(result.output[row, col, out_channel]), result.combine, channel_sums, bias)


def output_pixel_near(row: float, col: float, kernel_shape: tuple[int, int], params: ConvParams,
                      out_size: tuple[int, int]) -> tuple[int, int]:
    """The output pixel whose input window is centred nearest to input position ``(row, col)``.

    Output row ``r`` reads input rows ``r·S − P + D·i`` (``i = 0 … kh−1``), centred on
    ``r·S − P + D·(kh−1)/2``; the nearest centre is that equation solved for ``r`` and rounded (ties to
    the lower row), clamped to the output.  What a click on the input picture selects."""
    def nearest(x: float, k: int, n: int) -> int:
        r = math.ceil((x + params.padding - params.dilation * (k - 1) / 2) / params.stride - 0.5)
        return min(max(r, 0), n - 1)

    if not all(math.isfinite(v) for v in (row, col)) or min(out_size) < 1:
        raise KernelError("kern.err.no_pick")
    return nearest(row, kernel_shape[0], out_size[0]), nearest(col, kernel_shape[1], out_size[1])
