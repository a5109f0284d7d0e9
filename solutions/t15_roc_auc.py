"""t15 · ROC AUC as the Mann-Whitney statistic with mid-ranks (reference solution)."""

from __future__ import annotations

import numpy as np

__all__ = ["roc_auc"]


def _as_1d_numbers(x, name):
    """``x`` as a 1-D NumPy array of numbers (bool, int or float), or TypeError/ValueError."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one entry per sample), got shape {a.shape}")
    return a


def _midranks(values):
    """1-based ranks of ``values`` in increasing order; tied values share their mean rank."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    # Start of each run of equal values in the sorted array.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    counts = np.diff(np.r_[starts, values.size])
    # A run occupying sorted positions s .. s+c-1 (ranks s+1 .. s+c) gets the mean rank s + (c+1)/2.
    run_ranks = starts + (counts + 1) / 2.0
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(run_ranks, counts)
    return ranks


def roc_auc(y_true, y_score):
    """Area under the ROC curve: the probability that a random positive outranks a random negative.

    Computed as the Mann-Whitney U statistic with mid-ranks, so a positive and a negative with
    the same score count 1/2 (this equals the trapezoidal area under the ROC curve and
    scikit-learn's ``roc_auc_score``). Runs in ``O(n log n)``.

    Args:
        y_true: ``(N,)`` integer labels, 0/1 (floats equal to 0.0/1.0 are accepted; bools are not).
        y_score: ``(N,)`` finite scores, higher = more positive (probabilities, logits, ...).

    Returns:
        The AUC as a Python float in [0, 1].

    Raises:
        ValueError: labels other than 0/1, shapes not 1-D or of different lengths, non-finite
            scores, or fewer than one positive and one negative.
        TypeError: non-numeric input, bool labels.
    """
    y = _as_1d_numbers(y_true, "y_true")
    if y.dtype.kind == "b":
        raise TypeError("y_true must hold 0/1 integer labels, got dtype bool (convert with y.astype(int))")
    s = _as_1d_numbers(y_score, "y_score").astype(np.float64)
    if y.shape != s.shape:
        raise ValueError(f"y_true and y_score must have the same length, got {y.shape[0]} and {s.shape[0]}")
    bad = ~np.isin(y, (0, 1))
    if np.any(bad):
        raise ValueError(f"y_true must hold only 0/1 labels, got values {np.unique(y[bad])[:5].tolist()}")
    if not np.all(np.isfinite(s)):
        raise ValueError("y_score must be finite, got NaN or inf")
    positive = y.astype(bool)
    n_pos = int(np.count_nonzero(positive))
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC AUC needs both classes, got {n_pos} positive and {n_neg} negative labels")

    rank_sum = float(np.sum(_midranks(s)[positive]))
    u = rank_sum - n_pos * (n_pos + 1) / 2.0  # pairs (positive, negative) the positive wins; ties 1/2
    return float(u / (float(n_pos) * float(n_neg)))
