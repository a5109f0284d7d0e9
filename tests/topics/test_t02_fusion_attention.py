"""Extra tests of the t02 reference: error messages, edge cases and gradients."""

import numpy as np
import pytest

from solutions import concatenate_features, cross_attention_fusion


def test_concat_leading_shape_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"same leading shape.*got \(2, 3\) and \(3, 5\)"):
        concatenate_features(np.zeros((2, 3)), np.zeros((3, 5)))


def test_concat_scalar_message():
    with pytest.raises(ValueError, match=r"at least one axis.*got shapes \(\) and \(3,\)"):
        concatenate_features(1.0, np.zeros(3))


def test_concat_string_is_type_error():
    with pytest.raises(TypeError, match=r"text_feature must be an array of numbers, got str"):
        concatenate_features("abc", np.zeros(3))


def test_attention_messages_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"shapes \(B, Lt, D\) and \(B, Li, D\), got \(2, 4\) and \(2, 4\)"):
        cross_attention_fusion(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"same batch size B, got 2 and 3"):
        cross_attention_fusion(np.zeros((2, 1, 4)), np.zeros((3, 1, 4)))
    with pytest.raises(ValueError, match=r"same depth D, got 4 and 5"):
        cross_attention_fusion(np.zeros((2, 1, 4)), np.zeros((2, 1, 5)))


def test_concat_keeps_float64_and_promotes_mixed_precision():
    out = concatenate_features(np.zeros((2, 1), np.float32), np.zeros((2, 1), np.float64))
    assert out.dtype == np.float64


def test_no_image_regions_leaves_text_unchanged():
    t = np.random.default_rng(0).normal(size=(2, 3, 4))
    np.testing.assert_allclose(cross_attention_fusion(t, np.zeros((2, 0, 4))), t)


def test_attention_weights_sum_to_one_so_identical_regions_add_that_region():
    # If every image region is the same vector r, A I = r whatever the weights.
    rng = np.random.default_rng(1)
    t = rng.normal(size=(2, 3, 4))
    r = rng.normal(size=(2, 1, 4))
    np.testing.assert_allclose(cross_attention_fusion(t, np.repeat(r, 5, axis=1)), t + r, rtol=1e-12)


def test_gradient_matches_central_differences_in_float64():
    import tensorflow as tf

    rng = np.random.default_rng(2)
    t, i = rng.normal(size=(2, 2, 3)), rng.normal(size=(2, 4, 3))

    def f(ii):
        return float(np.sum(cross_attention_fusion(t, ii).numpy() ** 2))

    it = tf.constant(i)
    with tf.GradientTape() as tape:
        tape.watch(it)
        loss = tf.reduce_sum(cross_attention_fusion(t, it) ** 2)
    grad = tape.gradient(loss, it).numpy()
    h = 1e-6
    numeric = np.zeros_like(i)
    for idx in np.ndindex(i.shape):
        di = np.zeros_like(i)
        di[idx] = h
        numeric[idx] = (f(i + di) - f(i - di)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
