"""Checks of t15 · ROC AUC.

Independent oracles: the definition itself, counted over every (positive, negative) pair in
float64 NumPy (``_pairwise_auc``: win 1, tie 1/2), and for a large input a count per distinct
score value (``_counting_auc``). Scores are rounded so that ties are frequent, and include
values outside [0, 1] (logits), so ranks without tie handling or a threshold grid on [0, 1]
are off by far more than the tolerance (the smallest mutant error is 4.7e-3). Default tolerances
``rtol=1e-5, atol=1e-6`` leave room for a float32 implementation.
"""

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_close, expect_number, expect_raises, need, raised

suite = Suite("t15_roc_auc", points={"shape": 2, "numeric": 4, "behavior": 4})


def _pairwise_auc(y, s):
    """Fraction of (positive, negative) pairs where the positive scores higher; ties count 1/2."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, dtype=np.float64)
    pos, neg = s[y][:, None], s[~y][None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def _counting_auc(y, s):
    """The same count grouped by distinct score: positives at v beat negatives below v, tie at v."""
    y = np.asarray(y).astype(bool)
    values, index = np.unique(np.asarray(s, dtype=np.float64), return_inverse=True)
    pos = np.bincount(index[y], minlength=values.size).astype(np.float64)
    neg = np.bincount(index[~y], minlength=values.size).astype(np.float64)
    neg_below = np.cumsum(neg) - neg
    return float(np.sum(pos * (neg_below + 0.5 * neg)) / (pos.sum() * neg.sum()))


def _tied_scores(seed, n, positive_rate):
    """Labels and logit-like scores rounded to 0.5 (many ties), positives shifted up by 0.8."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < positive_rate).astype(np.int64)
    s = np.round((rng.normal(0.0, 1.5, size=n) + 0.8 * y) * 2.0) / 2.0
    return y, s


def _expect_auc(got, want, what):
    value = expect_number(got, what)
    expect_close(np.asarray(value), want, what)


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "labels [0, 0, 0] (no positive)": "ValueError",
        "labels [1, 1] (no negative)": "ValueError",
        "labels [0, 2, 0, 2]": "ValueError",
        "a label of 0.5": "ValueError",
        "labels -1/1": "ValueError",
        "3 labels for 4 scores": "ValueError",
        "2-D labels and scores": "ValueError",
        "a NaN score": "ValueError",
        "an infinite score": "ValueError",
        "a string as y_true": "TypeError",
        "bool labels": "TypeError",
        "None as y_score": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_a_python_float(ns):
    """the result is a float (a Python float or NumPy float64), not an array or a tensor"""
    roc_auc = need(ns, "roc_auc")
    result = roc_auc(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.3, 0.2]))
    return {"is_float": isinstance(result, float), "type": type(result).__name__}


@returns_a_python_float.verdict
def _(got):
    expect(got["is_float"] is True, f"roc_auc must return a float, got {got['type']}")


@suite.check("shape", hidden=True)
def accepts_lists_tensors_and_float_labels(ns):
    """lists, tensors and 0.0/1.0 float labels all give the same AUC"""
    roc_auc = need(ns, "roc_auc")
    y, s = _tied_scores(1, 40, 0.4)
    return {
        "array": roc_auc(y, s),
        "list": roc_auc(y.tolist(), s.tolist()),
        "tensor": roc_auc(tf.constant(y), tf.constant(s, tf.float32)),
        "float_labels": roc_auc(y.astype(np.float32), s),
    }


@accepts_lists_tensors_and_float_labels.verdict
def _(got):
    want = _pairwise_auc(*_tied_scores(1, 40, 0.4))
    for key in ("array", "list", "tensor", "float_labels"):
        _expect_auc(got[key], want, f"AUC from {key.replace('_', ' ')} input")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_examples_with_ties(ns):
    """two examples worked by hand, the second with tied scores (a tie counts 1/2)"""
    roc_auc = need(ns, "roc_auc")
    return {
        "no_ties": roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
        "ties": roc_auc([0, 1, 0, 1, 1], [0.5, 0.5, 0.2, 0.9, 0.2]),
    }


@hand_worked_examples_with_ties.verdict
def _(got):
    # no ties: 4 pairs, the positive wins 3 of them (0.35 loses to 0.4): 3/4.
    _expect_auc(got["no_ties"], 0.75, "AUC of [0, 0, 1, 1] with scores [0.1, 0.4, 0.35, 0.8]")
    # ties: positives {0.5, 0.9, 0.2} vs negatives {0.2, 0.5}: 1 + 1/2 + 1 + 1 + 1/2 + 0 = 4 of 6 pairs.
    _expect_auc(got["ties"], 4 / 6, "AUC of [0, 1, 0, 1, 1] with scores [0.5, 0.5, 0.2, 0.9, 0.2]")


@suite.check("numeric", hidden=True)
def matches_pairwise_count(ns):
    """301 imbalanced samples with many tied logit scores: AUC equals the pairwise count"""
    roc_auc = need(ns, "roc_auc")
    return {"auc": roc_auc(*_tied_scores(2, 301, 0.25))}


@matches_pairwise_count.verdict
def _(got):
    _expect_auc(got["auc"], _pairwise_auc(*_tied_scores(2, 301, 0.25)), "AUC")


@suite.check("numeric", hidden=True)
def extreme_cases(ns):
    """perfect ranking 1, reversed ranking 0, constant scores 0.5, one positive among ties"""
    roc_auc = need(ns, "roc_auc")
    y = [0, 1, 1, 0, 1, 0, 0]
    s = [-3.0, 2.0, 5.0, 0.0, 1.5, -1.0, 1.0]
    return {
        "perfect": roc_auc(y, s),
        "reversed": roc_auc(y, [-v for v in s]),
        "constant": roc_auc(y, [7.0] * 7),
        "one_positive": roc_auc([0, 0, 1, 0], [1.0, 2.0, 2.0, 3.0]),
    }


@extreme_cases.verdict
def _(got):
    _expect_auc(got["perfect"], 1.0, "AUC of a perfect ranking")
    _expect_auc(got["reversed"], 0.0, "AUC of a reversed ranking")
    _expect_auc(got["constant"], 0.5, "AUC of constant scores")
    _expect_auc(got["one_positive"], 0.5, "AUC with one positive tied with one of three negatives")


@suite.check("numeric", hidden=True)
def large_input_with_ties(ns):
    """20000 samples with 40 distinct scores: AUC equals the count per distinct score"""
    roc_auc = need(ns, "roc_auc")
    return {"auc": roc_auc(*_large_input())}


@large_input_with_ties.verdict
def _(got):
    _expect_auc(got["auc"], _counting_auc(*_large_input()), "AUC")


def _large_input():
    rng = np.random.default_rng(3)
    y = (rng.uniform(size=20000) < 0.3).astype(np.int64)
    s = rng.integers(0, 40, size=20000) + 6 * y - 10.0
    return y, np.clip(s, -10.0, 29.0)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def single_class_is_an_error(ns):
    """only negatives or only positives: the AUC is undefined, a ValueError"""
    roc_auc = need(ns, "roc_auc")
    return {
        "labels [0, 0, 0] (no positive)": raised(roc_auc, [0, 0, 0], [0.1, 0.5, 0.9]),
        "labels [1, 1] (no negative)": raised(roc_auc, [1, 1], [0.3, 0.2]),
    }


@single_class_is_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in (
        "labels [0, 0, 0] (no positive)",
        "labels [1, 1] (no negative)",
    ):
        expect_raises(got[label], expected[label], label)


@suite.check("behavior", hidden=True)
def invariant_to_order_and_monotone_transforms(ns):
    """shuffling samples or applying an increasing function to the scores keeps the AUC; negating gives 1 - AUC"""
    roc_auc = need(ns, "roc_auc")
    y, s = _tied_scores(4, 120, 0.5)
    perm = np.random.default_rng(5).permutation(120)
    return {
        "base": roc_auc(y, s),
        "shuffled": roc_auc(y[perm], s[perm]),
        "exp": roc_auc(y, np.exp(s)),
        "affine": roc_auc(y, 100.0 * s - 7.0),
        "sigmoid": roc_auc(y, 1.0 / (1.0 + np.exp(-s))),
        "negated": roc_auc(y, -s),
    }


@invariant_to_order_and_monotone_transforms.verdict
def _(got):
    want = _pairwise_auc(*_tied_scores(4, 120, 0.5))
    _expect_auc(got["base"], want, "AUC")
    for key in ("shuffled", "exp", "affine", "sigmoid"):
        _expect_auc(got[key], want, f"AUC after the {key} transform")
    _expect_auc(got["negated"], 1.0 - want, "AUC of the negated scores")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every other bad input of the exercise's table raises the exception the table names"""
    roc_auc = need(ns, "roc_auc")
    s = [0.1, 0.7, 0.4, 0.9]
    return {
        "labels [0, 2, 0, 2]": raised(roc_auc, [0, 2, 0, 2], s),
        "a label of 0.5": raised(roc_auc, [0, 0.5, 1, 1], s),
        "labels -1/1": raised(roc_auc, [-1, 1, -1, 1], s),
        "3 labels for 4 scores": raised(roc_auc, [0, 1, 0], s),
        "2-D labels and scores": raised(roc_auc, [[0, 1], [0, 1]], [[0.1, 0.7], [0.4, 0.9]]),
        "a NaN score": raised(roc_auc, [0, 1, 0, 1], [0.1, float("nan"), 0.4, 0.9]),
        "an infinite score": raised(roc_auc, [0, 1, 0, 1], [0.1, float("inf"), 0.4, 0.9]),
        "a string as y_true": raised(roc_auc, "0101", s),
        "bool labels": raised(roc_auc, [False, True, False, True], s),
        "None as y_score": raised(roc_auc, [0, 1, 0, 1], None),
    }


@bad_input_is_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in (
        "labels [0, 2, 0, 2]",
        "a label of 0.5",
        "labels -1/1",
        "3 labels for 4 scores",
        "2-D labels and scores",
        "a NaN score",
        "an infinite score",
        "a string as y_true",
        "bool labels",
        "None as y_score",
    ):
        expect_raises(got[label], expected[label], label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's label and score arrays are unchanged after the call"""
    roc_auc = need(ns, "roc_auc")
    y, s = _tied_scores(6, 50, 0.5)
    roc_auc(y, s)
    return {"y": y, "s": s}


@inputs_not_mutated.verdict
def _(got):
    y, s = _tied_scores(6, 50, 0.5)
    expect_close(got["y"], y, "y_true after the call", rtol=0, atol=0)
    expect_close(got["s"], s, "y_score after the call", rtol=0, atol=0)
