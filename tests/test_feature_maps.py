"""Feature-map extraction: hook capture for every architecture, tiling, filters, attribution, accuracy."""

import threading

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import activations, checkpoints, data, drawing, models
from cnnviz import featuremaps as fm
from cnnviz.checkpoints import CheckpointMeta

META = CheckpointMeta(arch="lenet5")

# shapes the architectures' docstrings promise (channels, height, width) for key layers
EXPECTED = {
    "mlp": {"1": (256,), "3": (10,)},
    "cnn": {"0": (32, 28, 28), "2": (32, 14, 14), "5": (64, 7, 7), "7": (128,), "9": (10,)},
    "cnn16_32": {"0": (16, 28, 28), "2": (16, 14, 14), "5": (32, 7, 7), "7": (10,)},
    "lenet5": {"c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10), "s4": (16, 5, 5),
               "c5": (120, 1, 1), "f6": (84,), "output": (10,)},
    "simple_cnn": {"0": (10, 24, 24), "1": (10, 12, 12), "3": (20, 8, 8), "5": (20, 4, 4), "7": (10,)},
    "inception": {"3.branch1x1": (16, 12, 12), "3.branch5x5.1": (24, 12, 12), "3.branch3x3.2": (24, 12, 12),
                  "3.branch_pool.1": (24, 12, 12), "3.concat": (88, 12, 12), "7.concat": (88, 4, 4),
                  "9": (10,)},
    "resnet": {"3.conv2": (16, 12, 12), "3.add": (16, 12, 12), "3.relu2": (16, 12, 12), "7.add": (32, 4, 4),
               "9": (10,)},
    "densenet": {"0": (16, 28, 28), "1.0.concat": (28, 28, 28), "1.2.concat": (52, 28, 28),
                 "2.conv": (26, 28, 28), "2.pool": (26, 14, 14), "3.2.concat": (62, 14, 14),
                 "4.pool": (32, 7, 7), "8": (10,)},
}


def digit_input(i: int = 0) -> torch.Tensor:
    ds = data.load_embedded()
    return data.normalize(ds.test_x[i:i + 1], data.MNIST_MEAN, data.MNIST_STD)


def leaf_names_in_forward_order(model: nn.Module, x: torch.Tensor) -> list[str]:
    """Reference order from forward *pre*-hooks (called before a module runs, unlike the capture's
    forward hooks), listing each leaf when it starts."""
    order, handles = [], []
    for name, mod in model.named_modules():
        if name and not any(True for _ in mod.children()):
            handles.append(mod.register_forward_pre_hook(lambda m, i, n=name: order.append(n)))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return order


def leaf_outputs_by_rerunning(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Reference values without forward hooks: each leaf's input is recorded by a forward *pre*-hook
    (a copy), then the leaf is called again on it alone."""
    def copied(a):
        return [t.clone() for t in a] if isinstance(a, (list, tuple)) else a.clone()

    inputs, handles = {}, []
    leaves = {n: m for n, m in model.named_modules() if n and not any(True for _ in m.children())}
    for name, mod in leaves.items():
        handles.append(mod.register_forward_pre_hook(
            lambda m, i, n=name: inputs.__setitem__(n, tuple(copied(a) for a in i))))
    try:
        with torch.no_grad():
            model(x)
            return {n: leaves[n](*i) for n, i in inputs.items()}
    finally:
        for h in handles:
            h.remove()


@pytest.mark.parametrize("arch", models.names())
def test_capture_every_layer_in_forward_order(arch):
    torch.manual_seed(0)
    model = models.build(arch).eval()
    x = digit_input()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    analysis = fm.analyze(model, x)
    # hooks removed and nothing changed
    assert not activations.has_hooks(model)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not model.training
    # every leaf module in the order it ran (Flatten is captured but not shown: same numbers)
    _, records = activations.capture(model, x, include_containers=False)
    assert [r.name for r in records] == leaf_names_in_forward_order(model, x)
    shown = [v.name for v in analysis.layers]
    assert shown == [r.name for r in records if r.kind not in fm.SKIPPED_KINDS]
    # shapes: each layer's recorded shape is its real output shape, and the documented ones hold
    by_name = {v.name: v for v in analysis.layers}
    rerun = leaf_outputs_by_rerunning(model, x)
    for r in records:
        if r.name in by_name:
            assert by_name[r.name].shape == tuple(r.output.shape[1:])
            # each layer's numbers are what the layer itself gives for its input
            np.testing.assert_allclose(by_name[r.name].values.reshape(r.output.shape[1:]), rerun[r.name][0].numpy(),
                                       rtol=0, atol=1e-5, err_msg=r.name)
    for name, shape in EXPECTED[arch].items():
        assert by_name[name].shape == shape, name
    # the last layer is the logits, equal to the model's output
    with torch.no_grad():
        logits = model(x)[0]
    assert torch.allclose(torch.from_numpy(analysis.layers[-1].values), logits, atol=1e-5)
    assert np.allclose(analysis.probs, torch.softmax(logits, 0).numpy(), atol=1e-6)
    # spatial layers are tiled, with the channel recoverable from the index map
    for v in analysis.layers:
        assert np.isfinite(v.values).all()
        if v.values.ndim == 3:
            c, h, w = v.values.shape
            ch = v.index_map[..., 0]
            assert sorted(np.unique(ch[ch >= 0]).tolist()) == list(range(c))
            k = c // 2
            ys, xs = np.nonzero(ch == k)
            assert len(ys) == h * w
            got = v.tile[ys, xs].reshape(h, w)
            assert np.array_equal(got, v.values[k])


def test_structure_labels():
    inc = fm.analyze(models.build("inception").eval(), digit_input())
    groups = {v.name: v.group.english() for v in inc.layers if v.group}
    assert groups["3.branch5x5.1"] == "Inception block 1 › 5×5 branch"
    assert groups["7.branch_pool.1"] == "Inception block 2 › pool branch"
    res = fm.analyze(models.build("resnet").eval(), digit_input())
    notes = {v.name: str(v.note) for v in res.layers}
    assert "before the skip addition" in notes["3.conv2"] and "after the skip addition" in notes["3.add"]
    dense = fm.analyze(models.build("densenet").eval(), digit_input())
    d = {v.name: v for v in dense.layers}
    assert d["1.1.conv"].group.english() == "Dense block 1 › layer 2" and d["2.pool"].group.english() == "Transition 1"
    assert d["1.2.concat"].shape == (52, 28, 28) and "52 channels" in d["1.2.concat"].note.english()
    assert d["0"].group is None and d["0"].note is None
    lenet = fm.analyze(models.build("lenet5").eval(), digit_input())
    c1 = next(v for v in lenet.layers if v.name == "c1")
    assert c1.title.english() == "conv 5×5, 1→6, pad 2" and c1.shape_text == "6×28×28"
    assert c1.title.render("zh") == "卷积 5×5，1→6，填充 2"
    c5 = next(v for v in lenet.layers if v.name == "c5")
    assert c5.is_vector and c5.shape == (120, 1, 1)       # 120 maps of 1x1 are shown as bars


def test_tile_maps_places_every_channel_once():
    rng = np.random.default_rng(0)
    for c, h, w in [(1, 5, 5), (6, 28, 28), (88, 12, 12), (13, 3, 7)]:
        maps = rng.normal(size=(c, h, w)).astype(np.float32)
        tile, index, cols = fm.tile_maps(maps)
        rows = -(-c // cols)
        assert tile.shape == (rows * (h + 1) - 1, cols * (w + 1) - 1) == index.shape[:2]
        gaps = index[..., 0] < 0
        assert np.isnan(tile[gaps]).all() and np.isfinite(tile[~gaps]).all()
        assert (~gaps).sum() == c * h * w
        ch, yy, xx = index[~gaps].T
        assert np.array_equal(tile[~gaps], maps[ch, yy, xx])
    assert fm.grid_shape(88, 12, 12) == (9, 10)


def test_model_in_training_mode_is_not_changed():
    model = models.build("densenet").train()
    x = digit_input()
    running = model[1][0].norm.running_mean.clone()
    analysis = fm.analyze(model, x)
    assert model.training and torch.equal(model[1][0].norm.running_mean, running)
    ref = models.build("densenet")
    ref.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.allclose(torch.from_numpy(analysis.logits), ref.eval()(x)[0], atol=1e-5)


def test_concurrent_analyses_of_one_model_do_not_mix():
    model = models.build("resnet").eval()
    xs = [digit_input(i) for i in range(6)]
    expected = [fm.analyze(model, x) for x in xs]
    results: dict[int, fm.Analysis] = {}

    def work(i):
        for _ in range(5):
            results[i] = fm.analyze(model, xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, exp in enumerate(expected):
        got = results[i]
        assert [v.name for v in got.layers] == [v.name for v in exp.layers]
        assert all(np.array_equal(a.values, b.values) for a, b in zip(got.layers, exp.layers))
    assert not activations.has_hooks(model)


class Untraceable(nn.Module):
    """A branch on the data (which torch.fx could not trace; forward hooks do not care)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x):
        y = self.conv(x)
        if y.mean() > 1e9:                       # never true
            y = -y
        return self.fc(self.flat(self.pool(self.relu(y))))


class Mixed(nn.Module):
    """A module kind the registry does not use (LeakyReLU), a function (torch.tanh), methods (x.size,
    x.view) and a parameter used directly."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.act = nn.LeakyReLU(0.1)
        self.scale = nn.Parameter(torch.tensor(0.5))
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x):
        y = self.pool(torch.tanh(self.act(self.conv(x)) * self.scale))
        return self.fc(y.view(y.size(0), -1))


def _in_place_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 14 * 14, 10))


@pytest.mark.parametrize("build", [lambda: models.build("resnet"), Mixed, Untraceable, _in_place_model],
                         ids=["resnet", "mixed", "untraceable", "in-place"])
def test_analysis_is_the_models_own_and_leaves_it_alone(build):
    """Any model: every layer's numbers are what the layer gives for its input, the model is left
    without hooks or wrapped forwards, a change to its weights shows in the next analysis, nothing keeps
    it alive, and an in-place module does not overwrite what was recorded before it (the convolution
    keeps its negative values)."""
    import gc
    import weakref

    torch.manual_seed(0)
    model = build().eval()
    x = digit_input(4)
    first = fm.analyze(model, x)
    assert not activations.has_hooks(model)
    assert not any("forward" in vars(m) for m in model.modules())
    reference = leaf_outputs_by_rerunning(model, x)
    assert [v.name for v in first.layers] == [
        n for n in reference if type(dict(model.named_modules())[n]).__name__ not in fm.SKIPPED_KINDS]
    for v in first.layers:
        expected = reference[v.name][0].reshape(v.values.shape).numpy()
        np.testing.assert_allclose(v.values, expected, rtol=0, atol=1e-5, err_msg=v.name)
    assert first.layers[0].kind == "Conv2d" and first.layers[0].values.min() < 0   # not overwritten by a ReLU
    with torch.no_grad():
        last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        last.weight.mul_(-1.0)
        expected = model(x)[0]
    second = fm.analyze(model, x)
    np.testing.assert_allclose(second.logits, expected.numpy(), rtol=0, atol=1e-5)
    assert not np.allclose(second.logits, first.logits)
    gone = weakref.ref(model)
    del model, first, second, expected, last
    gc.collect()
    assert gone() is None


class CallsItselfFromAnotherThread(nn.Module):
    """In its first forward pass, runs the whole model once more on another thread (as another session
    sharing a cached model without the lock would): that run must not add to the analysis."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.whole = [model]                  # a list: not registered as a submodule
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls == 1:
            t = threading.Thread(target=lambda: self.whole[0](torch.zeros(1, 1, 28, 28)))
            t.start()
            t.join()
        return x


def test_another_threads_forward_is_not_recorded():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 28 * 28, 10))
    model.insert(1, CallsItselfFromAnotherThread(model))
    model.eval()
    x = digit_input(2)
    analysis = fm.analyze(model, x)
    assert model[1].calls == 2                        # the other thread did run the model meanwhile
    assert [v.name for v in analysis.layers] == ["0", "1", "2", "4"]        # each once (Flatten not shown)
    reference = leaf_outputs_by_rerunning(model, x)
    assert np.array_equal(analysis.layers[0].values, reference["0"][0].numpy())
    assert not activations.has_hooks(model)


def test_first_filters():
    lenet = models.build("lenet5")
    f = fm.first_filters(lenet)
    assert f.name == "c1" and f.weights.shape == (6, 5, 5) and f.total == 6
    assert np.array_equal(f.weights, lenet.c1.weight.detach()[:, 0].numpy())
    mlp = models.build("mlp")
    f = fm.first_filters(mlp)
    assert f.weights.shape == (64, 28, 28) and f.total == 256
    assert np.array_equal(f.weights[3].ravel(), mlp[1].weight.detach()[3].numpy())


@pytest.mark.parametrize("method", list(fm.ATTRIBUTION_METHODS))
def test_attribution_leaves_the_model_alone(method):
    model = models.build("lenet5").eval()
    for p in model.parameters():
        p.requires_grad_(False)                    # as ui.common.load_model caches it
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = digit_input(3)
    baseline = -data.MNIST_MEAN / data.MNIST_STD
    attr = fm.attribute(model, x, method=method, baseline=baseline)
    assert attr.values.shape == (28, 28) and np.isfinite(attr.values).all()
    assert not activations.has_hooks(model)
    assert all(not p.requires_grad and p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not x.requires_grad
    if method == "gradcam":
        assert attr.layer == "s4" and (attr.values >= 0).all()
    if method == "integrated_gradients":
        # completeness: the attributions add up to the change of the logit from the blank baseline
        with torch.no_grad():
            gap = (model(x)[0, attr.target] - model(torch.full_like(x, baseline))[0, attr.target]).item()
        assert attr.values.sum() == pytest.approx(gap, rel=0.1, abs=0.2)


def test_gradcam_falls_back_for_the_mlp():
    attr = fm.attribute(models.build("mlp").eval(), digit_input(), method="gradcam")
    assert attr.method == "integrated_gradients" and attr.note.key == "fm.note.no_gradcam"


def test_gradcam_layers():
    names = {a: (fm.gradcam_layer(models.build(a).eval()) or ("",))[0] for a in models.names()}
    assert names["inception"] == "7.concat" and names["resnet"] == "7.relu2" and names["mlp"] == ""


def test_empty_canvas_gives_no_analysis():
    model = models.build("lenet5").eval()
    assert fm.analyze_canvas(model, META, np.zeros((280, 280, 4), np.uint8)) is None
    assert fm.analyze_canvas(model, META, None) is None


SHIPPED_LENET = checkpoints.shipped_path("lenet5")


@pytest.mark.skipif(not SHIPPED_LENET.is_file(), reason=f"the shipped LeNet-5 checkpoint {SHIPPED_LENET} "
                                                         "does not exist yet")
def test_shipped_lenet_reads_redrawn_mnist_digits():
    """Real MNIST test digits, re-drawn as thick canvas strokes at random positions and sizes, go through
    the page's own function (featuremaps.analyze_canvas) and are classified with >= 95 % accuracy."""
    model, meta = checkpoints.load_checkpoint(SHIPPED_LENET)
    ds = data.load_embedded()
    rng = np.random.default_rng(1234)
    idx = rng.choice(len(ds.test_y), size=300, replace=False)
    correct = 0
    for i in idx:
        digit = ds.test_x[i].numpy()
        ink = digit > 50
        aspect = np.ptp(np.flatnonzero(ink.any(0))) / max(np.ptp(np.flatnonzero(ink.any(1))), 1)
        height = rng.uniform(60, 230 / max(1.0, aspect))    # a small to a canvas-filling digit
        thicken = rng.uniform(0.0, 0.12) * height           # MNIST's own strokes, up to ~2x thicker
        half_h, half_w = height / 2 + thicken / 2 + 4, aspect * height / 2 + thicken / 2 + 4
        centre = (rng.uniform(half_w, 280 - half_w), rng.uniform(half_h, 280 - half_h))   # (x, y), on canvas
        style = "white-on-black" if rng.random() < 0.7 else "black-on-transparent"
        rgba = drawing.render_digit(digit, height=height, centre=centre, thicken=thicken, style=style)
        analysis = fm.analyze_canvas(model, meta, rgba)
        correct += int(analysis.pred == int(ds.test_y[i]))
    accuracy = correct / len(idx)
    assert accuracy >= 0.95, accuracy


@pytest.mark.parametrize("c,h,w", [(1, 28, 28), (6, 28, 28), (16, 10, 10), (88, 7, 7), (5, 3, 9)])
def test_channel_boxes_cover_exactly_their_channel_in_the_tile(c, h, w):
    """The hover boxes over a tiled layer: converted back to pixels of the tile, each box covers the
    pixels the index map gives to its channel, and the stats are that channel's own."""
    maps = np.random.default_rng(c).normal(size=(c, h, w)).astype(np.float32)
    tile, index, cols = fm.tile_maps(maps)
    th, tw = tile.shape
    boxes = fm.channel_boxes(c, h, w, cols)
    stats = fm.channel_stats(maps)
    for ch, (left, top, bw, bh) in enumerate(boxes):
        x0, y0 = round(left * tw / 100), round(top * th / 100)
        x1, y1 = round((left + bw) * tw / 100), round((top + bh) * th / 100)
        assert (y1 - y0, x1 - x0) == (h, w)
        assert (index[y0:y1, x0:x1, 0] == ch).all()
        np.testing.assert_array_equal(tile[y0:y1, x0:x1], maps[ch])
        assert stats[ch].tolist() == pytest.approx([maps[ch].min(), maps[ch].max(), maps[ch].mean()], rel=1e-6)
    assert (index[..., 0] >= 0).sum() == c * h * w
