"""t23 · Uncertainty weighting of task losses (reference solution)."""

from __future__ import annotations

import tensorflow as tf

__all__ = ["uncertainty_weighted_loss"]


def _as_vector(x, name):
    """``x`` (list, array, tensor or variable) as a rank-1 float tensor; differentiable."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(x).__name__}: {exc}") from None
    if t.dtype.is_integer:
        t = tf.cast(t, tf.float32)
    elif not t.dtype.is_floating:
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype.name}")
    if t.shape.rank != 1:
        raise ValueError(f"{name} must have shape (num_tasks,), got shape {tuple(t.shape)}")
    return t


def uncertainty_weighted_loss(task_losses, log_vars):
    """Kendall et al. (2018) uncertainty weighting: ``sum_i exp(-s_i) * L_i + s_i``.

    Args:
        task_losses: ``(T,)`` the task losses ``L_i`` (a list of scalar tensors works too).
        log_vars: ``(T,)`` the learnable log-variances ``s_i = log sigma_i^2`` (usually a
            ``tf.Variable``).

    Returns:
        A scalar tensor, differentiable with respect to both arguments:
        ``d/dL_i = exp(-s_i)`` and ``d/ds_i = 1 - exp(-s_i) * L_i``. For fixed losses the
        minimum over ``s_i`` is at ``s_i = log L_i``. Computed in float64 if either input
        is float64, otherwise in float32.

    Raises:
        TypeError: non-numeric input.
        ValueError: an input that is not 1-D, no tasks, or different numbers of tasks.
    """
    losses = _as_vector(task_losses, "task_losses")
    s = _as_vector(log_vars, "log_vars")
    if losses.shape[0] != s.shape[0]:
        raise ValueError(
            f"task_losses and log_vars must have one entry per task, got {losses.shape[0]} and {s.shape[0]}"
        )
    if losses.shape[0] == 0:
        raise ValueError("task_losses and log_vars must hold at least one task, got 0")
    dtype = tf.float64 if tf.float64 in (losses.dtype, s.dtype) else tf.float32
    losses = tf.cast(losses, dtype)
    s = tf.cast(s, dtype)
    return tf.reduce_sum(tf.exp(-s) * losses + s)
