"""Capture what every layer outputs, with forward hooks that are always removed.

Containers (``nn.Sequential``, blocks) are hooked too, so an Inception block's
output is its concatenation and a residual block's output is after the skip
addition; the leaves (conv, ReLU, pool, ``SkipAdd``, ``Concat``, linear) show the
steps in between.  Outputs are detached copies, so a cached model is never
mutated and later in-place operations cannot change what was captured.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Activation:
    name: str            # dotted module path, e.g. "3.branch5x5.1" or "c1"
    kind: str            # the module's class name, e.g. "Conv2d"
    output: torch.Tensor  # detached, on the CPU
    is_leaf: bool
    depth: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.output.shape)


def is_leaf(module: nn.Module) -> bool:
    """A module without submodules: one step of the forward pass (conv, ReLU, pool, ``Concat``, ...)."""
    return not any(True for _ in module.children())


def hookable_modules(model: nn.Module, include_containers: bool = True) -> list[tuple[str, nn.Module]]:
    """Named submodules (not the model itself) in registration order."""
    out = []
    for name, mod in model.named_modules():
        if not name:
            continue
        if include_containers or is_leaf(mod):
            out.append((name, mod))
    return out


@torch.no_grad()
def capture(model: nn.Module, x: torch.Tensor, include_containers: bool = True
            ) -> tuple[torch.Tensor, list[Activation]]:
    """Run ``model(x)`` and return ``(logits, activations in the order they were computed)``.

    The model's train/eval mode is left as it was; run it in eval mode for inference.  Only this
    thread's forward pass is recorded: a shared model that another thread runs meanwhile (without the
    caller's lock) neither adds to these records nor is slowed by more than the hooks' thread check.
    """
    records: list[Activation] = []
    handles = []
    thread = threading.get_ident()

    def make_hook(name: str, mod: nn.Module):
        leaf = is_leaf(mod)
        depth = name.count(".")

        def hook(_m, _inp, out):
            if isinstance(out, torch.Tensor) and threading.get_ident() == thread:
                records.append(Activation(name, type(mod).__name__, out.detach().to("cpu", copy=True),
                                          leaf, depth))
        return hook

    try:
        for name, mod in hookable_modules(model, include_containers):
            handles.append(mod.register_forward_hook(make_hook(name, mod)))
        logits = model(x)
    finally:
        for h in handles:
            h.remove()
    return logits.detach().cpu(), records


def has_hooks(model: nn.Module) -> bool:
    """Whether any forward hook is still registered (for tests: capture must clean up)."""
    return any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


@dataclass
class SizeStep:
    name: str
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    formula: str  # the output-size formula with numbers, or "" for layers that keep the size


@torch.no_grad()
def size_walkthrough(model: nn.Module, input_shape: tuple[int, ...] = (1, 1, 28, 28)) -> list[SizeStep]:
    """Each leaf layer's input and output shape, with ``(W − F + 2P)/S + 1`` filled in for
    convolutions and pooling (the formula's result is checked against the real shape)."""
    from .kernels import formula_text, output_size

    steps: list[SizeStep] = []
    handles = []

    def pair(v) -> int:
        return v[0] if isinstance(v, (tuple, list)) else int(v)

    def make_hook(name: str, mod: nn.Module):
        def hook(_m, inp, out):
            x = inp[0] if inp and isinstance(inp[0], torch.Tensor) else None
            if x is None or not isinstance(out, torch.Tensor):
                return
            formula = ""
            if isinstance(mod, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
                k, s, p = pair(mod.kernel_size), pair(mod.stride), pair(mod.padding)
                d = pair(getattr(mod, "dilation", 1))
                ceil = bool(getattr(mod, "ceil_mode", False))
                w = x.shape[-1]
                expected = output_size(w, k, p, s, d, ceil)
                if expected != out.shape[-1]:
                    raise AssertionError(f"{name}: formula gives {expected}, torch gives {out.shape[-1]}")
                formula = formula_text(w, k, p, s, d, ceil)
            steps.append(SizeStep(name, type(mod).__name__, tuple(x.shape[1:]), tuple(out.shape[1:]), formula))
        return hook

    was_training = model.training
    model.eval()
    try:
        for name, mod in hookable_modules(model, include_containers=False):
            handles.append(mod.register_forward_hook(make_hook(name, mod)))
        model(torch.zeros(input_shape, device=next(model.parameters()).device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return steps


# ----------------------------------------------------------------------------- running one digit

_LOCKS: weakref.WeakKeyDictionary[nn.Module, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def model_lock(model: nn.Module) -> threading.Lock:
    """One lock per model object: hooks registered by one thread must not record another's forward."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.Lock()
        return lock


@contextmanager
def one_thread():
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
