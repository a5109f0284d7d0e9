"""Extra tests of the t15 reference: agreement with the pairwise definition, error messages."""

import numpy as np
import pytest
import tensorflow as tf

from solutions import roc_auc


def _pairwise(y, s):
    y = np.asarray(y, bool)
    pos, neg = s[y][:, None], s[~y][None, :]
    return np.mean((pos > neg) + 0.5 * (pos == neg))


@pytest.mark.parametrize("seed", range(20))
def test_random_tied_inputs_match_the_pairwise_definition(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    y = rng.integers(0, 2, size=n)
    y[:2] = [0, 1]
    s = rng.integers(0, 5, size=n).astype(float)
    assert roc_auc(y, s) == pytest.approx(_pairwise(y, s), abs=1e-12)


def test_agrees_with_keras_auc_metric_with_many_thresholds():
    # keras.metrics.AUC interpolates over a threshold grid: close, not exact.
    import keras

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=500)
    s = 1.0 / (1.0 + np.exp(-(rng.normal(size=500) + y)))
    metric = keras.metrics.AUC(num_thresholds=2000)
    metric.update_state(y, s)
    assert roc_auc(y, s) == pytest.approx(float(metric.result()), abs=2e-3)


def test_result_is_a_python_float_for_tensor_input():
    result = roc_auc(tf.constant([1, 0, 1]), tf.constant([0.3, 0.1, 0.2]))
    assert type(result) is float and result == 1.0


def test_bool_labels_are_a_type_error():
    # The bank's label rule: labels are integers; a bool tensor is a wrong type.
    with pytest.raises(TypeError, match=r"0/1 integer labels, got dtype bool"):
        roc_auc(tf.constant([True, False, True]), tf.constant([0.3, 0.1, 0.2]))


def test_single_class_message_counts_both_classes():
    with pytest.raises(ValueError, match=r"needs both classes, got 3 positive and 0 negative"):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])


def test_bad_label_message_lists_the_offending_values():
    with pytest.raises(ValueError, match=r"only 0/1 .*got values \[-1\]"):
        roc_auc([-1, 1, 1], [0.1, 0.2, 0.3])


def test_length_mismatch_message_names_both_lengths():
    with pytest.raises(ValueError, match=r"same length, got 2 and 3"):
        roc_auc([0, 1], [0.1, 0.2, 0.3])


def test_text_is_a_type_error():
    with pytest.raises(TypeError, match=r"y_score must hold numbers"):
        roc_auc([0, 1], ["a", "b"])
