"""Weights into cnnviz: a ``.safetensors`` file or a PyTorch ``state_dict`` (``.pt`` / ``.pth``) for a registry
architecture or a designed network (a spec).

* A ``.pt`` / ``.pth`` file is read only with ``torch.load(weights_only=True)``: a pickle that would build any
  object other than tensors and plain containers is refused before anything in it runs.
* Files over :data:`MAX_BYTES` are refused before they are parsed.
* Common wrappers are unwrapped: ``{"state_dict": …}``, ``{"model_state_dict": …}``, ``{"model": …}``, and
  the ``module.`` prefix of ``DataParallel`` (and ``_orig_mod.`` of ``torch.compile``).
* The tensors are checked against the target network: keys, shapes, dtypes and finite values.  A state_dict
  whose names differ (a tutorial's ``conv1`` / ``fc`` for the registry's ``0`` / ``7``) but whose tensors have
  the same shapes in the same order is matched by order, so weights trained by the source tutorials' own
  scripts load.  Anything else raises :class:`WeightsImportError`, listing missing keys, unexpected keys and
  the shapes that differ (name, expected, got).
"""

from __future__ import annotations

import io
import pickle
import warnings
from dataclasses import dataclass
from pathlib import PurePath

import torch
from torch import nn

from . import models
from .messages import MessageError, Msg, msg

MAX_BYTES = 64 * 1024 * 1024
SUFFIXES = (".safetensors", ".pt", ".pth")
_WRAPPERS = ("state_dict", "model_state_dict", "model")
_PREFIXES = ("module.", "_orig_mod.")
_LIST_MAX = 8


class WeightsImportError(MessageError):
    """Uploaded weights cannot be used; the message says why.  For a mismatch, :attr:`missing`,
    :attr:`unexpected` and :attr:`shapes` (``(name, expected, got)``) hold the full lists."""

    def __init__(self, key: str | Msg, missing: list[str] | None = None, unexpected: list[str] | None = None,
                 shapes: list[tuple[str, tuple[int, ...], tuple[int, ...]]] | None = None, **args) -> None:
        super().__init__(key, **args)
        self.missing = missing or []
        self.unexpected = unexpected or []
        self.shapes = shapes or []


@dataclass
class ImportedWeights:
    model: nn.Module            # the target network with the weights, in eval mode
    matched_by_order: bool      # the names differed; tensors were matched by their order and shapes
    prefix_removed: str         # "module." etc., or ""


def _short(name: str) -> str:
    return name if len(name) <= 80 else name[:77] + "…"


def _listing(items: list[str]) -> str:
    """Up to :data:`_LIST_MAX` items, then ``… (+N)``; ``—`` for none (language-neutral)."""
    if not items:
        return "—"
    shown = ", ".join(_short(i) for i in items[:_LIST_MAX])
    return shown + (f", … (+{len(items) - _LIST_MAX})" if len(items) > _LIST_MAX else "")


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape) or "scalar"


def _read(blob: bytes, filename: str) -> object:
    name = _short(PurePath(filename).name)
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise WeightsImportError("import.error.file_type", name=name, suffixes=", ".join(SUFFIXES))
    if len(blob) > MAX_BYTES:
        raise WeightsImportError("import.error.too_big", name=name, size_mib=round(len(blob) / 2 ** 20, 1),
                                 limit_mib=MAX_BYTES // 2 ** 20)
    if not blob:
        raise WeightsImportError("import.error.corrupt", name=name)
    if suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load

        try:
            return load(bytes(blob))
        except (SafetensorError, ValueError, RuntimeError, OSError, TypeError, KeyError):
            raise WeightsImportError("import.error.corrupt", name=name) from None
    try:
        with warnings.catch_warnings():   # torch warns about a bare pickle's protocol before refusing it
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:   # weights_only refused a global (code, an object) before running it
        raise WeightsImportError("import.error.refused", name=name) from None
    except Exception:  # a damaged zip or pickle raises many kinds; each one means the same to the user
        raise WeightsImportError("import.error.corrupt", name=name) from None


def _unwrap(obj: object, name: str) -> tuple[dict[str, torch.Tensor], str]:
    for _ in range(2):   # {"checkpoint": {"state_dict": …}} is not unwrapped; one or two known levels are
        if isinstance(obj, dict) and not _is_state(obj):
            inner = next((obj[k] for k in _WRAPPERS if k in obj and isinstance(obj[k], dict)), None)
            if inner is not None:
                obj = inner
    if not isinstance(obj, dict) or not obj or not _is_state(obj):
        raise WeightsImportError("import.error.not_state_dict", name=name)
    state = dict(obj)
    removed = ""
    for prefix in _PREFIXES:
        if all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
            removed += prefix
    return state, removed


def _is_state(obj: dict) -> bool:
    return all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())


def _target(arch: str | None, spec: list | None, num_classes: int) -> tuple[nn.Module, Msg]:
    if (arch is None) == (spec is None):
        raise ValueError("give exactly one of arch and spec")
    if arch is not None:
        return models.build(arch, num_classes=num_classes), msg("import.target_arch", arch=arch)
    return models.from_spec(spec, num_classes=num_classes), msg("import.target_spec")


def _compatible(ref: torch.Tensor, t: torch.Tensor) -> bool:
    if tuple(t.shape) != tuple(ref.shape):
        return False
    if ref.is_floating_point():
        return t.is_floating_point()
    return not t.is_floating_point() and not t.is_complex() and t.dtype != torch.bool


def import_weights(blob: bytes, filename: str, arch: str | None = None, spec: list | None = None,
                   num_classes: int = 10) -> ImportedWeights:
    """Read, check and load weights into a fresh ``arch`` or ``spec`` network; see the module docstring."""
    name = _short(PurePath(filename).name)
    model, target = _target(arch, spec, num_classes)
    state, removed = _unwrap(_read(blob, filename), name)
    for key, t in state.items():
        if t.layout != torch.strided or t.device.type != "cpu" or t.is_quantized:
            raise WeightsImportError("import.error.dtype", name=_short(key), expected="float32", got=str(t.dtype))
    reference = model.state_dict()
    by_order = False
    if set(state) != set(reference):
        ref_items, got_items = list(reference.items()), list(state.items())
        if len(ref_items) == len(got_items) and all(_compatible(r, g) for (_, r), (_, g) in zip(ref_items, got_items)):
            state = {rk: g for (rk, _), (_, g) in zip(ref_items, got_items)}
            by_order = True
        else:
            optional = {k for k in reference if k.endswith("num_batches_tracked")}   # older PyTorch omits them
            missing = [k for k in reference if k not in state and k not in optional]
            unexpected = [k for k in state if k not in reference]
            shapes = [(k, tuple(reference[k].shape), tuple(state[k].shape)) for k in reference
                      if k in state and tuple(state[k].shape) != tuple(reference[k].shape)]
            if missing or unexpected or shapes:
                raise _mismatch(target, missing, unexpected, shapes)
            state = {**{k: reference[k] for k in optional if k not in state}, **state}
    shapes = [(k, tuple(ref.shape), tuple(state[k].shape)) for k, ref in reference.items()
              if tuple(state[k].shape) != tuple(ref.shape)]
    if shapes:
        raise _mismatch(target, [], [], shapes)
    for key, ref in reference.items():
        t = state[key]
        if not _compatible(ref, t):
            raise WeightsImportError("import.error.dtype", name=_short(key), expected=str(ref.dtype).removeprefix(
                "torch."), got=str(t.dtype).removeprefix("torch."))
    bad = [k for k, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise WeightsImportError("import.error.not_finite", keys=_listing(bad), count=len(bad))
    model.load_state_dict({k: state[k].to(reference[k].dtype) for k in reference})
    return ImportedWeights(model.eval(), by_order, removed)


def _mismatch(target: Msg, missing: list[str], unexpected: list[str],
              shapes: list[tuple[str, tuple[int, ...], tuple[int, ...]]]) -> WeightsImportError:
    shape_text = _listing([f"{k} ({_shape(e)} → {_shape(g)})" for k, e, g in shapes])
    return WeightsImportError("import.error.mismatch", missing=missing, unexpected=unexpected, shapes=shapes,
                              target=target, missing_keys=_listing(missing), unexpected_keys=_listing(unexpected),
                              shape_list=shape_text)


def load_weights(blob: bytes, filename: str, arch: str | None = None, spec: list | None = None,
                 num_classes: int = 10) -> nn.Module:
    """The target network (``arch`` from the registry, or ``spec``) with the uploaded weights, in eval mode;
    raises :class:`WeightsImportError` (or :class:`cnnviz.spec.SpecError` for a bad spec)."""
    return import_weights(blob, filename, arch=arch, spec=spec, num_classes=num_classes).model
