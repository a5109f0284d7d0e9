"""t01 · Class-balanced loss weights (reference solution)."""

from __future__ import annotations

import numpy as np

__all__ = ["class_balanced_weights"]


def _integer_labels(labels, num_classes):
    """Validate ``labels`` and return them as a 1-D int64 array in ``[0, num_classes)``."""
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"labels must be an array of integers, got {type(labels).__name__}")
    try:
        y = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"labels must be an array of integers, got {type(labels).__name__}") from exc
    if y.dtype.kind not in "iuf":  # bool ("b"), text, objects: not class labels
        raise TypeError(f"labels must be an array of integers, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, shape (N,), got shape {y.shape}")
    if y.size == 0:
        raise ValueError("labels must not be empty, got 0 labels")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            raise ValueError(f"labels must hold whole numbers, got {float(y[bad][0])} at index {int(np.argmax(bad))}")
    low, high = y.min(), y.max()
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"labels must lie in [0, num_classes) = [0, {num_classes}), got values from {low:g} to {high:g}"
        )
    return y.astype(np.int64)


def class_balanced_weights(labels, num_classes, beta=None):
    """Per-class loss weights that undo class imbalance.

    ``beta=None``: inverse frequency ``w_c = N / (K * n_c)`` (``N`` labels, ``K`` classes).
    ``0 <= beta < 1``: effective number of samples (Cui et al. 2019),
    ``w_c ∝ (1 - beta) / (1 - beta**n_c)``, scaled so that the weights of the present classes
    sum to the number of present classes. A class with ``n_c == 0`` gets 0.0 in both modes.

    Args:
        labels: 1-D integer class labels, shape ``(N,)`` (floats holding whole numbers are accepted).
        num_classes: ``K``, a positive int.
        beta: ``None`` or a float in ``[0, 1)``.

    Returns:
        float64 array of shape ``(num_classes,)``.

    Raises:
        ValueError: empty or 2-D labels, fractional, NaN or out-of-range labels,
            ``num_classes < 1``, ``beta`` outside ``[0, 1)``.
        TypeError: text or bool labels, a non-integer ``num_classes`` or a non-numeric ``beta``.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be a positive int, got {type(num_classes).__name__}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes}")
    if beta is not None:
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
            raise TypeError(f"beta must be None or a float in [0, 1), got {type(beta).__name__}")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta must lie in [0, 1), got {beta}")
    y = _integer_labels(labels, int(num_classes))
    counts = np.bincount(y, minlength=int(num_classes)).astype(np.float64)
    present = counts > 0
    weights = np.zeros(int(num_classes), dtype=np.float64)
    if beta is None:
        weights[present] = y.size / (num_classes * counts[present])
        return weights
    # 1 / effective number, up to the constant factor (1 - beta) that the scaling removes.
    # 1 - beta**n = -expm1(n log beta) keeps its precision when beta is close to 1.
    if beta == 0.0:
        raw = np.ones(int(present.sum()))
    else:
        raw = -1.0 / np.expm1(counts[present] * np.log(float(beta)))
    weights[present] = raw * present.sum() / raw.sum()
    return weights
