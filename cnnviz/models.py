"""The model registry: eight classic architectures for 1x28x28 inputs and ``num_classes`` logits (10 by default).

Built for teaching: every layer a learner should see (ReLU, pooling, flatten, the
skip addition, concatenations) is its own ``nn.Module``, so forward hooks capture
it, and no activation is ``inplace`` (an in-place ReLU would overwrite the
captured output of the convolution before it).

As in torchvision, blocks are classes, builders are thin functions and one
registry (:data:`REGISTRY`) maps a name to a builder, a description, the seed it
comes from and the optimizer settings that train it well.  The UI's dropdowns and
the parametrized tests both iterate over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

# ----------------------------------------------------------------------------- blocks

class Concat(nn.Module):
    """Concatenate a list of tensors along the channel axis (a module so hooks see it)."""

    def forward(self, tensors: list[torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        return torch.cat(tensors, dim=1)


class SkipAdd(nn.Module):
    """The residual connection ``x + F(x)`` (a module so hooks see the sum)."""

    def forward(self, x: torch.Tensor, fx: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return x + fx


class InceptionA(nn.Module):
    """GoogLeNet-style block: four parallel branches, 16 + 24 + 24 + 24 = 88 channels.

    - ``branch1x1``: 1x1 conv (16)
    - ``branch5x5``: 1x1 conv (16) -> 5x5 conv (24)
    - ``branch3x3``: 1x1 conv (16) -> 3x3 conv (24) -> 3x3 conv (24)
    - ``branch_pool``: 3x3 average pool -> 1x1 conv (24)
    """

    out_channels = 88

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch5x5 = nn.Sequential(nn.Conv2d(in_channels, 16, kernel_size=1),
                                       nn.Conv2d(16, 24, kernel_size=5, padding=2))
        self.branch3x3 = nn.Sequential(nn.Conv2d(in_channels, 16, kernel_size=1),
                                       nn.Conv2d(16, 24, kernel_size=3, padding=1),
                                       nn.Conv2d(24, 24, kernel_size=3, padding=1))
        self.branch_pool = nn.Sequential(nn.AvgPool2d(kernel_size=3, stride=1, padding=1),
                                         nn.Conv2d(in_channels, 24, kernel_size=1))
        self.concat = Concat()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.concat([self.branch1x1(x), self.branch5x5(x), self.branch3x3(x), self.branch_pool(x)])


class ResidualBlock(nn.Module):
    """``relu(x + conv2(relu(conv1(x))))`` with 3x3 convolutions keeping the size."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.add = SkipAdd()
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu2(self.add(x, self.conv2(self.relu1(self.conv1(x)))))


class DenseLayer(nn.Module):
    """BN -> ReLU -> 3x3 conv producing ``growth`` new maps, concatenated to the input."""

    def __init__(self, in_channels: int, growth: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(in_channels, growth, kernel_size=3, padding=1, bias=False)
        self.concat = Concat()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.concat([x, self.conv(self.relu(self.norm(x)))])


class DenseBlock(nn.Sequential):
    """``layers`` dense layers; each sees the maps of all the layers before it."""

    def __init__(self, in_channels: int, layers: int, growth: int) -> None:
        super().__init__(*[DenseLayer(in_channels + i * growth, growth) for i in range(layers)])
        self.out_channels = in_channels + layers * growth


class Transition(nn.Sequential):
    """BN -> ReLU -> 1x1 conv (halves the channels) -> 2x2 average pool (halves the size)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


# ----------------------------------------------------------------------------- builders

def mlp(num_classes: int = 10) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, num_classes))


def cnn(num_classes: int = 10) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 14 x 14
        nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 64 x 7 x 7
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, num_classes))


def cnn16_32(num_classes: int = 10) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
        nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(), nn.Linear(1568, num_classes))


class LeNet5(nn.Module):
    """LeNet-5 with LeCun's layer names; ReLU and max pooling as in modern tutorials."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)    # 6 x 28 x 28
        self.relu1 = nn.ReLU()
        self.s2 = nn.MaxPool2d(2)                              # 6 x 14 x 14
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)              # 16 x 10 x 10
        self.relu3 = nn.ReLU()
        self.s4 = nn.MaxPool2d(2)                              # 16 x 5 x 5
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)            # 120 x 1 x 1
        self.relu5 = nn.ReLU()
        self.flatten = nn.Flatten()                            # 120
        self.f6 = nn.Linear(120, 84)
        self.relu6 = nn.ReLU()
        self.output = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s2(self.relu1(self.c1(x)))
        x = self.s4(self.relu3(self.c3(x)))
        x = self.flatten(self.relu5(self.c5(x)))
        return self.output(self.relu6(self.f6(x)))


def simple_cnn(num_classes: int = 10) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 10, kernel_size=5), nn.MaxPool2d(2), nn.ReLU(),   # 10 x 12 x 12
        nn.Conv2d(10, 20, kernel_size=5), nn.MaxPool2d(2), nn.ReLU(),  # 20 x 4 x 4
        nn.Flatten(), nn.Linear(320, num_classes))


def inception(num_classes: int = 10) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 10, kernel_size=5), nn.MaxPool2d(2), nn.ReLU(),    # 10 x 12 x 12
        InceptionA(10),                                                 # 88 x 12 x 12
        nn.Conv2d(88, 20, kernel_size=5), nn.MaxPool2d(2), nn.ReLU(),   # 20 x 4 x 4
        InceptionA(20),                                                 # 88 x 4 x 4
        nn.Flatten(), nn.Linear(1408, num_classes))


def resnet(num_classes: int = 10) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),    # 16 x 12 x 12
        ResidualBlock(16),
        nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 4 x 4
        ResidualBlock(32),
        nn.Flatten(), nn.Linear(512, num_classes))


def densenet(num_classes: int = 10) -> nn.Module:
    b1 = DenseBlock(16, layers=3, growth=12)                             # 52 x 28 x 28
    b2 = DenseBlock(26, layers=3, growth=12)                             # 62 x 14 x 14
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False),         # 16 x 28 x 28
        b1, Transition(b1.out_channels, 26),                            # 26 x 14 x 14
        b2, Transition(b2.out_channels, 32),                            # 32 x 7 x 7
        nn.BatchNorm2d(32), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 7 * 7, num_classes))


# ----------------------------------------------------------------------------- registry

@dataclass(frozen=True)
class ArchSpec:
    name: str
    title: str
    builder: Callable[..., nn.Module]   # ``builder(num_classes=10)``
    description: str
    seed: str
    optimizer: str = "adam"
    lr: float = 1e-3
    epochs: int = 10
    batch_size: int = 64
    extra: dict = field(default_factory=dict)

    def build(self, num_classes: int = 10) -> nn.Module:
        """A fresh model whose last layer has ``num_classes`` outputs (10 keeps the shipped checkpoints' shapes)."""
        return self.builder(num_classes=num_classes)


REGISTRY: dict[str, ArchSpec] = {spec.name: spec for spec in [
    ArchSpec("mlp", "MLP 784-256-10", mlp,
             "A multilayer perceptron: the 28x28 image is flattened into 784 numbers, one hidden layer "
             "of 256 ReLU units, and 10 outputs. It has no convolutions, so it cannot use the spatial "
             "relations between neighbouring pixels; compare its filters and accuracy with the CNNs.",
             "004"),
    ArchSpec("cnn", "CNN 32-64", cnn,
             "Two 3x3 convolutions (1->32, 32->64 channels) with padding 1, each followed by ReLU and "
             "2x2 max pooling (28 -> 14 -> 7), then a fully connected layer 3136 -> 128 -> 10. "
             "The source tutorial trains it with SGD and momentum 0.9.",
             "000", optimizer="sgd", lr=0.01),
    ArchSpec("cnn16_32", "CNN 16-32", cnn16_32,
             "Two 5x5 convolutions with padding 2 (so the size is kept), 16 then 32 channels, each with "
             "ReLU and 2x2 max pooling (28 -> 14 -> 7), and one fully connected layer 1568 -> 10.",
             "001"),
    ArchSpec("lenet5", "LeNet-5", LeNet5,
             "LeCun's 1998 network: C1 six 5x5 filters (padding 2, so 28x28 stays 28x28), S2 pooling to "
             "14x14, C3 sixteen 5x5 filters (10x10), S4 pooling to 5x5, C5 120 5x5 filters (1x1), F6 84 "
             "units, and 10 outputs. It differs from LeCun's: padding 2 replaces his 32x32 input, C3 connects to "
             "all 6 S2 maps instead of his sparse connection table, the output is a plain linear layer instead "
             "of his RBF units, and ReLU and max pooling replace the original tanh and subsampling.",
             "002"),
    ArchSpec("simple_cnn", "SimpleCNN 10-20", simple_cnn,
             "The classic beginner CNN: conv 5x5 -> 10 channels (24x24), 2x2 max pool (12x12), ReLU, "
             "conv 5x5 -> 20 channels (8x8), pool (4x4), ReLU, then flatten 20x4x4 = 320 -> 10.",
             "003"),
    ArchSpec("inception", "GoogLeNet-style (InceptionA)", inception,
             "Two InceptionA blocks. Each runs four branches in parallel on the same input (1x1; 1x1 then "
             "5x5; 1x1 then two 3x3; 3x3 average pool then 1x1) and concatenates their 16+24+24+24 = 88 "
             "channels, so the network can choose the filter size that fits each feature. The 1x1 convolutions "
             "are bottlenecks: they mix the input channels down to 16 before the costlier 3x3 and 5x5 "
             "convolutions. Unlike GoogLeNet, which has a ReLU after every convolution, these branches (as in "
             "the source tutorial) have no ReLU, so a block and the convolution after it are together one "
             "linear map.",
             "003"),
    ArchSpec("resnet", "ResNet-style", resnet,
             "Convolutions and pooling with a residual block after each: the block computes F(x) with two "
             "3x3 convolutions and outputs ReLU(x + F(x)). The skip connection lets gradients flow "
             "straight through, which is what makes very deep ResNets trainable.",
             "003"),
    ArchSpec("densenet", "DenseNet-style", densenet,
             "Two dense blocks of three layers. Every layer (BatchNorm, ReLU, 3x3 conv) adds 12 new maps "
             "and passes on everything it received, so each layer sees all earlier features. A transition "
             "(BatchNorm, ReLU, 1x1 conv, 2x2 average pool) follows each block, the last one after the last "
             "block, and halves channels and size (52 -> 26 channels, 28 -> 14; 62 -> 32, 14 -> 7).",
             "003"),
]}


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> ArchSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}; choose one of {', '.join(REGISTRY)}") from None


def build(name: str, num_classes: int = 10) -> nn.Module:
    return get(name).build(num_classes)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------- designed networks

CUSTOM = "custom"   # the architecture name of a network designed by the user (built from its spec)


def from_spec(spec: list, num_classes: int = 10) -> nn.Module:
    """A network designed by the user (see :mod:`cnnviz.spec`); raises :class:`cnnviz.spec.SpecError`."""
    from . import spec as _spec

    return _spec.from_spec(spec, num_classes)


def check_spec(spec: list, num_classes: int = 10):
    """Per-layer output shapes and parameter counts of a spec (a :class:`cnnviz.spec.SpecCheck`), or
    :class:`cnnviz.spec.SpecError` naming the first layer that cannot work."""
    from . import spec as _spec

    return _spec.check_spec(spec, num_classes)
