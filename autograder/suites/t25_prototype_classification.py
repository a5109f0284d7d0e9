"""Checks of t25 · prototype classification.

Independent oracle: ``_np_prototypes`` in float64 NumPy, looping over the sorted label
values (``sorted(set(labels))``), with a max-shifted softmax of minus the squared
distances. Labels are non-contiguous, negative and unsorted in the support set (e.g.
``[42, -3, 7, 100]`` shuffled), so assuming labels 0..C-1, ordering the columns by first
appearance, or returning column indices instead of label values all fail. Embeddings are
small (distances of order 1), so the softmax is far from saturation: squared vs plain
distance, or sum vs mean prototypes, move the probabilities by far more than the tolerance.
"""

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect_array, expect_close, expect_equal, expect_raises, need, raised

suite = Suite("t25_prototype_classification", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_prototypes(support, labels, query):
    """Float64 oracle: ``(pred, probs)`` with columns in sorted label order."""
    support = np.asarray(support, dtype=np.float64)
    query = np.asarray(query, dtype=np.float64)
    labels = np.asarray(labels)
    classes = sorted(set(labels.tolist()))
    protos = np.stack([support[labels == c].mean(axis=0) for c in classes])
    sq = ((query[:, None, :] - protos[None, :, :]) ** 2).sum(axis=-1)
    logits = -sq - np.max(-sq, axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = np.array(classes)[np.argmax(probs, axis=1)]
    return pred, probs


def _episode(seed, classes=(42, -3, 7, 100), shots=(3, 3, 3, 3), n_query=6, d=5, spread=0.5):
    """Support embeddings clustered by class (unsorted order), and queries near the clusters."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0.0, 0.8, size=(len(classes), d))
    labels = np.repeat(np.array(classes), shots)
    support = centers[np.repeat(np.arange(len(classes)), shots)] + rng.normal(0.0, spread, size=(len(labels), d))
    order = rng.permutation(len(labels))
    query = centers[rng.integers(0, len(classes), size=n_query)] + rng.normal(0.0, spread, size=(n_query, d))
    return support[order], labels[order], query


def _hand_example():
    """Class 7 at (0, 0) and (2, 0): prototype (1, 0); class -2 at (0, 1), in the middle."""
    support = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    labels = np.array([7, -2, 7])
    query = np.array([[1.0, 0.5], [0.0, 0.5]])
    return support, labels, query


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """6 support rows of 3 classes and 5 queries: pred (5,), probs (5, 3)"""
    classify = need(ns, "prototype_classify")
    support = np.arange(24.0).reshape(6, 4) / 10.0
    pred, probs = classify(support, np.array([3, 1, 2, 3, 1, 2]), np.ones((5, 4)))
    return {"pred": pred, "probs": probs}


@output_shapes.verdict
def _(got):
    expect_array(got["pred"], "pred", shape=(5,), kinds="iu")
    expect_array(got["probs"], "probs", shape=(5, 3), kinds="f")


@suite.check("shape", hidden=True)
def empty_query_and_single_class(ns):
    """no queries gives pred (0,) and probs (0, C); a single class gives probs of ones (M, 1)"""
    classify = need(ns, "prototype_classify")
    support, labels, _ = _episode(1)
    pred0, probs0 = classify(support, labels, np.zeros((0, 5)))
    pred1, probs1 = classify(support[:3], np.full(3, 9), support[3:7])
    return {"pred0": pred0, "probs0": probs0, "pred1": pred1, "probs1": probs1}


@empty_query_and_single_class.verdict
def _(got):
    expect_array(got["pred0"], "pred for 0 queries", shape=(0,))
    expect_array(got["probs0"], "probs for 0 queries", shape=(0, 4))
    expect_equal(got["pred1"], np.full(4, 9), "pred with a single class 9")
    expect_close(got["probs1"], np.ones((4, 1)), "probs with a single class")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """labels [7, -2, 7]: prototypes (1, 0) and (0, 1); columns ordered [-2, 7]"""
    classify = need(ns, "prototype_classify")
    pred, probs = classify(*_hand_example())
    return {"pred": pred, "probs": probs}


@hand_worked_example.verdict
def _(got):
    # query (1, 0.5): squared distances 1.25 to class -2 and 0.25 to class 7
    # query (0, 0.5): squared distances 0.25 to class -2 and 1.25 to class 7
    # softmax([-1.25, -0.25]) = [sigmoid(-1), sigmoid(1)]
    low, high = 1.0 / (1.0 + np.exp(1.0)), 1.0 / (1.0 + np.exp(-1.0))
    expect_close(got["probs"], [[low, high], [high, low]], "probs (columns: label -2, label 7)")
    expect_equal(got["pred"], np.array([7, -2]), "pred")


@suite.check("numeric", hidden=True)
def matches_numpy_oracle(ns):
    """4 classes labelled [42, -3, 7, 100] in shuffled order: probs and pred match the formula"""
    classify = need(ns, "prototype_classify")
    pred, probs = classify(*_episode(2))
    return {"pred": pred, "probs": probs}


@matches_numpy_oracle.verdict
def _(got):
    want_pred, want_probs = _np_prototypes(*_episode(2))
    expect_close(got["probs"], want_probs, "probs")
    expect_equal(got["pred"], want_pred, "pred")


@suite.check("numeric", hidden=True)
def unequal_shots_use_the_mean(ns):
    """classes with 1, 2 and 5 shots: each prototype is the mean of its class"""
    classify = need(ns, "prototype_classify")
    pred, probs = classify(*_episode(3, classes=(5, 0, -8), shots=(1, 2, 5), n_query=7, d=3))
    return {"pred": pred, "probs": probs}


@unequal_shots_use_the_mean.verdict
def _(got):
    want_pred, want_probs = _np_prototypes(*_episode(3, classes=(5, 0, -8), shots=(1, 2, 5), n_query=7, d=3))
    expect_close(got["probs"], want_probs, "probs")
    expect_equal(got["pred"], want_pred, "pred")


@suite.check("numeric", hidden=True)
def stable_for_far_queries(ns):
    """queries ~1000 away (squared distances ~1e6) give finite probs equal to the stable softmax"""
    classify = need(ns, "prototype_classify")
    support, labels, query = _far_episode()
    pred, probs = classify(support, labels, query)
    return {"pred": pred, "probs": probs}


@stable_for_far_queries.verdict
def _(got):
    want_pred, want_probs = _np_prototypes(*_far_episode())
    expect_close(got["probs"], want_probs, "probs", atol=1e-5)
    expect_equal(got["pred"], want_pred, "pred")


def _far_episode():
    support = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    labels = np.array([4, 2, 9])
    query = np.array([[1000.0, 0.0], [0.0, -1000.0], [700.0, 700.5]])
    return support, labels, query


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def predicts_original_label_values(ns):
    """well-separated classes [42, 7, -2]: each support point is predicted as its own label"""
    classify = need(ns, "prototype_classify")
    support = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [0.2, 0.0], [3.0, 0.2], [0.0, 3.2]])
    labels = np.array([42, 7, -2, 42, 7, -2])
    pred, probs = classify(support, labels, support)
    return {"pred": pred, "probs": probs}


@predicts_original_label_values.verdict
def _(got):
    expect_equal(got["pred"], np.array([42, 7, -2, 42, 7, -2]), "pred")
    probs = expect_array(got["probs"], "probs", shape=(6, 3), kinds="f")
    expect_close(probs.sum(axis=1), np.ones(6), "probs summed over the classes")
    # sorted labels: column 0 is -2, column 1 is 7, column 2 is 42
    expect_equal(np.argmax(probs, axis=1), np.array([2, 1, 0, 2, 1, 0]), "argmax column (sorted label order)")


@suite.check("behavior", hidden=True)
def support_order_does_not_matter(ns):
    """reordering the support set leaves pred and probs unchanged"""
    classify = need(ns, "prototype_classify")
    support, labels, query = _episode(4)
    order = np.random.default_rng(40).permutation(len(labels))
    pred_a, probs_a = classify(support, labels, query)
    pred_b, probs_b = classify(support[order], labels[order], query)
    return {"pred_a": pred_a, "probs_a": probs_a, "pred_b": pred_b, "probs_b": probs_b}


@support_order_does_not_matter.verdict
def _(got):
    want_pred, want_probs = _np_prototypes(*_episode(4))
    expect_close(got["probs_a"], want_probs, "probs")
    expect_close(got["probs_b"], want_probs, "probs after reordering the support set")
    expect_equal(got["pred_b"], want_pred, "pred after reordering the support set")


@suite.check("behavior", hidden=True)
def lists_tensors_and_no_mutation(ns):
    """lists, tf tensors and whole-number float labels are accepted (pred stays integer), and the caller's arrays are
    unchanged"""
    import tensorflow as tf

    classify = need(ns, "prototype_classify")
    support, labels, query = _episode(5)
    pred_l, probs_l = classify(support.tolist(), labels.tolist(), query.tolist())
    pred_t, probs_t = classify(tf.constant(support), tf.constant(labels), tf.constant(query))
    pred_f, probs_f = classify(support, labels.astype(np.float64), query)
    return {"pred_l": pred_l, "probs_l": probs_l, "pred_t": pred_t, "probs_t": probs_t,
            "pred_f": pred_f, "probs_f": probs_f,
            "support": support, "labels": labels, "query": query}


@lists_tensors_and_no_mutation.verdict
def _(got):
    support, labels, query = _episode(5)
    want_pred, want_probs = _np_prototypes(support, labels, query)
    for kind, name in (("l", "lists"), ("t", "tensors"), ("f", "whole-number float labels")):
        expect_close(got[f"probs_{kind}"], want_probs, f"probs from {name}")
        expect_equal(got[f"pred_{kind}"], want_pred, f"pred from {name}")
    expect_array(got["pred_f"], "pred from whole-number float labels", kinds="iu")
    expect_close(got["support"], support, "support_emb after the call", rtol=0, atol=0)
    expect_equal(got["labels"], labels, "support_labels after the call")
    expect_close(got["query"], query, "query_emb after the call", rtol=0, atol=0)


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "support and query with different D": "ValueError",
        "one label fewer than support rows": "ValueError",
        "1-D embeddings": "ValueError",
        "an empty support set": "ValueError",
        "a fractional label (2.5)": "ValueError",
        "a string as support_emb": "TypeError",
        "bool labels": "TypeError",
    }


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """different D, label count, 1-D embeddings, an empty support set or a fractional label raise ValueError; a string
    or bool labels raise TypeError"""
    classify = need(ns, "prototype_classify")
    support, labels, query = _episode(6)
    return {
        "support and query with different D": raised(classify, support, labels, query[:, :4]),
        "one label fewer than support rows": raised(classify, support, labels[:-1], query),
        "1-D embeddings": raised(classify, support[0], labels[:1], query[0]),
        "an empty support set": raised(classify, np.zeros((0, 5)), np.zeros(0, dtype=int), query),
        "a fractional label (2.5)": raised(classify, support, np.where(labels == labels[0], 2.5, labels), query),
        "a string as support_emb": raised(classify, "support", labels, query),
        "bool labels": raised(classify, support, labels == labels[0], query),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
