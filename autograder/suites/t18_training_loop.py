"""Checks of t18 · the training loop.

The model handed to ``train_model`` is a tiny linear classifier (float64 ``Dense``) that logs
every batch it is called on with ``training=True`` (through ``tf.py_function``, so it also works
inside a ``tf.function`` or ``model.fit``). The probe maps the logged rows back to sample
indices. The verdict then checks the structure of each epoch (every sample exactly once, in
batches of ``batch_size`` plus one smaller batch, a new order every epoch) and **replays** the
training on exactly those batches with an independent computation: float64 NumPy logits,
softmax cross-entropy and its closed-form gradient, stepped by Keras' Adam update rule written
out in NumPy (``_np_adam_step``). Final weights and the per-epoch history (batch means weighted
by batch size) must match it (default tolerances; the model is float64, so a correct loop agrees
to ~1e-12). Initial weights are set by the probe from a seeded NumPy helper that the verdict
regenerates.

Sizes are the smallest that still show each property (at least two epochs wherever epochs
interact, a smaller last batch wherever batching matters): every step of the student's loop is
an eager Adam step, so the number of steps is most of the suite's time. The recording model is
built directly (no symbolic first call) and logs eagerly when called eagerly.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t18_training_loop", points={"shape": 2, "numeric": 4, "behavior": 4})


def _data(seed, n, d=3, c=3):
    """Inputs (n, d) with distinct rows and integer labels in [0, c)."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, size=(n, d)), rng.integers(0, c, size=n)


def _initial_weights(seed, d=3, c=3):
    """Kernel (d, c) and bias (c,) the probe assigns before training."""
    rng = np.random.default_rng(1000 + seed)
    return rng.normal(0.0, 0.5, size=(d, c)), rng.normal(0.0, 0.1, size=(c,))


def _recording_model(kernel, bias, log):
    """Linear float64 model with the given weights; each call with training=True appends its batch to log.

    Built in ``__init__`` (a first call would trace ``call`` symbolically, a graph per model). Called
    eagerly it logs directly; inside a ``tf.function`` (or ``model.fit``) through ``tf.py_function``.
    """

    class RecordingLinear(keras.Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.dense = keras.layers.Dense(kernel.shape[1], dtype="float64",
                                            kernel_initializer=lambda shape, dtype=None: np.array(kernel),
                                            bias_initializer=lambda shape, dtype=None: np.array(bias))
            self.dense.build((None, kernel.shape[0]))
            self.built = True

        def call(self, x, training=None):
            if training:
                if tf.executing_eagerly():
                    log.append(np.array(x))
                else:
                    tf.py_function(lambda batch: log.append(np.array(batch)) or 0, [x], Tout=tf.int32)
            return self.dense(x)

    return RecordingLinear()


def _batch_indices(log, x):
    """Sample index of every logged row (-1 if a row is not a training sample) and the batch sizes."""
    sizes = np.array([len(batch) for batch in log], dtype=np.int64)
    if not log:
        return np.zeros(0, dtype=np.int64), sizes
    rows = np.concatenate([np.asarray(b, dtype=np.float64).reshape(len(b), -1) for b in log])
    dist = np.sum((rows[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    index = np.argmin(dist, axis=1)
    index[np.min(dist, axis=1) > 1e-6] = -1
    return index, sizes


def _train(train_model, data_seed, n, epochs, batch_size, learning_rate, seed, zero_init=False):
    """Train a fresh recording model on _data(data_seed, n); return what the verdicts need."""
    x, y = _data(data_seed, n)
    kernel, bias = _initial_weights(data_seed)
    if zero_init:
        kernel, bias = np.zeros_like(kernel), np.zeros_like(bias)
    log = []
    model = _recording_model(kernel, bias, log)
    returned, history = train_model(model, x, y, epochs, batch_size, learning_rate, seed=seed)
    index, sizes = _batch_indices(log, _data(data_seed, n)[0])  # fresh copy: x may have been modified
    return {
        "same_model": returned is model,
        "history_is_list_of_floats": isinstance(history, list) and all(isinstance(h, float) for h in history),
        "history": np.asarray([float(h) for h in history], dtype=np.float64),
        "kernel": model.dense.kernel.numpy(),
        "bias": model.dense.bias.numpy(),
        "index": index,
        "sizes": sizes,
    }


def _epoch_batches(got, n, batch_size, epochs):
    """Split the logged batches into epochs, checking each epoch covers every sample once."""
    sizes = [int(s) for s in expect_array(got["sizes"], "batch sizes")]
    index = expect_array(got["index"], "batch indices")
    per_epoch = math.ceil(n / batch_size)
    expect(len(sizes) == epochs * per_epoch,
           f"expected {epochs * per_epoch} calls of model(x, training=True) ({epochs} epochs of {per_epoch} "
           f"batches for {n} samples and batch_size={batch_size}), got {len(sizes)}")
    want_sizes = sorted([batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else []))
    batches, start = [], 0
    for epoch in range(epochs):
        epoch_sizes = sizes[epoch * per_epoch:(epoch + 1) * per_epoch]
        expect(sorted(epoch_sizes) == want_sizes,
               f"epoch {epoch + 1}: expected batches of sizes {want_sizes} (in any order), got {epoch_sizes}")
        epoch_batches = []
        for size in epoch_sizes:
            epoch_batches.append(index[start:start + size])
            start += size
        seen = np.sort(np.concatenate(epoch_batches))
        expect(bool(np.array_equal(seen, np.arange(n))),
               f"epoch {epoch + 1}: the batches must contain every training sample exactly once")
        batches.append(epoch_batches)
    return batches


def _np_adam_step(params, grads, moments, step, learning_rate):
    """One step of Keras' Adam (defaults beta_1 0.9, beta_2 0.999, epsilon 1e-7) in float64 NumPy, in place.

    As in ``keras.optimizers.Adam``: the bias corrections are folded into the step size and
    epsilon is added to sqrt(v); the learning rate is the value of a float32 variable and the
    powers of beta are taken of the betas rounded to float32 (Keras casts a Python float to a
    float32 tensor before casting it to the variable's dtype), the moment updates use the exact
    betas. So a correct float64 loop agrees with this replay to ~1e-12.
    """
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    lr = float(np.float32(learning_rate))
    beta_1_power = float(np.float32(beta_1)) ** step
    beta_2_power = float(np.float32(beta_2)) ** step
    alpha = lr * math.sqrt(1.0 - beta_2_power) / (1.0 - beta_1_power)
    for param, grad, (m, v) in zip(params, grads, moments, strict=True):
        m += (grad - m) * (1.0 - beta_1)
        v += (grad * grad - v) * (1.0 - beta_2)
        param -= m * alpha / (np.sqrt(v) + epsilon)


def _replay(x, y, kernel, bias, batches, learning_rate):
    """Independent replay: NumPy softmax cross-entropy, its gradient and Adam's update, in float64."""
    w = np.array(kernel, dtype=np.float64)
    b = np.array(bias, dtype=np.float64)
    moments = [(np.zeros_like(w), np.zeros_like(w)), (np.zeros_like(b), np.zeros_like(b))]
    history, step = [], 0
    for epoch in batches:
        total = 0.0
        for idx in epoch:
            xb, yb, rows = x[idx], y[idx], np.arange(len(idx))
            logits = xb @ w + b
            top = logits.max(axis=1, keepdims=True)
            log_norm = top[:, 0] + np.log(np.sum(np.exp(logits - top), axis=1))
            total += float(np.sum(log_norm - logits[rows, yb]))
            dlogits = np.exp(logits - log_norm[:, None])
            dlogits[rows, yb] -= 1.0
            dlogits /= len(idx)
            step += 1
            _np_adam_step([w, b], [xb.T @ dlogits, dlogits.sum(axis=0)], moments, step, learning_rate)
        history.append(total / len(x))
    return w, b, np.array(history)


def _expect_replay(got, data_seed, n, epochs, batch_size, learning_rate):
    batches = _epoch_batches(got, n, batch_size, epochs)
    x, y = _data(data_seed, n)
    kernel, bias = _initial_weights(data_seed)
    want_w, want_b, want_h = _replay(x, y, kernel, bias, batches, learning_rate)
    expect_close(got["history"], want_h,
                 "history (each epoch: the batches' mean losses, before their step, weighted by batch size)")
    expect_close(got["kernel"], want_w, "trained kernel (Adam steps on the mean cross-entropy from logits)")
    expect_close(got["bias"], want_b, "trained bias")


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "batch_size=0": "ValueError",
        "batch_size=2.5": "TypeError",
        "epochs=-1": "ValueError",
        "epochs=1.5": "TypeError",
        "learning_rate=-0.01": "ValueError",
        "learning_rate=NaN": "ValueError",
        "learning_rate=inf": "ValueError",
        "learning_rate given as a string": "TypeError",
        "5 labels for 6 samples": "ValueError",
        "a label of -1": "ValueError",
        "a label of 0.5": "ValueError",
        "bool labels": "TypeError",
        "0 training samples": "ValueError",
        "a plain function as the model": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_model_and_history(ns):
    """returns (model, history): the same model object and a list of `epochs` Python floats"""
    train_model = need(ns, "train_model")
    got = _train(train_model, 1, 5, 2, 4, 0.05, seed=0)  # 2 batches an epoch: a per-batch history has 4 entries
    return {"same_model": got["same_model"], "is_list": got["history_is_list_of_floats"],
            "history": got["history"]}


@returns_model_and_history.verdict
def _(got):
    expect(got["same_model"] is True, "train_model must return the model it was given (trained in place)")
    expect(got["is_list"] is True, "history must be a list of Python floats")
    history = expect_array(got["history"], "history", shape=(2,))
    expect(bool(np.all(np.isfinite(history))), "history must hold finite losses")


@suite.check("shape", hidden=True)
def multi_input_label_column_and_zero_epochs(ns):
    """a two-input model trains on [text, image] with (N, 1) labels (ints, then whole-number floats); epochs = 0
    trains nothing"""
    train_model = need(ns, "train_model")
    keras.utils.set_random_seed(5)
    text, image = keras.Input((2,)), keras.Input((3,))
    logits = keras.layers.Dense(3)(keras.layers.Concatenate()([text, image]))
    model = keras.Model([text, image], logits)
    before = [v.numpy().copy() for v in model.trainable_variables]
    rng = np.random.default_rng(6)
    xt, xi = rng.normal(size=(6, 2)).astype(np.float32), rng.normal(size=(6, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=(6, 1))
    _, none = train_model(model, [xt, xi], labels, 0, 4, 0.01, seed=0)
    unchanged = all(bool(np.array_equal(a, v.numpy())) for a, v in zip(before, model.trainable_variables, strict=True))
    _, history = train_model(model, [xt, xi], labels.astype(np.float64), 2, 4, 0.01, seed=0)
    changed = any(not np.allclose(a, v.numpy()) for a, v in zip(before, model.trainable_variables, strict=True))
    return {"zero_epochs_history_len": len(none), "zero_epochs_unchanged": unchanged,
            "history": np.asarray([float(h) for h in history]), "changed": changed}


@multi_input_label_column_and_zero_epochs.verdict
def _(got):
    expect(got["zero_epochs_history_len"] == 0, "epochs=0 must give an empty history")
    expect(got["zero_epochs_unchanged"] is True, "epochs=0 must leave the weights unchanged")
    history = expect_array(got["history"], "history of a two-input model", shape=(2,))
    expect(bool(np.all(np.isfinite(history))), "history of a two-input model must be finite")
    expect(got["changed"] is True, "training a two-input model must change its weights")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def zero_weights_first_loss_is_log_3(ns):
    """zero weights, one batch: the epoch loss is log 3 and Adam's first step moves every weight by ~lr"""
    train_model = need(ns, "train_model")
    x = np.array([[1.5, 0.0, 2.0], [0.0, 1.0, -1.0], [1.0, 1.0, 0.5], [-1.0, 0.0, 1.0],
                  [0.0, -1.0, -2.0], [2.0, 1.0, 1.0]])
    y = np.array([0, 0, 0, 0, 1, 2])
    log = []
    model = _recording_model(np.zeros((3, 3)), np.zeros(3), log)
    _, history = train_model(model, x, y, 1, 8, 0.1, seed=0)
    return {"history": np.asarray([float(h) for h in history]), "kernel": model.dense.kernel.numpy(),
            "bias": model.dense.bias.numpy()}


@zero_weights_first_loss_is_log_3.verdict
def _(got):
    # All logits are 0, so every sample's cross-entropy is log 3. Adam's first step is
    # lr * g / (|g| + tiny) = ±lr for every weight with a non-zero gradient (all of them here).
    expect_close(got["history"], [math.log(3.0)], "history with zero weights and one batch")
    expect_close(np.abs(got["kernel"]), np.full((3, 3), 0.1), "|kernel| after one Adam step", rtol=1e-3)
    expect_close(np.abs(got["bias"]), np.full(3, 0.1), "|bias| after one Adam step", rtol=1e-3)


@suite.check("numeric", hidden=True)
def matches_replay_of_its_batches(ns):
    """N=6, batch 4 (4+2), 2 epochs, lr 0.05: weights and history equal an independent replay of the same batches"""
    return _train(need(ns, "train_model"), 2, 6, 2, 4, 0.05, seed=7)


@matches_replay_of_its_batches.verdict
def _(got):
    _expect_replay(got, 2, 6, 2, 4, 0.05)


@suite.check("numeric", hidden=True)
def matches_replay_with_uneven_batches(ns):
    """N=7, batch 3 (3+3+1), 2 epochs, lr 0.02: weights and history equal an independent replay"""
    return _train(need(ns, "train_model"), 3, 7, 2, 3, 0.02, seed=1)


@matches_replay_with_uneven_batches.verdict
def _(got):
    _expect_replay(got, 3, 7, 2, 3, 0.02)


@suite.check("numeric", hidden=True)
def zero_learning_rate_is_a_no_op_step(ns):
    """learning_rate=0 is accepted: the weights stay put and the history still reports the losses"""
    return _train(need(ns, "train_model"), 4, 5, 2, 4, 0.0, seed=5)  # 4 + 1: the history weighting shows too


@zero_learning_rate_is_a_no_op_step.verdict
def _(got):
    kernel, bias = _initial_weights(4)
    expect_close(got["kernel"], kernel, "kernel after training with learning_rate=0", rtol=0, atol=1e-7)
    expect_close(got["bias"], bias, "bias after training with learning_rate=0", rtol=0, atol=1e-7)
    _expect_replay(got, 4, 5, 2, 4, 0.0)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def every_sample_once_per_epoch(ns):
    """N=6, batch 4, 2 epochs: each epoch calls model(x, training=True) on batches of 4 and 2 covering all samples"""
    return _train(need(ns, "train_model"), 4, 6, 2, 4, 0.01, seed=0)


@every_sample_once_per_epoch.verdict
def _(got):
    _epoch_batches(got, 6, 4, 2)


@suite.check("behavior", hidden=True)
def reshuffled_every_epoch(ns):
    """3 epochs: the order of the samples changes from every epoch to the next"""
    # 16 samples in 2 batches of 8: 6435 ways to split them, so a correct loop repeats the same
    # batches in all 3 epochs with probability 2.4e-8, and the same order with far less.
    return _train(need(ns, "train_model"), 5, 16, 3, 8, 0.01, seed=2)


@reshuffled_every_epoch.verdict
def _(got):
    batches = _epoch_batches(got, 16, 8, 3)
    orders = [np.concatenate(epoch) for epoch in batches]
    for e in range(2):
        expect(not np.array_equal(orders[e], orders[e + 1]),
               f"epochs {e + 1} and {e + 2} visit the samples in the same order: reshuffle every epoch")
    groups = [sorted(tuple(sorted(int(i) for i in b)) for b in epoch) for epoch in batches]
    expect(any(groups[e] != groups[e + 1] for e in range(2)),
           "every epoch uses the same batches (only their order changes): shuffle the samples, not the batches")


@suite.check("behavior", hidden=True)
def reproducible_with_seed(ns):
    """the same seed gives the same batches and weights; another seed gives other batches"""
    train_model = need(ns, "train_model")
    a = _train(train_model, 6, 8, 2, 4, 0.05, seed=3)
    b = _train(train_model, 6, 8, 2, 4, 0.05, seed=3)
    c = _train(train_model, 6, 8, 2, 4, 0.05, seed=4)
    return {"a_index": a["index"], "b_index": b["index"], "c_index": c["index"],
            "a_kernel": a["kernel"], "b_kernel": b["kernel"], "a_history": a["history"], "b_history": b["history"]}


@reproducible_with_seed.verdict
def _(got):
    a = expect_array(got["a_index"], "batch indices with seed 3")
    expect(bool(np.array_equal(a, expect_array(got["b_index"], "batch indices with seed 3, again"))),
           "two runs with seed=3 must visit the samples in the same order")
    expect(not np.array_equal(a, expect_array(got["c_index"], "batch indices with seed 4")),
           "seed=3 and seed=4 must give different orders")
    expect_close(got["b_kernel"], got["a_kernel"], "kernel of two runs with seed=3", rtol=0, atol=1e-12)
    expect_close(got["b_history"], got["a_history"], "history of two runs with seed=3", rtol=0, atol=1e-12)


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    train_model = need(ns, "train_model")
    x, y = _data(7, 6)
    kernel, bias = _initial_weights(7)
    model = _recording_model(kernel, bias, [])  # one model for every attempt: each must raise, not train

    def attempt(*args, **kwargs):
        return raised(train_model, model, *args, **kwargs)
    return {
        "batch_size=0": attempt(x, y, 1, 0, 0.01),
        "batch_size=2.5": attempt(x, y, 1, 2.5, 0.01),
        "epochs=-1": attempt(x, y, -1, 2, 0.01),
        "epochs=1.5": attempt(x, y, 1.5, 2, 0.01),
        "learning_rate=-0.01": attempt(x, y, 1, 2, -0.01),
        "learning_rate=NaN": attempt(x, y, 1, 2, float("nan")),
        "learning_rate=inf": attempt(x, y, 1, 2, float("inf")),
        "learning_rate given as a string": attempt(x, y, 1, 2, "0.01"),
        "5 labels for 6 samples": attempt(x, y[:5], 1, 2, 0.01),
        "a label of -1": attempt(x, np.array([0, 1, -1, 2, 0, 1]), 1, 2, 0.01),
        "a label of 0.5": attempt(x, np.array([0, 1, 0.5, 2, 0, 1]), 1, 2, 0.01),
        "bool labels": attempt(x, np.array([0, 1, 1, 0, 0, 1], dtype=bool), 1, 2, 0.01),
        "0 training samples": attempt(np.zeros((0, 3)), np.zeros(0, dtype=np.int64), 1, 2, 0.01),
        "a plain function as the model": raised(train_model, lambda t: t, x, y, 1, 2, 0.01),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's data and label arrays are unchanged after training (no in-place shuffle)"""
    train_model = need(ns, "train_model")
    x, y = _data(8, 6)
    kernel, bias = _initial_weights(8)
    train_model(_recording_model(kernel, bias, []), x, y, 1, 4, 0.01, seed=0)
    return {"x": x, "y": y}


@inputs_not_mutated.verdict
def _(got):
    x, y = _data(8, 6)
    expect_close(got["x"], x, "train_data after training", rtol=0, atol=0)
    expect_close(got["y"], y, "train_label after training", rtol=0, atol=0)
