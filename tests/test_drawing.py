"""Canvas -> MNIST-style 28x28: synthetic strokes drawn into RGBA arrays."""

import numpy as np
import pytest
import torch

from cnnviz import data, drawing

SEVEN = [[(60, 50), (215, 50), (115, 245)]]           # a "7" on a 280x280 canvas
FOUR = [[(170, 240), (170, 40), (55, 170), (215, 170)]]
ZERO = [[(140 + 60 * np.sin(t), 140 - 95 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 60)]]
DIGITS = {"seven": SEVEN, "four": FOUR, "zero": ZERO}


def transform(strokes, scale=1.0, dx=0.0, dy=0.0, about=(140, 140)):
    cx, cy = about
    return [[(cx + (x - cx) * scale + dx, cy + (y - cy) * scale + dy) for x, y in line] for line in strokes]


def close(a: np.ndarray, b: np.ndarray, tol: float = 0.06) -> bool:
    """Same digit within tolerance: mean absolute pixel difference (of [0, 1] images) below ``tol``."""
    return float(np.abs(a - b).mean()) < tol


def prep(rgba, **kw) -> np.ndarray:
    out = drawing.preprocess(rgba, **kw)
    assert out is not None
    return out.image


def mass_centre(img: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[:img.shape[0], :img.shape[1]]
    return float((img * ys).sum() / img.sum()), float((img * xs).sum() / img.sum())


@pytest.mark.parametrize("name", list(DIGITS))
def test_result_is_mnist_shaped(name):
    img = prep(drawing.draw_strokes(DIGITS[name], 20))
    assert img.shape == (28, 28) and img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0 and img.max() > 0.9
    ink = img > 0.1
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    longer = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    assert 19 <= longer <= 22                        # longer side ~20 px (plus anti-aliasing)
    cy, cx = mass_centre(img)
    assert abs(cy - 14) < 0.35 and abs(cx - 14) < 0.35   # centred by centre of mass
    assert img[0].max() < 0.05 and img[:, 0].max() < 0.05 and img[:, -1].max() < 0.05   # not cut off


@pytest.mark.parametrize("name", list(DIGITS))
def test_translated_copies_give_the_same_image(name):
    ref = prep(drawing.draw_strokes(DIGITS[name], 20))
    for dx, dy in [(-30, 0), (25, 17), (0.5, -0.25), (-12.3, 21.7)]:
        moved = prep(drawing.draw_strokes(transform(DIGITS[name], 0.75, dx, dy), 15))
        assert close(ref, moved, 0.03), (dx, dy)


@pytest.mark.parametrize("name", list(DIGITS))
def test_off_centre_small_thick_and_thin_drawings_look_alike(name):
    strokes = DIGITS[name]
    ref = prep(drawing.draw_strokes(strokes, 20))
    variants = {
        "off-centre": drawing.draw_strokes(transform(strokes, 0.45, -70, -70), 9),
        "small": drawing.draw_strokes(transform(strokes, 0.2, 0, 0), 4),
        "thick": drawing.draw_strokes(strokes, 42),
        "thin": drawing.draw_strokes(strokes, 5),
        "thin and small, corner": drawing.draw_strokes(transform(strokes, 0.3, 80, 85), 2.5),
    }
    for label, rgba in variants.items():
        img = prep(rgba)
        assert close(ref, img), (label, float(np.abs(ref - img).mean()))
    # without stroke normalization a thin drawing really is different: the normalization is what works
    thin_raw = prep(variants["thin"], stroke_px=None)
    assert not close(ref, thin_raw, 0.04)


def test_stroke_width_of_result_matches_mnist():
    for width in (4, 12, 30, 45):
        out = drawing.preprocess(drawing.draw_strokes(SEVEN, width))
        assert out.stroke_out == pytest.approx(drawing.STROKE_PX)
        measured = drawing.stroke_width(drawing._resize(out.image, 112, 112) > 0.5) / 4
        assert measured == pytest.approx(drawing.STROKE_PX, abs=0.6), width


def test_canvas_styles_give_the_same_result():
    ref = prep(drawing.draw_strokes(SEVEN, 20, style="white-on-black"))
    for style in ("black-on-transparent", "black-on-white"):
        assert close(ref, prep(drawing.draw_strokes(SEVEN, 20, style=style)), 0.005), style
    # a coloured stroke on transparent paper is ink too (alpha decides)
    rgba = drawing.draw_strokes(SEVEN, 20, style="black-on-transparent")
    rgba[..., 0] = 255
    assert close(ref, prep(rgba), 0.005)
    # float arrays in [0, 1] and RGB without alpha
    assert close(ref, prep(drawing.draw_strokes(SEVEN, 20).astype(np.float32) / 255), 0.005)
    assert close(ref, prep(drawing.draw_strokes(SEVEN, 20)[..., :3]), 0.005)


@pytest.mark.parametrize("canvas", [
    None,
    np.zeros((280, 280, 4), np.uint8),                                      # transparent, nothing drawn
    np.dstack([np.zeros((280, 280, 3), np.uint8), np.full((280, 280), 255, np.uint8)]),  # black paper
    np.full((280, 280, 4), 255, np.uint8),                                  # white paper
])
def test_empty_canvas_gives_none(canvas):
    assert drawing.preprocess(canvas) is None


def test_a_stray_click_is_empty_but_a_dot_is_not():
    c = np.zeros((280, 280, 4), np.uint8)
    c[..., 3] = 255
    c[100, 100, :3] = 255                      # one pixel: a stray click
    assert drawing.preprocess(c) is None
    dot = drawing.draw_strokes([[(140, 140)]], 20)
    assert drawing.preprocess(dot) is not None


def test_bad_shapes_raise_value_error():
    with pytest.raises(ValueError):
        drawing.preprocess(np.zeros((280, 280, 5), np.uint8))
    with pytest.raises(ValueError):
        drawing.preprocess(np.zeros((0, 0, 4), np.uint8))


def test_normalization_is_the_training_one():
    out = drawing.preprocess(drawing.draw_strokes(SEVEN, 20))
    x = out.tensor(data.MNIST_MEAN, data.MNIST_STD)
    assert x.shape == (1, 1, 28, 28)
    ref = data.normalize(torch.from_numpy(out.uint8)[None], data.MNIST_MEAN, data.MNIST_STD)
    assert torch.equal(x, ref)
    assert x.min().item() == pytest.approx(-data.MNIST_MEAN / data.MNIST_STD, abs=1e-6)
    # every grey level, for MNIST's and Fashion-MNIST's statistics and others, bit for bit
    rng = np.random.default_rng(0)
    levels = np.concatenate([np.arange(256), rng.integers(0, 256, 28 * 28 - 256)]).astype(np.uint8).reshape(28, 28)
    for mean, std in [(data.MNIST_MEAN, data.MNIST_STD), (0.2860, 0.3530), (0.5, 0.25), (0.0, 1.0)]:
        ref = data.normalize(torch.from_numpy(levels)[None], mean, std)
        assert torch.equal(drawing.mnist_tensor(levels, mean, std), ref)
        assert torch.equal(drawing.mnist_tensor(torch.from_numpy(levels), mean, std), ref)


def test_real_mnist_digit_round_trip():
    """A real MNIST digit, re-drawn large on a canvas and preprocessed, is close to the original."""
    ds = data.load_embedded()
    diffs = []
    for i in range(40):
        digit = ds.test_x[i].numpy()
        img = prep(drawing.render_digit(digit, height=200, centre=(140, 140)))
        diffs.append(np.abs(img - digit / 255.0).mean())
    assert np.median(diffs) < 0.06


# ----------------------------------------------------------------------------- the canvas's picture (untrusted)

def png_of(rgba: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    return buf.getvalue()


def huge_blank_png(side: int) -> bytes:
    """A valid ``side`` x ``side`` RGBA PNG, all transparent, written row by row (it never exists decoded
    here): 13000 x 13000 is ~0.7 MB of file for 676 MB of pixels."""
    import struct
    import zlib

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    z = zlib.compressobj(9)
    row = bytes(1 + side * 4)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    return (drawing.PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def rss_bytes() -> int:
    """This process's resident memory, from /proc/self/statm (pages)."""
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_a_huge_canvas_picture_is_refused_before_decoding():
    """One 13000 x 13000 PNG (what a hostile browser can send as the canvas's value) is refused from its
    header: the process's memory does not grow by more than a few MB (decoding it would take ~676 MB)."""
    png = huge_blank_png(13000)
    assert len(png) < 1_000_000 and drawing.png_size(png) == (13000, 13000)
    before = rss_bytes()
    for _ in range(3):
        with pytest.raises(drawing.CanvasError) as err:
            drawing.canvas_pixels(png, 280, 280)
        assert err.value.key == "fm.canvas.too_big" and err.value.args_dict["w"] == 13000
    assert rss_bytes() - before < 8 * 2**20
    assert "13000×13000" in str(err.value) and "1120×1120" in str(err.value)
    assert "13000×13000" in err.value.message.render("zh")


def test_canvas_pictures_that_are_read_and_refused():
    rgba = drawing.draw_strokes(SEVEN, 20)
    ref = prep(rgba)
    assert close(ref, prep(drawing.canvas_pixels(png_of(rgba), 280, 280)), 0.005)
    # a HiDPI screen sends the canvas at twice its size: read, and the same digit
    big = drawing.draw_strokes([[(2 * x, 2 * y) for x, y in line] for line in SEVEN], 40, size=(560, 560))
    assert close(ref, prep(drawing.canvas_pixels(png_of(big), 280, 280)), 0.02)
    # black on transparent (the component's default): flattened on white, the same digit
    clear = drawing.draw_strokes(SEVEN, 20, style="black-on-transparent")
    assert close(ref, prep(drawing.canvas_pixels(png_of(clear), 280, 280)), 0.005)
    import io

    from PIL import Image

    jpeg = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(jpeg, format="JPEG")
    gif = io.BytesIO()
    Image.fromarray(rgba[..., 0]).save(gif, format="GIF")
    good = png_of(rgba)
    for bad, key in [(jpeg.getvalue(), "fm.canvas.not_png"), (gif.getvalue(), "fm.canvas.not_png"),
                     (b"", "fm.canvas.not_png"),
                     (good[:len(good) // 2], "fm.canvas.damaged"), (good[:40] + bytes(200), "fm.canvas.damaged"),
                     (png_of(np.zeros((281 * 4 + 1, 10, 4), np.uint8)), "fm.canvas.too_big")]:
        with pytest.raises(drawing.CanvasError) as err:
            drawing.canvas_pixels(bad, 280, 281)
        assert err.value.key == key, key
