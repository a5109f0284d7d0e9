"""t07 · FGSM, the fast gradient sign method (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["fgsm_perturbation"]


def _check_epsilon(epsilon):
    """Return ``epsilon`` as a float: TypeError if it is not a real number, ValueError if < 0, NaN or inf."""
    if isinstance(epsilon, (bool, str, bytes)) or epsilon is None:
        raise TypeError(f"epsilon must be a real number, got {type(epsilon).__name__}")
    try:
        value = np.asarray(epsilon)
    except Exception as exc:  # noqa: BLE001 - any failure means "not a number"
        raise TypeError(f"epsilon must be a real number, got {type(epsilon).__name__}") from exc
    if value.ndim != 0 or value.dtype.kind not in "iuf":
        raise TypeError(f"epsilon must be a real number, got {type(epsilon).__name__} "
                        f"with dtype {value.dtype} and shape {value.shape}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"epsilon must be a finite number >= 0, got {value}")
    return value


def _as_float_tensor(x):
    """Convert ``x`` to a floating tensor (integers become float32), TypeError for non-numbers."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"x must be an array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be an array of numbers, got {type(x).__name__}") from exc
    if t.dtype.is_floating:
        return t
    if t.dtype.is_integer:
        return tf.cast(t, tf.float32)
    raise TypeError(f"x must hold numbers, got dtype {t.dtype.name}")


def fgsm_perturbation(loss_fn, x, epsilon):
    """One FGSM step: ``x + epsilon * sign(d loss_fn(x) / dx)``.

    Args:
        loss_fn: callable mapping a ``tf.Tensor`` shaped like ``x`` to a scalar tensor,
            written with TensorFlow ops so that it is differentiable.
        x: array of any shape (NumPy array, list or tensor); never modified.
        epsilon: step size, a real number ``>= 0`` (the L-infinity radius).

    Returns:
        A ``tf.Tensor`` with the shape and floating dtype of ``x`` (integers become float32).
        Entries where the gradient is exactly 0 are left unchanged.

    Raises:
        TypeError: ``loss_fn`` is not callable, ``x`` is not numeric, ``epsilon`` is not a number.
        ValueError: ``epsilon < 0`` (or NaN / inf), ``loss_fn`` does not return a scalar, or its
            value does not depend on ``x`` through TensorFlow ops.
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    eps = _check_epsilon(epsilon)
    x_t = tf.identity(_as_float_tensor(x))  # a fresh tensor: the caller's object is never touched
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        loss = tf.convert_to_tensor(loss_fn(x_t))
    if loss.shape.rank != 0:
        raise ValueError(f"loss_fn must return a scalar, got a tensor of shape {tuple(loss.shape)}")
    grad = tape.gradient(loss, x_t)
    if grad is None:
        raise ValueError("loss_fn(x) does not depend on x through TensorFlow ops: no gradient to take the sign of")
    step = tf.constant(eps, dtype=x_t.dtype) * tf.sign(grad)
    return tf.stop_gradient(x_t + step)
