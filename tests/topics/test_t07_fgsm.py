"""Extra tests of the t07 reference: error messages, and agreement with a numerical gradient."""

import numpy as np
import pytest
import tensorflow as tf

from solutions import fgsm_perturbation


def _loss(x):
    return tf.reduce_sum(tf.sin(x) * x**2)


def test_negative_epsilon_message_names_the_value():
    with pytest.raises(ValueError, match=r"epsilon must be a finite number >= 0, got -0\.5"):
        fgsm_perturbation(_loss, np.ones(3), -0.5)


def test_non_numeric_epsilon_message_names_the_type():
    with pytest.raises(TypeError, match=r"epsilon must be a real number, got str"):
        fgsm_perturbation(_loss, np.ones(3), "0.1")


def test_non_callable_loss_message():
    with pytest.raises(TypeError, match=r"loss_fn must be callable, got float"):
        fgsm_perturbation(1.0, np.ones(3), 0.1)


def test_vector_loss_message_names_the_shape():
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar, got a tensor of shape \(3,\)"):
        fgsm_perturbation(tf.square, np.ones(3), 0.1)


def test_loss_without_tensorflow_ops_is_reported():
    with pytest.raises(ValueError, match=r"does not depend on x"):
        fgsm_perturbation(lambda x: tf.constant(float(np.sum(x.numpy()))), np.ones(3), 0.1)


def test_sign_matches_central_differences_in_float64():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3))
    h = 1e-6
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        dx = np.zeros_like(x)
        dx[idx] = h
        numeric[idx] = (float(_loss(tf.constant(x + dx))) - float(_loss(tf.constant(x - dx)))) / (2 * h)
    assert np.min(np.abs(numeric)) > 1e-3
    out = fgsm_perturbation(_loss, x, 0.05).numpy()
    np.testing.assert_array_equal(out, x + 0.05 * np.sign(numeric))


def test_integer_input_becomes_float32():
    out = fgsm_perturbation(lambda x: tf.reduce_sum(x), [[1, 2]], 0.5)
    assert out.dtype == tf.float32
    np.testing.assert_array_equal(out.numpy(), [[1.5, 2.5]])
