"""Extra tests of the t13 reference: messages, agreement with TF's own cross-entropy, gradients."""

import numpy as np
import pytest
import tensorflow as tf

from solutions import clip_contrastive_loss


def test_mismatched_shapes_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"same shape \(B, D\), got \(3, 4\) and \(2, 4\)"):
        clip_contrastive_loss(np.ones((3, 4)), np.ones((2, 4)))


def test_rank_message_names_the_shape():
    with pytest.raises(ValueError, match=r"image_emb must have shape \(B, D\), got shape \(4,\)"):
        clip_contrastive_loss(np.ones((1, 4)), np.ones(4))


def test_temperature_message_names_the_value():
    with pytest.raises(ValueError, match=r"temperature must be a positive finite number, got 0.0"):
        clip_contrastive_loss(np.ones((2, 4)), np.ones((2, 4)), temperature=0)
    with pytest.raises(TypeError, match=r"temperature must be a positive number, got str"):
        clip_contrastive_loss(np.ones((2, 4)), np.ones((2, 4)), temperature="0.1")


def test_string_embeddings_are_a_type_error():
    with pytest.raises(TypeError, match=r"text_emb must hold numbers, got dtype string"):
        clip_contrastive_loss(np.array([["a", "b"]]), np.ones((1, 2)))


def test_equals_tf_sparse_softmax_cross_entropy_both_ways():
    rng = np.random.default_rng(0)
    t, i = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    tn = t / np.linalg.norm(t, axis=1, keepdims=True)
    inn = i / np.linalg.norm(i, axis=1, keepdims=True)
    logits = tn @ inn.T / 0.2
    labels = np.arange(5)
    rows = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits).numpy().mean()
    cols = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits.T).numpy().mean()
    got = clip_contrastive_loss(t, i, temperature=0.2)
    assert got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), (rows + cols) / 2, rtol=1e-12)


def test_perfect_alignment_at_low_temperature_tends_to_zero():
    assert float(clip_contrastive_loss(np.eye(4), np.eye(4) * 5.0, temperature=0.01)) < 1e-30


def test_learnable_temperature_receives_a_gradient():
    rng = np.random.default_rng(1)
    t, i = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    temp = tf.Variable(0.5, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = clip_contrastive_loss(t, i, temperature=temp)
    grad = tape.gradient(loss, temp)
    h = 1e-6
    numeric = (clip_contrastive_loss(t, i, 0.5 + h) - clip_contrastive_loss(t, i, 0.5 - h)).numpy() / (2 * h)
    np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6)


def test_zero_embedding_gives_a_finite_loss():
    assert np.isfinite(clip_contrastive_loss(np.zeros((2, 3)), np.ones((2, 3))).numpy())
