"""t16 · Accuracy, precision, recall and F1 at a threshold (reference solution)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["binary_classification_metrics"]


def _as_samples(x, name):
    """``x`` as a 1-D NumPy array of numbers; a ``(N, 1)`` column is flattened to ``(N,)``."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name} must have shape (N,) or (N, 1), got {a.shape}")
    return a


def _ratio(num, den):
    """``num / den`` as a Python float, 0.0 when the denominator is 0 (never NaN)."""
    return 0.0 if den == 0 else float(num) / float(den)


def binary_classification_metrics(y_true, y_prob, threshold=0.5):
    """Accuracy, precision, recall and F1 of the predictions ``y_prob >= threshold``.

    Args:
        y_true: ``(N,)`` or ``(N, 1)`` integer labels, 0/1 (floats equal to 0.0/1.0 are accepted,
            bools are not).
        y_prob: ``(N,)`` or ``(N, 1)`` finite scores (usually probabilities). Each argument's
            column is flattened on its own, so ``(N,)`` labels with ``(N, 1)`` probabilities
            never broadcast to ``(N, N)``.
        threshold: a sample is predicted positive iff ``y_prob >= threshold`` (inclusive).

    Returns:
        ``{"accuracy", "precision", "recall", "f1"}`` as Python floats, with
        precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); a ratio whose
        denominator is 0 is 0.0 (so N = 0 gives all zeros).

    Raises:
        ValueError: labels other than 0/1, different lengths, non-finite scores or threshold.
        TypeError: non-numeric input or threshold, bool labels.
    """
    y = _as_samples(y_true, "y_true")
    if y.dtype.kind == "b":
        raise TypeError("y_true must hold 0/1 integer labels, got dtype bool (convert with y.astype(int))")
    p = _as_samples(y_prob, "y_prob")
    if y.shape != p.shape:
        raise ValueError(f"y_true and y_prob must have the same number of samples, got {y.size} and {p.size}")
    bad = ~np.isin(y, (0, 1))
    if np.any(bad):
        raise ValueError(f"y_true must hold only 0/1 labels, got values {np.unique(y[bad])[:5].tolist()}")
    if not np.all(np.isfinite(p)):
        raise ValueError("y_prob must be finite, got NaN or inf")
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f"threshold must be a real number, got {type(threshold).__name__}")
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold}")

    actual = y.astype(bool)
    predicted = p >= threshold  # compared in y_prob's own dtype: a score equal to the threshold is positive
    tp = int(np.count_nonzero(predicted & actual))
    fp = int(np.count_nonzero(predicted & ~actual))
    fn = int(np.count_nonzero(~predicted & actual))
    tn = int(np.count_nonzero(~predicted & ~actual))

    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    return {
        "accuracy": _ratio(tp + tn, y.size),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * precision * recall, precision + recall),
    }
