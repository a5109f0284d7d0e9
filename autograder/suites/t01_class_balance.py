"""Checks of t01 · class-balanced loss weights.

Independent oracles in float64 NumPy: class counts by comparison (no ``bincount``), inverse
frequency ``N / (K n_c)``, and the effective-number weights ``(1 - beta) / (1 - beta**n)``
written directly from Cui et al. (2019), scaled to sum to the number of present classes.
The hand-worked examples have exact rational answers.
"""

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t01_class_balance", points={"shape": 2, "numeric": 4, "behavior": 4})


def _counts(labels, num_classes):
    labels = np.asarray(labels).reshape(-1)
    return np.array([np.sum(labels == c) for c in range(num_classes)], dtype=np.float64)


def _np_inverse_frequency(labels, num_classes):
    """Float64 oracle: N / (K * n_c) for present classes, 0 for absent ones."""
    n = _counts(labels, num_classes)
    total = n.sum()
    return np.array([total / (num_classes * c) if c > 0 else 0.0 for c in n])


def _np_effective_number(labels, num_classes, beta):
    """Float64 oracle: (1 - beta) / (1 - beta**n_c), scaled to sum to the number of present classes."""
    n = _counts(labels, num_classes)
    raw = np.array([(1.0 - beta) / (1.0 - beta**c) if c > 0 else 0.0 for c in n])
    return raw * np.sum(n > 0) / raw.sum()


def _long_tailed(seed, size=200):
    """Labels of 6 classes with a long tail; class 4 never occurs."""
    rng = np.random.default_rng(seed)
    return rng.choice(6, size=size, p=[0.5, 0.25, 0.15, 0.07, 0.0, 0.03])


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "empty labels": "ValueError",
        "a fractional label (1.5)": "ValueError",
        "a NaN label": "ValueError",
        "a negative label (-1)": "ValueError",
        "label 3 with num_classes = 3": "ValueError",
        "2-D labels of shape (2, 2)": "ValueError",
        "num_classes = 0": "ValueError",
        "beta = 1": "ValueError",
        "beta = -0.1": "ValueError",
        "beta = 1.5": "ValueError",
        "text labels": "TypeError",
        "bool labels": "TypeError",
        "labels = None": "TypeError",
        "num_classes given as a float (3.0)": "TypeError",
        "beta given as a string": "TypeError",
    }


@suite.check("shape")
def output_shape_and_dtype(ns):
    """labels [0, 1, 1, 3] with 4 classes give a float64 array of shape (4,) in both modes"""
    weights = need(ns, "class_balanced_weights")
    labels = np.array([0, 1, 1, 3])
    return {"inverse": weights(labels, 4), "effective": weights(labels, 4, beta=0.9)}


@output_shape_and_dtype.verdict
def _(got):
    for mode in ("inverse", "effective"):
        w = expect_array(got[mode], f"weights ({mode} mode)", shape=(4,), kinds="f")
        expect(w.dtype == np.float64, f"weights ({mode} mode): expected dtype float64, got {w.dtype}")


@suite.check("shape", hidden=True)
def trailing_absent_classes_and_one_class(ns):
    """classes absent at the end still get an entry, and a single class works"""
    weights = need(ns, "class_balanced_weights")
    return {
        "trailing": weights(np.array([0, 1, 1, 2]), 7),
        "trailing_beta": weights(np.array([0, 1, 1, 2]), 7, beta=0.5),
        "one": weights(np.array([0, 0, 0]), 1),
        "one_beta": weights(np.array([0, 0, 0]), 1, beta=0.99),
    }


@trailing_absent_classes_and_one_class.verdict
def _(got):
    expect_array(got["trailing"], "weights of labels in 0..2 with 7 classes", shape=(7,), kinds="f")
    expect_array(got["trailing_beta"], "weights of labels in 0..2 with 7 classes (beta mode)", shape=(7,), kinds="f")
    expect_close(got["one"], [1.0], "weights of a single class")
    expect_close(got["one_beta"], [1.0], "weights of a single class (beta mode)")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_inverse_frequency(ns):
    """labels [0, 0, 0, 1] with 3 classes: N / (K n_c) = [4/9, 4/3, 0]"""
    weights = need(ns, "class_balanced_weights")
    return {"out": weights(np.array([0, 0, 0, 1]), 3)}


@hand_worked_inverse_frequency.verdict
def _(got):
    expect_close(got["out"], [4.0 / 9.0, 4.0 / 3.0, 0.0], "inverse-frequency weights")


@suite.check("numeric")
def hand_worked_effective_number(ns):
    """labels [0, 0, 1], beta = 0.5: 1/E_n = [2/3, 1], scaled to sum 2: [0.8, 1.2]"""
    weights = need(ns, "class_balanced_weights")
    return {"out": weights(np.array([0, 0, 1]), 2, beta=0.5)}


@hand_worked_effective_number.verdict
def _(got):
    # E_n = (1 - beta**n) / (1 - beta): E_2 = 0.75 / 0.5 = 1.5, E_1 = 1; 1/E = [2/3, 1], sum 5/3.
    expect_close(got["out"], [0.8, 1.2], "effective-number weights")


@suite.check("numeric", hidden=True)
def inverse_frequency_matches_formula(ns):
    """random long-tailed labels with an absent class: weights equal N / (K n_c)"""
    weights = need(ns, "class_balanced_weights")
    return {"out": weights(_long_tailed(1), 6)}


@inverse_frequency_matches_formula.verdict
def _(got):
    expect_close(got["out"], _np_inverse_frequency(_long_tailed(1), 6), "inverse-frequency weights")


@suite.check("numeric", hidden=True)
def effective_number_matches_formula(ns):
    """beta in {0.9, 0.99, 0.999} on long-tailed labels: weights equal the scaled (1 - beta) / (1 - beta^n)"""
    weights = need(ns, "class_balanced_weights")
    labels = _long_tailed(2)
    return {f"b{k}": weights(labels, 6, beta=beta) for k, beta in enumerate((0.9, 0.99, 0.999))}


@effective_number_matches_formula.verdict
def _(got):
    labels = _long_tailed(2)
    for k, beta in enumerate((0.9, 0.99, 0.999)):
        expect_close(got[f"b{k}"], _np_effective_number(labels, 6, beta), f"effective-number weights for beta={beta}")


@suite.check("numeric", hidden=True)
def effective_number_limits(ns):
    """beta = 0 weighs present classes equally; beta -> 1 tends to normalised inverse frequency"""
    weights = need(ns, "class_balanced_weights")
    labels = _long_tailed(3, size=100)
    return {"zero": weights(labels, 6, beta=0.0), "near_one": weights(labels, 6, beta=1.0 - 1e-9)}


@effective_number_limits.verdict
def _(got):
    labels = _long_tailed(3, size=100)
    present = _counts(labels, 6) > 0
    expect_close(got["zero"], present.astype(np.float64), "weights for beta = 0")
    inverse = _np_inverse_frequency(labels, 6)
    # n (1 - beta) <= 1e-7, so the limit is reached to about 5e-8 relative error.
    expect_close(got["near_one"], inverse * present.sum() / inverse.sum(), "weights for beta = 1 - 1e-9")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def absent_classes_get_zero(ns):
    """labels [2, 2, 0] with 4 classes: classes 1 and 3 get 0.0; in beta mode the weights sum to 2"""
    weights = need(ns, "class_balanced_weights")
    labels = np.array([2, 2, 0])
    return {"inverse": weights(labels, 4), "effective": weights(labels, 4, beta=0.9)}


@absent_classes_get_zero.verdict
def _(got):
    w = {}
    for mode in ("inverse", "effective"):
        w[mode] = expect_array(got[mode], f"weights ({mode} mode)", shape=(4,), kinds="f").astype(np.float64)
        shown = w[mode].tolist()
        expect(bool(np.all(np.isfinite(w[mode]))), f"weights ({mode} mode) must be finite, got {shown}")
        expect(bool(w[mode][1] == 0.0 and w[mode][3] == 0.0),
               f"absent classes 1 and 3 must get 0.0 ({mode} mode), got {shown}")
        expect(bool(w[mode][0] > 0.0 and w[mode][2] > 0.0),
               f"present classes 0 and 2 must get positive weights ({mode} mode), got {shown}")
    expect_close(float(np.sum(w["effective"])), 2.0, "sum of the beta-mode weights (2 present classes)")


@suite.check("behavior", hidden=True)
def weights_rebalance_the_classes(ns):
    """inverse frequency gives every present class the same total weight n_c w_c; rarer classes weigh more"""
    weights = need(ns, "class_balanced_weights")
    labels = _long_tailed(4)
    return {"inverse": weights(labels, 6), "effective": weights(labels, 6, beta=0.99)}


@weights_rebalance_the_classes.verdict
def _(got):
    labels = _long_tailed(4)
    n = _counts(labels, 6)
    present = n > 0
    inverse = expect_array(got["inverse"], "inverse-frequency weights", shape=(6,), kinds="f").astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 from a wrong answer must not warn
        total = inverse * n
    expect_close(total[present], np.full(int(present.sum()), n.sum() / 6), "total weight n_c * w_c of each class")
    effective = expect_array(got["effective"], "beta-mode weights", shape=(6,), kinds="f").astype(np.float64)
    order = np.argsort(n[present])
    expect(bool(np.all(np.diff(effective[present][order]) < 0)),
           "beta-mode weights must decrease strictly as the class count grows")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    weights = need(ns, "class_balanced_weights")
    pair = np.array([0, 1])
    return {
        "empty labels": raised(weights, np.array([], dtype=np.int64), 3),
        "a fractional label (1.5)": raised(weights, np.array([0.0, 1.5]), 3),
        "a NaN label": raised(weights, np.array([0.0, np.nan]), 3),
        "a negative label (-1)": raised(weights, np.array([-1, 0]), 3),
        "label 3 with num_classes = 3": raised(weights, np.array([0, 3]), 3),
        "2-D labels of shape (2, 2)": raised(weights, np.array([[0, 1], [1, 2]]), 3),
        "num_classes = 0": raised(weights, pair, 0),
        "beta = 1": raised(weights, pair, 3, beta=1.0),
        "beta = -0.1": raised(weights, pair, 3, beta=-0.1),
        "beta = 1.5": raised(weights, pair, 3, beta=1.5),
        "text labels": raised(weights, np.array(["cat", "dog"]), 3),
        "bool labels": raised(weights, np.array([True, False]), 3),
        "labels = None": raised(weights, None, 3),
        "num_classes given as a float (3.0)": raised(weights, pair, 3.0),
        "beta given as a string": raised(weights, pair, 3, beta="0.5"),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def whole_floats_lists_and_tensors_accepted(ns):
    """floats holding whole numbers, Python lists, uint8 arrays and tf.Tensors give the integer result"""
    weights = need(ns, "class_balanced_weights")
    return {
        "floats": weights(np.array([0.0, 1.0, 1.0, 3.0]), 4),
        "list": weights([0, 1, 1, 3], 4, beta=0.5),
        "uint8": weights(np.array([0, 1, 1, 3], dtype=np.uint8), 4),
        "tensor": weights(tf.constant([0, 1, 1, 3], dtype=tf.int32), 4, beta=0.5),
    }


@whole_floats_lists_and_tensors_accepted.verdict
def _(got):
    labels = np.array([0, 1, 1, 3])
    inverse = _np_inverse_frequency(labels, 4)
    effective = _np_effective_number(labels, 4, 0.5)
    expect_close(got["floats"], inverse, "weights of float labels [0., 1., 1., 3.]")
    expect_close(got["list"], effective, "weights of a Python list (beta mode)")
    expect_close(got["uint8"], inverse, "weights of uint8 labels")
    expect_close(got["tensor"], effective, "weights of a tf.Tensor (beta mode)")


@suite.check("behavior", hidden=True)
def labels_not_mutated(ns):
    """the caller's labels are unchanged after both modes"""
    weights = need(ns, "class_balanced_weights")
    labels = _long_tailed(5).astype(np.float64)
    weights(labels, 6)
    weights(labels, 6, beta=0.9)
    return {"labels": labels}


@labels_not_mutated.verdict
def _(got):
    expect_close(got["labels"], _long_tailed(5).astype(np.float64), "labels after the calls", rtol=0, atol=0)
