"""Extra tests of the t16 reference: agreement with Keras' metrics, error messages."""

import keras
import numpy as np
import pytest

from solutions import binary_classification_metrics


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_agrees_with_keras_precision_recall_and_accuracy(threshold):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=300)
    # Multiples of 1/8 are exact in float32, so Keras' float32 comparison sees the same ties.
    p = rng.integers(0, 9, size=300) / 8.0
    got = binary_classification_metrics(y, p, threshold=threshold)
    assert got["accuracy"] == pytest.approx(np.mean((p >= threshold) == y))
    # Keras predicts positive iff p > threshold: compare at the float32 just below ours.
    below = np.nextafter(np.float32(threshold), np.float32(0))
    precision_ge = keras.metrics.Precision(thresholds=float(below))
    recall_ge = keras.metrics.Recall(thresholds=float(below))
    precision_ge.update_state(y, p)
    recall_ge.update_state(y, p)
    assert got["precision"] == pytest.approx(float(precision_ge.result()), rel=1e-6)
    assert got["recall"] == pytest.approx(float(recall_ge.result()), rel=1e-6)


def test_values_are_python_floats_for_tensor_input():
    import tensorflow as tf

    got = binary_classification_metrics(tf.constant([[1], [0]]), tf.constant([[0.7], [0.2]]))
    assert {type(v) for v in got.values()} == {float}
    assert got == {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_length_mismatch_message_names_both_sizes():
    with pytest.raises(ValueError, match=r"same number of samples, got 2 and 3"):
        binary_classification_metrics([0, 1], [0.1, 0.2, 0.3])


def test_bad_label_message_lists_values():
    with pytest.raises(ValueError, match=r"only 0/1 .*got values \[2\]"):
        binary_classification_metrics([0, 2], [0.1, 0.2])


def test_string_threshold_is_a_type_error():
    with pytest.raises(TypeError, match=r"threshold must be a real number, got str"):
        binary_classification_metrics([0, 1], [0.1, 0.2], threshold="0.5")


def test_matrix_input_message_gives_the_shape():
    with pytest.raises(ValueError, match=r"shape \(N,\) or \(N, 1\), got \(2, 2\)"):
        binary_classification_metrics(np.zeros((2, 2)), np.zeros((2, 2)))


def test_label_vector_with_probability_column_is_not_broadcast():
    # (N,) labels with the (N, 1) output of Dense(1): each is flattened, never broadcast to (N, N).
    y = np.array([1, 0, 1, 1])
    p = np.array([0.9, 0.8, 0.2, 0.7])
    assert binary_classification_metrics(y, p[:, None]) == binary_classification_metrics(y, p)
    assert binary_classification_metrics(y[:, None], p) == binary_classification_metrics(y, p)


def test_bool_labels_are_a_type_error():
    with pytest.raises(TypeError, match=r"0/1 integer labels, got dtype bool"):
        binary_classification_metrics(np.array([True, False]), [0.7, 0.2])
