"""What the network sees: every layer's output for one input, ready to plot, plus filters and attribution.

:func:`analyze_canvas` is the function the feature-map page calls: canvas RGBA array -> the MNIST-style
28x28 input (:mod:`cnnviz.drawing`) -> prediction and every layer's output, in forward order, recorded
with forward hooks (:func:`cnnviz.activations.capture`).  Feature maps with many channels are laid out
as one tiled image (:func:`tile_maps`) together with a channel-index map, so a plot can show the
channel under the mouse.

Cached models are shared between the users of a server, so nothing here leaves a change on a model:
each analysis runs under a per-model lock (:func:`model_lock`) so that two sessions never see each
other's activations, the hooks are removed before the lock is released, gradients are taken with
respect to the input only, and a model found in training mode is copied before it is put in eval mode.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import activations, drawing, models
from .activations import model_lock, one_thread
from .messages import Msg, msg

SKIPPED_KINDS = {"Flatten", "Identity", "Dropout"}   # same numbers as the layer before: not shown

def _eval_model(model: nn.Module) -> nn.Module:
    """The model itself when it is in eval mode; otherwise an eval-mode copy (the original is untouched)."""
    if not model.training:
        return model
    return copy.deepcopy(model).eval()


def _device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


# ----------------------------------------------------------------------------- tiling

def grid_shape(channels: int, height: int = 1, width: int = 1) -> tuple[int, int]:
    """(rows, cols) for tiling ``channels`` maps roughly square overall."""
    if channels <= 0:
        return 0, 0
    cols = max(1, math.ceil(math.sqrt(channels * height / max(width, 1))))
    cols = min(cols, channels)
    return math.ceil(channels / cols), cols


@functools.lru_cache(maxsize=256)
def _tile_index(channels: int, height: int, width: int, cols: int, pad: int) -> np.ndarray:
    """``(H_tile, W_tile, 3)`` int16: channel (-1 in the gaps), row and column inside the channel."""
    rows = math.ceil(channels / cols)
    th, tw = rows * (height + pad) - pad, cols * (width + pad) - pad
    out = np.full((th, tw, 3), -1, np.int16)
    yy, xx = np.mgrid[:height, :width]
    for c in range(channels):
        r, k = divmod(c, cols)
        y0, x0 = r * (height + pad), k * (width + pad)
        out[y0:y0 + height, x0:x0 + width, 0] = c
        out[y0:y0 + height, x0:x0 + width, 1] = yy
        out[y0:y0 + height, x0:x0 + width, 2] = xx
    out.setflags(write=False)
    return out


def tile_maps(maps: np.ndarray, cols: int | None = None, pad: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """``(C, H, W)`` -> one ``(rows*(H+pad)-pad, cols*(W+pad)-pad)`` float image with NaN gaps, its
    ``(..., 3)`` index map (channel, y, x; channel -1 in gaps) and the number of columns."""
    c, h, w = maps.shape
    if cols is None:
        cols = grid_shape(c, h, w)[1]
    rows, full = math.ceil(c / cols), c // cols
    tile = np.full((rows * (h + pad), cols * (w + pad)), np.nan, np.float32)
    grid = tile.reshape(rows, h + pad, cols, w + pad)        # (tile row, y, tile column, x): a view
    grid[:full, :h, :, :w] = maps[:full * cols].reshape(full, cols, h, w).transpose(0, 2, 1, 3)
    if full < rows:                                          # the last row, not full
        grid[full, :h, :c - full * cols, :w] = maps[full * cols:].transpose(1, 0, 2)
    tile = tile[:rows * (h + pad) - pad, :cols * (w + pad) - pad]
    return tile, _tile_index(c, h, w, cols, pad), cols


def channel_boxes(channels: int, height: int, width: int, cols: int, pad: int = 1) -> np.ndarray:
    """Where each channel sits in the tiled image of :func:`tile_maps`: ``(C, 4)`` float, left, top,
    width and height in percent of the tiled image (so they hold at any display size)."""
    rows = math.ceil(channels / cols) if channels else 0
    th, tw = rows * (height + pad) - pad, cols * (width + pad) - pad
    c = np.arange(channels)
    r, k = np.divmod(c, cols)
    out = np.empty((channels, 4))
    out[:, 0] = k * (width + pad) / tw * 100
    out[:, 1] = r * (height + pad) / th * 100
    out[:, 2] = width / tw * 100
    out[:, 3] = height / th * 100
    return out


def channel_stats(maps: np.ndarray) -> np.ndarray:
    """``(C, H, W)`` -> ``(C, 3)``: each channel's minimum, maximum and mean."""
    flat = maps.reshape(maps.shape[0], -1)
    return np.stack([flat.min(axis=1), flat.max(axis=1), flat.mean(axis=1)], axis=1)


# ----------------------------------------------------------------------------- describing layers

@dataclass(eq=False)
class LayerView:
    """One layer's output, ready to plot.  The tiled image of a spatial layer (``tile``, ``index_map``,
    ``cols``) is made on first use, so a page that shows only some layers never pays for the others."""

    index: int
    name: str                 # module path, e.g. "3.branch5x5.1"
    kind: str                 # class name, e.g. "Conv2d"
    title: Msg                # e.g. "conv 5×5, 16→24, pad 2"
    group: Msg | None         # e.g. "Inception block 1 › 5×5 branch" (None at the top level)
    note: Msg | None          # the layer's role, e.g. "F(x), before the skip addition"
    shape: tuple[int, ...]    # without the batch axis
    values: np.ndarray        # (C, H, W) or (N,); read-only
    absmax: float = 0.0
    signed: bool = True       # has negative values
    _tiled: tuple | None = field(default=None, repr=False)

    def _tiles(self) -> tuple | None:
        if self._tiled is None and self.values.ndim == 3:
            self._tiled = tile_maps(self.values)
        return self._tiled

    @property
    def tile(self) -> np.ndarray | None:
        """Spatial layers: the tiled maps, one float image with NaN gaps (see :func:`tile_maps`)."""
        t = self._tiles()
        return None if t is None else t[0]

    @property
    def index_map(self) -> np.ndarray | None:
        """Spatial layers: ``(..., 3)`` channel, y, x for each pixel of :attr:`tile`."""
        t = self._tiles()
        return None if t is None else t[1]

    @property
    def cols(self) -> int:
        t = self._tiles()
        return 0 if t is None else t[2]

    @property
    def is_vector(self) -> bool:
        return self.values.ndim == 1

    @property
    def shape_text(self) -> str:
        return "×".join(str(s) for s in self.shape)



def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def describe(mod: nn.Module) -> Msg:
    """A short, lecture-friendly description of a layer, e.g. ``conv 5×5, 1→6, pad 2``."""
    if isinstance(mod, nn.Conv2d):
        (kh, kw), p, s = _pair(mod.kernel_size), _pair(mod.padding), _pair(mod.stride)
        return msg("fm.layer.conv", kh=kh, kw=kw, cin=mod.in_channels, cout=mod.out_channels,
                   pad=msg("fm.layer.pad", p=p[0]) if p != (0, 0) else "",
                   stride=msg("fm.layer.stride", s=s[0]) if s != (1, 1) else "")
    if isinstance(mod, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = _pair(mod.kernel_size), _pair(mod.stride if mod.stride is not None else mod.kernel_size)
        return msg("fm.layer.max_pool" if isinstance(mod, nn.MaxPool2d) else "fm.layer.avg_pool", kh=k[0], kw=k[1],
                   stride=msg("fm.layer.stride", s=s[0]) if s != k else "")
    if isinstance(mod, nn.Linear):
        return msg("fm.layer.fc", a=mod.in_features, b=mod.out_features)
    plain = {nn.ReLU: "fm.layer.relu", nn.BatchNorm2d: "fm.layer.batch_norm", models.Concat: "fm.layer.concat",
             models.SkipAdd: "fm.layer.skip"}
    for cls, key in plain.items():
        if isinstance(mod, cls):
            return msg(key)
    return msg("fm.layer.other", kind=type(mod).__name__)


_BRANCHES = {"branch1x1": "fm.group.branch1x1", "branch5x5": "fm.group.branch5x5",
             "branch3x3": "fm.group.branch3x3", "branch_pool": "fm.group.branch_pool"}
_BLOCKS = {models.InceptionA: "fm.group.inception", models.ResidualBlock: "fm.group.residual",
           models.DenseBlock: "fm.group.dense", models.Transition: "fm.group.transition"}
_RESIDUAL_NOTES = {"conv2": "fm.note.before_skip", "add": "fm.note.after_skip", "relu2": "fm.note.block_output"}


def _groups(model: nn.Module) -> dict[str, tuple[type, Msg]]:
    """Top-level container path -> (its block class, a numbered, readable block name)."""
    counts: dict[type, int] = {}
    out = {}
    for name, mod in model.named_children():
        for cls, key in _BLOCKS.items():
            if isinstance(mod, cls):
                counts[cls] = counts.get(cls, 0) + 1
                out[name] = (cls, msg(key, n=counts[cls]))
    return out


def _group_and_note(name: str, mod: nn.Module, modules: dict[str, nn.Module],
                    groups: dict[str, tuple[type, Msg]], shape: tuple[int, ...]) -> tuple[Msg | None, Msg | None]:
    """The block a layer belongs to (``None`` at the top level) and a note on its role (or ``None``)."""
    parts = name.split(".")
    if parts[0] not in groups:
        return None, None
    cls, group = groups[parts[0]]
    note = None
    if cls is models.InceptionA and len(parts) >= 2:
        if parts[1] in _BRANCHES:
            group = msg("fm.group.part", block=group, part=msg(_BRANCHES[parts[1]]))
        elif parts[1] == "concat":
            block = modules[parts[0]]
            widths = [[m.out_channels for m in getattr(block, b).modules() if isinstance(m, nn.Conv2d)][-1]
                      for b in _BRANCHES]
            note = msg("fm.note.inception_concat", sum=" + ".join(map(str, widths)), c=shape[0])
    elif cls is models.ResidualBlock and len(parts) == 2 and parts[1] in _RESIDUAL_NOTES:
        note = msg(_RESIDUAL_NOTES[parts[1]])
    elif cls is models.DenseBlock and len(parts) >= 3:
        group = msg("fm.group.part", block=group, part=msg("fm.group.layer", n=int(parts[1]) + 1))
        parent = modules.get(".".join(parts[:-1]))
        if isinstance(mod, models.Concat) and isinstance(parent, models.DenseLayer):
            note = msg("fm.note.dense_concat", growth=parent.conv.out_channels, c=shape[0])
        elif isinstance(mod, nn.Conv2d):
            note = msg("fm.note.new_maps")
    return group, note


# ----------------------------------------------------------------------------- analysis

@dataclass
class Analysis:
    """Prediction plus every layer's output for one input."""

    image: np.ndarray            # (28, 28) float in [0, 1]: what the network receives, before normalization
    x: torch.Tensor              # (1, 1, 28, 28): the normalized input
    logits: np.ndarray           # (10,)
    probs: np.ndarray            # (10,) softmax
    classes: list                # class names: str, or Msg for a bundled dataset's classes
    layers: list[LayerView] = field(default_factory=list)
    maps_absmax: float = 0.0     # over every spatial layer (for the global colour scale)
    vectors_absmax: float = 0.0  # over every fully connected layer

    @property
    def pred(self) -> int:
        return int(np.argmax(self.probs))

    @property
    def pred_label(self) -> str:
        return self.classes[self.pred]


def _view(index: int, name: str, kind: str, title: Msg, group: Msg | None, note: Msg | None, shape: tuple[int, ...],
          out: torch.Tensor) -> LayerView | None:
    """``out``: the layer's output for the batch of one (on the CPU)."""
    values = out.numpy()[0]
    if values.ndim == 3 and values.shape[1:] == (1, 1):
        values = values.reshape(-1)      # C maps of 1x1 (LeNet's C5) are a vector: show them as bars
    elif values.ndim not in (1, 3):
        return None
    view = LayerView(index, name, kind, title, group, note, shape, values)
    if values.size:
        # numpy, not torch.aminmax: torch splits even a tiny reduction over its threads, which on a
        # busy 2-core server costs ~2 ms a layer instead of a few µs
        lo, hi = float(values.min()), float(values.max())
        view.absmax = max(abs(lo), abs(hi))
        view.signed = lo < 0
    return view


def _mark_logits(out: list[LayerView]) -> None:
    if out and out[-1].is_vector and out[-1].kind == "Linear":
        out[-1].note = msg("fm.note.logits")


def analyze(model: nn.Module, x: torch.Tensor, image: np.ndarray | None = None,
            classes: list[str] | None = None) -> Analysis:
    """Run ``x`` (1, 1, 28, 28, normalized) through ``model`` and collect every layer's output."""
    model = _eval_model(model)
    x = x.to(_device(model))
    with model_lock(model), one_thread():
        logits, records = activations.capture(model, x, include_containers=False)
    modules = dict(model.named_modules())
    groups = _groups(model)
    layers: list[LayerView] = []
    for rec in records:
        if rec.kind in SKIPPED_KINDS:
            continue
        mod, shape = modules[rec.name], tuple(rec.output.shape[1:])
        group, note = _group_and_note(rec.name, mod, modules, groups, shape)
        view = _view(len(layers), rec.name, rec.kind, describe(mod), group, note, shape, rec.output)
        if view is not None:
            layers.append(view)
    _mark_logits(layers)
    logits = logits[0].float()
    probs = torch.softmax(logits, dim=0).numpy()
    maps = [v.absmax for v in layers if not v.is_vector]
    vecs = [v.absmax for v in layers if v.is_vector]
    if image is None:
        image = np.zeros((28, 28), np.float32)
    return Analysis(image, x.cpu(), logits.numpy(), probs, list(classes or [str(i) for i in range(10)]),
                    layers, max(maps, default=0.0), max(vecs, default=0.0))


def analyze_canvas(model: nn.Module, meta, canvas: np.ndarray | None,
                   stroke_px: float | None = drawing.STROKE_PX) -> Analysis | None:
    """Canvas RGBA array -> :class:`Analysis`, or ``None`` when the canvas is empty.

    ``meta`` supplies the normalization (``meta.mean``, ``meta.std``) and ``meta.classes``.
    """
    pre = drawing.preprocess(canvas, stroke_px=stroke_px)
    if pre is None:
        return None
    u8 = pre.uint8
    return analyze(model, drawing.mnist_tensor(u8, meta.mean, meta.std), u8.astype(np.float32) / 255.0, meta.classes)


def analyze_digit(model: nn.Module, meta, digit_u8: np.ndarray) -> Analysis:
    """A 28x28 uint8 MNIST digit (already in MNIST's format) -> :class:`Analysis`."""
    d = np.asarray(digit_u8, dtype=np.uint8)
    return analyze(model, drawing.mnist_tensor(d, meta.mean, meta.std), d.astype(np.float32) / 255.0,
                   meta.classes)


# ----------------------------------------------------------------------------- learned filters

@dataclass
class Filters:
    name: str            # module path
    title: Msg
    weights: np.ndarray  # (N, kh, kw)
    total: int           # how many the layer has (weights may show fewer)


def first_filters(model: nn.Module, limit: int = 64) -> Filters | None:
    """The first convolution's kernels (one per output channel, summed over input channels, which is
    one channel for the 28x28 grey input).  For a network without convolutions, the first fully
    connected layer's weights seen as 28x28 templates."""
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            w = mod.weight.detach().cpu().float()
            w = w.sum(dim=1) if w.shape[1] > 1 else w[:, 0]
            return Filters(name, describe(mod), w[:limit].numpy().copy(), w.shape[0])
        if isinstance(mod, nn.Linear):
            if mod.in_features != 28 * 28:
                return None
            w = mod.weight.detach().cpu().float().reshape(-1, 28, 28)
            return Filters(name, msg("fm.layer.template", desc=describe(mod)),
                           w[:limit].numpy().copy(), w.shape[0])
    return None


# ----------------------------------------------------------------------------- attribution

ATTRIBUTION_METHODS = {
    "integrated_gradients": "Integrated gradients (input pixels)",
    "gradcam": "Grad-CAM (last convolutional maps)",
    "saliency": "Saliency (input gradient)",
}


@dataclass
class Attribution:
    method: str
    values: np.ndarray    # (28, 28); Grad-CAM >= 0, integrated gradients signed, saliency >= 0
    target: int
    layer: str = ""       # Grad-CAM's layer
    note: Msg | None = None


def gradcam_layer(model: nn.Module) -> tuple[str, nn.Module] | None:
    """The last layer whose output is still a spatial map at least 4×4 (Grad-CAM's usual choice: the
    deepest maps that can still say *where*).  For an Inception block that is its concatenation, for a
    residual block the output after the skip addition.  Call it under :func:`model_lock`."""
    x = torch.zeros(1, 1, 28, 28, device=_device(model))
    _, records = activations.capture(model, x, include_containers=False)
    found = None
    for rec in records:
        if rec.output.dim() == 4 and rec.output.shape[-1] >= 4 and rec.kind not in SKIPPED_KINDS:
            found = rec.name
    if found is None:
        return None
    return found, dict(model.named_modules())[found]


def attribute(model: nn.Module, x: torch.Tensor, target: int | None = None, method: str = "gradcam",
              baseline: float | None = None, n_steps: int = 24) -> Attribution:
    """Which input pixels decided the class ``target`` (default: the predicted one), with captum.

    ``baseline`` is the normalized value of empty paper (integrated gradients start from a blank
    image).  The model is not modified: captum's temporary hooks run under :func:`model_lock`, and
    gradients are taken with respect to a copy of the input only.
    """
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

    if method not in ATTRIBUTION_METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose one of {', '.join(ATTRIBUTION_METHODS)}")
    model = _eval_model(model)
    dev = _device(model)
    inp = x.detach().to(dev).clone().requires_grad_(True)
    note = None
    with model_lock(model):
        if target is None:
            with torch.no_grad():
                target = int(model(inp).argmax(dim=1)[0])
        if method == "gradcam":
            found = gradcam_layer(model)
            if found is None:
                method, note = "integrated_gradients", msg("fm.note.no_gradcam")
            else:
                name, layer = found
                with torch.enable_grad():
                    attr = LayerGradCam(model, layer).attribute(inp, target=target, relu_attributions=True)
                    up = LayerAttribution.interpolate(attr.detach(), (28, 28), interpolate_mode="bilinear")
                return Attribution("gradcam", up[0].sum(0).cpu().numpy(), target, name,
                                   msg("fm.note.gradcam", name=name, desc=describe(layer), h=attr.shape[-2],
                                       w=attr.shape[-1]))
        with torch.enable_grad():
            if method == "saliency":
                attr = Saliency(model).attribute(inp, target=target, abs=True)
            else:
                base = torch.full_like(inp, 0.0 if baseline is None else float(baseline))
                attr = IntegratedGradients(model).attribute(inp, baselines=base, target=target,
                                                            n_steps=n_steps, internal_batch_size=n_steps)
    return Attribution(method, attr.detach()[0, 0].cpu().numpy(), target, "", note)

