"""cnnviz.explain: the arithmetic behind any number of any layer adds up to the network's own output."""

import copy
import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz import activations, checkpoints, data, explain, featuremaps, models
from cnnviz.messages import Msg

EXPECTED_KIND = {nn.Conv2d: "conv", nn.ReLU: "relu", nn.MaxPool2d: "max_pool", nn.AvgPool2d: "avg_pool",
                 nn.BatchNorm2d: "batch_norm", nn.BatchNorm1d: "batch_norm", models.SkipAdd: "add",
                 models.Concat: "concat", nn.Flatten: "flatten", nn.Linear: "linear", nn.Dropout: "identity",
                 nn.Identity: "identity"}


@pytest.fixture(scope="module")
def digits():
    return data.load_embedded()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4)


def test_registry_uses_only_layer_kinds_the_drilldown_covers():
    kinds = {type(m) for arch in models.REGISTRY for _, m in
             activations.hookable_modules(models.build(arch), include_containers=False)}
    assert kinds == {nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.BatchNorm2d, models.SkipAdd,
                     models.Concat, nn.Flatten, nn.Linear}
    assert kinds <= set(EXPECTED_KIND)


@pytest.mark.parametrize("arch", list(models.REGISTRY))
def test_terms_add_up_to_the_networks_value_in_every_layer(arch, digits):
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path(arch))
    i = list(models.REGISTRY).index(arch) * 7 + 1                   # a different real digit per network
    x = data.normalize(digits.test_x[i:i + 1], meta.mean, meta.std)
    label = int(digits.test_y[i])
    analysis = featuremaps.analyze(model, x)
    rng = random.Random(arch)
    mods = dict(model.named_modules())
    cells = [(view.name, view.values, tuple(rng.randrange(n) for n in view.values.shape))
             for view in analysis.layers for _ in range(2)]
    # flatten layers are not drawn by the analysis: check them against the layer they flatten
    for name, mod in mods.items():
        if isinstance(mod, nn.Flatten):
            _, recs = activations.capture(model, x, include_containers=False)
            out = next(r.output for r in recs if r.name == name)[0].numpy()
            cells.append((name, out, (rng.randrange(out.shape[0]),)))
    for name, values, idx in cells:
        e = explain.explain_cell(model, x, name, idx)
        assert e.kind == EXPECTED_KIND[type(mods[name])], name
        assert _close(e.total, e.value), (arch, name, idx, e.total, e.value)
        assert e.matches
        assert math.isclose(e.value, float(values[idx]), rel_tol=1e-5, abs_tol=1e-6), (arch, name, idx)
        assert e.total == pytest.approx(explain.combine(e.op, e.terms, e.bias))
        assert all(isinstance(label_, Msg) for label_, _ in e.terms)
        if e.kind in ("conv", "linear"):
            assert e.bias is not None or e.kind == "conv"
    soft = explain.explain_cell(model, x, explain.SOFTMAX, (label,), label=label)
    assert soft.kind == "softmax" and _close(soft.total, soft.value)
    assert soft.value == pytest.approx(float(analysis.probs[label]), rel=1e-5)
    assert soft.loss == pytest.approx(-math.log(float(analysis.probs[label])), rel=1e-3, abs=1e-6)
    assert soft.receptive_field is None


def _lenet(digits, i=5):
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("lenet5"))
    return model, data.normalize(digits.test_x[i:i + 1], meta.mean, meta.std)


def test_conv_cell_lists_largest_channels_then_the_rest_and_the_windows_match_unfold(digits):
    model, x = _lenet(digits)
    e = explain.explain_cell(model, x, "c3", (4, 3, 6), top=3)
    parts = e.details["parts"]
    assert len(parts) == 6 and len(e.terms) == 4                     # 3 channels, the other 3 summed
    assert [abs(p.dot) for p in parts] == sorted((abs(p.dot) for p in parts), reverse=True)
    assert e.terms[-1].number == pytest.approx(sum(p.dot for p in parts[3:]))
    assert e.bias == pytest.approx(float(model.c3.bias.detach()[4]))
    # the window of each channel is what F.unfold gives for that output position
    with torch.no_grad():
        s2 = model.s2(model.relu1(model.c1(x)))[0]
    cols = F.unfold(s2[None].double(), 5)[0].reshape(6, 5, 5, 10, 10)
    for p in parts:
        np.testing.assert_allclose(p.window, cols[p.channel, :, :, 3, 6].numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(p.kernel, model.c3.weight.detach()[4, p.channel].double().numpy())
    # C1 with padding 2: a corner cell's window is partly in the zero padding
    e1 = explain.explain_cell(model, x, "c1", (0, 0, 0))
    assert not e1.details["parts"][0].inside[:2].any() and e1.details["parts"][0].inside[2:, 2:].all()
    assert e1.matches


def test_relu_pool_and_linear_details(digits):
    model, x = _lenet(digits)
    r = explain.explain_cell(model, x, "relu3", (2, 4, 4))
    assert r.op == "relu" and r.source == "c3" and r.value == max(0.0, r.details["before"])
    p = explain.explain_cell(model, x, "s4", (1, 2, 3))
    win = p.details["window"]
    assert p.value == pytest.approx(win.max()) and win[p.details["winner"]] == win.max()
    assert p.details["origin"] == (4, 6)
    f = explain.explain_cell(model, x, "f6", (10,))
    assert len(f.terms) == explain.TOP_TERMS + 1 and f.details["in_features"] == 120
    assert f.bias == pytest.approx(float(model.f6.bias.detach()[10]))
    c5 = explain.explain_cell(model, x, "c5", (7,))               # C5's 1×1 maps, shown as a vector
    assert c5.index == (7, 0, 0) and c5.matches


def test_skip_add_concat_and_batch_norm_name_their_sources(digits):
    res, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("resnet"))
    x = data.normalize(digits.test_x[:1], meta.mean, meta.std)
    a = explain.explain_cell(res, x, "3.add", (5, 6, 7))
    assert a.details["sources"] == ["2", "3.conv2"] and a.matches
    inc, _ = checkpoints.load_checkpoint(checkpoints.shipped_path("inception"))
    c = explain.explain_cell(inc, x, "3.concat", (16 + 24 + 3, 2, 2))
    assert c.details["source"] == "3.branch3x3.2" and c.details["source_channel"] == 3
    assert c.details["channels"] == [16, 24, 24, 24] and c.matches
    dense, _ = checkpoints.load_checkpoint(checkpoints.shipped_path("densenet"))
    d = explain.explain_cell(dense, x, "1.1.concat", (20, 5, 5))
    assert d.details["source"] == "1.0.concat" and d.details["source_channel"] == 20
    d = explain.explain_cell(dense, x, "1.1.concat", (30, 5, 5))
    assert d.details["source"] == "1.1.conv" and d.details["source_channel"] == 2
    bn = explain.explain_cell(dense, x, "3.0.norm", (4, 1, 2))
    norm = dict(dense.named_modules())["3.0.norm"]
    assert bn.details["mean"] == pytest.approx(float(norm.running_mean[4]))
    assert bn.details["var"] == pytest.approx(float(norm.running_var[4]))
    assert bn.bias == pytest.approx(float(norm.bias.detach()[4])) and bn.notes[0].key == "explain.note.bn_modes"


class Odd(nn.Module):
    """Settings the registry does not use: stride, dilation, "same" padding, reflect padding, groups,
    ceil_mode and padded pooling, average pooling without the padding, BatchNorm1d, dropout."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 4, 3, stride=2, padding=1)                           # 14×14
        self.b = nn.Conv2d(4, 4, 3, padding="same", dilation=2, padding_mode="reflect", groups=2)
        self.mp = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)               # 14 → 8 with ceil_mode
        self.ap = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.ap2 = nn.AvgPool2d(2, stride=2, ceil_mode=True)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(4 * 3 * 3, 12)
        self.bn = nn.BatchNorm1d(12)
        self.drop = nn.Dropout(0.5)
        self.out = nn.Linear(12, 10)

    def forward(self, x):
        x = self.ap2(self.ap(self.mp(self.b(self.a(x)))))
        return self.out(self.drop(self.bn(self.fc(self.flat(x)))))


def test_user_network_with_other_settings(digits):
    torch.manual_seed(0)
    model = Odd()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
        model.bn.weight.uniform_(0.5, 1.5)
    model.train()                                   # explained in eval mode, the model left as it was
    x = data.normalize(digits.test_x[9:10], 0.1307, 0.3081)
    tr = explain.trace(copy.deepcopy(model).eval(), x)
    shapes = {n: tuple(r.output.shape[1:]) for n, r in tr.records.items()}
    assert shapes["mp"] == (4, 8, 8) and shapes["ap"] == (4, 5, 5) and shapes["ap2"] == (4, 3, 3)
    rng = random.Random(1)
    for name, shape in shapes.items():
        corners = [tuple(n - 1 for n in shape), tuple(0 for _ in shape)]
        for idx in corners + [tuple(rng.randrange(n) for n in shape) for _ in range(3)]:
            e = explain.explain_cell(model, x, name, idx)
            assert e.matches, (name, idx, e.total, e.value)
            assert e.value == pytest.approx(float(tr.records[name].output[(0, *idx)]))
    assert model.training and not activations.has_hooks(model)


def _structural_gradient_box(model: nn.Module, layer: str, idx) -> tuple[int, int, int, int]:
    """Reference receptive field: the nonzero input gradient of one cell in a copy of the network whose
    every path is alive (positive weights, max pooling as average pooling, batch norm as identity, an
    input of ones), so no zero from ReLU or a lost max-pool hides a pixel the cell depends on."""
    net = copy.deepcopy(model).eval().double()
    for name, mod in list(net.named_modules()):
        if isinstance(mod, nn.MaxPool2d):
            parent = net.get_submodule(name.rsplit(".", 1)[0]) if "." in name else net
            setattr(parent, name.rsplit(".", 1)[-1],
                    nn.AvgPool2d(mod.kernel_size, mod.stride, mod.padding, mod.ceil_mode))
        elif isinstance(mod, nn.Conv2d):
            with torch.no_grad():
                mod.weight.copy_(mod.weight.abs() + 0.1)
        elif isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.zero_(), mod.running_var.fill_(1), mod.weight.fill_(1), mod.bias.zero_()
    x = torch.ones(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
    got = {}
    handle = net.get_submodule(layer).register_forward_hook(lambda m, i, o: got.setdefault("out", o))
    try:
        net(x)
    finally:
        handle.remove()
    got["out"][(0, *idx)].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    return int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max())


def test_lenet_receptive_fields_match_the_textbook_and_the_gradient(digits):
    model, x = _lenet(digits)
    sizes = {name: explain.receptive_field_size(model, name) for name in ("c1", "s2", "c3", "s4", "c5")}
    assert sizes == {"c1": (5, 5), "s2": (6, 6), "c3": (14, 14), "s4": (16, 16), "c5": (32, 32)}
    # interior cells: the whole textbook field; C5's 32×32 is clipped to the 28×28 image
    centre = {"c1": (0, 14, 14), "s2": (0, 7, 7), "c3": (0, 5, 5), "s4": (0, 2, 2), "c5": (0, 0, 0)}
    for name, idx in centre.items():
        top, left, bottom, right = explain.explain_cell(model, x, name, idx).receptive_field
        h, w = bottom - top + 1, right - left + 1
        assert (h, w) == (min(sizes[name][0], 28), min(sizes[name][1], 28)), name
    for name, idx in [*centre.items(), ("c1", (2, 0, 27)), ("s2", (1, 13, 0)), ("c3", (3, 0, 9)),
                      ("relu3", (3, 9, 0)), ("s4", (5, 4, 4))]:
        assert explain.explain_cell(model, x, name, idx).receptive_field == \
            _structural_gradient_box(model, name, idx), name
    assert explain.explain_cell(model, x, "f6", (0,)).receptive_field is None


@pytest.mark.parametrize("arch", ["inception", "resnet", "densenet"])
def test_receptive_fields_through_branches_follow_the_gradient(arch, digits):
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path(arch))
    x = data.normalize(digits.test_x[2:3], meta.mean, meta.std)
    tr = explain.trace(model, x)
    rng = random.Random(arch)
    names = [n for n, r in tr.records.items() if r.output.dim() == 4]
    for name in rng.sample(names, 6):
        shape = tr.records[name].output.shape[1:]
        idx = tuple(rng.randrange(n) for n in shape)
        assert explain.receptive_field(tr, name, idx) == _structural_gradient_box(model, name, idx), name


def test_flatten_maps_c_h_w_to_one_index(digits):
    cnn, meta = checkpoints.load_checkpoint(checkpoints.shipped_path("cnn"))
    x = data.normalize(digits.test_x[:1], meta.mean, meta.std)
    n = 5 * 49 + 3 * 7 + 6
    e = explain.explain_cell(cnn, x, "6", (n,))
    assert e.kind == "flatten" and e.details["source_index"] == (5, 3, 6) and e.details["size"] == 64 * 49
    assert e.source == "5" and e.matches and e.receptive_field is not None
    mlp, _ = checkpoints.load_checkpoint(checkpoints.shipped_path("mlp"))
    e = explain.explain_cell(mlp, x, "0", (28 * 10 + 4,))
    assert e.source == explain.INPUT and e.receptive_field == (10, 4, 10, 4)
    assert e.value == pytest.approx(float(x[0, 0, 10, 4]))


def test_bad_layer_and_index_give_message_errors(digits):
    model, x = _lenet(digits)
    with pytest.raises(explain.ExplainError) as err:
        explain.explain_cell(model, x, "nope", (0,))
    assert err.value.key == "explain.error.unknown_layer"
    for bad in [(6, 0, 0), (0, 28, 0), (0, 0), ("a",), (-1, 0, 0)]:
        with pytest.raises(explain.ExplainError) as err:
            explain.explain_cell(model, x, "c1", bad)
        assert err.value.key == "explain.error.bad_index"
    with pytest.raises(explain.ExplainError):
        explain.explain_cell(model, x, explain.SOFTMAX, (10,))
    assert not activations.has_hooks(model)
