"""Pooling against a NumPy reference and torch's shapes; pyramid; the worked example."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz import kernels, pooling
from cnnviz.pooling import PoolingError, PoolParams

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def numpy_pool(x: np.ndarray, p: PoolParams) -> np.ndarray:
    """Loop-by-loop PyTorch semantics: −∞ padding for max; zero padding counted for avg; ceil_mode
    keeps a window that starts inside the left-padded input, and its divisor stops at the padding."""
    h, w = x.shape
    k, s, pad = p.kernel, p.step, p.padding

    def n_out(n):
        span = n + 2 * pad - k
        o = (-(-span // s) if p.ceil_mode else span // s) + 1
        if p.ceil_mode and (o - 1) * s >= n + pad:
            o -= 1
        return o

    oh, ow = n_out(h), n_out(w)
    out = np.empty((oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - pad, j * s - pad
            r1, c1 = min(r0 + k, h + pad), min(c0 + k, w + pad)
            cells = x[max(r0, 0):min(r1, h), max(c0, 0):min(c1, w)]
            if p.kind == "max":
                out[i, j] = cells.max()
            else:
                out[i, j] = cells.sum() / ((r1 - r0) * (c1 - c0))
    return out


@FAST
@given(h=st.integers(1, 30), w=st.integers(1, 30), k=st.integers(1, 6), s=st.integers(1, 5),
       pad=st.integers(0, 3), ceil=st.booleans())
def test_output_size_with_ceil_mode_equals_torch(h, w, k, s, pad, ceil):
    if pad > k // 2:
        with pytest.raises(PoolingError, match="at most half"):
            pooling.check_params(h, w, PoolParams("max", k, s, pad, ceil))
        return
    if k > h + 2 * pad or k > w + 2 * pad:
        with pytest.raises(PoolingError, match="does not fit"):
            pooling.check_params(h, w, PoolParams("max", k, s, pad, ceil))
        return
    y = F.max_pool2d(torch.zeros(1, 1, h, w), k, s, pad, ceil_mode=ceil)
    assert (kernels.output_size(h, k, pad, s, 1, ceil), kernels.output_size(w, k, pad, s, 1, ceil)) == \
        tuple(y.shape[2:])
    assert pooling.check_params(h, w, PoolParams("avg", k, s, pad, ceil)) == tuple(y.shape[2:])


@FAST
@given(h=st.integers(2, 20), w=st.integers(2, 20), k=st.integers(1, 5), s=st.integers(1, 4),
       pad=st.integers(0, 2), ceil=st.booleans(), kind=st.sampled_from(pooling.KINDS), seed=st.integers(0, 999))
def test_pool_matches_numpy_reference(h, w, k, s, pad, ceil, kind, seed):
    params = PoolParams(kind, k, s, pad, ceil)
    if pad > k // 2 or k > min(h, w) + 2 * pad:
        return
    x = np.random.default_rng(seed).normal(size=(h, w)).astype(np.float32)
    np.testing.assert_allclose(pooling.pool(x, params), numpy_pool(x, params), atol=1e-5)


def test_seed_example_sizes():
    """Seed 001: 886×878 becomes 443×439 with a 2×2 window and stride 2."""
    x = np.zeros((878, 886), np.float32)
    assert pooling.pool(x, PoolParams("max", 2, 2)).shape == (439, 443)
    assert pooling.formulas(878, 886, PoolParams("max", 2, 2))["width"].endswith("= 443")


def test_rgb_is_pooled_per_channel():
    x = np.random.default_rng(0).random((9, 11, 3)).astype(np.float32)
    out = pooling.pool(x, PoolParams("avg", 3, 2, 1, True))
    assert out.shape[2] == 3
    for c in range(3):
        np.testing.assert_allclose(out[..., c], numpy_pool(x[..., c], PoolParams("avg", 3, 2, 1, True)), atol=1e-6)


def test_default_stride_is_the_window():
    assert PoolParams("max", 3).step == 3
    assert pooling.pool(np.zeros((9, 9), np.float32), PoolParams("max", 3)).shape == (3, 3)


@pytest.mark.parametrize("params, size, match", [
    (PoolParams("max", 2, 0), (8, 8), "Stride 0"),
    (PoolParams("max", 2, 2, 2), (8, 8), "at most half"),
    (PoolParams("avg", 5, 1, 0), (3, 8), "does not fit"),
    (PoolParams("max", 0, 1), (8, 8), "at least 1"),
    (PoolParams("median", 2, 2), (8, 8), "Unknown pooling"),
])
def test_bad_parameters(params, size, match):
    with pytest.raises(PoolingError, match=match) as info:
        pooling.pool(np.zeros(size, np.float32), params)
    zh = info.value.message.render("zh")      # a message key; its Chinese text has no English sentence
    assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", zh), zh


def test_pyramid():
    x = np.random.default_rng(0).random((100, 70)).astype(np.float32)
    levels = pooling.pyramid(x, PoolParams("max", 2, 2), max_levels=10)
    sizes = [(lv.height, lv.width) for lv in levels]
    assert sizes == [(100, 70), (50, 35), (25, 17), (12, 8), (6, 4), (3, 2), (1, 1)]
    for a, b in zip(levels, levels[1:]):
        np.testing.assert_allclose(b.pixels, numpy_pool(a.pixels, PoolParams("max", 2, 2)))
        assert b.formula.endswith(f"= {b.width}")
    assert len(pooling.pyramid(x, PoolParams("avg", 2, 2), max_levels=3)) == 3


@pytest.mark.parametrize("params", [PoolParams("max", 2, 2), PoolParams("max", 3, 2, 1, True), PoolParams("avg", 2, 2),
                                    PoolParams("avg", 3, 1, 1), PoolParams("avg", 3, 2, 1, True)])
def test_worked_example(params):
    grid = pooling.random_grid(3, 6)
    ex = pooling.worked_example(grid, params)
    ref = numpy_pool(grid, params)
    np.testing.assert_allclose(ex.output, ref, atol=1e-6)
    assert len(ex.windows) == ref.size
    for win in ex.windows:
        r0, r1 = max(win.rows[0], 0), min(win.rows[1], 6)
        c0, c1 = max(win.cols[0], 0), min(win.cols[1], 6)
        cells = grid[r0:r1, c0:c1]
        if params.kind == "max":
            assert grid[win.winner] == win.value == cells.max()
            assert r0 <= win.winner[0] < r1 and c0 <= win.winner[1] < c1
        else:
            assert win.value == pytest.approx(cells.sum() / win.count)
    assert ex.formula_width.endswith(f"= {ref.shape[1]}")


def test_random_grid_is_reproducible():
    np.testing.assert_array_equal(pooling.random_grid(5), pooling.random_grid(5))
    g = pooling.random_grid(5, 8)
    assert g.shape == (8, 8) and g.min() >= 0 and g.max() <= 9


def test_ceil_mode_dropped_windows_against_torch():
    """W=7, F=2, S=2, P=1 with ceil_mode: a fifth window would start at 8 = W + P, in the padding, and
    PyTorch has 4; the page names where it would start."""
    params = PoolParams("max", 2, 2, 1, True)
    assert pooling.dropped_windows(7, 8, params) == {"height": (8, 8)}
    assert pooling.check_params(7, 8, params) == tuple(torch.nn.MaxPool2d(2, 2, 1, ceil_mode=True)(
        torch.zeros(1, 1, 7, 8)).shape[2:]) == (4, 5)
    assert pooling.formulas(7, 8, params)["height"] == "⌈(7 − 2 + 2×1)/2⌉ + 1 − 1 = 4"
    assert pooling.dropped_windows(7, 8, PoolParams("max", 2, 2, 1, False)) == {}
