"""What the training page shows about runs, as plain data: the logging plan of a live view, durations,
and the compare-runs table.  No streamlit here, so it is tested without a browser."""

from __future__ import annotations

import math
import os

from . import models
from .jobs import JobState

# the compare table's columns, in order (the page translates them as ``col.<name>``)
COMPARE_COLUMNS = ("run", "status", "test accuracy", "time (s)", "parameters", "epochs", "optimizer", "lr",
                   "batch", "augment", "dataset", "samples/s")


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
    steps_per_epoch = max(1, -(-max(n_train, 1) // max(1, min(batch_size, max(n_train, 1)))))
    total = steps_per_epoch * epochs
    log_every = int(min(25, max(1, total // 150)))
    eval_every = steps_per_epoch // 2 if epochs == 1 and n_test <= 2000 and steps_per_epoch >= 8 else 0
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
            f"{len(st.epochs)}/{c.epochs}", c.optimizer, c.lr, c.batch_size, c.augment, st.dataset or c.dataset,
            round(samples / st.train_seconds) if samples and st.train_seconds else None))))
    return rows
