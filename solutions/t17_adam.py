"""t17 · Adam (and AdamW) from scratch (reference solution)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["adam_update"]


def _as_float_array(x, name):
    """Copy ``x`` into a new (never shared) float64 NumPy array, raising TypeError for non-numeric input."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    return np.array(a, dtype=np.float64)


def _hyperparameter(value, name, low, high=math.inf, low_open=False):
    """Return ``value`` as a float after checking it is a real number in the allowed range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    ok = (value > low if low_open else value >= low) and value < high and math.isfinite(value)
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}), got {value}")
    return value


def adam_update(param, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                weight_decay=0.0):
    """One Adam step (AdamW when ``weight_decay > 0``), exactly as ``keras.optimizers.Adam/AdamW``.

    Args:
        param: current parameters, any shape.
        grad: gradient of the loss at ``param``, same shape.
        m, v: first and second moment estimates before this step (zeros before step 1).
        t: 1-based index of this step (``t = 1`` for the first update).
        learning_rate, beta_1, beta_2, epsilon: Adam's hyper-parameters (Keras defaults).
        weight_decay: decoupled weight decay: ``param -= learning_rate * weight_decay * param``
            before the Adam step (Loshchilov & Hutter 2019), not an L2 term in the gradient.

    Returns:
        ``(param, m, v)`` after the step, new float64 NumPy arrays (inputs are not modified).
    """
    p = _as_float_array(param, "param")
    g = _as_float_array(grad, "grad")
    m = _as_float_array(m, "m")
    v = _as_float_array(v, "v")
    for name, a in (("grad", g), ("m", m), ("v", v)):
        if a.shape != p.shape:
            raise ValueError(f"{name} must have the shape of param {p.shape}, got {a.shape}")
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
        raise TypeError(f"t must be an integer step count (1 for the first step), got {type(t).__name__}")
    if t < 1:
        raise ValueError(f"t must be >= 1 (steps are counted from 1), got {t}")
    lr = _hyperparameter(learning_rate, "learning_rate", 0.0)
    b1 = _hyperparameter(beta_1, "beta_1", 0.0, 1.0)
    b2 = _hyperparameter(beta_2, "beta_2", 0.0, 1.0)
    eps = _hyperparameter(epsilon, "epsilon", 0.0, low_open=True)
    wd = _hyperparameter(weight_decay, "weight_decay", 0.0)
    if np.any(v < 0):
        raise ValueError("v (the second-moment estimate) must be non-negative, got a negative entry")

    # Decoupled weight decay: shrink the weights themselves, outside the adaptive step.
    # p, m and v are fresh copies (see _as_float_array), so updating them in place is safe.
    p -= lr * wd * p
    m += (g - m) * (1.0 - b1)
    v += (g * g - v) * (1.0 - b2)
    # Bias correction folded into the step size; epsilon is added to sqrt(v), not to sqrt(v_hat)
    # (Keras' "epsilon hat").
    alpha = lr * math.sqrt(1.0 - b2 ** int(t)) / (1.0 - b1 ** int(t))
    p -= alpha * m / (np.sqrt(v) + eps)
    return p, m, v
