"""t02 · Concatenation and cross-attention fusion (reference solution)."""

from __future__ import annotations

import tensorflow as tf

__all__ = ["concatenate_features", "cross_attention_fusion"]


def _as_numeric_tensor(x, name):
    """Convert ``x`` to a float tensor (integers become float32), raising TypeError for non-numbers."""
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
    return t


def _common_float(a, b):
    """Cast two float tensors to one dtype: the wider of the two."""
    if a.dtype == b.dtype:
        return a, b
    dtype = a.dtype if a.dtype.size >= b.dtype.size else b.dtype
    return tf.cast(a, dtype), tf.cast(b, dtype)


def concatenate_features(text_feature, image_feature):
    """Concatenate text and image features on the last (feature) axis.

    Args:
        text_feature: ``(..., Dt)``, at least 1-D.
        image_feature: ``(..., Di)`` with the same leading shape ``...`` as the text.

    Returns:
        ``(..., Dt + Di)``: each sample's text features followed by its image features.

    Raises:
        ValueError: rank-0 input, or leading shapes that differ.
        TypeError: input that is not an array of numbers.
    """
    t = _as_numeric_tensor(text_feature, "text_feature")
    i = _as_numeric_tensor(image_feature, "image_feature")
    if t.shape.rank == 0 or i.shape.rank == 0:
        raise ValueError(
            f"features must have at least one axis (..., D), got shapes {tuple(t.shape)} and {tuple(i.shape)}"
        )
    if t.shape[:-1] != i.shape[:-1]:
        raise ValueError(
            "text_feature and image_feature must have the same leading shape (all axes but the last), "
            f"got {tuple(t.shape)} and {tuple(i.shape)}"
        )
    t, i = _common_float(t, i)
    return tf.concat([t, i], axis=-1)


def cross_attention_fusion(text_feature, image_feature):
    """Text tokens attend over the image regions of the same sample; residual connection.

    ``A = softmax(T Iᵀ / sqrt(D))`` over the image axis ``Li``; returns ``T + A I``.

    Args:
        text_feature: ``(B, Lt, D)``, the queries.
        image_feature: ``(B, Li, D)``, the keys and values.

    Returns:
        ``(B, Lt, D)``.

    Raises:
        ValueError: inputs that are not rank 3, different batch sizes B or depths D.
        TypeError: input that is not an array of numbers.
    """
    t = _as_numeric_tensor(text_feature, "text_feature")
    i = _as_numeric_tensor(image_feature, "image_feature")
    if t.shape.rank != 3 or i.shape.rank != 3:
        raise ValueError(
            "text_feature and image_feature must have shapes (B, Lt, D) and (B, Li, D), "
            f"got {tuple(t.shape)} and {tuple(i.shape)}"
        )
    if t.shape[0] != i.shape[0]:
        raise ValueError(f"text_feature and image_feature must have the same batch size B, "
                         f"got {t.shape[0]} and {i.shape[0]}")
    if t.shape[-1] != i.shape[-1]:
        raise ValueError(f"text_feature and image_feature must have the same depth D, "
                         f"got {t.shape[-1]} and {i.shape[-1]}")
    t, i = _common_float(t, i)
    scale = tf.sqrt(tf.cast(tf.shape(t)[-1], t.dtype))
    logits = tf.matmul(t, i, transpose_b=True) / scale  # (B, Lt, Li): one sample at a time
    weights = tf.nn.softmax(logits, axis=-1)  # over the image regions Li
    return t + tf.matmul(weights, i)
