"""t25 · Prototype classification (prototypical networks, Snell et al. 2017; reference solution)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["prototype_classify"]


def _as_embeddings(x, name):
    """``x`` as a float tensor of shape ``(N, D)``, raising TypeError/ValueError otherwise."""
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
    if t.shape.rank != 2:
        raise ValueError(f"{name} must have shape (N, D), got shape {tuple(t.shape)}")
    return t


def _as_labels(labels, n):
    """``labels`` as a 1-D integer NumPy array of length ``n`` (whole-number floats become int64)."""
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"support_labels must be an array of integers, got {type(labels).__name__}")
    y = np.asarray(labels)
    if y.dtype.kind not in "iuf":  # bool ("b"), text, objects: not class labels
        raise TypeError(f"support_labels must hold integers, got dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError("support_labels must hold whole numbers, got a fractional or non-finite value")
        y = y.astype(np.int64)
    if y.shape != (n,):
        raise ValueError(f"support_labels must have shape ({n},), one label per support row, got shape {y.shape}")
    return y


def prototype_classify(support_emb, support_labels, query_emb):
    """Classify queries by the nearest class prototype (the mean support embedding).

    Args:
        support_emb: ``(N, D)`` support embeddings, N >= 1.
        support_labels: ``(N,)`` integer labels, any values (e.g. ``[7, -2, 42]``), any order;
            floats holding whole numbers are accepted, bool labels are a TypeError.
        query_emb: ``(M, D)`` query embeddings (M may be 0).

    Returns:
        ``(pred, probs)``: ``pred`` ``(M,)`` NumPy array of predicted labels (original label
        values); ``probs`` ``(M, C)`` tensor, ``softmax(-||q - p_c||²)`` over the C classes,
        columns in sorted label order.
    """
    support = _as_embeddings(support_emb, "support_emb")
    query = _as_embeddings(query_emb, "query_emb")
    labels = _as_labels(support_labels, support.shape[0])
    if support.shape[0] == 0:
        raise ValueError("support_emb must hold at least one example, got 0 rows")
    if support.shape[1] != query.shape[1]:
        raise ValueError(
            f"support_emb and query_emb must share the embedding dimension D, got {support.shape[1]} "
            f"and {query.shape[1]}"
        )
    query = tf.cast(query, support.dtype)

    classes, index = np.unique(labels, return_inverse=True)  # sorted label values
    counts = np.bincount(index, minlength=len(classes)).astype(support.dtype.as_numpy_dtype)
    prototypes = tf.math.unsorted_segment_sum(support, index, len(classes)) / counts[:, None]
    sq_dist = tf.reduce_sum(tf.square(query[:, None, :] - prototypes[None, :, :]), axis=-1)
    probs = tf.nn.softmax(-sq_dist, axis=-1)  # max-shifted: stable for huge distances
    pred = classes[tf.argmin(sq_dist, axis=-1).numpy()]
    return pred, probs
