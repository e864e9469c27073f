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

The canvas's picture comes from the browser, so it is untrusted: :func:`canvas_pixels` reads it (a PNG
only, no larger than the canvas at 4x its size per side, checked in the PNG header before anything is
decoded) through the safe loader :func:`cnnviz.images.load_image`, and refuses anything else with a
:class:`CanvasError`.

:func:`draw_strokes` and :func:`render_digit` make canvas-like RGBA arrays from
polylines or from a 28x28 MNIST digit (for tests and benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw
from scipy import ndimage

from . import data, images
from .messages import MessageError

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
        return mnist_tensor(self.uint8, mean, std)


# ----------------------------------------------------------------------------- the canvas's picture

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CANVAS_SCALE_MAX = 4      # a canvas picture may be this many times the canvas's size per side (HiDPI screens)


class CanvasError(MessageError):
    """The canvas's picture cannot be used (not a PNG, too large, damaged); the message says why."""


def png_size(png: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG's header (its first chunk, IHDR), or ``None`` if it is not a PNG.
    Reads 24 bytes; decodes nothing."""
    if len(png) < 24 or not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        return None
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def canvas_pixels(png: bytes, width: int, height: int) -> np.ndarray:
    """The picture of a ``width`` x ``height`` canvas (PNG bytes from the browser) -> its pixels,
    ``H x W x 3`` float32 in 0-255 (transparency flattened on white), ready for :func:`preprocess` (as
    colour, so the paper's colour is found from the border whatever it is).

    Untrusted: only a PNG is read, at most :data:`CANVAS_SCALE_MAX` times the canvas's width and height
    (a HiDPI screen sends the canvas at 2-3x); its size is checked in the header before any decoding, so
    a small file that declares a huge image (13000 x 13000 in under 1 MB) costs nothing.  Raises
    :class:`CanvasError`.
    """
    size = png_size(png)
    if size is None:
        raise CanvasError("fm.canvas.not_png")
    max_w, max_h = width * CANVAS_SCALE_MAX, height * CANVAS_SCALE_MAX
    w, h = size
    if not (0 < w <= max_w and 0 < h <= max_h):
        raise CanvasError("fm.canvas.too_big", w=w, h=h, max_w=max_w, max_h=max_h)
    try:
        pixels = images.load_image(png, "canvas", max_pixels=max_w * max_h, max_bytes=max_w * max_h * 4 + 2**16).pixels
    except images.ImageLoadError:
        raise CanvasError("fm.canvas.damaged") from None
    return np.repeat(pixels[..., None], 3, axis=2) if pixels.ndim == 2 else pixels


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


def _paper(a: np.ndarray) -> np.ndarray | None:
    """The background colour (median of the border pixels), or None for transparent paper (or grey)."""
    if a.ndim == 2 or (a.shape[2] == 4 and np.median(_border(a[..., 3])) < 128):
        return None
    return np.median(_border(a[..., :3]), axis=0)


def _ink(a: np.ndarray, paper: np.ndarray | None) -> np.ndarray:
    """How much ink each pixel of a uint8 image holds, in [0, 1] (float32, H x W).

    Grey: ink = brightness, as in MNIST.  Transparent paper: the alpha channel, whatever the stroke
    colour.  Opaque paper: the luminance difference from the paper, composited over the paper where the
    ink is translucent."""
    if a.ndim == 2:
        return a.astype(np.float32) / 255
    if paper is None:
        return a[..., 3].astype(np.float32) / 255
    weights = np.array([0.299, 0.587, 0.114], np.float32) / 255
    lum = a[..., :3].astype(np.float32) @ weights
    paper_lum = float(paper @ weights)
    if a.shape[2] == 4:
        alpha = a[..., 3].astype(np.float32) / 255
        lum = alpha * lum + (1.0 - alpha) * paper_lum
    ink = np.abs(lum - paper_lum) / max(paper_lum, 1.0 - paper_lum, 1e-6)
    return np.minimum(ink, 1.0).astype(np.float32)


def _resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float image with Pillow: BOX when shrinking both sides (each output pixel
    averages the input pixels it covers, sharp like MNIST), BILINEAR otherwise."""
    height, width = max(1, height), max(1, width)
    shrink = height < img.shape[0] and width < img.shape[1]
    method = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
    im = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32))       # mode "F"
    return np.asarray(im.resize((width, height), method), dtype=np.float32)


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

    1. ink from the canvas colours (:func:`_ink`); crop to the ink's bounding box;
    2. scale the longer side to 20 px, keeping the aspect ratio, anti-aliased (the work is done at
       ``WORK`` = 2x resolution, 40 px, then reduced);
    3. when ``stroke_px`` is set, redraw the strokes ``stroke_px`` wide (in 28x28 pixels) around
       their centre lines, so thin and thick brushes give the same digit;
    4. place it in 28x28 so that its centre of mass is at (14, 14), with sub-pixel accuracy.

    Normalize the result with :meth:`Preprocessed.tensor` (the training mean and std).
    """
    if canvas is None:
        return None
    a = _as_uint8_image(canvas)
    ink = _ink(a, _paper(a))
    mask = ink > INK_THRESHOLD
    bbox = _bbox(mask)
    if bbox is None or int(mask.sum()) < MIN_INK_PIXELS:
        return None
    crop = ink[bbox[0]:bbox[2] + 1, bbox[1]:bbox[3] + 1]
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
        padded = np.pad(work_mask, 1)              # the distance transform needs paper around the ink
        inside = ndimage.distance_transform_edt(padded)
        t_work = _stroke_from_distance(padded, inside)
        stroke_in = t_work / WORK
        want = _target_stroke(stroke_px, t_work / WORK)
        target = want * max(long_side - t_work, 1.0) / (BOX - want)
        if target > t_work:                      # grow: distance from the paper to the ink is needed too
            extra = int(np.ceil((target - t_work) / 2)) + 1
            padded, inside = np.pad(padded, extra), np.pad(inside, extra)
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
    ridge = mask & (dist >= ndimage.maximum_filter(dist, size=3))
    if not ridge.any():
        return 1.0
    return float(max(1.0, 2.0 * np.median(dist[ridge]) - 0.5))


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


def mnist_tensor(digit_u8: np.ndarray | torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """A 28x28 uint8 MNIST digit -> ``(1, 1, 28, 28)`` normalized (it needs no preprocessing)."""
    if isinstance(digit_u8, torch.Tensor):
        digit_u8 = digit_u8.cpu().numpy()
    return data.normalize(torch.from_numpy(np.asarray(digit_u8, dtype=np.uint8).reshape(1, SIZE, SIZE)), mean, std)


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
    sdf = _signed_distance(np.pad(mask, pad))
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


def from_photo(rgb: np.ndarray) -> Preprocessed | None:
    """A photo of a handwritten digit on paper (H×W×3 uint8) -> the same 28×28 result as the canvas, or
    None when no digit is found (:func:`cnnviz.photo.analyze_photo` gives the steps and the reason)."""
    from .photo import from_photo as read

    return read(rgb)
