"""Extra tests of the t32 reference: TF's own sigmoid cross-entropy, the chunked decomposition, messages."""

import math

import numpy as np
import pytest
import tensorflow as tf

from solutions import siglip_loss


def _pairs(seed=0, b=8, d=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(b, d)), rng.normal(size=(b, d))


def _logits(text, image, t_prime, bias):
    t = text / np.linalg.norm(text, axis=1, keepdims=True)
    i = image / np.linalg.norm(image, axis=1, keepdims=True)
    return math.exp(t_prime) * t @ i.T + bias


def test_equals_tf_sigmoid_cross_entropy_summed_and_divided_by_b():
    text, image = _pairs()
    logits = _logits(text, image, 1.3, -2.0)
    targets = np.eye(8)  # 0/1 labels: the same terms as the ±1 form
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits).numpy()
    got = siglip_loss(text, image, 1.3, -2.0)
    assert got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), bce.sum() / 8, rtol=1e-12)
    # the mean over the B² pairs (a common re-implementation) is B times smaller
    np.testing.assert_allclose(bce.mean() * 8, got.numpy(), rtol=1e-12)


def test_chunked_computation_over_devices_equals_the_full_loss():
    """D = 4 'devices' of b = 2 pairs: own block (positives on its diagonal) plus D - 1 negatives-only blocks."""
    text, image = _pairs(1)
    t_prime, bias, devices, b = math.log(10.0), -10.0, 4, 2
    total = 0.0
    for k in range(devices):
        own = slice(k * b, (k + 1) * b)
        total += b * float(siglip_loss(text[own], image[own], t_prime, bias))
        for step in range(1, devices):  # the text embeddings travel around the ring
            other = slice(((k + step) % devices) * b, ((k + step) % devices + 1) * b)
            block = _logits(text[other], image[own], t_prime, bias)
            total += float(np.sum(np.logaddexp(0.0, block)))  # -log sigmoid(-l) for every negative
    np.testing.assert_allclose(total / 8, float(siglip_loss(text, image, t_prime, bias)), rtol=1e-12)


def test_messages_name_what_was_expected_and_received():
    text, image = _pairs()
    with pytest.raises(ValueError, match=r"same shape \(B, D\), got \(8, 5\) and \(7, 5\)"):
        siglip_loss(text, image[:7], 0.0, 0.0)
    with pytest.raises(ValueError, match=r"log_temperature must be finite, got nan"):
        siglip_loss(text, image, float("nan"), 0.0)
    with pytest.raises(TypeError, match=r"bias must be a real number, got bool"):
        siglip_loss(text, image, 0.0, True)


def test_perfectly_separated_pairs_tend_to_zero():
    loss = siglip_loss(np.eye(4), np.eye(4) * 3.0, math.log(1e3), -500.0)
    assert 0.0 <= float(loss) < 1e-30
