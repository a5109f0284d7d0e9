"""t39 · Group-wise int4 weight quantization, round-to-nearest (reference solution)."""

from __future__ import annotations

import numpy as np

__all__ = ["quantize_int4_groupwise", "dequantize_int4_groupwise"]


def _as_real_array(x, name):
    """``x`` as a NumPy array of real numbers (no copy), raising TypeError otherwise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {a.dtype}")
    return a


def _as_codes(x, name, low, high):
    """Integer codes in ``[low, high]`` as int64; floats holding whole numbers are accepted."""
    a = _as_real_array(x, name)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
            raise ValueError(f"{name} must hold whole numbers, got a fractional or non-finite value")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if a.size and (a.min() < low or a.max() > high):
        raise ValueError(f"{name} must lie in [{low}, {high}], got values in [{a.min()}, {a.max()}]")
    return a.astype(np.int64)


def _checked_group_size(group_size, d_in):
    """``group_size`` as an int that divides ``d_in``, raising TypeError/ValueError otherwise."""
    if isinstance(group_size, (bool, np.bool_)) or not isinstance(group_size, (int, np.integer)):
        raise TypeError(f"group_size must be an int, got {type(group_size).__name__}")
    if group_size <= 0:
        raise ValueError(f"group_size must be positive, got {group_size}")
    if d_in % group_size:
        raise ValueError(f"d_in = {d_in} is not a multiple of group_size = {group_size}")
    return int(group_size)


def _positive_float32_scales(raw):
    """float32 scales from float64 ``raw``; a zero (or float32-underflowing) scale becomes 1."""
    with np.errstate(over="ignore"):
        scales = raw.astype(np.float32)
    if not np.all(np.isfinite(scales)):
        raise ValueError("weights are too large for float32 scales")
    return np.where(scales > 0, scales, np.float32(1.0)).astype(np.float32)


def quantize_int4_groupwise(w, group_size=128, symmetric=False):
    """Round-to-nearest int4 quantization of a ``(d_in, d_out)`` weight in groups along ``d_in``.

    Group ``g`` of column ``j`` is ``w[g*group_size:(g+1)*group_size, j]``; each group has its
    own scale (and, if asymmetric, its own zero point). Rounding is ``np.round`` (half to even).

    Asymmetric (default), with the group's range extended to contain 0:
    ``lo = min(min w, 0)``, ``hi = max(max w, 0)``, ``scale = (hi - lo) / 15``,
    ``zero = clip(round(-lo / scale), 0, 15)``, ``q = clip(round(w / scale) + zero, 0, 15)``.

    Symmetric: ``scale = max|w| / 7``, ``q = clip(round(w / scale), -8, 7)`` (so -8 is never
    produced) and ``zeros`` is ``None``.

    A group whose scale would be 0 (all zeros) gets ``scale = 1`` (and zero point 0): its codes
    and dequantized values are 0.

    Args:
        w: real ``(d_in, d_out)`` weight (Keras kernel layout), finite.
        group_size: positive int dividing ``d_in``.
        symmetric: bool.

    Returns:
        dict with ``"q"`` int8 ``(d_in, d_out)`` (0..15, or -8..7 if symmetric), ``"scales"``
        float32 ``(d_in // group_size, d_out)`` (> 0) and ``"zeros"`` int8
        ``(d_in // group_size, d_out)`` in 0..15, or ``None`` if symmetric.
    """
    a = _as_real_array(w, "w").astype(np.float64)  # astype copies: the input is never touched
    if a.ndim != 2:
        raise ValueError(f"w must be a 2-D (d_in, d_out) weight, got shape {a.shape}")
    if not isinstance(symmetric, (bool, np.bool_)):
        raise TypeError(f"symmetric must be a bool, got {type(symmetric).__name__}")
    gs = _checked_group_size(group_size, a.shape[0])
    if not np.all(np.isfinite(a)):
        raise ValueError("w must be finite, got NaN or inf")
    d_in, d_out = a.shape
    groups = a.reshape(d_in // gs, gs, d_out)  # groups[g, i, j] = w[g * gs + i, j]
    if symmetric:
        scales = _positive_float32_scales(np.max(np.abs(groups), axis=1) / 7.0)
        q = np.clip(np.round(groups / scales.astype(np.float64)[:, None, :]), -8, 7)
        zeros = None
    else:
        lo = np.minimum(groups.min(axis=1), 0.0)
        hi = np.maximum(groups.max(axis=1), 0.0)
        scales = _positive_float32_scales((hi - lo) / 15.0)
        s64 = scales.astype(np.float64)
        zero = np.clip(np.round(-lo / s64), 0, 15)
        q = np.clip(np.round(groups / s64[:, None, :]) + zero[:, None, :], 0, 15)
        zeros = zero.astype(np.int8)
    return {"q": q.reshape(d_in, d_out).astype(np.int8), "scales": scales, "zeros": zeros}


def dequantize_int4_groupwise(q, scales, zeros, group_size):
    """Invert :func:`quantize_int4_groupwise`: ``(q - zero) * scale`` of each row's group.

    Row ``i`` of ``q`` belongs to group ``i // group_size``. With ``zeros=None`` the codes are
    symmetric (-8..7) and the result is ``q * scale``.

    Args:
        q: integer codes ``(d_in, d_out)``: 0..15, or -8..7 if ``zeros`` is None (floats
            holding whole numbers are accepted).
        scales: ``(d_in // group_size, d_out)`` finite positive scales.
        zeros: ``(d_in // group_size, d_out)`` integer zero points in 0..15, or None.
        group_size: positive int dividing ``d_in``.

    Returns:
        float32 ``(d_in, d_out)``.
    """
    low, high = (-8, 7) if zeros is None else (0, 15)
    codes = _as_codes(q, "q", low, high)
    d_in, d_out = codes.shape
    gs = _checked_group_size(group_size, d_in)
    shape = (d_in // gs, d_out)
    s = _as_real_array(scales, "scales").astype(np.float32)
    if s.shape != shape:
        raise ValueError(f"scales must have shape {shape} for q of shape {codes.shape} and group_size {gs}, "
                         f"got shape {s.shape}")
    if not (np.all(np.isfinite(s)) and np.all(s > 0)):
        raise ValueError("scales must be finite and > 0")
    levels = codes
    if zeros is not None:
        z = _as_codes(zeros, "zeros", 0, 15)
        if z.shape != shape:
            raise ValueError(f"zeros must have shape {shape} for q of shape {codes.shape} and group_size {gs}, "
                             f"got shape {z.shape}")
        levels = codes - np.repeat(z, gs, axis=0)  # row i uses group i // gs
    return levels.astype(np.float32) * np.repeat(s, gs, axis=0)
