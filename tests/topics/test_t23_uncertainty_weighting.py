"""Extra tests of the t23 reference: messages, dtypes, central differences, Keras training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import uncertainty_weighted_loss


def test_mismatch_message_names_both_counts():
    with pytest.raises(ValueError, match=r"one entry per task, got 3 and 2"):
        uncertainty_weighted_loss([1.0, 2.0, 3.0], [0.0, 0.0])


def test_rank_and_type_messages():
    with pytest.raises(ValueError, match=r"log_vars must have shape \(num_tasks,\), got shape \(\)"):
        uncertainty_weighted_loss([1.0], 0.0)
    with pytest.raises(TypeError, match=r"task_losses must hold real numbers, got dtype string"):
        uncertainty_weighted_loss(["a"], [0.0])
    with pytest.raises(ValueError, match=r"at least one task, got 0"):
        uncertainty_weighted_loss([], [])


def test_dtype_follows_the_inputs():
    assert uncertainty_weighted_loss(np.ones(2), np.zeros(2, np.float32)).dtype == tf.float64
    assert uncertainty_weighted_loss([1, 2], [0.0, 0.0]).dtype == tf.float32


def test_gradient_matches_central_differences_in_float64():
    rng = np.random.default_rng(0)
    losses, log_vars = rng.uniform(0.2, 3, 4), rng.uniform(-1, 1, 4)
    s = tf.Variable(log_vars)
    with tf.GradientTape() as tape:
        value = uncertainty_weighted_loss(losses, s)
    grad = tape.gradient(value, s).numpy()
    h = 1e-6

    def f(v):
        return float(uncertainty_weighted_loss(losses, v))

    numeric = np.array([(f(log_vars + h * e) - f(log_vars - h * e)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-9)


def test_keras_optimizer_learns_log_vars_equal_to_log_losses():
    losses = np.array([0.05, 4.0])
    s = tf.Variable(np.zeros(2))
    optimizer = keras.optimizers.Adam(0.1)
    for _ in range(400):
        with tf.GradientTape() as tape:
            value = uncertainty_weighted_loss(losses, s)
        optimizer.apply_gradients([(tape.gradient(value, s), s)])
    np.testing.assert_allclose(s.numpy(), np.log(losses), atol=1e-3)
