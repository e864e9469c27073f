"""Networks designed by the user: a spec (a list of layers, as data) checked, built and written as text.

A spec is JSON data, never code: a list of objects, each with a ``"kind"`` and its settings::

    [{"kind": "conv", "out": 16, "kernel": 5, "padding": 2}, {"kind": "relu"}, {"kind": "maxpool", "kernel": 2},
     {"kind": "flatten"}, {"kind": "linear", "out": 10}]

Kinds: ``conv`` (out, kernel, stride, padding, dilation), ``maxpool`` / ``avgpool`` (kernel, stride, padding;
the stride defaults to the kernel), ``relu``, ``sigmoid``, ``tanh``, ``batchnorm``, ``dropout`` (p),
``flatten``, ``linear`` (out), and the registry's blocks ``residual``, ``inception`` and ``dense`` (layers,
growth).  Settings left out take their defaults.  When the spec does not end in a ``linear`` to the number
of classes, one is added (after a ``flatten`` when the last output is still a feature map).

Nothing here evaluates, unpickles or imports anything named by the user: kinds and settings are looked
up in fixed tables, every value is type- and range-checked, and the network's size is measured on the
``meta`` device (no memory) before a real parameter is allocated.  Every problem raises
:class:`SpecError`, whose message key names the first layer that cannot work and the sizes that do not
fit.

The built model is a :class:`SpecNet`, an ``nn.Sequential`` whose children are the spec's layers in order
(module names ``"0"``, ``"1"``, …, ``"3.conv1"`` inside a block), so forward hooks, the feature-map
drill-down and the registry's block labels work on it as on the registry's own models.

A short text form, one layer per line (``conv 16 5 pad=2``, ``maxpool 2``, ``linear 120``, ``dropout 0.5``),
is read by :func:`parse_text` and written by :func:`spec_to_text`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .messages import MessageError

MAX_LAYERS = 40
MAX_PARAMS = 5_000_000
MAX_CHANNELS = 512            # channels of a map, units of a linear layer
MAX_SIDE = 64                 # height / width of any map (padding can grow a map)
MAX_MULT_ADDS = 200_000_000   # per image; the largest registry model (DenseNet-style) needs about 11 million
MAX_CLASSES = MAX_CHANNELS     # the final linear layer is a layer like the others
MAX_JSON_BYTES = 64 * 1024    # a 40-layer spec is about 3 KB
MAX_DEPTH = 4                 # a spec is a list of flat objects: depth 2
INPUT_SHAPE = (1, 28, 28)


class SpecError(MessageError):
    """A spec cannot be read or built; the message names the layer (1-based) and what does not fit."""


@dataclass(frozen=True)
class Setting:
    name: str
    low: float
    high: float
    default: Any = None        # None: required (the pooling stride: defaults to the kernel)
    integer: bool = True


_CONV = (Setting("out", 1, MAX_CHANNELS), Setting("kernel", 1, 28, 3), Setting("stride", 1, 28, 1),
         Setting("padding", 0, 14, 0), Setting("dilation", 1, 10, 1))
_POOL = (Setting("kernel", 1, 28, 2), Setting("stride", 1, 28), Setting("padding", 0, 14, 0))

#: Every kind and its settings, in the order the text form takes them as plain numbers.
KINDS: dict[str, tuple[Setting, ...]] = {
    "conv": _CONV,
    "maxpool": _POOL,
    "avgpool": _POOL,
    "relu": (),
    "sigmoid": (),
    "tanh": (),
    "batchnorm": (),
    "dropout": (Setting("p", 0, 1, 0.5, integer=False),),
    "flatten": (),
    "linear": (Setting("out", 1, MAX_CHANNELS),),
    "residual": (),
    "inception": (),
    "dense": (Setting("layers", 1, 8, 3), Setting("growth", 1, 64, 12)),
}
_SPATIAL_ONLY = {"conv", "maxpool", "avgpool", "residual", "inception", "dense"}
_TEXT_ALIASES = {"pad": "padding", "dil": "dilation", "k": "kernel", "s": "stride", "units": "out",
                 "channels": "out"}

#: Example specs for the designer: LeNet-5-like, and seed 001's network with ReLU and with sigmoid.
EXAMPLES: dict[str, list[dict]] = {
    "lenet5_like": [
        {"kind": "conv", "out": 6, "kernel": 5, "padding": 2}, {"kind": "relu"}, {"kind": "maxpool", "kernel": 2},
        {"kind": "conv", "out": 16, "kernel": 5}, {"kind": "relu"}, {"kind": "maxpool", "kernel": 2},
        {"kind": "flatten"}, {"kind": "linear", "out": 120}, {"kind": "relu"},
        {"kind": "linear", "out": 84}, {"kind": "relu"}, {"kind": "linear", "out": 10}],
    "seed001_relu": [
        {"kind": "conv", "out": 16, "kernel": 5, "padding": 2}, {"kind": "relu"}, {"kind": "maxpool", "kernel": 2},
        {"kind": "conv", "out": 32, "kernel": 5, "padding": 2}, {"kind": "relu"}, {"kind": "maxpool", "kernel": 2},
        {"kind": "flatten"}, {"kind": "linear", "out": 10}],
    "seed001_sigmoid": [
        {"kind": "conv", "out": 16, "kernel": 5, "padding": 2}, {"kind": "sigmoid"},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "conv", "out": 32, "kernel": 5, "padding": 2}, {"kind": "sigmoid"},
        {"kind": "maxpool", "kernel": 2},
        {"kind": "flatten"}, {"kind": "linear", "out": 10}],
    "small_resnet": [
        {"kind": "conv", "out": 16, "kernel": 3, "padding": 1}, {"kind": "batchnorm"}, {"kind": "relu"},
        {"kind": "residual"}, {"kind": "maxpool", "kernel": 2}, {"kind": "residual"},
        {"kind": "maxpool", "kernel": 2}, {"kind": "dropout", "p": 0.25}, {"kind": "flatten"},
        {"kind": "linear", "out": 10}],
}


# ----------------------------------------------------------------------------- values shown in messages

def _show(value: Any) -> str:
    """A short, language-neutral rendering of a user-given value (never huge, never recursive)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() > 40:
            return f"{'-' if value < 0 else ''}~10^{int(value.bit_length() * math.log10(2))}"
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return json.dumps(value[:30] + ("…" if len(value) > 30 else ""), ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[…]"
    if isinstance(value, dict):
        return "{…}"
    return f"<{type(value).__name__}>"


def _kinds_list() -> str:
    return ", ".join(KINDS)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


# ----------------------------------------------------------------------------- JSON

def parse_json(text: str | bytes) -> list:
    """Read a spec from JSON text (an upload), with a size cap, a nesting cap and no NaN/Infinity.

    Returns the parsed (not yet checked) spec; :func:`normalize_spec` / :func:`check_spec` check it.
    """
    if len(text) > MAX_JSON_BYTES:
        raise SpecError("spec.error.too_big", size=len(text), limit=MAX_JSON_BYTES)
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpecError("spec.error.not_text") from None
    if _nesting(text) > MAX_DEPTH:
        raise SpecError("spec.error.too_deep")

    def no_constants(name: str) -> Any:
        raise SpecError("spec.error.not_finite", value=name)

    def pairs(items: list[tuple[str, Any]]) -> dict:
        out: dict = {}
        for key, value in items:
            if key in out:
                raise SpecError("spec.error.duplicate_setting", setting=_show(key))
            out[key] = value
        return out

    try:
        return json.loads(text, parse_constant=no_constants, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise SpecError("spec.error.not_json", line=exc.lineno, column=exc.colno) from None
    except RecursionError:  # the nesting scan makes this unreachable; kept as a second guard
        raise SpecError("spec.error.too_deep") from None


def _nesting(text: str) -> int:
    """The deepest ``[``/``{`` nesting outside strings (a scan without recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def to_json(spec: list) -> str:
    """The spec as JSON text (for a download); normalized, so every setting is written out."""
    return json.dumps(normalize_spec(spec), indent=1)


# ----------------------------------------------------------------------------- settings

def _number(layer: int, kind: str, s: Setting, value: Any) -> int | float:
    where = {"layer": layer, "kind": kind, "setting": s.name}
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError("spec.error.not_number", value=_show(value), **where)
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError("spec.error.not_number", value=_show(value), **where)
    if s.integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise SpecError("spec.error.not_whole", value=_show(value), **where)
            if abs(value) < 2 ** 53:
                value = int(value)
        if not s.low <= value <= s.high:
            raise SpecError("spec.error.out_of_range", value=_show(value), low=int(s.low), high=int(s.high), **where)
        return int(value)
    value = float(value)
    if not s.low <= value < s.high:  # dropout p: 0 <= p < 1
        raise SpecError("spec.error.dropout_p", value=_show(value), **where)
    return value


def normalize_layer(layer: Any, number: int) -> dict:
    """One layer checked on its own (types, known settings, ranges) with every setting written out."""
    if not isinstance(layer, dict):
        raise SpecError("spec.error.layer_not_object", layer=number, value=_show(layer))
    if "kind" not in layer:
        raise SpecError("spec.error.no_kind", layer=number, kinds=_kinds_list())
    kind = layer["kind"]
    if not isinstance(kind, str) or kind.strip().lower() not in KINDS:
        raise SpecError("spec.error.unknown_kind", layer=number, value=_show(kind), kinds=_kinds_list())
    kind = kind.strip().lower()
    settings = KINDS[kind]
    allowed = {s.name for s in settings}
    for key in layer:
        if key != "kind" and key not in allowed:
            if not settings:
                raise SpecError("spec.error.no_settings", layer=number, kind=kind, setting=_show(key))
            raise SpecError("spec.error.unknown_setting", layer=number, kind=kind, setting=_show(key),
                            allowed=", ".join(s.name for s in settings))
    out: dict[str, Any] = {"kind": kind}
    for s in settings:
        if s.name in layer:
            out[s.name] = _number(number, kind, s, layer[s.name])
        elif s.default is not None:
            out[s.name] = s.default
        elif kind in ("maxpool", "avgpool") and s.name == "stride":
            out[s.name] = out["kernel"]
        else:
            raise SpecError("spec.error.missing_setting", layer=number, kind=kind, setting=s.name)
    return out


def _check_list(spec: Any) -> None:
    if not isinstance(spec, list):
        raise SpecError("spec.error.not_list", value=_show(spec))
    if len(spec) > MAX_LAYERS:
        raise SpecError("spec.error.too_many_layers", count=len(spec), limit=MAX_LAYERS)


def normalize_spec(spec: Any) -> list[dict]:
    """Every layer checked on its own and written out in full (no shapes yet, nothing added)."""
    _check_list(spec)
    return [normalize_layer(layer, i) for i, layer in enumerate(spec, 1)]


def _check_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or not 2 <= num_classes <= MAX_CLASSES:
        raise SpecError("spec.error.num_classes", value=_show(num_classes), limit=MAX_CLASSES)
    return num_classes


# ----------------------------------------------------------------------------- building

class SpecNet(nn.Sequential):
    """A network built from a spec: its layers in order, with the full spec (added layers included)."""

    def __init__(self, layers: list[nn.Module], spec: list[dict], num_classes: int) -> None:
        super().__init__(*layers)
        self.spec = spec
        self.num_classes = num_classes


def _module(layer: dict, shape: tuple[int, ...]) -> nn.Module:
    from . import models

    kind = layer["kind"]
    if kind == "conv":
        return nn.Conv2d(shape[0], layer["out"], layer["kernel"], stride=layer["stride"],
                         padding=layer["padding"], dilation=layer["dilation"])
    if kind == "maxpool":
        return nn.MaxPool2d(layer["kernel"], stride=layer["stride"], padding=layer["padding"])
    if kind == "avgpool":
        return nn.AvgPool2d(layer["kernel"], stride=layer["stride"], padding=layer["padding"])
    if kind == "batchnorm":
        return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
    if kind == "dropout":
        return nn.Dropout(layer["p"])
    if kind == "linear":
        return nn.Linear(shape[0], layer["out"])
    if kind == "residual":
        return models.ResidualBlock(shape[0])
    if kind == "inception":
        return models.InceptionA(shape[0])
    if kind == "dense":
        return models.DenseBlock(shape[0], layers=layer["layers"], growth=layer["growth"])
    return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "flatten": nn.Flatten}[kind]()


def _check_fit(number: int, layer: dict, shape: tuple[int, ...]) -> None:
    """The friendly checks before a layer is built: the errors torch would raise, said with the sizes."""
    kind = layer["kind"]
    if kind in _SPATIAL_ONLY and len(shape) != 3:
        raise SpecError("spec.error.needs_map", layer=number, kind=kind, features=shape[0])
    if kind == "linear" and len(shape) == 3:
        raise SpecError("spec.error.flatten_missing", layer=number, kind=kind, shape=_shape_text(shape))
    if kind in ("conv", "maxpool", "avgpool"):
        k, p = layer["kernel"], layer["padding"]
        if kind != "conv" and p > k // 2:
            raise SpecError("spec.error.pool_padding", layer=number, kind=kind, padding=p, kernel=k, limit=k // 2)
        span = layer.get("dilation", 1) * (k - 1) + 1
        _, h, w = shape
        if span > min(h, w) + 2 * p:
            raise SpecError("spec.error.window_too_big", layer=number, kind=kind, window=span, height=h, width=w,
                            padding=p)
    if kind in ("conv", "dense"):
        channels = layer["out"] if kind == "conv" else shape[0] + layer["layers"] * layer["growth"]
        if channels > MAX_CHANNELS:
            raise SpecError("spec.error.too_many_channels", layer=number, kind=kind, channels=channels,
                            limit=MAX_CHANNELS)


def _completed(layers: list[dict], last_shape: tuple[int, ...], num_classes: int) -> list[dict]:
    """The layers to append so the output is ``num_classes`` logits: none, a linear, or a flatten and a linear."""
    last = layers[-1] if layers else None
    if last is not None and last["kind"] == "linear" and last["out"] == num_classes:
        return []
    tail = [{"kind": "flatten"}] if len(last_shape) == 3 else []
    return tail + [{"kind": "linear", "out": num_classes}]


@dataclass(frozen=True)
class _Step:
    number: int
    layer: dict
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int
    mult_adds: int
    added: bool


def _walk(spec: Any, num_classes: int) -> list[_Step]:
    """Check every layer in order on the ``meta`` device (no memory): shapes, sizes and limits."""
    from torch.utils.flop_counter import FlopCounterMode

    num_classes = _check_classes(num_classes)
    layers = normalize_spec(spec)
    steps: list[_Step] = []
    shape: tuple[int, ...] = INPUT_SHAPE
    params = mult_adds = 0
    n_user = len(layers)
    i = 0
    while True:
        if i == len(layers):
            tail = _completed(layers, shape, num_classes)
            if not tail:
                break
            layers.extend(tail)
        layer, number = layers[i], i + 1
        _check_fit(number, layer, shape)
        with torch.device("meta"):
            module = _module(layer, shape).eval()
        p = sum(t.numel() for t in module.parameters())
        params += p
        if params > MAX_PARAMS:
            raise SpecError("spec.error.too_many_params", layer=number, kind=layer["kind"], params=params,
                            limit=MAX_PARAMS)
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            out = module(torch.empty((1, *shape), device="meta"))
        macs = counter.get_total_flops() // 2
        mult_adds += macs
        out_shape = tuple(out.shape[1:])
        if len(out_shape) == 3 and max(out_shape[1:]) > MAX_SIDE:
            raise SpecError("spec.error.map_too_large", layer=number, kind=layer["kind"], height=out_shape[1],
                            width=out_shape[2], limit=MAX_SIDE)
        if mult_adds > MAX_MULT_ADDS:
            raise SpecError("spec.error.too_much_compute", layer=number, kind=layer["kind"], mult_adds=mult_adds,
                            limit=MAX_MULT_ADDS)
        steps.append(_Step(number, layer, shape, out_shape, p, macs, i >= n_user))
        shape = out_shape
        i += 1
    return steps


def from_spec(spec: Any, num_classes: int = 10) -> SpecNet:
    """Check ``spec`` and build it for 1×28×28 inputs and ``num_classes`` logits; raises :class:`SpecError`."""
    steps = _walk(spec, num_classes)
    model = SpecNet([_module(s.layer, s.in_shape) for s in steps], [dict(s.layer) for s in steps], num_classes)
    return model


@dataclass(frozen=True)
class SpecRow:
    number: int                     # 1-based, as in the messages; added layers continue the count
    name: str                       # the module's name, as forward hooks see it ("0", "1", …)
    kind: str                       # the spec's kind ("conv", "maxpool", …)
    type: str                       # the torch class ("Conv2d", …)
    text: str                       # the layer in the text form ("conv 16 5 pad=2")
    output_shape: tuple[int, ...]   # without the batch dimension
    params: int
    added: bool                     # appended so the output is the classes


@dataclass(frozen=True)
class SpecCheck:
    spec: list[dict]        # normalized, added layers included (``from_spec(spec)`` rebuilds the same network)
    num_classes: int
    rows: list[SpecRow]
    total_params: int
    mult_adds: int          # multiply-adds for one image

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.rows[-1].output_shape


def check_spec(spec: Any, num_classes: int = 10) -> SpecCheck:
    """Every layer's output shape and parameter count (from torchinfo, on the built network) and the totals,
    or :class:`SpecError` naming the first layer that cannot work."""
    from torchinfo import summary

    steps = _walk(spec, num_classes)
    model = SpecNet([_module(s.layer, s.in_shape) for s in steps], [dict(s.layer) for s in steps], num_classes)
    stats = summary(model, input_size=(1, *INPUT_SHAPE), depth=1, verbose=0, device="cpu",
                    col_names=("output_size", "num_params"))
    infos = [info for info in stats.summary_list if info.depth == 1]
    rows = []
    for step, info in zip(steps, infos, strict=True):
        shape = tuple(info.output_size[1:])
        if shape != step.out_shape or int(info.num_params) != step.params:  # two measurements must agree
            raise AssertionError(f"layer {step.number}: torchinfo {shape}/{info.num_params}, "
                                 f"meta {step.out_shape}/{step.params}")
        rows.append(SpecRow(step.number, str(info.var_name), step.layer["kind"], info.class_name,
                            layer_to_text(step.layer), shape, int(info.num_params), step.added))
    return SpecCheck(model.spec, num_classes, rows, int(stats.total_params), sum(s.mult_adds for s in steps))


# ----------------------------------------------------------------------------- text form

_TOKEN = re.compile(r"^[A-Za-z_]+=")


def _text_number(token: str) -> int | float | None:
    if re.fullmatch(r"[+-]?\d{1,12}", token):
        return int(token)
    if re.fullmatch(r"[+-]?(\d{1,20}\.\d{0,20}|\.\d{1,20})([eE][+-]?\d{1,3})?|[+-]?\d{1,20}[eE][+-]?\d{1,3}", token):
        return float(token)
    return None


def _parse_line(line: str) -> dict:
    """One line of the text form -> a layer dict (checked later by :func:`normalize_layer`)."""
    tokens = line.split()
    kind = tokens[0].lower()
    if kind not in KINDS:
        raise SpecError("spec.error.text_unknown_kind", value=_show(tokens[0]), kinds=_kinds_list())
    settings = KINDS[kind]
    layer: dict[str, Any] = {"kind": kind}
    positional = 0
    for token in tokens[1:]:
        if _TOKEN.match(token):
            name, _, raw = token.partition("=")
            name = _TEXT_ALIASES.get(name.lower(), name.lower())
        else:
            if positional >= len(settings):
                raise SpecError("spec.error.text_too_many_values", kind=kind, count=len(settings),
                                settings=", ".join(s.name for s in settings) or "—")
            name, raw = settings[positional].name, token
            positional += 1
        value = _text_number(raw)
        if value is None:
            raise SpecError("spec.error.text_bad_token", value=_show(token))
        if name in layer:
            raise SpecError("spec.error.duplicate_setting", setting=_show(name))
        layer[name] = value
    return layer


def parse_text(text: str) -> list[dict]:
    """Read the text form: one layer per line (``conv 16 5 pad=2``), ``#`` starts a comment.

    Returns the normalized spec; an error names the line (1-based, blank and comment lines counted).
    """
    if len(text) > MAX_JSON_BYTES:
        raise SpecError("spec.error.too_big", size=len(text), limit=MAX_JSON_BYTES)
    spec: list[dict] = []
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if len(spec) == MAX_LAYERS:
                raise SpecError("spec.error.too_many_layers", count=len(spec) + 1, limit=MAX_LAYERS)
            spec.append(normalize_layer(_parse_line(line), len(spec) + 1))
        except SpecError as exc:
            raise SpecError("spec.error.line", line=line_no, reason=exc.message) from None
    return spec


def layer_to_text(layer: dict) -> str:
    """One normalized layer as a line of the text form, settings at their defaults left out."""
    kind = layer["kind"]
    if kind == "conv":
        parts = [kind, str(layer["out"]), str(layer["kernel"])]
        parts += [f"stride={layer['stride']}"] if layer["stride"] != 1 else []
        parts += [f"pad={layer['padding']}"] if layer["padding"] else []
        parts += [f"dilation={layer['dilation']}"] if layer["dilation"] != 1 else []
    elif kind in ("maxpool", "avgpool"):
        parts = [kind, str(layer["kernel"])]
        parts += [f"stride={layer['stride']}"] if layer["stride"] != layer["kernel"] else []
        parts += [f"pad={layer['padding']}"] if layer["padding"] else []
    else:
        parts = [kind] + [repr(layer[s.name]) for s in KINDS[kind]]
    return " ".join(parts)


def spec_to_text(spec: Any) -> str:
    """The text form of a spec (``parse_text(spec_to_text(s)) == normalize_spec(s)``)."""
    return "\n".join(layer_to_text(layer) for layer in normalize_spec(spec)) + "\n"


__all__ = ["EXAMPLES", "KINDS", "MAX_CHANNELS", "MAX_LAYERS", "MAX_PARAMS", "SpecCheck", "SpecError", "SpecNet",
           "SpecRow", "check_spec", "from_spec", "layer_to_text", "normalize_spec", "parse_json",
           "parse_text", "spec_to_text", "to_json"]
