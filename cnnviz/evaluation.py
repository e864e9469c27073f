"""Evaluation after training: confusion matrix, per-class accuracy, misclassified examples,
and the loss smoothing the live chart uses.  Pure numpy on predictions and labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_matrix(labels, preds, n_classes: int = 10) -> np.ndarray:
    """``cm[t, p]`` = how many examples of true class ``t`` were predicted as ``p``."""
    labels = np.asarray(labels, dtype=np.int64).ravel()
    preds = np.asarray(preds, dtype=np.int64).ravel()
    if labels.shape != preds.shape:
        raise ValueError(f"{labels.size} labels but {preds.size} predictions")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes or preds.min() < 0
                        or preds.max() >= n_classes):
        raise ValueError(f"labels and predictions must be in 0..{n_classes - 1}")
    return np.bincount(labels * n_classes + preds, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of every class (diagonal / row sum); NaN for a class with no examples."""
    cm = np.asarray(cm, dtype=np.float64)
    support = cm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(cm) / np.where(support > 0, support, 1), np.nan)


def accuracy(labels, preds) -> float:
    labels, preds = np.asarray(labels).ravel(), np.asarray(preds).ravel()
    return float((labels == preds).mean()) if labels.size else float("nan")


def misclassified(labels, preds, confidence=None, limit: int | None = 24) -> np.ndarray:
    """Indices of wrong predictions, the most confidently wrong first (when ``confidence`` is given)."""
    labels, preds = np.asarray(labels).ravel(), np.asarray(preds).ravel()
    wrong = np.flatnonzero(labels != preds)
    if confidence is not None and wrong.size:
        conf = np.asarray(confidence, dtype=np.float64).ravel()[wrong]
        wrong = wrong[np.argsort(-conf, kind="stable")]
    return wrong[:limit] if limit is not None else wrong


def most_confused(cm: np.ndarray, top: int = 3) -> list[tuple[int, int, int]]:
    """The ``top`` off-diagonal cells as (true, predicted, count), largest first, counts > 0."""
    off = np.array(cm, dtype=np.int64, copy=True)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    out = []
    for flat in order:
        t, p = divmod(int(flat), off.shape[1])
        if off[t, p] > 0:
            out.append((t, p, int(off[t, p])))
    return out


def smooth(values, weight: float = 0.8) -> np.ndarray:
    """TensorBoard-style exponential moving average, bias-corrected so it starts at the first value."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    avg, norm = 0.0, 0.0
    for i, v in enumerate(values):
        if not np.isfinite(v):
            out[i] = np.nan
            continue
        avg = weight * avg + (1 - weight) * v
        norm = weight * norm + (1 - weight)
        out[i] = avg / norm
    return out


@dataclass
class EvalReport:
    """Everything the page shows after training, computed from test predictions."""

    labels: np.ndarray
    preds: np.ndarray
    confidence: np.ndarray
    classes: list[str]
    accuracy: float
    cm: np.ndarray
    per_class: np.ndarray

    @classmethod
    def from_predictions(cls, labels, preds, confidence, classes: list[str]) -> EvalReport:
        labels = np.asarray(labels, dtype=np.int64).ravel()
        preds = np.asarray(preds, dtype=np.int64).ravel()
        cm = confusion_matrix(labels, preds, len(classes))
        return cls(labels, preds, np.asarray(confidence, dtype=np.float64).ravel(), list(classes),
                   accuracy(labels, preds), cm, per_class_accuracy(cm))

    def misclassified(self, limit: int | None = 24) -> np.ndarray:
        return misclassified(self.labels, self.preds, self.confidence, limit)
