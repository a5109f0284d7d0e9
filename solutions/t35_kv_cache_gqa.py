"""t35 · One KV-cache decoding step with grouped-query attention (reference solution)."""

from __future__ import annotations

import math

import tensorflow as tf

__all__ = ["gqa_decode_step"]


def _as_4d(x, name):
    """Convert ``x`` to a numeric tensor of rank 4, raising TypeError/ValueError otherwise."""
    if isinstance(x, (str, bytes, bool)) or x is None:
        raise TypeError(f"{name} must be an array of numbers of rank 4, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers of rank 4, got {type(x).__name__}") from exc
    if t.dtype == tf.bool or not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank != 4:
        raise ValueError(f"{name} must have rank 4, got shape {tuple(t.shape)}")
    return t


def gqa_decode_step(q, k_new, v_new, k_cache, v_cache):
    """One decoding step of grouped-query attention with a KV cache.

    The new key and value are appended to the caches (along the time axis, at the end);
    then query head ``h`` attends over KV head ``h // (Hq // Hkv)`` (consecutive groups of
    ``Hq // Hkv`` query heads share one KV head) with ``softmax(q kᵀ / sqrt(D)) v`` over all
    ``T + 1`` cached positions. ``Hkv = Hq`` is multi-head attention, ``Hkv = 1`` multi-query.

    Args:
        q: ``(B, Hq, 1, D)`` the new token's queries.
        k_new: ``(B, Hkv, 1, D)`` the new token's keys.
        v_new: ``(B, Hkv, 1, D)`` the new token's values.
        k_cache: ``(B, Hkv, T, D)`` keys of the ``T >= 0`` earlier tokens.
        v_cache: ``(B, Hkv, T, D)`` values of the earlier tokens.

    Returns:
        ``(output, k_cache_new, v_cache_new)`` of shapes ``(B, Hq, 1, D)``,
        ``(B, Hkv, T + 1, D)``, ``(B, Hkv, T + 1, D)``: float64 when every input is float64,
        else float32. The inputs are not changed.
    """
    names = ("q", "k_new", "v_new", "k_cache", "v_cache")
    tensors = [_as_4d(x, name) for x, name in zip((q, k_new, v_new, k_cache, v_cache), names, strict=True)]
    shapes = {name: tuple(t.shape) for name, t in zip(names, tensors, strict=True)}
    batch, n_q, steps, depth = shapes["q"]
    n_kv = shapes["k_new"][1]
    if depth == 0:
        raise ValueError(f"the head dimension D must be at least 1, got q of shape {shapes['q']}")
    if steps != 1:
        raise ValueError(f"q must hold one new token, shape (B, Hq, 1, D), got {shapes['q']}")
    for name in ("k_new", "v_new"):
        if shapes[name] != (batch, n_kv, 1, depth):
            raise ValueError(f"{name} must have shape (B, Hkv, 1, D) = {(batch, n_kv, 1, depth)}, "
                             f"got {shapes[name]} (q has shape {shapes['q']})")
    t_len = shapes["k_cache"][2]
    for name in ("k_cache", "v_cache"):
        if shapes[name] != (batch, n_kv, t_len, depth):
            raise ValueError(f"{name} must have shape (B, Hkv, T, D) = {(batch, n_kv, t_len, depth)}, "
                             f"got {shapes[name]}")
    if n_kv == 0 or n_q % n_kv != 0:
        raise ValueError(f"the number of query heads must be a multiple of the number of KV heads, "
                         f"got Hq = {n_q} and Hkv = {n_kv}")
    dtype = tf.float64 if all(t.dtype == tf.float64 for t in tensors) else tf.float32
    q, k_new, v_new, k_cache, v_cache = (tf.cast(t, dtype) for t in tensors)
    q = q * (1.0 / math.sqrt(depth))  # (q / sqrt(D)) kᵀ = q kᵀ / sqrt(D): scale Hq·D numbers, not Hq·(T+1)
    group = n_q // n_kv

    keys = tf.concat([k_cache, k_new], axis=2)  # (B, Hkv, T + 1, D)
    values = tf.concat([v_cache, v_new], axis=2)
    # Query head h = kv * group + g: consecutive query heads share a KV head (no KV copy).
    grouped = tf.reshape(q, (batch, n_kv, group, depth))
    logits = tf.einsum("bkgd,bktd->bkgt", grouped, keys)
    weights = tf.nn.softmax(logits, axis=-1)
    out = tf.einsum("bkgt,bktd->bkgd", weights, values)
    return tf.reshape(out, (batch, n_q, 1, depth)), keys, values
