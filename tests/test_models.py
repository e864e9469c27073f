"""Model tests, parametrized over the one registry (as torchvision's tests are)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz import activations, models

ARCHS = models.names()


def test_registry_has_the_eight_seed_architectures():
    assert ARCHS == ["mlp", "cnn", "cnn16_32", "lenet5", "simple_cnn", "inception", "resnet", "densenet"]
    for spec in models.REGISTRY.values():
        assert len(spec.description) > 80 and spec.seed in {"000", "001", "002", "003", "004"}
        assert spec.optimizer in {"sgd", "adam", "rmsprop"}


@pytest.mark.parametrize("arch", ARCHS)
def test_shapes_1x28x28_to_10_logits(arch):
    model = models.build(arch).eval()
    out = model(torch.randn(5, 1, 28, 28))
    assert out.shape == (5, 10) and torch.isfinite(out).all()


@pytest.mark.parametrize("arch", ARCHS)
def test_every_layer_is_a_hookable_module(arch):
    model = models.build(arch).eval()
    leaves = [n for n, _ in activations.hookable_modules(model, include_containers=False)]
    _, acts = activations.capture(model, torch.randn(2, 1, 28, 28))
    captured = [a.name for a in acts if a.is_leaf]
    # every leaf module ran and was captured once, in forward order
    assert sorted(captured) == sorted(leaves)
    assert not activations.has_hooks(model)
    kinds = {a.kind for a in acts}
    if arch != "mlp":
        assert {"Conv2d", "ReLU"} <= kinds and ({"MaxPool2d", "AvgPool2d"} & kinds)
    assert "Flatten" in kinds and "Linear" in kinds
    for m in model.modules():  # in-place activations would overwrite what hooks captured
        assert not getattr(m, "inplace", False)


def test_teaching_blocks_expose_their_steps():
    _, acts = activations.capture(models.build("inception").eval(), torch.randn(1, 1, 28, 28))
    concat = [a for a in acts if a.kind == "Concat"]
    assert [a.shape for a in concat] == [(1, 88, 12, 12), (1, 88, 4, 4)]
    _, acts = activations.capture(models.build("resnet").eval(), torch.randn(1, 1, 28, 28))
    names = [a.name for a in acts]
    assert names.index("3.conv2") < names.index("3.add") < names.index("3.relu2")
    _, acts = activations.capture(models.build("densenet").eval(), torch.randn(1, 1, 28, 28))
    dense = [a.shape[1] for a in acts if a.kind == "DenseLayer"]
    assert dense == [28, 40, 52, 38, 50, 62]


def test_residual_add_is_input_plus_branch():
    block = models.ResidualBlock(4).eval()
    x = torch.randn(2, 4, 6, 6)
    _, acts = activations.capture(block, x)
    by = {a.name: a.output for a in acts}
    torch.testing.assert_close(by["add"], x + by["conv2"])
    torch.testing.assert_close(by["relu2"], F.relu(x + by["conv2"]))


@pytest.mark.parametrize("arch", ARCHS)
def test_one_optimizer_step_lowers_the_loss(arch):
    torch.manual_seed(0)
    model = models.build(arch)
    x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    model.train()
    loss0 = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss0.backward()
    opt.step()
    with torch.no_grad():
        loss1 = F.cross_entropy(model(x), y)
    assert loss1.item() < loss0.item()


@pytest.mark.parametrize("arch", ARCHS)
def test_size_walkthrough_formula_matches_torch(arch):
    steps = activations.size_walkthrough(models.build(arch))
    assert steps[0].in_shape == (1, 28, 28) and steps[-1].out_shape == (10,)
    for s in steps:
        if s.kind in ("Conv2d", "MaxPool2d", "AvgPool2d"):
            assert s.formula.endswith(f"= {s.out_shape[-1]}")


def test_lenet5_walkthrough_numbers():
    steps = {s.name: s for s in activations.size_walkthrough(models.build("lenet5"))}
    assert steps["c1"].formula == "(28 − 5 + 2×2)/1 + 1 = 28"
    assert steps["c3"].out_shape == (16, 10, 10) and steps["s4"].out_shape == (16, 5, 5)
    assert steps["c5"].out_shape == (120, 1, 1)


def test_unknown_architecture_lists_the_choices():
    with pytest.raises(KeyError, match="lenet5"):
        models.build("vgg16")


def test_parameter_counts_are_small_enough_for_cpu():
    for arch in ARCHS:
        assert 1_000 < models.count_parameters(models.build(arch)) < 1_000_000
    assert isinstance(models.build("lenet5"), nn.Module)


@pytest.mark.parametrize("num_classes", [2, 3, 10])
@pytest.mark.parametrize("arch", ARCHS)
def test_builders_take_the_number_of_classes(arch, num_classes):
    model = models.build(arch, num_classes=num_classes).eval()
    out = model(torch.randn(4, 1, 28, 28))
    assert out.shape == (4, num_classes)
    ref = models.build(arch).state_dict()
    state = model.state_dict()
    assert list(state) == list(ref)  # same parameter names whatever the number of classes
    changed = {k for k in ref if state[k].shape != ref[k].shape}
    if num_classes == 10:
        assert not changed
    else:  # only the last linear layer (weight and bias) differs
        assert len(changed) == 2 and all(state[k].shape[0] == num_classes for k in changed)
    assert models.REGISTRY[arch].build(num_classes)(torch.randn(1, 1, 28, 28)).shape == (1, num_classes)


@pytest.mark.parametrize("arch", ARCHS)
def test_shipped_checkpoints_still_load_into_the_default_builders(arch):
    from cnnviz import checkpoints
    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path(arch))
    fresh = models.build(arch, num_classes=10)
    fresh.load_state_dict(model.state_dict())  # strict: names and shapes unchanged
    assert meta.arch == arch
