"""Checks of t16 · binary classification metrics.

Independent oracle: ``_counts`` counts TP, FP, FN, TN with NumPy from the regenerated inputs
and the verdict applies the textbook definitions. Probabilities lie on a grid of multiples of
1/64 and thresholds are dyadic (0.3125, 0.25, ...), so "score equal to the threshold" is exact
in float32 and float64 alike and the inclusive ``>=`` is tested without rounding ambiguity.
Metrics are ratios of small integers: tolerances ``rtol=1e-9, atol=1e-12`` would do, the
defaults are used.
"""

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_close, expect_number, expect_raises, need, raised

suite = Suite("t16_classification_metrics", points={"shape": 2, "numeric": 4, "behavior": 4})


def _keys():
    return ["accuracy", "f1", "precision", "recall"]


def _counts(y, p, threshold):
    """(TP, FP, FN, TN) of the predictions p >= threshold."""
    y = np.asarray(y).astype(bool)
    pred = np.asarray(p, dtype=np.float64) >= threshold
    return (int(np.sum(pred & y)), int(np.sum(pred & ~y)), int(np.sum(~pred & y)), int(np.sum(~pred & ~y)))


def _metrics_from_counts(tp, fp, fn, tn):
    """The four metrics from the counts; a zero denominator gives 0.0."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    total = tp + fp + fn + tn
    return {
        "accuracy": (tp + tn) / total if total else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
    }


def _grid_inputs(seed, n, positive_rate):
    """Labels and probabilities on the grid k/64 (exact in float32), positives scored higher on average."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < positive_rate).astype(np.int64)
    k = np.clip(np.round(rng.normal(26.0 + 14.0 * y, 12.0)), 0, 64)
    return y, k / 64.0


def _expect_metrics(got, want, what):
    """Every metric close to ``want`` (default tolerances); the message names all wrong ones."""
    expect(type(got) is dict, f"{what}: expected a dict, got {type(got).__name__}")
    expect(sorted(got) == _keys(), f"{what}: expected the keys {_keys()}, got {sorted(got)}")
    wrong = []
    for key in ("accuracy", "precision", "recall", "f1"):
        value = expect_number(got[key], f"{what}: {key}")
        if not bool(np.isclose(value, want[key], rtol=1e-5, atol=1e-6)):
            wrong.append(f"{key} (got {value:.5g})")
    expect(not wrong, f"{what}: wrong " + ", ".join(wrong))


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "labels [0, 2, 0, 2]": "ValueError",
        "labels -1/1": "ValueError",
        "3 labels for 4 probabilities": "ValueError",
        "(2, 2) labels and probabilities": "ValueError",
        "a NaN probability": "ValueError",
        "a string as y_true": "TypeError",
        "bool labels": "TypeError",
        "None as y_prob": "TypeError",
        "the threshold '0.5' (a string)": "TypeError",
        "a NaN threshold": "ValueError",
        "an infinite threshold": "ValueError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_dict_of_four_floats(ns):
    """the result is a dict with exactly accuracy, precision, recall, f1, each a Python float"""
    metrics = need(ns, "binary_classification_metrics")
    result = metrics(np.array([1, 0, 1]), np.array([0.8, 0.3, 0.2]))
    if not isinstance(result, dict):
        return {"is_dict": False, "keys": "", "floats": False}
    return {"is_dict": True, "keys": ",".join(sorted(str(k) for k in result)),
            "floats": all(isinstance(v, float) for v in result.values())}


@returns_dict_of_four_floats.verdict
def _(got):
    expect(got["is_dict"] is True, "binary_classification_metrics must return a dict")
    expect(got["keys"] == "accuracy,f1,precision,recall",
           f"expected exactly the keys accuracy, f1, precision, recall, got {got['keys']}")
    expect(got["floats"] is True, "every value must be a Python float (not a tensor or an array)")


@suite.check("shape", hidden=True)
def accepts_lists_tensors_columns_and_empty(ns):
    """lists, tensors and (N, 1) columns, also mixed with (N,), give the same metrics (no (N, N) broadcast);
    N = 0 gives zeros"""
    metrics = need(ns, "binary_classification_metrics")
    y, p = _grid_inputs(1, 30, 0.4)
    return {
        "list": metrics(y.tolist(), p.tolist()),
        "tensor": metrics(tf.constant(y), tf.constant(p, tf.float32)),
        "column": metrics(y[:, None], p[:, None]),
        "prob_column": metrics(y, p[:, None]),
        "label_column": metrics(tf.constant(y[:, None]), tf.constant(p, tf.float32)),
        "empty": metrics(np.zeros(0, dtype=np.int64), np.zeros(0)),
    }


@accepts_lists_tensors_columns_and_empty.verdict
def _(got):
    want = _metrics_from_counts(*_counts(*_grid_inputs(1, 30, 0.4), 0.5))
    for key in ("list", "tensor", "column", "prob_column", "label_column"):
        _expect_metrics(got[key], want, f"metrics from {key} input")
    _expect_metrics(got["empty"], {k: 0.0 for k in _keys()}, "metrics of 0 samples")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """7 samples, threshold 0.5 (one probability exactly 0.5): values worked by hand"""
    metrics = need(ns, "binary_classification_metrics")
    return {"m": metrics([1, 1, 0, 0, 1, 0, 1], [0.9, 0.4, 0.6, 0.2, 0.5, 0.1, 0.3])}


@hand_worked_example.verdict
def _(got):
    # predictions [1, 0, 1, 0, 1, 0, 0] (0.5 >= 0.5 is positive): TP = 2, FP = 1, FN = 2, TN = 2.
    want = {"accuracy": 4 / 7, "precision": 2 / 3, "recall": 2 / 4, "f1": 4 / 7}
    _expect_metrics(got["m"], want, "metrics")


@suite.check("numeric", hidden=True)
def matches_counts_at_custom_threshold(ns):
    """257 imbalanced samples at threshold 0.3125: metrics follow from independently counted TP/FP/FN/TN"""
    metrics = need(ns, "binary_classification_metrics")
    y, p = _grid_inputs(2, 257, 0.2)
    return {"m": metrics(y, p, threshold=0.3125)}


@matches_counts_at_custom_threshold.verdict
def _(got):
    y, p = _grid_inputs(2, 257, 0.2)
    _expect_metrics(got["m"], _metrics_from_counts(*_counts(y, p, 0.3125)), "metrics")


@suite.check("numeric", hidden=True)
def extreme_thresholds(ns):
    """threshold 0 predicts all positive (recall 1, precision = positive rate); above 1 predicts none"""
    metrics = need(ns, "binary_classification_metrics")
    y, p = _grid_inputs(3, 40, 0.3)
    return {"all": metrics(y, p, threshold=0.0), "none": metrics(y, p, threshold=1.5)}


@extreme_thresholds.verdict
def _(got):
    y, _ = _grid_inputs(3, 40, 0.3)
    pos, n = int(np.sum(y)), y.size
    _expect_metrics(got["all"], _metrics_from_counts(pos, n - pos, 0, 0), "metrics at threshold 0")
    _expect_metrics(got["none"], _metrics_from_counts(0, 0, pos, n - pos), "metrics at threshold 1.5")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def zero_denominators_give_zero(ns):
    """no predicted positive, or no positive at all: precision, recall and f1 are 0.0, never NaN"""
    metrics = need(ns, "binary_classification_metrics")
    return {
        "no_predicted_positive": metrics([1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4]),
        "no_positive": metrics([0, 0, 0], [0.1, 0.2, 0.3]),
    }


@zero_denominators_give_zero.verdict
def _(got):
    # [1, 0, 1, 0] all predicted negative: TP = FP = 0 so precision = 0/0 -> 0.0; recall = 0/2.
    _expect_metrics(got["no_predicted_positive"], {"accuracy": 0.5, "precision": 0.0, "recall": 0.0, "f1": 0.0},
                    "metrics when nothing is predicted positive")
    # [0, 0, 0] all predicted negative: TP + FN = 0 so recall = 0/0 -> 0.0; all correct.
    _expect_metrics(got["no_positive"], {"accuracy": 1.0, "precision": 0.0, "recall": 0.0, "f1": 0.0},
                    "metrics when there is no positive")


@suite.check("behavior", hidden=True)
def score_equal_to_threshold_is_positive(ns):
    """a probability exactly equal to the threshold is predicted positive (>=, not >)"""
    metrics = need(ns, "binary_classification_metrics")
    return {
        "at_quarter": metrics([1, 0, 1, 0], [0.25, 0.25, 0.125, 0.0], threshold=0.25),
        "at_three_quarters": metrics(np.array([1, 1, 0]), np.array([0.75, 0.5, 0.75], np.float32), threshold=0.75),
    }


@score_equal_to_threshold_is_positive.verdict
def _(got):
    _expect_metrics(got["at_quarter"], _metrics_from_counts(1, 1, 1, 1), "metrics at threshold 0.25")
    _expect_metrics(got["at_three_quarters"], _metrics_from_counts(1, 1, 1, 0), "metrics at threshold 0.75")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    metrics = need(ns, "binary_classification_metrics")
    p = [0.1, 0.7, 0.4, 0.9]
    return {
        "labels [0, 2, 0, 2]": raised(metrics, [0, 2, 0, 2], p),
        "labels -1/1": raised(metrics, [-1, 1, -1, 1], p),
        "3 labels for 4 probabilities": raised(metrics, [0, 1, 0], p),
        "(2, 2) labels and probabilities": raised(metrics, [[0, 1], [0, 1]], [[0.1, 0.7], [0.4, 0.9]]),
        "a NaN probability": raised(metrics, [0, 1, 0, 1], [0.1, float("nan"), 0.4, 0.9]),
        "a string as y_true": raised(metrics, "0101", p),
        "bool labels": raised(metrics, [False, True, False, True], p),
        "None as y_prob": raised(metrics, [0, 1, 0, 1], None),
        "the threshold '0.5' (a string)": raised(metrics, [0, 1, 0, 1], p, threshold="0.5"),
        "a NaN threshold": raised(metrics, [0, 1, 0, 1], p, threshold=float("nan")),
        "an infinite threshold": raised(metrics, [0, 1, 0, 1], p, threshold=float("inf")),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's label and probability arrays are unchanged after the call"""
    metrics = need(ns, "binary_classification_metrics")
    y, p = _grid_inputs(4, 20, 0.5)
    metrics(y, p, threshold=0.25)
    return {"y": y, "p": p}


@inputs_not_mutated.verdict
def _(got):
    y, p = _grid_inputs(4, 20, 0.5)
    expect_close(got["y"], y, "y_true after the call", rtol=0, atol=0)
    expect_close(got["p"], p, "y_prob after the call", rtol=0, atol=0)
