"""Checks of t13 · CLIP contrastive loss.

Independent oracle: ``_np_clip_loss``, a float64 NumPy computation with an explicit
log-sum-exp. Random embeddings have rows of different norms (so a missing L2
normalisation changes the loss) and the temperatures used (0.3, 0.07) keep the logits
within about ±5 (no softmax saturation), so a missing or multiplied temperature, a
one-directional loss or a missing normalisation all move the loss far beyond the tolerance.
"""

import math

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_close, expect_number, expect_raises, need, raised

suite = Suite("t13_clip_loss", points={"shape": 2, "numeric": 5, "behavior": 3})


def _np_log_sum_exp(logits):
    """Row-wise log-sum-exp in float64 with the max-shift."""
    top = np.max(logits, axis=1, keepdims=True)
    return top[:, 0] + np.log(np.sum(np.exp(logits - top), axis=1))


def _np_clip_loss(text, image, temperature):
    """Float64 oracle: mean of the row-wise and column-wise cross-entropies, diagonal targets."""
    t = np.asarray(text, dtype=np.float64)
    i = np.asarray(image, dtype=np.float64)
    t = t / np.linalg.norm(t, axis=1, keepdims=True)
    i = i / np.linalg.norm(i, axis=1, keepdims=True)
    logits = t @ i.T / temperature
    rows = np.mean(_np_log_sum_exp(logits) - np.diag(logits))
    cols = np.mean(_np_log_sum_exp(logits.T) - np.diag(logits))
    return (rows + cols) / 2


def _embeddings(seed, b=6, d=5):
    """Random pairs with row norms between 0.5 and 3 (normalisation matters)."""
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(b, d)) * rng.uniform(0.5, 3.0, size=(b, 1))
    image = rng.normal(size=(b, d)) * rng.uniform(0.5, 3.0, size=(b, 1))
    return text, image


def _near_tie():
    """Unit rows whose cosines differ by 1e-4: at temperature 1e-4 the logits reach 1e4."""
    c = 1.0 - 1e-4
    text = np.array([[1.0, 0.0], [0.0, 1.0]])
    image = np.array([[1.0, 0.0], [c, math.sqrt(1.0 - c * c)]])
    return text, image


def _permuted():
    """Text rows e0, e1, e2 against image rows e0, e2, e1: two mismatched pairs."""
    return np.eye(3), np.eye(3)[[0, 2, 1]]


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "text and image with different batch sizes": "ValueError",
        "text and image with different widths D": "ValueError",
        "1-D embeddings": "ValueError",
        "3-D embeddings": "ValueError",
        "temperature 0": "ValueError",
        "a negative temperature": "ValueError",
        "a NaN temperature": "ValueError",
        "a temperature of shape (2,)": "ValueError",
        "temperature given as a string": "TypeError",
        "a string as text_emb": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_a_scalar(ns):
    """(4, 8) text and image embeddings give one finite scalar loss"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = _embeddings(0, b=4, d=8)
    return {"loss": loss_fn(text, image)}


@returns_a_scalar.verdict
def _(got):
    value = expect_number(got["loss"], "loss (a 0-d scalar)")
    expect(math.isfinite(value) and value > 0, f"loss must be a positive finite number, got {value}")


@suite.check("shape", hidden=True)
def single_pair_and_empty_batch(ns):
    """one pair has nothing to contrast (loss 0); a batch of 0 gives 0.0, not NaN"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = _embeddings(1, b=1, d=4)
    return {"one": loss_fn(text, image), "empty": loss_fn(np.zeros((0, 4)), np.zeros((0, 4)))}


@single_pair_and_empty_batch.verdict
def _(got):
    expect_close(got["one"], 0.0, "loss of a batch of one pair")
    expect_close(got["empty"], 0.0, "loss of a batch of 0")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """T = [[3, 0], [0, 2]], I = [[1, 0], [1, 1]], temperature 0.5: the loss worked by hand"""
    loss_fn = need(ns, "clip_contrastive_loss")
    return {"loss": loss_fn([[3.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [1.0, 1.0]], temperature=0.5)}


@hand_worked_example.verdict
def _(got):
    # Normalised: T = [e0, e1], I = [e0, (e0 + e1)/√2]; logits = [[2, √2], [0, √2]].
    # rows: log(1 + e^(√2-2)) and log(1 + e^(-√2)); columns: log(1 + e^(-2)) and log 2.
    r2 = math.sqrt(2.0)
    rows = (math.log1p(math.exp(r2 - 2.0)) + math.log1p(math.exp(-r2))) / 2
    cols = (math.log1p(math.exp(-2.0)) + math.log(2.0)) / 2
    expect_close(got["loss"], (rows + cols) / 2, "loss")


@suite.check("numeric", hidden=True)
def matches_formula(ns):
    """random pairs with unequal norms, temperatures 0.3 and 0.07: equal to the CLIP formula"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = _embeddings(2)
    return {"warm": loss_fn(text, image, temperature=0.3), "default": loss_fn(text, image)}


@matches_formula.verdict
def _(got):
    text, image = _embeddings(2)
    expect_close(got["warm"], _np_clip_loss(text, image, 0.3), "loss at temperature 0.3")
    expect_close(got["default"], _np_clip_loss(text, image, 0.07), "loss at the default temperature")


@suite.check("numeric", hidden=True)
def stable_for_huge_logits(ns):
    """temperature 1e-4 (logits of 1e4) gives the finite, stable log-sum-exp value"""
    loss_fn = need(ns, "clip_contrastive_loss")
    return {"tie": loss_fn(*_near_tie(), temperature=1e-4), "perm": loss_fn(*_permuted(), temperature=1e-4)}


@stable_for_huge_logits.verdict
def _(got):
    # float32 cosines carry ~1e-7 relative error, i.e. ~1e-3 on logits of 1e4: atol 1e-3.
    expect_close(got["tie"], _np_clip_loss(*_near_tie(), 1e-4), "loss of nearly tied pairs", atol=1e-3)
    expect_close(got["perm"], _np_clip_loss(*_permuted(), 1e-4), "loss of mismatched pairs", atol=1e-3)


@suite.check("numeric", hidden=True)
def gradient_matches_central_differences(ns):
    """in float64, the gradient w.r.t. both embeddings equals central differences of the formula"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = (tf.constant(a) for a in _embeddings(3, b=4, d=3))
    with tf.GradientTape() as tape:
        tape.watch([text, image])
        loss = loss_fn(text, image, temperature=0.5)
    grad_text, grad_image = tape.gradient(loss, [text, image])
    return {"text": grad_text, "image": grad_image}


@gradient_matches_central_differences.verdict
def _(got):
    text, image = _embeddings(3, b=4, d=3)
    h = 1e-6
    for name, which in (("text", 0), ("image", 1)):
        base = (text, image)[which]
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            step = np.zeros_like(base)
            step[idx] = h
            args_plus, args_minus = [text, image], [text, image]
            args_plus[which], args_minus[which] = base + step, base - step
            numeric[idx] = (_np_clip_loss(*args_plus, 0.5) - _np_clip_loss(*args_minus, 0.5)) / (2 * h)
        expect_close(got[name], numeric, f"gradient w.r.t. {name}_emb", atol=1e-8)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def symmetric_in_the_two_modalities(ns):
    """swapping the text and image embeddings gives the same loss (both directions count)"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = _embeddings(4)
    return {"ti": loss_fn(text, image, temperature=0.3), "it": loss_fn(image, text, temperature=0.3)}


@symmetric_in_the_two_modalities.verdict
def _(got):
    first = expect_number(got["ti"], "loss(text, image)")
    expect_close(got["it"], first, "loss(image, text) compared with loss(text, image)")


@suite.check("behavior", hidden=True)
def invariant_to_row_scaling(ns):
    """multiplying each embedding by a positive number does not change the loss"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = _embeddings(5)
    rng = np.random.default_rng(50)
    a, b = rng.uniform(0.1, 10.0, size=(6, 1)), rng.uniform(0.1, 10.0, size=(6, 1))
    return {"plain": loss_fn(text, image, temperature=0.3), "scaled": loss_fn(text * a, image * b, temperature=0.3)}


@invariant_to_row_scaling.verdict
def _(got):
    plain = expect_number(got["plain"], "loss")
    expect_close(got["scaled"], plain, "loss after rescaling the rows")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = _embeddings(6)
    return {
        "text and image with different batch sizes": raised(loss_fn, text, image[:4]),
        "text and image with different widths D": raised(loss_fn, text, image[:, :3]),
        "1-D embeddings": raised(loss_fn, text[0], image[0]),
        "3-D embeddings": raised(loss_fn, text[None], image[None]),
        "temperature 0": raised(loss_fn, text, image, temperature=0.0),
        "a negative temperature": raised(loss_fn, text, image, temperature=-0.1),
        "a NaN temperature": raised(loss_fn, text, image, temperature=float("nan")),
        "a temperature of shape (2,)": raised(loss_fn, text, image, temperature=np.array([0.1, 0.2])),
        "temperature given as a string": raised(loss_fn, text, image, temperature="0.07"),
        "a string as text_emb": raised(loss_fn, "text", image),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the call"""
    loss_fn = need(ns, "clip_contrastive_loss")
    text, image = _embeddings(7)
    loss_fn(text, image)
    return {"text": text, "image": image}


@inputs_not_mutated.verdict
def _(got):
    text, image = _embeddings(7)
    expect_close(got["text"], text, "text_emb after the call", rtol=0, atol=0)
    expect_close(got["image"], image, "image_emb after the call", rtol=0, atol=0)
