"""t34 · Rotary position embeddings, 1-D and 2-D (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["rope_1d", "rope_2d"]


def _features(x, divisor):
    """``x`` as a float tensor of shape ``(..., L, D)`` with ``D`` a positive multiple of ``divisor``."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"x must be an array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be an array of numbers, got {type(x).__name__}") from exc
    if t.dtype == tf.bool or not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"x must hold real numbers, got dtype {t.dtype.name}")
    if not t.dtype.is_floating:
        t = tf.cast(t, tf.float32)
    if t.shape.rank < 2:
        raise ValueError(f"x must have shape (..., L, D) with rank >= 2, got shape {tuple(t.shape)}")
    depth = t.shape[-1]
    if depth == 0 or depth % divisor:
        raise ValueError(f"the last dimension D of x must be a positive multiple of {divisor}, got D = {depth}")
    return t


def _positions(positions, name, shape):
    """``positions`` as a float64 NumPy array that broadcasts to ``shape`` (x without its last axis)."""
    if isinstance(positions, (str, bytes)) or positions is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(positions).__name__}")
    try:
        p = np.asarray(positions)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(positions).__name__}") from exc
    if p.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {p.dtype}")
    try:
        fits = np.broadcast_shapes(p.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name} must broadcast to x's shape without its last axis {shape}, got shape {p.shape}")
    p = p.astype(np.float64)
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be finite, got NaN or inf")
    return p


def _base(base):
    """``base`` as a Python float > 1."""
    if isinstance(base, bool) or not isinstance(base, (int, float, np.integer, np.floating)):
        raise TypeError(f"base must be a real number > 1, got {type(base).__name__} {base!r}")
    base = float(base)
    if not math.isfinite(base) or base <= 1.0:
        raise ValueError(f"base must be a finite number > 1, got {base}")
    return base


def _inverse_frequencies(depth, base):
    """``theta_i = base ** (-2i / depth)`` for ``i = 0 .. depth/2 - 1``, float64."""
    return base ** (-np.arange(0, depth, 2, dtype=np.float64) / depth)


def _rotate_pairs(x, angles):
    """Rotate each pair ``(x[2i], x[2i+1])`` of ``x`` ``(..., L, D)`` by ``angles[..., i]`` (float64 NumPy,
    broadcastable to ``(..., L, D/2)``): ``x * cos + swap(x) * sin`` with ``swap(x) = (x1, x0, x3, x2, ...)``."""
    depth = x.shape[-1]
    cos = np.repeat(np.cos(angles), 2, axis=-1)  # c0 c0 c1 c1 ...
    sin = np.stack([-np.sin(angles), np.sin(angles)], axis=-1).reshape(cos.shape)  # -s0 s0 -s1 s1 ...
    pairs = tf.reshape(x, tf.concat([tf.shape(x)[:-1], [depth // 2, 2]], axis=0))
    swapped = tf.reshape(tf.reverse(pairs, axis=[-1]), tf.shape(x))
    return x * tf.constant(cos, x.dtype) + swapped * tf.constant(sin, x.dtype)


def rope_1d(x, positions, base=10000.0):
    """Rotary position embedding (Su et al. 2021) with interleaved pairs.

    Each pair ``(x[..., 2i], x[..., 2i+1])`` of the token at position ``m`` is rotated by the
    angle ``m * theta_i`` with ``theta_i = base ** (-2i / D)``, ``i = 0 .. D/2 - 1``:
    ``(a, b) -> (a cos - b sin, a sin + b cos)``. Angles are computed in float64.

    Args:
        x: ``(..., L, D)`` queries or keys, ``D`` even; integer input is cast to float32.
        positions: real positions (fractions allowed, e.g. interpolated), broadcastable to
            ``x.shape[:-1]``: ``(L,)`` for one sequence, ``(B, 1, L)`` per sample, ...
        base: the frequency base, a real number > 1.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    x = _features(x, 2)
    p = _positions(positions, "positions", tuple(x.shape[:-1]))
    angles = p[..., np.newaxis] * _inverse_frequencies(x.shape[-1], _base(base))  # float64 (..., L, D/2)
    return _rotate_pairs(x, angles)


def rope_2d(x, rows, cols, base=10000.0):
    """Axial 2-D rotary embedding for image patches (as in Qwen2-VL's vision encoder).

    The first half of the features, ``x[..., :D/2]``, gets ``rope_1d`` by ``rows`` and the second
    half, ``x[..., D/2:]``, gets ``rope_1d`` by ``cols``, each half with its own spectrum
    ``base ** (-2i / (D/2))``, ``i = 0 .. D/4 - 1``.

    Args:
        x: ``(..., L, D)`` with ``D`` a multiple of 4 (``L`` patches).
        rows, cols: the row and column of each patch, each broadcastable to ``x.shape[:-1]``.
        base: the frequency base, a real number > 1.

    Returns:
        A tensor of ``x``'s shape and float dtype.
    """
    x = _features(x, 4)
    shape = tuple(x.shape[:-1])
    r = _positions(rows, "rows", shape)
    c = _positions(cols, "cols", shape)
    theta = _inverse_frequencies(x.shape[-1] // 2, _base(base))  # the spectrum of a D/2-dim half
    r, c = np.broadcast_arrays(r, c)
    angles = np.concatenate([r[..., np.newaxis] * theta, c[..., np.newaxis] * theta], axis=-1)  # (..., L, D/2)
    return _rotate_pairs(x, angles)
