"""Checks of t40 · FastV-style visual-token pruning.

Independent oracles in float64 NumPy: ``_np_scores`` sums the attention each image key receives
with ``np.einsum`` and divides by the number of (head, query) pairs; ``_np_keep`` ranks with
Python's ``sorted`` on ``(-score, position)``; ``_np_positions`` lists the surviving positions
one sample at a time; ``_np_change`` runs the last position's attention with a log-sum-exp,
sample by sample. The random scenarios come from a causal softmax layer, and their seeds are
chosen so that the k-th and (k+1)-th image scores differ by far more than float32 rounding:
the kept set is unambiguous, so it is compared exactly. Hidden states are float32, so a
correct gather is exact.
"""

import math

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t40_visual_token_pruning", points={"shape": 2, "numeric": 4, "behavior": 4})


def _causal_attention(x, wq, wk):
    """Softmax attention ``(B, H, L, L)`` of a causal layer with per-head projections ``(H, D, d)``."""
    q = np.einsum("bld,hde->bhle", x, wq)
    k = np.einsum("bld,hde->bhle", x, wk)
    logits = np.einsum("bhqe,bhke->bhqk", q, k) / np.sqrt(wq.shape[-1])
    length = x.shape[1]
    logits = np.where(np.tril(np.ones((length, length), bool)), logits, -np.inf)
    logits = logits - logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def _scenario(seed, batch=3, heads=2, length=12, start=2, count=7, dim=6):
    """float32 hidden ``(B, L, D)``, its causal attention ``(B, H, L, L)``, and next-layer weights."""
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(batch, length, dim)).astype(np.float32)
    hidden[:, start:start + count] *= rng.uniform(0.5, 2.0, size=(batch, count, 1)).astype(np.float32)
    wq, wk = rng.normal(0.0, 0.8, size=(2, heads, dim, 4))
    attention = _causal_attention(hidden.astype(np.float64), wq, wk)
    w_q, w_k = rng.normal(0.0, 0.6, size=(2, dim, 4))
    w_v = rng.normal(size=(dim, 3))
    return hidden, attention, w_q, w_k, w_v


def _np_scores(attention, start, count, queries):
    """Mean attention received by each image key ``(B, N)``, over heads and the chosen queries."""
    a = np.asarray(attention, dtype=np.float64)[..., start:start + count]
    if queries == "last":
        a = a[:, :, -1:, :]
    return np.einsum("bhqk->bk", a) / (a.shape[1] * a.shape[2])


def _np_keep(scores, start, keep):
    """Kept positions ``(B, keep)``: highest scores first, ties to the lower position, then sorted."""
    rows = []
    for s in np.asarray(scores):
        ranked = sorted(range(len(s)), key=lambda j: (-s[j], j))
        rows.append(sorted(start + j for j in ranked[:keep]))
    return np.array(rows, dtype=np.int64).reshape(len(rows), keep)


def _np_positions(kept, length, start, count):
    """Surviving positions of each sample: text before, the kept image tokens, text after."""
    return [list(range(start)) + [int(p) for p in row] + list(range(start + count, length)) for row in kept]


def _np_change(hidden, pruned, w_q, w_k, w_v):
    """``||o(pruned) - o(hidden)||`` of one head read from the last position, sample by sample."""
    out = []
    for full, short in zip(np.asarray(hidden, np.float64), np.asarray(pruned, np.float64), strict=True):
        reads = []
        for x in (full, short):
            logits = (x @ w_k) @ (x[-1] @ w_q) / math.sqrt(w_q.shape[1])
            log_norm = logits.max() + np.log(np.sum(np.exp(logits - logits.max())))
            reads.append(np.exp(logits - log_norm) @ (x @ w_v))
        out.append(np.sqrt(np.sum((reads[0] - reads[1]) ** 2)))
    return np.array(out)


def _expect_pruned(got, hidden, attention, start, count, keep, queries, what):
    """The kept positions equal the oracle's and the pruned hidden is exactly that gather."""
    want = _np_keep(_np_scores(attention, start, count, queries), start, keep)
    kept = expect_array(got["kept"], f"{what} kept_indices", shape=want.shape, kinds="iu")
    expect(bool(np.array_equal(kept, want)), f"{what}: kept_indices are not the top-{keep} image tokens in order")
    rows = [np.asarray(hidden)[b, p] for b, p in enumerate(_np_positions(want, hidden.shape[1], start, count))]
    expect_close(got["pruned"], np.array(rows).reshape(len(rows), hidden.shape[1] - count + keep, hidden.shape[2]),
                 f"{what} pruned_hidden", rtol=0, atol=0)


def _hand_attention():
    """(1, 2, 6, 6): head h's queries 0..4 all read a_h, query 5 reads b_h (see the exercise)."""
    a0, b0 = [0.4, 0.1, 0.1, 0.3, 0.0, 0.1], [0.2, 0.05, 0.05, 0.2, 0.3, 0.2]
    a1, b1 = [0.5, 0.1, 0.1, 0.2, 0.0, 0.1], [0.3, 0.05, 0.05, 0.1, 0.3, 0.2]
    return np.array([[[a0] * 5 + [b0], [a1] * 5 + [b1]]])


def _hand_hidden():
    return np.array([[[float(i), -float(i)] for i in range(6)]])


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """B=2, L=10, D=3, 5 image tokens from position 2, keep 2: pruned (2, 7, 3), kept (2, 2), change (2,)"""
    prune = need(ns, "prune_visual_tokens")
    change = need(ns, "attention_output_change")
    hidden = np.zeros((2, 10, 3), dtype=np.float32)
    attention = np.full((2, 2, 10, 10), 0.1)
    pruned, kept = prune(hidden, attention, 2, 5, 2)
    w = np.eye(3)
    return {"pruned": pruned, "kept": kept, "change": change(hidden, pruned, w, w, w[:, :2])}


@output_shapes.verdict
def _(got):
    pruned = expect_array(got["pruned"], "pruned_hidden", shape=(2, 7, 3), kinds="f")
    expect(pruned.dtype == np.float32, f"pruned_hidden: float32 input must stay float32, got {pruned.dtype}")
    expect_array(got["kept"], "kept_indices", shape=(2, 2), kinds="iu")
    expect_array(got["change"], "attention_output_change", shape=(2,), kinds="f")


@suite.check("shape", hidden=True)
def edge_case_shapes(ns):
    """keep = 0, keep = all, no image tokens, an image at the very start, and a batch of 0"""
    prune = need(ns, "prune_visual_tokens")
    change = need(ns, "attention_output_change")
    hidden, attention, w_q, w_k, w_v = _scenario(3, batch=2, length=8, start=1, count=4)
    none, kept_none = prune(hidden, attention, 1, 4, 0)
    every, kept_every = prune(hidden, attention, 1, 4, 4)
    empty_span, kept_empty = prune(hidden, attention, 3, 0, 0)
    first, kept_first = prune(hidden, attention, 0, 5, 2, queries="last")
    zero, kept_zero = prune(np.zeros((0, 8, 6), np.float32), np.zeros((0, 2, 8, 8)), 1, 4, 3)
    return {"none": none, "kept_none": kept_none, "every": every, "kept_every": kept_every,
            "empty_span": empty_span, "kept_empty": kept_empty, "first": first, "kept_first": kept_first,
            "zero": zero, "kept_zero": kept_zero,
            "change_zero": change(np.zeros((0, 8, 6)), np.zeros((0, 5, 6)), w_q, w_k, w_v)}


@edge_case_shapes.verdict
def _(got):
    for key, shape in (("none", (2, 4, 6)), ("kept_none", (2, 0)), ("every", (2, 8, 6)), ("kept_every", (2, 4)),
                       ("empty_span", (2, 8, 6)), ("kept_empty", (2, 0)), ("first", (2, 5, 6)),
                       ("kept_first", (2, 2)), ("zero", (0, 7, 6)), ("kept_zero", (0, 3)), ("change_zero", (0,))):
        expect_array(got[key], key, shape=shape)
    expect(bool(np.array_equal(got["kept_every"], [[1, 2, 3, 4]] * 2)), "keep = all must keep every image token")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """the exercise's example: kept [1, 3] over all queries, [3, 4] for the last query; change 0.26144"""
    prune = need(ns, "prune_visual_tokens")
    change = need(ns, "attention_output_change")
    pruned_all, kept_all = prune(_hand_hidden(), _hand_attention(), 1, 4, 2)
    pruned_last, kept_last = prune(_hand_hidden(), _hand_attention(), 1, 4, 2, queries="last")
    x = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])
    eye = np.eye(2)
    return {"pruned_all": pruned_all, "kept_all": kept_all, "pruned_last": pruned_last, "kept_last": kept_last,
            "change": change(x, x[:, [0, 2]], eye, eye, eye)}


@hand_worked_example.verdict
def _(got):
    # all queries: scores (5 (a0 + a1) + b0 + b1) / 12 = [1.1, 1.1, 2.8, 0.6] / 12 -> position 3, then the
    # tie between 1 and 2 goes to 1; last query: (b0 + b1) / 2 = [0.05, 0.05, 0.15, 0.3] -> positions 3, 4
    for key, want in (("kept_all", [[1, 3]]), ("kept_last", [[3, 4]])):
        kept = expect_array(got[key], key, shape=(1, 2), kinds="iu")
        expect(bool(np.array_equal(kept, want)), f"{key}: expected {want}, got {kept.tolist()}")
    expect_close(got["pruned_all"], [[[0, 0], [1, -1], [3, -3], [5, -5]]], "pruned_hidden (all queries)")
    expect_close(got["pruned_last"], [[[0, 0], [3, -3], [4, -4], [5, -5]]], "pruned_hidden (last query)")
    # full: logits [1, 1, 2] / sqrt(2); pruned (token 1 removed): [1, 2] / sqrt(2); V = the tokens themselves
    e1, e2 = math.exp(1 / math.sqrt(2)), math.exp(2 / math.sqrt(2))
    full = np.array([e1 + e2, e1 + e2]) / (2 * e1 + e2)
    short = np.array([e1 + e2, e2]) / (e1 + e2)
    expect_close(got["change"], [float(np.linalg.norm(short - full))], "attention_output_change")


@suite.check("numeric", hidden=True)
def matches_mean_over_all_queries(ns):
    """queries='all': the top-k by attention averaged over heads and all L queries, in original order"""
    prune = need(ns, "prune_visual_tokens")
    hidden, attention, *_ = _scenario(11)
    pruned, kept = prune(hidden, attention, 2, 7, 3)
    return {"pruned": pruned, "kept": kept}


@matches_mean_over_all_queries.verdict
def _(got):
    hidden, attention, *_ = _scenario(11)
    _expect_pruned(got, hidden, attention, 2, 7, 3, "all", "all queries:")


@suite.check("numeric", hidden=True)
def matches_last_query(ns):
    """queries='last': the top-k by the last position's attention, averaged over heads"""
    prune = need(ns, "prune_visual_tokens")
    hidden, attention, *_ = _scenario(12, heads=3)
    pruned, kept = prune(hidden, attention, 2, 7, 4, queries="last")
    return {"pruned": pruned, "kept": kept}


@matches_last_query.verdict
def _(got):
    hidden, attention, *_ = _scenario(12, heads=3)
    _expect_pruned(got, hidden, attention, 2, 7, 4, "last", "last query:")


@suite.check("numeric", hidden=True)
def output_change_matches_formula(ns):
    """attention_output_change equals ||o(pruned) - o(full)|| of one head read from the last position"""
    change = need(ns, "attention_output_change")
    hidden, pruned, w_q, w_k, w_v = _change_inputs()
    return {"change": change(hidden, pruned, w_q, w_k, w_v)}


@output_change_matches_formula.verdict
def _(got):
    expect_close(got["change"], _np_change(*_change_inputs()), "attention_output_change")


def _change_inputs():
    """Full sequences, a pruned copy (different positions dropped per sample), and d_k != d_v weights."""
    hidden, _, w_q, w_k, w_v = _scenario(13, batch=3, length=10, start=1, count=6, dim=5)
    drop = [[2, 3, 5], [1, 4, 6], [1, 2, 3]]
    pruned = np.stack([np.delete(hidden[b], drop[b], axis=0) for b in range(3)])
    return hidden, pruned, w_q, w_k, w_v


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def fastv_moves_the_next_layer_least(ns):
    """keeping the most-attended image tokens changes the next layer less than keeping the first ones"""
    prune = need(ns, "prune_visual_tokens")
    change = need(ns, "attention_output_change")
    hidden, attention, w_q, w_k, w_v = _property_scenario()
    fastv, _ = prune(hidden, attention, 1, 8, 3, queries="last")
    first = np.concatenate([hidden[:, :4], hidden[:, 9:]], axis=1)  # image tokens 1, 2, 3 kept
    everything, kept_all = prune(hidden, attention, 1, 8, 8, queries="last")
    return {"fastv": change(hidden, fastv, w_q, w_k, w_v), "first": change(hidden, first, w_q, w_k, w_v),
            "none": change(hidden, everything, w_q, w_k, w_v), "kept_all": kept_all}


def _property_scenario():
    """The scoring attention is the next layer's own (one head, the same w_q and w_k)."""
    hidden, _, w_q, w_k, w_v = _scenario(21, batch=4, length=11, start=1, count=8, dim=6)
    attention = _causal_attention(hidden.astype(np.float64), w_q[None], w_k[None])
    return hidden, attention, w_q, w_k, w_v


@fastv_moves_the_next_layer_least.verdict
def _(got):
    fastv = expect_array(got["fastv"], "change after FastV pruning", shape=(4,), kinds="f")
    first = expect_array(got["first"], "change after keeping the first image tokens", shape=(4,), kinds="f")
    none = expect_array(got["none"], "change after keeping every image token", shape=(4,), kinds="f")
    expect(bool(np.all(fastv >= 0)), "a distance cannot be negative")
    expect(bool(np.all(none == 0)), "keeping every image token must change nothing: expected exactly 0")
    expect(bool(np.all(fastv < first)),
           f"FastV's choice should move the next layer less than keeping the first tokens: {fastv} vs {first}")
    expect(bool(np.array_equal(got["kept_all"], [list(range(1, 9))] * 4)), "keep = 8 of 8 keeps positions 1..8")


@suite.check("behavior", hidden=True)
def ties_and_per_sample_ranking(ns):
    """exact ties go to the lower position; every sample is ranked by its own attention"""
    prune = need(ns, "prune_visual_tokens")
    hidden, attention = _tie_inputs()
    pruned, kept = prune(hidden, attention, 2, 5, 2)
    pruned_last, kept_last = prune(hidden, attention, 2, 5, 3, queries="last")
    return {"pruned": pruned, "kept": kept, "pruned_last": pruned_last, "kept_last": kept_last}


def _tie_inputs():
    """Two samples, 2 heads, L = 8; identical columns make exact ties; the samples rank differently."""
    base = np.full((8, 8), 1.0 / 16)
    first = base.copy()
    first[:, 3] += 1.0 / 16
    first[:, 5] += 1.0 / 16  # 3 and 5 tie on top
    first[:, 0] -= 1.0 / 16
    first[:, 7] -= 1.0 / 16
    second = base.copy()
    second[:, 6] += 1.0 / 8  # 6 on top, then 2, 3, 4, 5 tie
    second[:, 0] -= 1.0 / 16
    second[:, 1] -= 1.0 / 16
    attention = np.stack([np.stack([first, first]), np.stack([second, second])])
    hidden = np.arange(2 * 8 * 3, dtype=np.float32).reshape(2, 8, 3)
    return hidden, attention


@ties_and_per_sample_ranking.verdict
def _(got):
    hidden, attention = _tie_inputs()
    _expect_pruned({"pruned": got["pruned"], "kept": got["kept"]}, hidden, attention, 2, 5, 2, "all", "ties:")
    _expect_pruned({"pruned": got["pruned_last"], "kept": got["kept_last"]}, hidden, attention, 2, 5, 3, "last",
                   "ties, last query:")


@suite.check("behavior", hidden=True)
def lists_tensors_dtypes_and_no_mutation(ns):
    """lists and tf tensors work, float64 stays float64, and the inputs are not modified"""
    import tensorflow as tf

    prune = need(ns, "prune_visual_tokens")
    change = need(ns, "attention_output_change")
    hidden, attention, w_q, w_k, w_v = _scenario(31, batch=2, length=9, start=3, count=5)
    from_lists = prune(hidden.tolist(), attention.tolist(), 3, 5, 2)
    from_tensors = prune(tf.constant(hidden), tf.constant(attention), np.int64(3), np.int64(5), np.int64(2))
    wide = hidden.astype(np.float64)
    pruned64, _ = prune(wide, attention, 3, 5, 2)
    short = np.asarray(from_lists[0])
    distance = change(tf.constant(hidden), short.tolist(), tf.constant(w_q), w_k.tolist(), w_v)
    return {"lists": {"pruned": from_lists[0], "kept": from_lists[1]},
            "tensors": {"pruned": from_tensors[0], "kept": from_tensors[1]},
            "pruned64": pruned64, "change": distance, "short": short,
            "hidden": hidden, "attention": attention, "wide": wide}


@lists_tensors_dtypes_and_no_mutation.verdict
def _(got):
    hidden, attention, w_q, w_k, w_v = _scenario(31, batch=2, length=9, start=3, count=5)
    for source in ("lists", "tensors"):
        _expect_pruned(got[source], hidden, attention, 3, 5, 2, "all", f"from {source}:")
    pruned64 = expect_array(got["pruned64"], "pruned float64 hidden", shape=(2, 6, 6), kinds="f")
    expect(pruned64.dtype == np.float64, f"float64 hidden must stay float64, got {pruned64.dtype}")
    short = expect_array(got["short"], "pruned from lists", shape=(2, 6, 6), kinds="f")
    expect_close(got["change"], _np_change(hidden, short, w_q, w_k, w_v), "attention_output_change from tensors")
    for key, want in (("hidden", hidden), ("attention", attention), ("wide", hidden.astype(np.float64))):
        expect_close(got[key], want, f"{key} after the call", rtol=0, atol=0)


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "a string as hidden": "TypeError",
        "2-D hidden": "ValueError",
        "attention of shape (B, H, L, L + 1)": "ValueError",
        "attention for another batch size": "ValueError",
        "an image span past the end of the sequence": "ValueError",
        "keep larger than num_image_tokens": "ValueError",
        "keep = -1": "ValueError",
        "keep = 2.0 (a float)": "TypeError",
        "image_start = True": "TypeError",
        "queries = \"first\"": "ValueError",
        "queries = None": "TypeError",
        "attention containing NaN": "ValueError",
        "negative attention weights": "ValueError",
        "w_q and w_k of different widths": "ValueError",
        "pruned_hidden with another D": "ValueError",
        "w_v = None": "TypeError",
    }


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    prune = need(ns, "prune_visual_tokens")
    change = need(ns, "attention_output_change")
    hidden, attention, w_q, w_k, w_v = _scenario(41, batch=2, length=7, start=1, count=4)
    nan = attention.copy()
    nan[1, 0, 5, 2] = np.nan
    negative = attention.copy()
    negative[0, 1, 6, 3] = -0.1
    return {
        "a string as hidden": raised(prune, "hidden", attention, 1, 4, 2),
        "2-D hidden": raised(prune, hidden[0], attention, 1, 4, 2),
        "attention of shape (B, H, L, L + 1)": raised(prune, hidden, np.concatenate([attention, attention[..., :1]],
                                                                                    axis=-1), 1, 4, 2),
        "attention for another batch size": raised(prune, hidden, attention[:1], 1, 4, 2),
        "an image span past the end of the sequence": raised(prune, hidden, attention, 4, 4, 2),
        "keep larger than num_image_tokens": raised(prune, hidden, attention, 1, 4, 5),
        "keep = -1": raised(prune, hidden, attention, 1, 4, -1),
        "keep = 2.0 (a float)": raised(prune, hidden, attention, 1, 4, 2.0),
        "image_start = True": raised(prune, hidden, attention, True, 4, 2),
        "queries = \"first\"": raised(prune, hidden, attention, 1, 4, 2, queries="first"),
        "queries = None": raised(prune, hidden, attention, 1, 4, 2, queries=None),
        "attention containing NaN": raised(prune, hidden, nan, 1, 4, 2),
        "negative attention weights": raised(prune, hidden, negative, 1, 4, 2),
        "w_q and w_k of different widths": raised(change, hidden, hidden[:, 2:], w_q, w_k[:, :3], w_v),
        "pruned_hidden with another D": raised(change, hidden, hidden[:, 2:, :5], w_q, w_k, w_v),
        "w_v = None": raised(change, hidden, hidden[:, 2:], w_q, w_k, None),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
