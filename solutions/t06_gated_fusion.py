"""t06 · Gated cross-attention fusion (reference solution)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

__all__ = ["GatedAttentionFusion"]


def _features(x, name):
    """``x`` as a floating tensor of shape ``(B, L, D)``; TypeError / ValueError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if t.dtype.is_integer:
        t = tf.cast(t, tf.float32)
    elif not t.dtype.is_floating:
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank != 3:
        raise ValueError(f"{name} must have shape (B, L, D) (rank 3), got shape {tuple(t.shape)}")
    return t


def _masked_softmax(logits, mask):
    """Softmax over the last axis; ``mask`` False -> weight exactly 0; an all-masked row -> zeros."""
    if mask is None:
        return tf.nn.softmax(logits, axis=-1)
    mask = tf.broadcast_to(mask, tf.shape(logits))
    logits = tf.where(mask, logits, tf.reduce_min(logits, axis=-1, keepdims=True))
    shifted = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
    exp = tf.where(mask, tf.exp(shifted), tf.zeros_like(shifted))
    return tf.math.divide_no_nan(exp, tf.reduce_sum(exp, axis=-1, keepdims=True))


class GatedAttentionFusion(keras.layers.Layer):
    """Text tokens attend over image regions; a sigmoid gate mixes the result with the text.

    With ``q = text_proj(text)`` ``(B, Lt, H)``, ``k = key_proj(image)``, ``v = value_proj(image)``
    ``(B, Li, H)``:

        attended = softmax(q kᵀ / sqrt(H), over Li, masked) v          (B, Lt, H)
        g = gate([q, attended])      (Dense(H, sigmoid) on the concatenation, 2H -> H)
        output = g * attended + (1 - g) * q                              (B, Lt, H)

    The four sublayers are ``keras.layers.Dense`` with bias, named attributes ``text_proj``,
    ``key_proj``, ``value_proj`` and ``gate`` (8 trainable variables).
    """

    def __init__(self, hidden_size, **kwargs):
        """Create the sublayers once; ``hidden_size`` is a positive int (TypeError / ValueError)."""
        super().__init__(**kwargs)
        if isinstance(hidden_size, bool) or not isinstance(hidden_size, (int, np.integer)):
            raise TypeError(f"hidden_size must be a positive int, got {type(hidden_size).__name__}")
        if hidden_size < 1:
            raise ValueError(f"hidden_size must be a positive int, got {hidden_size}")
        self.hidden_size = int(hidden_size)
        # sublayers compute in this layer's dtype (e.g. float64 when built with dtype="float64")
        policy = self.dtype_policy
        self.text_proj = keras.layers.Dense(self.hidden_size, name="text_proj", dtype=policy)
        self.key_proj = keras.layers.Dense(self.hidden_size, name="key_proj", dtype=policy)
        self.value_proj = keras.layers.Dense(self.hidden_size, name="value_proj", dtype=policy)
        self.gate = keras.layers.Dense(self.hidden_size, activation="sigmoid", name="gate", dtype=policy)

    def call(self, text, image, image_mask=None):
        """Fuse ``text`` ``(B, Lt, Dt)`` with ``image`` ``(B, Li, Di)`` -> ``(B, Lt, hidden_size)``.

        ``image_mask``: optional boolean ``(B, Li)``, True = the image position is real. Masked
        positions get attention weight 0; a sample with no real position gets ``attended = 0``,
        so its output is ``(1 - g) * q``. ValueError for wrong ranks, batch sizes or mask
        shape; TypeError for non-numeric inputs or a non-boolean mask.
        """
        text = _features(text, "text")
        image = _features(image, "image")
        if text.shape[0] is not None and image.shape[0] is not None and text.shape[0] != image.shape[0]:
            raise ValueError(f"text and image must share the batch size, got {text.shape[0]} and {image.shape[0]}")
        mask = None
        if image_mask is not None:
            mask = tf.convert_to_tensor(image_mask)
            if mask.dtype != tf.bool:
                raise TypeError(f"image_mask must be boolean (True = real position), got dtype {mask.dtype.name}")
            if mask.shape.rank != 2 or not mask.shape.is_compatible_with([image.shape[0], image.shape[1]]):
                raise ValueError(f"image_mask must have shape (B, Li) = {(image.shape[0], image.shape[1])}, "
                                 f"got shape {tuple(mask.shape)}")
            mask = mask[:, tf.newaxis, :]  # (B, 1, Li): the same image positions for every text token

        q = self.text_proj(text)
        k = self.key_proj(image)
        v = self.value_proj(image)
        scale = tf.sqrt(tf.cast(self.hidden_size, q.dtype))
        weights = _masked_softmax(tf.matmul(q, k, transpose_b=True) / scale, mask)
        attended = tf.matmul(weights, v)
        g = self.gate(tf.concat([q, attended], axis=-1))
        return g * attended + (1.0 - g) * q

    def get_config(self):
        """Keras config: the base config plus ``hidden_size``."""
        config = super().get_config()
        config["hidden_size"] = self.hidden_size
        return config
