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

OPTIMIZERS = {"sgd": "SGD (momentum)", "adam": "Adam", "rmsprop": "RMSprop"}
MAX_BATCH, MAX_EPOCHS = 1024, 50


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

    @classmethod
    def for_arch(cls, arch: str, **overrides: Any) -> TrainConfig:
        """The registry's recommended optimizer settings for ``arch``, plus overrides."""
        spec = models.get(arch)
        base = dict(arch=arch, optimizer=spec.optimizer, lr=spec.lr, epochs=spec.epochs,
                    batch_size=spec.batch_size)
        base.update(overrides)
        return cls(**base)

    def validate(self) -> TrainConfig:
        """Raise ``ValueError`` with a message a learner can act on."""
        models.get(self.arch)  # KeyError with the list of choices
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        try:
            lr = float(self.lr)
        except (TypeError, ValueError):
            raise ValueError(f"learning rate must be a number, got {self.lr!r}") from None
        if not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"learning rate must be a finite number greater than 0, got {self.lr!r}")
        for name, value, lo, hi in (("batch size", self.batch_size, 1, MAX_BATCH),
                                    ("epochs", self.epochs, 1, MAX_EPOCHS)):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.log_every < 1 or self.eval_every < 0:
            raise ValueError("log_every must be >= 1 and eval_every >= 0")
        return self

    def to_dict(self) -> dict:
        return asdict(self)


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
    reason: str
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
    reason: str
    test_acc: float | None
    epochs_completed: int
    steps: int
    elapsed: float
    data_note: str = ""
    mean: float = 0.0
    std: float = 1.0
    classes: list[str] = field(default_factory=list)
    dataset: str = ""
    events: list[Event] = field(default_factory=list)


class Diverged(RuntimeError):
    pass


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


def _stop_requested(stop: Any) -> bool:
    if stop is None:
        return False
    if hasattr(stop, "is_set"):
        return bool(stop.is_set())
    return bool(stop())


# ----------------------------------------------------------------------------- the loop

def train(config: TrainConfig, data: DataSplit | None = None, model: nn.Module | None = None,
          callback: Callable[[Event], None] | None = None, stop: Any = None) -> TrainResult:
    """Train ``config.arch`` (or ``model``) on ``data`` (default: ``config.dataset``).

    ``callback`` receives every event; ``stop`` is an ``Event``-like object (``is_set()``)
    or a callable, checked between steps.  The model is returned on the training device.
    """
    config.validate()
    start = time.perf_counter()
    events: list[Event] = []

    def emit(ev: Event) -> None:
        events.append(ev)
        if callback is not None:
            callback(ev)

    if data is None:
        data = load_dataset(config.dataset)
    if config.train_limit or config.test_limit:
        data = data.subset(config.train_limit, config.test_limit)
    device = torch.device(config.device) if config.device else default_device()
    torch.manual_seed(config.seed)
    if model is None:
        model = models.build(config.arch)
    model.to(device).train()
    data = data.to(device)
    gen = torch.Generator().manual_seed(config.seed)
    opt = make_optimizer(config.optimizer, model.parameters(), float(config.lr), config.momentum)
    fill = (0.0 - data.mean) / data.std  # the normalized background value

    n = len(data.train_y)
    bs = min(config.batch_size, n)  # a batch larger than the dataset is one full batch
    steps_per_epoch = max(1, math.ceil(n / bs))
    total_steps = steps_per_epoch * config.epochs
    # Divergence guard without a device sync per step: losses stay on the device and are
    # checked once per window of ``log_every`` steps.  The weights at the start of a window
    # are copied into ``candidate``; they become ``good`` once the window's losses (the first
    # of them computed with exactly those weights) are all finite and sane.
    live = list(model.state_dict().values())
    good = [t.detach().clone() for t in live]
    candidate = [t.detach().clone() for t in live]
    window: list[torch.Tensor] = []
    window_sizes: list[int] = []
    window_preds: list[torch.Tensor] = []
    window_labels: list[torch.Tensor] = []
    correct = torch.zeros((), device=device, dtype=torch.long)
    correct_now = [0]  # the correct count as of the last window check (host side)
    window_start = 0
    step, epochs_done, test_acc = 0, 0, None
    status, reason = "done", f"finished {config.epochs} epoch(s)"

    def close_window() -> list[float]:
        """Sync once, check the window's losses, promote its starting weights to good."""
        nonlocal good, candidate
        if not window:
            return []
        *values, n_correct = torch.cat([torch.stack(window).float(), correct.view(1).float()]).tolist()
        correct_now[0] = int(n_correct)
        for j, v in enumerate(values):
            if not math.isfinite(v) or v > config.explode_loss:
                raise Diverged(
                    f"training diverged at step {window_start + j + 1} (loss = {v:.4g}); the learning rate "
                    f"{config.lr:g} is probably too high. The model keeps the last weights that gave a "
                    f"sane loss.")
        good, candidate = candidate, good
        window.clear()
        return values

    def count_correct() -> None:
        """Add the window's correct predictions to the epoch's count (a few kernels per window)."""
        nonlocal correct
        if window_preds:
            correct += (torch.cat(window_preds) == torch.cat(window_labels)).sum()
            window_preds.clear()
            window_labels.clear()

    def restore_good() -> None:
        with torch.no_grad():
            torch._foreach_copy_(live, good)

    try:
        for epoch in range(1, config.epochs + 1):
            perm = torch.randperm(n, generator=gen).to(device)
            correct.zero_()
            seen, epoch_loss_sum = 0, 0.0
            t_window = time.perf_counter()
            for i in range(0, n, bs):
                if _stop_requested(stop):
                    status, reason = "stopped", f"stopped by the user at step {step}"
                    raise StopIteration
                idx = perm[i:i + bs]
                x = normalize(data.train_x[idx], data.mean, data.std)
                if config.augment:
                    x = random_affine(x, generator=gen, fill=fill)
                y = data.train_y[idx]
                if not window:  # a new window starts with these weights
                    window_start, window_sizes = step, []
                    with torch.no_grad():
                        torch._foreach_copy_(candidate, live)  # one multi-tensor kernel
                out = model(x)
                loss = F.cross_entropy(out, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                window.append(loss.detach())
                window_sizes.append(len(y))
                window_preds.append(out.detach().argmax(1))
                window_labels.append(y)
                seen += len(y)
                if step % config.log_every == 0 or i + bs >= n:
                    sizes = list(window_sizes)
                    count_correct()
                    values = close_window()
                    epoch_loss_sum += sum(v * k for v, k in zip(values, sizes))
                    now = time.perf_counter()
                    emit(StepEvent(epoch, step, total_steps, sum(values) / len(values), correct_now[0] / seen,
                                   sum(sizes) / max(now - t_window, 1e-9), now - start))
                    t_window = now
                if config.eval_every and step % config.eval_every == 0 and i + bs < n:
                    sizes = list(window_sizes)
                    count_correct()
                    epoch_loss_sum += sum(v * k for v, k in zip(close_window(), sizes))
                    acc, tl = evaluate(model, data.test_x, data.test_y, data.mean, data.std)
                    emit(EvalEvent(epoch, step, acc, tl, correct.item() / seen))
                    model.train()
            train_acc = correct.item() / max(seen, 1)
            test_acc, test_loss = evaluate(model, data.test_x, data.test_y, data.mean, data.std)
            model.train()
            epochs_done = epoch
            emit(EvalEvent(epoch, step, test_acc, test_loss, train_acc))
            emit(EpochEvent(epoch, step, epoch_loss_sum / max(seen, 1), train_acc, test_acc,
                            time.perf_counter() - start))
    except StopIteration:
        try:
            close_window()
            if epochs_done < config.epochs and step > 0:
                test_acc, _ = evaluate(model, data.test_x, data.test_y, data.mean, data.std)
        except Diverged as exc:
            status, reason = "failed", str(exc)
            restore_good()
            test_acc, _ = evaluate(model, data.test_x, data.test_y, data.mean, data.std)
    except Diverged as exc:
        status, reason = "failed", str(exc)
        restore_good()
        test_acc, _ = evaluate(model, data.test_x, data.test_y, data.mean, data.std)
    except Exception as exc:  # e.g. out of memory: report it, keep the last good weights
        status, reason = "failed", f"training failed: {type(exc).__name__}: {exc}"
        restore_good()
        try:
            test_acc, _ = evaluate(model, data.test_x, data.test_y, data.mean, data.std)
        except Exception:
            test_acc = None
    model.eval()
    elapsed = time.perf_counter() - start
    emit(EndEvent(status, reason, step, epochs_done, test_acc, elapsed))
    return TrainResult(model, config, status, reason, test_acc, epochs_done, step, elapsed, data.note,
                       data.mean, data.std, list(data.classes), data.name, events)
