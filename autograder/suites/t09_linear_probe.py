"""Checks of t09 · linear probe.

The backbone of the checks is built here with fixed weights (``_backbone_weights``):
Dense(8) -> BatchNormalization (non-trivial moving statistics) -> Dropout(0.5) ->
Dense(5, relu). Its inference-mode forward pass is recomputed in float64 NumPy
(``_np_features``), and the probe's head weights are set from ``_head_weights``, so every
expected value is computed independently of the student's code. A backbone that runs in
training mode (Dropout active, batch statistics) changes the output by far more than the
tolerance, and so does a softmax on the logits.

The probes that train run Keras's compiled (graph-mode) ``train_step``, the one ``fit`` runs:
one step through ``train_on_batch``, or ``fit`` on a ``tf.data.Dataset`` of ready-made batches
(without the NumPy array adapter's slicing and shuffling pipeline, which costs more than the
steps). A probe that needs several backbones of the same kind (shapes, bad arguments) shares one.
"""

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
    expect_raises,
    need,
    raised,
)

suite = Suite("t09_linear_probe", points={"shape": 2, "numeric": 4, "behavior": 4})


def _backbone_weights():
    """Fixed weights of the checks' backbone, in ``get_weights()`` order."""
    rng = np.random.default_rng(909)
    return [
        rng.normal(0.0, 0.5, size=(6, 8)),  # dense 1 kernel
        rng.normal(0.0, 0.1, size=(8,)),  # dense 1 bias
        rng.uniform(0.5, 1.5, size=(8,)),  # BN gamma
        rng.normal(0.0, 0.2, size=(8,)),  # BN beta
        rng.normal(0.0, 0.5, size=(8,)),  # BN moving mean
        rng.uniform(0.5, 2.0, size=(8,)),  # BN moving variance
        rng.normal(0.0, 0.5, size=(8, 5)),  # dense 2 kernel
        rng.normal(0.3, 0.1, size=(5,)),  # dense 2 bias
    ]


def _backbone():
    """Input(6) -> Dense(8) -> BatchNormalization -> Dropout(0.5) -> Dense(5, relu), fixed weights."""
    inputs = keras.Input(shape=(6,))
    h = keras.layers.Dense(8, name="bb_dense_1")(inputs)
    h = keras.layers.BatchNormalization(name="bb_bn")(h)
    h = keras.layers.Dropout(0.5, name="bb_dropout")(h)
    outputs = keras.layers.Dense(5, activation="relu", name="bb_dense_2")(h)
    model = keras.Model(inputs, outputs, name="backbone")
    model.set_weights([w.astype(np.float32) for w in _backbone_weights()])
    return model


def _np_features(x):
    """Float64 inference-mode forward pass of ``_backbone`` (moving statistics, no dropout)."""
    w1, b1, gamma, beta, mean, var, w2, b2 = _backbone_weights()
    h = np.asarray(x, dtype=np.float64) @ w1 + b1
    h = gamma * (h - mean) / np.sqrt(var + 1e-3) + beta
    return np.maximum(h @ w2 + b2, 0.0)


def _inputs(seed, n=8):
    """Backbone inputs ``(n, 6)`` and integer labels in [0, 4)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6)).astype(np.float32), rng.integers(0, 4, size=n)


def _head_weights(n_features, n_classes):
    """Head kernel and bias the probes set, small enough that the logits stay unsaturated."""
    rng = np.random.default_rng(n_features * 100 + n_classes)
    return rng.normal(0.0, 0.3, size=(n_features, n_classes)), rng.normal(0.0, 0.3, size=(n_classes,))


def _head_variables(model, n_features, n_classes):
    """The probe's head kernel ``(F, C)`` and bias ``(C,)``, found by shape among its weights."""
    kernels = [v for v in model.weights if tuple(v.shape) == (n_features, n_classes)]
    biases = [v for v in model.weights if tuple(v.shape) == (n_classes,)]
    if len(kernels) != 1 or len(biases) != 1:
        raise CheckFailed(
            f"expected the probe to hold one head kernel of shape {(n_features, n_classes)} and one "
            f"bias of shape {(n_classes,)}; found {len(kernels)} kernel(s) and {len(biases)} bias(es)"
        )
    return kernels[0], biases[0]


def _set_head(model, n_features, n_classes):
    """Call ``model`` once to build it, then set its head to ``_head_weights``."""
    kernel, bias = _head_variables(model, n_features, n_classes)
    want_kernel, want_bias = _head_weights(n_features, n_classes)
    kernel.assign(want_kernel.astype(np.float32))
    bias.assign(want_bias.astype(np.float32))


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "num_classes = 0": "ValueError",
        "num_classes = -2": "ValueError",
        "num_classes = 2.5 (a float)": "TypeError",
        "num_classes = True (a bool)": "TypeError",
        "num_classes = '3' (text)": "TypeError",
        "backbone = None": "TypeError",
        "a NumPy function as backbone": "TypeError",
    }


@suite.check("shape")
def logits_shape(ns):
    """a probe with 3 classes maps (5, 6) inputs to (5, 3) logits, and a batch of 0 to (0, 3)"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(0)
    probe = build_linear_probe(_backbone(), 3)
    x, _ = _inputs(1, n=5)
    return {"out": probe(x), "out0": probe(np.zeros((0, 6), dtype=np.float32))}


@logits_shape.verdict
def _(got):
    expect_array(got["out"], "logits of 5 samples", shape=(5, 3))
    expect_array(got["out0"], "logits of a batch of 0", shape=(0, 3))


@suite.check("shape", hidden=True)
def one_and_many_classes(ns):
    """num_classes=1 and num_classes=7 give (B, 1) and (B, 7) logits"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(0)
    x, _ = _inputs(2, n=4)
    backbone = _backbone()  # a frozen backbone can serve several probes
    return {"one": build_linear_probe(backbone, 1)(x), "seven": build_linear_probe(backbone, 7)(x)}


@one_and_many_classes.verdict
def _(got):
    expect_array(got["one"], "logits with num_classes=1", shape=(4, 1))
    expect_array(got["seven"], "logits with num_classes=7", shape=(4, 7))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_set_head_logits(ns):
    """backbone x -> x @ [[1, 0], [0, 2]], head set by hand: logits worked out by hand (no softmax)"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(2,))
    dense = keras.layers.Dense(2, name="scale")
    backbone = keras.Model(inputs, dense(inputs))
    dense.set_weights([np.array([[1.0, 0.0], [0.0, 2.0]]), np.zeros(2)])
    probe = build_linear_probe(backbone, 3)
    x = np.array([[1.0, 1.0], [2.0, -1.0]], dtype=np.float32)
    probe(x)
    kernel, bias = _head_variables(probe, 2, 3)
    kernel.assign(np.array([[1.0, -1.0, 0.0], [0.0, 1.0, 1.0]], dtype=np.float32))
    bias.assign(np.array([0.5, 0.0, -1.0], dtype=np.float32))
    return {"logits": probe(x)}


@hand_set_head_logits.verdict
def _(got):
    # features [[1, 2], [2, -2]]; logits = features @ kernel + bias
    expect_close(got["logits"], [[1.5, 1.0, 1.0], [2.5, -4.0, -3.0]], "logits")


@suite.check("numeric", hidden=True)
def logits_match_oracle(ns):
    """logits equal head(backbone in inference mode), with training=True and with training=False"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(1)
    probe = build_linear_probe(_backbone(), 4)
    x, _ = _inputs(3)
    probe(x)
    _set_head(probe, 5, 4)
    return {"train": probe(x, training=True), "infer": probe(x, training=False)}


@logits_match_oracle.verdict
def _(got):
    x, _ = _inputs(3)
    kernel, bias = _head_weights(5, 4)
    want = _np_features(x) @ kernel + bias
    expect_close(got["infer"], want, "logits with training=False")
    expect_close(got["train"], want, "logits with training=True")


@suite.check("numeric", hidden=True)
def one_sgd_step_matches_oracle(ns):
    """one training step (SGD, cross-entropy from logits) moves the head by -lr * gradient on frozen features"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(2)
    probe = build_linear_probe(_backbone(), 4)
    x, y = _inputs(4)
    probe(x)
    _set_head(probe, 5, 4)
    probe.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    probe.train_on_batch(x, y)  # the compiled train step fit runs, once, on the batch of 8
    kernel, bias = _head_variables(probe, 5, 4)
    return {"kernel": kernel, "bias": bias}


@one_sgd_step_matches_oracle.verdict
def _(got):
    x, y = _inputs(4)
    kernel, bias = _head_weights(5, 4)
    features = _np_features(x)
    logits = features @ kernel + bias
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    grad = (prob - np.eye(4)[y]) / len(y)
    expect_close(got["kernel"], kernel - 0.5 * features.T @ grad, "head kernel after one step")
    expect_close(got["bias"], bias - 0.5 * grad.sum(axis=0), "head bias after one step")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def only_head_trainable(ns):
    """the probe's trainable variables are exactly the head's kernel (F, C) and bias (C,)"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(0)
    probe = build_linear_probe(_backbone(), 3)
    probe(_inputs(5)[0])
    return {"count": len(probe.trainable_variables),
            "shapes": {f"v{i}": tuple(v.shape) for i, v in enumerate(probe.trainable_variables)}}


@only_head_trainable.verdict
def _(got):
    shapes = sorted(tuple(int(n) for n in np.atleast_1d(s)) for s in got["shapes"].values())
    expect_equal(got["count"], 2, "number of trainable variables (the head's kernel and bias only)")
    expect(shapes == [(3,), (5, 3)],
           f"trainable variables must be the head's kernel (5, 3) and bias (3,), got shapes {shapes}")


@suite.check("behavior", hidden=True)
def inference_mode_when_training(ns):
    """called with training=True, the backbone's Dropout and BatchNormalization stay in inference mode"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(3)
    backbone = _backbone()
    probe = build_linear_probe(backbone, 3)
    x, _ = _inputs(6, n=16)
    infer = probe(x, training=False)
    train_1 = probe(x, training=True)
    train_2 = probe(x, training=True)
    stats = {w.path.split("/")[-1]: w for w in backbone.weights if "moving" in w.path}
    return {"infer": infer, "train_1": train_1, "train_2": train_2,
            "moving_mean": stats.get("moving_mean"), "moving_variance": stats.get("moving_variance")}


@inference_mode_when_training.verdict
def _(got):
    infer = np.asarray(expect_array(got["infer"], "logits with training=False", shape=(16, 3)), np.float64)
    expect_close(got["train_1"], infer, "logits with training=True (first call)")
    expect_close(got["train_2"], infer, "logits with training=True (second call)")
    weights = _backbone_weights()
    expect_close(got["moving_mean"], weights[4], "BatchNormalization moving mean after training=True calls")
    expect_close(got["moving_variance"], weights[5], "BatchNormalization moving variance after training=True calls")


@suite.check("behavior", hidden=True)
def fit_trains_only_the_head(ns):
    """after fit, every backbone weight and BatchNormalization statistic is unchanged and the head has moved"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(4)
    backbone = _backbone()
    probe = build_linear_probe(backbone, 4)
    x, y = _inputs(7, n=16)
    probe(x)
    _set_head(probe, 5, 4)
    probe.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    probe.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(4), epochs=2, shuffle=False, verbose=0)  # 2 x 4 steps
    kernel, _ = _head_variables(probe, 5, 4)
    return {"backbone": {f"w{i}": w for i, w in enumerate(backbone.get_weights())}, "kernel": kernel}


@fit_trains_only_the_head.verdict
def _(got):
    want = _backbone_weights()
    expect_equal(len(got["backbone"]), len(want), "number of backbone weights")
    names = ("dense 1 kernel", "dense 1 bias", "BN gamma", "BN beta", "BN moving mean", "BN moving variance",
             "dense 2 kernel", "dense 2 bias")
    for i, name in enumerate(names):
        expect_close(got["backbone"][f"w{i}"], want[i], f"backbone {name} after fit", rtol=0, atol=1e-7)
    moved = np.max(np.abs(expect_array(got["kernel"], "head kernel", shape=(5, 4)) - _head_weights(5, 4)[0]))
    expect(bool(moved > 1e-3), "the head's kernel did not change during fit")


@suite.check("behavior", hidden=True)
def bad_arguments(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    build_linear_probe = need(ns, "build_linear_probe")
    keras.utils.set_random_seed(0)
    backbone = _backbone()  # one backbone for every attempt: each must raise
    return {
        "num_classes = 0": raised(build_linear_probe, backbone, 0),
        "num_classes = -2": raised(build_linear_probe, backbone, -2),
        "num_classes = 2.5 (a float)": raised(build_linear_probe, backbone, 2.5),
        "num_classes = True (a bool)": raised(build_linear_probe, backbone, True),
        "num_classes = '3' (text)": raised(build_linear_probe, backbone, "3"),
        "backbone = None": raised(build_linear_probe, None, 3),
        "a NumPy function as backbone": raised(build_linear_probe, np.tanh, 3),
    }


@bad_arguments.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)

