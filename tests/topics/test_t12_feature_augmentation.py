"""Extra tests of the t12 reference: messages, exact zeros, the kept modality untouched."""

import numpy as np
import pytest

from solutions import augment_features


def test_negative_noise_message_names_the_value():
    with pytest.raises(ValueError, match=r"noise_std must be >= 0, got -0.5"):
        augment_features(np.ones((2, 3)), np.ones((2, 4)), noise_std=-0.5)


def test_dropout_range_message_names_the_value():
    with pytest.raises(ValueError, match=r"modality_dropout must be a probability in \[0, 1\], got 1.5"):
        augment_features(np.ones((2, 3)), np.ones((2, 4)), modality_dropout=1.5)


def test_batch_mismatch_message_names_both_sizes():
    with pytest.raises(ValueError, match=r"same batch size B, got 2 and 3"):
        augment_features(np.ones((2, 3)), np.ones((3, 4)))


def test_non_numeric_parameters_are_type_errors():
    with pytest.raises(TypeError, match=r"noise_std must be a number, got str"):
        augment_features(np.ones((2, 3)), np.ones((2, 4)), noise_std="0.1")
    with pytest.raises(TypeError, match=r"text must hold numbers, got dtype string"):
        augment_features(np.array([["a"]]), np.ones((1, 4)))


def test_inference_is_exact_and_validates_too():
    x, y = np.random.default_rng(0).normal(size=(3, 2)), np.ones((3, 5))
    tx, ty = augment_features(x, y, noise_std=1.0, modality_dropout=1.0, training=False)
    assert np.array_equal(tx.numpy(), x) and np.array_equal(ty.numpy(), y)
    with pytest.raises(ValueError):
        augment_features(x, y, noise_std=-1.0, training=False)


def test_dropout_without_noise_keeps_the_other_modality_exactly():
    x, y = np.full((50, 2), 3.0), np.full((50, 4), -2.0)
    tx, ty = augment_features(x, y, noise_std=0.0, modality_dropout=1.0, seed=3)
    tx, ty = tx.numpy(), ty.numpy()
    text_dropped = np.all(tx == 0, axis=1)
    assert np.array_equal(text_dropped, ~np.all(ty == 0, axis=1))
    assert np.all(tx[~text_dropped] == 3.0) and np.all(ty[text_dropped] == -2.0)


def test_integer_features_become_float32_and_dtype_is_kept_otherwise():
    tx, ty = augment_features(np.ones((2, 3), np.int32), np.ones((2, 2), np.float64), seed=0)
    assert tx.dtype.name == "float32" and ty.dtype.name == "float64"


def test_dropout_applies_per_sample_for_higher_rank():
    x = np.ones((40, 2, 3))
    tx, _ = augment_features(x, np.ones((40, 1)), noise_std=0.1, modality_dropout=1.0, seed=4)
    zero = tx.numpy() == 0
    assert np.array_equal(zero.all(axis=(1, 2)), zero.any(axis=(1, 2)))
