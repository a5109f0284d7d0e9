"""t13 · CLIP contrastive loss (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["clip_contrastive_loss"]


def _as_embeddings(x, name):
    """Convert ``x`` to a float tensor of shape ``(B, D)``, raising TypeError/ValueError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers of shape (B, D), got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers of shape (B, D), got {type(x).__name__}") from exc
    if not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank != 2:
        raise ValueError(f"{name} must have shape (B, D), got shape {tuple(t.shape)}")
    return t if t.dtype in (tf.float32, tf.float64) else tf.cast(t, tf.float32)


def _as_temperature(temperature):
    """A positive finite scalar: a tensor or tf.Variable stays as it is (a learnable temperature
    keeps its gradient), anything else becomes a float64 constant (no float32 rounding)."""
    if isinstance(temperature, (str, bytes, bool)) or temperature is None:
        raise TypeError(f"temperature must be a positive number, got {type(temperature).__name__}")
    if isinstance(temperature, (tf.Tensor, tf.Variable)):
        temp = tf.convert_to_tensor(temperature)
    else:
        array = np.asarray(temperature)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"temperature must be a positive number, got {type(temperature).__name__}")
        temp = tf.constant(array, dtype=tf.float64)
    if not (temp.dtype.is_floating or temp.dtype.is_integer):
        raise TypeError(f"temperature must be a positive number, got dtype {temp.dtype.name}")
    if temp.shape.rank != 0:
        raise ValueError(f"temperature must be a scalar, got shape {tuple(temp.shape)}")
    value = float(temp.numpy())
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"temperature must be a positive finite number, got {value}")
    return temp


def _mean_cross_entropy_on_diagonal(logits):
    """Mean over rows of ``logsumexp(row) - row[i]``: cross-entropy with target ``i`` for row ``i``."""
    top = tf.stop_gradient(tf.reduce_max(logits, axis=-1, keepdims=True))
    log_sum_exp = top[:, 0] + tf.math.log(tf.reduce_sum(tf.exp(logits - top), axis=-1))
    per_row = log_sum_exp - tf.linalg.diag_part(logits)
    count = tf.cast(tf.shape(logits)[0], logits.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(per_row), count)


def clip_contrastive_loss(text_emb, image_emb, temperature=0.07):
    """Symmetric contrastive (InfoNCE) loss of CLIP for a batch of matching pairs.

    Row ``i`` of ``text_emb`` and row ``i`` of ``image_emb`` are a matching pair; every
    other row of the batch is a negative. Rows are L2-normalised, ``logits = T Iᵀ /
    temperature``, and the loss is the mean of the text→image cross-entropy (over rows)
    and the image→text cross-entropy (over columns), both with the diagonal as targets.

    Args:
        text_emb: ``(B, D)`` text embeddings.
        image_emb: ``(B, D)`` image embeddings.
        temperature: positive number dividing the cosine similarities.

    Returns:
        A scalar tensor (float64 for float64 inputs, else float32). A batch of 0 gives 0.0.
    """
    temp = _as_temperature(temperature)
    t = _as_embeddings(text_emb, "text_emb")
    i = _as_embeddings(image_emb, "image_emb")
    if tuple(t.shape) != tuple(i.shape):
        raise ValueError(
            f"text_emb and image_emb must have the same shape (B, D), got {tuple(t.shape)} and {tuple(i.shape)}"
        )
    dtype = tf.float64 if t.dtype == tf.float64 and i.dtype == tf.float64 else tf.float32
    t = tf.math.l2_normalize(tf.cast(t, dtype), axis=-1)
    i = tf.math.l2_normalize(tf.cast(i, dtype), axis=-1)
    logits = tf.matmul(t, i, transpose_b=True) / tf.cast(temp, dtype)
    text_to_image = _mean_cross_entropy_on_diagonal(logits)
    image_to_text = _mean_cross_entropy_on_diagonal(tf.transpose(logits))
    return (text_to_image + image_to_text) / 2
