"""t11 · Multimodal mixup (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["multimodal_mixup"]


def _as_batch(x, name):
    """Convert ``x`` to a float tensor of shape ``(B, ...)`` with rank >= 2."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers of shape (B, ...), got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers of shape (B, ...), got {type(x).__name__}") from exc
    if not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank < 2:
        raise ValueError(f"{name} must have shape (B, ...) with rank >= 2, got shape {tuple(t.shape)}")
    return t if t.dtype in (tf.float32, tf.float64) else tf.cast(t, tf.float32)


def _check_one_hot(labels):
    """Labels must be (B, C) rows of class probabilities: one-hot, or already soft."""
    y = labels.numpy()
    if y.ndim != 2:
        raise ValueError(f"labels must be one-hot of shape (B, C) (e.g. tf.one_hot(ids, C)), got shape {y.shape}")
    if y.size and (np.any(y < 0) or not np.allclose(y.sum(axis=1), 1.0, rtol=0, atol=1e-5)):
        raise ValueError("labels must be one-hot rows (non-negative, each summing to 1), "
                         f"got rows summing to {np.round(y.sum(axis=1), 4).tolist()[:5]}")


def _mix(x, lam, perm):
    """``lam * x + (1 - lam) * x[perm]`` along the batch axis."""
    lam = tf.constant(lam, dtype=x.dtype)
    return lam * x + (1 - lam) * tf.gather(x, perm, axis=0)


def multimodal_mixup(text, image, labels, alpha=0.2, seed=None):
    """Mixup of a multimodal batch: one λ and one permutation for both modalities and the labels.

    ``lam ~ Beta(alpha, alpha)`` and a random permutation ``perm`` of the batch are drawn
    once; every sample is mixed with the sample ``perm[k]`` of the same batch:
    ``x_mix = lam * x + (1 - lam) * x[perm]`` for ``x`` in text, image and labels, so a
    mixed text stays paired with the mixed image and label made of the same two samples.

    Args:
        text: ``(B, ...)`` text features.
        image: ``(B, ...)`` image features.
        labels: ``(B, C)`` one-hot labels (soft labels whose rows sum to 1 are accepted).
        alpha: positive Beta parameter; small alpha gives λ near 0 or 1 (mild mixing).
        seed: integer seed; the same seed gives the same λ and permutation.

    Returns:
        ``(text_mix, image_mix, labels_mix, lam, perm)``: the mixed tensors (shapes of the
        inputs, labels as floats), ``lam`` a Python float in [0, 1] and ``perm`` an int64
        array of shape ``(B,)``.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"alpha must be a positive number, got {type(alpha).__name__}")
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a positive finite number, got {alpha}")
    t = _as_batch(text, "text")
    i = _as_batch(image, "image")
    y = _as_batch(labels, "labels")
    _check_one_hot(y)
    sizes = (t.shape[0], i.shape[0], y.shape[0])
    if len(set(sizes)) != 1:
        raise ValueError(f"text, image and labels must have the same batch size B, got {sizes}")
    b = sizes[0]

    generator = np.random.default_rng(seed)
    lam = float(generator.beta(alpha, alpha))
    perm = generator.permutation(b).astype(np.int64)
    text_mix = _mix(t, lam, perm)
    image_mix = _mix(i, lam, perm)
    labels_mix = _mix(y, lam, perm)
    return text_mix, image_mix, labels_mix, lam, perm
