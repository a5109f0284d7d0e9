"""Checks of t33 · LoRA.

The probes set the layer's four weights through its attributes ``kernel``, ``bias``,
``lora_a`` and ``lora_b`` (the contract) to seeded values from ``_lora_values`` and the
verdicts recompute ``x W + b + (alpha / rank) x (A B)`` in float64 NumPy (the product ``A B``
first, the reverse order of a typical implementation) and the gradients in closed form.
Ranks and alphas are chosen so that ``alpha / rank``, ``alpha / sqrt(rank)`` and ``alpha``
differ (rank 2 or 3), and ``A B`` is not symmetric, so a transposed merge is visible.

Tolerances. Forward checks run the layer in float32 on entries of size about 1: each output
sums terms of size up to ~3 and rounds to a few 1e-7 absolute, so they use ``rtol=1e-5,
atol=1e-5``; every mutant moves an output by more than 0.1. Gradients run in float64
(``dtype="float64"``) and use ``rtol=1e-8, atol=1e-10``.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import (
    CheckFailed,
    expect,
    expect_array,
    expect_close,
    expect_equal,
    expect_number,
    expect_raises,
    need,
    raised,
)

suite = Suite("t33_lora", points={"shape": 2, "numeric": 4, "behavior": 4})


def _lora_values(seed, d_in, units, rank):
    """Seeded base kernel ``(d_in, units)``, bias ``(units,)``, ``A`` ``(d_in, rank)`` and ``B`` ``(rank, units)``."""
    rng = np.random.default_rng(seed)
    kernel = rng.normal(0.0, 0.5, size=(d_in, units))
    bias = rng.normal(0.0, 0.5, size=(units,))
    a = rng.normal(0.0, 0.5, size=(d_in, rank))
    b = rng.normal(0.0, 0.5, size=(rank, units))
    return kernel, bias, a, b


def _inputs(seed, shape):
    """Seeded float32 inputs with entries ~ N(0, 1)."""
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _assign(variable, value):
    """Set a Keras variable from a NumPy array, in the variable's own dtype."""
    variable.assign(np.asarray(value, dtype=np.dtype(str(variable.dtype))))


def _set_lora(layer, kernel, bias, a, b):
    """Set the four weights of a built layer through its contract attributes."""
    _assign(layer.kernel, kernel)
    _assign(layer.bias, bias)
    _assign(layer.lora_a, a)
    _assign(layer.lora_b, b)


def _np_lora(x, kernel, bias, a, b, scaling):
    """Float64 oracle: ``x (W + scaling A B) + b``."""
    merged = np.asarray(kernel, np.float64) + scaling * (np.asarray(a, np.float64) @ np.asarray(b, np.float64))
    return np.asarray(x, np.float64) @ merged + np.asarray(bias, np.float64)


def _gradients(layer, x, cotangent):
    """Gradients of ``sum(cotangent * layer(x))`` w.r.t. ``lora_a`` and ``lora_b``."""
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.constant(cotangent) * tf.cast(layer(x), tf.float64))
    grads = tape.gradient(loss, [layer.lora_a, layer.lora_b])
    if any(g is None for g in grads):
        raise CheckFailed("no gradient reaches lora_a or lora_b")
    return grads


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "rank = 0": "ValueError",
        "rank = 2.5 (a float)": "TypeError",
        "rank = True (a bool)": "TypeError",
        "units = 0": "ValueError",
        "alpha = 0": "ValueError",
        "alpha = -4.0": "ValueError",
        "alpha = nan": "ValueError",
        "alpha = '16' (text)": "TypeError",
        "alpha = None": "TypeError",
        "seed = 1.5 (a float)": "TypeError",
        "from_dense of a keras.layers.Conv1D": "TypeError",
        "from_dense of an unbuilt Dense": "ValueError",
        "from_dense of a Dense with activation='relu'": "ValueError",
        "an input whose last dimension is not d_in": "ValueError",
        "merge() before the layer is built": "ValueError",
    }


@suite.check("shape")
def output_and_weight_shapes(ns):
    """LoRADense(3, rank=2, alpha=4.0) on (5, 6): output (5, 3), kernel (6, 3), A (6, 2), B (2, 3); batch 0 works"""
    keras.utils.set_random_seed(0)
    layer = need(ns, "LoRADense")(3, rank=2, alpha=4.0, seed=0)
    out = layer(_inputs(1, (5, 6)))
    empty = layer(np.zeros((0, 6), np.float32))
    return {"out": out, "empty": empty, "kernel": layer.kernel, "bias": layer.bias,
            "lora_a": layer.lora_a, "lora_b": layer.lora_b}


@output_and_weight_shapes.verdict
def _(got):
    expect_array(got["out"], "output", shape=(5, 3))
    expect_array(got["empty"], "output for a batch of 0", shape=(0, 3))
    expect_array(got["kernel"], "kernel", shape=(6, 3))
    expect_array(got["bias"], "bias", shape=(3,))
    expect_array(got["lora_a"], "lora_a", shape=(6, 2))
    expect_array(got["lora_b"], "lora_b", shape=(2, 3))


@suite.check("shape", hidden=True)
def from_dense_shapes_and_leading_dims(ns):
    """from_dense of a Dense(5) on 7 inputs, rank 1: A (7, 1), B (1, 5); (2, 4, 7) and (0, 3, 7) inputs work"""
    keras.utils.set_random_seed(1)
    dense = keras.layers.Dense(5)
    dense(np.zeros((1, 7), np.float32))
    layer = need(ns, "LoRADense").from_dense(dense, rank=1, alpha=1.0, seed=2)
    return {"out": layer(_inputs(3, (2, 4, 7))), "empty": layer(np.zeros((0, 3, 7), np.float32)),
            "kernel": layer.kernel, "bias": layer.bias, "lora_a": layer.lora_a, "lora_b": layer.lora_b}


@from_dense_shapes_and_leading_dims.verdict
def _(got):
    expect_array(got["out"], "output for (2, 4, 7) inputs", shape=(2, 4, 5))
    expect_array(got["empty"], "output for (0, 3, 7) inputs", shape=(0, 3, 5))
    expect_array(got["kernel"], "kernel", shape=(7, 5))
    expect_array(got["bias"], "bias", shape=(5,))
    expect_array(got["lora_a"], "lora_a", shape=(7, 1))
    expect_array(got["lora_b"], "lora_b", shape=(1, 5))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """the exercise's example (W = I, alpha/rank = 4/2): outputs and merged kernel worked by hand"""
    keras.utils.set_random_seed(2)
    layer = need(ns, "LoRADense")(2, rank=2, alpha=4.0, seed=0)
    x = np.array([[1.0, 1.0], [2.0, -1.0]], np.float32)
    layer(x)
    _set_lora(layer, np.eye(2), [0.5, -0.5], [[1.0, 0.0], [2.0, 1.0]], [[0.5, -1.0], [0.0, 0.25]])
    out = layer(x)
    layer.merge()
    return {"out": out, "merged_kernel": layer.kernel, "merged_out": layer(x)}


@hand_worked_example.verdict
def _(got):
    # x A = [[3, 1], [0, -1]]; (x A) B = [[1.5, -2.75], [0, -0.25]]; times 4 / 2 = [[3, -5.5], [0, -0.5]];
    # x W + b = [[1.5, 0.5], [2.5, -1.5]]. Merged: W + 2 A B = [[2, -2], [2, -2.5]].
    expect_close(got["out"], [[4.5, -5.0], [2.5, -2.0]], "output")
    expect_close(got["merged_kernel"], [[2.0, -2.0], [2.0, -2.5]], "kernel after merge()")
    expect_close(got["merged_out"], [[4.5, -5.0], [2.5, -2.0]], "output after merge()")


@suite.check("numeric", hidden=True)
def matches_formula(ns):
    """with seeded weights, (2, 5, 6) inputs give x W + b + (alpha / rank) x A B (rank 3, alpha 6)"""
    keras.utils.set_random_seed(3)
    layer = need(ns, "LoRADense")(4, rank=3, alpha=6.0, seed=1)
    x = _inputs(11, (2, 5, 6))
    layer(x)
    _set_lora(layer, *_lora_values(12, 6, 4, 3))
    return {"out": layer(x)}


@matches_formula.verdict
def _(got):
    want = _np_lora(_inputs(11, (2, 5, 6)), *_lora_values(12, 6, 4, 3), scaling=6.0 / 3)
    expect_close(got["out"], want, "output", atol=1e-5)


@suite.check("numeric", hidden=True)
def from_dense_matches_dense(ns):
    """from_dense copies the Dense's weights: first the Dense's own output, then the formula once A and B are set"""
    keras.utils.set_random_seed(4)
    dense = keras.layers.Dense(4)
    x = _inputs(13, (5, 6))
    dense(x)
    kernel, bias, a, b = _lora_values(14, 6, 4, 2)
    _assign(dense.kernel, kernel)
    _assign(dense.bias, bias)
    layer = need(ns, "LoRADense").from_dense(dense, rank=2, alpha=3.0, seed=5)
    before = layer(x)
    _assign(layer.lora_a, a)
    _assign(layer.lora_b, b)
    return {"before": before, "after": layer(x)}


@from_dense_matches_dense.verdict
def _(got):
    kernel, bias, a, b = _lora_values(14, 6, 4, 2)
    x = _inputs(13, (5, 6))
    expect_close(got["before"], _np_lora(x, kernel, bias, a, b, scaling=0.0), "output of a new adapter", atol=1e-5)
    expect_close(got["after"], _np_lora(x, kernel, bias, a, b, scaling=3.0 / 2), "output with A and B set",
                 atol=1e-5)


@suite.check("numeric", hidden=True)
def gradients_closed_form(ns):
    """float64 gradients w.r.t. A and B equal the closed form, at initialisation (B = 0: dA = 0) and with B set"""
    keras.utils.set_random_seed(5)
    layer = need(ns, "LoRADense")(4, rank=3, alpha=6.0, seed=2, dtype="float64")
    x = _inputs(15, (5, 6)).astype(np.float64)
    layer(x)
    kernel, bias, a, b = _lora_values(16, 6, 4, 3)
    _set_lora(layer, kernel, bias, a, np.zeros_like(b))
    cotangent = np.random.default_rng(17).normal(size=(5, 4))
    at_init = _gradients(layer, x, cotangent)
    _assign(layer.lora_b, b)
    with_b = _gradients(layer, x, cotangent)
    return {"a_init": at_init[0], "b_init": at_init[1], "a": with_b[0], "b": with_b[1]}


@gradients_closed_form.verdict
def _(got):
    _, _, a, b = _lora_values(16, 6, 4, 3)
    x = _inputs(15, (5, 6)).astype(np.float64)
    c = np.random.default_rng(17).normal(size=(5, 4))
    scaling = 6.0 / 3
    # L = sum(c * (x W + b + s x A B)): dL/dA = s xᵀ c Bᵀ, dL/dB = s (x A)ᵀ c
    expect_close(got["a_init"], np.zeros((6, 3)), "gradient w.r.t. A while B = 0", rtol=1e-8, atol=1e-10)
    expect_close(got["b_init"], scaling * (x @ a).T @ c, "gradient w.r.t. B while B = 0", rtol=1e-8, atol=1e-10)
    expect_close(got["a"], scaling * x.T @ c @ b.T, "gradient w.r.t. A", rtol=1e-8, atol=1e-10)
    expect_close(got["b"], scaling * (x @ a).T @ c, "gradient w.r.t. B", rtol=1e-8, atol=1e-10)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def starts_equal_to_base(ns):
    """a new adapter from from_dense (alpha 8, rank 2) gives exactly the Dense's output: B is zero, A is not"""
    keras.utils.set_random_seed(6)
    dense = keras.layers.Dense(3)
    x = _inputs(18, (4, 5))
    dense(x)
    dense.bias.assign(np.array([0.3, -0.2, 0.1], np.float32))
    layer = need(ns, "LoRADense").from_dense(dense, rank=2, alpha=8.0, seed=1)
    return {"base": dense(x), "out": layer(x), "lora_a": layer.lora_a, "lora_b": layer.lora_b}


@starts_equal_to_base.verdict
def _(got):
    base = expect_array(got["base"], "the Dense's output", shape=(4, 3))
    expect_close(got["out"], np.asarray(base, np.float64), "output of the new adapter")
    expect(bool(np.all(expect_array(got["lora_b"], "lora_b", shape=(2, 3)) == 0.0)), "lora_b must start at zero")
    expect(bool(np.any(expect_array(got["lora_a"], "lora_a", shape=(5, 2)) != 0.0)),
           "lora_a must start random, not zero (with A = B = 0 neither gets a gradient)")


@suite.check("behavior", hidden=True)
def only_lora_trainable(ns):
    """the trainable weights are exactly A (5, 2) and B (2, 3); the kernel and bias are frozen"""
    keras.utils.set_random_seed(7)
    dense = keras.layers.Dense(3)
    dense(np.zeros((1, 5), np.float32))
    layer = need(ns, "LoRADense").from_dense(dense, rank=2, alpha=4.0, seed=3)
    return {"trainable": repr(sorted(tuple(int(d) for d in v.shape) for v in layer.trainable_weights)),
            "frozen": repr(sorted(tuple(int(d) for d in v.shape) for v in layer.non_trainable_weights))}


@only_lora_trainable.verdict
def _(got):
    expect_equal(got["trainable"], "[(2, 3), (5, 2)]", "shapes of the trainable weights (lora_b, lora_a)")
    expect_equal(got["frozen"], "[(3,), (5, 3)]", "shapes of the non-trainable weights (bias, kernel)")


@suite.check("behavior", hidden=True)
def a_initialisation(ns):
    """A (64, 16) ~ U(-1/sqrt(64), 1/sqrt(64)), the same for the same seed and different for another; B = 0"""
    LoRADense = need(ns, "LoRADense")
    keras.utils.set_random_seed(8)
    x = np.zeros((1, 64), np.float32)
    first, again, other = (LoRADense(8, rank=16, alpha=16.0, seed=s) for s in (3, 3, 4))
    for layer in (first, again, other):
        layer(x)
    return {"a": first.lora_a, "a_again": again.lora_a, "a_other": other.lora_a, "b": first.lora_b}


@a_initialisation.verdict
def _(got):
    a = np.asarray(expect_array(got["a"], "lora_a", shape=(64, 16)), np.float64)
    bound = 1.0 / math.sqrt(64)
    expect(bool(np.max(np.abs(a)) <= bound * (1 + 1e-6)), "lora_a has entries outside [-1/sqrt(d_in), 1/sqrt(d_in)]")
    expect(bool(np.max(np.abs(a)) >= 0.9 * bound), "lora_a does not fill [-1/sqrt(d_in), 1/sqrt(d_in)]")
    # 1024 draws: the std of a uniform on [-c, c] is c / sqrt(3), estimated to about 1.5 %
    expect(bool(abs(np.std(a) / (bound / math.sqrt(3)) - 1) < 0.1), "lora_a's spread is not that of the uniform")
    expect(bool(abs(np.mean(a)) < 0.1 * bound), "lora_a is not centred on 0")
    expect_close(got["a_again"], a, "lora_a of a second layer with the same seed", rtol=0, atol=0)
    expect(bool(np.max(np.abs(expect_array(got["a_other"], "lora_a", shape=(64, 16)) - a)) > 1e-3),
           "lora_a is the same for seeds 3 and 4")
    expect(bool(np.all(expect_array(got["b"], "lora_b", shape=(16, 8)) == 0.0)), "lora_b must start at zero")


@suite.check("behavior", hidden=True, points=1.0)
def merge_unmerge_round_trip(ns):
    """merge() folds (alpha/rank) A B into the kernel, unmerge() restores it, outputs never change; both idempotent"""
    keras.utils.set_random_seed(9)
    layer = need(ns, "LoRADense")(5, rank=2, alpha=4.0, seed=4)
    x = _inputs(19, (4, 6))
    layer(x)
    _set_lora(layer, *_lora_values(20, 6, 5, 2))
    got = {"out": layer(x), "flag": bool(layer.merged)}
    layer.merge()
    got.update(merged_kernel=np.array(layer.kernel), merged_out=layer(x), merged_flag=bool(layer.merged))
    layer.merge()
    got.update(twice_kernel=np.array(layer.kernel), twice_out=layer(x))
    layer.unmerge()
    got.update(back_kernel=np.array(layer.kernel), back_out=layer(x), back_flag=bool(layer.merged))
    layer.unmerge()
    got.update(again_kernel=np.array(layer.kernel), again_out=layer(x))
    return got


@merge_unmerge_round_trip.verdict
def _(got):
    kernel, bias, a, b = _lora_values(20, 6, 5, 2)
    want = _np_lora(_inputs(19, (4, 6)), kernel, bias, a, b, scaling=2.0)
    expect_equal([got["flag"], got["merged_flag"], got["back_flag"]], [False, True, False],
                 "layer.merged before merge(), after merge(), after unmerge()")
    expect_close(got["merged_kernel"], kernel + 2.0 * a @ b, "kernel after merge()")
    expect_close(got["twice_kernel"], kernel + 2.0 * a @ b, "kernel after a second merge()")
    expect_close(got["back_kernel"], kernel, "kernel after unmerge()")
    expect_close(got["again_kernel"], kernel, "kernel after a second unmerge()")
    for key in ("out", "merged_out", "twice_out", "back_out", "again_out"):
        expect_close(got[key], want, f"output ({key})", atol=1e-5)


@suite.check("behavior", hidden=True)
def dense_and_inputs_not_mutated(ns):
    """from_dense copies: merging and training the adapter leave the Dense (weights, trainability) and x unchanged"""
    keras.utils.set_random_seed(10)
    dense = keras.layers.Dense(4)
    x = _inputs(21, (3, 6))
    dense(x)
    kernel, bias, a, b = _lora_values(22, 6, 4, 2)
    _assign(dense.kernel, kernel)
    _assign(dense.bias, bias)
    layer = need(ns, "LoRADense").from_dense(dense, rank=2, alpha=2.0, seed=6)
    _assign(layer.lora_b, b)
    layer.merge()
    layer(x)
    return {"kernel": dense.kernel, "bias": dense.bias, "trainable": len(dense.trainable_weights), "x": x}


@dense_and_inputs_not_mutated.verdict
def _(got):
    kernel, bias, _, _ = _lora_values(22, 6, 4, 2)
    expect_close(got["kernel"], kernel.astype(np.float32), "the Dense's kernel after merge()", rtol=0, atol=0)
    expect_close(got["bias"], bias.astype(np.float32), "the Dense's bias", rtol=0, atol=0)
    expect_equal(got["trainable"], 2, "number of trainable weights of the Dense")
    expect_close(got["x"], _inputs(21, (3, 6)), "x after the call", rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def config_round_trip(ns):
    """get_config() holds units, rank, alpha and seed; from_config rebuilds a layer of the same size and name"""
    LoRADense = need(ns, "LoRADense")
    keras.utils.set_random_seed(11)
    config = LoRADense(5, rank=3, alpha=12.0, seed=7, name="adapter").get_config()
    clone = LoRADense.from_config(config)
    out = clone(_inputs(23, (2, 4)))
    return {"units": config.get("units"), "rank": config.get("rank"), "alpha": config.get("alpha"),
            "seed": config.get("seed"), "name": clone.name == "adapter", "out": out, "lora_a": clone.lora_a}


@config_round_trip.verdict
def _(got):
    expect_equal(got["units"], 5, "get_config()['units']")
    expect_equal(got["rank"], 3, "get_config()['rank']")
    expect(expect_number(got["alpha"], "get_config()['alpha']") == 12.0, "get_config()['alpha'] must be 12")
    expect_equal(got["seed"], 7, "get_config()['seed']")
    expect(got["name"] is True, "the layer rebuilt by from_config lost its name")
    expect_array(got["out"], "output of the rebuilt layer", shape=(2, 5))
    expect_array(got["lora_a"], "lora_a of the rebuilt layer", shape=(4, 3))


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    LoRADense = need(ns, "LoRADense")
    keras.utils.set_random_seed(12)
    built = keras.layers.Dense(3)
    built(np.zeros((1, 4), np.float32))
    relu = keras.layers.Dense(3, activation="relu")
    relu(np.zeros((1, 4), np.float32))
    layer = LoRADense(3, rank=2, alpha=2.0, seed=0)
    layer(np.zeros((2, 4), np.float32))
    return {
        "rank = 0": raised(LoRADense, 3, 0, 2.0),
        "rank = 2.5 (a float)": raised(LoRADense, 3, 2.5, 2.0),
        "rank = True (a bool)": raised(LoRADense, 3, True, 2.0),
        "units = 0": raised(LoRADense, 0, 2, 2.0),
        "alpha = 0": raised(LoRADense, 3, 2, 0),
        "alpha = -4.0": raised(LoRADense, 3, 2, -4.0),
        "alpha = nan": raised(LoRADense, 3, 2, float("nan")),
        "alpha = '16' (text)": raised(LoRADense, 3, 2, "16"),
        "alpha = None": raised(LoRADense, 3, 2, None),
        "seed = 1.5 (a float)": raised(LoRADense, 3, 2, 2.0, seed=1.5),
        "from_dense of a keras.layers.Conv1D": raised(LoRADense.from_dense, keras.layers.Conv1D(3, 2), 2, 2.0),
        "from_dense of an unbuilt Dense": raised(LoRADense.from_dense, keras.layers.Dense(3), 2, 2.0),
        "from_dense of a Dense with activation='relu'": raised(LoRADense.from_dense, relu, 2, 2.0),
        "an input whose last dimension is not d_in": raised(layer, np.zeros((2, 5), np.float32)),
        "merge() before the layer is built": raised(LoRADense(3, rank=2, alpha=2.0).merge),
        "a valid from_dense": raised(LoRADense.from_dense, built, 2, 2.0),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
    expect_equal(got["a valid from_dense"], "no error", "from_dense of a built linear Dense")
