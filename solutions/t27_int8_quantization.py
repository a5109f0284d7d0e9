"""t27 · Symmetric per-channel int8 quantization (reference solution)."""

from __future__ import annotations

import numpy as np

__all__ = ["quantize_int8", "dequantize_int8"]


def _as_numeric_array(x, name):
    """``x`` as a NumPy array of numbers (no copy), raising TypeError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    return a


def _channel_axis(ndim, axis, name):
    """Normalise ``axis`` for an array of rank ``ndim`` (rank >= 1), raising on bad values."""
    if ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the channel axis), got a scalar")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis must be in [{-ndim}, {ndim - 1}] for {name} of rank {ndim}, got {axis}")
    return int(axis) % ndim


def _channel_shape(ndim, axis):
    """Shape that broadcasts a ``(channels,)`` vector along ``axis`` of a rank-``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = -1
    return shape


def quantize_int8(weights, axis=-1):
    """Symmetric per-channel int8 quantization of ``weights`` along ``axis``.

    For every channel ``c`` (every index of ``axis``), ``scale[c] = max|w_c| / 127`` and
    ``q = clip(round(w / scale), -127, 127)``; ``round`` is NumPy's round-half-to-even.
    An all-zero channel gets ``scale = 1`` (so its values quantize to 0, never NaN).

    Args:
        weights: array of real numbers of rank >= 1 (list, NumPy array, tensor, Keras variable).
        axis: the channel axis (default: the last one, the output units of a Dense kernel).

    Returns:
        ``(q, scale)``: ``q`` int8 of the shape of ``weights`` with values in [-127, 127],
        ``scale`` float32 of shape ``(weights.shape[axis],)``, every entry > 0.
    """
    w = _as_numeric_array(weights, "weights").astype(np.float64)  # astype copies: input untouched
    ax = _channel_axis(w.ndim, axis, "weights")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite, got NaN or inf")
    reduce_axes = tuple(i for i in range(w.ndim) if i != ax)
    amax = np.max(np.abs(w), axis=reduce_axes, initial=0.0)
    with np.errstate(over="ignore"):
        scale = (amax / 127.0).astype(np.float32)
    if not np.all(np.isfinite(scale)):
        raise ValueError("weights are too large for a float32 scale (max |w| / 127 overflows float32)")
    # An all-zero channel (or one whose scale underflows float32) gets scale 1: q = 0 there.
    scale = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    ratio = w / scale.astype(np.float64).reshape(_channel_shape(w.ndim, ax))
    q = np.clip(np.round(ratio), -127, 127).astype(np.int8)
    return q, scale


def dequantize_int8(q, scale, axis=-1):
    """Invert :func:`quantize_int8`: ``q * scale`` with ``scale`` broadcast along ``axis``.

    Args:
        q: integer array (int8 values) of rank >= 1.
        scale: ``(q.shape[axis],)`` positive scales.
        axis: the channel axis used when quantizing.

    Returns:
        float32 array of the shape of ``q``.
    """
    qa = _as_numeric_array(q, "q")
    if qa.dtype.kind not in "iu":
        raise TypeError(f"q must hold integers (int8 codes), got dtype {qa.dtype}")
    s = _as_numeric_array(scale, "scale").astype(np.float32)
    ax = _channel_axis(qa.ndim, axis, "q")
    if s.shape != (qa.shape[ax],):
        raise ValueError(
            f"scale must have shape ({qa.shape[ax]},), one entry per channel along axis {axis} of q "
            f"with shape {qa.shape}, got shape {s.shape}"
        )
    return qa.astype(np.float32) * s.reshape(_channel_shape(qa.ndim, ax))
