"""Extra tests of the t25 reference: error messages, invariances, gradients."""

import numpy as np
import pytest

from solutions import prototype_classify


def test_dimension_mismatch_message_names_both_sizes():
    with pytest.raises(ValueError, match=r"embedding dimension D, got 4 and 3"):
        prototype_classify(np.zeros((2, 4)), [0, 1], np.zeros((1, 3)))


def test_label_count_message():
    with pytest.raises(ValueError, match=r"support_labels must have shape \(3,\).*got shape \(2,\)"):
        prototype_classify(np.zeros((3, 2)), [0, 1], np.zeros((1, 2)))


def test_rank_message():
    with pytest.raises(ValueError, match=r"query_emb must have shape \(N, D\), got shape \(2,\)"):
        prototype_classify(np.zeros((3, 2)), [0, 1, 1], np.zeros(2))


def test_empty_support_message():
    with pytest.raises(ValueError, match=r"at least one example, got 0 rows"):
        prototype_classify(np.zeros((0, 2)), np.zeros(0, dtype=int), np.zeros((1, 2)))


def test_labels_follow_the_bank_rule():
    # Whole-number floats are integer labels; a fractional label is a ValueError; bools are a TypeError.
    pred, _ = prototype_classify(np.array([[0.0, 0.0], [1.0, 0.0]]), [7.0, -2.0], np.array([[0.9, 0.0]]))
    assert pred.dtype.kind == "i" and pred.tolist() == [-2]
    with pytest.raises(ValueError, match=r"support_labels must hold whole numbers"):
        prototype_classify(np.zeros((2, 2)), [0.0, 1.5], np.zeros((1, 2)))
    with pytest.raises(TypeError, match=r"support_labels must hold integers, got dtype bool"):
        prototype_classify(np.zeros((2, 2)), [False, True], np.zeros((1, 2)))


def test_relabelling_permutes_columns_in_sorted_order():
    rng = np.random.default_rng(0)
    support, query = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    labels = np.array([0, 1, 2, 0, 1, 2])
    _, probs = prototype_classify(support, labels, query)
    mapping = np.array([50, -1, 3])  # 0 -> 50, 1 -> -1, 2 -> 3: sorted order [-1, 3, 50] = [1, 2, 0]
    pred, probs_relabelled = prototype_classify(support, mapping[labels], query)
    np.testing.assert_allclose(probs_relabelled.numpy(), probs.numpy()[:, [1, 2, 0]], rtol=1e-6)
    assert set(pred.tolist()) <= {50, -1, 3}


def test_gradient_wrt_query_matches_central_differences_in_float64():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    support, labels, query = rng.normal(size=(5, 3)), np.array([4, 4, 9, 1, 9]), rng.normal(size=(2, 3))
    target = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])

    def loss(q):
        return float(np.sum(target * np.log(prototype_classify(support, labels, q)[1].numpy())))

    qt = tf.constant(query)
    with tf.GradientTape() as tape:
        tape.watch(qt)
        value = tf.reduce_sum(target * tf.math.log(prototype_classify(support, labels, qt)[1]))
    grad = tape.gradient(value, qt).numpy()
    h = 1e-6
    numeric = np.zeros_like(query)
    for idx in np.ndindex(query.shape):
        dq = np.zeros_like(query)
        dq[idx] = h
        numeric[idx] = (loss(query + dq) - loss(query - dq)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_prototype_logits_are_linear_in_the_query():
    """Expanding -||f - p||^2: the probabilities equal a softmax of 2 p.f - ||p||^2 (||f||^2 cancels)."""
    import numpy as np

    from solutions import prototype_classify

    rng = np.random.default_rng(3)
    support = rng.normal(size=(6, 4))
    labels = np.array([5, 1, 5, 9, 1, 9])
    query = rng.normal(size=(3, 4))
    _, probs = prototype_classify(support, labels, query)
    protos = np.stack([support[labels == c].mean(axis=0) for c in (1, 5, 9)])
    logits = 2 * query @ protos.T - np.sum(protos**2, axis=1)
    want = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(np.asarray(probs), want / want.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
