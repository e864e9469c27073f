"""A photo of a digit on paper -> the 28x28 image the network sees (the canvas path's :class:`Preprocessed`).

A phone photo of a handwritten digit has uneven light and shadow, tinted or ruled paper, dark or blue ink
on light paper (or chalk-like light ink on a dark surface), blur, noise, JPEG artefacts, a small rotation,
and a digit anywhere in the frame.  :func:`analyze_photo` reads it in four steps, all with scikit-image:

1. **Paper removed.**  A grey copy (longest side <= :data:`WORK_SIDE` px); the paper's brightness is
   estimated on a further reduced copy by a morphological closing (dark ink) or opening (light ink) with
   a disk wider than any stroke, smoothed (:func:`skimage.filters.gaussian`) and scaled back up.  The ink
   is the contrast relative to it, ``(paper - grey) / paper``, so a shadow that dims paper and ink alike
   cancels.  Which is paper and which is ink: the paper is most of the frame, so a median grey below
   :data:`DARK_PAPER` means light ink on a dark surface.
2. **Ink.**  A hysteresis threshold (:func:`skimage.filters.apply_hysteresis_threshold`) whose upper
   level is Otsu's (:func:`skimage.filters.threshold_otsu`) but never below a floor set by the noise
   (six robust standard deviations of the contrast) and :data:`MIN_CONTRAST`, so blank paper and pure
   noise give no ink.
3. **The digit.**  Ruled lines are removed: ink that is thin across (a vertical run of at most
   :data:`LINE_PX` px, found with a vertical binary opening) and long along (a connected piece spanning a
   third of the width) is a line; a straight line is fitted through it and every thin pixel along it,
   across the whole width, goes (the pieces between a digit's strokes included).  The same is done, turned
   by 90 degrees, for margin lines spanning most of the height.  Connected components
   (:func:`skimage.measure.label`, :func:`skimage.measure.regionprops`): specks and lines that spanned the
   whole frame are dropped; the largest remaining component is the digit, together with the components
   near it (a "5"'s separate bar).  It must be of plausible size (at least :data:`MIN_HEIGHT` of the
   frame's height) and look like strokes, not a solid blob: strokes at most :data:`MAX_STROKE` of its
   height wide, and no dark object under it so wide that the paper estimate itself dips (below
   :data:`MIN_PAPER` of the frame's median paper; a shadow in the benchmark dims the paper by half at most)
   even when the paper is estimated again with a disk twice as wide (a large digit's filled loops).
4. **28x28.**  The ink of the kept components, cropped, is handed to :func:`cnnviz.drawing.preprocess` as
   a grey canvas (ink bright on black), which scales it, normalizes the stroke width and centres it
   exactly as for a drawing.

:func:`from_photo` returns the :class:`~cnnviz.drawing.Preprocessed` or ``None``;
:func:`analyze_photo` returns a :class:`PhotoResult` with the reason (a :class:`~cnnviz.messages.Msg`)
when no digit was found, and the pictures of each step for the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from skimage import filters, measure, morphology, transform

from . import drawing
from .messages import Msg, msg

WORK_SIDE = 512          # the photo is analysed with its longest side at most this many pixels
MIN_SIDE = 16            # a photo narrower than this (after reduction) cannot hold a readable digit
BG_SIDE = 128            # the paper's brightness is estimated at this size ...
BG_RADIUS = 12           # ... with a closing by a disk of this radius (3/32 of the frame: wider than strokes)
DARK_PAPER = 0.45        # median grey below this: light ink on a dark surface
MIN_CONTRAST = 0.12      # ink darkens (or brightens) the paper by at least this fraction
NOISE_SIGMAS = 6.0       # the ink threshold is at least this many robust standard deviations of the noise
LINE_PX = 4              # ruled lines are at most this thick (work pixels); digit strokes are thicker
SPECK_FRACTION = 0.0003  # components smaller than this fraction of the frame are specks
MIN_HEIGHT = 0.08        # a digit is at least this fraction of the frame's height (or width) tall
MAX_STROKE = 0.4         # a digit's strokes are at most this fraction of its height wide (else: a blob)
MIN_PAPER = 0.4          # paper darker than this fraction of the frame's median under the digit: a blob
NEAR = 0.3               # components within this fraction of the digit's height of it belong to it

STEPS = ("photo", "paper_removed", "ink", "digit")


@dataclass
class PhotoResult:
    """What :func:`analyze_photo` found: the 28x28 digit or why there is none, and the steps as pictures."""

    pre: drawing.Preprocessed | None
    reason: Msg | None = None        # why no digit was found (None when ``pre`` is set)
    steps: dict[str, np.ndarray] = field(default_factory=dict)  # STEPS -> uint8 picture (H x W or H x W x 3)
    light_on_dark: bool = False
    bbox: tuple[int, int, int, int] | None = None  # (top, left, bottom, right) of the digit in the photo

    @property
    def ok(self) -> bool:
        return self.pre is not None


def from_photo(rgb: np.ndarray) -> drawing.Preprocessed | None:
    """A photo (H x W x 3 uint8; grey, RGBA and float in [0, 1] are accepted too) -> the MNIST-style
    28x28 digit, or ``None`` when no digit is found."""
    return analyze_photo(rgb).pre


def _as_rgb_uint8(arr) -> np.ndarray | None:
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim == 2:
        a = np.stack([a, a, a], axis=-1)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.size == 0:
        return None
    a = a[..., :3]
    if a.dtype != np.uint8:
        if a.dtype == bool:
            a = a.astype(np.float64)
        a = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if a.max(initial=0.0) <= 1.0:
            a = a * 255.0
        a = np.clip(np.round(a), 0, 255).astype(np.uint8)
    return a


def _grey_work(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The photo reduced to the work size: (RGB uint8 for display, grey float in [0, 1], reduction factor).
    Pillow's box reduction of the uint8 photo (a 12-megapixel photo in ~20 ms; skimage's anti-aliased
    resize of it in float takes ~1 s)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    f = max(h, w) / WORK_SIDE
    if f > 1:
        size = (max(1, round(w / f)), max(1, round(h / f)))
        rgb_small = np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize(size, Image.Resampling.BOX))
    else:
        f = 1.0
        rgb_small = rgb
    small = rgb_small.astype(np.float32)
    grey = (small[..., 0] * 0.299 + small[..., 1] * 0.587 + small[..., 2] * 0.114) / 255.0
    return rgb_small, grey, f


def _paper(grey: np.ndarray, light_on_dark: bool, radius: int = BG_RADIUS) -> np.ndarray:
    """The paper's brightness at every pixel: a closing (opening for light ink) with a disk wider than any
    stroke, done on a reduced copy, smoothed, scaled back to the work size."""
    h, w = grey.shape
    f = max(1.0, max(h, w) / BG_SIDE)
    small = transform.resize(grey, (max(1, round(h / f)), max(1, round(w / f))), anti_aliasing=True)
    fp = morphology.disk(radius, decomposition="sequence")
    bg = morphology.opening(small, fp) if light_on_dark else morphology.closing(small, fp)
    bg = filters.gaussian(bg, sigma=radius / 2, mode="nearest")
    return transform.resize(bg, (h, w), order=1)


def _contrast(grey: np.ndarray, paper: np.ndarray, light_on_dark: bool) -> np.ndarray:
    """Ink in [0, 1]: how much darker (lighter) than the paper, relative to the paper's brightness
    (distance to white for light ink), so a shadow that dims paper and ink together cancels."""
    c = (grey - paper) / np.maximum(1.0 - paper, 0.05) if light_on_dark \
        else (paper - grey) / np.maximum(paper, 0.05)
    return np.clip(c, 0.0, 1.0)


def _threshold(ink: np.ndarray) -> np.ndarray:
    """Hysteresis threshold: upper level Otsu's, floored by the noise and :data:`MIN_CONTRAST`."""
    med = float(np.median(ink))
    sigma = 1.4826 * float(np.median(np.abs(ink - med)))
    floor = max(MIN_CONTRAST, med + NOISE_SIGMAS * sigma)
    try:
        otsu = float(filters.threshold_otsu(ink))
    except ValueError:               # a constant image
        otsu = floor
    high = max(otsu, floor)
    return filters.apply_hysteresis_threshold(ink, 0.5 * high, high)


def _remove_lines(mask: np.ndarray, min_span: float) -> np.ndarray:
    """Remove ruled lines running along the rows: thin across (vertical runs of at most :data:`LINE_PX`)
    and spanning at least ``min_span`` of the width.  A straight line is fitted through each; every thin
    pixel within a few pixels of it goes, also the pieces of the line between a digit's strokes."""
    h, w = mask.shape
    thick = ndimage.binary_opening(mask, structure=np.ones((LINE_PX + 1, 1), bool))
    thin = mask & ~thick
    if not thin.any():
        return mask
    labels = measure.label(thin, connectivity=2)
    remove = np.zeros_like(mask)
    cols = np.arange(w)
    for r in measure.regionprops(labels):
        top, left, bottom, right = r.bbox
        if right - left < min_span * w:
            continue
        ys, xs = r.coords[:, 0], r.coords[:, 1]
        slope, icpt = np.polyfit(xs, ys, 1) if np.ptp(xs) > 0 else (0.0, float(ys.mean()))
        centre = slope * cols + icpt
        rows = np.arange(h)[:, None]
        band = np.abs(rows - centre[None, :]) <= LINE_PX
        remove |= band & thin
    return mask & ~remove


def _pick_digit(mask: np.ndarray) -> tuple[np.ndarray | None, Msg | None]:
    """The digit's components as a mask (largest plus those near it), or the reason there is none."""
    h, w = mask.shape
    labels = measure.label(mask, connectivity=2)
    speck = max(4.0, SPECK_FRACTION * h * w)
    regions = []
    for r in measure.regionprops(labels):
        top, left, bottom, right = r.bbox
        if r.area < speck:
            continue
        tall, wide = bottom - top, right - left
        if (tall > 0.9 * h and wide < 0.1 * w) or (wide > 0.9 * w and tall < 0.1 * h):  # a line, an edge
            continue
        regions.append(r)
    if not regions:
        return None, msg("photo.reason.no_ink")
    main = max(regions, key=lambda r: r.area)
    top, left, bottom, right = main.bbox
    keep = [main]
    changed = True
    while changed:                      # grow: components near the digit so far belong to it
        changed = False
        reach = NEAR * (bottom - top)
        for r in regions:
            if any(r is k for k in keep):
                continue
            t, lf, b, rt = r.bbox
            if t <= bottom + reach and b >= top - reach and lf <= right + reach and rt >= left - reach \
                    and r.area >= 0.02 * main.area:
                keep.append(r)
                top, left, bottom, right = min(top, t), min(left, lf), max(bottom, b), max(right, rt)
                changed = True
    if bottom - top < MIN_HEIGHT * h:
        return None, msg("photo.reason.too_small")
    if bottom - top > 0.95 * h and right - left > 0.95 * w:
        return None, msg("photo.reason.too_big")
    out = np.isin(labels, [r.label for r in keep])
    if drawing.stroke_width(out[top:bottom, left:right]) > MAX_STROKE * (bottom - top):
        return None, msg("photo.reason.blob")
    return out, None


def paper_fraction(rgb: np.ndarray) -> float:
    """The share of the picture that is plain paper once light and shadow are removed (contrast to the
    paper estimate below :data:`MIN_CONTRAST`): ~0.75-0.97 for the benchmark's photos of a digit, 0.37-0.59
    for scikit-image's photos of a cat, an astronaut, coffee, coins and the cameraman; a photo that is
    mostly sky (its rocket, the moon) scores high too.  0.0 for what is not a picture."""
    a = _as_rgb_uint8(rgb)
    if a is None or min(a.shape[:2]) < MIN_SIDE:
        return 0.0
    _, grey, _ = _grey_work(a)
    light = bool(np.median(grey) < DARK_PAPER)
    return float((_contrast(grey, _paper(grey, light), light) < MIN_CONTRAST).mean())


def analyze_photo(rgb: np.ndarray) -> PhotoResult:
    """Read a digit from a photo; see the module's docstring for the steps.  Never raises on odd input:
    an array that is not an image, a 1x1 pixel or a thin strip gives a result with a reason."""
    a = _as_rgb_uint8(rgb)
    if a is None:
        return PhotoResult(None, msg("photo.reason.not_image"))
    if min(a.shape[:2]) < MIN_SIDE or max(a.shape[:2]) / min(a.shape[:2]) > 8:
        return PhotoResult(None, msg("photo.reason.shape", w=int(a.shape[1]), h=int(a.shape[0])))
    rgb_small, grey, factor = _grey_work(a)
    steps: dict[str, np.ndarray] = {"photo": rgb_small}
    h, w = grey.shape
    if min(h, w) < MIN_SIDE:
        return PhotoResult(None, msg("photo.reason.shape", w=int(a.shape[1]), h=int(a.shape[0])), steps)
    light = bool(np.median(grey) < DARK_PAPER)
    smooth = filters.gaussian(grey, sigma=1.0)
    for radius in (BG_RADIUS, 2 * BG_RADIUS):
        paper = _paper(grey, light, radius)
        ink = _contrast(smooth, paper, light)
        steps["paper_removed"] = np.round(255 * (1.0 - ink)).astype(np.uint8)      # ink dark on white
        mask = _threshold(ink)
        mask = _remove_lines(mask, 1 / 3)
        mask = _remove_lines(mask.T, 0.8).T                                      # margin lines
        digit, reason = _pick_digit(mask)
        shown = np.zeros((h, w, 3), np.uint8)
        shown[mask] = (150, 150, 150)                                            # ink that was dropped: grey
        if digit is not None:
            shown[digit] = (255, 255, 255)
        steps["ink"] = shown
        if digit is None:
            return PhotoResult(None, reason, steps, light)
        rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
        top, left, bottom, right = int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1])
        # ink wider than the paper estimate's disk (a big digit's filled loop, a finger) dips the estimate
        # itself (a shadow dims the paper by half at most): once more with a disk twice as wide, then a blob
        bright = 1.0 - paper if light else paper
        if bright[top:bottom + 1, left:right + 1].min() >= MIN_PAPER * float(np.median(bright)):
            break
    else:
        return PhotoResult(None, msg("photo.reason.blob"), steps, light)
    # the ink of the kept strokes (a pixel's margin of anti-aliasing), scaled so a stroke's core is 1
    soft = ndimage.binary_dilation(digit, iterations=1)
    level = float(np.percentile(ink[digit], 75)) or 1.0
    canvas = np.clip(ink * soft / level, 0.0, 1.0)
    pad = 2
    crop = np.zeros((bottom - top + 1 + 2 * pad, right - left + 1 + 2 * pad), np.float32)
    crop[pad:-pad, pad:-pad] = canvas[top:bottom + 1, left:right + 1]
    pre = drawing.preprocess(np.round(crop * 255).astype(np.uint8))
    bbox = tuple(int(round(v * factor)) for v in (top, left, bottom, right))
    if pre is None:
        return PhotoResult(None, msg("photo.reason.no_ink"), steps, light)
    steps["digit"] = pre.uint8
    return PhotoResult(pre, None, steps, light, bbox)


# ----------------------------------------------------------------------------- synthetic photos

PAPERS_LIGHT = {"white": (245, 245, 240), "cream": (250, 238, 205), "blue": (222, 234, 250),
                "grey": (212, 212, 208), "yellow": (250, 244, 185)}
PAPERS_DARK = {"blackboard": (38, 62, 50), "black": (28, 28, 34), "navy": (30, 40, 72)}
INKS_DARK = {"black": (22, 22, 28), "blue": (28, 50, 165), "pencil": (85, 85, 95)}
INKS_LIGHT = {"white": (240, 240, 236), "chalk": (238, 228, 150)}
SIZES = ((480, 640), (640, 480), (768, 1024), (1024, 768), (600, 600))


def synthetic_photo(digit_u8: np.ndarray, rng: np.random.Generator, **fixed) -> tuple[np.ndarray, dict]:
    """A 28x28 MNIST digit rendered the way a phone sees it on paper (for tests and the benchmark).

    Every condition is drawn from ``rng`` unless given in ``fixed``: ``size`` (H, W), ``height`` (the
    digit's share of the frame height, 0.2-0.7), ``centre`` (x, y as fractions of the frame), ``thicken``
    (stroke change as a fraction of the digit's height), ``light_on_dark``, ``paper``/``ink`` (names in
    :data:`PAPERS_LIGHT`, :data:`PAPERS_DARK`, :data:`INKS_DARK`, :data:`INKS_LIGHT`), ``ruled``,
    ``margin`` (a red margin line), ``shadow`` (0-0.5: how much the light falls off), ``rotate``
    (degrees, +-10), ``blur`` (sigma in pixels of a 600-px frame), ``noise`` (sigma, 0-255 scale),
    ``quality`` (JPEG, 30-80; None: no JPEG).  Returns the H x W x 3 uint8 photo and the conditions used.
    """
    import io

    from PIL import Image

    c = dict(fixed)
    c.setdefault("size", SIZES[rng.integers(len(SIZES))])
    c.setdefault("height", float(rng.uniform(0.2, 0.7)))
    c.setdefault("light_on_dark", bool(rng.random() < 0.15))
    papers = PAPERS_DARK if c["light_on_dark"] else PAPERS_LIGHT
    inks = INKS_LIGHT if c["light_on_dark"] else INKS_DARK
    c.setdefault("paper", list(papers)[rng.integers(len(papers))])
    c.setdefault("ink", list(inks)[rng.integers(len(inks))])
    c.setdefault("ruled", bool(rng.random() < 0.35) and not c["light_on_dark"])
    c.setdefault("margin", bool(c["ruled"] and rng.random() < 0.3))
    c.setdefault("thicken", float(rng.uniform(-0.015, 0.05)))
    c.setdefault("shadow", float(rng.uniform(0.0, 0.5)))
    c.setdefault("rotate", float(rng.uniform(-10, 10)))
    c.setdefault("blur", float(rng.uniform(0.0, 2.0)))
    c.setdefault("noise", float(rng.uniform(1.0, 10.0)))
    c.setdefault("quality", int(rng.integers(30, 81)))
    h, w = c["size"]
    hpx = c["height"] * h
    half = 0.45 * hpx / h, 0.45 * hpx / w       # keep the digit (and its rotation) inside the frame
    c.setdefault("centre", (float(rng.uniform(min(half[1] + 0.03, 0.5), max(0.97 - half[1], 0.5))),
                            float(rng.uniform(min(half[0] + 0.03, 0.5), max(0.97 - half[0], 0.5)))))
    cx, cy = c["centre"][0] * w, c["centre"][1] * h
    ink = drawing.render_digit(digit_u8, size=(h, w), centre=(cx, cy), height=hpx,
                               thicken=c["thicken"] * hpx, style="black-on-transparent")[..., 3] / 255.0
    lines = np.zeros((h, w))
    if c["ruled"]:
        gap = int(rng.integers(h // 14, h // 9 + 1))
        thick = max(1, round(h / 400))
        for y in range(int(rng.integers(gap)), h, gap):
            lines[y:y + thick] = 0.8
    margin = np.zeros((h, w))
    if c["margin"]:
        x0 = int(0.08 * w)
        margin[:, x0:x0 + max(1, round(w / 500))] = 0.8
    if c["rotate"]:
        ink = ndimage.rotate(ink, c["rotate"], reshape=False, order=1, mode="constant")
        lines = ndimage.rotate(lines, c["rotate"], reshape=False, order=1, mode="constant")
        margin = ndimage.rotate(margin, c["rotate"], reshape=False, order=1, mode="constant")
    paper = np.array(papers[c["paper"]], float)
    img = np.broadcast_to(paper, (h, w, 3)).copy()
    line_col = np.array((150, 175, 225), float) if not c["light_on_dark"] else np.array((90, 110, 100), float)
    img += (line_col - img) * lines[..., None]
    img += (np.array((225, 90, 90), float) - img) * margin[..., None]
    ink_col = np.array(inks[c["ink"]], float)
    strength = 0.75 if c["ink"] == "pencil" else 1.0
    img += (ink_col - img) * (strength * np.clip(ink, 0, 1))[..., None]
    # light: a linear fall-off in a random direction plus a soft shadow blob
    yy, xx = np.mgrid[0:h, 0:w]
    ang = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(ang) * xx / w + np.sin(ang) * yy / h)
    ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1e-9)
    bx, by, br = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.2, 0.5) * max(h, w)
    blob = np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / (2 * br ** 2))
    light = 1.0 - c["shadow"] * (0.6 * ramp + 0.4 * blob)
    img *= light[..., None]
    if c["blur"] > 0:
        s = c["blur"] * h / 600
        img = ndimage.gaussian_filter(img, sigma=(s, s, 0))
    img += rng.normal(0.0, c["noise"], img.shape)
    out = np.clip(np.round(img), 0, 255).astype(np.uint8)
    if c["quality"] is not None:
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(c["quality"]))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return out, c
