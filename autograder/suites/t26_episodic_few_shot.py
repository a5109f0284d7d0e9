"""Checks of t26 · episodic few-shot training.

``sample_episode`` is judged by properties recomputed from the labels (sizes, disjointness,
exactly ``n_way`` classes with ``k_shot`` / ``n_query`` examples each, only classes that
have enough examples, seeded determinism, variety over seeds) on pools whose labels are
non-contiguous, negative and shuffled.

``prototypical_episode_loss`` is judged against ``_np_episode_loss``, a float64 NumPy
oracle applied to embeddings computed in NumPy from the encoder's own weights: every probe
sets the Dense encoder's weights from ``_dense_weights`` (so the verdict knows them) and
returns the weights found after the call (the loss must not change them). Gradients are
checked in float64 against central differences of the NumPy oracle.
"""

import numpy as np

from autograder.checks import Suite
from autograder.runtime import (
    expect,
    expect_array,
    expect_close,
    expect_equal,
    expect_number,
    expect_raises,
    need,
    raised,
)

suite = Suite("t26_episodic_few_shot", points={"shape": 2, "numeric": 4, "behavior": 4})


# ------------------------------------------------------------------ episode helpers
def _pool():
    """Six classes with non-contiguous labels and unequal counts, shuffled.

    Counts: 100 -> 7, -5 -> 4, 3 -> 9, 77 -> 3, 9 -> 6, 42 -> 12.
    """
    labels = np.repeat(np.array([100, -5, 3, 77, 9, 42]), [7, 4, 9, 3, 6, 12])
    return labels[np.random.default_rng(123).permutation(len(labels))]


def _expect_episode(support, query, labels, n_way, k_shot, n_query, what):
    """Check one episode's structure; return the sorted chosen classes."""
    s = expect_array(support, f"{what}: support_idx", shape=(n_way * k_shot,), kinds="iu")
    q = expect_array(query, f"{what}: query_idx", shape=(n_way * n_query,), kinds="iu")
    both = np.concatenate([s, q]).astype(np.int64)
    expect(bool(np.all((both >= 0) & (both < len(labels)))), f"{what}: indices must be in [0, {len(labels)})")
    expect(len(np.unique(both)) == len(both), f"{what}: support and query indices must all be different")
    s_classes, s_counts = np.unique(labels[s], return_counts=True)
    expect(len(s_classes) == n_way, f"{what}: support must hold exactly {n_way} classes, got {len(s_classes)}")
    expect(bool(np.all(s_counts == k_shot)), f"{what}: support must hold {k_shot} examples of each class")
    if n_query:
        q_classes, q_counts = np.unique(labels[q], return_counts=True)
        expect(bool(np.array_equal(q_classes, s_classes)), f"{what}: query classes must be the support classes")
        expect(bool(np.all(q_counts == n_query)), f"{what}: query must hold {n_query} examples of each class")
    return s_classes


# --------------------------------------------------------------------- loss helpers
def _dense_weights(seed, d_in, d_out):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.4, size=(d_in, d_out)), rng.normal(0.0, 0.2, size=(d_out,))


def _dense_encoder(seed, d_in, d_out, dtype="float32"):
    """A Dense encoder whose weights are ``_dense_weights(seed, d_in, d_out)``."""
    import keras

    keras.utils.set_random_seed(seed)
    encoder = keras.layers.Dense(d_out, dtype=dtype)
    encoder.build((None, d_in))
    encoder.set_weights([w.astype(dtype) for w in _dense_weights(seed, d_in, d_out)])
    return encoder


def _loss_episode(seed, classes=(13, -4, 8, 21), k_shot=3, n_query=2, d_in=6):
    """Support/query inputs clustered by class; labels shuffled and non-contiguous."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0.0, 1.0, size=(len(classes), d_in))
    s_cls = rng.permutation(np.repeat(np.arange(len(classes)), k_shot))
    q_cls = rng.permutation(np.repeat(np.arange(len(classes)), n_query))
    support_x = centers[s_cls] + rng.normal(0.0, 0.5, size=(len(s_cls), d_in))
    query_x = centers[q_cls] + rng.normal(0.0, 0.5, size=(len(q_cls), d_in))
    labels = np.array(classes)
    return support_x, labels[s_cls], query_x, labels[q_cls]


def _np_episode_loss(support_emb, support_y, query_emb, query_y):
    """Float64 oracle: mean cross-entropy of softmax(-squared distance to class means)."""
    support_emb = np.asarray(support_emb, dtype=np.float64)
    query_emb = np.asarray(query_emb, dtype=np.float64)
    classes = sorted(set(np.asarray(support_y).tolist()))
    protos = np.stack([support_emb[np.asarray(support_y) == c].mean(axis=0) for c in classes])
    logits = -((query_emb[:, None, :] - protos[None, :, :]) ** 2).sum(axis=-1)
    top = logits.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    columns = [classes.index(v) for v in np.asarray(query_y).tolist()]
    return float(np.mean(log_z - logits[np.arange(len(columns)), columns]))


def _np_dense_loss(kernel, bias, support_x, support_y, query_x, query_y):
    return _np_episode_loss(support_x @ kernel + bias, support_y, query_x @ kernel + bias, query_y)


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def episode_sizes(ns):
    """5 classes x 10 examples, 3-way 2-shot 4-query: support (6,), query (12,) integer indices"""
    sample = need(ns, "sample_episode")
    support, query = sample(np.repeat(np.arange(5), 10), 3, 2, 4, seed=0)
    return {"support": support, "query": query}


@episode_sizes.verdict
def _(got):
    expect_array(got["support"], "support_idx", shape=(6,), kinds="iu")
    expect_array(got["query"], "query_idx", shape=(12,), kinds="iu")


@suite.check("shape", hidden=True)
def zero_queries_tensor_labels_and_scalar_loss(ns):
    """n_query=0 gives an empty query; tensor and list labels work; the loss is a scalar"""
    import tensorflow as tf

    sample = need(ns, "sample_episode")
    loss_fn = need(ns, "prototypical_episode_loss")
    s0, q0 = sample(_pool(), 2, 3, 0, seed=1)
    s_t, q_t = sample(tf.constant(_pool()), 3, 2, 2, seed=2)
    s_l, q_l = sample(_pool().tolist(), 3, 2, 2, seed=2)
    loss = loss_fn(_dense_encoder(1, 6, 4), *_loss_episode(1))
    return {"s0": s0, "q0": q0, "s_t": s_t, "q_t": q_t, "s_l": s_l, "q_l": q_l, "loss": loss}


@zero_queries_tensor_labels_and_scalar_loss.verdict
def _(got):
    _expect_episode(got["s0"], got["q0"], _pool(), 2, 3, 0, "2-way 3-shot 0-query")
    _expect_episode(got["s_t"], got["q_t"], _pool(), 3, 2, 2, "labels as a tensor")
    _expect_episode(got["s_l"], got["q_l"], _pool(), 3, 2, 2, "labels as a list")
    expect_array(got["loss"], "loss", shape=(), kinds="f")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def loss_hand_worked_example(ns):
    """identity encoder, support labels [7, -2, 7]: loss = log(1 + e^-1) ~ 0.31326"""
    import keras

    loss_fn = need(ns, "prototypical_episode_loss")
    encoder = keras.layers.Dense(2, use_bias=False)
    encoder.build((None, 2))
    encoder.set_weights([np.eye(2, dtype="float32")])
    support_x = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    query_x = np.array([[1.0, 0.5], [0.0, 0.5]])
    return {"loss": loss_fn(encoder, support_x, np.array([7, -2, 7]), query_x, np.array([7, -2]))}


@loss_hand_worked_example.verdict
def _(got):
    # prototypes: class -2 at (0, 1), class 7 at (1, 0)
    # query (1, 0.5), label 7:  squared distances [1.25, 0.25] -> p(7)  = sigmoid(1)
    # query (0, 0.5), label -2: squared distances [0.25, 1.25] -> p(-2) = sigmoid(1)
    expect_close(expect_number(got["loss"], "loss"), np.log1p(np.exp(-1.0)), "loss")


@suite.check("numeric", hidden=True)
def loss_matches_numpy_oracle(ns):
    """random 4-way 3-shot episode with labels [13, -4, 8, 21]: loss equals the NumPy formula"""
    loss_fn = need(ns, "prototypical_episode_loss")
    encoder = _dense_encoder(2, 6, 4)
    loss = loss_fn(encoder, *_loss_episode(2))
    kernel, bias = encoder.get_weights()
    return {"loss": loss, "kernel": kernel, "bias": bias}


@loss_matches_numpy_oracle.verdict
def _(got):
    kernel, bias = _dense_weights(2, 6, 4)
    # the encoder is float32: its weights hold to ~1e-7 and the loss to ~1e-6 (hence atol=1e-5)
    expect_close(got["kernel"], kernel, "encoder kernel after the call", rtol=1e-6, atol=1e-7)
    expect_close(got["bias"], bias, "encoder bias after the call", rtol=1e-6, atol=1e-7)
    want = _np_dense_loss(kernel, bias, *_loss_episode(2))
    expect_close(expect_number(got["loss"], "loss"), want, "loss", rtol=1e-5, atol=1e-5)


@suite.check("numeric", hidden=True)
def loss_gradient_matches_central_differences(ns):
    """float64 Dense encoder: d loss / d kernel and d bias equal central differences"""
    import tensorflow as tf

    loss_fn = need(ns, "prototypical_episode_loss")
    encoder = _dense_encoder(3, 4, 3, dtype="float64")
    episode = _loss_episode(3, classes=(5, -1, 30), k_shot=2, n_query=3, d_in=4)
    with tf.GradientTape() as tape:
        loss = loss_fn(encoder, *episode)
    grads = tape.gradient(loss, [encoder.kernel, encoder.bias])
    if any(g is None for g in grads):
        return {"loss": loss, "detached": True}
    return {"loss": loss, "detached": False, "d_kernel": grads[0], "d_bias": grads[1]}


@loss_gradient_matches_central_differences.verdict
def _(got):
    expect(got["detached"] is False, "no gradient reaches the encoder's kernel or bias (the loss is detached)")
    kernel, bias = _dense_weights(3, 4, 3)
    episode = _loss_episode(3, classes=(5, -1, 30), k_shot=2, n_query=3, d_in=4)
    expect_close(expect_number(got["loss"], "loss"), _np_dense_loss(kernel, bias, *episode), "loss")
    h = 1e-6
    d_kernel = np.zeros_like(kernel)
    for idx in np.ndindex(kernel.shape):
        step = np.zeros_like(kernel)
        step[idx] = h
        d_kernel[idx] = (_np_dense_loss(kernel + step, bias, *episode)
                         - _np_dense_loss(kernel - step, bias, *episode)) / (2 * h)
    d_bias = np.zeros_like(bias)
    for i in range(len(bias)):
        step = np.zeros_like(bias)
        step[i] = h
        d_bias[i] = (_np_dense_loss(kernel, bias + step, *episode)
                     - _np_dense_loss(kernel, bias - step, *episode)) / (2 * h)
    expect(bool(np.max(np.abs(d_kernel)) > 1e-3), "degenerate gradient check (internal error)")
    expect_close(got["d_kernel"], d_kernel, "d loss / d kernel", rtol=1e-5, atol=1e-7)
    expect_close(got["d_bias"], d_bias, "d loss / d bias", rtol=1e-5, atol=1e-7)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def episode_structure(ns):
    """3-way 2-shot 4-query: disjoint, exactly 3 classes, 2 support and 4 query examples each"""
    sample = need(ns, "sample_episode")
    support, query = sample(np.repeat(np.arange(5), 10), 3, 2, 4, seed=0)
    return {"support": support, "query": query}


@episode_structure.verdict
def _(got):
    _expect_episode(got["support"], got["query"], np.repeat(np.arange(5), 10), 3, 2, 4, "episode")


@suite.check("behavior", hidden=True)
def episodes_from_a_shuffled_unequal_pool(ns):
    """labels [100, -5, 3, 77, 9, 42] with 3..12 examples: 40 seeded episodes are all valid and varied"""
    sample = need(ns, "sample_episode")
    episodes = [sample(_pool(), 3, 2, 3, seed=s) for s in range(40)]
    return {"support": [np.asarray(e[0]) for e in episodes], "query": [np.asarray(e[1]) for e in episodes]}


@episodes_from_a_shuffled_unequal_pool.verdict
def _(got):
    labels = _pool()
    support = expect_array(got["support"], "support_idx of 40 episodes", shape=(40, 6), kinds="iu")
    query = expect_array(got["query"], "query_idx of 40 episodes", shape=(40, 9), kinds="iu")
    chosen = set()
    for i in range(40):
        chosen |= set(_expect_episode(support[i], query[i], labels, 3, 2, 3, f"episode {i}").tolist())
    # -5 (4 examples) and 77 (3 examples) cannot supply 2 + 3 examples
    expect(chosen <= {100, 3, 9, 42}, "classes with fewer than k_shot + n_query examples were sampled")
    expect(chosen == {100, 3, 9, 42}, "over 40 seeds every class with enough examples should be sampled")
    used_42 = set(np.concatenate([support, query], axis=1).ravel().tolist()) & set(np.flatnonzero(labels == 42))
    expect(len(used_42) >= 10, "examples within a class must be drawn at random, not always the same ones")


@suite.check("behavior", hidden=True)
def seeded_determinism(ns):
    """the same seed gives the same episode; different seeds give different episodes"""
    sample = need(ns, "sample_episode")
    first = sample(_pool(), 3, 2, 2, seed=7)
    again = sample(_pool(), 3, 2, 2, seed=7)
    others = [np.concatenate([np.asarray(a) for a in sample(_pool(), 3, 2, 2, seed=s)]) for s in range(6)]
    unseeded = sample(_pool(), 3, 2, 2)
    return {"first": np.concatenate([np.asarray(a) for a in first]),
            "again": np.concatenate([np.asarray(a) for a in again]),
            "others": others, "s_none": unseeded[0], "q_none": unseeded[1]}


@seeded_determinism.verdict
def _(got):
    expect_equal(got["again"], expect_array(got["first"], "episode with seed 7", shape=(12,), kinds="iu"),
                 "second episode with seed 7")
    others = expect_array(got["others"], "episodes with seeds 0..5", shape=(6, 12), kinds="iu")
    distinct = len({tuple(row.tolist()) for row in others})
    expect(distinct >= 5, f"seeds 0..5 gave only {distinct} different episodes")
    _expect_episode(got["s_none"], got["q_none"], _pool(), 3, 2, 2, "episode with seed=None")


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "n_way=7 with 6 classes": "ValueError",
        "5-way 2-shot 3-query with 4 classes of >= 5 examples": "ValueError",
        "k_shot=13 with at most 12 examples per class": "ValueError",
        "n_way=0": "ValueError",
        "k_shot=0": "ValueError",
        "n_query=-1": "ValueError",
        "n_way=2.5": "TypeError",
        "k_shot=True": "TypeError",
        "a fractional label (2.5) in the pool": "ValueError",
        "a query label absent from support_y": "ValueError",
        "one support label missing": "ValueError",
        "one query example missing": "ValueError",
        "a string as support_x": "TypeError",
        "bool support_y": "TypeError",
        "no query example (n_query = 0)": "ValueError",
    }


def _episode_cases():
    """The cases of _bad_input_expectations() that impossible_episode_is_an_error tries."""
    return (
        "n_way=7 with 6 classes",
        "5-way 2-shot 3-query with 4 classes of >= 5 examples",
        "k_shot=13 with at most 12 examples per class",
        "n_way=0",
        "k_shot=0",
        "n_query=-1",
        "n_way=2.5",
        "k_shot=True",
        "a fractional label (2.5) in the pool",
    )


@suite.check("behavior", hidden=True)
def impossible_episode_is_an_error(ns):
    """impossible episodes and bad counts raise ValueError, non-integer counts TypeError; the exact boundary works"""
    sample = need(ns, "sample_episode")
    boundary = sample(_pool(), 4, 3, 3, seed=0)  # classes 100, 3, 9 (exactly 6), 42 have >= 6
    return {
        "n_way=7 with 6 classes": raised(sample, _pool(), 7, 1, 1, seed=0),
        "5-way 2-shot 3-query with 4 classes of >= 5 examples": raised(sample, _pool(), 5, 2, 3, seed=0),
        "k_shot=13 with at most 12 examples per class": raised(sample, _pool(), 1, 13, 0, seed=0),
        "n_way=0": raised(sample, _pool(), 0, 1, 1, seed=0),
        "k_shot=0": raised(sample, _pool(), 2, 0, 1, seed=0),
        "n_query=-1": raised(sample, _pool(), 2, 1, -1, seed=0),
        "n_way=2.5": raised(sample, _pool(), 2.5, 1, 1, seed=0),
        "k_shot=True": raised(sample, _pool(), 2, True, 1, seed=0),
        "a fractional label (2.5) in the pool": raised(sample, np.where(_pool() == 3, 2.5, _pool()), 2, 1, 1, seed=0),
        "boundary_s": boundary[0],
        "boundary_q": boundary[1],
    }


@impossible_episode_is_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in _episode_cases():
        expect_raises(got[label], expected[label], label)
    _expect_episode(got["boundary_s"], got["boundary_q"], _pool(), 4, 3, 3,
                    "4-way 3-shot 3-query (a class with exactly 6 examples is allowed)")


@suite.check("behavior", hidden=True)
def gradients_reach_every_encoder_variable(ns):
    """a 2-layer encoder: every trainable variable gets a finite, nonzero gradient"""
    import keras
    import tensorflow as tf

    loss_fn = need(ns, "prototypical_episode_loss")
    keras.utils.set_random_seed(4)
    encoder = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(3)])
    with tf.GradientTape() as tape:
        loss = loss_fn(encoder, *_loss_episode(4))
    grads = tape.gradient(loss, encoder.trainable_variables)
    norms = [-1.0 if g is None else float(tf.reduce_sum(tf.abs(g))) for g in grads]
    return {"norms": norms, "loss": loss}


@gradients_reach_every_encoder_variable.verdict
def _(got):
    norms = expect_array(got["norms"], "gradient norms", shape=(4,), kinds="f")
    expect(bool(np.all(norms != -1.0)), "some encoder variables get no gradient (None): the loss is detached")
    expect(bool(np.all(np.isfinite(norms)) and np.all(norms > 1e-8)), "some encoder variables get a zero gradient")
    expect(expect_number(got["loss"], "loss") > 0, "the loss of a random encoder must be positive")


def _loss_cases():
    """The cases of _bad_input_expectations() that loss_bad_input_is_an_error tries."""
    return (
        "a query label absent from support_y",
        "one support label missing",
        "one query example missing",
        "a string as support_x",
        "bool support_y",
        "no query example (n_query = 0)",
    )


@suite.check("behavior", hidden=True)
def loss_bad_input_is_an_error(ns):
    """a query label absent from the support set, label counts not matching or no query raise ValueError; text or
    bool labels TypeError"""
    loss_fn = need(ns, "prototypical_episode_loss")
    encoder = _dense_encoder(5, 6, 4)
    support_x, support_y, query_x, query_y = _loss_episode(5)
    unknown = query_y.copy()
    unknown[0] = 999
    return {
        "a query label absent from support_y": raised(loss_fn, encoder, support_x, support_y, query_x, unknown),
        "one support label missing": raised(loss_fn, encoder, support_x, support_y[:-1], query_x, query_y),
        "one query example missing": raised(loss_fn, encoder, support_x, support_y, query_x[:-1], query_y),
        "a string as support_x": raised(loss_fn, encoder, "support", support_y, query_x, query_y),
        "bool support_y": raised(loss_fn, encoder, support_x, support_y == support_y[0], query_x, query_y),
        "no query example (n_query = 0)": raised(loss_fn, encoder, support_x, support_y, query_x[:0], query_y[:0]),
    }


@loss_bad_input_is_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in _loss_cases():
        expect_raises(got[label], expected[label], label)
