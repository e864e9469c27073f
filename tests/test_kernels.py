"""Kernels against references: torch shapes, scipy.ndimage.correlate, exact inspector sums."""

import math
import re
import warnings

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnnviz import checkpoints, convolution, kernels, models
from cnnviz.kernels import ConvParams, KernelError

SCIPY_MODE = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}
NUMPY_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
RNG = np.random.default_rng(1)
IMG = RNG.random((37, 45)).astype(np.float32)                       # 0–1: float32 error ≪ 1e-5
IMG255 = RNG.integers(0, 256, (29, 33, 3)).astype(np.float32)       # whole numbers, like photos
SINGLE = [k for k, p in kernels.PRESETS.items() if p.combine == "single"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def dilate(k: np.ndarray, d: int) -> np.ndarray:
    kh, kw = k.shape
    out = np.zeros((d * (kh - 1) + 1, d * (kw - 1) + 1), np.float64)
    out[::d, ::d] = k
    return out


def reference(img: np.ndarray, k: np.ndarray, p: ConvParams) -> np.ndarray:
    """Pad with NumPy, correlate with scipy, keep the positions where the kernel fits, step by stride."""
    x = np.pad(img.astype(np.float64), p.padding, mode=NUMPY_PAD[p.padding_mode]) if p.padding else \
        img.astype(np.float64)
    kd = dilate(k.astype(np.float64), p.dilation)
    sh, sw = kd.shape
    # scipy puts the kernel's centre (index s // 2) on each pixel: out[i + s//2] = Σ x[i + a] kd[a]
    out = ndi.correlate(x, kd, mode="constant")
    rows, cols = x.shape[0] - sh + 1, x.shape[1] - sw + 1
    return out[sh // 2:sh // 2 + rows, sw // 2:sw // 2 + cols][:: p.stride, :: p.stride]


# ----------------------------------------------------------------------------- output size

@FAST
@given(size=st.integers(1, 40), width=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5),
       p=st.integers(0, 4), d=st.integers(1, 4))
def test_output_size_equals_torch_shape(size, width, k, s, p, d):
    params = ConvParams(s, p, "zeros", d)
    span = d * (k - 1) + 1
    if span > size + 2 * p or span > width + 2 * p:
        assert kernels.output_size(min(size, width), k, p, s, d) == 0
        with pytest.raises(KernelError, match="does not fit"):
            kernels.check_params(size, width, (k, k), params)
        return
    y = F.conv2d(torch.zeros(1, 1, size, width), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    assert (kernels.output_size(size, k, p, s, d), kernels.output_size(width, k, p, s, d)) == tuple(y.shape[2:])
    assert kernels.check_params(size, width, (k, k), params) == tuple(y.shape[2:])
    got = kernels.convolve(np.zeros((size, width), np.float32), np.ones((k, k), np.float32), s, p, "zeros", d)
    assert got.shape == tuple(y.shape[2:])
    text = kernels.formula_text(width, k, p, s, d)
    assert text.endswith(f"= {y.shape[3]}")


# ----------------------------------------------------------------------------- against scipy

@pytest.mark.parametrize("key", SINGLE)
@pytest.mark.parametrize("mode", kernels.PADDING_MODES)
def test_presets_match_scipy_correlate_same_size(key, mode):
    k = kernels.PRESETS[key].kernel
    pad = k.shape[0] // 2
    got = kernels.convolve(IMG, k, padding=pad, padding_mode=mode)
    ref = ndi.correlate(IMG.astype(np.float64), k.astype(np.float64), mode=SCIPY_MODE[mode])
    assert got.shape == IMG.shape
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)


@FAST
@given(k=st.sampled_from([1, 2, 3, 4, 5]), s=st.integers(1, 4), p=st.integers(0, 4), d=st.integers(1, 3),
       mode=st.sampled_from(kernels.PADDING_MODES), seed=st.integers(0, 2**16))
def test_random_kernels_match_scipy(k, s, p, d, mode, seed):
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(k, k)).astype(np.float32)
    params = ConvParams(s, p, mode, d)
    got = kernels.convolve(IMG, weights, s, p, mode, d)
    np.testing.assert_allclose(got, reference(IMG, weights, params), atol=1e-5, rtol=0)


@FAST
@given(k=st.sampled_from([1, 2, 3, 4, 5]), s=st.integers(1, 4), p=st.integers(0, 4), d=st.integers(1, 3),
       mode=st.sampled_from(kernels.PADDING_MODES), seed=st.integers(0, 2**16), tuned=st.booleans())
def test_rgbx_images_match_scipy_per_channel(k, s, p, d, mode, seed, tuned):
    """A colour image stored as RGBX (what the loader makes) is convolved as four channels; each of the
    three it returns must be the plain correlation of that channel, for one kernel and for the gradient
    magnitude, whether or not the process runs with the tuned allocator (which decides the path)."""
    from cnnviz import images

    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(k, k)).astype(np.float32)
    params = ConvParams(s, p, mode, d, "rgb")
    rgb = rng.random((23, 19, 3)).astype(np.float32)
    x = images.rgbx(rgb)
    x.setflags(write=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convolution, "malloc_tuned", lambda: tuned)
        got = kernels.apply_kernels(x, weights, params).output
        mag = kernels.apply_kernels(x, np.stack([weights, weights.T]), params, "magnitude").output
    assert got.shape[2] == 3 and mag.shape == got.shape
    for c in range(3):
        np.testing.assert_allclose(got[..., c], reference(rgb[..., c], weights, params), atol=1e-5, rtol=0)
    ref = np.hypot(reference(rgb[..., 1], weights, params), reference(rgb[..., 1], weights.T, params))
    np.testing.assert_allclose(mag[..., 1], ref, atol=1e-4, rtol=1e-5)
    np.testing.assert_array_equal(x, rgb)                    # the input is untouched


def test_malloc_tunables_are_merged_once(monkeypatch):
    from cnnviz import runtime

    env = runtime.tuned_environ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4:glibc.cpu.x=1", "PATH": "/bin"})
    items = dict(i.split("=") for i in env["GLIBC_TUNABLES"].split(":"))
    assert items["glibc.malloc.arena_max"] == "4" and items["glibc.cpu.x"] == "1"    # what was set wins
    assert items["glibc.malloc.mmap_threshold"] == str(256 << 20) and env["PATH"] == "/bin"
    assert runtime.tuned_environ(env) is None                                      # never twice
    assert runtime.tuned_environ({"CNNVIZ_MALLOC_TUNE": "0"}) is None
    monkeypatch.setattr(runtime.sys, "platform", "darwin")
    assert runtime.tuned_environ({}) is None


@FAST
@given(h=st.integers(1, 300), w=st.integers(1, 30), kh=st.integers(1, 5), kw=st.integers(1, 5),
       s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3),
       mode=st.sampled_from(kernels.PADDING_MODES), seed=st.integers(0, 2**16))
def test_grayscale_stripes_match_scipy(h, w, kh, kw, s, p, d, mode, seed):
    """Grayscale runs as up to STRIPES horizontal stripes in the channels of one conv2d: tall images
    (many stripes), odd heights, strides and dilations that make stripes reach into each other,
    and every padding mode must still give exactly the plain correlation."""
    rng = np.random.default_rng(seed)
    img = rng.random((h, w)).astype(np.float32)
    weights = rng.normal(size=(kh, kw)).astype(np.float32)
    params = ConvParams(s, p, mode, d)
    try:
        got = kernels.convolve(img, weights, s, p, mode, d)
    except KernelError:
        assume(False)
    np.testing.assert_allclose(got, reference(img, weights, params), atol=1e-5, rtol=0)


def test_large_grayscale_uses_every_stripe_and_matches_conv2d():
    img = RNG.random((517, 83)).astype(np.float32)
    k = RNG.normal(size=(5, 3)).astype(np.float32)
    assert convolution._stripe_count(517) == kernels.STRIPES
    for s, d in [(1, 1), (2, 1), (1, 3), (3, 2)]:
        got = kernels.convolve(img, k, s, 2, "zeros", d)
        ref = F.conv2d(torch.from_numpy(img)[None, None], torch.from_numpy(k)[None, None],
                       stride=s, padding=2, dilation=d)[0, 0].numpy()
        np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("key", ["sobel_x", "laplacian", "outline", "sharpen", "emboss", "gaussian5"])
def test_integer_images_are_exact(key):
    """Whole-number pixels and dyadic weights: float32 arithmetic is exact, so equality holds."""
    k = kernels.PRESETS[key].kernel
    got = kernels.convolve(IMG255[..., 0], k, padding=k.shape[0] // 2)
    ref = ndi.correlate(IMG255[..., 0].astype(np.float64), k.astype(np.float64), mode="constant")
    np.testing.assert_array_equal(got, ref)


def test_rgb_is_filtered_per_channel():
    r = kernels.apply_preset(IMG255, "sobel_y", ConvParams(2, 1, "replicate", 1, "rgb"))
    assert r.output.shape == (15, 17, 3)
    for c in range(3):
        ref = reference(IMG255[..., c], kernels.PRESETS["sobel_y"].kernel, r.params)
        np.testing.assert_allclose(r.output[..., c], ref, rtol=1e-6, atol=1e-3)


def test_grayscale_uses_luma():
    r = kernels.apply_preset(IMG255, "identity", ConvParams(padding=1))
    assert r.output.shape == IMG255.shape[:2] + (1,)
    luma = IMG255 @ np.array([0.299, 0.587, 0.114])
    assert (r.output[..., 0] == np.floor(r.output[..., 0])).all()       # rounded like Pillow's L
    assert np.abs(r.output[..., 0] - luma).max() <= 0.5 + 1e-4


def test_gradient_magnitude():
    r = kernels.apply_preset(IMG, "sobel_magnitude", ConvParams(padding=1))
    gx = ndi.correlate(IMG.astype(np.float64), kernels.PRESETS["sobel_x"].kernel.astype(np.float64),
                       mode="constant")
    gy = ndi.correlate(IMG.astype(np.float64), kernels.PRESETS["sobel_y"].kernel.astype(np.float64),
                       mode="constant")
    np.testing.assert_allclose(r.output[..., 0], np.hypot(gx, gy), atol=1e-5)


@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")   # cnnviz.kernels silences it;
@pytest.mark.parametrize("color", ["gray", "rgb"])                          # pytest resets filters per test
def test_read_only_images_are_convolved_in_place(color):
    """The pages cache their images read-only; the convolution reads them without a copy and without
    changing them, and gives what it gives on a writable copy."""
    img = IMG255.copy()
    img.setflags(write=False)
    t = convolution._as_nchw_channels_last(img)
    assert t.data_ptr() == img.ctypes.data                   # shared, not copied
    params = ConvParams(stride=2, padding=1, color=color)
    for key in ("sobel_x", "sobel_magnitude", "gaussian5"):
        got = kernels.apply_preset(img, key, params).output
        np.testing.assert_array_equal(got, kernels.apply_preset(IMG255.copy(), key, params).output)
    np.testing.assert_array_equal(img, IMG255)


def test_conv_input_is_channels_last():
    t = convolution._as_nchw_channels_last(np.ascontiguousarray(IMG255))
    assert t.shape == (1, 3, 29, 33)
    assert t.is_contiguous(memory_format=torch.channels_last)


def test_presets_are_as_specified():
    assert set(kernels.PRESETS) >= {"identity", "sobel_x", "sobel_y", "sobel_magnitude", "scharr_x", "scharr_y",
                                    "prewitt_x", "prewitt_y", "laplacian", "outline", "box_blur", "gaussian3",
                                    "gaussian5", "sharpen", "emboss"}
    np.testing.assert_array_equal(kernels.PRESETS["outline"].kernel, [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    for key in ("box_blur", "gaussian3", "gaussian5", "sharpen", "emboss", "identity"):
        assert kernels.PRESETS[key].kernel.sum() == pytest.approx(1.0, abs=1e-6)
    for key in ("sobel_x", "sobel_y", "scharr_x", "scharr_y", "prewitt_x", "prewitt_y", "laplacian", "outline"):
        assert kernels.PRESETS[key].kernel.sum() == 0
    for name in ("sobel", "scharr", "prewitt"):   # the y kernel is the x kernel transposed
        np.testing.assert_array_equal(kernels.PRESETS[f"{name}_y"].kernel, kernels.PRESETS[f"{name}_x"].kernel.T)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("bad, match", [
    (float("nan"), "NaN"), (float("inf"), "infinite"), (float("-inf"), "infinite"),
    (1000.5, "between"), (-2e3, "between"), (None, "empty"), ("abc", "not a number"), ("", "empty"),
])
def test_bad_kernel_values(bad, match):
    grid = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    grid[1][2] = bad
    with pytest.raises(KernelError, match=match) as info:
        kernels.validate_kernel(grid, sizes=(3, 5))
    assert "row 2, column 3" in str(info.value)
    assert_translated(info.value)


def test_valid_kernel_limits():
    k = kernels.validate_kernel([[1000, -1000, 0]] * 3, sizes=(3, 5))
    assert k.dtype == np.float32 and k.shape == (3, 3)
    with pytest.raises(KernelError, match="3×3"):
        kernels.validate_kernel([[1, 2], [3, 4]], sizes=(3, 5))


def test_normalise():
    k, how = kernels.normalise(np.ones((3, 3), np.float32))
    assert k.sum() == pytest.approx(1.0) and "sum" in how.english()
    k, how = kernels.normalise(kernels.PRESETS["laplacian"].kernel)      # sum 0
    assert np.isfinite(k).all() and k[k > 0].sum() == pytest.approx(1.0) and "sum to 0" in how.english()
    z, how = kernels.normalise(np.zeros((3, 3), np.float32))
    assert (z == 0).all() and "all weights are 0" in how.english()


@pytest.mark.parametrize("params, match", [
    (ConvParams(stride=0), "Stride 0"),
    (ConvParams(dilation=0), "Dilation 0"),
    (ConvParams(padding=-1), "Padding -1"),
    (ConvParams(padding=6, padding_mode="reflect"), "Reflect padding"),
    (ConvParams(padding=7, padding_mode="circular"), "Circular padding"),
    (ConvParams(dilation=4), "does not fit"),
    (ConvParams(padding_mode="mirror"), "padding mode"),
])
def test_bad_parameters(params, match):
    with pytest.raises(KernelError, match=match) as info:
        kernels.apply_kernels(np.zeros((6, 8), np.float32), kernels.PRESETS["sobel_x"].kernel, params)
    assert_translated(info.value)


def assert_translated(err) -> None:
    """A library error is a message key with arguments, and its Chinese text is Chinese."""
    from cnnviz import i18n
    from cnnviz.messages import MessageError

    assert isinstance(err, MessageError) and err.key in i18n.TEXTS["zh"]
    zh = err.message.render("zh")
    assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", zh), zh


def test_kernel_larger_than_image():
    with pytest.raises(KernelError, match="does not fit"):
        kernels.apply_preset(np.zeros((4, 4), np.float32), "gaussian5")
    out = kernels.apply_preset(np.zeros((4, 4), np.float32), "gaussian5", ConvParams(padding=1))
    assert out.out_size == (2, 2)


# ----------------------------------------------------------------------------- display scaling

@pytest.mark.parametrize("scaling", list(kernels.SCALINGS))
@pytest.mark.parametrize("value", [0.0, 37.5, -12.0])
def test_flat_output_never_divides_by_zero(scaling, value):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        d = kernels.scale_for_display(np.full((5, 7, 1), value, np.float32), scaling)
    assert d.image.dtype == np.uint8 and d.image.shape[:2] == (5, 7)
    assert d.legend


def test_scalings():
    out = np.array([[-100.0, 0.0], [50.0, 300.0]], np.float32)
    clip = kernels.scale_for_display(out, "clip").image
    np.testing.assert_array_equal(clip, [[0, 0], [50, 255]])
    mm = kernels.scale_for_display(out, "minmax").image
    assert mm[0, 0] == 0 and mm[1, 1] == 255
    ab = kernels.scale_for_display(out, "absolute", percentile=None).image
    assert ab[0, 1] == 0 and ab[1, 1] == 255 and ab[0, 0] == 85
    dv = kernels.scale_for_display(out, "diverging", percentile=None).image
    assert dv.shape == (2, 2, 3)
    np.testing.assert_array_equal(dv[0, 1], [247, 247, 247])       # 0 is white
    assert dv[0, 0, 2] > dv[0, 0, 0] and dv[1, 1, 0] > dv[1, 1, 2]  # negative blue, positive red
    with pytest.raises(KernelError):
        kernels.scale_for_display(out, "rainbow")


def test_display_scaling_downscales_only_the_picture():
    out = RNG.normal(size=(1200, 800)).astype(np.float32)
    d = kernels.scale_for_display(out, "minmax", max_side=300)
    assert d.image.shape == (300, 200) and d.factor == pytest.approx(4.0)
    assert d.low == out.min() and d.high == out.max()


# ----------------------------------------------------------------------------- pixel inspector

@FAST
@given(key=st.sampled_from(list(kernels.PRESETS)), s=st.integers(1, 3), p=st.integers(0, 3),
       d=st.integers(1, 2), mode=st.sampled_from(kernels.PADDING_MODES), color=st.sampled_from(["gray", "rgb"]),
       data=st.data())
def test_inspector_sum_is_the_output_pixel(key, s, p, d, mode, color, data):
    params = ConvParams(s, p, mode, d, color)
    r = kernels.apply_preset(IMG255, key, params)
    oh, ow = r.out_size
    row, col = data.draw(st.integers(0, oh - 1)), data.draw(st.integers(0, ow - 1))
    ch = data.draw(st.integers(0, r.input.shape[2] - 1))
    ins = kernels.inspect_pixel(r, row, col, ch)
    # the window really is what the padded image holds there
    padded = np.pad(r.input[..., ch].astype(np.float64), p, mode=NUMPY_PAD[mode]) if p else r.input[..., ch]
    rows, cols = ins.rows + p, ins.cols + p
    np.testing.assert_array_equal(ins.window, padded[np.ix_(rows, cols)])
    for k, prod in zip(ins.kernels, ins.products):
        np.testing.assert_array_equal(prod, ins.window * k)
    if key == "box_blur" or ins.combine == "magnitude":   # 1/9 and √ are not exact in float32
        assert ins.value == pytest.approx(ins.output_value, rel=1e-6, abs=1e-4)
    else:
        assert ins.value == ins.output_value                # exactly
    assert ins.matches


def test_inspector_bounds():
    r = kernels.apply_preset(IMG, "sobel_x")
    with pytest.raises(KernelError, match="outside"):
        kernels.inspect_pixel(r, 35, 0)
    with pytest.raises(KernelError, match="Channel"):
        kernels.inspect_pixel(r, 0, 0, 1)


def test_inspector_marks_padding():
    r = kernels.apply_preset(IMG255, "sobel_x", ConvParams(padding=1))
    ins = kernels.inspect_pixel(r, 0, 0)
    assert ins.in_padding[0].all() and ins.in_padding[:, 0].all() and not ins.in_padding[1:, 1:].any()
    assert (ins.window[ins.in_padding] == 0).all()


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 40), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3),
       x=st.floats(-5, 45), data=st.data())
def test_a_click_on_the_input_picks_the_output_pixel_centred_nearest(size, k, s, p, d, x, data):
    """Against brute force: the inspector windows (from inspect_pixel) of every output pixel, and the one
    whose centre is nearest to the clicked input position (ties: the lower index)."""
    params = ConvParams(stride=s, padding=p, dilation=d)
    n = kernels.output_size(size, k, p, s, d)
    assume(n >= 1)
    width = data.draw(st.integers(1, 12))
    img = np.arange(size * width, dtype=np.float32).reshape(size, width)
    result = kernels.apply_kernels(img, np.ones((k, 1), np.float32) / k, params)
    assert result.out_size[0] == n
    centres = [kernels.inspect_pixel(result, r, 0).rows.mean() for r in range(n)]
    want = min(range(n), key=lambda r: (abs(centres[r] - x), r))
    got, col = kernels.output_pixel_near(x, 0.0, (k, 1), params, result.out_size)
    assert got == want or math.isclose(abs(centres[got] - x), abs(centres[want] - x), abs_tol=1e-9)
    assert 0 <= col < result.out_size[1]
    # a click on an output pixel's window centre (a whole pixel when D·(k−1) is even) picks that pixel
    for r in range(n):
        if (d * (k - 1)) % 2 == 0:
            assert kernels.output_pixel_near(centres[r], 0, (k, 1), params, result.out_size)[0] == r


def test_pick_needs_a_position_and_an_output():
    with pytest.raises(KernelError):
        kernels.output_pixel_near(float("nan"), 0, (3, 3), ConvParams(), (5, 5))
    with pytest.raises(KernelError):
        kernels.output_pixel_near(1, 1, (3, 3), ConvParams(), (0, 5))


# ----------------------------------------------------------------------------- learned kernels

@pytest.fixture(scope="module")
def saved_lenet(tmp_path_factory):
    torch.manual_seed(0)
    model = models.build("lenet5")
    path = checkpoints.save_checkpoint(tmp_path_factory.mktemp("ck") / "lenet5", model,
                                       checkpoints.CheckpointMeta(arch="lenet5", test_acc=0.5))
    return path


def test_learned_kernels_match_the_models_own_layer(saved_lenet):
    infos = checkpoints.list_checkpoints(saved_lenet.parent)
    assert [i.name for i in infos] == ["lenet5"]
    model, meta = checkpoints.load_checkpoint(infos[0].path)
    res = kernels.apply_learned(IMG255, model, meta.mean, meta.std, display_side=1000, chunk_bytes=1)
    gray = np.rint(IMG255 @ np.array([0.299, 0.587, 0.114], np.float32))
    x = torch.from_numpy(((gray / 255 - meta.mean) / meta.std).astype(np.float32))[None, None]
    with torch.no_grad():
        ref = model.c1(x)[0].numpy()
    assert res.layer == "c1" and res.weights.shape == (6, 5, 5) and len(res.maps) == 6
    assert res.out_size == ref.shape[1:] == (29, 33)
    for m, r_, (lo, hi) in zip(res.maps, ref, res.ranges):
        np.testing.assert_allclose(m, r_, atol=1e-4)
        assert lo == pytest.approx(r_.min(), abs=1e-5) and hi == pytest.approx(r_.max(), abs=1e-5)
    inv = kernels.apply_learned(IMG255, model, meta.mean, meta.std, invert=True, display_side=1000)
    assert not np.allclose(inv.maps[0], res.maps[0])


def test_learned_maps_are_downscaled_for_display_only(saved_lenet):
    model, meta = checkpoints.load_checkpoint(saved_lenet)
    big = RNG.integers(0, 256, (300, 500)).astype(np.float32)
    res = kernels.apply_learned(big, model, display_side=100)
    assert res.out_size == (300, 500)            # computed at full size
    assert max(res.maps[0].shape) == 100 and res.factor == pytest.approx(5.0)


@pytest.mark.parametrize("arch", [a for a in models.REGISTRY if a != "mlp"])
def test_every_cnn_has_a_first_conv(arch):
    name, conv = kernels.first_conv(models.build(arch))
    assert conv.in_channels == 1
    res = kernels.apply_learned(IMG255[:20, :20], models.build(arch).eval())
    assert len(res.maps) == conv.out_channels and all(np.isfinite(m).all() for m in res.maps)


def test_mlp_has_no_kernels():
    with pytest.raises(KernelError, match="no convolution"):
        kernels.apply_learned(IMG255, models.build("mlp"))


def test_size_walkthrough_still_uses_the_formula():
    from cnnviz import activations

    steps = activations.size_walkthrough(models.build("lenet5"))
    assert any(s.formula.endswith("= 28") for s in steps)
    assert math.isclose(kernels.output_size(28, 5, 2), 28)


# ----------------------------------------------------------------------------- module layout

def test_split_modules_are_re_exported_from_kernels():
    """``cnnviz.kernels`` keeps every name other code uses; the split-off modules own them."""
    import importlib

    from cnnviz.kernels import convolve, output_size  # the public API
    assert convolve is convolution.convolve and output_size(28, 5, 2) == 28
    for module, names in kernels._MOVED.items():
        mod = importlib.import_module(f"cnnviz.{module}")
        for name in names:
            assert getattr(kernels, name) is getattr(mod, name), name
    with pytest.raises(AttributeError):
        _ = kernels.DIVERGING_COLORSCALE       # dead code, removed


def test_no_function_of_the_kernel_modules_is_longer_than_80_lines():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "cnnviz"
    for name in ("kernels", "convolution", "display", "inspector", "learned", "pooling"):
        tree = ast.parse((root / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno + 1 <= 80, (name, node.name)


# ----------------------------------------------------------------------------- teaching: Conv2d, directions, formula

@FAST
@given(k=st.sampled_from([1, 2, 3, 5]), s=st.integers(1, 3), p=st.integers(0, 3), d=st.integers(1, 2),
       mode=st.sampled_from(kernels.PADDING_MODES), bias=st.floats(-300, 300), seed=st.integers(0, 2**16),
       rgbx=st.booleans())
def test_conv3_mode_is_a_conv2d_with_three_input_channels(k, s, p, d, mode, bias, seed, rgbx):
    """The "Conv2d with 3 input channels" mode equals F.conv2d with a 1×3×k×k weight (the kernel for every
    channel) and the bias: out = Σ_c x_c ⋆ k + b."""
    from cnnviz import images

    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(k, k)).astype(np.float32)
    rgb = rng.integers(0, 256, (21, 17, 3)).astype(np.float32)
    params = ConvParams(s, p, mode, d, "conv3", bias)
    got = kernels.apply_kernels(images.rgbx(rgb) if rgbx else rgb, weights, params)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    if p and mode != "zeros":
        x = F.pad(x, (p, p, p, p), mode=mode)
    w = torch.from_numpy(weights)[None, None].expand(1, 3, k, k)
    ref = F.conv2d(x, w, torch.tensor([bias], dtype=torch.float32), stride=s,
                   padding=p if mode == "zeros" else 0, dilation=d)[0, 0].numpy()
    assert got.output.shape == (*ref.shape, 1)
    np.testing.assert_allclose(got.output[..., 0], ref, rtol=1e-5, atol=2e-3)
    row, col = rng.integers(0, ref.shape[0]), rng.integers(0, ref.shape[1])
    ins = kernels.inspect_pixel(got, int(row), int(col), 1)
    assert len(ins.channel_sums[0]) == 3 and ins.bias == pytest.approx(bias)
    assert ins.value == pytest.approx(math.fsum([*ins.channel_sums[0], ins.bias]))
    assert ins.value == pytest.approx(float(ref[row, col]), rel=1e-5, abs=2e-3) and ins.matches
    assert ins.channel_sums[0][1] == pytest.approx(math.fsum(ins.products[0].ravel()))   # channel G's window


def test_conv3_mode_gradient_magnitude_and_grayscale_input():
    gray = IMG255[..., 0]
    res = kernels.apply_preset(gray, "sobel_magnitude", ConvParams(padding=1, color="conv3", bias=2.0))
    gx = 3 * ndi.correlate(gray.astype(np.float64), kernels.PRESETS["sobel_x"].kernel.astype(np.float64),
                           mode="constant") + 2
    gy = 3 * ndi.correlate(gray.astype(np.float64), kernels.PRESETS["sobel_y"].kernel.astype(np.float64),
                           mode="constant") + 2
    np.testing.assert_allclose(res.output[..., 0], np.hypot(gx, gy), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("bias", [float("nan"), float("inf"), 2e4])
def test_bad_bias(bias):
    with pytest.raises(KernelError, match="bias") as info:
        kernels.apply_kernels(IMG255, kernels.PRESETS["identity"].kernel, ConvParams(color="conv3", bias=bias))
    assert_translated(info.value)


def _bright_square() -> np.ndarray:
    img = np.zeros((30, 30), np.float32)
    img[10:20, 10:20] = 1.0
    return img


def test_emboss_is_lit_from_the_upper_left():
    """Cross-correlation, no flip: on a bright square the top and left edges come out bright (4), the bottom
    and right edges dark (−2), the inside 1: light from the upper left, as the description says."""
    from cnnviz import i18n

    out = kernels.convolve(_bright_square(), kernels.PRESETS["emboss"].kernel, padding=1)
    assert out[10, 15] == out[15, 10] == 4            # top edge, left edge
    assert out[19, 15] == out[15, 19] == -2           # bottom edge, right edge
    assert out[15, 15] == 1
    assert "upper left" in i18n.t("preset.emboss.desc", "en") and "左上方" in i18n.t("preset.emboss.desc", "zh")


def test_sobel_x_is_positive_from_dark_on_the_left_to_light_on_the_right():
    from cnnviz import i18n

    img = np.zeros((9, 10), np.float32)
    img[:, 5:] = 255                                   # dark left half, light right half
    out = kernels.convolve(img, kernels.PRESETS["sobel_x"].kernel, padding=1)
    assert out[4, 4] > 0 and out[4, 5] > 0 and (out[:, :3] == 0).all()
    flipped = kernels.convolve(np.ascontiguousarray(img[:, ::-1]), kernels.PRESETS["sobel_x"].kernel, padding=1)
    assert (flipped[4, 1:-1] <= 0).all() and flipped[4, 4] < 0     # light-to-dark: negative (border aside)
    assert "Dark on the left and light on the right gives positive" in i18n.t("preset.sobel_x.desc", "en")
    assert "左暗右亮为正值" in i18n.t("preset.sobel_x.desc", "zh")


def _evaluate(formula: str) -> int:
    """The printed arithmetic of a formula_text, evaluated: ``⌈(7 − 2 + 2×1)/2⌉ + 1 − 1``."""
    expr = formula.split(" = ")[0]
    for a, b in (("⌈", "math.ceil("), ("⌉", ")"), ("⌊", "math.floor("), ("⌋", ")"), ("×", "*"), ("−", "-")):
        expr = expr.replace(a, b)
    return eval(expr, {"math": math})   # noqa: S307 (our own formula, digits and operators only)


@FAST
@given(w=st.integers(1, 30), k=st.integers(1, 6), s=st.integers(1, 5), p=st.integers(0, 3), ceil=st.booleans(),
       d=st.integers(1, 3))
def test_printed_formula_arithmetic_gives_torch_size(w, k, s, p, ceil, d):
    """What the pages print must add up: the formula's own arithmetic equals the result it states, and that
    equals PyTorch's MaxPool2d (with ceil_mode) or Conv2d output size."""
    if ceil:
        d = 1
        assume(p <= k // 2 and k <= w + 2 * p)
        want = torch.nn.MaxPool2d((1, k), (1, s), (0, p), ceil_mode=True)(torch.zeros(1, 1, 1, w)).shape[-1]
    else:
        assume(d * (k - 1) + 1 <= w + 2 * p)
        want = F.conv2d(torch.zeros(1, 1, 1, w), torch.zeros(1, 1, 1, k), stride=s, padding=(0, p),
                        dilation=d).shape[-1]
    text = kernels.formula_text(w, k, p, s, d, ceil)
    assert text.endswith(f"= {want}") and _evaluate(text) == want, text


def test_ceil_mode_shows_the_dropped_window():
    """W=7, F=2, S=2, P=1: ⌈7/2⌉ + 1 = 5 windows, but the fifth would start in the right padding."""
    assert kernels.formula_text(7, 2, 1, 2, 1, True) == "⌈(7 − 2 + 2×1)/2⌉ + 1 − 1 = 4"
    assert torch.nn.MaxPool2d(2, 2, 1, ceil_mode=True)(torch.zeros(1, 1, 7, 7)).shape[-1] == 4
    assert kernels.ceil_drops_last(7, 2, 1, 2) and not kernels.ceil_drops_last(8, 2, 1, 2)
    assert kernels.formula_text(8, 2, 1, 2, 1, True) == "⌈(8 − 2 + 2×1)/2⌉ + 1 = 5"


def test_teaching_texts():
    from cnnviz import i18n

    en, zh = i18n.TEXTS["en"], i18n.TEXTS["zh"]
    assert "cross-correlation" in en["kern.intro"] and "互相关" in zh["kern.intro"]
    assert "Σ_c x_c ⋆ k_c + b" in en["kern.intro"] and "Σ_c x_c ⋆ k_c + b" in zh["kern.intro"]
    assert "−8" in en["preset.outline.desc"] and "typo" in en["preset.outline.desc"]
    assert "+8" in zh["preset.outline.desc"] and "笔误" in zh["preset.outline.desc"]
    assert "seed" not in en["preset.outline.desc"]
    assert "a Conv2d would mix them" in en["color.rgb"]
    for key in ("preset.laplacian.desc", "preset.outline.desc", "preset.sharpen.desc"):
        assert "相邻像素" in zh[key] and "邻居" not in zh[key]
    assert sum("步幅（步长）" in v for k, v in zh.items() if k.startswith("kern.")) == 1
    assert "padding on each side" in en["kern.formula_where"] and "⌊ ⌋" in en["kern.formula_where"]
