"""t32 · SigLIP pairwise sigmoid loss (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["siglip_loss"]


def _as_pair_embeddings(x, name):
    """Convert ``x`` to a float tensor of shape ``(B, D)``, raising TypeError/ValueError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers of shape (B, D), got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers of shape (B, D), got {type(x).__name__}") from exc
    if t.dtype == tf.bool or not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank != 2:
        raise ValueError(f"{name} must have shape (B, D), got shape {tuple(t.shape)}")
    return t if t.dtype in (tf.float32, tf.float64) else tf.cast(t, tf.float32)


def _as_finite_scalar(value, name):
    """A finite real scalar: a tensor or tf.Variable stays as it is (a learnable parameter keeps its
    gradient), anything else becomes a float64 constant."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if isinstance(value, (tf.Tensor, tf.Variable)):
        scalar = tf.convert_to_tensor(value)
    else:
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        scalar = tf.constant(array, dtype=tf.float64)
    if not (scalar.dtype.is_floating or scalar.dtype.is_integer) or scalar.dtype == tf.bool:
        raise TypeError(f"{name} must be a real number, got dtype {scalar.dtype.name}")
    if scalar.shape.rank != 0:
        raise ValueError(f"{name} must be a scalar, got shape {tuple(scalar.shape)}")
    number = float(scalar.numpy())
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return scalar


def siglip_loss(text_emb, image_emb, log_temperature, bias):
    """Pairwise sigmoid loss of SigLIP (Zhai et al. 2023) for a batch of matching pairs.

    Rows are L2-normalised; ``logits = exp(log_temperature) * T Iᵀ + bias``; ``labels`` is +1 on
    the diagonal (row ``i`` of each is a matching pair) and -1 elsewhere; the loss is

        -(1 / B) * sum_i sum_j log sigmoid(labels_ij * logits_ij),

    the sum over all B² pairs divided by B (not by B²), as in the paper.

    Args:
        text_emb: ``(B, D)`` text embeddings.
        image_emb: ``(B, D)`` image embeddings.
        log_temperature: scalar ``t'``; the logit scale is ``exp(t')`` (the paper starts at ``log 10``).
        bias: scalar ``b`` added to every logit (the paper starts at ``-10``).

    Returns:
        A scalar tensor (float64 for float64 embeddings, else float32); 0.0 for a batch of 0.
    """
    scale_log = _as_finite_scalar(log_temperature, "log_temperature")
    offset = _as_finite_scalar(bias, "bias")
    t = _as_pair_embeddings(text_emb, "text_emb")
    i = _as_pair_embeddings(image_emb, "image_emb")
    if tuple(t.shape) != tuple(i.shape):
        raise ValueError(
            f"text_emb and image_emb must have the same shape (B, D), got {tuple(t.shape)} and {tuple(i.shape)}"
        )
    dtype = tf.float64 if t.dtype == tf.float64 and i.dtype == tf.float64 else tf.float32
    t = tf.math.l2_normalize(tf.cast(t, dtype), axis=-1)
    i = tf.math.l2_normalize(tf.cast(i, dtype), axis=-1)
    scale = tf.exp(tf.cast(scale_log, dtype))
    logits = scale * tf.matmul(t, i, transpose_b=True) + tf.cast(offset, dtype)
    batch = tf.shape(logits)[0]
    labels = 2.0 * tf.eye(batch, dtype=dtype) - 1.0  # +1 on the diagonal, -1 elsewhere
    # log sigmoid(x) = -softplus(-x): finite for |x| of 1e4, where log(sigmoid(x)) would be log 0.
    log_likelihood = tf.math.log_sigmoid(labels * logits)
    return tf.math.divide_no_nan(-tf.reduce_sum(log_likelihood), tf.cast(batch, dtype))
