"""t31 · LLaVA-style connector and the masked next-token loss (reference solution)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

__all__ = ["MlpProjector", "masked_next_token_loss"]


def _vision_features(x):
    """``x`` as a floating tensor of shape ``(B, N, Dv)``; TypeError / ValueError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"features must be an array of numbers of shape (B, N, Dv), got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"features must be an array of numbers of shape (B, N, Dv), got {type(x).__name__}") from exc
    if t.dtype.is_integer:
        t = tf.cast(t, tf.float32)
    elif not t.dtype.is_floating:
        raise TypeError(f"features must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank != 3:
        raise ValueError(f"features must have shape (B, N, Dv) (rank 3), got shape {tuple(t.shape)}")
    return t


class MlpProjector(keras.layers.Layer):
    """LLaVA-1.5's connector: ``linear_2(gelu(linear_1(features)))``, applied to every token.

    ``linear_1`` is ``Dense(llm_dim)`` (Dv -> llm_dim) and ``linear_2`` is ``Dense(llm_dim)``
    (llm_dim -> llm_dim), both with bias; between them the exact (erf) GELU,
    ``gelu(x) = x * Phi(x)``; no normalisation. 4 trainable variables.
    """

    def __init__(self, llm_dim, **kwargs):
        """Create both Dense sublayers once; ``llm_dim`` is a positive int (TypeError / ValueError)."""
        super().__init__(**kwargs)
        if isinstance(llm_dim, bool) or not isinstance(llm_dim, (int, np.integer)):
            raise TypeError(f"llm_dim must be a positive int, got {type(llm_dim).__name__}")
        if llm_dim < 1:
            raise ValueError(f"llm_dim must be a positive int, got {llm_dim}")
        self.llm_dim = int(llm_dim)
        policy = self.dtype_policy  # sublayers compute in this layer's dtype (e.g. float64)
        self.linear_1 = keras.layers.Dense(self.llm_dim, name="linear_1", dtype=policy)
        self.linear_2 = keras.layers.Dense(self.llm_dim, name="linear_2", dtype=policy)

    def build(self, input_shape):
        """Create the weights for features of shape ``input_shape = (B, N, Dv)``."""
        self.linear_1.build(input_shape)
        self.linear_2.build((*tuple(input_shape)[:-1], self.llm_dim))

    def call(self, features):
        """Project vision features ``(B, N, Dv)`` to LLM embeddings ``(B, N, llm_dim)``.

        Every token is projected on its own (no mixing across the N tokens). ValueError for a
        rank other than 3 or a Dv different from the one of the first call; TypeError for
        ``None`` or non-numeric features.
        """
        x = _vision_features(features)
        if self.linear_1.built and x.shape[-1] != self.linear_1.kernel.shape[0]:
            raise ValueError(f"features must have Dv = {self.linear_1.kernel.shape[0]} (the width of the first "
                             f"call), got Dv = {x.shape[-1]}")
        hidden = keras.activations.gelu(self.linear_1(x), approximate=False)
        return self.linear_2(hidden)

    def get_config(self):
        """Keras config: the base config plus ``llm_dim``."""
        config = super().get_config()
        config["llm_dim"] = self.llm_dim
        return config


def _as_logits(x):
    """``x`` as a float tensor of shape ``(B, L, V)`` with V >= 1."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"logits must be an array of numbers of shape (B, L, V), got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"logits must be an array of numbers of shape (B, L, V), got {type(x).__name__}") from exc
    if t.dtype == tf.bool or not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"logits must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank != 3:
        raise ValueError(f"logits must have shape (B, L, V) (rank 3), got shape {tuple(t.shape)}")
    if t.shape[-1] == 0:
        raise ValueError("logits must have at least one class (V >= 1), got V = 0")
    return t if t.dtype in (tf.float32, tf.float64) else tf.cast(t, tf.float32)


def _as_ignore_index(value):
    """An integer scalar (bool, float or text: TypeError)."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(f"ignore_index must be an int, got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype.kind not in "iu":
        raise TypeError(f"ignore_index must be an int, got {type(value).__name__} with dtype {array.dtype}")
    if array.ndim != 0:
        raise ValueError(f"ignore_index must be a scalar, got shape {array.shape}")
    return int(array)


def _as_labels(labels, batch_shape, vocab, ignore):
    """``labels`` as an int64 array of shape ``batch_shape``, each a class in [0, vocab) or ``ignore``."""
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"labels must be an array of integers of shape (B, L), got {type(labels).__name__}")
    array = np.asarray(labels)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError("labels must be whole numbers (class indices or ignore_index), got fractional values")
        array = array.astype(np.int64)
    elif array.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers (class indices or ignore_index), got dtype {array.dtype}")
    if array.shape != tuple(batch_shape):
        raise ValueError(f"labels must have shape (B, L) = {tuple(batch_shape)} like logits, got shape {array.shape}")
    targets = array.astype(np.int64, copy=False)
    real = targets[targets != ignore]
    if real.size and (real.min() < 0 or real.max() >= vocab):
        raise ValueError(f"labels must be in [0, V) = [0, {vocab}) or equal ignore_index = {ignore}, "
                         f"got values from {real.min()} to {real.max()}")
    return targets


def masked_next_token_loss(logits, labels, ignore_index=-100, reduction="token"):
    """Next-token cross-entropy that skips the positions whose label is ``ignore_index``.

    Args:
        logits: ``(B, L, V)`` scores; position ``t`` predicts ``labels[:, t]`` (labels are
            already shifted: ``labels[:, t]`` is the token that follows position ``t``).
        labels: ``(B, L)`` integers, a class in ``[0, V)`` or ``ignore_index`` (prompt, image
            and padding positions).
        ignore_index: the integer marking positions without a target (default -100).
        reduction: ``"token"`` averages over every unmasked position of the batch;
            ``"sample"`` averages each sample over its unmasked positions, then averages the
            samples that have at least one.

    Returns:
        A scalar tensor (float64 for float64 logits, else float32); 0.0 when no position
        has a target (never NaN).
    """
    ignore = _as_ignore_index(ignore_index)
    if not isinstance(reduction, str):
        raise TypeError(f"reduction must be 'token' or 'sample', got {type(reduction).__name__}")
    if reduction not in ("token", "sample"):
        raise ValueError(f"reduction must be 'token' or 'sample', got {reduction!r}")
    x = _as_logits(logits)
    targets = _as_labels(labels, x.shape[:2], x.shape[-1], ignore)

    keep = targets != ignore
    safe = np.where(keep, targets, 0)  # a valid index everywhere; masked positions are zeroed below
    log_probs = tf.nn.log_softmax(x, axis=-1)  # max-shifted: stable for logits of 1e4
    picked = tf.reduce_sum(log_probs * tf.one_hot(safe, x.shape[-1], dtype=x.dtype), axis=-1)  # (B, L)
    nll = tf.where(tf.constant(keep), -picked, tf.zeros_like(picked))
    counts = tf.reduce_sum(tf.cast(keep, x.dtype), axis=-1)  # unmasked positions per sample, (B,)
    if reduction == "token":
        return tf.math.divide_no_nan(tf.reduce_sum(nll), tf.reduce_sum(counts))
    per_sample = tf.math.divide_no_nan(tf.reduce_sum(nll, axis=-1), counts)
    samples = tf.reduce_sum(tf.cast(counts > 0, x.dtype))
    return tf.math.divide_no_nan(tf.reduce_sum(per_sample), samples)
