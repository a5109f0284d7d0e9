"""t05 · Scaled dot-product attention (reference solution)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["scaled_dot_product_attention"]


def _as_float_tensor(x, name):
    """Convert ``x`` to a float tensor of rank >= 2, raising TypeError/ValueError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if not t.dtype.is_floating:
        t = tf.cast(t, tf.float32)
    if t.shape.rank < 2:
        raise ValueError(f"{name} must have shape (..., L, D) with rank >= 2, got shape {tuple(t.shape)}")
    return t


def scaled_dot_product_attention(query, key, value, mask=None):
    """Attention ``softmax(Q Kᵀ / sqrt(d)) V`` with an optional boolean mask.

    Args:
        query: ``(..., Lq, D)``.
        key: ``(..., Lk, D)``.
        value: ``(..., Lk, Dv)``.
        mask: optional boolean, broadcastable to ``(..., Lq, Lk)``; True = may attend.

    Returns:
        ``(output, weights)`` of shapes ``(..., Lq, Dv)`` and ``(..., Lq, Lk)``. A query
        whose keys are all masked gets zero weights and a zero output.
    """
    q = _as_float_tensor(query, "query")
    k = tf.cast(_as_float_tensor(key, "key"), q.dtype)
    v = tf.cast(_as_float_tensor(value, "value"), q.dtype)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"query and key must share the last dimension D, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"key and value must have the same length Lk, got {k.shape[-2]} and {v.shape[-2]}")
    # Checked here so that TensorFlow never raises its own InvalidArgumentError.
    try:
        batch = np.broadcast_shapes(tuple(q.shape[:-2]), tuple(k.shape[:-2]), tuple(v.shape[:-2]))
    except ValueError:
        raise ValueError(
            f"the leading (batch) dimensions of query, key and value must broadcast, got "
            f"{tuple(q.shape[:-2])}, {tuple(k.shape[:-2])} and {tuple(v.shape[:-2])}"
        ) from None
    weights_shape = (*batch, q.shape[-2], k.shape[-2])

    logits = tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(tf.shape(q)[-1], q.dtype))
    if mask is None:
        weights = tf.nn.softmax(logits, axis=-1)
    else:
        m = np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"mask must be boolean (True = may attend), got dtype {m.dtype}")
        try:
            fits = np.broadcast_shapes(m.shape, weights_shape) == weights_shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mask must broadcast to (..., Lq, Lk) = {weights_shape}, got shape {m.shape}")
        m = tf.broadcast_to(tf.constant(m), tf.shape(logits))
        # Masked logits are replaced by the row's smallest value before the max-shift so that
        # exp() never sees -inf - (-inf); masked weights are then zeroed explicitly, which
        # also makes an all-masked row exactly zero instead of NaN.
        logits = tf.where(m, logits, tf.reduce_min(logits, axis=-1, keepdims=True))
        shifted = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
        exp = tf.where(m, tf.exp(shifted), tf.zeros_like(shifted))
        total = tf.reduce_sum(exp, axis=-1, keepdims=True)
        weights = tf.math.divide_no_nan(exp, total)
    return tf.matmul(weights, v), weights
