"""Convolution kernels and the output-size formula."""

from __future__ import annotations

import math


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
    if ceil_mode and (out - 1) * stride >= size + padding:  # PyTorch: last window must start inside
        out -= 1
    return out


def formula_text(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1,
                 ceil_mode: bool = False) -> str:
    """The formula with the numbers filled in, e.g. ``(28 − 5 + 2×2)/1 + 1 = 28``."""
    out = output_size(size, kernel, padding, stride, dilation, ceil_mode)
    rnd = "⌈" if ceil_mode else "⌊"
    rnd_end = "⌉" if ceil_mode else "⌋"
    if dilation == 1:
        body = f"({size} − {kernel} + 2×{padding})"
    else:
        body = f"({size} − {dilation}×({kernel} − 1) − 1 + 2×{padding})"
    if stride == 1 and dilation == 1:
        return f"{body}/1 + 1 = {out}"
    return f"{rnd}{body}/{stride}{rnd_end} + 1 = {out}"
