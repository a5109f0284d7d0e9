"""t40 · FastV-style visual-token pruning (reference solution)."""

from __future__ import annotations

import numpy as np

__all__ = ["prune_visual_tokens", "attention_output_change"]


def _as_real_array(x, name, ndim):
    """``x`` as a NumPy array of real numbers of rank ``ndim`` (no copy), finite."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have rank {ndim}, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got NaN or inf")
    return a


def _count(value, name):
    """A non-negative int (NumPy ints accepted; bool and float are TypeError)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def prune_visual_tokens(hidden, attention, image_start, num_image_tokens, keep, queries="all"):
    """Keep the ``keep`` image tokens that receive the most attention, and every text token.

    The image tokens are positions ``image_start .. image_start + num_image_tokens - 1``. The
    score of image token ``j`` in sample ``b`` is the attention it receives, averaged over the
    heads and over the query positions: all ``L`` positions (``queries="all"``, FastV's paper)
    or only the last one, ``L - 1`` (``queries="last"``, FastV's released code). Ties go to the
    lower position. The kept image tokens stay in their original order, between the text before
    and after the image.

    Args:
        hidden: ``(B, L, D)`` hidden states entering the next layer.
        attention: ``(B, H, L, L)`` attention weights of the scoring layer
            (``attention[b, h, query, key]``), finite and >= 0, ``H >= 1``.
        image_start: int >= 0, the first image position.
        num_image_tokens: int >= 0 with ``image_start + num_image_tokens <= L``.
        keep: int in ``[0, num_image_tokens]``.
        queries: ``"all"`` or ``"last"``.

    Returns:
        ``(pruned_hidden, kept_indices)``: ``(B, L - num_image_tokens + keep, D)`` with the
        dtype of ``hidden`` (float32 for integer input), and int64 ``(B, keep)`` holding the
        kept image tokens' positions in the original sequence, increasing.
    """
    h = _as_real_array(hidden, "hidden", 3)
    a = _as_real_array(attention, "attention", 4)
    if not isinstance(queries, str):
        raise TypeError(f"queries must be a str ('all' or 'last'), got {type(queries).__name__}")
    if queries not in ("all", "last"):
        raise ValueError(f"queries must be 'all' or 'last', got {queries!r}")
    start = _count(image_start, "image_start")
    count = _count(num_image_tokens, "num_image_tokens")
    k = _count(keep, "keep")
    batch, length, _ = h.shape
    if a.shape[0] != batch or a.shape[2:] != (length, length) or a.shape[1] < 1:
        raise ValueError(f"attention must have shape (B, H, L, L) = ({batch}, H >= 1, {length}, {length}) "
                         f"for hidden of shape {h.shape}, got {a.shape}")
    if length < 1:
        raise ValueError("the sequence must have at least one position, got L = 0")
    if start + count > length:
        raise ValueError(f"the image span [{start}, {start + count}) must lie inside the sequence of length {length}")
    if k > count:
        raise ValueError(f"keep must be at most num_image_tokens = {count}, got {k}")
    if np.any(a < 0):
        raise ValueError("attention weights must be >= 0")

    received = a[..., start:start + count].astype(np.float64)  # (B, H, L, N): attention each image key receives
    scores = received.mean(axis=(1, 2)) if queries == "all" else received[:, :, -1, :].mean(axis=1)
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]  # stable: a tie goes to the lower position
    kept = np.sort(best, axis=1).astype(np.int64) + start
    before = np.broadcast_to(np.arange(start), (batch, start))
    after = np.broadcast_to(np.arange(start + count, length), (batch, length - start - count))
    positions = np.concatenate([before, kept, after], axis=1).astype(np.int64)
    out = np.take_along_axis(h, positions[:, :, None], axis=1)
    if out.dtype.kind != "f":
        out = out.astype(np.float32)
    return out, kept


def attention_output_change(hidden, pruned_hidden, w_q, w_k, w_v):
    """How far pruning moves the next layer's attention output at the last position.

    For a sequence ``X`` (``(B, L, D)``), one attention head reads from the last position:
    ``q = X[:, -1] @ w_q``, ``K = X @ w_k``, ``V = X @ w_v``,
    ``o = softmax(K q / sqrt(d_k)) V`` (softmax over the positions). The result is
    ``|| o(pruned_hidden) - o(hidden) ||_2`` per sample. The last position of both sequences
    must be the same (text) token.

    Args:
        hidden: ``(B, L, D)`` full sequence, ``L >= 1``.
        pruned_hidden: ``(B, L', D)`` pruned sequence, ``L' >= 1``.
        w_q, w_k: ``(D, d_k)`` projections; w_v: ``(D, d_v)``.

    Returns:
        float64 ``(B,)``: the Euclidean distance between the two outputs, >= 0.
    """
    full = _as_real_array(hidden, "hidden", 3).astype(np.float64)
    pruned = _as_real_array(pruned_hidden, "pruned_hidden", 3).astype(np.float64)
    wq = _as_real_array(w_q, "w_q", 2).astype(np.float64)
    wk = _as_real_array(w_k, "w_k", 2).astype(np.float64)
    wv = _as_real_array(w_v, "w_v", 2).astype(np.float64)
    if pruned.shape[0] != full.shape[0] or pruned.shape[2] != full.shape[2]:
        raise ValueError(f"hidden and pruned_hidden must share B and D, got {full.shape} and {pruned.shape}")
    if full.shape[1] < 1 or pruned.shape[1] < 1:
        raise ValueError(f"both sequences need at least one position, got {full.shape} and {pruned.shape}")
    if wq.shape != wk.shape or wq.shape[0] != full.shape[2] or wv.shape[0] != full.shape[2]:
        raise ValueError(f"w_q and w_k must be (D, d_k) and w_v (D, d_v) with D = {full.shape[2]}, got "
                         f"{wq.shape}, {wk.shape} and {wv.shape}")

    def last_output(x):
        q = x[:, -1, :] @ wq  # (B, d_k)
        logits = np.einsum("bld,bd->bl", x @ wk, q) / np.sqrt(wq.shape[1])
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("bl,blv->bv", weights, x @ wv)

    return np.linalg.norm(last_output(pruned) - last_output(full), axis=-1)
