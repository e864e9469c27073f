"""Canvas drawing -> the 28x28 image the network sees, the way MNIST was made.

MNIST's digits were cropped to their ink, scaled so the longer side is 20 px
(anti-aliased, keeping the aspect ratio) and placed in a 28x28 field so that the
centre of mass sits in the middle.  :func:`preprocess` does the same to the RGBA
array that ``streamlit-drawable-canvas`` returns, plus one step MNIST did not
need: the stroke width is brought to that of a typical MNIST digit, so a drawing
made with a thin or a very thick brush still looks like (and is classified like)
an MNIST digit.

Canvas colours.  The page draws white strokes on a black background (it looks
like MNIST), but any canvas works: on a transparent background the ink is the
alpha channel (black-on-transparent, the component's default), on an opaque
background it is the difference from the background colour (taken from the
border pixels).

An empty canvas gives ``None``, never an exception.

:func:`draw_strokes` and :func:`render_digit` make canvas-like RGBA arrays from
polylines or from a 28x28 MNIST digit (for tests and benchmarks).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw
from scipy import ndimage

SIZE = 28                 # MNIST's field
BOX = 20                  # MNIST's longer side of the digit
CENTRE = (14.0, 14.0)     # where MNIST's centres of mass sit (measured on the embedded digits: 14.0, 14.0)
STROKE_PX = 2.7           # median MNIST stroke width in pixels of the 28x28 image (measured, embedded digits)
INK_THRESHOLD = 0.25      # fraction of full ink that counts as drawn
MIN_INK_PIXELS = 4        # fewer canvas pixels than this = empty (a stray click)
WORK = 2                  # the stroke is re-drawn at 2x the final resolution (40 px)


@dataclass
class Preprocessed:
    """The result of :func:`preprocess`: the 28x28 image (float in [0, 1]) and how it was made."""

    image: np.ndarray          # (28, 28) float32 in [0, 1], MNIST convention: ink = 1
    bbox: tuple[int, int, int, int]  # (top, left, bottom, right) of the ink on the canvas, inclusive
    stroke_in: float           # measured stroke width of the drawing, in pixels of the 28x28 image
    stroke_out: float          # stroke width after normalization

    @property
    def uint8(self) -> np.ndarray:
        return np.round(self.image * 255).astype(np.uint8)

    def tensor(self, mean: float, std: float) -> torch.Tensor:
        """``(1, 1, 28, 28)`` float, normalized exactly as in training (:func:`cnnviz.data.normalize`)."""
        return _normalized(self.uint8, mean, std)


def _normalized(digit_u8: np.ndarray, mean: float, std: float) -> torch.Tensor:
    """One 28x28 uint8 digit -> ``(1, 1, 28, 28)``: :func:`cnnviz.data.normalize`'s float32 arithmetic, the
    same numbers bit for bit, done in numpy (four small torch operations cost ~0.1 ms; these ~10 µs)."""
    x = digit_u8.astype(np.float32).reshape(1, 1, SIZE, SIZE)
    x /= np.float32(255.0)
    x -= np.float32(mean)
    x /= np.float32(std)
    return torch.from_numpy(x)


# ----------------------------------------------------------------------------- canvas -> ink

def _as_uint8_image(arr: np.ndarray) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)) or a.size == 0:
        raise ValueError(f"expected an H x W, H x W x 3 or H x W x 4 image, got shape {a.shape}")
    if a.dtype != np.uint8:
        a = np.asarray(a, dtype=np.float64)
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
        if a.max(initial=0.0) <= 1.0:
            a = a * 255.0
        a = np.clip(np.round(a), 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    return a


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def _ink_exact(a: np.ndarray, bg: np.ndarray | None) -> np.ndarray:
    """Ink in [0, 1] for a uint8 image (or a crop of it); ``bg`` is the paper's RGB, None if transparent."""
    if a.ndim == 2:
        return a.astype(np.float32) * np.float32(1 / 255)
    if bg is None:
        return a[..., 3].astype(np.float32) * np.float32(1 / 255)
    # luminance one channel at a time (a matmul over a last axis of 3 is ~2x slower in numpy)
    lum = a[..., 0].astype(np.float32)
    lum *= np.float32(0.299 / 255)
    for ch, wt in ((1, 0.587), (2, 0.114)):
        c = a[..., ch].astype(np.float32)
        c *= np.float32(wt / 255)
        lum += c
    bg_lum = float(bg @ np.array([0.299, 0.587, 0.114]) / 255.0)
    if a.shape[2] == 4:
        alpha = a[..., 3]
        if not (alpha == 255).all():             # composite over the paper where the ink is translucent
            al = alpha.astype(np.float32) * np.float32(1 / 255)
            lum = al * lum + (1.0 - al) * np.float32(bg_lum)
    lum -= np.float32(bg_lum)
    ink = np.abs(lum, out=lum)
    ink *= np.float32(1.0 / max(bg_lum, 1.0 - bg_lum, 1e-6))
    return np.minimum(ink, 1.0, out=ink)


def _paper(a: np.ndarray) -> np.ndarray | None:
    """The background colour (median of the border pixels), or None for transparent paper."""
    if a.ndim == 2:
        return None
    if a.shape[2] == 4 and a.flags.c_contiguous:
        # fast path: one 32-bit compare per border pixel; a canvas's border is usually one exact colour
        packed = _border(a.view(np.uint32)[..., 0])
        if (packed == packed[0]).all():
            px = a[0, 0]
            return None if px[3] < 128 else px[:3].astype(np.float64)
    if a.shape[2] == 4 and np.median(_border(a[..., 3])) < 128:
        return None
    return np.median(_border(a[..., :3]), axis=0)


def ink_from_canvas(arr: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, in [0, 1] (float32, H x W).

    Accepts H x W (grey: ink = brightness, as in MNIST), H x W x 3 (RGB) or H x W x 4 (RGBA), uint8 or
    float in [0, 1].  On transparent paper (the border is mostly transparent) the ink is the alpha
    channel, whatever the stroke colour; on opaque paper it is the difference from the paper's colour.
    """
    a = _as_uint8_image(arr)
    return _ink_exact(a, _paper(a))


def _ink_bbox(a: np.ndarray, bg: np.ndarray | None, threshold: float) -> tuple[np.ndarray, tuple] | None:
    """Cheap integer pass over the whole canvas to find the ink's bounding box; exact ink only inside it."""
    t = threshold * 255
    if a.ndim == 2:
        proxy = a > t
    elif bg is not None and a.shape[2] == 4 and a.flags.c_contiguous and a[0, 0, 3] == 255 \
            and np.array_equal(a[0, 0, :3], bg):
        # opaque paper of one exact colour (the page's canvas): any pixel that differs from it at all,
        # one 32-bit compare per pixel; the exact ink below decides within that box
        proxy = a.view(np.uint32)[..., 0] != a[:1, :1].view(np.uint32)[0, 0]
    elif bg is None:
        proxy = a[..., 3] > t
    else:
        # a pixel can only carry ink if some channel differs from the paper (a superset of the exact test)
        # |lum - paper| <= the largest channel difference, and the ink divides by >= 0.5: a superset test,
        # one channel at a time (a max over a last axis of 3 is slow in numpy)
        proxy = np.zeros(a.shape[:2], bool)
        for ch in range(3):
            lo, hi = int(max(0, np.floor(bg[ch] - t * 0.5))), int(min(255, np.ceil(bg[ch] + t * 0.5)))
            c = a[..., ch]
            proxy |= (c < lo) | (c > hi)
    box = _bbox(proxy)
    if box is None:
        return None
    top, left, bottom, right = box
    ink = _ink_exact(a[top:bottom + 1, left:right + 1], bg)
    mask = ink > threshold
    inner = _bbox(mask)
    if inner is None or int(mask.sum()) < MIN_INK_PIXELS:
        return None
    t0, l0, b0, r0 = inner
    return ink[t0:b0 + 1, l0:r0 + 1], (top + t0, left + l0, top + b0, left + r0)


def _resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float image: Pillow's ``resize`` of a mode "F" image, as two small
    matrix products (:func:`_resize_weights`; ~2.5x faster than a round trip through Pillow for a
    drawing's few thousand pixels, equal to it within float32 rounding)."""
    h, w = img.shape
    height, width = max(1, height), max(1, width)
    # shrinking: box = the output pixel averages the input pixels whose centres it covers (sharp, like
    # MNIST); enlarging: bilinear
    shrink = height < h and width < w
    out = np.asarray(img, dtype=np.float32)
    if width != w:
        out = out @ _resize_weights(w, width, shrink).T
    if height != h:
        out = _resize_weights(h, height, shrink) @ out
    return np.array(out, dtype=np.float32, copy=out is img)


@functools.lru_cache(maxsize=1024)
def _resize_weights(in_size: int, out_size: int, box: bool) -> np.ndarray:
    """``(out_size, in_size)`` float32: Pillow's resampling coefficients along one axis (``precompute_coeffs``
    in Pillow's ``Resample.c``) for its BOX filter or, with ``box=False``, BILINEAR (a triangle), the
    filter stretched by the reduction factor when shrinking."""
    def box_filter(x):
        return ((x > -0.5) & (x <= 0.5)).astype(np.float64)

    def triangle(x):
        return np.maximum(1.0 - np.abs(x), 0.0)

    filt, support = (box_filter, 0.5) if box else (triangle, 1.0)
    scale = in_size / out_size
    stretch = max(scale, 1.0)
    support *= stretch
    centre = (np.arange(out_size) + 0.5) * scale                        # of each output pixel, in input pixels
    lo = np.maximum((centre - support + 0.5).astype(np.int64), 0)       # Pillow's window [lo, hi) per output
    hi = np.minimum((centre + support + 0.5).astype(np.int64), in_size)
    window = lo[:, None] + np.arange(int(np.ceil(support)) * 2 + 1)    # Pillow's kernel size bounds hi - lo
    inside = window < hi[:, None]
    k = filt((window - centre[:, None] + 0.5) / stretch) * inside
    total = k.sum(axis=1, keepdims=True)
    k = np.divide(k, total, out=k, where=total != 0)
    out = np.zeros((out_size, in_size), np.float32)
    rows = np.broadcast_to(np.arange(out_size)[:, None], window.shape)
    out[rows[inside], window[inside]] = k[inside]
    out.setflags(write=False)
    return out


def stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width of a binary drawing, in its pixels: twice the median distance from
    the stroke's centre line (the ridge of the distance transform) to the paper."""
    if not mask.any():
        return 0.0
    return _stroke_from_distance(mask, ndimage.distance_transform_edt(mask))


def _signed_distance(mask: np.ndarray) -> np.ndarray:
    """Positive inside the ink, negative outside; the boundary lies at 0."""
    inside = ndimage.distance_transform_edt(mask)
    outside = ndimage.distance_transform_edt(~mask)
    return np.where(mask, inside - 0.5, 0.5 - outside).astype(np.float32)


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1])


# ----------------------------------------------------------------------------- preprocessing

def preprocess(canvas: np.ndarray | None, stroke_px: float | None = STROKE_PX) -> Preprocessed | None:
    """Canvas RGBA array -> MNIST-style 28x28, or ``None`` when nothing is drawn.

    1. ink from the canvas colours (:func:`ink_from_canvas`); crop to the ink's bounding box;
    2. scale the longer side to 20 px, keeping the aspect ratio, anti-aliased (the work is done at
       4x resolution, 80 px, then reduced);
    3. when ``stroke_px`` is set, redraw the strokes ``stroke_px`` wide (in 28x28 pixels) around
       their centre lines, so thin and thick brushes give the same digit;
    4. place it in 28x28 so that its centre of mass is at (14, 14), with sub-pixel accuracy.

    Normalize the result with :meth:`Preprocessed.tensor` (the training mean and std).
    """
    if canvas is None:
        return None
    a = _as_uint8_image(canvas)
    found = _ink_bbox(a, _paper(a), INK_THRESHOLD)
    if found is None:
        return None
    crop, bbox = found
    h, w = crop.shape
    long_side = BOX * WORK
    scale = long_side / max(h, w)
    work = _resize(crop, round(h * scale), round(w * scale))
    work_mask = work > 0.5
    if not work_mask.any():                      # a faint smudge: keep what there is
        work_mask = work >= work.max() * 0.5
    if stroke_px is None:
        stroke_in = stroke_width(work_mask) / WORK
    else:
        # A stroke t wide around centre lines spanning L - t; redraw it T wide so that after scaling
        # the result to 20 px the stroke is stroke_px wide: T / (L - t + T) * 20 = stroke_px.
        padded = _pad(work_mask, 1)              # the distance transform needs paper around the ink
        inside = ndimage.distance_transform_edt(padded)
        t_work = _stroke_from_distance(padded, inside)
        stroke_in = t_work / WORK
        want = _target_stroke(stroke_px, t_work / WORK)
        target = want * max(long_side - t_work, 1.0) / (BOX - want)
        if target > t_work:                      # grow: distance from the paper to the ink is needed too
            extra = int(np.ceil((target - t_work) / 2)) + 1
            padded, inside = _pad(padded, extra), _pad(inside, extra)
            outside = ndimage.distance_transform_edt(~padded)
            sdf = np.where(padded, inside - 0.5, 0.5 - outside)
        else:                                    # shrink: the inside distance is enough
            sdf = np.where(padded, inside - 0.5, -0.5)
        work = np.clip(sdf + (target - t_work) / 2 + 0.5, 0.0, 1.0).astype(np.float32)
        box = _bbox(work > 0.5) or (0, 0, work.shape[0] - 1, work.shape[1] - 1)
        work = work[box[0]:box[2] + 1, box[1]:box[3] + 1]
    wh, ww = work.shape
    s = BOX / max(wh, ww)
    small = np.clip(_resize(work, max(1, round(wh * s)), max(1, round(ww * s))), 0.0, 1.0)
    stroke_out = _target_stroke(stroke_px, stroke_in) if stroke_px is not None else stroke_in
    return Preprocessed(_place_by_centre_of_mass(small), bbox, stroke_in, stroke_out)


def _target_stroke(stroke_px: float | tuple[float, float], measured: float) -> float:
    """A fixed stroke width, or the measured one brought into the band ``(low, high)``."""
    if isinstance(stroke_px, (tuple, list)):
        return float(np.clip(measured, stroke_px[0], stroke_px[1]))
    return float(stroke_px)


def _stroke_from_distance(mask: np.ndarray, dist: np.ndarray) -> float:
    ridge = mask & (dist >= _max3x3(dist))
    if not ridge.any():
        return 1.0
    return float(max(1.0, 2.0 * _median(dist[ridge]) - 0.5))


# Small-array helpers: ``np.pad``, ``np.median`` and ``ndimage.maximum_filter`` spend ~40 µs each on
# argument handling for the few thousand pixels of a drawing, ~6x what the work itself takes.

def _pad(a: np.ndarray, n: int) -> np.ndarray:
    """``np.pad(a, n)`` for a 2-D array: ``n`` zeros (False) on every side."""
    out = np.zeros((a.shape[0] + 2 * n, a.shape[1] + 2 * n), a.dtype)
    out[n:n + a.shape[0], n:n + a.shape[1]] = a
    return out


def _median(v: np.ndarray) -> float:
    """``np.median`` of a non-empty 1-D array."""
    s = np.sort(v)
    n = s.size
    return float((s[(n - 1) // 2] + s[n // 2]) / 2)


def _max3x3(d: np.ndarray) -> np.ndarray:
    """``ndimage.maximum_filter(d, size=3)`` (mode "reflect": past the edge, the edge pixel itself)."""
    rows = d.copy()
    np.maximum(rows[1:], d[:-1], out=rows[1:])
    np.maximum(rows[:-1], d[1:], out=rows[:-1])
    out = rows.copy()
    np.maximum(out[:, 1:], rows[:, :-1], out=out[:, 1:])
    np.maximum(out[:, :-1], rows[:, 1:], out=out[:, :-1])
    return out


def _shift_bilinear(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Shift by a fraction of a pixel (0 <= dy, dx < 1) with bilinear interpolation; grows by one pixel."""
    h, w = img.shape
    out = np.zeros((h + 1, w + 1), np.float32)
    out[:h, :w] += (1 - dy) * (1 - dx) * img
    out[1:, :w] += dy * (1 - dx) * img
    out[:h, 1:] += (1 - dy) * dx * img
    out[1:, 1:] += dy * dx * img
    return out


def _place_by_centre_of_mass(img: np.ndarray) -> np.ndarray:
    """Paste into 28x28 so that the centre of mass lands on :data:`CENTRE` (sub-pixel, bilinear)."""
    total = float(img.sum())
    h, w = img.shape
    if total <= 0:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    else:
        cy = float((img.sum(axis=1) * np.arange(h)).sum() / total)
        cx = float((img.sum(axis=0) * np.arange(w)).sum() / total)
    oy, ox = CENTRE[0] - cy, CENTRE[1] - cx
    iy, ix = int(np.floor(oy)), int(np.floor(ox))
    shifted = _shift_bilinear(img.astype(np.float32), oy - iy, ox - ix)
    pad = SIZE + 2
    big = np.zeros((SIZE + 2 * pad, SIZE + 2 * pad), np.float32)
    y0, x0 = pad + iy, pad + ix
    big[y0:y0 + h + 1, x0:x0 + w + 1] = shifted
    return np.clip(big[pad:pad + SIZE, pad:pad + SIZE], 0.0, 1.0)


def to_tensor(pre: Preprocessed, mean: float, std: float) -> torch.Tensor:
    return pre.tensor(mean, std)


def mnist_tensor(digit_u8: np.ndarray | torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """A 28x28 uint8 MNIST digit -> ``(1, 1, 28, 28)`` normalized (it needs no preprocessing)."""
    if isinstance(digit_u8, torch.Tensor):
        digit_u8 = digit_u8.cpu().numpy()
    return _normalized(np.asarray(digit_u8, dtype=np.uint8), mean, std)


# ----------------------------------------------------------------------------- synthetic canvases

def _rgba(ink: np.ndarray, style: str) -> np.ndarray:
    """Ink in [0, 1] -> a canvas RGBA array in the given style."""
    v = np.round(np.clip(ink, 0, 1) * 255).astype(np.uint8)
    out = np.zeros(ink.shape + (4,), np.uint8)
    if style == "white-on-black":        # what the page's canvas returns
        out[..., 0] = out[..., 1] = out[..., 2] = v
        out[..., 3] = 255
    elif style == "black-on-transparent":  # the component's defaults
        out[..., 3] = v
    elif style == "black-on-white":
        out[..., 0] = out[..., 1] = out[..., 2] = 255 - v
        out[..., 3] = 255
    else:
        raise ValueError(f"unknown style {style!r}")
    return out


def draw_strokes(strokes: list[list[tuple[float, float]]], width: float, size: tuple[int, int] = (280, 280),
                 style: str = "white-on-black", supersample: int = 4) -> np.ndarray:
    """Polylines (lists of (x, y) canvas points) drawn with a round brush, anti-aliased, as RGBA."""
    h, w = size
    ss = supersample
    img = Image.new("L", (w * ss, h * ss), 0)
    d = ImageDraw.Draw(img)
    r = width * ss / 2
    for line in strokes:
        pts = [(x * ss, y * ss) for x, y in line]
        if len(pts) > 1:
            d.line(pts, fill=255, width=max(1, round(width * ss)), joint="curve")
        for x, y in pts:
            d.ellipse((x - r, y - r, x + r, y + r), fill=255)
    ink = np.asarray(img.resize((w, h), Image.Resampling.BOX), dtype=np.float32) / 255.0
    return _rgba(ink, style)


def render_digit(digit_u8: np.ndarray, size: tuple[int, int] = (280, 280), centre: tuple[float, float] = (140, 140),
                 height: float = 200, thicken: float = 0.0, style: str = "white-on-black") -> np.ndarray:
    """A 28x28 MNIST digit re-drawn as canvas strokes: its ink scaled to ``height`` canvas pixels,
    centred at ``centre`` = (x, y), strokes thickened by ``thicken`` canvas pixels (thinned when
    negative), anti-aliased."""
    d = np.asarray(digit_u8, dtype=np.float32) / 255.0
    box = _bbox(d > 0.2)
    if box is None:
        return _rgba(np.zeros(size, np.float32), style)
    top, left, bottom, right = box
    crop = d[top:bottom + 1, left:right + 1]
    f = height / crop.shape[0]
    big = _resize(crop, max(1, round(crop.shape[0] * f)), max(1, round(crop.shape[1] * f)))
    mask = big > 0.4
    pad = int(np.ceil(max(thicken, 0.0) / 2)) + 2
    sdf = _signed_distance(_pad(mask, pad))
    strokes = np.clip(sdf + thicken / 2 + 0.5, 0.0, 1.0)
    ink = np.zeros(size, np.float32)
    sh, sw = strokes.shape
    y0 = int(round(centre[1] - sh / 2))
    x0 = int(round(centre[0] - sw / 2))
    ys, xs = max(0, y0), max(0, x0)
    ye, xe = min(size[0], y0 + sh), min(size[1], x0 + sw)
    if ye > ys and xe > xs:
        ink[ys:ye, xs:xe] = strokes[ys - y0:ye - y0, xs - x0:xe - x0]
    return _rgba(ink, style)
