"""The one trainer, shared by the CLI, the UI's worker processes and the benchmarks.

It is the plain PyTorch loop of pytorch/examples' ``mnist/main.py`` with the
bookkeeping a live UI needs, and nothing that slows the loop down:

* images stay uint8 on the device and are normalized per batch;
* it reports events (:class:`StepEvent` every ``log_every`` steps, :class:`EvalEvent`,
  :class:`EpochEvent`, and one :class:`EndEvent` with status ``done``, ``stopped``
  or ``failed`` and a reason) to a callback, and never imports streamlit;
* it checks ``stop`` between steps;
* a non-finite or exploding loss stops it with a clear reason, and the model is
  left with the last weights that produced a sane loss (losses are checked once per
  ``log_every`` steps, so the GPU never waits for the CPU in between);
* it uses CUDA when present.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import models
from .data import DataSplit, load_dataset, normalize, random_affine
from .messages import MessageError, Msg, msg

# optimizer name -> the message key of its title
OPTIMIZERS = {name: f"optimizer.{name}" for name in ("sgd", "adam", "rmsprop")}
MAX_BATCH, MAX_EPOCHS, MAX_SEED = 1024, 50, 2**31 - 1


class TrainConfigError(MessageError):
    """A training setting a learner can fix (a message key plus arguments)."""


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class TrainConfig:
    arch: str = "lenet5"
    dataset: str = "embedded"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    batch_size: int = 64
    epochs: int = 5
    seed: int = 0
    augment: bool = False
    log_every: int = 10          # steps between StepEvents (UI refresh granularity)
    eval_every: int = 0          # extra test evaluations every N steps; 0 = at epoch ends only
    explode_loss: float = 100.0  # a loss above this counts as divergence
    train_limit: int | None = None  # use only the first N training examples (quick runs, tests)
    test_limit: int | None = None
    device: str | None = None    # None = CUDA when present, else CPU
    spec: list | None = None     # a designed network (cnnviz.spec), with arch == models.CUSTOM
    dropout: float = 0.0         # dropout probability in the fully connected part (0 = off, as the shipped checkpoints)

    @classmethod
    def for_arch(cls, arch: str, **overrides: Any) -> TrainConfig:
        """The registry's recommended optimizer settings for ``arch``, plus overrides."""
        spec = models.get(arch)
        base = dict(arch=arch, optimizer=spec.optimizer, lr=spec.lr, epochs=spec.epochs,
                    batch_size=spec.batch_size)
        base.update(overrides)
        return cls(**base)

    def validate(self) -> TrainConfig:
        """Raise :class:`TrainConfigError` (a ``ValueError``) with a message a learner can act on."""
        if self.arch == models.CUSTOM:
            self.check_spec()
        elif self.arch not in models.REGISTRY:
            raise TrainConfigError("train.error.arch", value=repr(self.arch), choices=", ".join(models.names()))
        if self.optimizer not in OPTIMIZERS:
            raise TrainConfigError("train.error.optimizer", value=repr(self.optimizer), choices=", ".join(OPTIMIZERS))
        try:
            lr = float(self.lr)
        except (TypeError, ValueError):
            raise TrainConfigError("train.error.lr_number", value=repr(self.lr)) from None
        if not math.isfinite(lr) or lr <= 0:
            raise TrainConfigError("train.error.lr_range", value=repr(self.lr))
        for key, value, lo, hi in (("train.error.batch", self.batch_size, 1, MAX_BATCH),
                                   ("train.error.epochs", self.epochs, 1, MAX_EPOCHS),
                                   ("train.error.seed", self.seed, 0, MAX_SEED)):
            if not _whole_in(value, lo, hi):
                raise TrainConfigError(key, value=repr(value), lo=lo, hi=hi)
        if not isinstance(self.momentum, int | float) or not 0 <= self.momentum < 1:
            raise TrainConfigError("train.error.momentum", value=repr(self.momentum))
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, int | float) or not 0 <= self.dropout < 1:
            raise TrainConfigError("train.error.dropout", value=repr(self.dropout))
        if self.log_every < 1 or self.eval_every < 0:
            raise TrainConfigError("train.error.logging")
        if self.device is not None:
            check_device(self.device)
        return self

    def check_spec(self, num_classes: int = 10) -> None:
        """A designed network must be a spec cnnviz.spec accepts (its error names the layer)."""
        from . import spec as spec_mod

        try:
            spec_mod.check_spec(self.spec, num_classes)
        except spec_mod.SpecError as err:
            raise TrainConfigError("train.error.spec", reason=err.message) from None

    def build_model(self, num_classes: int = 10) -> nn.Module:
        """A fresh model of this configuration with ``num_classes`` outputs (the dataset's classes)."""
        if self.arch == models.CUSTOM:
            return models.from_spec(self.spec, num_classes)
        return models.build(self.arch, num_classes=num_classes)

    def to_dict(self) -> dict:
        return asdict(self)


def _whole_in(value: Any, lo: int, hi: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and lo <= value <= hi


def check_device(device: str) -> torch.device:
    """``device`` as a torch device that exists here; :class:`TrainConfigError` otherwise."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise TrainConfigError("train.error.device", value=repr(device)) from None
    ok = dev.type == "cpu" or (dev.type == "cuda" and torch.cuda.is_available()
                               and (dev.index or 0) < torch.cuda.device_count())
    if not ok:
        raise TrainConfigError("train.error.device", value=repr(device))
    return dev


# ----------------------------------------------------------------------------- events

@dataclass
class StepEvent:
    epoch: int
    step: int
    total_steps: int
    loss: float            # mean training loss over the steps since the last StepEvent
    running_acc: float     # training accuracy over the epoch so far
    samples_per_s: float
    elapsed: float
    kind: str = "step"


@dataclass
class EvalEvent:
    epoch: int
    step: int
    test_acc: float
    test_loss: float
    train_acc: float
    kind: str = "eval"


@dataclass
class EpochEvent:
    epoch: int
    step: int
    train_loss: float
    train_acc: float
    test_acc: float
    elapsed: float
    kind: str = "epoch"


@dataclass
class EndEvent:
    status: str            # "done", "stopped" or "failed"
    reason: Msg
    step: int
    epochs_completed: int
    test_acc: float | None
    elapsed: float
    kind: str = "end"


Event = StepEvent | EvalEvent | EpochEvent | EndEvent


@dataclass
class TrainResult:
    model: nn.Module
    config: TrainConfig
    status: str
    reason: Msg
    test_acc: float | None
    epochs_completed: int
    steps: int
    elapsed: float
    data_note: Msg | None = None
    mean: float = 0.0
    std: float = 1.0
    classes: list[str] = field(default_factory=list)
    dataset: str = ""
    events: list[Event] = field(default_factory=list)


class Diverged(RuntimeError):
    """The loss became non-finite or exploded; ``message`` says where (a :class:`Msg`)."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.english())
        self.message = message


# ----------------------------------------------------------------------------- helpers

def make_optimizer(name: str, params, lr: float, momentum: float = 0.9) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


@torch.no_grad()
def predict(model: nn.Module, images_u8: torch.Tensor, mean: float, std: float,
            batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and predictions for uint8 images ``(N, 28, 28)``, in eval mode, on the model's device."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outs = []
    for i in range(0, len(images_u8), batch_size):
        outs.append(model(normalize(images_u8[i:i + batch_size].to(device), mean, std)))
    model.train(was_training)
    logits = torch.cat(outs) if outs else torch.empty(0, 10, device=device)
    return logits, logits.argmax(1)


def evaluate(model: nn.Module, images_u8: torch.Tensor, labels: torch.Tensor, mean: float,
             std: float) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on a labelled set."""
    if len(labels) == 0:
        return float("nan"), float("nan")
    logits, pred = predict(model, images_u8, mean, std)
    labels = labels.to(logits.device)
    return (pred == labels).float().mean().item(), F.cross_entropy(logits, labels).item()


class InputDropout:
    """A forward pre-hook: dropout on a layer's input while the model trains (``F.dropout``; identity in
    eval mode).  A hook, not an ``nn.Dropout`` module, so the model's modules, indices and ``state_dict``
    keys stay those of the registry's builder and the weights load into it unchanged."""

    def __init__(self, p: float) -> None:
        self.p = float(p)

    def __call__(self, module: nn.Module, args: tuple) -> tuple:
        return (F.dropout(args[0], self.p, training=module.training), *args[1:])


def dropout_layers(model: nn.Module) -> list[str]:
    """The names of the fully connected layers whose input dropout applies to: every ``nn.Linear``
    except one that reads the image itself (the MLP's first layer: dropout on pixels is not the idea)."""
    first = next((name for name, m in model.named_modules() if not list(m.children()) and
                  any(True for _ in m.parameters(recurse=False))), None)
    return [name for name, m in model.named_modules() if isinstance(m, nn.Linear) and name != first]


def add_dropout(model: nn.Module, p: float) -> list[str]:
    """Put dropout with probability ``p`` on the input of the model's fully connected layers
    (:func:`dropout_layers`; nothing when ``p`` is 0); returns their names."""
    if not p:
        return []
    names = dropout_layers(model)
    modules = dict(model.named_modules())
    for name in names:
        modules[name].register_forward_pre_hook(InputDropout(p))
    return names


def _stop_requested(stop: Any) -> bool:
    if stop is None:
        return False
    if hasattr(stop, "is_set"):
        return bool(stop.is_set())
    return bool(stop())


# ----------------------------------------------------------------------------- the loop

class _Run:
    """One training run: model, optimizer, data, and the divergence guard.

    Divergence guard without a device sync per step: losses stay on the device and are checked once
    per window of ``log_every`` steps.  The weights at the start of a window are copied into
    ``candidate``; they become ``good`` once the window's losses (the first of them computed with
    exactly those weights) are all finite and sane.
    """

    def __init__(self, config: TrainConfig, data: DataSplit, model: nn.Module, emit: Callable[[Event], None]):
        self.config, self.emit, self.start = config, emit, time.perf_counter()
        self.device = torch.device(config.device) if config.device else default_device()
        torch.manual_seed(config.seed)
        if model is None:
            model = config.build_model(len(data.classes))
        self.model = model.to(self.device).train()
        add_dropout(self.model, float(config.dropout))
        self.data = data.to(self.device)
        self.gen = torch.Generator().manual_seed(config.seed)
        self.opt = make_optimizer(config.optimizer, self.model.parameters(), float(config.lr), config.momentum)
        self.fill = (0.0 - data.mean) / data.std  # the normalized background value
        self.n = len(data.train_y)
        self.bs = min(config.batch_size, self.n)  # a batch larger than the dataset is one full batch
        self.total_steps = max(1, math.ceil(self.n / self.bs)) * config.epochs
        self.live = list(self.model.state_dict().values())
        self.good = [t.detach().clone() for t in self.live]
        self.candidate = [t.detach().clone() for t in self.live]
        self.window: list[torch.Tensor] = []
        self.window_sizes: list[int] = []
        self.window_preds: list[torch.Tensor] = []
        self.window_labels: list[torch.Tensor] = []
        self.correct = torch.zeros((), device=self.device, dtype=torch.long)
        self.correct_now = 0  # the correct count as of the last window check (host side)
        self.window_start = self.step = self.epochs_done = 0
        self.test_acc: float | None = None

    def evaluate(self) -> tuple[float, float]:
        d = self.data
        acc, loss = evaluate(self.model, d.test_x, d.test_y, d.mean, d.std)
        self.model.train()
        return acc, loss

    def close_window(self) -> list[float]:
        """Sync once, check the window's losses (:class:`Diverged`), promote its starting weights to good."""
        if not self.window:
            return []
        *values, n_correct = torch.cat([torch.stack(self.window).float(), self.correct.view(1).float()]).tolist()
        self.correct_now = int(n_correct)
        for j, v in enumerate(values):
            if not math.isfinite(v) or v > self.config.explode_loss:
                raise Diverged(msg("train.reason.diverged", step=self.window_start + j + 1, loss=f"{v:.4g}",
                                   lr=f"{self.config.lr:g}"))
        self.good, self.candidate = self.candidate, self.good
        self.window.clear()
        return values

    def close_counted_window(self) -> tuple[list[float], list[int]]:
        """Add the window's correct predictions to the epoch's count, then check its losses."""
        sizes = list(self.window_sizes)
        if self.window_preds:
            self.correct += (torch.cat(self.window_preds) == torch.cat(self.window_labels)).sum()
            self.window_preds.clear()
            self.window_labels.clear()
        return self.close_window(), sizes

    def restore_good(self) -> None:
        with torch.no_grad():
            torch._foreach_copy_(self.live, self.good)

    def train_step(self, idx: torch.Tensor) -> int:
        """One optimizer step on the examples ``idx``; returns the batch size."""
        d = self.data
        x = normalize(d.train_x[idx], d.mean, d.std)
        if self.config.augment:
            x = random_affine(x, generator=self.gen, fill=self.fill)
        y = d.train_y[idx]
        if not self.window:  # a new window starts with these weights
            self.window_start, self.window_sizes = self.step, []
            with torch.no_grad():
                torch._foreach_copy_(self.candidate, self.live)  # one multi-tensor kernel
        out = self.model(x)
        loss = F.cross_entropy(out, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.step += 1
        self.window.append(loss.detach())
        self.window_sizes.append(len(y))
        self.window_preds.append(out.detach().argmax(1))
        self.window_labels.append(y)
        return len(y)

    def epoch(self, epoch: int, stop: Any) -> bool:
        """Train one epoch and evaluate it; False if ``stop`` asked to end before it was complete."""
        cfg, n, bs = self.config, self.n, self.bs
        perm = torch.randperm(n, generator=self.gen).to(self.device)
        self.correct.zero_()
        seen, loss_sum, t_window = 0, 0.0, time.perf_counter()
        for i in range(0, n, bs):
            if _stop_requested(stop):
                return False
            seen += self.train_step(perm[i:i + bs])
            last = i + bs >= n
            if self.step % cfg.log_every == 0 or last:
                values, sizes = self.close_counted_window()
                loss_sum += sum(v * k for v, k in zip(values, sizes))
                now = time.perf_counter()
                self.emit(StepEvent(epoch, self.step, self.total_steps, sum(values) / len(values),
                                    self.correct_now / seen, sum(sizes) / max(now - t_window, 1e-9), now - self.start))
                t_window = now
            if cfg.eval_every and self.step % cfg.eval_every == 0 and not last:
                values, sizes = self.close_counted_window()
                loss_sum += sum(v * k for v, k in zip(values, sizes))
                acc, tl = self.evaluate()
                self.emit(EvalEvent(epoch, self.step, acc, tl, self.correct.item() / seen))
        train_acc = self.correct.item() / max(seen, 1)
        self.test_acc, test_loss = self.evaluate()
        self.epochs_done = epoch
        self.emit(EvalEvent(epoch, self.step, self.test_acc, test_loss, train_acc))
        self.emit(EpochEvent(epoch, self.step, loss_sum / max(seen, 1), train_acc, self.test_acc,
                             time.perf_counter() - self.start))
        return True

    def final_accuracy(self, status: str) -> float | None:
        """The test accuracy of the weights the run ends with (re-evaluated unless an epoch end measured it)."""
        if status == "done" or (status == "stopped" and (self.step == 0 or self.epochs_done == self.config.epochs)):
            return self.test_acc
        try:
            return self.evaluate()[0]
        except Exception:  # e.g. out of memory again
            return None


def train(config: TrainConfig, data: DataSplit | None = None, model: nn.Module | None = None,
          callback: Callable[[Event], None] | None = None, stop: Any = None) -> TrainResult:
    """Train ``config.arch`` (or ``model``) on ``data`` (default: ``config.dataset``).

    ``callback`` receives every event; ``stop`` is an ``Event``-like object (``is_set()``)
    or a callable, checked between steps.  The model is returned on the training device.
    Every failure (divergence, out of memory, any error) ends the same way: status ``failed``,
    a reason, the last weights that gave a sane loss, their test accuracy.
    """
    config.validate()
    events: list[Event] = []

    def emit(ev: Event) -> None:
        events.append(ev)
        if callback is not None:
            callback(ev)

    if data is None:
        data = load_dataset(config.dataset)
    if config.train_limit or config.test_limit:
        data = data.subset(config.train_limit, config.test_limit)
    run = _Run(config, data, model, emit)
    status, reason = "done", msg("train.reason.done", epochs=config.epochs)
    try:
        for epoch in range(1, config.epochs + 1):
            if not run.epoch(epoch, stop):
                status, reason = "stopped", msg("train.reason.stopped_by_user", step=run.step)
                run.close_window()  # the last steps' losses are checked too
                break
    except Exception as exc:  # divergence, out of memory, ...: keep the last good weights
        status = "failed"
        reason = exc.message if isinstance(exc, Diverged) else msg("train.reason.error",
                                                                   error=f"{type(exc).__name__}: {exc}")
        run.restore_good()
    test_acc = run.final_accuracy(status)
    run.model.eval()
    elapsed = time.perf_counter() - run.start
    emit(EndEvent(status, reason, run.step, run.epochs_done, test_acc, elapsed))
    return TrainResult(run.model, config, status, reason, test_acc, run.epochs_done, run.step, elapsed, data.note,
                       data.mean, data.std, list(data.classes), data.name, events)
