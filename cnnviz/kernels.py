"""Convolution kernels: the output-size formula, presets, custom-kernel checks, the convolution
itself (``F.conv2d`` on channels_last tensors), display scaling for signed outputs, the pixel
inspector and a checkpoint's learned first-layer kernels applied to any image.

Images are float32 in 0–255, ``H×W×C`` (C = 1 grayscale, 3 RGB).  Like ``nn.Conv2d`` the
"convolution" is a cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .images import rgbx_base, to_gray
from .messages import MessageError, Msg, msg
from .runtime import malloc_tuned


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


# ----------------------------------------------------------------------------- convolution

COLOR_MODES = ("gray", "rgb")   # grayscale; RGB with each channel filtered separately


@dataclass(frozen=True)
class ConvParams:
    stride: int = 1
    padding: int = 0
    padding_mode: str = "zeros"
    dilation: int = 1
    color: str = "gray"   # one of COLOR_MODES


def prepare_input(pixels: np.ndarray, color: str = "gray") -> np.ndarray:
    """``H×W×C`` float32 (C = 1 for grayscale, 3 for per-channel RGB), C-contiguous; RGB stored as RGBX
    (:func:`cnnviz.images.rgbx`, what the image loader makes) stays that view."""
    pixels = np.asarray(pixels)
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (1, 3)):
        raise KernelError("kern.err.image_shape", shape="×".join(map(str, pixels.shape)))
    if color not in COLOR_MODES:
        raise KernelError("kern.err.color", color=color, choices=", ".join(COLOR_MODES))
    if color == "gray" or pixels.ndim == 2:
        x = to_gray(pixels) if pixels.ndim == 3 and pixels.shape[2] == 3 else pixels.reshape(pixels.shape[:2])
        return np.ascontiguousarray(x, dtype=np.float32)[..., None]
    if rgbx_base(pixels) is not None:
        return pixels
    return np.ascontiguousarray(pixels, dtype=np.float32)


def check_params(height: int, width: int, kernel_shape: tuple[int, int], params: ConvParams) -> tuple[int, int]:
    """Validate settings for an image of ``height×width``; returns the output ``(height, width)``."""
    kh, kw = kernel_shape
    s, p, d = params.stride, params.padding, params.dilation
    if not isinstance(s, (int, np.integer)) or s < 1:
        raise KernelError("kern.err.stride", value=s)
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise KernelError("kern.err.dilation", value=d)
    if not isinstance(p, (int, np.integer)) or p < 0:
        raise KernelError("kern.err.padding", value=p)
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


def apply_kernels(pixels: np.ndarray, kernels, params: ConvParams = ConvParams(),
                  combine: str = "single") -> ConvResult:
    """Prepare the image (grayscale or RGB), convolve, and combine (``single`` or ``magnitude``)."""
    ks = np.asarray(kernels, dtype=np.float32)
    if ks.ndim == 2:
        ks = ks[None]
    if combine not in ("single", "magnitude"):
        raise KernelError("kern.err.combine", combine=combine)
    if combine == "magnitude" and ks.shape[0] != 2:
        raise KernelError("kern.err.magnitude")
    x = prepare_input(pixels, params.color)
    parts = correlate(x, ks, params)
    output = parts[0]
    if combine == "magnitude":          # √(gx² + gy²), in place in gx's memory (RGBX: all four channels)
        gx, gy = (torch.from_numpy(b if (b := rgbx_base(p)) is not None else p) for p in parts[:2])
        gx.mul_(gx).addcmul_(gy, gy).sqrt_()
    return ConvResult(x, output, ks, combine, params)


def apply_preset(pixels: np.ndarray, key: str, params: ConvParams = ConvParams()) -> ConvResult:
    p = preset(key)
    return apply_kernels(pixels, np.stack(p.kernels), params, p.combine)


def size_text(result_or_size, kernel_shape: tuple[int, int], params: ConvParams) -> dict[str, str]:
    """The formula with numbers for the height and the width of an ``H×W`` input."""
    h, w = result_or_size
    kh, kw = kernel_shape
    return {"height": formula_text(h, kh, params.padding, params.stride, params.dilation),
            "width": formula_text(w, kw, params.padding, params.stride, params.dilation)}


# ----------------------------------------------------------------------------- display scaling

SCALINGS = ("clip", "absolute", "minmax", "diverging")   # explained by the keys scaling.<name>

# ColorBrewer RdBu, reversed: blue (negative) → white (0) → red (positive)
_RDBU = np.array([[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
                  [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
                  [103, 0, 31]], dtype=np.float64)


def diverging_rgb(values: np.ndarray, limit: float) -> np.ndarray:
    """Map values in ``[-limit, limit]`` to RdBu colours (uint8 ``…×3``); ``limit <= 0`` gives white."""
    v = np.asarray(values, dtype=np.float64)
    t = np.zeros_like(v) if limit <= 0 or not math.isfinite(limit) else np.clip(v / limit, -1.0, 1.0)
    pos = (t + 1.0) * 5.0                     # 0..10 along the 11 anchors
    i0 = np.clip(np.floor(pos).astype(int), 0, 9)
    frac = (pos - i0)[..., None]
    rgb = _RDBU[i0] * (1.0 - frac) + _RDBU[i0 + 1] * frac
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


# ----------------------------------------------------------------------------- pixel inspector

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
    sums: list[float]              # Σ products, per kernel
    value: float                   # the sum, or √(gx² + gy²) for the magnitude
    output_value: float            # the pixel of the computed output
    combine: str = "single"

    @property
    def matches(self) -> bool:
        return bool(np.isclose(self.value, self.output_value, rtol=1e-5, atol=1e-4))


def inspect_pixel(result: ConvResult, row: int, col: int, channel: int = 0) -> Inspection:
    """The arithmetic behind output pixel ``(row, col)`` of ``result``'s channel ``channel``.

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
    window = result.input[np.ix_(ri, ci)][..., channel].astype(np.float64)
    in_padding = ~(rin[:, None] & cin[None, :])
    if p.padding_mode == "zeros":
        window = np.where(in_padding, 0.0, window)
    kernels = [result.kernels[k].astype(np.float64) for k in range(n_k)]
    products = [window * k for k in kernels]
    sums = [math.fsum(pr.ravel().tolist()) for pr in products]
    value = math.sqrt(sums[0] ** 2 + sums[1] ** 2) if result.combine == "magnitude" else sums[0]
    return Inspection(row, col, channel, rows, cols, window, in_padding, kernels, products, sums, value,
                      float(result.output[row, col, channel]), result.combine)


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


# ----------------------------------------------------------------------------- learned kernels

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
