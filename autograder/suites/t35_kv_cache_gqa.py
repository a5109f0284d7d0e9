"""Checks of t35 · one KV-cache decoding step with grouped-query attention.

Independent oracle: ``_np_causal_gqa``, float64 NumPy *full* causal attention over a whole
sequence, with the KV heads copied to the query heads by ``np.repeat`` and an explicit
lower-triangular mask (the reference instead appends to a cache and reshapes the queries
into groups). Inputs are N(0, 0.5) with D = 8 or 16, so the logits stay around ±1 (no
softmax saturation): a wrong scale, a wrong head-to-group mapping, a missing new token or
a softmax over the wrong axis moves the output far beyond the tolerance.
"""

import math

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t35_kv_cache_gqa", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_causal_gqa(q, k, v):
    """Float64 oracle: causal attention of (B, Hq, L, D) queries over (B, Hkv, L, D) keys/values.

    Query head h reads KV head h // (Hq // Hkv); position i sees positions 0..i.
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    group = q.shape[1] // k.shape[1]
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, group, axis=1)
    length = q.shape[2]
    logits = np.matmul(q, np.swapaxes(k, -1, -2)) / math.sqrt(q.shape[-1])
    logits = np.where(np.tril(np.ones((length, length), dtype=bool)), logits, -np.inf)
    logits = logits - np.max(logits, axis=-1, keepdims=True)
    weights = np.exp(logits)
    weights = weights / np.sum(weights, axis=-1, keepdims=True)
    return np.matmul(weights, v)


def _sequence(seed, b=2, hq=6, hkv=2, length=6, d=8):
    """Queries (B, Hq, L, D), keys and values (B, Hkv, L, D) of a whole sequence, entries N(0, 0.5)."""
    rng = np.random.default_rng(seed)
    q = rng.normal(0.0, 0.5, size=(b, hq, length, d))
    k = rng.normal(0.0, 0.5, size=(b, hkv, length, d))
    v = rng.normal(0.0, 1.0, size=(b, hkv, length, d))
    return q, k, v


def _step_inputs(seed, b=2, hq=6, hkv=2, t=5, d=8):
    """The five arguments of one step after t cached tokens: position t of a random sequence."""
    q, k, v = _sequence(seed, b, hq, hkv, t + 1, d)
    return q[:, :, t:], k[:, :, t:], v[:, :, t:], k[:, :, :t], v[:, :, :t]


def _last_row(seed, b=2, hq=6, hkv=2, t=5, d=8):
    """The oracle's output of that step: the last row of full causal attention, (B, Hq, 1, D)."""
    return _np_causal_gqa(*_sequence(seed, b, hq, hkv, t + 1, d))[:, :, t:]


def _decode_all(step, q, k, v, prefill):
    """Feed a sequence token by token after a prefilled cache of ``prefill`` tokens; outputs on axis 2."""
    k_cache, v_cache = k[:, :, :prefill], v[:, :, :prefill]
    outs = []
    for t in range(prefill, q.shape[2]):
        out, k_cache, v_cache = step(q[:, :, t:t + 1], k[:, :, t:t + 1], v[:, :, t:t + 1], k_cache, v_cache)
        outs.append(np.asarray(out))
    return np.concatenate(outs, axis=2), k_cache, v_cache


def _hand_example():
    """B = 1, Hq = 4, Hkv = 2, D = 4, one cached token: the exercise's worked example."""
    q = np.zeros((1, 4, 1, 4))
    q[0, 0, 0, 0] = 2.0
    q[0, 2, 0, 0] = 2.0
    k_new = np.zeros((1, 2, 1, 4))
    k_new[0, 0, 0, 0] = 1.0
    v_new = np.zeros((1, 2, 1, 4))
    v_new[0, 0, 0, 1] = 4.0
    v_new[0, 1, 0, 3] = 8.0
    k_cache = np.zeros((1, 2, 1, 4))
    v_cache = np.zeros((1, 2, 1, 4))
    v_cache[0, 0, 0, 0] = 2.0
    v_cache[0, 1, 0, 2] = 6.0
    return q, k_new, v_new, k_cache, v_cache


def _huge_logits():
    """D = 4, logits of about 1e4 that differ by 5 and 10: the stable softmax is finite."""
    q = np.zeros((1, 2, 1, 4))
    q[0, 0, 0, 0] = 200.0
    q[0, 1, 0, 1] = -200.0
    k_cache = np.zeros((1, 1, 2, 4))
    k_cache[0, 0, 0, :2] = [100.0, -100.0]
    k_cache[0, 0, 1, :2] = [99.95, -99.9]
    k_new = np.array([[[[99.9, -100.1, 0.0, 0.0]]]])
    v_cache = np.array([[[[1.0, -1.0, 0.5, 2.0], [3.0, 0.0, -2.0, 1.0]]]])
    v_new = np.array([[[[-1.0, 4.0, 1.0, 0.0]]]])
    return q, k_new, v_new, k_cache, v_cache


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "q with two tokens, shape (B, Hq, 2, D)": "ValueError",
        "k_new with two tokens, shape (B, Hkv, 2, D)": "ValueError",
        "Hq = 6 query heads with Hkv = 4 KV heads": "ValueError",
        "k_cache and v_cache of different lengths T": "ValueError",
        "k_cache with another number of KV heads than k_new": "ValueError",
        "q and k_new with different D": "ValueError",
        "q and the caches with different batch sizes": "ValueError",
        "3-D q, shape (B, Hq, D)": "ValueError",
        "a string as q": "TypeError",
        "k_cache = None": "TypeError",
        "a boolean v_new": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_and_cache_shapes(ns):
    """B = 2, Hq = 4, Hkv = 2, T = 3, D = 8: output (2, 4, 1, 8), caches (2, 2, 4, 8)"""
    step = need(ns, "gqa_decode_step")
    out, k_cache, v_cache = step(np.zeros((2, 4, 1, 8)), np.zeros((2, 2, 1, 8)), np.zeros((2, 2, 1, 8)),
                                 np.zeros((2, 2, 3, 8)), np.zeros((2, 2, 3, 8)))
    return {"out": out, "k_cache": k_cache, "v_cache": v_cache}


@output_and_cache_shapes.verdict
def _(got):
    expect_array(got["out"], "output", shape=(2, 4, 1, 8))
    expect_array(got["k_cache"], "returned k_cache", shape=(2, 2, 4, 8))
    expect_array(got["v_cache"], "returned v_cache", shape=(2, 2, 4, 8))


@suite.check("shape", hidden=True)
def empty_cache_and_empty_batch(ns):
    """an empty cache (T = 0) gives caches of length 1 and the new value as output; B = 0 works"""
    step = need(ns, "gqa_decode_step")
    q, k_new, v_new, k_cache, v_cache = _step_inputs(1, b=2, hq=6, hkv=3, t=0, d=4)
    first = step(*(tf.constant(a, dtype=tf.float32) for a in (q, k_new, v_new, k_cache, v_cache)))
    empty = step(np.zeros((0, 4, 1, 5)), np.zeros((0, 2, 1, 5)), np.zeros((0, 2, 1, 5)),
                 np.zeros((0, 2, 3, 5)), np.zeros((0, 2, 3, 5)))
    return {"out": first[0], "k_cache": first[1], "v_cache": first[2],
            "out0": empty[0], "k0": empty[1], "v0": empty[2]}


@empty_cache_and_empty_batch.verdict
def _(got):
    _, k_new, v_new, _, _ = _step_inputs(1, b=2, hq=6, hkv=3, t=0, d=4)
    # One key: its weight is 1, so query head h outputs v_new of KV head h // 2.
    expect_close(got["out"], np.repeat(v_new, 2, axis=1), "output after an empty cache")
    expect_close(got["k_cache"], k_new, "k_cache after an empty cache")
    expect_close(got["v_cache"], v_new, "v_cache after an empty cache")
    expect_array(got["out0"], "output for a batch of 0", shape=(0, 4, 1, 5))
    expect_array(got["k0"], "k_cache for a batch of 0", shape=(0, 2, 4, 5))
    expect_array(got["v0"], "v_cache for a batch of 0", shape=(0, 2, 4, 5))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric", points=1)
def hand_worked_example(ns):
    """Hq = 4, Hkv = 2, D = 4, one cached token: the output worked by hand in the exercise"""
    step = need(ns, "gqa_decode_step")
    out, _, _ = step(*_hand_example())
    return {"out": out}


@hand_worked_example.verdict
def _(got):
    # Head 0 (KV head 0): logits [0, 2 * 1 / sqrt(4)] = [0, 1]; head 1 (KV head 0): [0, 0];
    # heads 2 and 3 (KV head 1, keys all zero): [0, 0].
    w = 1.0 / (1.0 + math.exp(-1.0))
    want = [[[[2.0 * (1.0 - w), 4.0 * w, 0.0, 0.0]], [[1.0, 2.0, 0.0, 0.0]],
             [[0.0, 0.0, 3.0, 4.0]], [[0.0, 0.0, 3.0, 4.0]]]]
    expect_close(got["out"], want, "output")


@suite.check("numeric", hidden=True, points=1.5)
def decoding_equals_full_causal_attention(ns):
    """feeding a sequence one token at a time (from an empty cache and from a prefilled one)
    gives the rows of full causal attention, and the final caches hold every key and value"""
    step = need(ns, "gqa_decode_step")
    q, k, v = _sequence(2)
    out, k_cache, v_cache = _decode_all(step, q, k, v, prefill=0)
    out3, _, _ = _decode_all(step, q, k, v, prefill=3)
    return {"out": out, "k_cache": k_cache, "v_cache": v_cache, "out3": out3}


@decoding_equals_full_causal_attention.verdict
def _(got):
    q, k, v = _sequence(2)
    want = _np_causal_gqa(q, k, v)
    expect_close(got["out"], want, "outputs of six steps from an empty cache")
    expect_close(got["out3"], want[:, :, 3:], "outputs of three steps after a prefill of three tokens")
    expect_close(got["k_cache"], k, "final k_cache")
    expect_close(got["v_cache"], v, "final v_cache")


@suite.check("numeric", hidden=True, points=1)
def matches_formula_with_a_long_cache(ns):
    """B = 3, Hq = 8, Hkv = 2, T = 9, D = 16: the step equals the last row of causal attention"""
    step = need(ns, "gqa_decode_step")
    out, _, _ = step(*_step_inputs(3, b=3, hq=8, hkv=2, t=9, d=16))
    return {"out": out}


@matches_formula_with_a_long_cache.verdict
def _(got):
    expect_close(got["out"], _last_row(3, b=3, hq=8, hkv=2, t=9, d=16), "output")


@suite.check("numeric", hidden=True, points=0.5)
def stable_for_huge_logits(ns):
    """logits of magnitude 1e4 give the finite output of the stable softmax"""
    step = need(ns, "gqa_decode_step")
    out, _, _ = step(*_huge_logits())
    return {"out": out}


@stable_for_huge_logits.verdict
def _(got):
    q, k_new, v_new, k_cache, v_cache = _huge_logits()
    full_k = np.concatenate([k_cache, k_new], axis=2)
    full_v = np.concatenate([v_cache, v_new], axis=2)
    # q as the last of three positions: the oracle's last row uses all three keys.
    q3 = np.concatenate([np.zeros((1, 2, 2, 4)), q], axis=2)
    want = _np_causal_gqa(q3, full_k, full_v)[:, :, 2:]
    expect_close(got["out"], want, "output", atol=1e-4)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def gqa_equals_mha_with_repeated_kv(ns):
    """Hq = 4, Hkv = 2 equals MHA with KV heads repeated as 0, 0, 1, 1, and equals each head alone"""
    step = need(ns, "gqa_decode_step")
    q, k_new, v_new, k_cache, v_cache = _step_inputs(4, b=2, hq=4, hkv=2, t=3, d=8)
    gqa, _, _ = step(q, k_new, v_new, k_cache, v_cache)
    mha, _, _ = step(q, *(np.repeat(a, 2, axis=1) for a in (k_new, v_new, k_cache, v_cache)))
    alone = [step(q[:, h:h + 1], *(a[:, h // 2:h // 2 + 1] for a in (k_new, v_new, k_cache, v_cache)))[0]
             for h in range(4)]
    return {"gqa": gqa, "mha": mha, "alone": np.concatenate([np.asarray(a) for a in alone], axis=1)}


@gqa_equals_mha_with_repeated_kv.verdict
def _(got):
    gqa = np.asarray(expect_array(got["gqa"], "GQA output", shape=(2, 4, 1, 8)), dtype=np.float64)
    expect_close(got["mha"], gqa, "MHA output with KV heads repeated 0, 0, 1, 1 (compared with GQA)")
    expect_close(got["alone"], gqa, "each query head run alone with its KV head (compared with GQA)")


@suite.check("behavior", hidden=True)
def mha_and_mqa_match_the_oracle(ns):
    """Hkv = Hq (multi-head) and Hkv = 1 (multi-query) are special cases of the same step"""
    step = need(ns, "gqa_decode_step")
    mha, _, _ = step(*_step_inputs(5, b=2, hq=3, hkv=3, t=4, d=8))
    mqa, _, _ = step(*_step_inputs(6, b=2, hq=5, hkv=1, t=4, d=8))
    return {"mha": mha, "mqa": mqa}


@mha_and_mqa_match_the_oracle.verdict
def _(got):
    expect_close(got["mha"], _last_row(5, b=2, hq=3, hkv=3, t=4, d=8), "multi-head output")
    expect_close(got["mqa"], _last_row(6, b=2, hq=5, hkv=1, t=4, d=8), "multi-query output")


@suite.check("behavior", hidden=True)
def caches_are_appended_at_the_end(ns):
    """the returned caches are the old caches with k_new and v_new appended as position T"""
    step = need(ns, "gqa_decode_step")
    _, k_cache, v_cache = step(*_step_inputs(7, b=2, hq=4, hkv=2, t=4, d=8))
    return {"k_cache": k_cache, "v_cache": v_cache}


@caches_are_appended_at_the_end.verdict
def _(got):
    _, k, v = _sequence(7, b=2, hq=4, hkv=2, length=5, d=8)
    expect_close(got["k_cache"], k, "returned k_cache")
    expect_close(got["v_cache"], v, "returned v_cache")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    step = need(ns, "gqa_decode_step")
    q, k_new, v_new, k_cache, v_cache = _step_inputs(8, b=2, hq=4, hkv=2, t=3, d=8)
    q6, k4, v4, kc4, vc4 = _step_inputs(8, b=2, hq=6, hkv=4, t=3, d=8)
    return {
        "q with two tokens, shape (B, Hq, 2, D)":
            raised(step, np.concatenate([q, q], axis=2), k_new, v_new, k_cache, v_cache),
        "k_new with two tokens, shape (B, Hkv, 2, D)":
            raised(step, q, np.concatenate([k_new, k_new], axis=2), v_new, k_cache, v_cache),
        "Hq = 6 query heads with Hkv = 4 KV heads": raised(step, q6, k4, v4, kc4, vc4),
        "k_cache and v_cache of different lengths T": raised(step, q, k_new, v_new, k_cache, v_cache[:, :, :2]),
        "k_cache with another number of KV heads than k_new":
            raised(step, q, k_new, v_new, k_cache[:, :1], v_cache[:, :1]),
        "q and k_new with different D": raised(step, q[..., :6], k_new, v_new, k_cache, v_cache),
        "q and the caches with different batch sizes": raised(step, q, k_new, v_new, k_cache[:1], v_cache[:1]),
        "3-D q, shape (B, Hq, D)": raised(step, q[:, :, 0], k_new, v_new, k_cache, v_cache),
        "a string as q": raised(step, "q", k_new, v_new, k_cache, v_cache),
        "k_cache = None": raised(step, q, k_new, v_new, None, v_cache),
        "a boolean v_new": raised(step, q, k_new, v_new > 0, k_cache, v_cache),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged, and the same call twice gives the same output"""
    step = need(ns, "gqa_decode_step")
    args = _step_inputs(9, b=2, hq=4, hkv=2, t=3, d=8)
    first, _, _ = step(*args)
    second, _, _ = step(*args)
    return {"q": args[0], "k_new": args[1], "v_new": args[2], "k_cache": args[3], "v_cache": args[4],
            "first": first, "second": second}


@inputs_not_mutated.verdict
def _(got):
    for name, want in zip(("q", "k_new", "v_new", "k_cache", "v_cache"), _step_inputs(9, b=2, hq=4, hkv=2, t=3, d=8),
                          strict=True):
        expect_close(got[name], want, f"{name} after the call", rtol=0, atol=0)
    first = np.asarray(expect_array(got["first"], "output of the first call", shape=(2, 4, 1, 8)), dtype=np.float64)
    expect_close(got["second"], first, "output of the same call repeated", rtol=0, atol=0)
    expect(bool(np.all(np.isfinite(first))), "output of the first call must be finite")
