"""How one number inside a network was computed: the arithmetic behind any cell of any layer.

:func:`explain_cell` runs the model once with forward hooks on every leaf module that record what the
module received and what it returned (the very tensors, so the graph of who feeds whom is known by
identity), then works out the chosen cell again from the layer's input with the layer's own weights:

- ``conv``: per input channel, the window of the previous layer times the kernel slice; the largest
  contributions, the rest summed, plus the bias;
- ``relu``: ``max(0, x)`` with ``x`` from the layer before at the same place;
- ``max_pool`` / ``avg_pool``: the window on the layer before, the winner or the mean;
- ``batch_norm``: ``(x − mean)/√(var + ε)·γ + β`` with the layer's running statistics (eval mode);
- ``add``: the shortcut value plus the block's value (:class:`cnnviz.models.SkipAdd`);
- ``concat``: which input (branch or earlier layer) and which channel of it (:class:`cnnviz.models.Concat`);
- ``flatten``: ``(c, h, w) → c·H·W + h·W + w``;
- ``linear``: ``W·x + b``, the largest terms, the rest summed, the bias;
- ``softmax``: the pseudo-layer :data:`SOFTMAX` after the logits, ``e^{z_i}/Σ_j e^{z_j}``, and, given a
  label, the cross-entropy ``−log p(label)``.

The result (:class:`Explanation`) carries the network's own value, the terms, the bias and the total
recomputed from them (:func:`combine`), the receptive field on the input, and structured details for a
page to draw (windows, kernel slices, the numbers of a formula).  Labels are :class:`~cnnviz.messages.Msg`
keys (``cnnviz/texts/explain.py``), never English prose.

The model is never changed: a model in training mode is copied into eval mode, and the hooks are
registered under :func:`cnnviz.activations.model_lock` and always removed.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import activations, models
from .messages import MessageError, Msg, msg

SOFTMAX = "softmax"          # the pseudo-layer name of the class probabilities (after the last layer)
INPUT = "input"              # the producer name of the model's input
TOP_CHANNELS = 6             # convolution: channels shown one by one (the rest are summed)
TOP_TERMS = 8                # fully connected: terms w_j·x_j shown one by one (the rest are summed)

KINDS = ("conv", "relu", "max_pool", "avg_pool", "batch_norm", "add", "concat", "flatten", "linear",
         "identity", "softmax")


class ExplainError(MessageError):
    """The cell cannot be explained (unknown layer, index out of range, a module kind not covered)."""


class Term(NamedTuple):
    """One term of the computation: a label for people and its number (unpacks as ``(label, number)``)."""

    label: Msg
    number: float


@dataclass
class ChannelPart:
    """Convolution: one input channel's contribution."""

    channel: int
    window: np.ndarray        # (kh, kw) the previous layer's values under the kernel (0 in the padding)
    inside: np.ndarray        # (kh, kw) bool: False where the window lies in the zero padding
    kernel: np.ndarray        # (kh, kw) the kernel slice for this input channel
    dot: float                # Σ window·kernel


@dataclass
class Explanation:
    """How the value at ``index`` of ``layer`` was computed (see the module docstring)."""

    layer: str
    index: tuple[int, ...]
    kind: str                            # one of :data:`KINDS`
    module: str                          # the module's class name ("Conv2d", "SkipAdd", …; "" for softmax)
    value: float                         # the network's own output there
    terms: tuple[Term, ...]
    bias: float | None
    total: float                         # recomputed from terms and bias by :func:`combine`
    op: str                              # how the terms combine: "sum", "max", "relu", "softmax"
    receptive_field: tuple[int, int, int, int] | None    # (top, left, bottom, right), inclusive, clipped
    source: str                          # the layer whose output is this layer's input (INPUT for the image)
    details: dict[str, Any] = field(default_factory=dict)
    notes: tuple[Msg, ...] = ()
    loss: float | None = None            # softmax with a label: −log p(label)
    label: int | None = None

    @property
    def matches(self) -> bool:
        """Whether the recomputed total equals the network's value (1e-4 relative, 1e-4 absolute near 0)."""
        return math.isclose(self.total, self.value, rel_tol=1e-4, abs_tol=1e-4)


def combine(op: str, terms: tuple[Term, ...] | list[Term], bias: float | None, index: int = 0) -> float:
    """The total of ``terms`` (and ``bias``) for ``op``: a sum, a maximum, ``max(0, x)`` or the softmax of
    the terms at position ``index``."""
    nums = [float(t.number) for t in terms]
    if op == "sum":
        return math.fsum(nums) + (bias or 0.0)
    if op == "max":
        return max(nums)
    if op == "relu":
        return max(0.0, nums[0])
    if op == "softmax":
        z = np.asarray(nums, np.float64)
        e = np.exp(z - z.max())
        return float(e[index] / e.sum())
    raise ValueError(op)


# ----------------------------------------------------------------------------- capture with inputs

@dataclass
class _Record:
    module: nn.Module
    inputs: list[torch.Tensor]      # flattened (a Concat's list becomes its tensors), CPU float64 copies
    sources: list[str]              # for each input, the leaf that produced it (INPUT for the model input)
    output: torch.Tensor            # CPU float64 copy, batch axis kept


@dataclass
class Trace:
    """One forward pass: every leaf's inputs, output and where its inputs came from."""

    records: dict[str, _Record]
    logits: torch.Tensor            # (1, classes) float64
    input_shape: tuple[int, ...]    # (C, H, W) of the model input


def _flat_tensors(args) -> list[torch.Tensor]:
    out = []
    for a in args:
        if isinstance(a, torch.Tensor):
            out.append(a)
        elif isinstance(a, (list, tuple)):
            out.extend(_flat_tensors(a))
    return out


def _eval_copy(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model).eval() if model.training else model


@torch.no_grad()
def trace(model: nn.Module, x: torch.Tensor) -> Trace:
    """Run ``model`` on ``x`` (1, C, H, W) with hooks on every leaf that record inputs and outputs.

    A module called more than once keeps its first call.  The model's train/eval mode is left as it is
    (:func:`explain_cell` passes an eval-mode model)."""

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = x.to(device)
    producer: dict[int, str] = {id(x): INPUT}
    keep: list[torch.Tensor] = [x]            # keeps the ids of recorded tensors from being reused
    records: dict[str, _Record] = {}
    pending: dict[str, tuple[list[torch.Tensor], list[str]]] = {}
    handles = []

    def pre_hook(name):
        def hook(_m, args):
            if name in records or name in pending:
                return
            ts = _flat_tensors(args)
            keep.extend(ts)
            pending[name] = ([t.detach().to("cpu", torch.float64, copy=True) for t in ts],
                             [producer.get(id(t), "") for t in ts])
        return hook

    def post_hook(name, mod):
        def hook(_m, _args, out):
            if name in records or name not in pending or not isinstance(out, torch.Tensor):
                return
            inputs, sources = pending.pop(name)
            keep.append(out)
            producer[id(out)] = name
            records[name] = _Record(mod, inputs, sources, out.detach().to("cpu", torch.float64, copy=True))
        return hook

    with activations.model_lock(model), activations.one_thread():
        try:
            for name, mod in activations.hookable_modules(model, include_containers=False):
                handles.append(mod.register_forward_pre_hook(pre_hook(name)))
                handles.append(mod.register_forward_hook(post_hook(name, mod)))
            logits = model(x)
        finally:
            for h in handles:
                h.remove()
    return Trace(records, logits.detach().to("cpu", torch.float64), tuple(x.shape[1:]))


# ----------------------------------------------------------------------------- receptive field

def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _conv_padding(mod: nn.Conv2d) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) zero padding of a convolution, ``"same"``/``"valid"`` included."""
    if isinstance(mod.padding, str):
        if mod.padding == "valid":
            return 0, 0, 0, 0
        (kh, kw), (dh, dw) = _pair(mod.kernel_size), _pair(mod.dilation)
        th, tw = dh * (kh - 1), dw * (kw - 1)
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = _pair(mod.padding)
    return ph, ph, pw, pw


def _window_geometry(mod: nn.Module) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, stride, top/left padding, dilation) of a conv or pooling module, as (h, w) pairs."""
    if isinstance(mod, nn.Conv2d):
        t, _, left, _ = _conv_padding(mod)
        return _pair(mod.kernel_size), _pair(mod.stride), (t, left), _pair(mod.dilation)
    k = _pair(mod.kernel_size)
    s = _pair(mod.stride if mod.stride is not None and mod.stride != [] else mod.kernel_size)
    d = _pair(getattr(mod, "dilation", 1))
    return k, s, _pair(mod.padding), d


_ELEMENTWISE = (nn.ReLU, nn.BatchNorm2d, nn.Identity, nn.Dropout)
_WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def receptive_field(tr: Trace, layer: str, index: tuple[int | None, int, int], clip: bool = True
                    ) -> tuple[int, int, int, int] | None:
    """The input pixels (top, left, bottom, right, inclusive) that the cell ``index`` (channel, row, col)
    of ``layer`` depends on, followed back through the recorded module graph; ``None`` for cells after a
    flatten or fully connected layer, or when a module of an unknown kind lies on the way.

    A channel of ``None`` gives the union over all channels (a concatenation's channels come from
    branches that see different areas).  ``clip=True`` clips the box to each layer's extent on the way
    (the pixels really used); ``clip=False`` gives the textbook size, which may reach past the image
    (LeNet-5's C5: 32×32)."""
    memo: dict[tuple, tuple | None] = {}

    def union(a, b):
        if a is None or b is None:
            return None
        return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])

    def back(src: str, channel: int | None, box: tuple[int, int, int, int], shape) -> tuple | None:
        if clip:
            h, w = shape[-2], shape[-1]
            box = (max(box[0], 0), max(box[1], 0), min(box[2], h - 1), min(box[3], w - 1))
        if src == INPUT:
            return box
        key = (src, channel, box)
        if key not in memo:
            memo[key] = through(src, channel, box)
        return memo[key]

    def through(name: str, channel: int | None, box) -> tuple | None:
        rec = tr.records.get(name)
        if rec is None or not rec.inputs:
            return None
        mod, src, shape = rec.module, rec.sources[0], tuple(rec.inputs[0].shape[1:])
        if not src:
            return None
        if isinstance(mod, _WINDOWED):
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _window_geometry(mod)
            new = (box[0] * sh - ph, box[1] * sw - pw, box[2] * sh - ph + dh * (kh - 1),
                   box[3] * sw - pw + dw * (kw - 1))
            return back(src, None if isinstance(mod, nn.Conv2d) else channel, new, shape)
        if isinstance(mod, _ELEMENTWISE):
            return back(src, channel, box, shape)
        if isinstance(mod, models.SkipAdd):
            if len(rec.inputs) != 2 or not all(rec.sources):
                return None
            return union(back(rec.sources[0], channel, box, shape),
                         back(rec.sources[1], channel, box, tuple(rec.inputs[1].shape[1:])))
        if isinstance(mod, models.Concat):
            if not all(rec.sources):
                return None
            if channel is None:
                out = None
                for i, (t, s) in enumerate(zip(rec.inputs, rec.sources)):
                    b = back(s, None, box, tuple(t.shape[1:]))
                    out = b if i == 0 else union(out, b)
                return out
            start = 0
            for t, s in zip(rec.inputs, rec.sources):
                if channel < start + t.shape[1]:
                    return back(s, channel - start, box, tuple(t.shape[1:]))
                start += t.shape[1]
            return None
        return None                                  # flatten, fully connected, unknown kinds

    rec = tr.records.get(layer)
    if rec is None or rec.output.dim() != 4:
        return None
    c, r, q = index
    return back(layer, c, (r, q, r, q), tuple(rec.output.shape[1:]))


# ----------------------------------------------------------------------------- explaining one cell

def _check_index(layer: str, index, shape: tuple[int, ...]) -> tuple[int, ...]:
    try:
        idx = tuple(int(i) for i in index)
    except (TypeError, ValueError):
        raise ExplainError("explain.error.bad_index", layer=layer, index=str(index),
                           shape="×".join(map(str, shape))) from None
    if len(shape) == 3 and len(idx) == 1 and shape[1:] == (1, 1):
        idx = (idx[0], 0, 0)                         # C maps of 1×1 (LeNet's C5) are shown as a vector
    if len(idx) != len(shape) or any(not 0 <= i < n for i, n in zip(idx, shape)):
        raise ExplainError("explain.error.bad_index", layer=layer, index=str(tuple(idx)),
                           shape="×".join(map(str, shape)))
    return idx


def _pos(idx: tuple[int, ...]) -> str:
    return ", ".join(map(str, idx))


def _top_terms(products: np.ndarray, labels, top: int, rest_key: str) -> list[Term]:
    """The ``top`` largest |products| as terms (in order of size), then one term for the rest summed."""
    order = np.argsort(-np.abs(products), kind="stable")
    shown = order[:top]
    terms = [Term(labels(int(j)), float(products[j])) for j in shown]
    rest = order[top:]
    if len(rest):
        terms.append(Term(msg(rest_key, n=len(rest)), math.fsum(float(products[j]) for j in rest)))
    return terms


def _explain_conv(mod: nn.Conv2d, rec: _Record, idx, top: int) -> dict:
    c, r, q = idx
    inp = rec.inputs[0][0]                           # (C_in, H, W)
    (kh, kw), (sh, sw), _, (dh, dw) = _window_geometry(mod)
    pt, pb, pl, pr = _conv_padding(mod)
    if mod.padding_mode == "zeros":
        padded = F.pad(inp, (pl, pr, pt, pb))
        inside_map = F.pad(torch.ones_like(inp[:1]), (pl, pr, pt, pb))[0] > 0
    else:
        padded = F.pad(inp[None], (pl, pr, pt, pb), mode=mod.padding_mode)[0]
        inside_map = F.pad(torch.ones_like(inp[:1]), (pl, pr, pt, pb))[0] > 0
    rows = r * sh + dh * torch.arange(kh)
    cols = q * sw + dw * torch.arange(kw)
    per_group = mod.in_channels // mod.groups
    group = c // (mod.out_channels // mod.groups)
    weight = mod.weight.detach().to("cpu", torch.float64)[c]            # (C_in/groups, kh, kw)
    parts = []
    for j in range(per_group):
        ch = group * per_group + j
        window = padded[ch][rows][:, cols]
        kernel = weight[j]
        parts.append(ChannelPart(ch, window.numpy(), inside_map[rows][:, cols].numpy(), kernel.numpy(),
                                 float((window * kernel).sum())))
    dots = np.array([p.dot for p in parts])
    terms = _top_terms(dots, lambda j: msg("explain.term.conv_channel", channel=parts[j].channel), top,
                       "explain.term.rest_channels")
    bias = float(mod.bias.detach()[c]) if mod.bias is not None else None
    order = np.argsort(-np.abs(dots), kind="stable")
    return dict(terms=terms, bias=bias, op="sum",
                details=dict(parts=[parts[j] for j in order], kernel_size=(kh, kw), stride=(sh, sw),
                             padding=(pt, pl), dilation=(dh, dw), origin=(r * sh - pt, q * sw - pl),
                             padding_mode=mod.padding_mode, in_channels=mod.in_channels, groups=mod.groups))


def _pool_window(mod, rec: _Record, idx):
    """The window of a pooling cell: (values, inside mask, top-left position in the input)."""
    c, r, q = idx
    inp = rec.inputs[0][0][c]
    h, w = inp.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _window_geometry(mod)
    rows = r * sh - ph + dh * np.arange(kh)
    cols = q * sw - pw + dw * np.arange(kw)
    inside = (rows[:, None] >= 0) & (rows[:, None] < h) & (cols[None, :] >= 0) & (cols[None, :] < w)
    vals = np.zeros((kh, kw))
    rr, cc = np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)
    vals[:] = inp.numpy()[rr][:, cc]
    vals[~inside] = 0.0
    return vals, inside, (int(rows[0]), int(cols[0])), (kh, kw), (sh, sw), (ph, pw), (h, w)


def _explain_maxpool(mod: nn.MaxPool2d, rec: _Record, idx) -> dict:
    vals, inside, origin, k, s, p, _ = _pool_window(mod, rec, idx)
    cand = np.where(inside, vals, -np.inf)
    win = np.unravel_index(int(np.argmax(cand)), cand.shape)
    terms = [Term(msg("explain.term.window_cell", row=origin[0] + i * _pair(mod.dilation)[0],
                      col=origin[1] + j * _pair(mod.dilation)[1]), float(vals[i, j]))
             for i, j in zip(*np.nonzero(inside))]
    return dict(terms=terms, bias=None, op="max",
                details=dict(window=vals, inside=inside, winner=(int(win[0]), int(win[1])), origin=origin,
                             kernel_size=k, stride=s, padding=p, ceil_mode=bool(mod.ceil_mode)))


def _explain_avgpool(mod: nn.AvgPool2d, rec: _Record, idx) -> dict:
    vals, inside, origin, k, s, p, (h, w) = _pool_window(mod, rec, idx)
    # PyTorch's divisor: the window clipped to the padded input (count_include_pad) or to the input
    r0, c0 = origin
    r1, c1 = min(r0 + k[0], h + p[0]), min(c0 + k[1], w + p[1])
    if mod.divisor_override:
        divisor = int(mod.divisor_override)
    elif mod.count_include_pad:
        divisor = (r1 - r0) * (c1 - c0)
    else:
        divisor = int(inside.sum())
    terms = [Term(msg("explain.term.window_share", row=r0 + i, col=c0 + j, divisor=divisor),
                  float(vals[i, j]) / divisor) for i, j in zip(*np.nonzero(inside))]
    return dict(terms=terms, bias=None, op="sum",
                details=dict(window=vals, inside=inside, divisor=divisor, origin=origin, kernel_size=k,
                             stride=s, padding=p, ceil_mode=bool(mod.ceil_mode),
                             count_include_pad=bool(mod.count_include_pad)))


def _explain_batchnorm(mod: nn.modules.batchnorm._BatchNorm, rec: _Record, idx) -> dict:
    c = idx[0]
    inp = rec.inputs[0]
    xv = float(inp[(0, *idx)])
    if mod.running_mean is not None and mod.running_var is not None and not mod.training:
        mean, var = float(mod.running_mean[c]), float(mod.running_var[c])
    else:                                            # no running statistics: this batch's own
        dims = [d for d in range(inp.dim()) if d != 1]
        mean = float(inp.mean(dim=dims)[c])
        var = float(inp.var(dim=dims, unbiased=False)[c])
    gamma = float(mod.weight.detach()[c]) if mod.weight is not None else 1.0
    beta = float(mod.bias.detach()[c]) if mod.bias is not None else 0.0
    scaled = (xv - mean) / math.sqrt(var + mod.eps) * gamma
    return dict(terms=[Term(msg("explain.term.bn_scaled"), scaled)], bias=beta, op="sum",
                details=dict(x=xv, mean=mean, var=var, eps=float(mod.eps), gamma=gamma, beta=beta),
                notes=(msg("explain.note.bn_modes"),))


def _explain_linear(mod: nn.Linear, rec: _Record, idx, top: int) -> dict:
    i = idx[0]
    xv = rec.inputs[0][0].reshape(-1).numpy()
    w = mod.weight.detach().to("cpu", torch.float64)[i].numpy()
    products = w * xv
    terms = _top_terms(products, lambda j: msg("explain.term.linear", j=j, w=float(w[j]), x=float(xv[j])), top,
                       "explain.term.rest_terms")
    order = np.argsort(-np.abs(products), kind="stable")
    bias = float(mod.bias.detach()[i]) if mod.bias is not None else None
    return dict(terms=terms, bias=bias, op="sum",
                details=dict(order=order, weights=w, inputs=xv, products=products, in_features=len(xv)))


def _explain_flatten(mod: nn.Flatten, rec: _Record, idx) -> dict:
    inp = rec.inputs[0][0]
    src_shape = tuple(inp.shape)
    n = idx[0]
    src_idx = tuple(int(i) for i in np.unravel_index(n, src_shape))
    terms = [Term(msg("explain.term.flatten", layer=rec.sources[0], pos=_pos(src_idx)), float(inp[src_idx]))]
    return dict(terms=terms, bias=None, op="sum",
                details=dict(source_shape=src_shape, source_index=src_idx, size=int(inp.numel())))


def _explain_concat(rec: _Record, idx) -> dict:
    c = idx[0]
    start = 0
    for part, (t, s) in enumerate(zip(rec.inputs, rec.sources)):
        if c < start + t.shape[1]:
            src_idx = (c - start, *idx[1:])
            return dict(terms=[Term(msg("explain.term.concat", layer=s, channel=c - start), float(t[(0, *src_idx)]))],
                        bias=None, op="sum",
                        details=dict(part=part, source=s, source_channel=c - start, offset=start,
                                     channels=[int(t.shape[1]) for t in rec.inputs], sources=list(rec.sources)))
        start += t.shape[1]
    raise ExplainError("explain.error.bad_index", layer="concat", index=str(idx), shape=str(start))


def _explain_add(rec: _Record, idx) -> dict:
    keys = ("explain.term.shortcut", "explain.term.block")
    terms = [Term(msg(key, layer=s), float(t[(0, *idx)])) for key, t, s in zip(keys, rec.inputs, rec.sources)]
    return dict(terms=terms, bias=None, op="sum", details=dict(sources=list(rec.sources)))


def _explain_relu(rec: _Record, idx) -> dict:
    xv = float(rec.inputs[0][(0, *idx)])
    return dict(terms=[Term(msg("explain.term.relu_input", layer=rec.sources[0]), xv)], bias=None, op="relu",
                details=dict(before=xv), notes=(msg("explain.note.why_relu"),))


def _explain_softmax(tr: Trace, idx, label: int | None) -> Explanation:
    z = tr.logits[0]
    i = idx[0]
    probs = torch.softmax(z, dim=0)
    terms = tuple(Term(msg("explain.term.logit", cls=j), float(z[j])) for j in range(len(z)))
    exps = np.exp(z.numpy() - float(z.max()))
    loss = None
    notes: tuple[Msg, ...] = ()
    if label is not None:
        loss = float(F.cross_entropy(z[None], torch.tensor([int(label)])))
        notes = (msg("explain.note.cross_entropy", label=int(label), p=float(probs[int(label)]), loss=loss),)
    last = next(reversed(tr.records), INPUT)
    return Explanation(SOFTMAX, idx, "softmax", "", float(probs[i]), terms, None, combine("softmax", terms, None, i),
                       "softmax", None, last,
                       dict(logits=z.numpy(), exp_shifted=exps, shift=float(z.max()), sum_exp=float(exps.sum())),
                       notes, loss, None if label is None else int(label))


def explain_cell(model: nn.Module, x: torch.Tensor, layer: str, index, label: int | None = None,
                 top: int | None = None) -> Explanation:
    """How the value at ``index`` of ``layer`` was computed, for input ``x`` (1, 1, 28, 28, normalized).

    ``layer``: a leaf module's qualified name as :func:`cnnviz.featuremaps.analyze` lists it ("c1",
    "3.branch5x5.1"), a flatten module's name, or :data:`SOFTMAX` for the class probabilities.
    ``index``: ``(channel, row, col)`` for maps, ``(unit,)`` for vectors (and for C maps of 1×1).
    ``label``: with :data:`SOFTMAX`, the true class, for the cross-entropy −log p(label).
    ``top``: how many channels (convolution) or terms (fully connected) to list one by one.
    """
    model = _eval_copy(model)
    tr = trace(model, x)
    if layer == SOFTMAX and SOFTMAX not in tr.records:
        idx = _check_index(layer, index, (tr.logits.shape[1],))
        return _explain_softmax(tr, idx, label)
    rec = tr.records.get(layer)
    if rec is None:
        raise ExplainError("explain.error.unknown_layer", layer=layer)
    shape = tuple(rec.output.shape[1:])
    idx = _check_index(layer, index, shape)
    mod = rec.module
    value = float(rec.output[(0, *idx)])
    if isinstance(mod, nn.Conv2d):
        kind, parts = "conv", _explain_conv(mod, rec, idx, top or TOP_CHANNELS)
    elif isinstance(mod, nn.ReLU):
        kind, parts = "relu", _explain_relu(rec, idx)
    elif isinstance(mod, nn.MaxPool2d):
        kind, parts = "max_pool", _explain_maxpool(mod, rec, idx)
    elif isinstance(mod, nn.AvgPool2d):
        kind, parts = "avg_pool", _explain_avgpool(mod, rec, idx)
    elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
        kind, parts = "batch_norm", _explain_batchnorm(mod, rec, idx)
    elif isinstance(mod, models.SkipAdd) and len(rec.inputs) == 2:
        kind, parts = "add", _explain_add(rec, idx)
    elif isinstance(mod, models.Concat):
        kind, parts = "concat", _explain_concat(rec, idx)
    elif isinstance(mod, nn.Flatten) and len(idx) == 1 and rec.inputs[0].dim() == 4 \
            and mod.start_dim == 1 and mod.end_dim == -1:
        kind, parts = "flatten", _explain_flatten(mod, rec, idx)
    elif isinstance(mod, nn.Linear):
        kind, parts = "linear", _explain_linear(mod, rec, idx, top or TOP_TERMS)
    elif isinstance(mod, (nn.Identity, nn.Dropout)):
        kind = "identity"
        parts = dict(terms=[Term(msg("explain.term.same", layer=rec.sources[0]), float(rec.inputs[0][(0, *idx)]))],
                     bias=None, op="sum", details={})
    else:
        raise ExplainError("explain.error.unsupported", layer=layer, kind=type(mod).__name__)
    terms = tuple(parts["terms"])
    if kind == "flatten":
        rf = receptive_field(tr, rec.sources[0], parts["details"]["source_index"]) \
            if rec.sources[0] != INPUT else _input_cell(parts["details"]["source_index"])
    elif rec.output.dim() == 4:
        rf = receptive_field(tr, layer, idx)
    else:
        rf = None
    return Explanation(layer, idx, kind, type(mod).__name__, value, terms, parts["bias"],
                       combine(parts["op"], terms, parts["bias"]), parts["op"], rf, rec.sources[0] or INPUT,
                       parts["details"], tuple(parts.get("notes", ())))


def _input_cell(src_idx: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    if len(src_idx) != 3:
        return None
    _, r, q = src_idx
    return r, q, r, q


def receptive_field_size(model: nn.Module, layer: str, input_shape: tuple[int, ...] = (1, 1, 28, 28)
                         ) -> tuple[int, int] | None:
    """The textbook receptive field (height, width) of a cell in the middle of ``layer``'s maps, not
    clipped to the image (LeNet-5: c1 5×5, s2 6×6, c3 14×14, s4 16×16, c5 32×32); ``None`` after flatten."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    tr = trace(_eval_copy(model), torch.zeros(input_shape, device=device))
    rec = tr.records.get(layer)
    if rec is None or rec.output.dim() != 4:
        return None
    _, c, h, w = rec.output.shape
    box = receptive_field(tr, layer, (None, h // 2, w // 2), clip=False)
    return None if box is None else (box[2] - box[0] + 1, box[3] - box[1] + 1)
