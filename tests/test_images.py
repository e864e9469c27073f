"""The safe image loader: formats, modes, EXIF, limits and every bad input."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnviz import images
from cnnviz.images import ImageLoadError, load_image
from cnnviz.messages import MessageError, msg


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width×height, with no pixel data behind it (a bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (23, 31, 3), dtype=np.uint8)
GRAY = RNG.integers(0, 256, (23, 31), dtype=np.uint8)


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "WEBP", "GIF"])
def test_lossless_formats_round_trip(fmt):
    kw = {"lossless": True} if fmt == "WEBP" else {}
    src = Image.fromarray(GRAY, "L")
    got = load_image(encode(src, fmt, **kw), f"x.{fmt.lower()}")
    assert got.source_format == fmt
    assert got.pixels.dtype == np.float32
    assert got.mode == "L"     # GIF and WEBP store gray as R = G = B; the loader notices
    np.testing.assert_array_equal(got.pixels, GRAY)


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "WEBP"])
def test_rgb_round_trip(fmt):
    kw = {"lossless": True} if fmt == "WEBP" else {}
    got = load_image(encode(Image.fromarray(RGB, "RGB"), fmt, **kw))
    assert got.mode == "RGB"
    np.testing.assert_array_equal(got.pixels, RGB)


def test_jpeg_loads_close_to_source():
    smooth = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (48, 1))
    src = np.stack([smooth, np.full_like(smooth, 120), 255 - smooth], -1)
    got = load_image(encode(Image.fromarray(src, "RGB"), "JPEG", quality=95))
    assert got.source_format == "JPEG" and got.pixels.shape == (48, 64, 3)
    assert np.abs(got.pixels - src).mean() < 3


def test_gif_first_frame_is_used():
    red = Image.new("RGB", (8, 6), (255, 0, 0))
    blue = Image.new("RGB", (8, 6), (0, 0, 255))
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=100)
    got = load_image(data, "anim.gif")
    np.testing.assert_array_equal(got.pixels[0, 0], [255, 0, 0])
    assert msg("img_note.frames", n=2) in got.notes and any("first frame of 2" in str(n) for n in got.notes)


def test_palette_with_transparency_is_flattened_on_white():
    im = Image.new("P", (4, 3), 0)
    im.putpalette([0, 0, 0, 200, 10, 10] + [0] * 762)
    im.putpixel((1, 1), 1)
    got = load_image(encode(im, "PNG", transparency=0))
    assert got.mode == "RGB"
    np.testing.assert_array_equal(got.pixels[0, 0], [255, 255, 255])      # transparent black → white
    np.testing.assert_array_equal(got.pixels[1, 1], [200, 10, 10])
    assert [n.key for n in got.notes] == ["img_note.transparent"]


def test_rgba_is_composited_not_dropped():
    arr = np.zeros((2, 2, 4), np.uint8)
    arr[..., 0] = 255
    arr[..., 3] = [[255, 0], [128, 64]]
    got = load_image(encode(Image.fromarray(arr, "RGBA"), "PNG")).pixels
    alpha = arr[..., 3:4] / 255.0
    expected = arr[..., :3] * alpha + 255 * (1 - alpha)
    assert np.abs(got - expected).max() <= 1.0
    np.testing.assert_array_equal(got[0, 1], [255, 255, 255])


def test_la_is_composited_to_gray():
    arr = np.stack([np.full((3, 3), 40, np.uint8), np.full((3, 3), 128, np.uint8)], -1)
    got = load_image(encode(Image.fromarray(arr, "LA"), "PNG"))
    assert got.mode == "L"
    expected = 40 * 128 / 255 + 255 * (1 - 128 / 255)
    assert np.abs(got.pixels - expected).max() <= 1.0


def test_cmyk_becomes_rgb():
    src = Image.fromarray(RGB, "RGB").convert("CMYK")
    got = load_image(encode(src, "JPEG", quality=100))
    assert got.mode == "RGB" and got.pixels.shape == RGB.shape
    assert got.original_mode == "CMYK"


@pytest.mark.parametrize("value", [1000, 30000, 65535])
def test_16_bit_is_scaled_not_clipped(value):
    arr = np.array([[0, value], [value // 2, 0]], dtype=np.uint16)
    got = load_image(encode(Image.fromarray(arr), "PNG"))
    assert got.original_mode.startswith("I")
    np.testing.assert_allclose(got.pixels, arr * 255.0 / 65535.0, rtol=1e-6)
    assert got.pixels.max() <= 255.0


def test_exif_orientation_is_applied():
    arr = np.zeros((2, 4), np.uint8)
    arr[0, 0] = 255                        # top-left marker
    im = Image.fromarray(arr, "L")
    exif = Image.Exif()
    exif[0x0112] = 6                       # "rotate 90° clockwise to display"
    got = load_image(encode(im, "PNG", exif=exif.tobytes()))
    assert got.pixels.shape == (4, 2)
    np.testing.assert_array_equal(got.pixels, np.rot90(arr, -1))
    assert msg("img_note.exif", n=6) in got.notes


def test_one_bit_images_become_gray():
    im = Image.fromarray(GRAY > 128)
    got = load_image(encode(im, "PNG"))
    assert got.mode == "L"
    np.testing.assert_array_equal(got.pixels, np.where(GRAY > 128, 255, 0))


# ----------------------------------------------------------------------------- bad input

def test_empty_file():
    with pytest.raises(ImageLoadError, match="empty"):
        load_image(b"", "empty.png")


def test_non_image_bytes():
    with pytest.raises(ImageLoadError, match="not an image"):
        load_image(b"%PDF-1.4 this is not a picture" * 10, "doc.png")


def test_truncated_file():
    data = encode(Image.fromarray(RGB, "RGB"), "PNG")
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(data[: len(data) // 2], "cut.png")


def test_truncated_jpeg():
    data = encode(Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8), "RGB"), "JPEG")
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(data[: len(data) // 2], "cut.jpg")


def test_oversized_bytes():
    with pytest.raises(ImageLoadError, match="over the"):
        load_image(b"\0" * 2048, "big.png", max_bytes=1024)


def test_too_many_pixels_is_refused_before_decoding():
    bomb = png_header_only(30_000, 30_000)          # 900 MP declared, ~60 bytes on disk
    assert len(bomb) < 100
    with pytest.raises(ImageLoadError, match="too many pixels|megapixel"):
        load_image(bomb, "bomb.png")


def test_pixel_limit_is_configurable():
    data = encode(Image.fromarray(GRAY, "L"), "PNG")
    with pytest.raises(ImageLoadError, match="megapixel"):
        load_image(data, "x.png", max_pixels=100)


def test_decompression_bomb_warning_is_an_error(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400)    # 23×31 = 713 > 400: Pillow warns
    data = encode(Image.fromarray(GRAY, "L"), "PNG")
    with pytest.raises(ImageLoadError, match="decompression bomb"):
        load_image(data, "x.png")


def test_unlisted_format_is_refused():
    data = encode(Image.fromarray(GRAY, "L"), "TIFF")
    with pytest.raises(ImageLoadError, match="PNG, JPEG, GIF"):
        load_image(data, "x.tif")


# ----------------------------------------------------------------------------- samples and helpers

@pytest.mark.parametrize("key", images.sample_names())
def test_samples(key):
    img = images.load_sample(key)
    assert img.pixels.dtype == np.float32 and img.pixels.ndim in (2, 3)
    assert img.pixels.min() >= 0 and img.pixels.max() <= 255
    assert img.mode == ("L" if key in ("camera", "coins") else "RGB")


def test_rgb_images_are_stored_as_rgbx_views():
    """Loaded colour images keep 4 floats a pixel (for the convolution), and are still plain H×W×3 arrays."""
    png = encode(Image.fromarray(RGB, "RGB"), "PNG")
    for img in (images.load_sample("chelsea"), load_image(png, "rgb.png")):
        x = img.pixels
        base = images.rgbx_base(x)
        assert x.shape[2] == 3 and base is not None
        assert base.shape == x.shape[:2] + (4,) and (base[..., 3] == 0).all()
        assert np.shares_memory(base, x) and np.array_equal(base[..., :3], x)
    np.testing.assert_array_equal(load_image(png, "rgb.png").pixels, RGB.astype(np.float32))
    # made by hand, and what is not such a view
    plain = RNG.random((5, 7, 3)).astype(np.float32)
    v = images.rgbx(plain)
    assert np.array_equal(v, plain) and images.rgbx_base(v) is not None
    assert images.rgbx_base(plain) is None                  # contiguous H×W×3
    assert images.rgbx_base(v[1:]) is None                  # a crop: not the whole buffer
    assert images.rgbx_base(np.zeros((5, 7, 4), np.float32)[..., 1:]) is None   # not the first three channels
    assert images.rgbx_base(v.astype(np.float64)) is None
    with pytest.raises(ValueError):
        images.rgbx(np.zeros((4, 4), np.float32))
    assert images.LoadedImage(RNG.random((4, 4)).astype(np.float32)).pixels.ndim == 2


def test_unknown_sample():
    with pytest.raises(ImageLoadError):
        images.load_sample("nope")


def test_to_gray_matches_pillow():
    ours = images.to_gray(RGB.astype(np.float32))
    pil = np.asarray(Image.fromarray(RGB, "RGB").convert("L"), dtype=np.float32)
    assert np.abs(ours - pil).max() <= 1.0


def test_display_downscale_is_display_only():
    big = RNG.random((1000, 1500, 3)).astype(np.float32) * 255
    before = big.copy()
    small, factor = images.display_downscale(big, 300)
    assert max(small.shape[:2]) == 300 and small.shape[2] == 3
    assert factor == pytest.approx(5.0)
    np.testing.assert_array_equal(big, before)
    assert abs(small.mean() - big.mean()) < 0.5
    same, f1 = images.display_downscale(big[:100, :100], 300)
    assert f1 == 1.0 and same.shape == (100, 100, 3)


# ----------------------------------------------------------------------------- compact storage and messages

def test_decode_keeps_8_bit_images_as_uint8_and_expands_to_the_loaded_pixels():
    for src, mode in ((RGB, "RGB"), (GRAY, "L")):
        png = encode(Image.fromarray(src, mode), "PNG")
        compact = images.decode(png, "x.png")
        assert compact.data.dtype == np.uint8 and compact.data.nbytes == src.nbytes and compact.mode == mode
        np.testing.assert_array_equal(compact.data, src)
        full = compact.expand()
        np.testing.assert_array_equal(full.pixels, load_image(png, "x.png").pixels)
        assert full.pixels.dtype == np.float32 and full.mode == mode
    sixteen = images.decode(encode(Image.fromarray(np.array([[0, 1000]], np.uint16)), "PNG"))
    assert sixteen.data.dtype == np.float32                 # scaled values are not whole numbers: kept exact
    np.testing.assert_allclose(sixteen.expand().pixels, [[0, 1000 * 255 / 65535]], rtol=1e-6)


def test_errors_and_notes_are_messages_in_both_languages():
    with pytest.raises(ImageLoadError) as exc:
        load_image(png_header_only(30_000, 30_000), "bomb.png")
    err = exc.value
    assert isinstance(err, MessageError) and isinstance(err, ValueError)
    assert err.key == "img.error.bomb" and err.args_dict["name"] == "bomb.png"   # Pillow's own cap: refused on open
    zh = err.message.render("zh")
    assert "百万像素" in zh and "bomb.png" in zh and "megapixel" not in zh
    arr = np.array([[0, 70000], [5, 9]], dtype=np.int32)    # 32-bit integers over 16 bits: min–max scaled
    notes = []
    scaled = images._compact_array(Image.fromarray(arr, "I"), notes)   # no accepted format stores mode I
    np.testing.assert_allclose(scaled, arr * 255 / 70000, rtol=1e-6)
    note = notes[0]
    assert note.key == "img_note.scaled" and note.args["kind"] == msg("img_note.int32")
    assert str(note) == "32-bit integer image scaled from 0–70000 to 0–255"
    assert note.render("zh") == "32 位整数图像从 0–70000 缩放到 0–255"
