"""t03 · Tensor fusion (reference solution)."""

from __future__ import annotations

import tensorflow as tf

__all__ = ["tensor_fusion"]


def _as_matrix(x, name):
    """Convert ``x`` to a 2-D float tensor ``(B, D)``, raising TypeError/ValueError otherwise."""
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
        raise ValueError(f"{name} must have shape (B, D), got shape {tuple(t.shape)}")
    return t


def tensor_fusion(text_feature, image_feature):
    """Tensor Fusion (Zadeh et al. 2017): the flattened outer product of ``[t, 1]`` and ``[i, 1]``.

    Appending a constant 1 to each vector keeps the unimodal features (``t_a * 1`` and
    ``1 * i_b``) and a constant next to the bimodal products ``t_a * i_b``.

    Args:
        text_feature: ``(B, Dt)``.
        image_feature: ``(B, Di)``.

    Returns:
        ``(B, (Dt + 1) * (Di + 1))``; entry ``a * (Di + 1) + b`` of a row is
        ``[t, 1][a] * [i, 1][b]`` (text index major).

    Raises:
        ValueError: inputs that are not 2-D, or different batch sizes.
        TypeError: input that is not an array of numbers.
    """
    t = _as_matrix(text_feature, "text_feature")
    i = _as_matrix(image_feature, "image_feature")
    if t.shape[0] != i.shape[0]:
        raise ValueError(f"text_feature and image_feature must have the same batch size, "
                         f"got {t.shape[0]} and {i.shape[0]}")
    if t.dtype != i.dtype:
        dtype = t.dtype if t.dtype.size >= i.dtype.size else i.dtype
        t, i = tf.cast(t, dtype), tf.cast(i, dtype)
    ones = tf.ones_like(t[:, :1])
    t1 = tf.concat([t, ones], axis=1)  # (B, Dt + 1)
    i1 = tf.concat([i, ones], axis=1)  # (B, Di + 1)
    outer = tf.einsum("bi,bj->bij", t1, i1)  # (B, Dt + 1, Di + 1)
    # The size is explicit: NumPy's reshape(0, -1) cannot infer it for an empty batch.
    return tf.reshape(outer, (tf.shape(t)[0], (t.shape[1] + 1) * (i.shape[1] + 1)))
