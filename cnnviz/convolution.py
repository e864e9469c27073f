"""The convolution of the kernels page: one or more kernels over a grayscale or RGB image with
``F.conv2d`` on channels_last tensors (what ``nn.Conv2d`` computes: a cross-correlation, the kernel is not
flipped), and the gradient magnitude of two kernels.

Settings and their checks are :class:`cnnviz.kernels.ConvParams` and :func:`cnnviz.kernels.check_params`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .images import rgbx_base, to_gray
from .kernels import COLOR_MODES, ConvParams, KernelError, check_params, formula_text, preset
from .runtime import malloc_tuned

DEFAULTS = ConvParams()   # stride 1, no padding, grayscale


def prepare_input(pixels: np.ndarray, color: str = "gray") -> np.ndarray:
    """``H×W×C`` float32 (C = 1 for grayscale, 3 for RGB), C-contiguous; RGB stored as RGBX
    (:func:`cnnviz.images.rgbx`, what the image loader makes) stays that view.  In the ``conv3`` mode a
    grayscale image becomes three equal channels (what a 3-channel Conv2d would be given)."""
    pixels = np.asarray(pixels)
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (1, 3)):
        raise KernelError("kern.err.image_shape", shape="×".join(map(str, pixels.shape)))
    if color not in COLOR_MODES:
        raise KernelError("kern.err.color", color=color, choices=", ".join(COLOR_MODES))
    if color == "conv3" and (pixels.ndim == 2 or pixels.shape[2] == 1):
        return np.repeat(np.asarray(pixels, dtype=np.float32).reshape(pixels.shape[:2])[..., None], 3, axis=2)
    if color == "gray" or pixels.ndim == 2:
        x = to_gray(pixels) if pixels.ndim == 3 and pixels.shape[2] == 3 else pixels.reshape(pixels.shape[:2])
        return np.ascontiguousarray(x, dtype=np.float32)[..., None]
    if rgbx_base(pixels) is not None:
        return pixels
    return np.ascontiguousarray(pixels, dtype=np.float32)


# The pages' cached images are read-only arrays: torch shares them as they are (nothing here writes to an
# input; copying one would cost as much as the convolution), and its warning about that is silenced.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable", category=UserWarning)


def _as_nchw_channels_last(x: np.ndarray) -> torch.Tensor:
    """``H×W×C`` array → ``1×C×H×W`` tensor sharing memory (read-only too), channels_last (fast conv2d)."""
    return torch.from_numpy(x).unsqueeze(0).permute(0, 3, 1, 2)


def _padded(t: torch.Tensor, params: ConvParams) -> tuple[torch.Tensor, int]:
    """Apply a non-zero padding mode explicitly; returns the tensor and the padding left for conv2d."""
    p = params.padding
    if p == 0 or params.padding_mode == "zeros":
        return t, p
    t = F.pad(t, (p, p, p, p), mode=params.padding_mode)
    return t.contiguous(memory_format=torch.channels_last), 0


# oneDNN's depthwise convolution vectorises over channels (8 floats with AVX2), so a grayscale
# image (one channel) would use one lane in eight and is padded to eight output channels, then
# reordered back: about 8× slower than RGB.  Grayscale images are therefore cut into STRIPES
# horizontal stripes that become the channels of one depthwise conv2d (each stripe carries the
# rows its kernel windows reach beyond it), and the output stripes are put back in order.
STRIPES = 8


def _stripe_count(out_rows: int) -> int:
    return max(1, min(STRIPES, out_rows // 16))


@torch.no_grad()
def _correlate_gray(x: torch.Tensor, weights: torch.Tensor, params: ConvParams) -> list[torch.Tensor]:
    """``1×1×H×W`` → one ``H'×W'`` per kernel (a padding mode other than zeros is applied first)."""
    t, pad = _padded(x, params)
    _, _, hx, wx = t.shape
    s, d = params.stride, params.dilation
    _, _, kh, kw = weights.shape
    reach = (kh - 1) * d + 1                                     # rows one output row reads
    out_rows = (hx + 2 * pad - reach) // s + 1
    n = _stripe_count(out_rows)
    rows = -(-out_rows // n)                                     # output rows per stripe
    rows_in = (rows - 1) * s + reach                             # input rows per stripe
    buf = torch.empty((1, n, rows_in, wx), dtype=t.dtype, memory_format=torch.channels_last)
    stripes = buf[0].permute(1, 2, 0)                            # rows_in × W × n, a view
    src = t[0, 0]
    for j in range(n):                                           # stripe j: output rows [j*rows, ...)
        first = j * rows * s - pad                               # its first input row (may be padding)
        lo, hi = max(first, 0), min(first + rows_in, hx)
        top, bottom = max(lo - first, 0), max(hi - first, 0)    # rows [top, bottom) come from the image
        stripes[:min(top, rows_in), :, j] = 0                    # zero padding above the image
        stripes[max(bottom, top):, :, j] = 0                     # and below it (or past its end)
        if lo < hi:
            stripes[top:bottom, :, j] = src[lo:hi]
    out = []
    for w in weights:
        y = F.conv2d(buf, w.expand(n, 1, kh, kw).contiguous(memory_format=torch.channels_last),
                     stride=s, padding=(0, pad), dilation=d, groups=n)          # 1×n×rows×W', channels_last
        whole = y[0].reshape(n * rows, y.shape[3])                               # stripes back in order
        out.append(whole[:out_rows])
    return out


@torch.no_grad()
def _correlate_channels(x: torch.Tensor, weights: torch.Tensor, params: ConvParams) -> list[torch.Tensor]:
    """``1×C×H×W`` channels_last → one ``1×C×H'×W'`` channels_last per kernel (depthwise, groups=C)."""
    t, pad = _padded(x, params)
    c = t.shape[1]
    return [F.conv2d(t, w.expand(c, 1, *w.shape[1:]).contiguous(memory_format=torch.channels_last),
                     stride=params.stride, padding=pad, dilation=params.dilation, groups=c)
            for w in weights]


def correlate(x: np.ndarray, kernels: np.ndarray | list[np.ndarray], params: ConvParams) -> list[np.ndarray]:
    """Cross-correlate every channel of ``x`` (``H×W×C``) with each kernel (``K×kh×kw``).

    Returns K arrays ``H'×W'×C`` float32: what ``nn.Conv2d`` computes (no kernel flip), done with
    ``F.conv2d`` on channels_last tensors (grayscale: stripes as channels, see STRIPES).
    """
    ks = np.asarray(kernels, dtype=np.float32)
    if ks.ndim == 2:
        ks = ks[None]
    h, w, c = x.shape
    check_params(h, w, ks.shape[1:], params)
    weights = torch.from_numpy(np.ascontiguousarray(ks)).unsqueeze(1)          # K×1×kh×kw
    base = rgbx_base(x)
    if base is not None and (len(ks) == 1 or malloc_tuned()):
        # RGBX: four channels (the fourth is dropped), ~1.4× faster than three.  Several kernels (the
        # gradient magnitude) only where freed image-sized memory is reused (cnnviz.runtime): with glibc's
        # defaults, two 1920×1080×4 outputs alive at once are fresh memory each time, and faulting it in
        # costs more than the gain
        t = _as_nchw_channels_last(base)
        return [y[0].permute(1, 2, 0).numpy()[..., :3] for y in _correlate_channels(t, weights, params)]
    t = _as_nchw_channels_last(np.ascontiguousarray(x, dtype=np.float32))
    if c == 1:
        return [y.numpy()[..., None] for y in _correlate_gray(t, weights, params)]
    return [y[0].permute(1, 2, 0).numpy() for y in _correlate_channels(t, weights, params)]


def convolve(pixels: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0,
             padding_mode: str = "zeros", dilation: int = 1) -> np.ndarray:
    """One kernel over an ``H×W`` or ``H×W×C`` array; the output has the same number of channels."""
    x = np.asarray(pixels, dtype=np.float32)
    x3 = x[..., None] if x.ndim == 2 else x
    out = correlate(x3, np.asarray(kernel, dtype=np.float32), ConvParams(stride, padding, padding_mode, dilation))[0]
    return out[..., 0] if x.ndim == 2 else out


@dataclass
class ConvResult:
    input: np.ndarray        # H×W×C, what the kernel saw (grayscale or RGB)
    output: np.ndarray       # H'×W'×C, after combining (e.g. the gradient magnitude)
    kernels: np.ndarray      # K×kh×kw
    combine: str
    params: ConvParams

    @property
    def in_size(self) -> tuple[int, int]:
        return self.input.shape[0], self.input.shape[1]

    @property
    def out_size(self) -> tuple[int, int]:
        return self.output.shape[0], self.output.shape[1]


def apply_kernels(pixels: np.ndarray, kernels, params: ConvParams = DEFAULTS,
                  combine: str = "single") -> ConvResult:
    """Prepare the image (grayscale or RGB), convolve, and combine (``single`` or ``magnitude``).

    In the ``conv3`` colour mode each kernel's three per-channel results are summed and ``params.bias`` is
    added: one output map of a ``Conv2d(3, 1)`` whose weight holds the kernel for every input channel."""
    ks = np.asarray(kernels, dtype=np.float32)
    if ks.ndim == 2:
        ks = ks[None]
    if combine not in ("single", "magnitude"):
        raise KernelError("kern.err.combine", combine=combine)
    if combine == "magnitude" and ks.shape[0] != 2:
        raise KernelError("kern.err.magnitude")
    x = prepare_input(pixels, params.color)
    parts = correlate(x, ks, params)
    if params.color == "conv3":     # Σ over the input channels + the bias, in float32 as conv2d would
        bias = np.float32(params.bias)
        parts = [np.add(np.add.reduce(part[..., :3], axis=2, dtype=np.float32), bias)[..., None] for part in parts]
    output = parts[0]
    if combine == "magnitude":          # √(gx² + gy²), in place in gx's memory (RGBX: all four channels)
        gx, gy = (torch.from_numpy(b if (b := rgbx_base(p)) is not None else p) for p in parts[:2])
        gx.mul_(gx).addcmul_(gy, gy).sqrt_()
    return ConvResult(x, output, ks, combine, params)


def apply_preset(pixels: np.ndarray, key: str, params: ConvParams = DEFAULTS) -> ConvResult:
    p = preset(key)
    return apply_kernels(pixels, np.stack(p.kernels), params, p.combine)


def size_text(result_or_size, kernel_shape: tuple[int, int], params: ConvParams) -> dict[str, str]:
    """The formula with numbers for the height and the width of an ``H×W`` input."""
    h, w = result_or_size
    kh, kw = kernel_shape
    return {"height": formula_text(h, kh, params.padding, params.stride, params.dilation),
            "width": formula_text(w, kw, params.padding, params.stride, params.dilation)}
