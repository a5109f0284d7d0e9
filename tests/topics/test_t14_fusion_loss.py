"""Extra tests of the t14 reference: messages, agreement with TF's loss, heads of every kind."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import fusion_classification_loss


def _identity(x):
    return x


def test_out_of_range_label_message_names_the_range():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\) for 3 classes, got values from 0 to 3"):
        fusion_classification_loss(np.ones((2, 2)), np.ones((2, 1)), [0, 3], _identity)


def test_label_shape_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\).*got shape \(2, 1\)"):
        fusion_classification_loss(np.ones((2, 2)), np.ones((2, 1)), [[0], [1]], _identity)


def test_fractional_labels_message_names_the_dtype():
    with pytest.raises(ValueError, match=r"labels must be integer class ids, got dtype float64"):
        fusion_classification_loss(np.ones((2, 2)), np.ones((2, 1)), [0.5, 1.0], _identity)


def test_mismatched_features_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"share every axis but the last, got shapes \(2, 2\) and \(3, 1\)"):
        fusion_classification_loss(np.ones((2, 2)), np.ones((3, 1)), [0, 1], _identity)


def test_non_callable_head_message_names_the_type():
    with pytest.raises(TypeError, match=r"head must be callable.*got int"):
        fusion_classification_loss(np.ones((2, 2)), np.ones((2, 1)), [0, 1], 3)


def test_head_with_wrong_output_is_a_value_error():
    with pytest.raises(ValueError, match=r"head must map fused features \(2, 3\) to float logits"):
        fusion_classification_loss(np.ones((2, 2)), np.ones((2, 1)), [0, 1], lambda x: tf.reduce_sum(x))


def test_whole_float_labels_are_accepted():
    _, a = fusion_classification_loss(np.ones((2, 2)), np.ones((2, 1)), [0.0, 2.0], _identity)
    _, b = fusion_classification_loss(np.ones((2, 2)), np.ones((2, 1)), [0, 2], _identity)
    assert float(a) == float(b)


def test_equals_tf_sparse_softmax_cross_entropy_in_float64():
    rng = np.random.default_rng(0)
    t, i, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), rng.integers(0, 5, size=6)
    w = rng.normal(size=(5, 5))
    fused, loss = fusion_classification_loss(t, i, y, lambda x: tf.matmul(x, w))
    assert fused.dtype == tf.float64 and loss.dtype == tf.float64
    want = tf.nn.sparse_softmax_cross_entropy_with_logits(y, np.concatenate([t, i], 1) @ w).numpy().mean()
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-12)


def test_works_with_a_keras_model_head_and_int_features():
    keras.utils.set_random_seed(0)
    head = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(3)])
    fused, loss = fusion_classification_loss(np.ones((2, 3), np.int32), np.zeros((2, 2)), [1, 2], head)
    assert fused.shape == (2, 5) and np.isfinite(loss.numpy())


def test_three_d_features_match_flattened_positions():
    rng = np.random.default_rng(1)
    t, i, y = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2)), rng.integers(0, 4, size=(2, 3))
    _, loss3 = fusion_classification_loss(t, i, y, _identity)
    _, loss2 = fusion_classification_loss(t.reshape(6, 2), i.reshape(6, 2), y.reshape(6), _identity)
    np.testing.assert_allclose(loss3.numpy(), loss2.numpy(), rtol=1e-12)
