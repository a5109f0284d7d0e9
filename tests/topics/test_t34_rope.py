"""Extra tests of the t34 reference: the rotate_half equivalence, messages, tensors, float32 precision."""

import numpy as np
import pytest
import tensorflow as tf

from solutions import rope_1d, rope_2d


def _rotate_half_rope(x, positions, base):
    """Hugging Face's convention (pairs (i, i + D/2)) in float64 NumPy."""
    d = x.shape[-1]
    theta = base ** (-np.arange(0, d, 2) / d)
    angles = np.asarray(positions, np.float64)[..., None] * theta
    cos, sin = np.concatenate([np.cos(angles)] * 2, -1), np.concatenate([np.sin(angles)] * 2, -1)
    rotated = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], -1)
    return x * cos + rotated * sin


def test_rotate_half_is_the_same_rotation_up_to_a_feature_permutation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 16))
    positions = rng.integers(0, 500, size=7)
    d = 16
    interleaved_from_halves = np.stack([np.arange(d // 2), np.arange(d // 2) + d // 2], -1).reshape(-1)
    # permuting the features from the half-split layout to adjacent pairs commutes with the rotations
    got = rope_1d(x[..., interleaved_from_halves], positions).numpy()
    want = _rotate_half_rope(x, positions, 10000.0)[..., interleaved_from_halves]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_messages_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"positive multiple of 2, got D = 7"):
        rope_1d(np.zeros((2, 7)), np.arange(2))
    with pytest.raises(ValueError, match=r"positions must broadcast to x's shape without its last axis \(2, 5\), "
                                         r"got shape \(4,\)"):
        rope_1d(np.zeros((2, 5, 4)), np.arange(4))
    with pytest.raises(TypeError, match=r"positions must hold real numbers, got dtype bool"):
        rope_1d(np.zeros((5, 4)), np.ones(5, bool))
    with pytest.raises(ValueError, match=r"base must be a finite number > 1, got 1.0"):
        rope_1d(np.zeros((5, 4)), np.arange(5), base=1)


def test_tensor_positions_and_float16_features():
    x = np.random.default_rng(1).normal(size=(4, 8)).astype(np.float16)
    out = rope_1d(tf.constant(x), tf.range(4))
    assert out.dtype == tf.float16
    np.testing.assert_allclose(out.numpy().astype(np.float64), rope_1d(x.astype(np.float64), np.arange(4)).numpy(),
                               atol=5e-3)


def test_float32_features_at_position_a_million_keep_float32_accuracy():
    x = np.random.default_rng(2).normal(size=(3, 64)).astype(np.float32)
    positions = np.array([999_999, 1_000_000, 1_000_001])
    got = rope_1d(x, positions).numpy().astype(np.float64)
    want = rope_1d(x.astype(np.float64), positions).numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_rope_2d_is_rope_1d_on_each_half():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6, 12))
    rows, cols = rng.integers(0, 9, size=6), rng.integers(0, 9, size=6)
    got = rope_2d(x, rows, cols, base=50.0).numpy()
    np.testing.assert_allclose(got[..., :6], rope_1d(x[..., :6], rows, base=50.0).numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[..., 6:], rope_1d(x[..., 6:], cols, base=50.0).numpy(), rtol=1e-12, atol=1e-12)
