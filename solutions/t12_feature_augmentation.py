"""t12 · Feature augmentation: Gaussian noise and modality dropout (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["augment_features"]


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


def _as_number(value, name):
    """A finite Python float, else TypeError (not a number) or ValueError (NaN or infinite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _keep_mask(keep, x):
    """``keep`` (B,) booleans as a 0/1 tensor broadcastable to ``x`` (B, ...)."""
    shape = (keep.shape[0],) + (1,) * (x.shape.rank - 1)
    return tf.constant(keep.reshape(shape), dtype=x.dtype)


def augment_features(text, image, noise_std=0.1, modality_dropout=0.0, seed=None, training=True):
    """Training-time augmentation of a pair of feature batches.

    In training mode each modality gets its own independent Gaussian noise
    ``N(0, noise_std²)`` (element-wise), and with probability ``modality_dropout`` a sample
    loses one whole modality (text or image with equal chance, set to exactly 0), never
    both. At inference (``training=False``) the inputs come back unchanged.

    Args:
        text: ``(B, ...)`` text features.
        image: ``(B, ...)`` image features.
        noise_std: standard deviation of the noise, ``>= 0``.
        modality_dropout: per-sample probability of dropping one modality, in ``[0, 1]``.
        seed: integer seed; the same seed gives the same noise and the same drops.
        training: apply the augmentation only when True.

    Returns:
        ``(text_aug, image_aug)`` with the shapes and float dtypes of the inputs.
    """
    noise_std = _as_number(noise_std, "noise_std")
    modality_dropout = _as_number(modality_dropout, "modality_dropout")
    if noise_std < 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std}")
    if not 0.0 <= modality_dropout <= 1.0:
        raise ValueError(f"modality_dropout must be a probability in [0, 1], got {modality_dropout}")
    t = _as_batch(text, "text")
    i = _as_batch(image, "image")
    if t.shape[0] != i.shape[0]:
        raise ValueError(f"text and image must have the same batch size B, got {t.shape[0]} and {i.shape[0]}")
    if not training:
        return t, i

    generator = np.random.default_rng(seed)
    b = t.shape[0]
    text_noise = generator.normal(0.0, noise_std, size=tuple(t.shape))
    image_noise = generator.normal(0.0, noise_std, size=tuple(i.shape))
    dropped = generator.random(b) < modality_dropout
    drop_text = generator.random(b) < 0.5
    keep_text = ~(dropped & drop_text)
    keep_image = ~(dropped & ~drop_text)

    text_aug = (t + tf.constant(text_noise, dtype=t.dtype)) * _keep_mask(keep_text, t)
    image_aug = (i + tf.constant(image_noise, dtype=i.dtype)) * _keep_mask(keep_image, i)
    return text_aug, image_aug
