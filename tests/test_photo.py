"""cnnviz.photo: synthetic phone photos of real MNIST test digits are read as the digit; blank, noisy or
ruled paper gives no digit with a reason; odd arrays never raise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz import checkpoints, data, drawing, photo
from cnnviz.training import predict

CLEAN = {"shadow": 0.0, "blur": 0.0, "noise": 0.0, "quality": None, "rotate": 0.0, "ruled": False,
         "margin": False, "light_on_dark": False, "paper": "white", "ink": "black", "thicken": 0.0}

CONDITIONS = {
    "shadow": {"shadow": 0.5},
    "tinted": {"paper": "yellow", "light_on_dark": False},
    "ruled": {"ruled": True, "margin": True, "light_on_dark": False},
    "blue ink": {"ink": "blue", "light_on_dark": False},
    "light on dark": {"light_on_dark": True, "paper": "blackboard", "ink": "chalk"},
    "blur, noise, JPEG": {"blur": 2.0, "noise": 10.0, "quality": 30},
    "rotated": {"rotate": 10.0},
    "small in a corner": {"height": 0.2, "centre": (0.15, 0.85)},
    "large": {"height": 0.7},
}


@pytest.fixture(scope="module")
def lenet():
    return checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))


@pytest.fixture(scope="module")
def digits(lenet):
    """Six test digits of different classes that LeNet-5 reads correctly as plain 28x28 input."""
    split = data.load_embedded()
    model, meta = lenet
    _, pred = predict(model, split.test_x[:200], meta.mean, meta.std)
    chosen, seen = [], set()
    for i in range(200):
        label = int(split.test_y[i])
        if int(pred[i]) == label and label not in seen:
            chosen.append(i)
            seen.add(label)
        if len(chosen) == 6:
            break
    return split.test_x[chosen].numpy(), split.test_y[chosen].numpy()


def _classify(lenet, pres):
    model, meta = lenet
    x = torch.from_numpy(np.stack([p.uint8 for p in pres]))
    with torch.no_grad():
        return predict(model, x, meta.mean, meta.std)[1].cpu().numpy()


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_condition_read_correctly(name, digits, lenet):
    xs, ys = digits
    rng = np.random.default_rng(sum(map(ord, name)))
    pres = []
    for x in xs[:4]:
        img, _ = photo.synthetic_photo(x, rng, **CONDITIONS[name])
        pre = photo.from_photo(img)
        assert isinstance(pre, drawing.Preprocessed), name
        assert pre.image.shape == (28, 28) and pre.image.min() >= 0.0 and pre.image.max() <= 1.0
        pres.append(pre)
    pred = _classify(lenet, pres)
    assert (pred == ys[:4]).sum() >= 3, (name, pred, ys[:4])


def test_clean_photo_matches_canvas_path(digits):
    """A clean photo (black ink on white, nothing else) gives what the canvas path gives for the same ink."""
    xs, _ = digits
    rng = np.random.default_rng(5)
    for x in xs[:3]:
        img, c = photo.synthetic_photo(x, rng, **CLEAN, size=(480, 480), height=0.5, centre=(0.5, 0.5))
        canvas = drawing.render_digit(x, size=(480, 480), centre=(240, 240), height=240)
        ref = drawing.preprocess(canvas)
        got = photo.from_photo(img)
        assert got is not None
        corr = np.corrcoef(got.image.ravel(), ref.image.ravel())[0, 1]
        assert corr > 0.9, corr
        assert np.abs(got.image - ref.image).mean() < 0.08


def test_steps_for_display(digits):
    img, _ = photo.synthetic_photo(digits[0][0], np.random.default_rng(1), size=(1024, 768))
    r = photo.analyze_photo(img)
    assert r.ok and r.reason is None
    assert set(r.steps) == set(photo.STEPS)
    assert r.steps["photo"].shape == (512, 384, 3) and r.steps["photo"].dtype == np.uint8
    assert r.steps["paper_removed"].shape == (512, 384)
    assert r.steps["ink"].shape == (512, 384, 3)
    assert np.array_equal(r.steps["digit"], r.pre.uint8)
    top, left, bottom, right = r.bbox                       # in the full photo's pixels
    assert 0 <= top < bottom <= 1024 and 0 <= left < right <= 768


def _paper(h=600, w=800, seed=0, ruled=False, shadow=0.4):
    """Blank paper through the same rendering (an all-zero digit draws no ink)."""
    blank = np.zeros((28, 28), np.uint8)
    img, _ = photo.synthetic_photo(blank, np.random.default_rng(seed), size=(h, w), shadow=shadow,
                                   ruled=ruled, margin=ruled, light_on_dark=False, noise=8.0, quality=40)
    return img


@pytest.mark.parametrize("ruled", [False, True])
def test_blank_and_ruled_paper_give_no_digit(ruled):
    for seed in range(3):
        r = photo.analyze_photo(_paper(seed=seed, ruled=ruled))
        assert r.pre is None and r.reason is not None and r.reason.key.startswith("photo.reason."), r.reason


def test_noise_and_blob_give_no_digit():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    r = photo.analyze_photo(noise)
    assert r.pre is None and r.reason is not None
    blob = np.full((480, 640, 3), 230, np.uint8)
    yy, xx = np.mgrid[:480, :640]
    blob[(yy - 240) ** 2 + (xx - 320) ** 2 < 120 ** 2] = 40          # a thumb over the lens, not strokes
    r = photo.analyze_photo(blob)
    assert r.pre is None and r.reason.key == "photo.reason.blob"


def test_light_on_dark_detected(digits, lenet):
    img, _ = photo.synthetic_photo(digits[0][1], np.random.default_rng(3), light_on_dark=True, paper="black",
                                   ink="white")
    r = photo.analyze_photo(img)
    assert r.light_on_dark and r.ok
    assert _classify(lenet, [r.pre])[0] == digits[1][1]
    dark, _ = photo.synthetic_photo(digits[0][1], np.random.default_rng(3), light_on_dark=False)
    assert not photo.analyze_photo(dark).light_on_dark


@pytest.mark.parametrize("arr", [
    np.zeros((1, 1, 3), np.uint8),
    np.full((10000, 10, 3), 255, np.uint8),
    np.full((10, 10000, 3), 255, np.uint8),
    np.zeros((0, 0, 3), np.uint8),
    np.zeros((5, 5, 5, 3), np.uint8),
    np.zeros((40, 40, 7), np.uint8),
    np.full((100, 100, 3), np.nan, np.float32),
], ids=["1x1", "tall strip", "wide strip", "empty", "4-d", "7 channels", "nan"])
def test_odd_inputs_never_raise(arr):
    r = photo.analyze_photo(arr)
    assert r.pre is None and r.reason is not None
    assert r.reason.english()                              # the key exists in the tables


def test_other_dtypes_read_the_same(digits):
    img, _ = photo.synthetic_photo(digits[0][2], np.random.default_rng(4), **CLEAN)
    ref = photo.from_photo(img)
    as_float = photo.from_photo(img.astype(np.float64) / 255.0)
    as_int = photo.from_photo(img.astype(np.int32))
    grey = photo.from_photo(img.mean(axis=2).astype(np.uint8))
    rgba = photo.from_photo(np.dstack([img, np.full(img.shape[:2], 255, np.uint8)]))
    for other in (as_float, as_int, grey, rgba):
        assert other is not None
        assert np.abs(other.image - ref.image).mean() < 0.02
