"""What the network sees: every layer's output for one input, ready to plot, plus filters and attribution.

:func:`analyze_canvas` is the function the feature-map page calls: canvas RGBA array -> the MNIST-style
28x28 input (:mod:`cnnviz.drawing`) -> prediction and every layer's output, in forward order, from the
model run as a flat program of direct torch calls on its own tensors (or, failing that, as a recording
twin; see :class:`_Plan`).  Feature maps with many channels are laid out as one tiled image
(:func:`tile_maps`) together with a channel-index map, so a plot can show the channel under the mouse.

Cached models are shared between the users of a server, so nothing here changes a model: the program
and the twin are separate objects built once per model, each analysis runs under a per-model lock
(:func:`model_lock`) so that two sessions never see each other's activations, gradients are taken with
respect to the input only, and a model found in training mode is copied before it is put in eval mode.
"""

from __future__ import annotations

import copy
import functools
import math
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import activations, drawing, models

SKIPPED_KINDS = {"Flatten", "Identity", "Dropout"}   # same numbers as the layer before: not shown

# ----------------------------------------------------------------------------- locking

_LOCKS: weakref.WeakKeyDictionary[nn.Module, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def model_lock(model: nn.Module) -> threading.Lock:
    """One lock per model object: hooks registered by one thread must not record another's forward."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.Lock()
        return lock


def _eval_model(model: nn.Module) -> nn.Module:
    """The model itself when it is in eval mode; otherwise an eval-mode copy (the original is untouched)."""
    if not model.training:
        return model
    return copy.deepcopy(model).eval()


@contextmanager
def _one_thread():
    """Run a batch-1 inference on one intra-op thread.

    For a single 28x28 digit, splitting each small op over threads costs more than it gains, and on a
    busy 2-core server the waiting threads make it many times slower (densenet: ~12 ms instead of
    ~360 ms measured on the 2-core dev machine under load).  The setting is process-wide, so it is
    restored at once; training runs in worker processes and is not affected.
    """
    n = torch.get_num_threads()
    if n == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


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
    title: str                # e.g. "conv 5×5, 16→24, pad 2"
    group: str                # e.g. "Inception block 1 › 5×5 branch" ("" at the top level)
    note: str                 # the layer's role, e.g. "F(x), before the skip addition"
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

    @property
    def label(self) -> str:
        return f"{self.title} · {self.shape_text}"


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def describe(mod: nn.Module) -> str:
    """A short, lecture-friendly description of a layer."""
    if isinstance(mod, nn.Conv2d):
        kh, kw = _pair(mod.kernel_size)
        text = f"conv {kh}×{kw}, {mod.in_channels}→{mod.out_channels}"
        p, s = _pair(mod.padding), _pair(mod.stride)
        if p != (0, 0):
            text += f", pad {p[0]}"
        if s != (1, 1):
            text += f", stride {s[0]}"
        return text
    if isinstance(mod, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = _pair(mod.kernel_size), _pair(mod.stride if mod.stride is not None else mod.kernel_size)
        text = f"{'max' if isinstance(mod, nn.MaxPool2d) else 'average'} pool {k[0]}×{k[1]}"
        if s != k:
            text += f", stride {s[0]}"
        return text
    if isinstance(mod, nn.ReLU):
        return "ReLU"
    if isinstance(mod, nn.BatchNorm2d):
        return "batch norm"
    if isinstance(mod, nn.Linear):
        return f"fully connected {mod.in_features}→{mod.out_features}"
    if isinstance(mod, models.Concat):
        return "concatenate"
    if isinstance(mod, models.SkipAdd):
        return "skip addition x + F(x)"
    return type(mod).__name__


_BRANCHES = {"branch1x1": "1×1 branch", "branch5x5": "5×5 branch", "branch3x3": "3×3 branch",
             "branch_pool": "pool branch"}


def _groups(model: nn.Module) -> dict[str, str]:
    """Top-level container path -> a numbered, readable block name."""
    counts: dict[str, int] = {}
    out = {}
    names = {models.InceptionA: "Inception block", models.ResidualBlock: "Residual block",
             models.DenseBlock: "Dense block", models.Transition: "Transition"}
    for name, mod in model.named_children():
        for cls, label in names.items():
            if isinstance(mod, cls):
                counts[label] = counts.get(label, 0) + 1
                out[name] = f"{label} {counts[label]}"
    return out


def _group_and_note(name: str, mod: nn.Module, modules: dict[str, nn.Module], groups: dict[str, str],
                    shape: tuple[int, ...]) -> tuple[str, str]:
    parts = name.split(".")
    top = parts[0]
    group = groups.get(top, "")
    note = ""
    parent = modules.get(".".join(parts[:-1])) if len(parts) > 1 else None
    if group.startswith("Inception") and len(parts) >= 2:
        if parts[1] in _BRANCHES:
            group += f" › {_BRANCHES[parts[1]]}"
        elif parts[1] == "concat":
            note = "the four branches side by side: 16 + 24 + 24 + 24 = 88 channels"
    elif group.startswith("Residual") and len(parts) == 2:
        note = {"conv2": "F(x): before the skip addition",
                "add": "x + F(x): after the skip addition",
                "relu2": "block output ReLU(x + F(x))"}.get(parts[1], "")
    elif group.startswith("Dense") and len(parts) >= 3:
        group += f" › layer {int(parts[1]) + 1}"
        if isinstance(mod, models.Concat) and isinstance(parent, models.DenseLayer):
            growth = parent.conv.out_channels
            note = f"its input plus {growth} new maps = {shape[0]} channels"
        elif isinstance(mod, nn.Conv2d):
            note = "the new maps this layer adds"
    return group, note


# ----------------------------------------------------------------------------- analysis

@dataclass
class Analysis:
    """Prediction plus every layer's output for one input."""

    image: np.ndarray            # (28, 28) float in [0, 1]: what the network receives, before normalization
    x: torch.Tensor              # (1, 1, 28, 28): the normalized input
    logits: np.ndarray           # (10,)
    probs: np.ndarray            # (10,) softmax
    classes: list[str]
    layers: list[LayerView] = field(default_factory=list)
    maps_absmax: float = 0.0     # over every spatial layer (for the global colour scale)
    vectors_absmax: float = 0.0  # over every fully connected layer

    @property
    def pred(self) -> int:
        return int(np.argmax(self.probs))

    @property
    def pred_label(self) -> str:
        return self.classes[self.pred]


def _view(index: int, name: str, kind: str, title: str, group: str, note: str, shape: tuple[int, ...],
          out: torch.Tensor) -> LayerView | None:
    """``out``: the layer's output for the batch of one (on the CPU)."""
    values = out.numpy()[0]
    if values.ndim == 3 and values.shape[1:] == (1, 1):
        values = values.reshape(-1)      # C maps of 1x1 (LeNet's C5) are a vector: show them as bars
    elif values.ndim not in (1, 3):
        return None
    view = LayerView(index, name, kind, title, group, note, shape, values)
    if values.size:
        lo, hi = torch.aminmax(out)
        lo, hi = lo.item(), hi.item()
        view.absmax = max(abs(lo), abs(hi))
        view.signed = lo < 0
    return view


def _mark_logits(out: list[LayerView]) -> None:
    if out and out[-1].is_vector and out[-1].kind == "Linear":
        out[-1].note = "the logits: softmax turns them into the probabilities"


@dataclass
class _Plan:
    """What :func:`analyze` records in one model, worked out once per model object: the leaves worth
    showing (name, module, kind, title), their groups and notes (per output shape), and how to run the
    model so that it hands over every one of their outputs.

    The fast way is a :class:`_FlatProgram`: the model's forward pass traced once with ``torch.fx`` and
    turned into a flat list of direct ``torch`` calls on the model's own parameter and buffer tensors,
    which returns the logits and the outputs worth showing.  Calling ~50 modules through
    ``nn.Module.__call__`` costs DenseNet ~0.5 ms more than the arithmetic itself (1.3 vs 1.9 ms).

    When the forward pass cannot be traced (Python control flow that depends on the data) or a module
    works in place, the model's *twin* runs instead: a second set of module objects around the same
    tensors, in which each leaf worth showing has its ``forward`` wrapped, once, by a recorder of its
    output (a wrapper rather than a forward hook: a hooked module takes ``nn.Module``'s slow call path).
    The recorders record only while :func:`_capture` holds the model's lock and has set ``sink``.

    Either way the model itself is never touched.  (:func:`cnnviz.activations.capture`, the general
    tool, uses forward hooks; the tests check that all three agree.)
    """

    leaves: list[tuple[str, nn.Module, str, str]]
    modules: dict[str, nn.Module]
    groups: dict[str, str]
    copy: bool                                   # a module works in place: captured outputs must be copied
    twin: nn.Module
    program: _FlatProgram | None = None
    notes: dict[tuple[str, tuple], tuple[str, str]] = field(default_factory=dict)
    sink: list | None = None                     # (leaf index, output) pairs while the twin runs


_PLANS: weakref.WeakKeyDictionary[nn.Module, _Plan] = weakref.WeakKeyDictionary()


def _twin(model: nn.Module) -> nn.Module:
    """New module objects sharing ``model``'s parameters and buffers (no tensor is copied)."""
    memo = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return copy.deepcopy(model, memo)


class _FlatProgram:
    """A model's eval-mode forward pass as a flat list of steps, each a direct ``torch`` call.

    Built from a ``torch.fx`` trace in which every module without children is one call.  Modules of
    the kinds the registry uses become the function their ``forward`` calls, with the module's own
    tensors (so a change to the weights shows at once); any other module, function or method node runs
    as it is.  ``program(x)`` -> ``(logits, [(leaf index, output)])`` in the order they ran.
    """

    def __init__(self, steps: list, result: int, recorded: list[tuple[int, int]], size: int) -> None:
        self.steps, self.result, self.recorded, self.size = steps, result, recorded, size

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor]]]:
        env: list = [None] * self.size
        env[0] = x
        for slot, step in self.steps:
            env[slot] = step(env)
        return env[self.result], [(leaf, env[slot]) for leaf, slot in self.recorded]

    @classmethod
    def build(cls, twin: nn.Module, modules: dict[str, nn.Module],
              leaf_index: dict[str, int]) -> _FlatProgram | None:
        """The program for ``twin`` (an eval-mode model whose modules nothing else calls; ``modules``: its
        named modules), or ``None`` when ``torch.fx`` cannot trace it."""
        import torch.fx

        class LeafTracer(torch.fx.Tracer):
            def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
                return activations.is_leaf(m)

        try:
            graph = LeafTracer().trace(twin)
        except Exception:                                  # data-dependent control flow, unsupported ops
            return None
        slots: dict[torch.fx.Node, int] = {}
        steps, recorded, result = [], [], None
        for node in graph.nodes:
            if node.op == "placeholder":
                if slots:
                    return None                            # one input only
                slots[node] = 0
                continue
            if node.op == "output":
                out = node.args[0]
                if not isinstance(out, torch.fx.Node):
                    return None
                result = slots[out]
                continue
            slot = len(slots)
            if node.op == "call_module":
                mod = modules[node.target]
                step = _direct_call(mod, node, slots) or _generic_step(mod, node, slots)
                if node.target in leaf_index:
                    recorded.append((leaf_index[node.target], slot))
            elif node.op == "get_attr":
                value = twin
                for part in node.target.split("."):
                    value = getattr(value, part)
                step = (lambda v: lambda env: v)(value)
            elif node.op == "call_method":
                step = _generic_step(functools.partial(_call_method, node.target), node, slots)
            else:                                          # call_function
                step = _generic_step(node.target, node, slots)
            slots[node] = slot
            steps.append((slot, step))
        if result is None:
            return None
        return cls(steps, result, recorded, len(slots))


def _call_method(name: str, obj, /, *args, **kwargs):
    return getattr(obj, name)(*args, **kwargs)


def _generic_step(fn, node, slots):
    """A step that calls ``fn`` with the node's arguments, looking up the earlier results they name."""
    import torch.fx

    args, kwargs = node.args, node.kwargs

    def step(env):
        def look(n):
            return env[slots[n]]
        return fn(*torch.fx.node.map_arg(args, look), **torch.fx.node.map_arg(kwargs, look))
    return step


def _direct_call(mod: nn.Module, node, slots):
    """The registry's module kinds as the ``torch`` call their eval-mode ``forward`` makes, or ``None``."""
    import torch.fx

    args, kind = node.args, type(mod)
    if node.kwargs or not args:
        return None
    if kind is models.Concat and len(args) == 1 and isinstance(args[0], (list, tuple)) \
            and all(isinstance(a, torch.fx.Node) for a in args[0]):
        parts = [slots[a] for a in args[0]]
        return lambda env: torch.cat([env[i] for i in parts], 1)
    if not all(isinstance(a, torch.fx.Node) for a in args):
        return None
    if kind is models.SkipAdd and len(args) == 2:
        i, j = slots[args[0]], slots[args[1]]
        return lambda env: env[i] + env[j]
    if len(args) != 1:
        return None
    i = slots[args[0]]
    if kind is nn.Conv2d and mod.padding_mode == "zeros":
        w, b, s, p, d, g = mod.weight, mod.bias, mod.stride, mod.padding, mod.dilation, mod.groups
        return lambda env: torch.conv2d(env[i], w, b, s, p, d, g)
    if kind is nn.BatchNorm2d and mod.running_mean is not None and mod.running_var is not None:
        w, b, m, v, eps = mod.weight, mod.bias, mod.running_mean, mod.running_var, mod.eps
        cudnn = torch.backends.cudnn.enabled
        return lambda env: torch.batch_norm(env[i], w, b, m, v, False, 0.0, eps, cudnn)
    if kind is nn.ReLU:
        return lambda env: torch.relu(env[i])
    if kind is nn.MaxPool2d and not mod.return_indices:
        k, s, p, d, c = mod.kernel_size, mod.stride, mod.padding, mod.dilation, mod.ceil_mode
        return lambda env: torch.max_pool2d(env[i], k, s, p, d, c)
    if kind is nn.AvgPool2d:
        k, s, p, c, inc, div = (mod.kernel_size, mod.stride, mod.padding, mod.ceil_mode,
                                mod.count_include_pad, mod.divisor_override)
        return lambda env: torch.nn.functional.avg_pool2d(env[i], k, s, p, c, inc, div)
    if kind is nn.Linear:
        w, b = mod.weight, mod.bias
        return lambda env: torch.nn.functional.linear(env[i], w, b)
    if kind is nn.Flatten:
        a, z = mod.start_dim, mod.end_dim
        return lambda env: torch.flatten(env[i], a, z)
    if kind in (nn.Identity, nn.Dropout):                  # eval mode: the input itself
        return lambda env: env[i]
    return None


def _plan(model: nn.Module) -> _Plan:
    """Call under :func:`model_lock`, with ``model`` in eval mode."""
    plan = _PLANS.get(model)
    if plan is None:
        # everything is read from the twin (same structure): the plan, a value of a weak-key dictionary,
        # must hold no reference to the model, or the model would never be freed
        twin = _twin(model)
        leaves = [(name, mod, type(mod).__name__, describe(mod))
                  for name, mod in activations.hookable_modules(twin, include_containers=False)
                  if type(mod).__name__ not in SKIPPED_KINDS]
        inplace = any(getattr(m, "inplace", False) for m in twin.modules())
        twin_modules = dict(twin.named_modules())
        plan = _Plan(leaves, twin_modules, _groups(twin), inplace, twin)
        if not inplace:
            leaf_index = {name: i for i, (name, *_) in enumerate(leaves)}
            plan.program = _FlatProgram.build(twin, twin_modules, leaf_index)
        if plan.program is None:
            _wrap_recorders(plan)
        _PLANS[model] = plan
    return plan


def _wrap_recorders(plan: _Plan) -> None:
    """Wrap the ``forward`` of each leaf of the plan's twin worth showing with a recorder of its output."""
    ref = weakref.ref(plan)                  # the recorders must not keep the plan (and the twin) alive

    def make_recorder(i: int, forward):
        def recorded(*args, **kwargs):
            out = forward(*args, **kwargs)
            p = ref()
            if p is not None and p.sink is not None and isinstance(out, torch.Tensor):
                copy_it = p.copy or out.device.type != "cpu"     # in place, or on a GPU: a CPU copy
                p.sink.append((i, out.detach().to("cpu", copy=True) if copy_it else out))
            return out
        return recorded

    for i, (name, _, _, _) in enumerate(plan.leaves):
        mod = plan.modules[name]
        mod.forward = make_recorder(i, mod.forward)    # an instance attribute: nn.Module calls it


def _capture(plan: _Plan, x: torch.Tensor) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor]]]:
    """The model's forward pass on ``x``, run by the plan's program or recording twin, -> ``(logits,
    [(leaf index, output)])`` in the order the leaves ran.  Call under :func:`model_lock`.  Outputs are
    kept without a copy (inference tensors cannot be changed later; a model with an in-place module runs
    as the twin, which copies); outputs on a GPU are copied to the CPU."""
    with torch.inference_mode():
        if plan.program is not None:
            logits, got = plan.program(x)
            if x.device.type != "cpu":
                got = [(i, t.to("cpu")) for i, t in got]
        else:
            plan.sink = got = []
            try:
                logits = plan.twin(x)
            finally:
                plan.sink = None
    return logits.detach().cpu(), got


def analyze(model: nn.Module, x: torch.Tensor, image: np.ndarray | None = None,
            classes: list[str] | None = None) -> Analysis:
    """Run ``x`` (1, 1, 28, 28, normalized) through ``model`` and collect every layer's output."""
    model = _eval_model(model)
    x = x.to(_device(model))
    with model_lock(model), _one_thread():
        plan = _plan(model)
        logits, got = _capture(plan, x)
        layers: list[LayerView] = []
        for i, out in got:
            name, mod, kind, title = plan.leaves[i]
            shape = tuple(out.shape[1:])
            gn = plan.notes.get((name, shape))
            if gn is None:
                gn = plan.notes[(name, shape)] = _group_and_note(name, mod, plan.modules, plan.groups, shape)
            view = _view(len(layers), name, kind, title, gn[0], gn[1], shape, out)
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
    title: str
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
            return Filters(name, describe(mod) + " (each unit's weights as a 28×28 template)",
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
    note: str = ""


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
    note = ""
    with model_lock(model):
        if target is None:
            with torch.no_grad():
                target = int(model(inp).argmax(dim=1)[0])
        if method == "gradcam":
            found = gradcam_layer(model)
            if found is None:
                method, note = "integrated_gradients", "This network has no convolutional maps, so " \
                                                      "integrated gradients are shown instead of Grad-CAM."
            else:
                name, layer = found
                with torch.enable_grad():
                    attr = LayerGradCam(model, layer).attribute(inp, target=target, relu_attributions=True)
                    up = LayerAttribution.interpolate(attr.detach(), (28, 28), interpolate_mode="bilinear")
                return Attribution("gradcam", up[0].sum(0).cpu().numpy(), target, name,
                                   f"Grad-CAM on layer {name} ({describe(layer)}, "
                                   f"{attr.shape[-2]}×{attr.shape[-1]} maps), scaled up to 28×28.")
        with torch.enable_grad():
            if method == "saliency":
                attr = Saliency(model).attribute(inp, target=target, abs=True)
            else:
                base = torch.full_like(inp, 0.0 if baseline is None else float(baseline))
                attr = IntegratedGradients(model).attribute(inp, baselines=base, target=target,
                                                            n_steps=n_steps, internal_batch_size=n_steps)
    return Attribution(method, attr.detach()[0, 0].cpu().numpy(), target, "", note)

