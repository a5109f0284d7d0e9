"""Extra tests of the t17 reference: error messages, and agreement with Keras over many steps."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import adam_update


def _keras_run(p0, grads, optimizer):
    var = keras.Variable(np.array(p0), dtype="float64")
    for g in grads:
        optimizer.apply_gradients([(tf.constant(g), var)])
    return var.numpy()


def _ours(p0, grads, **hp):
    p, m, v = p0, np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        p, m, v = adam_update(p, g, m, v, t, **hp)
    return p


@pytest.mark.parametrize("weight_decay", [0.0, 0.25])
def test_two_hundred_steps_match_keras_in_float64(weight_decay):
    # Hyper-parameters exactly representable in float32, so Keras' float64 run is exact Adam.
    hp = {"learning_rate": 2.0**-6, "beta_1": 0.875, "beta_2": 1.0 - 2.0**-10, "epsilon": 2.0**-24}
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(3, 2))
    grads = rng.normal(size=(200, 3, 2)) * rng.uniform(1e-4, 1.0, size=(200, 1, 1))
    if weight_decay:
        opt = keras.optimizers.AdamW(weight_decay=weight_decay, **hp)
    else:
        opt = keras.optimizers.Adam(**hp)
    np.testing.assert_allclose(_ours(p0, grads, weight_decay=weight_decay, **hp), _keras_run(p0, grads, opt),
                               rtol=1e-9, atol=1e-12)


def test_first_step_is_lr_times_sign_for_any_gradient_scale():
    for scale in (0.1, 1.0, 1e3):
        p, _, _ = adam_update([0.0, 0.0], [scale, -2 * scale], [0.0, 0.0], [0.0, 0.0], 1, learning_rate=0.5)
        np.testing.assert_allclose(p, [-0.5, 0.5], rtol=1e-4)


def test_shape_mismatch_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"grad must have the shape of param \(3,\), got \(2,\)"):
        adam_update(np.zeros(3), np.zeros(2), np.zeros(3), np.zeros(3), 1)


def test_step_zero_message_says_steps_count_from_one():
    with pytest.raises(ValueError, match=r"t must be >= 1 .*got 0"):
        adam_update(np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), 0)


def test_float_step_is_a_type_error():
    with pytest.raises(TypeError, match=r"t must be an integer.*got float"):
        adam_update(np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), 2.0)


def test_beta_out_of_range_message():
    with pytest.raises(ValueError, match=r"beta_1 must be in \[0.0, 1.0\), got 1.0"):
        adam_update(np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), 1, beta_1=1.0)


def test_text_param_is_a_type_error():
    with pytest.raises(TypeError, match=r"param must be an array of numbers, got str"):
        adam_update("abc", np.zeros(3), np.zeros(3), np.zeros(3), 1)
