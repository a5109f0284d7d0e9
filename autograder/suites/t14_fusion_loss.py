"""Checks of t14 · fusion and classification loss.

The heads are ``Dense`` layers whose kernel and bias are fixed by ``_case`` (a seeded helper
the verdict calls again), or plain functions, so every verdict recomputes the logits in
float64 itself. Independent oracles: ``_np_sparse_ce`` (float64 NumPy log-sum-exp) and
Keras's own ``SparseCategoricalCrossentropy(from_logits=True)``. Features ~ N(0, 1) and
weights ~ N(0, 0.3) keep the logits within a few units (no softmax saturation).
"""

import math

import keras
import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import (
    expect,
    expect_array,
    expect_close,
    expect_equal,
    expect_number,
    expect_raises,
    need,
    raised,
)

suite = Suite("t14_fusion_loss", points={"shape": 2, "numeric": 5, "behavior": 3})


def _case(seed, lead=(5,), dt=4, di=3, c=4):
    """Features, integer labels and the head's kernel and bias, all from one seed."""
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(*lead, dt))
    image = rng.normal(size=(*lead, di))
    labels = rng.integers(0, c, size=lead)
    kernel = rng.normal(0.0, 0.3, size=(dt + di, c))
    bias = rng.normal(0.0, 0.3, size=(c,))
    return text, image, labels, kernel, bias


def _dense_head(kernel, bias):
    """A Keras Dense head with the given weights."""
    return keras.layers.Dense(
        kernel.shape[1],
        kernel_initializer=keras.initializers.Constant(kernel),
        bias_initializer=keras.initializers.Constant(bias),
    )


def _np_logits(seed, **shape):
    """The float64 logits of ``_case(seed)``: concat(text, image) @ kernel + bias."""
    text, image, labels, kernel, bias = _case(seed, **shape)
    return np.concatenate([text, image], axis=-1) @ kernel + bias, labels


def _np_sparse_ce(logits, labels):
    """Float64 oracle: mean over examples of logsumexp(logits) - logits[label]."""
    logits = np.asarray(logits, dtype=np.float64)
    top = np.max(logits, axis=-1, keepdims=True)
    lse = top[..., 0] + np.log(np.sum(np.exp(logits - top), axis=-1))
    picked = np.take_along_axis(logits, np.asarray(labels)[..., None], axis=-1)[..., 0]
    return float(np.mean(lse - picked))


def _huge_head(fused):
    """Logits of magnitude 1e4: the fused features times 1e4."""
    return fused * 1e4


def _huge_case():
    """Fused features in [-1, 1]: logits up to 1e4 apart, some labels right, some wrong."""
    text = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, -1.0]])
    image = np.array([[-1.0], [0.9999], [0.25]])
    labels = np.array([0, 2, 1])
    return text, image, labels


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "a label equal to the number of classes": "ValueError",
        "a negative label": "ValueError",
        "labels of the wrong shape": "ValueError",
        "fractional labels such as 1.5": "ValueError",
        "text and image with different batch sizes": "ValueError",
        "labels given as a string": "TypeError",
        "an array of text labels": "TypeError",
        "bool labels": "TypeError",
        "a string as head": "TypeError",
        "a string as text_feature": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def fused_and_loss_shapes(ns):
    """(5, 4) text and (5, 3) image: fused (5, 7), the loss a finite scalar"""
    fn = need(ns, "fusion_classification_loss")
    text, image, labels, kernel, bias = _case(0)
    fused, loss = fn(text, image, labels, _dense_head(kernel, bias))
    return {"fused": fused, "loss": loss}


@fused_and_loss_shapes.verdict
def _(got):
    expect_array(got["fused"], "fused", shape=(5, 7))
    value = expect_number(got["loss"], "loss (a 0-d scalar)")
    expect(math.isfinite(value) and value > 0, f"loss must be a positive finite number, got {value}")


@suite.check("shape", hidden=True)
def three_d_features_and_empty_batch(ns):
    """(B, L, D) features are fused on the last axis; a batch of 0 gives a (0, D) fusion and loss 0.0"""
    fn = need(ns, "fusion_classification_loss")
    text, image, labels, kernel, bias = _case(1, lead=(2, 3), dt=4, di=4)
    fused3, loss3 = fn(text, image, labels, _dense_head(kernel, bias))
    text, image, labels, kernel, bias = _case(2, lead=(0,))
    fused0, loss0 = fn(text, image, labels, _dense_head(kernel, bias))
    return {"fused3": fused3, "loss3": loss3, "fused0": fused0, "loss0": loss0}


@three_d_features_and_empty_batch.verdict
def _(got):
    expect_array(got["fused3"], "fused (2, 3, 4) and (2, 3, 4) features", shape=(2, 3, 8))
    logits, labels = _np_logits(1, lead=(2, 3), dt=4, di=4)
    expect_close(got["loss3"], _np_sparse_ce(logits, labels), "loss over the (2, 3) positions")
    expect_array(got["fused0"], "fused features of a batch of 0", shape=(0, 7))
    expect_close(got["loss0"], 0.0, "loss of a batch of 0")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """identity head, T = [[1, 0], [0, 0]], I = [[2], [1]], labels [2, 0]: the values worked by hand"""
    fn = need(ns, "fusion_classification_loss")
    fused, loss = fn([[1.0, 0.0], [0.0, 0.0]], [[2.0], [1.0]], [2, 0], lambda x: x)
    return {"fused": fused, "loss": loss}


@hand_worked_example.verdict
def _(got):
    expect_close(got["fused"], [[1.0, 0.0, 2.0], [0.0, 0.0, 1.0]], "fused")
    # logits = fused; row 0: log(e + 1 + e²) - 2; row 1: log(1 + 1 + e) - 0.
    e = math.e
    want = (math.log(e + 1.0 + e * e) - 2.0 + math.log(2.0 + e)) / 2
    expect_close(got["loss"], want, "loss")


@suite.check("numeric", hidden=True)
def matches_numpy_log_sum_exp(ns):
    """with a Dense head, fused equals the concatenation and the loss the float64 log-sum-exp formula, also with
    the labels given as whole-number floats"""
    fn = need(ns, "fusion_classification_loss")
    text, image, labels, kernel, bias = _case(3, lead=(6,), dt=5, di=2, c=3)
    fused, loss = fn(text, image, labels, _dense_head(kernel, bias))
    _, float_loss = fn(text, image, labels.astype(np.float64), _dense_head(kernel, bias))
    return {"fused": fused, "loss": loss, "float_loss": float_loss}


@matches_numpy_log_sum_exp.verdict
def _(got):
    text, image, labels, kernel, bias = _case(3, lead=(6,), dt=5, di=2, c=3)
    expect_close(got["fused"], np.concatenate([text, image], axis=-1), "fused")
    logits, labels = _np_logits(3, lead=(6,), dt=5, di=2, c=3)
    expect_close(got["loss"], _np_sparse_ce(logits, labels), "loss")
    expect_close(got["float_loss"], _np_sparse_ce(logits, labels), "loss with the labels given as 0.0, 1.0, 2.0")


@suite.check("numeric", hidden=True)
def matches_keras_loss(ns):
    """the loss equals keras.losses.SparseCategoricalCrossentropy(from_logits=True) on the head's logits"""
    fn = need(ns, "fusion_classification_loss")
    text, image, labels, kernel, bias = _case(4, lead=(8,), dt=3, di=6, c=5)
    _, loss = fn(text, image, labels, _dense_head(kernel, bias))
    return {"loss": loss}


@matches_keras_loss.verdict
def _(got):
    logits, labels = _np_logits(4, lead=(8,), dt=3, di=6, c=5)
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    expect_close(got["loss"], float(np.asarray(want)), "loss")


@suite.check("numeric", hidden=True)
def stable_for_huge_logits(ns):
    """logits of magnitude 1e4 give the finite value of the stable log-sum-exp"""
    fn = need(ns, "fusion_classification_loss")
    _, loss = fn(*_huge_case(), _huge_head)
    return {"loss": loss}


@stable_for_huge_logits.verdict
def _(got):
    text, image, labels = _huge_case()
    want = _np_sparse_ce(np.concatenate([text, image], axis=-1) * 1e4, labels)
    # float32 logits of 1e4 carry ~1e-3 absolute error: atol 1e-3.
    expect_close(got["loss"], want, "loss", atol=1e-3)


@suite.check("numeric", hidden=True)
def gradient_matches_closed_form(ns):
    """the gradient w.r.t. the head's kernel and bias equals fusedᵀ (softmax - onehot) / N"""
    fn = need(ns, "fusion_classification_loss")
    text, image, labels, kernel, bias = _case(5, lead=(4,), dt=2, di=3, c=3)
    head = _dense_head(kernel, bias)
    head.build((None, 5))
    with tf.GradientTape() as tape:
        _, loss = fn(text, image, labels, head)
    grad_kernel, grad_bias = tape.gradient(loss, [head.kernel, head.bias])
    return {"kernel": grad_kernel, "bias": grad_bias}


@gradient_matches_closed_form.verdict
def _(got):
    text, image, labels, kernel, bias = _case(5, lead=(4,), dt=2, di=3, c=3)
    fused = np.concatenate([text, image], axis=-1)
    logits = fused @ kernel + bias
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dlogits = (probs - np.eye(3)[labels]) / len(labels)
    expect_close(got["kernel"], fused.T @ dlogits, "gradient w.r.t. the kernel")
    expect_close(got["bias"], dlogits.sum(axis=0), "gradient w.r.t. the bias")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def head_sees_the_fused_features(ns):
    """the head is called once, on the concatenation; all-zero logits give log(C)"""
    fn = need(ns, "fusion_classification_loss")
    seen = []

    def head(x):
        seen.append(np.array(x, dtype=np.float64))
        return tf.zeros((2, 5))

    _, loss = fn([[1.0, 2.0], [3.0, 4.0]], [[5.0], [6.0]], [0, 4], head)
    return {"calls": len(seen), "seen": seen[0] if seen else np.zeros((0,)), "loss": loss}


@head_sees_the_fused_features.verdict
def _(got):
    expect(got["calls"] == 1, f"head must be called exactly once, it was called {got['calls']} times")
    expect_close(got["seen"], [[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]], "the head's input")
    expect_close(got["loss"], math.log(5.0), "loss of all-zero logits over 5 classes")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    fn = need(ns, "fusion_classification_loss")
    text, image, labels, kernel, bias = _case(6)

    def run(t=text, i=image, y=labels, head=None):
        return raised(fn, t, i, y, _dense_head(kernel, bias) if head is None else head)

    return {
        "a label equal to the number of classes": run(y=np.array([0, 1, 4, 2, 3])),
        "a negative label": run(y=np.array([0, -1, 2, 2, 3])),
        "labels of the wrong shape": run(y=labels[:4]),
        "fractional labels such as 1.5": run(y=np.array([0.0, 1.5, 2.0, 1.0, 0.0])),
        "text and image with different batch sizes": run(i=image[:4]),
        "labels given as a string": run(y="01234"),
        "an array of text labels": run(y=np.array(["0", "1", "2", "1", "0"])),
        "bool labels": run(y=np.array([True, False, True, True, False])),
        "a string as head": run(head="dense"),
        "a string as text_feature": run(t="text"),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the call"""
    fn = need(ns, "fusion_classification_loss")
    text, image, labels, kernel, bias = _case(7)
    fn(text, image, labels, _dense_head(kernel, bias))
    return {"text": text, "image": image, "labels": labels}


@inputs_not_mutated.verdict
def _(got):
    text, image, labels, _, _ = _case(7)
    expect_close(got["text"], text, "text_feature after the call", rtol=0, atol=0)
    expect_close(got["image"], image, "image_feature after the call", rtol=0, atol=0)
    expect_equal(got["labels"], labels, "labels after the call")
