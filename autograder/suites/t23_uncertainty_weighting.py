"""Checks of t23 · uncertainty weighting.

Independent oracles, all float64: the formula ``sum exp(-s) L + s`` in NumPy, its closed-form
gradients ``d/dL = exp(-s)`` and ``d/ds = 1 - exp(-s) L``, and its closed-form minimiser
``s* = log L`` with minimum ``sum(1 + log L)``. Inputs keep ``|s| <= 1.5`` and
``0.2 <= L <= 3``, so a factor of 2 or a wrong sign changes the values far beyond the
tolerance.
"""

import math

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t23_uncertainty_weighting", points={"shape": 2, "numeric": 4, "behavior": 4})


def _losses_and_log_vars(seed, tasks=5):
    """Task losses in [0.2, 3] and log-variances in [-1.5, 1.5], float64."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 3.0, size=tasks), rng.uniform(-1.5, 1.5, size=tasks)


def _np_loss(losses, log_vars):
    """Float64 oracle: sum_i exp(-s_i) L_i + s_i."""
    losses = np.asarray(losses, dtype=np.float64)
    log_vars = np.asarray(log_vars, dtype=np.float64)
    return float(np.sum(np.exp(-log_vars) * losses + log_vars))


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_a_scalar(ns):
    """three task losses and three log-variances give one scalar"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    return {"loss": loss_fn([0.5, 1.0, 2.0], [0.0, 0.1, -0.2])}


@returns_a_scalar.verdict
def _(got):
    expect_array(got["loss"], "loss", shape=(), kinds="f")


@suite.check("shape", hidden=True)
def one_task_tensors_and_variables(ns):
    """a single task, a list of scalar tensors, and tf.Variable log-variances all give a scalar"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    single = loss_fn(np.array([1.5]), np.array([0.3]))
    listed = loss_fn([tf.constant(0.7), tf.constant(1.2)], tf.Variable([0.1, -0.1]))
    return {"single": single, "listed": listed}


@one_task_tensors_and_variables.verdict
def _(got):
    expect_close(got["single"], math.exp(-0.3) * 1.5 + 0.3, "loss of one task")
    expect_close(got["listed"], math.exp(-0.1) * 0.7 + 0.1 + math.exp(0.1) * 1.2 - 0.1,
                 "loss of a list of tensors with a tf.Variable of log-variances")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """L = [1, 2], s = [0, log 2] gives 2 + log 2; L = [0.5], s = [-1] gives 0.5 e - 1"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    return {"two": loss_fn([1.0, 2.0], [0.0, math.log(2.0)]), "one": loss_fn([0.5], [-1.0])}


@hand_worked_example.verdict
def _(got):
    # exp(-0) * 1 + 0 + exp(-log 2) * 2 + log 2 = 1 + 1 + log 2
    expect_close(got["two"], 2.0 + math.log(2.0), "loss for L = [1, 2], s = [0, log 2]")
    # exp(1) * 0.5 - 1
    expect_close(got["one"], 0.5 * math.e - 1.0, "loss for L = [0.5], s = [-1]")


@suite.check("numeric", hidden=True)
def matches_formula(ns):
    """equals sum_i exp(-s_i) L_i + s_i for random losses and log-variances"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    losses, log_vars = _losses_and_log_vars(1)
    return {"loss": loss_fn(losses, log_vars),
            "loss32": loss_fn(losses.astype(np.float32), log_vars.astype(np.float32))}


@matches_formula.verdict
def _(got):
    want = _np_loss(*_losses_and_log_vars(1))
    expect_close(got["loss"], want, "loss (float64 inputs)")
    expect_close(got["loss32"], want, "loss (float32 inputs)", rtol=1e-5, atol=1e-5)


@suite.check("numeric", hidden=True)
def gradients_match_closed_form(ns):
    """in float64, d/dL_i = exp(-s_i) and d/ds_i = 1 - exp(-s_i) L_i"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    losses, log_vars = _losses_and_log_vars(2)
    l_var = tf.Variable(losses, dtype=tf.float64)
    s_var = tf.Variable(log_vars, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = loss_fn(l_var, s_var)
    d_losses, d_log_vars = tape.gradient(loss, [l_var, s_var])
    expect(d_losses is not None, "no gradient flows to task_losses")
    expect(d_log_vars is not None, "no gradient flows to log_vars")
    return {"d_losses": d_losses, "d_log_vars": d_log_vars}


@gradients_match_closed_form.verdict
def _(got):
    losses, log_vars = _losses_and_log_vars(2)
    expect_close(got["d_losses"], np.exp(-log_vars), "gradient with respect to task_losses")
    expect_close(got["d_log_vars"], 1.0 - np.exp(-log_vars) * losses, "gradient with respect to log_vars")


@suite.check("numeric", hidden=True)
def minimum_is_at_log_losses(ns):
    """gradient descent on the log-variances converges to s_i = log L_i, the loss to sum(1 + log L_i)"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    losses = _fixed_losses()
    s_var = tf.Variable(np.zeros(3), dtype=tf.float64)
    loss = None
    for _ in range(100):
        with tf.GradientTape() as tape:
            loss = loss_fn(losses, s_var)
        grad = tape.gradient(loss, s_var)
        expect(grad is not None, "no gradient flows to log_vars")
        s_var.assign_sub(0.8 * tf.cast(grad, tf.float64))
    return {"log_vars": s_var.numpy(), "loss": loss_fn(losses, s_var)}


def _fixed_losses():
    """Losses of three tasks on very different scales (the reason for the weighting)."""
    return np.array([0.3, 1.0, 3.0])


@minimum_is_at_log_losses.verdict
def _(got):
    losses = _fixed_losses()
    expect_close(got["log_vars"], np.log(losses), "log-variances after minimising")
    expect_close(got["loss"], float(np.sum(1.0 + np.log(losses))), "loss at the minimum")


# -------------------------------------------------------------------------- behavior
def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "3 task losses with 2 log-variances": "ValueError",
        "3 task losses with 1 log-variance": "ValueError",
        "no tasks": "ValueError",
        "2-D inputs": "ValueError",
        "a scalar log_vars for two tasks": "ValueError",
        "strings as task losses": "TypeError",
        "log_vars=None": "TypeError",
    }


def _mismatch_cases():
    """The cases of _bad_input_expectations() that mismatched_tasks_are_an_error tries."""
    return (
        "3 task losses with 2 log-variances",
        "3 task losses with 1 log-variance",
    )


@suite.check("behavior")
def mismatched_tasks_are_an_error(ns):
    """3 task losses with 2 log-variances, or with 1, raise ValueError (no silent broadcasting)"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    return {
        "3 task losses with 2 log-variances": raised(loss_fn, [1.0, 2.0, 3.0], [0.0, 0.0]),
        "3 task losses with 1 log-variance": raised(loss_fn, [1.0, 2.0, 3.0], [0.0]),
    }


@mismatched_tasks_are_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in _mismatch_cases():
        expect_raises(got[label], expected[label], label)


def _other_bad_cases():
    """The cases of _bad_input_expectations() that bad_input_is_an_error tries."""
    return (
        "no tasks",
        "2-D inputs",
        "a scalar log_vars for two tasks",
        "strings as task losses",
        "log_vars=None",
    )


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """no tasks, a 2-D or scalar input raise ValueError; text and None raise TypeError"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    return {
        "no tasks": raised(loss_fn, [], []),
        "2-D inputs": raised(loss_fn, np.ones((2, 2)), np.zeros((2, 2))),
        "a scalar log_vars for two tasks": raised(loss_fn, [1.0, 2.0], 0.0),
        "strings as task losses": raised(loss_fn, ["a", "b"], [0.0, 0.0]),
        "log_vars=None": raised(loss_fn, [1.0], None),
    }


@bad_input_is_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in _other_bad_cases():
        expect_raises(got[label], expected[label], label)


@suite.check("behavior", hidden=True)
def trains_a_model_through_the_losses(ns):
    """losses computed from weights: the gradient reaches the weights as exp(-s_i) dL_i/dw"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    w = tf.Variable([0.5, -1.0], dtype=tf.float64)
    s_var = tf.Variable([0.2, -0.4], dtype=tf.float64)
    with tf.GradientTape() as tape:
        task_a = tf.reduce_sum(w * w)
        task_b = tf.square(w[0] - 2.0 * w[1])
        loss = loss_fn([task_a, task_b], s_var)
    d_w = tape.gradient(loss, w)
    expect(d_w is not None, "no gradient flows from the weighted loss to the weights that produced the task losses")
    return {"d_w": d_w}


@trains_a_model_through_the_losses.verdict
def _(got):
    w = np.array([0.5, -1.0])
    s = np.array([0.2, -0.4])
    d_task_a = 2.0 * w
    d_task_b = 2.0 * (w[0] - 2.0 * w[1]) * np.array([1.0, -2.0])
    expect_close(got["d_w"], np.exp(-s[0]) * d_task_a + np.exp(-s[1]) * d_task_b, "gradient with respect to w")


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays and variables are unchanged"""
    loss_fn = need(ns, "uncertainty_weighted_loss")
    losses, log_vars = _losses_and_log_vars(3)
    s_var = tf.Variable(log_vars)
    loss_fn(losses, log_vars)
    loss_fn(losses, s_var)
    return {"losses": losses, "log_vars": log_vars, "variable": s_var.numpy()}


@inputs_not_mutated.verdict
def _(got):
    losses, log_vars = _losses_and_log_vars(3)
    expect_close(got["losses"], losses, "task_losses after the call", rtol=0, atol=0)
    expect_close(got["log_vars"], log_vars, "log_vars after the call", rtol=0, atol=0)
    expect_close(got["variable"], log_vars, "tf.Variable log_vars after the call", rtol=0, atol=0)
