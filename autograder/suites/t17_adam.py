"""Checks of t17 · Adam from scratch.

Independent oracle: Keras itself. The probe runs the student's ``adam_update`` for several
steps on gradients drawn by a seeded helper; the verdict regenerates the same gradients and
runs ``keras.optimizers.Adam`` (``AdamW`` when ``weight_decay > 0``) on a float64
``keras.Variable``, then compares the whole trajectory of parameters.

Tolerances. Keras turns its Python-float hyper-parameters into float32 tensors before casting
them to the variable's dtype: its learning rate lives in a float32 variable and
``ops.cast(0.999, "float64")`` is 0.99900001287. With the default betas, Keras in float64
therefore differs from exact Adam by a relative 6.4e-6 of each step; over 8 steps of
lr = 0.01 that stays below 6e-7, so the check with default hyper-parameters uses ``atol=1e-6``
(the catalog's "to 1e-6"). The other trajectories use hyper-parameters exactly representable
in float32 (powers of two: lr 2**-4, beta_1 0.875, beta_2 1 - 2**-10, ...), for which Keras'
float64 run is exact Adam, and are compared with ``rtol=1e-6, atol=1e-9``. A student computing
in float32 stays within ~1e-7 of parameters of order 1. Every mutant moves the trajectory by
more than 1e-5.
"""

import keras
import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t17_adam", points={"shape": 2, "numeric": 4, "behavior": 4})


def _trajectory_inputs(seed, shape, steps, scale):
    """Initial parameters and one gradient per step; gradient size varies by step and entry."""
    rng = np.random.default_rng(seed)
    p0 = rng.normal(0.0, 1.0, size=shape)
    size = scale * rng.uniform(0.2, 3.0, size=(steps,) + (1,) * len(shape)) * rng.uniform(0.5, 2.0, size=shape)
    grads = rng.normal(0.0, 1.0, size=(steps, *shape)) * size
    return p0, grads


def _student_trajectory(adam_update, p0, grads, hp):
    """Call the student's update for steps t = 1..T from zero moments; stack the results."""
    p, m, v = np.array(p0), np.zeros_like(p0), np.zeros_like(p0)
    params, ms, vs = [], [], []
    for t, g in enumerate(grads, start=1):
        p, m, v = adam_update(p, np.array(g), m, v, t, **hp)
        params.append(np.asarray(p, dtype=np.float64))
        ms.append(np.asarray(m, dtype=np.float64))
        vs.append(np.asarray(v, dtype=np.float64))
    return {"params": np.stack(params), "m": np.stack(ms), "v": np.stack(vs)}


def _keras_trajectory(p0, grads, hp):
    """Parameters after each step of keras.optimizers.Adam/AdamW on a float64 variable."""
    hp = dict(hp)
    wd = hp.pop("weight_decay", 0.0)
    var = keras.Variable(np.array(p0, dtype=np.float64), dtype="float64")
    if wd > 0:
        opt = keras.optimizers.AdamW(weight_decay=wd, **hp)
    else:
        opt = keras.optimizers.Adam(**hp)
    out = []
    for g in grads:
        opt.apply_gradients([(tf.constant(np.array(g, dtype=np.float64)), var)])
        out.append(np.array(var.numpy(), dtype=np.float64))
    return np.stack(out)


def _np_moments(grads, beta_1, beta_2):
    """Exponential moving averages of g and g**2 from zero, after each step (float64)."""
    m, v, ms, vs = 0.0 * grads[0], 0.0 * grads[0], [], []
    for g in grads:
        m = beta_1 * m + (1.0 - beta_1) * g
        v = beta_2 * v + (1.0 - beta_2) * g * g
        ms.append(m)
        vs.append(v)
    return np.stack(ms), np.stack(vs)


def _adam_hp():
    """Hyper-parameters of the plain Adam trajectory (Keras defaults except the step size)."""
    return {"learning_rate": 0.01}


def _adamw_hp():
    """AdamW trajectory: every argument non-default and exactly representable in float32."""
    return {"learning_rate": 2.0**-4, "beta_1": 0.75, "beta_2": 1.0 - 2.0**-6, "epsilon": 2.0**-20,
            "weight_decay": 0.125}


def _tiny_hp():
    """Tiny-gradient trajectory: default epsilon, float32-exact step size and betas near the defaults."""
    return {"learning_rate": 2.0**-4, "beta_1": 0.875, "beta_2": 1.0 - 2.0**-10}


def _expect_trajectory(got, want, what, atol):
    params = expect_array(got, what, shape=want.shape)
    for step in range(want.shape[0]):
        expect_close(params[step], want[step], f"{what} after step t={step + 1}", rtol=1e-6, atol=atol)


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "grad of shape (3,) for a param of shape (1, 3)": "ValueError",
        "m of shape (2, 3) for a param of shape (3,)": "ValueError",
        "t = 0 (steps are counted from 1)": "ValueError",
        "t = 1.5 (a float where an int is required)": "TypeError",
        "beta_1 = 1.0": "ValueError",
        "beta_2 = -0.1": "ValueError",
        "learning_rate = -0.01": "ValueError",
        "a NaN learning_rate": "ValueError",
        "epsilon = 0": "ValueError",
        "weight_decay = -0.1": "ValueError",
        "a negative second moment v": "ValueError",
        "a string as param": "TypeError",
        "learning_rate given as a string": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_three_arrays_of_param_shape(ns):
    """(param, m, v) come back with param's shape, for a (2, 3) array and for a scalar"""
    adam_update = need(ns, "adam_update")
    z = np.zeros((2, 3))
    p, m, v = adam_update(np.ones((2, 3)), np.full((2, 3), 0.5), z, z, 1)
    p0, m0, v0 = adam_update(1.0, 0.5, 0.0, 0.0, 1)
    return {"p": p, "m": m, "v": v, "p0": p0, "m0": m0, "v0": v0}


@returns_three_arrays_of_param_shape.verdict
def _(got):
    for name in ("p", "m", "v"):
        expect_array(got[name], f"{name} for a (2, 3) param", shape=(2, 3), kinds="f")
    for name in ("p0", "m0", "v0"):
        value = got[name]
        if type(value) is float:
            value = np.asarray(value)
        expect_array(value, f"{name[0]} for a scalar param", shape=(), kinds="f")


@suite.check("shape", hidden=True)
def accepts_lists_tensors_and_empty(ns):
    """lists and float32 tensors give the same step as float64 arrays; an empty param works"""
    adam_update = need(ns, "adam_update")
    p0, grads = _trajectory_inputs(11, (4,), 1, 0.1)
    z = np.zeros(4)
    ref = adam_update(p0, grads[0], z, z, 1, learning_rate=0.1)
    lists = adam_update(p0.tolist(), grads[0].tolist(), [0.0] * 4, [0.0] * 4, 1, learning_rate=0.1)
    tensors = adam_update(tf.constant(p0, tf.float32), tf.constant(grads[0], tf.float32),
                          tf.zeros(4), tf.zeros(4), 1, learning_rate=0.1)
    empty = adam_update(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), 3)
    return {"ref": [np.asarray(a, dtype=np.float64) for a in ref],
            "lists": [np.asarray(a, dtype=np.float64) for a in lists],
            "tensors": [np.asarray(a, dtype=np.float64) for a in tensors],
            "empty": [np.asarray(a, dtype=np.float64) for a in empty]}


@accepts_lists_tensors_and_empty.verdict
def _(got):
    ref = expect_array(got["ref"], "(param, m, v) from arrays", shape=(3, 4))
    expect(bool(np.all(np.isfinite(ref))), "(param, m, v) from arrays must be finite")
    expect_close(got["lists"], ref, "(param, m, v) from Python lists")
    expect_close(got["tensors"], ref, "(param, m, v) from float32 tensors", rtol=1e-5, atol=1e-6)
    expect_array(got["empty"], "(param, m, v) for an empty param", shape=(3, 0))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def first_step_by_hand(ns):
    """step t=1 from m = v = 0, lr = 0.1: values worked by hand"""
    adam_update = need(ns, "adam_update")
    p, m, v = adam_update(np.array([1.0, -2.0]), np.array([0.5, -0.1]), np.zeros(2), np.zeros(2), 1,
                          learning_rate=0.1)
    return {"p": p, "m": m, "v": v}


@first_step_by_hand.verdict
def _(got):
    # m = 0.1 g, v = 0.001 g²; the bias-corrected ratio m̂ / sqrt(v̂) is ±1, so each weight moves
    # by almost exactly lr against the sign of g. epsilon = 1e-7 is added to sqrt(v) (Keras'
    # "epsilon hat"), which is what keeps the moves 6.3e-7 and 3.2e-6 short of 0.1.
    expect_close(got["m"], [0.05, -0.01], "m", rtol=1e-6, atol=0)
    expect_close(got["v"], [2.5e-4, 1e-5], "v", rtol=1e-6, atol=0)
    expect_close(got["p"], [0.9000006324515321, -1.9000031621776634], "param", rtol=0, atol=2e-7)


@suite.check("numeric", hidden=True)
def matches_keras_adam(ns):
    """8 steps with lr = 0.01 follow keras.optimizers.Adam step by step; m and v are the moving averages"""
    adam_update = need(ns, "adam_update")
    p0, grads = _trajectory_inputs(1, (3, 4), 8, 0.3)
    return _student_trajectory(adam_update, p0, grads, _adam_hp())


@matches_keras_adam.verdict
def _(got):
    p0, grads = _trajectory_inputs(1, (3, 4), 8, 0.3)
    _expect_trajectory(got["params"], _keras_trajectory(p0, grads, _adam_hp()), "param", atol=1e-6)
    ms, vs = _np_moments(grads, 0.9, 0.999)
    expect_close(got["m"], ms, "m (first moment)", rtol=1e-6, atol=1e-8)
    expect_close(got["v"], vs, "v (second moment)", rtol=1e-6, atol=1e-10)


@suite.check("numeric", hidden=True)
def matches_keras_adamw_custom_hyperparameters(ns):
    """6 steps with weight_decay, beta_1, beta_2, epsilon all non-default follow keras.optimizers.AdamW"""
    adam_update = need(ns, "adam_update")
    p0, grads = _trajectory_inputs(2, (5,), 6, 0.5)
    return _student_trajectory(adam_update, p0, grads, _adamw_hp())


@matches_keras_adamw_custom_hyperparameters.verdict
def _(got):
    p0, grads = _trajectory_inputs(2, (5,), 6, 0.5)
    _expect_trajectory(got["params"], _keras_trajectory(p0, grads, _adamw_hp()), "param", atol=1e-9)


@suite.check("numeric", hidden=True)
def tiny_gradients_epsilon_placement(ns):
    """gradients of order 1e-6, where the placement of epsilon matters, still follow keras.optimizers.Adam"""
    adam_update = need(ns, "adam_update")
    p0, grads = _trajectory_inputs(3, (6,), 5, 1e-6)
    return _student_trajectory(adam_update, p0, grads, _tiny_hp())


@tiny_gradients_epsilon_placement.verdict
def _(got):
    p0, grads = _trajectory_inputs(3, (6,), 5, 1e-6)
    _expect_trajectory(got["params"], _keras_trajectory(p0, grads, _tiny_hp()), "param", atol=1e-9)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def weight_decay_shrinks_weights(ns):
    """with a zero gradient, weight_decay = 0.1 and lr = 0.1 multiply the weights by 1 - 0.01"""
    adam_update = need(ns, "adam_update")
    z = np.zeros(3)
    p, m, v = adam_update(np.array([2.0, -4.0, 0.0]), z, z, z, 1, learning_rate=0.1, weight_decay=0.1)
    return {"p": p, "m": m, "v": v}


@weight_decay_shrinks_weights.verdict
def _(got):
    # Decoupled weight decay acts on the weights, not through the gradient: with g = 0 the Adam
    # step is 0 and only the decay p <- p - lr * wd * p remains. An L2 term in the gradient would
    # instead be normalised by Adam into a step of about lr = 0.1.
    expect_close(got["p"], [1.98, -3.96, 0.0], "param", rtol=1e-6, atol=1e-9)
    expect_close(got["m"], [0.0, 0.0, 0.0], "m", rtol=0, atol=0)
    expect_close(got["v"], [0.0, 0.0, 0.0], "v", rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    adam_update = need(ns, "adam_update")
    p, z = np.ones(3), np.zeros(3)
    return {
        "grad of shape (3,) for a param of shape (1, 3)":
            raised(adam_update, np.ones((1, 3)), z, np.zeros((1, 3)), np.zeros((1, 3)), 1),
        "m of shape (2, 3) for a param of shape (3,)": raised(adam_update, p, z, np.zeros((2, 3)), z, 1),
        "t = 0 (steps are counted from 1)": raised(adam_update, p, z, z, z, 0),
        "t = 1.5 (a float where an int is required)": raised(adam_update, p, z, z, z, 1.5),
        "beta_1 = 1.0": raised(adam_update, p, z, z, z, 1, beta_1=1.0),
        "beta_2 = -0.1": raised(adam_update, p, z, z, z, 1, beta_2=-0.1),
        "learning_rate = -0.01": raised(adam_update, p, z, z, z, 1, learning_rate=-0.01),
        "a NaN learning_rate": raised(adam_update, p, z, z, z, 1, learning_rate=float("nan")),
        "epsilon = 0": raised(adam_update, p, z, z, z, 1, epsilon=0.0),
        "weight_decay = -0.1": raised(adam_update, p, z, z, z, 1, weight_decay=-0.1),
        "a negative second moment v": raised(adam_update, p, z, z, -np.ones(3), 2),
        "a string as param": raised(adam_update, "param", z, z, z, 1),
        "learning_rate given as a string": raised(adam_update, p, z, z, z, 1, learning_rate="0.001"),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's param, grad, m and v arrays are unchanged after the call"""
    adam_update = need(ns, "adam_update")
    p0, grads = _trajectory_inputs(4, (2, 2), 2, 0.2)
    m, v = grads[1] * 0.1, grads[1] ** 2 * 0.01
    adam_update(p0, grads[0], m, v, 2, weight_decay=0.01)
    return {"p": p0, "g": grads[0], "m": m, "v": v}


@inputs_not_mutated.verdict
def _(got):
    p0, grads = _trajectory_inputs(4, (2, 2), 2, 0.2)
    want = {"p": p0, "g": grads[0], "m": grads[1] * 0.1, "v": grads[1] ** 2 * 0.01}
    for name, value in want.items():
        expect_close(got[name], value, f"{name} after the call", rtol=0, atol=0)
