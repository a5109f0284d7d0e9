"""Checks of t32 · SigLIP pairwise sigmoid loss.

Independent oracle: ``_np_siglip_loss``, float64 NumPy with ``-log sigmoid(x) = logaddexp(0, -x)``
and the labels built as a sign matrix. Random embeddings have rows of norms between 0.5 and 3
(a missing L2 normalisation changes the loss); the scales and biases used keep |logits| below
about 6, where a missing exp, a divided scale, a missing bias, 0/1 labels or a mean over the B²
pairs all move the loss far beyond the tolerance. The gradient check compares
``tf.GradientTape`` in float64 with the closed form of d loss / d t' and d loss / d b and with
central differences of the oracle for the embeddings.
"""

import math

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_number, expect_raises, need, raised

suite = Suite("t32_siglip_loss", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_logits(text, image, log_temperature, bias):
    """Float64 logits exp(t') cos(t_i, v_j) + b."""
    t = np.asarray(text, dtype=np.float64)
    i = np.asarray(image, dtype=np.float64)
    t = t / np.linalg.norm(t, axis=1, keepdims=True)
    i = i / np.linalg.norm(i, axis=1, keepdims=True)
    return math.exp(log_temperature) * (t @ i.T) + bias


def _np_siglip_loss(text, image, log_temperature, bias):
    """Float64 oracle: sum over all B² pairs of softplus(-z_ij * logit_ij), divided by B."""
    logits = _np_logits(text, image, log_temperature, bias)
    b = logits.shape[0]
    if b == 0:
        return 0.0
    signs = np.where(np.eye(b, dtype=bool), 1.0, -1.0)
    return float(np.sum(np.logaddexp(0.0, -signs * logits)) / b)


def _np_parameter_gradients(text, image, log_temperature, bias):
    """Closed form: d/d logit of softplus(-z l) is -z sigmoid(-z l); d logit/d b = 1, d logit/d t' = exp(t') cos."""
    logits = _np_logits(text, image, log_temperature, bias)
    b = logits.shape[0]
    signs = np.where(np.eye(b, dtype=bool), 1.0, -1.0)
    d_logits = -signs / (1.0 + np.exp(signs * logits)) / b
    return float(np.sum(d_logits * (logits - bias))), float(np.sum(d_logits))


def _embeddings(seed, b=6, d=5):
    """Random pairs with row norms between 0.5 and 3 (normalisation matters)."""
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(b, d)) * rng.uniform(0.5, 3.0, size=(b, 1))
    image = rng.normal(size=(b, d)) * rng.uniform(0.5, 3.0, size=(b, 1))
    return text, image


def _near_tie():
    """Unit rows whose cosines differ by 1e-4; with exp(t') = 1e4 the logits reach 1e4."""
    c = 1.0 - 1e-4
    return np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [c, math.sqrt(1.0 - c * c)]])


def _swapped():
    """Text rows e0, e1 against image rows e1, e0: both positives have cosine 0, both negatives 1."""
    return np.eye(2), np.eye(2)[[1, 0]]


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "text and image with different batch sizes": "ValueError",
        "text and image with different widths D": "ValueError",
        "1-D embeddings": "ValueError",
        "3-D embeddings": "ValueError",
        "a string as text_emb": "TypeError",
        "image_emb = None": "TypeError",
        "log_temperature of shape (2,)": "ValueError",
        "a NaN log_temperature": "ValueError",
        "an infinite bias": "ValueError",
        "log_temperature given as a string": "TypeError",
        "bias = None": "TypeError",
        "bias = True (a bool)": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_a_scalar(ns):
    """(4, 8) text and image embeddings, t' = log 10, b = -10: one finite positive number"""
    loss_fn = need(ns, "siglip_loss")
    rng = np.random.default_rng(320)
    return {"loss": loss_fn(rng.normal(size=(4, 8)), rng.normal(size=(4, 8)), math.log(10.0), -10.0)}


@returns_a_scalar.verdict
def _(got):
    value = expect_number(got["loss"], "loss")
    expect(math.isfinite(value) and value > 0, f"loss must be a positive finite number, got {value}")


@suite.check("shape", hidden=True)
def single_pair_empty_batch_and_dtype(ns):
    """one pair is one positive term; a batch of 0 gives 0.0, not NaN; float64 in, float64 out"""
    loss_fn = need(ns, "siglip_loss")
    text, image = _embeddings(321, b=1, d=4)
    many_t, many_i = _embeddings(322)
    return {"one": loss_fn(text, image, math.log(3.0), 0.5),
            "empty": loss_fn(np.zeros((0, 4)), np.zeros((0, 4)), math.log(10.0), -10.0),
            "float64": loss_fn(many_t, many_i, 0.5, -1.0),
            "float32": loss_fn(many_t.astype(np.float32), many_i.astype(np.float32), 0.5, -1.0)}


@single_pair_empty_batch_and_dtype.verdict
def _(got):
    text, image = _embeddings(321, b=1, d=4)
    expect_close(got["one"], _np_siglip_loss(text, image, math.log(3.0), 0.5), "loss of a batch of one pair")
    expect_close(got["empty"], 0.0, "loss of a batch of 0", rtol=0, atol=0)
    value = expect_array(got["float64"], "loss of float64 embeddings", shape=(), kinds="f")
    expect(value.dtype == np.float64, "float64 embeddings must give a float64 loss")
    value = expect_array(got["float32"], "loss of float32 embeddings", shape=(), kinds="f")
    expect(value.dtype == np.float32, "float32 embeddings must give a float32 loss")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_examples(ns):
    """the exercise's two examples: identity pairs at the paper's initialisation, and a 2 x 2 batch"""
    loss_fn = need(ns, "siglip_loss")
    return {"init": loss_fn(np.eye(3), np.eye(3), math.log(10.0), -10.0),
            "small": loss_fn([[3.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [1.0, 1.0]], math.log(2.0), -1.0)}


@hand_worked_examples.verdict
def _(got):
    # init: positives 10 * 1 - 10 = 0 -> log 2 each; negatives 10 * 0 - 10 = -10 -> log(1 + e^-10) each;
    # (3 log 2 + 6 log(1 + e^-10)) / 3
    expect_close(got["init"], math.log(2.0) + 2.0 * math.log1p(math.exp(-10.0)), "loss of identity pairs at init")
    # cosines [[1, 1/√2], [0, 1/√2]]; logits 2 cos - 1 = [[1, √2 - 1], [-1, √2 - 1]]
    r = math.sqrt(2.0) - 1.0
    softplus = lambda x: math.log1p(math.exp(x))
    expect_close(got["small"], (2.0 * softplus(-1.0) + softplus(r) + softplus(-r)) / 2.0, "loss of the 2 x 2 batch")


@suite.check("numeric", hidden=True)
def matches_formula(ns):
    """random pairs with unequal norms, several t' and b: the sum over B² pairs divided by B"""
    loss_fn = need(ns, "siglip_loss")
    text, image = _embeddings(323)
    wide_t, wide_i = _embeddings(324, b=9, d=3)
    return {"init": loss_fn(text, image, math.log(10.0), -10.0), "warm": loss_fn(text, image, math.log(3.0), 1.5),
            "wide": loss_fn(wide_t, wide_i, 0.2, -0.7)}


@matches_formula.verdict
def _(got):
    text, image = _embeddings(323)
    wide_t, wide_i = _embeddings(324, b=9, d=3)
    expect_close(got["init"], _np_siglip_loss(text, image, math.log(10.0), -10.0), "loss at t' = log 10, b = -10")
    expect_close(got["warm"], _np_siglip_loss(text, image, math.log(3.0), 1.5), "loss at t' = log 3, b = 1.5")
    expect_close(got["wide"], _np_siglip_loss(wide_t, wide_i, 0.2, -0.7), "loss of 9 pairs at t' = 0.2, b = -0.7")


@suite.check("numeric", hidden=True)
def stable_for_huge_logits(ns):
    """exp(t') = 1e4 (logits of magnitude 1e4), float64 and float32: finite and equal to the softplus form"""
    loss_fn = need(ns, "siglip_loss")
    swapped_t, swapped_i = _swapped()
    tie_t, tie_i = _near_tie()
    return {"swapped": loss_fn(swapped_t, swapped_i, math.log(1e4), 0.0),
            "swapped32": loss_fn(swapped_t.astype(np.float32), swapped_i.astype(np.float32), math.log(1e4), 0.0),
            "tie": loss_fn(tie_t, tie_i, math.log(1e4), -9990.0),
            "far_bias": loss_fn(tie_t, tie_i, math.log(1e4), 1e4)}


@stable_for_huge_logits.verdict
def _(got):
    swapped_t, swapped_i = _swapped()
    tie_t, tie_i = _near_tie()
    # float32 cosines carry ~1e-7 relative error, i.e. ~1e-3 on logits of 1e4: atol 1e-2 on losses of ~1e4.
    want = _np_siglip_loss(swapped_t, swapped_i, math.log(1e4), 0.0)
    expect_close(got["swapped"], want, "loss of mismatched pairs", atol=1e-3)
    expect_close(got["swapped32"], want, "loss of mismatched pairs in float32", atol=1e-2)
    expect_close(got["tie"], _np_siglip_loss(tie_t, tie_i, math.log(1e4), -9990.0), "loss of nearly tied pairs",
                 atol=1e-3)
    expect_close(got["far_bias"], _np_siglip_loss(tie_t, tie_i, math.log(1e4), 1e4), "loss with a bias of 1e4",
                 atol=1e-3)


@suite.check("numeric", hidden=True)
def gradient_matches_closed_form(ns):
    """in float64, the gradients w.r.t. t', b and both embeddings equal the closed form / central differences"""
    loss_fn = need(ns, "siglip_loss")
    text, image = (tf.constant(a) for a in _embeddings(325, b=4, d=3))
    t_prime = tf.Variable(0.7, dtype=tf.float64)
    bias = tf.Variable(-1.2, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch([text, image])
        loss = loss_fn(text, image, t_prime, bias)
    grads = tape.gradient(loss, [text, image, t_prime, bias])
    return dict(zip(("text", "image", "t_prime", "bias"), grads, strict=True))


@gradient_matches_closed_form.verdict
def _(got):
    text, image = _embeddings(325, b=4, d=3)
    d_t, d_b = _np_parameter_gradients(text, image, 0.7, -1.2)
    expect_close(got["t_prime"], d_t, "gradient w.r.t. log_temperature", rtol=1e-7, atol=1e-10)
    expect_close(got["bias"], d_b, "gradient w.r.t. bias", rtol=1e-7, atol=1e-10)
    h = 1e-6
    for name, which in (("text", 0), ("image", 1)):
        base = (text, image)[which]
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            step = np.zeros_like(base)
            step[idx] = h
            plus, minus = [text, image], [text, image]
            plus[which], minus[which] = base + step, base - step
            numeric[idx] = (_np_siglip_loss(*plus, 0.7, -1.2) - _np_siglip_loss(*minus, 0.7, -1.2)) / (2 * h)
        expect_close(got[name], numeric, f"gradient w.r.t. {name}_emb", atol=1e-8)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def symmetric_in_the_two_modalities(ns):
    """swapping the text and image embeddings gives the same loss (the labels are symmetric)"""
    loss_fn = need(ns, "siglip_loss")
    text, image = _embeddings(326)
    return {"ti": loss_fn(text, image, 1.0, -2.0), "it": loss_fn(image, text, 1.0, -2.0)}


@symmetric_in_the_two_modalities.verdict
def _(got):
    first = expect_number(got["ti"], "loss(text, image)")
    expect_close(got["it"], first, "loss(image, text) compared with loss(text, image)")


@suite.check("behavior")
def init_loss_barely_depends_on_batch_size(ns):
    """orthogonal aligned pairs at t' = log 10: b = -10 gives ~log 2 for B = 4 and 64; b = 0 gives ~(B - 1) log 2"""
    loss_fn = need(ns, "siglip_loss")
    rng = np.random.default_rng(327)
    rows = np.linalg.qr(rng.normal(size=(64, 64)))[0]  # orthonormal rows: cosine 1 with itself, 0 with the others
    text, image = rows * rng.uniform(0.5, 3.0, size=(64, 1)), rows * rng.uniform(0.5, 3.0, size=(64, 1))
    return {f"{name}{b}": loss_fn(text[:b], image[:b], math.log(10.0), bias)
            for name, bias in (("init", -10.0), ("no_bias", 0.0)) for b in (4, 64)}


@init_loss_barely_depends_on_batch_size.verdict
def _(got):
    # b = -10: a positive costs softplus(-(10 - 10)) = log 2, each negative softplus(0 - 10) = log(1 + e^-10).
    # b = 0: a positive costs softplus(-10) = log(1 + e^-10), each of the B - 1 negatives softplus(0) = log 2.
    small = math.log1p(math.exp(-10.0))
    for b in (4, 64):
        expect_close(got[f"init{b}"], math.log(2.0) + (b - 1) * small, f"loss of {b} pairs with b = -10")
        expect_close(got[f"no_bias{b}"], small + (b - 1) * math.log(2.0), f"loss of {b} pairs with b = 0")


@suite.check("behavior", hidden=True)
def invariant_to_row_scaling(ns):
    """multiplying each embedding by a positive number does not change the loss"""
    loss_fn = need(ns, "siglip_loss")
    text, image = _embeddings(328)
    rng = np.random.default_rng(328)
    a, b = rng.uniform(0.1, 10.0, size=(6, 1)), rng.uniform(0.1, 10.0, size=(6, 1))
    return {"plain": loss_fn(text, image, 1.2, -1.0), "scaled": loss_fn(text * a, image * b, 1.2, -1.0)}


@invariant_to_row_scaling.verdict
def _(got):
    plain = expect_number(got["plain"], "loss")
    expect_close(got["scaled"], plain, "loss after rescaling the rows")


@suite.check("behavior", hidden=True)
def learnable_parameters_get_gradients(ns):
    """t' and b as float32 tf.Variables with float32 embeddings: their gradients equal the closed form"""
    loss_fn = need(ns, "siglip_loss")
    text, image = _embeddings(329)
    t_prime = tf.Variable(math.log(10.0), dtype=tf.float32)
    bias = tf.Variable(-10.0, dtype=tf.float32)
    with tf.GradientTape() as tape:
        loss = loss_fn(text.astype(np.float32), image.astype(np.float32), t_prime, bias)
    grads = tape.gradient(loss, [t_prime, bias])
    return {"t_prime": grads[0], "bias": grads[1]}


@learnable_parameters_get_gradients.verdict
def _(got):
    expect(got["t_prime"] is not None and got["bias"] is not None,
           "log_temperature and bias must stay differentiable (no conversion to Python floats or NumPy)")
    text, image = _embeddings(329)
    d_t, d_b = _np_parameter_gradients(text, image, math.log(10.0), -10.0)
    # float32: the gradients are of order 1; float32 rounding stays below 1e-6 relative
    expect_close(got["t_prime"], d_t, "gradient w.r.t. log_temperature", rtol=1e-4, atol=1e-6)
    expect_close(got["bias"], d_b, "gradient w.r.t. bias", rtol=1e-4, atol=1e-6)


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    loss_fn = need(ns, "siglip_loss")
    text, image = _embeddings(330)
    t0, b0 = math.log(10.0), -10.0
    return {
        "text and image with different batch sizes": raised(loss_fn, text, image[:4], t0, b0),
        "text and image with different widths D": raised(loss_fn, text, image[:, :3], t0, b0),
        "1-D embeddings": raised(loss_fn, text[0], image[0], t0, b0),
        "3-D embeddings": raised(loss_fn, text[None], image[None], t0, b0),
        "a string as text_emb": raised(loss_fn, "text", image, t0, b0),
        "image_emb = None": raised(loss_fn, text, None, t0, b0),
        "log_temperature of shape (2,)": raised(loss_fn, text, image, np.array([1.0, 2.0]), b0),
        "a NaN log_temperature": raised(loss_fn, text, image, float("nan"), b0),
        "an infinite bias": raised(loss_fn, text, image, t0, float("-inf")),
        "log_temperature given as a string": raised(loss_fn, text, image, "2.3", b0),
        "bias = None": raised(loss_fn, text, image, t0, None),
        "bias = True (a bool)": raised(loss_fn, text, image, t0, True),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the call"""
    loss_fn = need(ns, "siglip_loss")
    text, image = _embeddings(331)
    loss_fn(text, image, math.log(10.0), -10.0)
    return {"text": text, "image": image}


@inputs_not_mutated.verdict
def _(got):
    text, image = _embeddings(331)
    expect_close(got["text"], text, "text_emb after the call", rtol=0, atol=0)
    expect_close(got["image"], image, "image_emb after the call", rtol=0, atol=0)
