"""Safe image loading for the kernels and pooling pages.

Uploads are untrusted bytes.  :func:`load_image`:

* accepts only whitelisted formats (PNG, JPEG, GIF, BMP, WEBP); Pillow is told to try
  only those decoders, so no other plugin ever parses the bytes;
* checks the byte size, then the pixel count from the header **before** decoding, and
  turns Pillow's ``DecompressionBombWarning`` into an error as a second line of defence;
* applies the EXIF orientation (photos from phones are stored sideways);
* converts every mode to grayscale ``L`` or ``RGB`` correctly: palette images with
  transparency and RGBA/LA are flattened on white, CMYK/YCbCr/LAB/HSV become RGB,
  16-bit ``I;16`` is scaled to 0–255 (not clipped at 255), 32-bit ``I``/``F`` are
  min–max scaled;
* raises one :class:`ImageLoadError` (a message key, ``img.error.*``) for non-image
  bytes, empty, truncated, oversized or unsupported files; what it did to the image
  is a list of notes (messages, ``img_note.*``).

Pixels come back as ``float32`` in 0–255 (``H×W`` for L, ``H×W×3`` for RGB): the
scale students see in textbooks, and exact for integer kernels.  :func:`decode` keeps
them compact (``uint8`` for 8-bit sources, :class:`CompactImage`): what a session
stores between page runs, expanded for each run.  :func:`display_downscale`
makes a smaller copy for showing only; computations always use the full image.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .messages import MessageError, Msg, msg

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
EXTENSIONS = ("png", "jpg", "jpeg", "gif", "bmp", "webp")
_ACCEPTED = set(FORMATS) | {"MPO"}    # phones write multi-picture JPEGs; Pillow names them MPO
MAX_BYTES = 20 * 1024 * 1024          # matches server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 16_000_000               # 16 MP: a 12 MP phone photo fits, a decompression bomb does not

SAMPLES = {
    "chelsea": ("Chelsea the cat", "chelsea"),
    "camera": ("Cameraman (grayscale)", "camera"),
    "coins": ("Coins (grayscale)", "coins"),
    "astronaut": ("Astronaut (Eileen Collins)", "astronaut"),
}


class ImageLoadError(MessageError):
    """The bytes cannot be used as an image; :attr:`message` says why, for the user (keys ``img.error.*``)."""


def rgbx(rgb: np.ndarray) -> np.ndarray:
    """An ``H×W×3`` float32 copy of ``rgb`` stored four floats a pixel ("RGBX", the fourth is 0): a view of
    an ``H×W×4`` array (:func:`rgbx_base`).  :func:`cnnviz.kernels.correlate` convolves such an image as
    four channels, which oneDNN's depthwise ``conv2d`` runs ~1.4× faster than three (a pixel fills half an
    AVX2 register instead of 3/8 of one; ``benchmarks/bench_kernels.py``).  Costs a third more memory."""
    import torch

    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"rgbx needs an H×W×3 array, not {a.shape}")
    buf = np.zeros(a.shape[:2] + (4,), np.float32)
    src = np.ascontiguousarray(a if a.dtype in (np.uint8, np.float32) else a.astype(np.float32))
    with warnings.catch_warnings():   # Pillow's arrays are read-only; torch warns though this one is only read
        warnings.filterwarnings("ignore", "The given NumPy array is not writable", UserWarning)
        torch.from_numpy(buf)[..., :3].copy_(torch.from_numpy(src))   # converts while copying; ~4× numpy's copy
    return buf[..., :3]


def rgbx_base(x: np.ndarray) -> np.ndarray | None:
    """The ``H×W×4`` float32 array that an ``H×W×3`` view made by :func:`rgbx` lies in (its first three
    channels, the whole of it), or None when ``x`` is not such a view."""
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.shape[2] != 3 or x.dtype != np.float32:
        return None
    h, w, _ = x.shape
    if x.strides != (16 * w, 16, 4):
        return None
    b = x.base
    while isinstance(b, np.ndarray):
        if (b.shape == (h, w, 4) and b.dtype == np.float32 and b.flags.c_contiguous
                and b.ctypes.data == x.ctypes.data):
            return b
        b = b.base
    return None


@dataclass
class LoadedImage:
    """An image ready for computation: float32 pixels (colour as RGBX, see :func:`rgbx`)."""

    pixels: np.ndarray            # float32, 0–255, H×W (L) or H×W×3 (RGB, stored as RGBX: see rgbx)
    name: str = "image"
    source_format: str = ""       # PNG, JPEG, ... ("sample" for the bundled photos)
    original_mode: str = ""       # the Pillow mode before conversion
    notes: list[Msg] = field(default_factory=list)   # what the loader did (keys ``img_note.*``)

    def __post_init__(self) -> None:
        if self.pixels.ndim == 3 and rgbx_base(self.pixels) is None:
            self.pixels = rgbx(self.pixels)
        elif self.pixels.dtype != np.float32:
            self.pixels = self.pixels.astype(np.float32)

    @property
    def mode(self) -> str:
        return "RGB" if self.pixels.ndim == 3 else "L"

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


@dataclass
class CompactImage:
    """An image as it is kept between page runs (in a session): ``uint8`` when its pixels are whole numbers
    0–255 (every 8-bit source: a 16-megapixel photo is 48 MB, not the 256 MB of float32 RGBX), ``float32``
    ``H×W(×3)`` otherwise (16-bit and floating-point sources, which are scaled).  :meth:`expand` gives the
    :class:`LoadedImage` to compute on, for one run."""

    data: np.ndarray              # uint8 or float32, H×W or H×W×3, C-contiguous
    name: str = "image"
    source_format: str = ""
    original_mode: str = ""
    notes: list[Msg] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return "RGB" if self.data.ndim == 3 else "L"

    def expand(self) -> LoadedImage:
        return LoadedImage(self.data, self.name, self.source_format, self.original_mode, list(self.notes))


def _flatten_rgba(im: Image.Image) -> Image.Image:
    """Composite an image with transparency on a white background, as RGB."""
    im = im.convert("RGBA")
    background = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, im).convert("RGB")


def _flatten_la(im: Image.Image) -> Image.Image:
    """Composite a grayscale image with alpha on white, as L."""
    arr = np.asarray(im.convert("LA"), dtype=np.float32)
    gray, alpha = arr[..., 0], arr[..., 1] / 255.0
    out = gray * alpha + 255.0 * (1.0 - alpha)
    return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), "L")


def _compact_array(im: Image.Image, notes: list[Msg]) -> np.ndarray:
    """Any Pillow mode as ``H×W`` (grayscale) or ``H×W×3`` (colour): uint8 for 8-bit modes, float32 0–255
    for 16-bit and 32-bit ones (scaled, not clipped)."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        notes.append(msg("img_note.16bit"))
        return np.asarray(im).astype(np.float32) * np.float32(255.0 / 65535.0)
    if mode in ("I", "F"):
        arr = np.asarray(im).astype(np.float64)
        if mode == "I" and arr.size and arr.min() >= 0 and arr.max() <= 65535:
            notes.append(msg("img_note.16bit"))
            return (arr * (255.0 / 65535.0)).astype(np.float32)
        finite = np.isfinite(arr)
        if not finite.all():
            arr = np.where(finite, arr, 0.0)
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        kind = msg("img_note.int32" if mode == "I" else "img_note.float")
        notes.append(msg("img_note.scaled", kind=kind, lo=f"{lo:g}", hi=f"{hi:g}"))
        if hi <= lo:
            return np.zeros(arr.shape, np.float32)
        return ((arr - lo) * (255.0 / (hi - lo))).astype(np.float32)
    transparent = "transparency" in im.info
    if mode == "1":
        im = im.convert("L")
    elif mode in ("PA", "RGBA", "RGBa") or (mode in ("P", "RGB") and transparent):
        notes.append(msg("img_note.transparent"))
        im = _flatten_rgba(im)
    elif mode in ("LA", "La"):
        notes.append(msg("img_note.transparent"))
        im = _flatten_la(im)
    elif mode == "L" and transparent:
        notes.append(msg("img_note.transparent"))
        im = _flatten_rgba(im).convert("L")
    elif mode == "CMYK":
        notes.append(msg("img_note.cmyk"))
        im = im.convert("RGB")
    elif mode not in ("L", "RGB"):
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


def load_image(data: bytes, name: str = "upload", max_pixels: int | None = None,
               max_bytes: int | None = None) -> LoadedImage:
    """Decode untrusted bytes into a :class:`LoadedImage`, or raise :class:`ImageLoadError`.

    The limits default to the module's :data:`MAX_PIXELS` and :data:`MAX_BYTES`, read at call time.
    """
    return decode(data, name, max_pixels, max_bytes).expand()


def decode(data: bytes, name: str = "upload", max_pixels: int | None = None,
           max_bytes: int | None = None) -> CompactImage:
    """:func:`load_image`, kept compact (uint8 for 8-bit sources): what a session stores between runs."""
    max_pixels = MAX_PIXELS if max_pixels is None else max_pixels
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if data is None or len(data) == 0:
        raise ImageLoadError("img.error.empty", name=name)
    if len(data) > max_bytes:
        raise ImageLoadError("img.error.too_many_bytes", name=name, mb=len(data) / 2**20, limit=max_bytes / 2**20)
    if ImageFile.LOAD_TRUNCATED_IMAGES:   # someone turned Pillow's safety off; we rely on it
        raise ImageLoadError("img.error.misconfigured")
    notes: list[Msg] = []
    bomb = ImageLoadError("img.error.bomb", name=name, limit=max_pixels / 1e6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except UnidentifiedImageError:
            raise ImageLoadError("img.error.not_image", name=name) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise bomb from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageLoadError("img.error.damaged", name=name) from exc
        try:
            fmt = im.format or ""
            if fmt not in _ACCEPTED:
                raise ImageLoadError("img.error.format", name=name, fmt=fmt or "?")
            w, h = im.size
            if w < 1 or h < 1:
                raise ImageLoadError("img.error.no_pixels", name=name, w=w, h=h)
            if w * h > max_pixels:
                raise ImageLoadError("img.error.too_many_pixels", name=name, w=w, h=h, mp=w * h / 1e6,
                                     limit=max_pixels / 1e6)
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
                notes.append(msg("img_note.frames", n=im.n_frames))
            original_mode = im.mode
            im.load()    # decodes now: truncation and corrupt data surface here
            transposed = ImageOps.exif_transpose(im)
            if transposed is not None and transposed is not im:
                orientation = im.getexif().get(0x0112, 1)
                if orientation not in (None, 1):
                    notes.append(msg("img_note.exif", n=orientation))
                im = transposed
            arr = _compact_array(im, notes)
        except ImageLoadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise bomb from None
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error) as exc:
            raise ImageLoadError("img.error.damaged", name=name) from exc
        except MemoryError:
            raise ImageLoadError("img.error.too_large_to_decode", name=name) from None
    if arr.dtype != np.uint8 and not np.isfinite(arr).all():
        raise ImageLoadError("img.error.invalid_values", name=name)
    if arr.ndim == 3 and np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2]):
        arr = np.ascontiguousarray(arr[..., 0])      # a gray picture stored as RGB (GIF, WEBP, ...)
        notes.append(msg("img_note.gray"))
    return CompactImage(arr, name, fmt, original_mode, notes)


def sample_names() -> list[str]:
    return list(SAMPLES)


def load_sample(key: str) -> LoadedImage:
    """One of scikit-image's bundled photos (camera, chelsea, coins, astronaut)."""
    if key not in SAMPLES:
        raise ImageLoadError("img.error.unknown_sample", sample=str(key), choices=", ".join(SAMPLES))
    import skimage.data

    title, fn = SAMPLES[key]
    arr = np.asarray(getattr(skimage.data, fn)())
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3]
    return LoadedImage(np.ascontiguousarray(arr, dtype=np.float32), title, "sample",
                       "RGB" if arr.ndim == 3 else "L")


def to_gray(pixels: np.ndarray, round_values: bool = True) -> np.ndarray:
    """ITU-R 601 luma (what Pillow's ``convert('L')`` uses), float32 0–255.

    Rounded to whole numbers by default, like Pillow: the pixel inspector then shows integers,
    and integer kernels give exact sums.
    """
    if pixels.ndim == 2:
        return pixels.astype(np.float32, copy=False)
    r, g, b = (pixels[..., i].astype(np.float32, copy=False) for i in range(3))
    gray = np.float32(0.299) * r + np.float32(0.587) * g + np.float32(0.114) * b
    return (np.rint(gray) if round_values else gray).astype(np.float32)


def display_downscale(pixels: np.ndarray, max_side: int = 900) -> tuple[np.ndarray, float]:
    """A smaller copy for display only (area averaging), and the factor it was shrunk by.

    Never use the result for computation; the original array is not modified.
    """
    h, w = pixels.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return pixels, 1.0
    factor = longest / max_side
    new_w, new_h = max(1, round(w / factor)), max(1, round(h / factor))
    chans = [pixels] if pixels.ndim == 2 else [pixels[..., i] for i in range(pixels.shape[2])]
    out = [np.asarray(Image.fromarray(np.ascontiguousarray(c, dtype=np.float32), "F")
                      .resize((new_w, new_h), Image.Resampling.BOX), dtype=np.float32) for c in chans]
    small = out[0] if pixels.ndim == 2 else np.stack(out, axis=-1)
    return small, factor
