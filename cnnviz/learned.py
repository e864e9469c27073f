"""Learned kernels: a checkpoint's first convolution (weights and bias) applied to any image, as the
network applies it to its digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .convolution import _padded
from .kernels import PADDING_MODES, ConvParams, KernelError, check_params


def first_conv(model: torch.nn.Module) -> tuple[str, torch.nn.Conv2d]:
    """The first ``nn.Conv2d`` a model registers (its "conv1"), or :class:`KernelError`."""
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Conv2d):
            return name, mod
    raise KernelError("kern.err.no_conv")


@dataclass
class LearnedResult:
    layer: str                    # the module's dotted name
    weights: np.ndarray           # out×kh×kw (first input channel; MNIST models have one)
    bias: np.ndarray | None
    maps: list[np.ndarray]        # each output map, downscaled for display only
    ranges: list[tuple[float, float]]   # each full-resolution map's (min, max)
    in_size: tuple[int, int]
    out_size: tuple[int, int]
    kernel_size: tuple[int, int]
    stride: int
    padding: int
    dilation: int
    factor: float = 1.0


@torch.no_grad()
def apply_learned(pixels: np.ndarray, model: torch.nn.Module, mean: float = 0.1307, std: float = 0.3081,
                  invert: bool = False, display_side: int = 240, chunk_bytes: int = 64 * 2**20) -> LearnedResult:
    """Run a checkpoint's first convolution (weights and bias) over the image at full resolution.

    The image is turned to grayscale in 0–1 (optionally inverted: MNIST digits are white on
    black) and normalised with the checkpoint's mean and std, as the network saw its digits.
    Maps are computed a few channels at a time so memory stays bounded, then downscaled for
    display only.
    """
    from .images import display_downscale, to_gray

    name, conv = first_conv(model)
    if conv.in_channels != 1 or conv.groups != 1:
        raise KernelError("kern.err.in_channels", layer=name, n=conv.in_channels)
    gray = to_gray(np.asarray(pixels, dtype=np.float32)) if np.ndim(pixels) == 3 else \
        np.asarray(pixels, dtype=np.float32)
    x = gray / np.float32(255.0)
    if invert:
        x = np.float32(1.0) - x
    x = (x - np.float32(mean)) / np.float32(std)
    weight = conv.weight.detach().to("cpu", torch.float32)
    bias = conv.bias.detach().to("cpu", torch.float32) if conv.bias is not None else None
    kh, kw = conv.kernel_size
    s, d = conv.stride[0], conv.dilation[0]
    pad = conv.padding[0] if isinstance(conv.padding, tuple) else 0
    if isinstance(conv.padding, str):     # 'same' / 'valid'
        pad = (d * (kh - 1)) // 2 if conv.padding == "same" else 0
    mode = conv.padding_mode if conv.padding_mode in PADDING_MODES else "zeros"
    params = ConvParams(s, pad, mode, d)
    oh, ow = check_params(gray.shape[0], gray.shape[1], (kh, kw), params)
    t = torch.from_numpy(np.ascontiguousarray(x))[None, None]
    t, p_left = _padded(t, params)
    per_chunk = max(1, int(chunk_bytes // max(1, oh * ow * 4)))
    maps, ranges = [], []
    factor = 1.0
    for start in range(0, conv.out_channels, per_chunk):
        stop = min(conv.out_channels, start + per_chunk)
        y = F.conv2d(t, weight[start:stop], None if bias is None else bias[start:stop],
                     stride=s, padding=p_left, dilation=d)[0]
        for m in y:
            arr = m.numpy()
            ranges.append((float(arr.min()), float(arr.max())))
            small, factor = display_downscale(arr, display_side)
            maps.append(np.array(small, dtype=np.float32, copy=True))
    return LearnedResult(name, weight[:, 0].numpy().copy(), None if bias is None else bias.numpy().copy(),
                         maps, ranges, (gray.shape[0], gray.shape[1]), (oh, ow), (kh, kw), s, pad, d, factor)
