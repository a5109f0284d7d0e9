"""t36 · Direct preference optimization: the DPO loss and sequence log-probabilities (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["dpo_loss", "sequence_logprob"]


def _as_float(x, name, rank):
    """Convert ``x`` to a float tensor of the given rank (a tensor keeps its gradient)."""
    if isinstance(x, (str, bytes, bool)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if t.dtype == tf.bool or not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank != rank:
        raise ValueError(f"{name} must have rank {rank}, got shape {tuple(t.shape)}")
    return t


def _as_beta(beta):
    """A positive finite number, returned as a Python float."""
    if isinstance(beta, (str, bytes, bool)) or beta is None:
        raise TypeError(f"beta must be a positive number, got {type(beta).__name__}")
    array = np.asarray(beta)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"beta must be a positive number, got dtype {array.dtype}")
    if array.shape != ():
        raise ValueError(f"beta must be a scalar, got shape {array.shape}")
    value = float(array)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"beta must be a positive finite number, got {value}")
    return value


def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1):
    """The DPO loss of a batch of preference pairs (Rafailov et al., 2023).

    With the implicit rewards ``r = beta * (log pi(y|x) - log pi_ref(y|x))``, the loss is the
    mean over the batch of ``-log sigmoid(r_chosen - r_rejected)``, computed as
    ``softplus(-(r_chosen - r_rejected))`` so that margins of 1e4 stay finite.

    Args:
        policy_chosen_logps: ``(B,)`` log pi(y_chosen | x), summed over the response tokens.
        policy_rejected_logps: ``(B,)`` log pi(y_rejected | x).
        ref_chosen_logps: ``(B,)`` the same under the frozen reference model.
        ref_rejected_logps: ``(B,)``.
        beta: positive number, the strength of the KL penalty.

    Returns:
        ``(loss, chosen_rewards, rejected_rewards)``: a scalar (0.0 for a batch of 0) and two
        ``(B,)`` arrays, float64 when all four inputs are float64, else float32. The rewards
        are metrics: no gradient flows through them.
    """
    beta = _as_beta(beta)
    names = ("policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps", "ref_rejected_logps")
    args = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    tensors = [_as_float(x, name, 1) for x, name in zip(args, names, strict=True)]
    shapes = [tuple(t.shape) for t in tensors]
    if len(set(shapes)) != 1:
        raise ValueError(f"the four log-probability arrays must have the same shape (B,), got {shapes}")
    dtype = tf.float64 if all(t.dtype == tf.float64 for t in tensors) else tf.float32
    policy_chosen, policy_rejected, ref_chosen, ref_rejected = (tf.cast(t, dtype) for t in tensors)

    chosen_rewards = beta * (policy_chosen - ref_chosen)
    rejected_rewards = beta * (policy_rejected - ref_rejected)
    losses = tf.nn.softplus(-(chosen_rewards - rejected_rewards))  # -log sigmoid(m) = softplus(-m)
    count = tf.cast(tf.size(losses), dtype)
    loss = tf.math.divide_no_nan(tf.reduce_sum(losses), count)
    return loss, tf.stop_gradient(chosen_rewards), tf.stop_gradient(rejected_rewards)


def _as_labels(labels):
    """Integer labels as an int64 NumPy array: whole-number floats accepted, bool and text refused."""
    if isinstance(labels, (str, bytes, bool)) or labels is None:
        raise TypeError(f"labels must be an array of integers, got {type(labels).__name__}")
    array = np.asarray(labels)
    if array.dtype == np.bool_ or array.dtype.kind not in "iuf":
        raise TypeError(f"labels must be an array of integers, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError("labels must hold whole numbers, got a fractional or non-finite value")
    return array.astype(np.int64)


def _as_mask(mask):
    """A boolean NumPy array from a boolean or 0/1 numeric mask."""
    if isinstance(mask, (str, bytes)) or mask is None:
        raise TypeError(f"mask must be an array of booleans or 0/1 numbers, got {type(mask).__name__}")
    array = np.asarray(mask)
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind not in "iuf":
        raise TypeError(f"mask must be an array of booleans or 0/1 numbers, got dtype {array.dtype}")
    if not np.all((array == 0) | (array == 1)):
        raise ValueError("mask must hold only 0 and 1 (or booleans)")
    return array == 1


def sequence_logprob(logits, labels, mask):
    """Sum of the log-probabilities of the labels over the positions where ``mask`` is set.

    ``logits[b, t]`` is the distribution that scores ``labels[b, t]`` (the caller has already
    aligned them: for a causal LM, ``logits[:, :-1]`` with ``labels[:, 1:]``). Labels where
    ``mask`` is off are never read and may hold anything, e.g. the ignore index -100.

    Args:
        logits: ``(B, L, V)`` unnormalised scores.
        labels: ``(B, L)`` integer token ids in ``[0, V)`` where ``mask`` is on.
        mask: ``(B, L)`` booleans or 0/1 numbers; on for the response tokens.

    Returns:
        ``(B,)``: ``sum_t mask[b, t] * log_softmax(logits[b, t])[labels[b, t]]``, float64 for
        float64 logits, else float32; differentiable with respect to ``logits``.
    """
    scores = _as_float(logits, "logits", 3)
    if not scores.dtype.is_floating:
        scores = tf.cast(scores, tf.float32)
    ids = _as_labels(labels)
    keep = _as_mask(mask)
    batch, length, vocab = tuple(scores.shape)
    if ids.shape != (batch, length):
        raise ValueError(f"labels must have shape (B, L) = {(batch, length)}, got {ids.shape}")
    if keep.shape != (batch, length):
        raise ValueError(f"mask must have shape (B, L) = {(batch, length)}, got {keep.shape}")
    used = ids[keep]
    if used.size and (used.min() < 0 or used.max() >= vocab):
        raise ValueError(f"labels where mask is on must lie in [0, V) = [0, {vocab}), "
                         f"got values from {used.min()} to {used.max()}")
    safe = np.where(keep, ids, 0)  # masked positions may hold -100: never index with them
    log_probs = tf.nn.log_softmax(scores, axis=-1)
    picked = tf.reduce_sum(log_probs * tf.one_hot(safe, vocab, dtype=log_probs.dtype), axis=-1)  # (B, L)
    return tf.reduce_sum(tf.where(tf.constant(keep), picked, tf.zeros_like(picked)), axis=-1)
