"""Checks of t07 · FGSM.

Independent oracle: losses whose gradient has a closed form (a linear loss, an indefinite
quadratic, the cross-entropy of a linear classifier), differentiated by hand in float64
NumPy; the expected output is ``x + epsilon * sign(gradient)``. The inputs keep every
nonzero gradient entry far from 0 (|g| > 1e-3), so its sign is the same in float32 and
float64, and a few entries have a gradient of exactly 0 (sign 0: left unchanged).
"""

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_equal, expect_raises, need, raised

suite = Suite("t07_fgsm", points={"shape": 2, "numeric": 4, "behavior": 4})


def _linear_loss(weights):
    """``x -> sum(weights * x)``: gradient ``weights`` everywhere."""

    def loss(x):
        return tf.reduce_sum(tf.cast(weights, x.dtype) * x)

    return loss


def _quadratic_loss(scale, center):
    """``x -> sum(scale * (x - center)**2) / 2``: gradient ``scale * (x - center)``."""

    def loss(x):
        return 0.5 * tf.reduce_sum(tf.cast(scale, x.dtype) * (x - tf.cast(center, x.dtype)) ** 2)

    return loss


def _ce_loss(weights, labels):
    """``x -> mean cross-entropy of softmax(x @ weights)`` against integer ``labels``."""

    def loss(x):
        logits = tf.matmul(x, tf.cast(weights, x.dtype))
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))

    return loss


def _np_ce(x, weights, labels):
    """Float64 mean cross-entropy of softmax(x @ weights) and its gradient w.r.t. x."""
    x, weights = np.asarray(x, np.float64), np.asarray(weights, np.float64)
    logits = x @ weights
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    onehot = np.eye(weights.shape[1])[labels]
    loss = -np.mean(np.log(probs[np.arange(len(labels)), labels]))
    grad = (probs - onehot) @ weights.T / len(labels)
    return loss, grad


def _ce_inputs():
    """A linear classifier on 5 samples of 4 features, 3 classes; logits of order 1."""
    rng = np.random.default_rng(70)
    x = rng.normal(0.0, 1.0, size=(5, 4))
    weights = rng.normal(0.0, 0.5, size=(4, 3))
    labels = np.array([0, 2, 1, 1, 0])
    return x, weights, labels


def _quadratic_inputs():
    """Indefinite quadratic: mixed-sign scales, and x == center on a few entries (gradient 0)."""
    rng = np.random.default_rng(71)
    x = rng.normal(0.0, 1.0, size=(3, 2, 4))
    center = x + rng.choice([-1.0, 1.0], size=x.shape) * rng.uniform(0.1, 1.0, size=x.shape)
    center[0, 1, 2] = x[0, 1, 2]
    center[2, 0, 0] = x[2, 0, 0]
    scale = rng.choice([-1.0, 1.0], size=x.shape) * rng.uniform(0.5, 2.0, size=x.shape)
    return x, scale, center


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "epsilon = -0.1": "ValueError",
        "epsilon = NaN": "ValueError",
        "epsilon = inf": "ValueError",
        "a loss_fn returning a vector instead of a scalar": "ValueError",
        "a loss_fn that does not depend on x": "ValueError",
        "epsilon given as a string ('0.1')": "TypeError",
        "epsilon = None": "TypeError",
        "a number as loss_fn": "TypeError",
        "a string as x": "TypeError",
    }


@suite.check("shape")
def output_shape_and_dtype(ns):
    """a float32 (3, 4) input gives a float32 (3, 4) output"""
    fgsm = need(ns, "fgsm_perturbation")
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 10.0
    return {"out": fgsm(_linear_loss(np.ones((3, 4))), x, 0.1)}


@output_shape_and_dtype.verdict
def _(got):
    out = expect_array(got["out"], "output", shape=(3, 4), kinds="f")
    expect(out.dtype == np.float32, f"output dtype: expected float32 like the input, got {out.dtype}")


@suite.check("shape", hidden=True)
def any_rank_lists_and_empty_batch(ns):
    """rank-1 and rank-3 inputs, a Python list and a batch of size 0 keep their shapes"""
    fgsm = need(ns, "fgsm_perturbation")
    x3, scale, center = _quadratic_inputs()
    return {
        "rank1": fgsm(_linear_loss(np.array([1.0, -1.0, 2.0])), np.zeros(3), 0.1),
        "rank3": fgsm(_quadratic_loss(scale, center), x3, 0.1),
        "list": fgsm(_linear_loss(np.ones((2, 2))), [[1.0, 2.0], [3.0, 4.0]], 0.1),
        "empty": fgsm(_linear_loss(np.ones((0, 5))), np.zeros((0, 5)), 0.1),
    }


@any_rank_lists_and_empty_batch.verdict
def _(got):
    expect_array(got["rank1"], "output for a (3,) input", shape=(3,), kinds="f")
    expect_array(got["rank3"], "output for a (3, 2, 4) input", shape=(3, 2, 4), kinds="f")
    expect_array(got["list"], "output for a 2x2 list", shape=(2, 2), kinds="f")
    expect_array(got["empty"], "output for a batch of 0", shape=(0, 5), kinds="f")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """loss = 2*x0 - x1 + 0.5*x2 at x = [1, -2, 0.5], epsilon = 0.1 gives [1.1, -2.1, 0.6]"""
    fgsm = need(ns, "fgsm_perturbation")
    x = np.array([1.0, -2.0, 0.5])
    return {"out": fgsm(_linear_loss(np.array([2.0, -1.0, 0.5])), x, 0.1)}


@hand_worked_example.verdict
def _(got):
    # gradient = [2, -1, 0.5], sign = [1, -1, 1]: every entry moves by exactly 0.1
    expect_close(got["out"], [1.1, -2.1, 0.6], "x + epsilon * sign(gradient)")


@suite.check("numeric", hidden=True)
def matches_sign_of_cross_entropy_gradient(ns):
    """cross-entropy of a linear classifier: output = x + epsilon * sign of the closed-form gradient"""
    fgsm = need(ns, "fgsm_perturbation")
    x, weights, labels = _ce_inputs()
    return {"small": fgsm(_ce_loss(weights, labels), x, 0.03),
            "large": fgsm(_ce_loss(weights, labels), x.astype(np.float32), 0.5)}


@matches_sign_of_cross_entropy_gradient.verdict
def _(got):
    x, weights, labels = _ce_inputs()
    _, grad = _np_ce(x, weights, labels)
    expect(bool(np.min(np.abs(grad)) > 1e-3), "test fixture: gradient entries too close to 0")
    expect_close(got["small"], x + 0.03 * np.sign(grad), "output for epsilon = 0.03")
    expect_close(got["large"], x.astype(np.float32) + 0.5 * np.sign(grad), "output for float32 x, epsilon = 0.5")


@suite.check("numeric", hidden=True)
def quadratic_with_flat_entries(ns):
    """indefinite quadratic loss: right sign everywhere, entries with a zero gradient stay unchanged"""
    fgsm = need(ns, "fgsm_perturbation")
    x, scale, center = _quadratic_inputs()
    return {"out": fgsm(_quadratic_loss(scale, center), x, 0.2)}


@quadratic_with_flat_entries.verdict
def _(got):
    x, scale, center = _quadratic_inputs()
    grad = scale * (x - center)
    expect(int(np.sum(grad == 0.0)) == 2 and bool(np.min(np.abs(grad[grad != 0])) > 1e-3),
           "test fixture: expected two exact zeros and no near-zero gradient")
    expect_close(got["out"], x + 0.2 * np.sign(grad), "output")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def epsilon_zero_is_identity(ns):
    """epsilon = 0 returns x exactly"""
    fgsm = need(ns, "fgsm_perturbation")
    x = np.array([[0.5, -1.5, 2.0], [3.0, 0.0, -0.25]])
    return {"out": fgsm(_linear_loss(np.array([[1.0, -2.0, 3.0], [-1.0, 0.5, 2.0]])), x, 0.0)}


@epsilon_zero_is_identity.verdict
def _(got):
    expect_close(got["out"], [[0.5, -1.5, 2.0], [3.0, 0.0, -0.25]], "output for epsilon = 0", rtol=0, atol=0)


@suite.check("behavior")
def loss_goes_up(ns):
    """the cross-entropy of a linear classifier is larger at the perturbed input"""
    fgsm = need(ns, "fgsm_perturbation")
    x, weights, labels = _uphill_inputs()
    return {"out": fgsm(_ce_loss(weights, labels), x, 0.1)}


@loss_goes_up.verdict
def _(got):
    x, weights, labels = _uphill_inputs()
    out = expect_array(got["out"], "output", shape=x.shape, kinds="f")
    before, after = _np_ce(x, weights, labels)[0], _np_ce(out, weights, labels)[0]
    expect(bool(after > before), f"loss at the output ({after:.5f}) should exceed the loss at x ({before:.5f})")


def _uphill_inputs():
    """6 samples, 4 features, 3 classes."""
    rng = np.random.default_rng(72)
    return rng.normal(size=(6, 4)), rng.normal(0.0, 0.5, size=(4, 3)), np.array([0, 1, 2, 2, 1, 0])


@suite.check("behavior", hidden=True)
def deterministic(ns):
    """two calls with the same inputs give the same output (no random noise)"""
    fgsm = need(ns, "fgsm_perturbation")
    x, weights, labels = _ce_inputs()
    return {"a": fgsm(_ce_loss(weights, labels), x, 0.1), "b": fgsm(_ce_loss(weights, labels), x, 0.1)}


@deterministic.verdict
def _(got):
    expect_close(got["b"], expect_array(got["a"], "first output", kinds="f"), "second output", rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """a NumPy array and a tf.Variable passed as x are unchanged after the call"""
    fgsm = need(ns, "fgsm_perturbation")
    x, weights, labels = _ce_inputs()
    variable = tf.Variable(x)
    fgsm(_ce_loss(weights, labels), x, 0.1)
    fgsm(_ce_loss(weights, labels), variable, 0.1)
    return {"array": x, "variable": variable.numpy()}


@inputs_not_mutated.verdict
def _(got):
    x = _ce_inputs()[0]
    expect_close(got["array"], x, "NumPy x after the call", rtol=0, atol=0)
    expect_close(got["variable"], x, "tf.Variable x after the call", rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    fgsm = need(ns, "fgsm_perturbation")
    loss = _linear_loss(np.ones(3))
    x = np.ones(3)
    return {
        "epsilon = -0.1": raised(fgsm, loss, x, -0.1),
        "epsilon = NaN": raised(fgsm, loss, x, float("nan")),
        "epsilon = inf": raised(fgsm, loss, x, float("inf")),
        "a loss_fn returning a vector instead of a scalar": raised(fgsm, lambda t: tf.square(t), x, 0.1),
        "a loss_fn that does not depend on x": raised(fgsm, lambda t: tf.constant(1.0), x, 0.1),
        "epsilon given as a string ('0.1')": raised(fgsm, loss, x, "0.1"),
        "epsilon = None": raised(fgsm, loss, x, None),
        "a number as loss_fn": raised(fgsm, 3.0, x, 0.1),
        "a string as x": raised(fgsm, loss, "abc", 0.1),
        "valid": raised(fgsm, loss, x, 0),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
    expect_equal(got["valid"], "no error", "an integer epsilon of 0")

