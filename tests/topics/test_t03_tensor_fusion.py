"""Extra tests of the t03 reference: error messages and the bilinear-form identity."""

import numpy as np
import pytest

from solutions import tensor_fusion


def test_messages_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"same batch size, got 2 and 3"):
        tensor_fusion(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"text_feature must have shape \(B, D\), got shape \(3,\)"):
        tensor_fusion(np.zeros(3), np.zeros((1, 2)))
    with pytest.raises(TypeError, match=r"image_feature must be an array of numbers, got str"):
        tensor_fusion(np.zeros((1, 2)), "image")


def test_linear_layer_on_fused_features_is_bilinear_plus_unimodal_terms():
    # W . vec([t,1] x [i,1]) = t^T A i + b^T t + c^T i + d with W = [[A, b], [c^T, d]].
    rng = np.random.default_rng(0)
    t, i = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    w = rng.normal(size=(4, 3))
    a, b, c, d = w[:3, :2], w[:3, 2], w[3, :2], w[3, 2]
    want = np.einsum("ba,ac,bc->b", t, a, i) + t @ b + i @ c + d
    np.testing.assert_allclose(np.asarray(tensor_fusion(t, i)) @ w.reshape(-1), want, rtol=1e-12)


def test_zero_modality_keeps_the_other_modality():
    t = np.array([[1.0, -2.0]])
    out = np.asarray(tensor_fusion(t, np.zeros((1, 3)))).reshape(3, 4)
    np.testing.assert_array_equal(out[:2, 3], t[0])
    np.testing.assert_array_equal(out[:2, :3], 0.0)


def test_float64_is_kept_and_mixed_precision_promoted():
    assert tensor_fusion(np.zeros((1, 2)), np.zeros((1, 2))).dtype == np.float64
    assert tensor_fusion(np.zeros((1, 2), np.float32), np.zeros((1, 2))).dtype == np.float64
