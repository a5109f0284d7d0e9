"""Checks of t05 · scaled dot-product attention.

Independent oracle: ``_np_attention`` in float64 NumPy. Inputs are drawn so that the
logits stay in [-3, 3] (no softmax saturation): a missing 1/sqrt(D) or a wrong softmax
axis changes the weights by far more than the tolerance.
"""

import math

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t05_attention", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_attention(q, k, v, mask=None):
    """Float64 oracle: softmax over the last axis with max-shift; all-masked rows -> 0."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    allowed = np.ones(logits.shape, bool) if mask is None else np.broadcast_to(mask, logits.shape)
    logits = np.where(allowed, logits, -np.inf)
    top = np.max(logits, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    exp = np.where(allowed, np.exp(logits - top), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    weights = np.divide(exp, total, out=np.zeros_like(exp), where=total > 0)
    return weights @ v, weights


def _qkv(seed, batch=(2,), lq=3, lk=5, d=8, dv=6):
    """Unsaturated inputs: entries ~ N(0, 0.6), so |logits| stays around 1."""
    rng = np.random.default_rng(seed)
    q = rng.normal(0.0, 0.6, size=(*batch, lq, d))
    k = rng.normal(0.0, 0.6, size=(*batch, lk, d))
    v = rng.normal(0.0, 1.0, size=(*batch, lk, dv))
    return q, k, v


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "query and key with different D": "ValueError",
        "key and value with different Lk": "ValueError",
        "1-D query, key and value": "ValueError",
        "batch dimensions that do not broadcast (2 and 3)": "ValueError",
        "a mask that does not broadcast to (..., Lq, Lk)": "ValueError",
        "a string as query": "TypeError",
        "value = None": "TypeError",
        "a float mask": "TypeError",
    }


@suite.check("shape")
def output_shapes(ns):
    """(B, Lq, D), (B, Lk, D), (B, Lk, Dv) -> output (B, Lq, Dv), weights (B, Lq, Lk)"""
    attention = need(ns, "scaled_dot_product_attention")
    q = np.zeros((2, 3, 4))
    k = np.zeros((2, 5, 4))
    v = np.zeros((2, 5, 6))
    out, weights = attention(q, k, v)
    return {"out": out, "weights": weights}


@output_shapes.verdict
def _(got):
    expect_array(got["out"], "output", shape=(2, 3, 6))
    expect_array(got["weights"], "weights", shape=(2, 3, 5))


@suite.check("shape", hidden=True)
def leading_dims_and_empty_batch(ns):
    """extra leading dimensions (heads) and a batch of size 0 keep their shapes"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _qkv(1, batch=(2, 3), lq=4, lk=7, d=5, dv=2)
    out4, w4 = attention(q, k, v)
    out0, w0 = attention(np.zeros((0, 3, 4)), np.zeros((0, 5, 4)), np.zeros((0, 5, 2)))
    return {"out4": out4, "w4": w4, "out0": out0, "w0": w0}


@leading_dims_and_empty_batch.verdict
def _(got):
    expect_array(got["out4"], "output for (2, 3, Lq, D) inputs", shape=(2, 3, 4, 2))
    expect_array(got["w4"], "weights for (2, 3, Lq, D) inputs", shape=(2, 3, 4, 7))
    expect_array(got["out0"], "output for a batch of 0", shape=(0, 3, 2))
    expect_array(got["w0"], "weights for a batch of 0", shape=(0, 3, 5))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """one query, two keys: weights and output match the example worked by hand"""
    attention = need(ns, "scaled_dot_product_attention")
    q = np.array([[1.0, 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    out, weights = attention(q, k, v)
    return {"out": out, "weights": weights}


@hand_worked_example.verdict
def _(got):
    # logits = [1, 0] / sqrt(2); softmax of two logits is a sigmoid of their difference.
    w0 = 1.0 / (1.0 + math.exp(-1.0 / math.sqrt(2.0)))
    expect_close(got["weights"], [[w0, 1.0 - w0]], "weights")
    expect_close(got["out"], [[w0 * 1 + (1 - w0) * 3, w0 * 2 + (1 - w0) * 4]], "output")


@suite.check("numeric", hidden=True)
def matches_formula(ns):
    """output and weights equal softmax(Q Kᵀ / sqrt(D)) V on random unsaturated inputs"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _qkv(2)
    out, weights = attention(q, k, v)
    return {"out": out, "weights": weights}


@matches_formula.verdict
def _(got):
    want_out, want_w = _np_attention(*_qkv(2))
    expect_close(got["weights"], want_w, "weights")
    expect_close(got["out"], want_out, "output")


@suite.check("numeric", hidden=True)
def keys_longer_than_queries(ns):
    """Lq != Lk != Dv: the softmax runs over the keys, the last axis"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _qkv(3, batch=(3,), lq=6, lk=2, d=16, dv=3)
    out, weights = attention(q, k, v)
    return {"out": out, "weights": weights}


@keys_longer_than_queries.verdict
def _(got):
    want_out, want_w = _np_attention(*_qkv(3, batch=(3,), lq=6, lk=2, d=16, dv=3))
    expect_close(got["weights"], want_w, "weights")
    expect_close(got["out"], want_out, "output")


@suite.check("numeric", hidden=True)
def stable_for_huge_logits(ns):
    """logits of magnitude 1e4 give finite weights equal to the stable softmax"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _big_logits()
    out, weights = attention(q, k, v)
    return {"out": out, "weights": weights}


@stable_for_huge_logits.verdict
def _(got):
    want_out, want_w = _np_attention(*_big_logits())
    expect_close(got["weights"], want_w, "weights", atol=1e-5)
    expect_close(got["out"], want_out, "output", atol=1e-4)


def _big_logits():
    q = np.array([[[100.0, 0.0, 0.0, 0.0], [0.0, 0.0, -100.0, 0.0]]])
    k = np.array([[[200.0, 0.0, 0.0, 0.0], [199.99, 0.0, 0.0, 0.0], [0.0, 0.0, 200.0, 0.0]]])
    v = np.array([[[1.0, -1.0], [2.0, 0.5], [3.0, 4.0]]])
    return q, k, v


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def mask_blocks_a_key(ns):
    """a masked key gets weight 0 and its value cannot change the output"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _qkv(4, batch=(1,), lq=2, lk=3, d=4, dv=2)
    mask = np.array([[[True, False, True]]])
    out_a, weights = attention(q, k, v, mask=mask)
    v2 = v.copy()
    v2[:, 1, :] += 100.0
    out_b, _ = attention(q, k, v2, mask=mask)
    return {"weights": weights, "out_a": out_a, "out_b": out_b}


@mask_blocks_a_key.verdict
def _(got):
    weights = expect_array(got["weights"], "weights", shape=(1, 2, 3))
    expect(bool(np.all(weights[..., 1] == 0.0)), "weights of the masked key must be exactly 0")
    expect_close(np.sum(weights, axis=-1), np.ones((1, 2)), "weights summed over the keys")
    expect_close(got["out_b"], np.asarray(got["out_a"], dtype=np.float64),
                 "output after changing the masked key's value")


@suite.check("behavior", hidden=True)
def broadcast_mask_matches_formula(ns):
    """a (B, 1, Lk) padding mask broadcasts over the queries and matches the formula"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v, mask = _masked_inputs()
    out, weights = attention(q, k, v, mask=mask)
    return {"out": out, "weights": weights}


@broadcast_mask_matches_formula.verdict
def _(got):
    want_out, want_w = _np_attention(*_masked_inputs())
    expect_close(got["weights"], want_w, "weights")
    expect_close(got["out"], want_out, "output")


def _masked_inputs():
    q, k, v = _qkv(5, batch=(3,), lq=4, lk=6, d=8, dv=5)
    lengths = np.array([6, 3, 1])
    mask = (np.arange(6)[None, :] < lengths[:, None])[:, None, :]
    return q, k, v, mask


@suite.check("behavior", hidden=True)
def fully_masked_row_is_zero(ns):
    """a query whose keys are all masked gets zero weights and a zero output, not NaN"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _qkv(6, batch=(1,), lq=2, lk=4, d=4, dv=3)
    mask = np.array([[[True, True, False, False], [False, False, False, False]]])
    out, weights = attention(q, k, v, mask=mask)
    return {"out": out, "weights": weights}


@fully_masked_row_is_zero.verdict
def _(got):
    q, k, v = _qkv(6, batch=(1,), lq=2, lk=4, d=4, dv=3)
    mask = np.array([[[True, True, False, False], [False, False, False, False]]])
    want_out, want_w = _np_attention(q, k, v, mask)
    expect_close(got["weights"], want_w, "weights")
    expect_close(got["out"], want_out, "output")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _qkv(7)
    return {
        "query and key with different D": raised(attention, q, k[..., :5], v),
        "key and value with different Lk": raised(attention, q, k, v[:, :4]),
        "1-D query, key and value": raised(attention, q[0, 0], k[0, 0], v[0, 0]),
        "batch dimensions that do not broadcast (2 and 3)":
            raised(attention, q, np.concatenate([k, k[:1]]), np.concatenate([v, v[:1]])),
        "a mask that does not broadcast to (..., Lq, Lk)":
            raised(attention, q, k, v, mask=np.ones((2, 4, 5), dtype=bool)),
        "a string as query": raised(attention, "query", k, v),
        "value = None": raised(attention, q, k, None),
        "a float mask": raised(attention, q, k, v, mask=np.ones((2, 3, 5))),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the call"""
    attention = need(ns, "scaled_dot_product_attention")
    q, k, v = _qkv(8)
    mask = np.ones((2, 3, 5), dtype=bool)
    attention(q, k, v, mask=mask)
    return {"q": q, "k": k, "v": v, "mask": mask}


@inputs_not_mutated.verdict
def _(got):
    q, k, v = _qkv(8)
    for name, want in (("query", q), ("key", k), ("value", v)):
        expect_close(got[name[0]], want, f"{name} after the call", rtol=0, atol=0)
    expect(bool(np.all(expect_array(got["mask"], "mask", shape=(2, 3, 5), kinds="b"))),
           "mask after the call")
