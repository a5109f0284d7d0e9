"""Extra tests of the t05 reference: error messages say what was expected and received."""

import numpy as np
import pytest

from solutions import scaled_dot_product_attention


def test_mismatched_depth_message_names_both_sizes():
    with pytest.raises(ValueError, match=r"last dimension D, got 4 and 3"):
        scaled_dot_product_attention(np.zeros((1, 2, 4)), np.zeros((1, 2, 3)), np.zeros((1, 2, 1)))


def test_float_mask_message_names_dtype():
    with pytest.raises(TypeError, match=r"mask must be boolean.*float64"):
        scaled_dot_product_attention(np.zeros((2, 4)), np.zeros((3, 4)), np.zeros((3, 1)), mask=np.ones((2, 3)))


def test_gradient_matches_central_differences_in_float64():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=s) for s in ((2, 3), (4, 3), (4, 2)))

    def f(qq):
        return float(np.sum(scaled_dot_product_attention(qq, k, v)[0].numpy() ** 2))

    qt = tf.constant(q)
    with tf.GradientTape() as tape:
        tape.watch(qt)
        loss = tf.reduce_sum(scaled_dot_product_attention(qt, k, v)[0] ** 2)
    grad = tape.gradient(loss, qt).numpy()
    h = 1e-6
    numeric = np.zeros_like(q)
    for idx in np.ndindex(q.shape):
        dq = np.zeros_like(q)
        dq[idx] = h
        numeric[idx] = (f(q + dq) - f(q - dq)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_shapes_tensorflow_would_reject_are_value_errors_up_front():
    """Batch dims that do not broadcast and a mask that does not fit are ValueError, not InvalidArgumentError."""
    q, k, v = np.zeros((2, 3, 4)), np.zeros((3, 5, 4)), np.zeros((3, 5, 2))
    with pytest.raises(ValueError, match=r"must broadcast, got \(2,\), \(3,\) and \(3,\)"):
        scaled_dot_product_attention(q, k, v)
    with pytest.raises(ValueError, match=r"mask must broadcast to .* = \(2, 3, 5\), got shape \(4, 5\)"):
        scaled_dot_product_attention(q, k[:2], v[:2], mask=np.ones((4, 5), dtype=bool))
    out, weights = scaled_dot_product_attention(q[None], k[:1], v[:1], mask=np.ones((2, 1, 5), dtype=bool))
    assert tuple(out.shape) == (1, 2, 3, 2) and tuple(weights.shape) == (1, 2, 3, 5)
