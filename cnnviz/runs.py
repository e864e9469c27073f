"""What the training page shows about runs, as plain data: the logging plan of a live view, durations,
and the compare-runs table.  No streamlit here, so it is tested without a browser."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from . import models
from .jobs import JobState

# the compare table's columns, in order (the page translates them as ``col.<name>``)
COMPARE_COLUMNS = ("run", "status", "test accuracy", "time (s)", "parameters", "epochs", "optimizer", "lr",
                   "batch", "augment", "dropout", "dataset", "samples/s")


def env_limit(name: str) -> int:
    """``CNNVIZ_TRAIN_LIMIT`` / ``CNNVIZ_TEST_LIMIT``: tests and quick demos cap the page's data with these
    (0: no cap; anything that is not a whole number counts as 0)."""
    try:
        return max(0, int(os.environ.get(name, "0")))
    except ValueError:
        return 0


def plan_logging(n_train: int, n_test: int, batch_size: int, epochs: int) -> tuple[int, int]:
    """(log_every, eval_every) for a live view: about 150 loss points per run but at least one
    every 25 steps.  The test set is evaluated at every epoch end (the trainer's default); a
    one-epoch run on a small test set (<= 2,000) also gets a mid-epoch point.  More evaluations
    would cost real training time: 2,000 test images are a quarter of an embedded epoch."""
    total = steps_per_epoch(n_train, batch_size) * epochs
    log_every = int(min(25, max(1, total // 150)))
    per_epoch = steps_per_epoch(n_train, batch_size)
    eval_every = per_epoch // 2 if epochs == 1 and n_test <= 2000 and per_epoch >= 8 else 0
    return log_every, eval_every


def format_seconds(seconds: float | None) -> str:
    """``75`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``, unknown -> ``"–"``."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def compare_rows(states: list[tuple[str, JobState]]) -> list[dict]:
    """One row per run (its label, its state), with the :data:`COMPARE_COLUMNS`."""
    rows = []
    for label, st in states:
        c = st.config
        samples = (st.n_train or 0) * len(st.epochs)
        rows.append(dict(zip(COMPARE_COLUMNS, (
            label, st.status, st.final_test_acc,
            round(st.train_seconds, 1) if st.train_seconds is not None else None,
            st.params if st.params is not None else models.count_parameters(models.build(c.arch)),
            f"{len(st.epochs)}/{c.epochs}", c.optimizer, c.lr, c.batch_size, c.augment, c.dropout,
            st.dataset or c.dataset,
            round(samples / st.train_seconds) if samples and st.train_seconds else None))))
    return rows


# ----------------------------------------------------------------------------- batch, epoch, step; overfitting

# "Show overfitting": few training digits, many epochs, nothing that fights memorizing (no augmentation,
# no dropout): training accuracy reaches about 100 % while test accuracy stays far below
OVERFIT_DEMO = dict(limit=300, epochs=40, augment=False, dropout=0.0)
OVERFIT_GAP = 0.05   # a train-test accuracy gap from this size on is called overfitting on the page


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Optimizer steps in one pass over ``n_train`` examples (the last batch may be smaller), as the
    trainer counts them: ``8000 / 64 -> 125``, ``300 / 64 -> 5``; a batch larger than the data is one step."""
    n = max(int(n_train), 1)
    return max(1, math.ceil(n / max(1, min(int(batch_size), n))))


@dataclass(frozen=True)
class StepPlan:
    """The numbers behind "8,000 digits / batch 64 = 125 steps per epoch"."""

    n_train: int
    batch: int
    epochs: int
    steps: int          # per epoch
    total: int

    def args(self) -> dict:
        return dict(n_train=self.n_train, batch=self.batch, epochs=self.epochs, steps=self.steps, total=self.total)


def step_plan(n_train: int, batch_size: int, epochs: int) -> StepPlan:
    per_epoch = steps_per_epoch(n_train, batch_size)
    return StepPlan(int(n_train), int(batch_size), int(epochs), per_epoch, per_epoch * int(epochs))


@dataclass(frozen=True)
class AccuracyGap:
    """Training minus test accuracy at a run's latest evaluation."""

    epoch: int
    step: int
    train_acc: float
    test_acc: float

    @property
    def gap(self) -> float:
        return self.train_acc - self.test_acc

    @property
    def points(self) -> float:
        """The gap in percentage points."""
        return 100.0 * self.gap

    @property
    def overfitting(self) -> bool:
        return self.gap >= OVERFIT_GAP


def accuracy_gap(st: JobState) -> AccuracyGap | None:
    """The gap at the latest evaluation that measured both accuracies (None before the first one)."""
    for i in range(min(len(st.eval_steps), len(st.train_acc), len(st.test_acc)) - 1, -1, -1):
        train, test = st.train_acc[i], st.test_acc[i]
        if train is not None and test is not None and math.isfinite(train) and math.isfinite(test):
            epoch = st.eval_epochs[i] if i < len(st.eval_epochs) else 0
            return AccuracyGap(int(epoch), int(st.eval_steps[i]), float(train), float(test))
    return None
