"""Extra tests of the t11 reference: messages, soft labels, the pairing of mixed samples."""

import numpy as np
import pytest

from solutions import multimodal_mixup


def test_integer_labels_message_says_one_hot_expected():
    with pytest.raises(ValueError, match=r"labels must have shape \(B, \.\.\.\) with rank >= 2, got shape \(3,\)"):
        multimodal_mixup(np.ones((3, 2)), np.ones((3, 2)), [0, 1, 2], seed=0)


def test_non_one_hot_rows_message_shows_the_sums():
    with pytest.raises(ValueError, match=r"one-hot rows .* got rows summing to \[2.0, 1.0\]"):
        multimodal_mixup(np.ones((2, 2)), np.ones((2, 2)), [[1, 1], [0, 1]], seed=0)


def test_batch_mismatch_message_lists_the_sizes():
    with pytest.raises(ValueError, match=r"same batch size B, got \(3, 2, 3\)"):
        multimodal_mixup(np.ones((3, 2)), np.ones((2, 2)), np.eye(3), seed=0)


def test_alpha_message_names_the_value():
    with pytest.raises(ValueError, match=r"alpha must be a positive finite number, got 0"):
        multimodal_mixup(np.ones((2, 2)), np.ones((2, 2)), np.eye(2), alpha=0)
    with pytest.raises(TypeError, match=r"alpha must be a positive number, got str"):
        multimodal_mixup(np.ones((2, 2)), np.ones((2, 2)), np.eye(2), alpha="0.2")


def test_soft_labels_are_accepted_and_stay_distributions():
    y = np.array([[0.7, 0.3], [0.2, 0.8], [1.0, 0.0]])
    _, _, mixed, _, _ = multimodal_mixup(np.ones((3, 1)), np.ones((3, 1)), y, alpha=1.0, seed=5)
    np.testing.assert_allclose(mixed.numpy().sum(axis=1), 1.0, rtol=1e-12)


def test_every_mixed_sample_keeps_its_modalities_paired():
    # Encode the sample index in every modality: the mixed text, image and label of one
    # sample must all name the same two sources with the same weights.
    b = 7
    ids = np.arange(b, dtype=float)[:, None]
    text, image, labels = ids * np.ones((b, 2)), ids[:, :, None] * np.ones((b, 3, 2)), np.eye(b)
    t, i, y, lam, perm = multimodal_mixup(text, image, labels, alpha=1.0, seed=9)
    weights = y.numpy()
    np.testing.assert_allclose(t.numpy()[:, 0], weights @ np.arange(b), rtol=1e-12)
    np.testing.assert_allclose(i.numpy()[:, 0, 0], weights @ np.arange(b), rtol=1e-12)
    for k in range(b):
        if perm[k] != k:
            assert weights[k, k] == pytest.approx(lam) and weights[k, perm[k]] == pytest.approx(1 - lam)


def test_large_alpha_gives_lambda_near_one_half_and_no_seed_varies():
    lam = multimodal_mixup(np.ones((2, 1)), np.ones((2, 1)), np.eye(2), alpha=1e6, seed=0)[3]
    assert abs(lam - 0.5) < 0.01
    draws = {multimodal_mixup(np.ones((2, 1)), np.ones((2, 1)), np.eye(2))[3] for _ in range(5)}
    assert len(draws) == 5
