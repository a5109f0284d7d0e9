"""Checks of t02 · concatenation and cross-attention fusion.

Independent oracles: ``np.concatenate(..., axis=-1)`` and ``_np_cross_attention`` in float64
NumPy. Attention inputs are drawn so that the logits stay around 1 (no softmax saturation):
a missing 1/sqrt(D), a softmax over the text axis or a missing residual changes the output
by far more than the tolerance.
"""

import math

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t02_fusion_attention", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_cross_attention(t, i):
    """Float64 oracle: T + softmax(T Iᵀ / sqrt(D)) I, one sample at a time, softmax over Li."""
    t = np.asarray(t, dtype=np.float64)
    i = np.asarray(i, dtype=np.float64)
    out = np.empty_like(t)
    for b in range(t.shape[0]):
        logits = t[b] @ i[b].T / np.sqrt(t.shape[-1])
        logits = logits - logits.max(axis=1, keepdims=True)
        weights = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        out[b] = t[b] + weights @ i[b]
    return out


def _features(seed, batch=3, lt=4, li=5, d=6):
    """Unsaturated attention inputs: entries ~ N(0, 0.6), so |logits| stays around 1."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.6, size=(batch, lt, d)), rng.normal(0.0, 0.6, size=(batch, li, d))


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "concatenate_features of (2, 3) and (3, 5)": "ValueError",
        "concatenate_features of (2, 3) and (2, 4, 5)": "ValueError",
        "concatenate_features of two scalars": "ValueError",
        "concatenate_features of a string": "TypeError",
        "concatenate_features with image_feature = None": "TypeError",
        "cross_attention_fusion with different batch sizes B": "ValueError",
        "cross_attention_fusion with different depths D": "ValueError",
        "cross_attention_fusion of (B, D) inputs": "ValueError",
        "cross_attention_fusion of a string": "TypeError",
        "cross_attention_fusion with image_feature = None": "TypeError",
    }


@suite.check("shape")
def concat_last_axis_shapes(ns):
    """concatenation joins the last axis: (2, 3) + (2, 5) -> (2, 8), (2, 4, 3) + (2, 4, 5) -> (2, 4, 8)"""
    concat = need(ns, "concatenate_features")
    return {
        "rank2": concat(np.zeros((2, 3)), np.zeros((2, 5))),
        "rank3": concat(np.zeros((2, 4, 3)), np.zeros((2, 4, 5))),
        "rank1": concat(np.zeros(3), np.zeros(2)),
    }


@concat_last_axis_shapes.verdict
def _(got):
    expect_array(got["rank2"], "concatenation of (2, 3) and (2, 5)", shape=(2, 8))
    expect_array(got["rank3"], "concatenation of (2, 4, 3) and (2, 4, 5)", shape=(2, 4, 8))
    expect_array(got["rank1"], "concatenation of (3,) and (2,)", shape=(5,))


@suite.check("shape", hidden=True)
def attention_shapes_and_empty_batch(ns):
    """cross-attention keeps the text's shape (B, Lt, D) for Lt != Li, and a batch of 0 works"""
    concat = need(ns, "concatenate_features")
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(1, batch=2, lt=3, li=5, d=4)
    t1, i1 = _features(2, batch=3, lt=1, li=7, d=6)
    return {
        "att": fuse(t, i),
        "att1": fuse(t1, i1),
        "att0": fuse(np.zeros((0, 3, 4)), np.zeros((0, 2, 4))),
        "cat0": concat(np.zeros((0, 3)), np.zeros((0, 2))),
    }


@attention_shapes_and_empty_batch.verdict
def _(got):
    expect_array(got["att"], "cross-attention of (2, 3, 4) over (2, 5, 4)", shape=(2, 3, 4))
    expect_array(got["att1"], "cross-attention of (3, 1, 6) over (3, 7, 6)", shape=(3, 1, 6))
    expect_array(got["att0"], "cross-attention for a batch of 0", shape=(0, 3, 4))
    expect_array(got["cat0"], "concatenation for a batch of 0", shape=(0, 5))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def concat_hand_worked(ns):
    """[[1, 2], [3, 4]] and [[5], [6]] concatenate to [[1, 2, 5], [3, 4, 6]]"""
    concat = need(ns, "concatenate_features")
    return {"out": concat(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0], [6.0]]))}


@concat_hand_worked.verdict
def _(got):
    expect_close(got["out"], [[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]], "concatenation")


@suite.check("numeric")
def attention_hand_worked(ns):
    """one text token [1, 0] over image regions [1, 0], [0, 1]: output matches the example worked by hand"""
    fuse = need(ns, "cross_attention_fusion")
    return {"out": fuse(np.array([[[1.0, 0.0]]]), np.array([[[1.0, 0.0], [0.0, 1.0]]]))}


@attention_hand_worked.verdict
def _(got):
    # logits = [1, 0] / sqrt(2); softmax of two logits is a sigmoid of their difference.
    w0 = 1.0 / (1.0 + math.exp(-1.0 / math.sqrt(2.0)))
    # A I = w0 * [1, 0] + (1 - w0) * [0, 1]; the residual adds T = [1, 0].
    expect_close(got["out"], [[[1.0 + w0, 1.0 - w0]]], "fused text token")


@suite.check("numeric", hidden=True)
def concat_matches_numpy(ns):
    """concatenation of random (2, 3, 4) and (2, 3, 5) arrays equals np.concatenate on the last axis"""
    concat = need(ns, "concatenate_features")
    t, i = _concat_inputs()
    return {"out": concat(t, i)}


@concat_matches_numpy.verdict
def _(got):
    t, i = _concat_inputs()
    expect_close(got["out"], np.concatenate([t, i], axis=-1), "concatenation")


def _concat_inputs():
    rng = np.random.default_rng(3)
    return rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 5))


@suite.check("numeric", hidden=True)
def attention_matches_formula(ns):
    """output equals T + softmax(T Iᵀ / sqrt(D)) I per sample on random unsaturated inputs"""
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(4)
    return {"out": fuse(t, i)}


@attention_matches_formula.verdict
def _(got):
    expect_close(got["out"], _np_cross_attention(*_features(4)), "fused text features")


@suite.check("numeric", hidden=True)
def attention_many_regions(ns):
    """Li > Lt and a larger D (16): the softmax runs over the image regions and scales by 1/sqrt(D)"""
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(5, batch=2, lt=2, li=7, d=16)
    return {"out": fuse(t, i)}


@attention_many_regions.verdict
def _(got):
    expect_close(got["out"], _np_cross_attention(*_features(5, batch=2, lt=2, li=7, d=16)), "fused text features")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def samples_do_not_mix(ns):
    """changing sample 1 of the batch leaves sample 0's outputs unchanged (and changes sample 1's)"""
    concat = need(ns, "concatenate_features")
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(6, batch=2, lt=3, li=4, d=5)
    t2, i2 = t.copy(), i.copy()
    t2[1] += 1.0
    i2[1] = -i2[1]
    tc, ic = t[:, 0, :], i[:, 0, :3]
    tc2, ic2 = t2[:, 0, :], i2[:, 0, :3]
    return {"att_a": fuse(t, i), "att_b": fuse(t2, i2), "cat_a": concat(tc, ic), "cat_b": concat(tc2, ic2)}


@samples_do_not_mix.verdict
def _(got):
    att_a = expect_array(got["att_a"], "cross-attention output", shape=(2, 3, 5))
    att_b = expect_array(got["att_b"], "cross-attention output after changing sample 1", shape=(2, 3, 5))
    expect_close(att_b[0], att_a[0].astype(np.float64), "sample 0's cross-attention output after changing sample 1")
    expect(bool(np.max(np.abs(att_b[1].astype(np.float64) - att_a[1])) > 0.1),
           "sample 1's cross-attention output must change when sample 1 changes")
    cat_a = expect_array(got["cat_a"], "concatenation output", shape=(2, 8))
    cat_b = expect_array(got["cat_b"], "concatenation output after changing sample 1", shape=(2, 8))
    expect_close(cat_b[0], cat_a[0].astype(np.float64), "sample 0's concatenation after changing sample 1")


@suite.check("behavior", hidden=True)
def image_region_order_does_not_matter(ns):
    """permuting the image regions leaves the output unchanged; permuting text tokens permutes it"""
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(7, batch=2, lt=3, li=5, d=4)
    return {
        "base": fuse(t, i),
        "perm_image": fuse(t, i[:, [3, 0, 4, 2, 1], :]),
        "perm_text": fuse(t[:, [2, 0, 1], :], i),
    }


@image_region_order_does_not_matter.verdict
def _(got):
    base = expect_array(got["base"], "output", shape=(2, 3, 4)).astype(np.float64)
    expect_close(got["perm_image"], base, "output after permuting the image regions")
    expect_close(got["perm_text"], base[:, [2, 0, 1], :], "output after permuting the text tokens")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    concat = need(ns, "concatenate_features")
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(8, batch=2, lt=3, li=4, d=5)
    return {
        "concatenate_features of (2, 3) and (3, 5)": raised(concat, np.zeros((2, 3)), np.zeros((3, 5))),
        "concatenate_features of (2, 3) and (2, 4, 5)": raised(concat, np.zeros((2, 3)), np.zeros((2, 4, 5))),
        "concatenate_features of two scalars": raised(concat, np.float64(1.0), np.float64(2.0)),
        "concatenate_features of a string": raised(concat, "text", np.zeros(3)),
        "concatenate_features with image_feature = None": raised(concat, np.zeros(3), None),
        "cross_attention_fusion with different batch sizes B": raised(fuse, t, i[:1]),
        "cross_attention_fusion with different depths D": raised(fuse, t, i[..., :4]),
        "cross_attention_fusion of (B, D) inputs": raised(fuse, t[:, 0, :], i[:, 0, :]),
        "cross_attention_fusion of a string": raised(fuse, "text", i),
        "cross_attention_fusion with image_feature = None": raised(fuse, t, None),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


def _expect_dtype(got, key, dtype, what):
    """``got[key]`` is a floating array of exactly ``dtype``."""
    out = expect_array(got[key], what, kinds="f")
    expect(out.dtype == np.dtype(dtype), f"{what}: expected dtype {dtype}, got {out.dtype}")


@suite.check("shape", hidden=True)
def output_dtype_follows_the_inputs(ns):
    """float64 stays float64, integers and lists give float32, float32 with float64 gives float64 (both functions)"""
    concat = need(ns, "concatenate_features")
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(10, batch=2, lt=2, li=2, d=4)
    return {
        "cat_f64": concat(t, i),
        "cat_int": concat(np.array([[1, 2]]), np.array([[3]])),
        "cat_mixed": concat(t.astype(np.float32), i),
        "att_f64": fuse(t, i),
        "att_list": fuse(t.tolist(), i.tolist()),
        "att_mixed": fuse(t, i.astype(np.float32)),
    }


@output_dtype_follows_the_inputs.verdict
def _(got):
    _expect_dtype(got, "cat_f64", "float64", "concatenation of float64 arrays")
    _expect_dtype(got, "cat_int", "float32", "concatenation of integer arrays")
    _expect_dtype(got, "cat_mixed", "float64", "concatenation of float32 text and float64 image")
    _expect_dtype(got, "att_f64", "float64", "cross-attention of float64 arrays")
    _expect_dtype(got, "att_list", "float32", "cross-attention of nested lists")
    _expect_dtype(got, "att_mixed", "float64", "cross-attention of float64 text and float32 image")


@suite.check("behavior", hidden=True)
def accepts_lists_and_tensors(ns):
    """nested lists, integer arrays and tf.Tensors give the same values as float arrays"""
    concat = need(ns, "concatenate_features")
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(9, batch=2, lt=2, li=3, d=4)
    return {
        "cat_list": concat([[1, 2], [3, 4]], [[5], [6]]),
        "att_list": fuse(t.tolist(), i.tolist()),
        "att_tensor": fuse(tf.constant(t), tf.constant(i)),
        "att_int": fuse(np.array([[[1, 0]]]), np.array([[[1, 0], [0, 1]]])),
    }


@accepts_lists_and_tensors.verdict
def _(got):
    want = _np_cross_attention(*_features(9, batch=2, lt=2, li=3, d=4))
    expect_close(got["cat_list"], [[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]], "concatenation of nested lists")
    expect_close(got["att_list"], want, "cross-attention of nested lists")
    expect_close(got["att_tensor"], want, "cross-attention of tf.Tensors")
    expect_close(got["att_int"], _np_cross_attention([[[1, 0]]], [[[1, 0], [0, 1]]]),
                 "cross-attention of integer arrays")


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after both calls"""
    concat = need(ns, "concatenate_features")
    fuse = need(ns, "cross_attention_fusion")
    t, i = _features(10)
    fuse(t, i)
    tc, ic = t[:, 0, :].copy(), i[:, 0, :].copy()
    concat(tc, ic)
    return {"t": t, "i": i, "tc": tc, "ic": ic}


@inputs_not_mutated.verdict
def _(got):
    t, i = _features(10)
    expect_close(got["t"], t, "text_feature after cross_attention_fusion", rtol=0, atol=0)
    expect_close(got["i"], i, "image_feature after cross_attention_fusion", rtol=0, atol=0)
    expect_close(got["tc"], t[:, 0, :], "text_feature after concatenate_features", rtol=0, atol=0)
    expect_close(got["ic"], i[:, 0, :], "image_feature after concatenate_features", rtol=0, atol=0)
