"""t26 · Episodic few-shot training: episode sampling and the prototypical loss (reference solution)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

__all__ = ["sample_episode", "prototypical_episode_loss"]


def _as_int_labels(labels, name):
    """``labels`` as a 1-D integer NumPy array (a copy; whole-number floats become int64), raising
    TypeError/ValueError otherwise."""
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"{name} must be an array of integers, got {type(labels).__name__}")
    y = np.array(labels)
    if y.dtype.kind not in "iuf":  # bool ("b"), text, objects: not class labels
        raise TypeError(f"{name} must hold integers, got dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"{name} must hold whole numbers, got a fractional or non-finite value")
        y = y.astype(np.int64)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per example), got shape {y.shape}")
    return y


def _count(value, name, minimum):
    """``value`` as an int >= ``minimum``, raising TypeError/ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def sample_episode(labels, n_way, k_shot, n_query, seed=None):
    """Sample one N-way K-shot episode from a labelled pool.

    ``n_way`` distinct classes are drawn uniformly among the classes that have at least
    ``k_shot + n_query`` examples; for each, ``k_shot`` support and ``n_query`` query
    examples are drawn without replacement, so support and query never share an example.

    Args:
        labels: ``(N,)`` integer class labels of the pool (any values; whole-number floats accepted).
        n_way: number of classes (>= 1).
        k_shot: support examples per class (>= 1).
        n_query: query examples per class (>= 0; 0 gives an empty ``query_idx`` of shape ``(0,)``).
        seed: ``None`` or an int; the same seed gives the same episode.

    Returns:
        ``(support_idx, query_idx)``: int64 arrays of shapes ``(n_way * k_shot,)`` and
        ``(n_way * n_query,)``, indices into ``labels``, grouped by class.

    Raises:
        ValueError: when fewer than ``n_way`` classes have ``k_shot + n_query`` examples.
    """
    y = _as_int_labels(labels, "labels")
    n_way = _count(n_way, "n_way", 1)
    k_shot = _count(k_shot, "k_shot", 1)
    n_query = _count(n_query, "n_query", 0)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < n_way:
        raise ValueError(f"n_way={n_way} classes requested, but labels hold only {len(classes)} distinct classes")
    need = k_shot + n_query
    eligible = classes[counts >= need]
    if len(eligible) < n_way:
        raise ValueError(
            f"n_way={n_way} classes with at least k_shot + n_query = {need} examples each are needed, "
            f"but only {len(eligible)} of the {len(classes)} classes have that many (largest class: {counts.max()})"
        )
    rng = np.random.default_rng(seed)
    chosen = rng.choice(eligible, size=n_way, replace=False)
    support, query = [], []
    for c in chosen:
        members = rng.permutation(np.flatnonzero(y == c))[:need]
        support.append(members[:k_shot])
        query.append(members[k_shot:])
    return np.concatenate(support).astype(np.int64), np.concatenate(query).astype(np.int64)


def _prototype_log_probs(support_emb, support_labels, query_emb):
    """``(classes, log_probs)``: sorted classes and ``log softmax(-||q - p_c||²)`` of shape ``(M, C)``."""
    classes, index = np.unique(support_labels, return_inverse=True)
    counts = tf.constant(np.bincount(index, minlength=len(classes)), dtype=support_emb.dtype)
    prototypes = tf.math.unsorted_segment_sum(support_emb, index, len(classes)) / counts[:, None]
    sq_dist = tf.reduce_sum(tf.square(query_emb[:, None, :] - prototypes[None, :, :]), axis=-1)
    return classes, tf.nn.log_softmax(-sq_dist, axis=-1)


def _embed(encoder, x, name):
    """``encoder(x)`` (training mode for Keras layers) checked to be ``(len(x), D)``."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    t = tf.convert_to_tensor(x)
    if not (t.dtype.is_floating or t.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if not t.dtype.is_floating:
        t = tf.cast(t, tf.float32)
    emb = encoder(t, training=True) if isinstance(encoder, keras.layers.Layer) else encoder(t)
    emb = tf.convert_to_tensor(emb)
    if emb.shape.rank != 2:
        raise ValueError(f"encoder({name}) must give embeddings of shape (N, D), got shape {tuple(emb.shape)}")
    return emb


def prototypical_episode_loss(encoder, support_x, support_y, query_x, query_y):
    """Prototypical-network loss of one episode, differentiable w.r.t. the encoder's weights.

    Embeds support and query with ``encoder``, builds the class prototypes (means of the
    support embeddings, classes in sorted label order) and returns the mean over the queries
    of ``-log softmax(-||f(q) - p_c||²)[y_q]``.

    Args:
        encoder: a callable (e.g. a Keras layer or model) mapping ``(N, ...)`` to ``(N, D)``.
        support_x: ``(Ns, ...)`` support inputs; ``support_y``: ``(Ns,)`` integer labels.
        query_x: ``(Nq, ...)`` query inputs, Nq >= 1 (no query is a ValueError: the mean is
            undefined); ``query_y``: ``(Nq,)`` integer labels, each one of the support labels.

    Returns:
        scalar ``tf.Tensor``.
    """
    sy = _as_int_labels(support_y, "support_y")
    qy = _as_int_labels(query_y, "query_y")
    support_emb = _embed(encoder, support_x, "support_x")
    query_emb = _embed(encoder, query_x, "query_x")
    if support_emb.shape[0] != len(sy):
        raise ValueError(f"support_y must have one label per support example ({support_emb.shape[0]}), got {len(sy)}")
    if query_emb.shape[0] != len(qy):
        raise ValueError(f"query_y must have one label per query example ({query_emb.shape[0]}), got {len(qy)}")
    if len(sy) == 0 or len(qy) == 0:
        raise ValueError(f"an episode needs at least one support and one query example, got {len(sy)} and {len(qy)}")
    classes, log_probs = _prototype_log_probs(support_emb, sy, tf.cast(query_emb, support_emb.dtype))
    unknown = np.setdiff1d(qy, classes)
    if unknown.size:
        raise ValueError(f"query_y holds labels absent from support_y: {unknown.tolist()}")
    columns = np.searchsorted(classes, qy)
    picked = tf.gather(log_probs, columns, axis=1, batch_dims=1)
    return -tf.reduce_mean(picked)
