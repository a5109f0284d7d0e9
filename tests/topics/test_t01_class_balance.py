"""Extra tests of the t01 reference: error messages and agreement with scikit-learn's formula."""

import numpy as np
import pytest

from solutions import class_balanced_weights


def test_messages_name_what_was_expected_and_received():
    with pytest.raises(ValueError, match=r"must not be empty, got 0 labels"):
        class_balanced_weights([], 3)
    with pytest.raises(ValueError, match=r"whole numbers, got 1.5 at index 1"):
        class_balanced_weights([0.0, 1.5], 3)
    with pytest.raises(ValueError, match=r"\[0, num_classes\) = \[0, 3\), got values from -1 to 2"):
        class_balanced_weights([-1, 2], 3)
    with pytest.raises(ValueError, match=r"beta must lie in \[0, 1\), got 1.0"):
        class_balanced_weights([0, 1], 3, beta=1.0)
    with pytest.raises(TypeError, match=r"labels must be an array of integers, got dtype <U3"):
        class_balanced_weights(["cat", "dog"], 3)
    with pytest.raises(TypeError, match=r"num_classes must be a positive int, got float"):
        class_balanced_weights([0, 1], 3.0)
    with pytest.raises(ValueError, match=r"num_classes must be a positive int, got 0"):
        class_balanced_weights([0, 1], 0)


def test_inverse_frequency_equals_sklearn_balanced_formula():
    # scikit-learn's compute_class_weight("balanced") is n_samples / (n_classes * bincount(y)).
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, size=300)
    want = len(y) / (5 * np.bincount(y, minlength=5))
    np.testing.assert_allclose(class_balanced_weights(y, 5), want, rtol=1e-12)


def test_beta_close_to_one_keeps_precision():
    y = np.array([0] * 3 + [1] * 1)
    w = class_balanced_weights(y, 2, beta=1.0 - 1e-15)
    # limit: 1/n normalised -> [1/3, 1] * 2 / (4/3) = [0.5, 1.5]
    np.testing.assert_allclose(w, [0.5, 1.5], rtol=1e-6)


def test_weighted_loss_gives_each_class_the_same_total_weight():
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    w = class_balanced_weights(y, 3)
    totals = np.bincount(y, weights=w[y], minlength=3)
    np.testing.assert_allclose(totals, [len(y) / 3] * 3)
    assert np.isclose(w[y].mean(), 1.0)


def test_column_of_labels_is_a_value_error():
    # Labels are 1-D (the bank's label rule, stated in the exercise): an (N, 1) column is not flattened.
    with pytest.raises(ValueError, match=r"1-D, shape \(N,\), got shape \(3, 1\)"):
        class_balanced_weights(np.array([[0], [1], [1]]), 2)


def test_whole_floats_accepted_fractional_value_error_bool_type_error():
    np.testing.assert_allclose(class_balanced_weights([0.0, 1.0, 1.0], 2), [1.5, 0.75])
    with pytest.raises(ValueError, match="whole numbers"):
        class_balanced_weights([0.0, 2.5], 3)
    with pytest.raises(TypeError, match="dtype bool"):
        class_balanced_weights([True, False], 2)
