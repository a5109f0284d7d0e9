"""Checks of t21 · unfreeze the top k layers.

The model of the checks (``_model``) is x -> Dense d1 (relu) -> BatchNormalization bn1 ->
Dense d2 -> ReLU act (no weights) -> BatchNormalization bn2 -> Dense d3, with fixed weights
and non-trivial moving statistics (``_model_weights``). Its counted layers are d1, d2 and
d3; the BatchNormalization layers own weights but never count. Expected names, flags and
parameter counts are worked out by hand from this architecture; the numeric check
recomputes one SGD step of Keras's train step (``train_on_batch``, the step ``fit`` runs per
batch) in float64 NumPy with the frozen BatchNormalization layers in inference mode
(``_np_sgd_step``).
"""

import keras
import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_close, expect_equal, expect_raises, need, raised

suite = Suite("t21_unfreeze_top_layers", points={"shape": 2, "numeric": 4, "behavior": 4})


def _model_weights():
    """Fixed weights of ``_model`` in ``get_weights()`` order (BN: gamma, beta, moving mean, moving variance)."""
    rng = np.random.default_rng(2121)

    def batch_norm(n):
        return [rng.uniform(0.5, 1.5, n), rng.normal(0.0, 0.2, n), rng.normal(0.0, 0.5, n), rng.uniform(0.5, 2.0, n)]

    return [rng.normal(0.0, 0.5, (4, 6)), rng.normal(0.0, 0.1, 6), *batch_norm(6),
            rng.normal(0.0, 0.5, (6, 5)), rng.normal(0.2, 0.1, 5), *batch_norm(5),
            rng.normal(0.0, 0.5, (5, 2)), rng.normal(0.0, 0.1, 2)]


def _model():
    """x(4) -> d1 Dense(6, relu) -> bn1 -> d2 Dense(5) -> act ReLU -> bn2 -> d3 Dense(2), fixed weights."""
    # Zero kernels to start with: set_weights overwrites every weight, and drawing random kernels
    # first costs a fifth of building this model, which every check does.
    inputs = keras.Input(shape=(4,), name="x")
    h = keras.layers.Dense(6, activation="relu", kernel_initializer="zeros", name="d1")(inputs)
    h = keras.layers.BatchNormalization(name="bn1")(h)
    h = keras.layers.Dense(5, kernel_initializer="zeros", name="d2")(h)
    h = keras.layers.ReLU(name="act")(h)
    h = keras.layers.BatchNormalization(name="bn2")(h)
    outputs = keras.layers.Dense(2, kernel_initializer="zeros", name="d3")(h)
    model = keras.Model(inputs, outputs, name="net")
    model.set_weights([w.astype(np.float32) for w in _model_weights()])
    return model


def _nested_model():
    """A backbone model (b_d1 -> b_bn -> b_d2) used as a layer, then head_d1 -> head_out."""
    inner_in = keras.Input(shape=(4,))
    h = keras.layers.Dense(6, activation="relu", name="b_d1")(inner_in)
    h = keras.layers.BatchNormalization(name="b_bn")(h)
    backbone = keras.Model(inner_in, keras.layers.Dense(5, activation="relu", name="b_d2")(h), name="backbone")
    inputs = keras.Input(shape=(4,))
    h = keras.layers.Dense(3, activation="relu", name="head_d1")(backbone(inputs))
    return keras.Model(inputs, keras.layers.Dense(2, name="head_out")(h), name="outer")


def _flags(model):
    """``{name: trainable}`` of every layer that owns weights, nested models expanded."""
    flags = {}
    for layer in model.layers:
        if not isinstance(layer, keras.Model):
            flags.update({layer.name: bool(layer.trainable)} if layer.weights else {})
        else:
            flags.update(_flags(layer))
    return flags


def _weights_by_layer(model):
    """``{layer name: {"w0": ..., ...}}`` for every layer of ``model`` that owns weights."""
    return {layer.name: {f"w{i}": w for i, w in enumerate(layer.get_weights())}
            for layer in model.layers if layer.weights}


def _data(seed, n):
    """Inputs ``(n, 4)`` and regression targets ``(n, 2)``."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.normal(size=(n, 2)).astype(np.float32)


def _np_sgd_step(x, y, lr):
    """Float64 d2, d3 weights after one full-batch SGD step on the mean squared error, BN in inference mode."""
    w1, b1, g1, be1, m1, v1, w2, b2, g2, be2, m2, v2, w3, b3 = _model_weights()
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    n1 = g1 * (np.maximum(x @ w1 + b1, 0.0) - m1) / np.sqrt(v1 + 1e-3) + be1
    z2 = n1 @ w2 + b2
    n2 = g2 * (np.maximum(z2, 0.0) - m2) / np.sqrt(v2 + 1e-3) + be2
    out = n2 @ w3 + b3
    g_out = 2.0 * (out - y) / out.size
    g_z2 = (g_out @ w3.T) * g2 / np.sqrt(v2 + 1e-3) * (z2 > 0)
    return {"d2": [w2 - lr * n1.T @ g_z2, b2 - lr * g_z2.sum(axis=0)],
            "d3": [w3 - lr * n2.T @ g_out, b3 - lr * g_out.sum(axis=0)]}


def _expect_unchanged(got, names, what):
    """Every weight of the layers ``names`` equals its initial value in ``_model_weights``."""
    initial = _model_weights()
    offsets = {"d1": 0, "bn1": 2, "d2": 6, "bn2": 8, "d3": 12}
    sizes = {"d1": 2, "bn1": 4, "d2": 2, "bn2": 4, "d3": 2}
    for name in names:
        layer = got.get(name, {})
        expect_equal(len(layer), sizes[name], f"number of weights of layer {name}")
        for i in range(sizes[name]):
            expect_close(layer[f"w{i}"], initial[offsets[name] + i], f"weight {i} of {name} {what}", rtol=0, atol=1e-7)


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def names_for_k_2(ns):
    """k=2 on x -> d1 -> bn1 -> d2 -> act -> bn2 -> d3 returns ['d2', 'd3'] (BN and weightless layers do not count)"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    return {"names": unfreeze_top_layers(_model(), 2)}


@names_for_k_2.verdict
def _(got):
    expect_equal(got["names"], ["d2", "d3"], "names returned for k=2")


@suite.check("shape", hidden=True)
def names_for_other_k(ns):
    """k = 0, 1, 3, 4 and 10 return the right names, in model order; k = np.int64(1) works"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    # One model for every k (building one costs more than the calls): the exercise says the
    # result depends only on k, not on earlier calls, so reuse is part of the contract.
    model = _model()
    got = {f"k{k}": unfreeze_top_layers(model, k) for k in (0, 1, 3, 4, 10)}
    got["numpy_int"] = unfreeze_top_layers(model, np.int64(1))
    return got


@names_for_other_k.verdict
def _(got):
    expect_equal(got["k0"], [], "names returned for k=0")
    expect_equal(got["k1"], ["d3"], "names returned for k=1")
    for k in (3, 4, 10):
        expect_equal(got[f"k{k}"], ["d1", "d2", "d3"], f"names returned for k={k} (3 counted layers)")
    expect_equal(got["numpy_int"], ["d3"], "names returned for k=np.int64(1)")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def trainable_parameter_count(ns):
    """trainable parameters: 12 for k=1 (d3), 47 for k=2 (+ d2), 77 for k=3 (+ d1); 121 parameters in all"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    model = _model()
    got = {}
    for k in (1, 2, 3):
        unfreeze_top_layers(model, k)
        got[f"k{k}"] = int(sum(np.prod(v.shape) for v in model.trainable_weights))
        got[f"total{k}"] = int(sum(np.prod(v.shape) for v in model.weights))
    return got


@trainable_parameter_count.verdict
def _(got):
    # d1: 4*6 + 6 = 30, bn1: 4*6 = 24, d2: 6*5 + 5 = 35, bn2: 4*5 = 20, d3: 5*2 + 2 = 12
    for k, want in ((1, 12), (2, 47), (3, 77)):
        expect_equal(got[f"k{k}"], want, f"number of trainable parameters for k={k}")
        expect_equal(got[f"total{k}"], 121, f"number of parameters for k={k}")


@suite.check("numeric", hidden=True)
def one_sgd_step_matches_oracle(ns):
    """after k=2 and one SGD train step, d2 and d3 move by -lr * gradient (BN in inference mode), nothing else moves"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(1)
    model = _model()
    unfreeze_top_layers(model, 2)
    # run_eagerly: the model is the suite's own (the student only sets flags), so an eager step runs the
    # same train step and skips tracing it (about a second per submission). train_on_batch runs the
    # train_step that fit runs on each batch, without fit's data pipeline and callbacks (about 0.1 s
    # here); which weights move, and BN's inference mode, are decided by the flags in that train_step.
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", run_eagerly=True)
    model.train_on_batch(*_data(2, 8))
    return _weights_by_layer(model)


@one_sgd_step_matches_oracle.verdict
def _(got):
    want = _np_sgd_step(*_data(2, 8), 0.1)
    for name in ("d2", "d3"):
        expect_close(got.get(name, {}).get("w0"), want[name][0], f"kernel of {name} after one step")
        expect_close(got.get(name, {}).get("w1"), want[name][1], f"bias of {name} after one step")
    _expect_unchanged(got, ("d1", "bn1", "bn2"), "after one step")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def batchnorm_always_frozen(ns):
    """k=10 unfreezes d1, d2 and d3 and leaves bn1 and bn2 frozen: 6 trainable weight tensors"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    model = _model()
    unfreeze_top_layers(model, 10)
    return {"flags": _flags(model), "count": len(model.trainable_weights)}


@batchnorm_always_frozen.verdict
def _(got):
    expect_equal(got["flags"], {"d1": True, "bn1": False, "d2": True, "bn2": False, "d3": True},
                 "trainable flags of the layers with weights")
    expect_equal(got["count"], 6, "number of trainable weight tensors (3 kernels, 3 biases)")


@suite.check("behavior", hidden=True)
def repeated_calls_are_consistent(ns):
    """k=3 then k=1 leaves only d3 trainable; k=0 afterwards freezes everything; then k=2 gives d2 and d3"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    model = _model()
    unfreeze_top_layers(model, 3)
    got = {"names1": unfreeze_top_layers(model, 1), "flags1": _flags(model), "count1": len(model.trainable_weights)}
    got["names0"] = unfreeze_top_layers(model, 0)
    got["count0"] = len(model.trainable_weights)
    got["names2"] = unfreeze_top_layers(model, 2)
    got["flags2"] = _flags(model)
    return got


@repeated_calls_are_consistent.verdict
def _(got):
    expect_equal(got["names1"], ["d3"], "names returned for k=1 after k=3")
    expect_equal(got["flags1"], {"d1": False, "bn1": False, "d2": False, "bn2": False, "d3": True},
                 "trainable flags for k=1 after k=3")
    expect_equal(got["count1"], 2, "number of trainable weight tensors for k=1 after k=3")
    expect_equal(got["names0"], [], "names returned for k=0")
    expect_equal(got["count0"], 0, "number of trainable weight tensors for k=0")
    expect_equal(got["names2"], ["d2", "d3"], "names returned for k=2 after k=0")
    expect_equal(got["flags2"], {"d1": False, "bn1": False, "d2": True, "bn2": False, "d3": True},
                 "trainable flags for k=2 after k=0")


@suite.check("behavior", hidden=True)
def works_after_model_was_frozen(ns):
    """after model.trainable = False (a linear-probe stage), k=2 still gives 47 trainable parameters"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    model = _model()
    model.trainable = False
    names = unfreeze_top_layers(model, 2)
    return {"names": names, "params": int(sum(np.prod(v.shape) for v in model.trainable_weights))}


@works_after_model_was_frozen.verdict
def _(got):
    expect_equal(got["names"], ["d2", "d3"], "names returned for k=2")
    expect_equal(got["params"], 47, "number of trainable parameters of the model for k=2")


@suite.check("behavior", hidden=True)
def nested_model_is_expanded(ns):
    """a backbone model used as a layer is expanded: k=3 unfreezes b_d2, head_d1, head_out; b_bn stays frozen"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    model = _nested_model()
    names = unfreeze_top_layers(model, 3)
    return {"names": names, "flags": _flags(model),
            "params": int(sum(np.prod(v.shape) for v in model.trainable_weights))}


@nested_model_is_expanded.verdict
def _(got):
    expect_equal(got["names"], ["b_d2", "head_d1", "head_out"], "names returned for k=3")
    expect_equal(got["flags"], {"b_d1": False, "b_bn": False, "b_d2": True, "head_d1": True, "head_out": True},
                 "trainable flags of the layers with weights")
    # b_d2: 6*5 + 5 = 35, head_d1: 5*3 + 3 = 18, head_out: 3*2 + 2 = 8
    expect_equal(got["params"], 61, "number of trainable parameters")


@suite.check("behavior", hidden=True)
def frozen_batchnorm_during_fit(ns):
    """a training step after k=3: d1, d2, d3 change; bn1 and bn2 (gamma, beta, moving mean and variance) do not"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(3)
    model = _model()
    unfreeze_top_layers(model, 3)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse", run_eagerly=True)  # as above
    x, y = _data(4, 16)
    x = 3.0 * x + 1.0  # batch statistics far from the moving ones
    # One plain SGD step is enough (as above, train_on_batch is fit's train step; Adam's slots cost more
    # than the step): it moves the kernels of d1, d2 and d3 by 5e-3 to 8e-3 at most, 50 times the
    # verdict's 1e-4, and a BN layer left in training mode moves its moving statistics 1 % of the way to
    # these far-off batch statistics, far beyond the verdict's 1e-7.
    model.train_on_batch(x, y)
    return _weights_by_layer(model)


@frozen_batchnorm_during_fit.verdict
def _(got):
    _expect_unchanged(got, ("bn1", "bn2"), "after fit")
    initial = _model_weights()
    for name, offset in (("d1", 0), ("d2", 6), ("d3", 12)):
        kernel = np.asarray(got.get(name, {}).get("w0", initial[offset]), np.float64)
        expect(bool(kernel.shape == initial[offset].shape and np.max(np.abs(kernel - initial[offset])) > 1e-4),
               f"the kernel of {name} did not change during fit")


@suite.check("behavior", hidden=True)
def save_and_load_keep_flags(ns):
    """after k=2, a .keras save/load round trip keeps every layer's trainable flag"""
    import os
    import tempfile

    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    model = _model()
    unfreeze_top_layers(model, 2)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
    return {"flags": _flags(loaded), "count": len(loaded.trainable_weights)}


@save_and_load_keep_flags.verdict
def _(got):
    expect_equal(got["flags"], {"d1": False, "bn1": False, "d2": True, "bn2": False, "d3": True},
                 "trainable flags of the loaded model")
    expect_equal(got["count"], 4, "number of trainable weight tensors of the loaded model")


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "k=-1": "ValueError",
        "k=1.5": "TypeError",
        "k=True": "TypeError",
        "k='2'": "TypeError",
        "k=None": "TypeError",
        "a list of layers as model": "TypeError",
    }


@suite.check("behavior", hidden=True)
def bad_arguments(ns):
    """k = -1 raises ValueError; k = 1.5, True, '2' or None, or a model that is not a keras.Model, raise TypeError"""
    unfreeze_top_layers = need(ns, "unfreeze_top_layers")
    keras.utils.set_random_seed(0)
    # Any valid model will do for bad values of k: a one-layer model is cheaper to build than _model.
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, keras.layers.Dense(1, name="only")(inputs))
    return {
        "k=-1": raised(unfreeze_top_layers, model, -1),
        "k=1.5": raised(unfreeze_top_layers, model, 1.5),
        "k=True": raised(unfreeze_top_layers, model, True),
        "k='2'": raised(unfreeze_top_layers, model, "2"),
        "k=None": raised(unfreeze_top_layers, model, None),
        "a list of layers as model": raised(unfreeze_top_layers, [keras.layers.Dense(2)], 1),
    }


@bad_arguments.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
