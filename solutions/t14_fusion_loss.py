"""t14 · Fusion and classification loss (reference solution)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["fusion_classification_loss"]


def _as_features(x, name):
    """Convert ``x`` to a float tensor of rank >= 2, raising TypeError/ValueError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers of shape (B, ..., D), got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers of shape (B, ..., D), got {type(x).__name__}") from exc
    if not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank < 2:
        raise ValueError(f"{name} must have shape (B, ..., D) with rank >= 2, got shape {tuple(t.shape)}")
    return t


def _as_labels(labels, shape, num_classes):
    """Integer class ids of exactly ``shape`` with values in ``[0, num_classes)``, as an int64 array."""
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"labels must be an array of integer class ids, got {type(labels).__name__}")
    y = np.asarray(labels)
    if y.dtype.kind not in "iuf":  # bool ("b"), text, objects: not class ids
        raise TypeError(f"labels must be an array of integer class ids, got dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"labels must be integer class ids, got dtype {y.dtype} "
                             "with fractional or non-finite values")
        y = y.astype(np.int64)
    if tuple(y.shape) != tuple(shape):
        raise ValueError(f"labels must have shape {tuple(shape)} (the logits without their class axis), "
                         f"got shape {tuple(y.shape)}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}) for {num_classes} classes, "
                         f"got values from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def fusion_classification_loss(text_feature, image_feature, labels, head):
    """Concatenate the two modalities and score the head's logits with cross-entropy.

    Args:
        text_feature: ``(B, ..., Dt)`` text features.
        image_feature: ``(B, ..., Di)`` image features, same leading shape as the text.
        labels: integer class ids of shape ``(B, ...)`` (the logits without their class axis);
            floats holding whole numbers are accepted, bool or text labels are a TypeError.
        head: a callable (a Keras layer or model, or a function) mapping the fused
            ``(B, ..., Dt + Di)`` features to logits ``(B, ..., C)``.

    Returns:
        ``(fused, loss)``: the last-axis concatenation ``(B, ..., Dt + Di)`` and the mean
        sparse categorical cross-entropy of the logits (a scalar tensor, 0.0 for ``B = 0``).
    """
    if not callable(head):
        raise TypeError(f"head must be callable (a Keras layer, model or function), got {type(head).__name__}")
    t = _as_features(text_feature, "text_feature")
    i = _as_features(image_feature, "image_feature")
    if tuple(t.shape[:-1]) != tuple(i.shape[:-1]):
        raise ValueError(f"text_feature and image_feature must share every axis but the last, "
                         f"got shapes {tuple(t.shape)} and {tuple(i.shape)}")
    dtype = tf.float64 if t.dtype == tf.float64 and i.dtype == tf.float64 else tf.float32
    fused = tf.concat([tf.cast(t, dtype), tf.cast(i, dtype)], axis=-1)

    logits = tf.convert_to_tensor(head(fused))
    if not logits.dtype.is_floating or tuple(logits.shape[:-1]) != tuple(fused.shape[:-1]):
        raise ValueError(f"head must map fused features {tuple(fused.shape)} to float logits of shape "
                         f"{tuple(fused.shape[:-1])} + (C,), got {logits.dtype.name} {tuple(logits.shape)}")
    num_classes = logits.shape[-1]
    y = _as_labels(labels, logits.shape[:-1], num_classes)

    log_probs = tf.nn.log_softmax(logits, axis=-1)
    per_example = -tf.reduce_sum(tf.one_hot(y, num_classes, dtype=logits.dtype) * log_probs, axis=-1)
    count = tf.cast(tf.size(per_example), logits.dtype)
    loss = tf.math.divide_no_nan(tf.reduce_sum(per_example), count)
    return fused, loss
