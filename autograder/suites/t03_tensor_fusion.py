"""Checks of t03 · tensor fusion.

Independent oracle: ``_np_tensor_fusion``, ``np.einsum('bi,bj->bij')`` of the ones-augmented
vectors in float64, flattened text-major. Gradients are checked in float64 against the
closed form: ``d sum(z * r) / d t_a = sum_b r[a, b] [i, 1]_b``.
"""

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t03_tensor_fusion", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_tensor_fusion(t, i):
    """Float64 oracle: vec([t, 1] ⊗ [i, 1]) per sample, text index major."""
    t = np.asarray(t, dtype=np.float64)
    i = np.asarray(i, dtype=np.float64)
    t1 = np.concatenate([t, np.ones((t.shape[0], 1))], axis=1)
    i1 = np.concatenate([i, np.ones((i.shape[0], 1))], axis=1)
    return np.einsum("bi,bj->bij", t1, i1).reshape(t.shape[0], t1.shape[1] * i1.shape[1])


def _features(seed, batch=3, dt=4, di=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, dt)), rng.normal(size=(batch, di))


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "text (2, 3) and image (3, 2): different batch sizes": "ValueError",
        "1-D text and image": "ValueError",
        "3-D text and image": "ValueError",
        "a string as text_feature": "TypeError",
        "image_feature = None": "TypeError",
    }


@suite.check("shape")
def output_shape(ns):
    """text (2, 3) and image (2, 2) give (2, (3 + 1) * (2 + 1)) = (2, 12)"""
    fusion = need(ns, "tensor_fusion")
    return {"out": fusion(np.zeros((2, 3)), np.zeros((2, 2)))}


@output_shape.verdict
def _(got):
    expect_array(got["out"], "output", shape=(2, 12))


@suite.check("shape", hidden=True)
def empty_batch_and_other_sizes(ns):
    """a batch of 0, Dt = 1 and Di = 1 give (B, (Dt + 1) * (Di + 1))"""
    fusion = need(ns, "tensor_fusion")
    return {
        "empty": fusion(np.zeros((0, 3)), np.zeros((0, 2))),
        "dt1": fusion(np.ones((4, 1)), np.ones((4, 5))),
        "di1": fusion(np.ones((1, 7)), np.ones((1, 1))),
    }


@empty_batch_and_other_sizes.verdict
def _(got):
    expect_array(got["empty"], "output for a batch of 0 with Dt = 3, Di = 2", shape=(0, 12))
    expect_array(got["dt1"], "output for (4, 1) and (4, 5)", shape=(4, 12))
    expect_array(got["di1"], "output for (1, 7) and (1, 1)", shape=(1, 16))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """t = [2, 3], i = [5]: [2, 3, 1] ⊗ [5, 1] flattened is [10, 2, 15, 3, 5, 1]"""
    fusion = need(ns, "tensor_fusion")
    return {"out": fusion(np.array([[2.0, 3.0]]), np.array([[5.0]]))}


@hand_worked_example.verdict
def _(got):
    expect_close(got["out"], [[10.0, 2.0, 15.0, 3.0, 5.0, 1.0]], "fused features")


@suite.check("numeric", hidden=True)
def matches_einsum_oracle(ns):
    """random (3, 4) and (3, 3) features: output equals einsum('bi,bj->bij') of [t, 1], [i, 1], flattened"""
    fusion = need(ns, "tensor_fusion")
    return {"out": fusion(*_features(1))}


@matches_einsum_oracle.verdict
def _(got):
    expect_close(got["out"], _np_tensor_fusion(*_features(1)), "fused features")


@suite.check("numeric", hidden=True)
def unimodal_and_constant_terms(ns):
    """viewed as (B, Dt + 1, Di + 1): the last column is t, the last row is i, the corner is 1"""
    fusion = need(ns, "tensor_fusion")
    return {"out": fusion(*_features(2, batch=2, dt=3, di=5))}


@unimodal_and_constant_terms.verdict
def _(got):
    t, i = _features(2, batch=2, dt=3, di=5)
    block = expect_array(got["out"], "output", shape=(2, 24)).astype(np.float64).reshape(2, 4, 6)
    expect_close(block[:, 3, 5], np.ones(2), "the constant term [t, 1]_Dt * [i, 1]_Di")
    expect_close(block[:, :3, 5], t, "the unimodal text terms t_a * 1")
    expect_close(block[:, 3, :5], i, "the unimodal image terms 1 * i_b")
    expect_close(block[:, :3, :5], np.einsum("ba,bc->bac", t, i), "the bimodal terms t_a * i_b")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def rows_are_independent(ns):
    """changing sample 1 of the batch leaves sample 0's fused row unchanged"""
    fusion = need(ns, "tensor_fusion")
    t, i = _features(3, batch=2, dt=2, di=2)
    t2, i2 = t.copy(), i.copy()
    t2[1] += 1.0
    i2[1] *= -2.0
    return {"a": fusion(t, i), "b": fusion(t2, i2)}


@rows_are_independent.verdict
def _(got):
    a = expect_array(got["a"], "output", shape=(2, 9)).astype(np.float64)
    b = expect_array(got["b"], "output after changing sample 1", shape=(2, 9)).astype(np.float64)
    expect_close(b[0], a[0], "sample 0's row after changing sample 1")
    expect(bool(np.max(np.abs(b[1] - a[1])) > 0.1), "sample 1's row must change when sample 1 changes")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    fusion = need(ns, "tensor_fusion")
    return {
        "text (2, 3) and image (3, 2): different batch sizes": raised(fusion, np.zeros((2, 3)), np.zeros((3, 2))),
        "1-D text and image": raised(fusion, np.zeros(3), np.zeros(2)),
        "3-D text and image": raised(fusion, np.zeros((2, 4, 3)), np.zeros((2, 4, 2))),
        "a string as text_feature": raised(fusion, "text", np.zeros((1, 2))),
        "image_feature = None": raised(fusion, np.zeros((1, 2)), None),
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
    """float64 stays float64, integers and lists give float32, float32 with float64 gives float64"""
    fusion = need(ns, "tensor_fusion")
    t, i = _features(5, batch=2, dt=2, di=3)
    return {
        "f64": fusion(t, i),
        "int": fusion(np.array([[2, 3]]), np.array([[5]])),
        "list": fusion(t.tolist(), i.tolist()),
        "mixed": fusion(t.astype(np.float32), i),
    }


@output_dtype_follows_the_inputs.verdict
def _(got):
    _expect_dtype(got, "f64", "float64", "output for float64 arrays")
    _expect_dtype(got, "int", "float32", "output for integer arrays")
    _expect_dtype(got, "list", "float32", "output for nested lists")
    _expect_dtype(got, "mixed", "float64", "output for float32 text and float64 image")


@suite.check("behavior", hidden=True)
def accepts_lists_integers_and_tensors(ns):
    """nested lists, integer arrays and tf.Tensors give the same values as float arrays"""
    fusion = need(ns, "tensor_fusion")
    t, i = _features(4, batch=2, dt=2, di=3)
    return {
        "list": fusion(t.tolist(), i.tolist()),
        "tensor": fusion(tf.constant(t), tf.constant(i)),
        "int": fusion(np.array([[2, 3]]), np.array([[5]])),
    }


@accepts_lists_integers_and_tensors.verdict
def _(got):
    want = _np_tensor_fusion(*_features(4, batch=2, dt=2, di=3))
    expect_close(got["list"], want, "output for nested lists")
    expect_close(got["tensor"], want, "output for tf.Tensors")
    expect_close(got["int"], [[10.0, 2.0, 15.0, 3.0, 5.0, 1.0]], "output for integer arrays")


@suite.check("behavior", hidden=True)
def differentiable_in_both_inputs(ns):
    """gradients w.r.t. both inputs exist and equal the closed form (float64)"""
    fusion = need(ns, "tensor_fusion")
    t, i = _features(5, batch=2, dt=3, di=2)
    tt, it = tf.constant(t), tf.constant(i)
    upstream = tf.constant(_upstream())
    with tf.GradientTape() as tape:
        tape.watch([tt, it])
        loss = tf.reduce_sum(tf.cast(fusion(tt, it), tf.float64) * upstream)
    grad_t, grad_i = tape.gradient(loss, [tt, it])
    return {"t": np.zeros(0) if grad_t is None else grad_t, "i": np.zeros(0) if grad_i is None else grad_i}


@differentiable_in_both_inputs.verdict
def _(got):
    t, i = _features(5, batch=2, dt=3, di=2)
    r = _upstream().reshape(2, 4, 3)
    t1 = np.concatenate([t, np.ones((2, 1))], axis=1)
    i1 = np.concatenate([i, np.ones((2, 1))], axis=1)
    want_t = np.einsum("bac,bc->ba", r, i1)[:, :3]
    want_i = np.einsum("bac,ba->bc", r, t1)[:, :2]
    for name, want in (("text_feature", want_t), ("image_feature", want_i)):
        grad = got[name[0]]
        expect(type(grad) is np.ndarray and grad.size > 0, f"no gradient reaches {name}: use TensorFlow ops")
        expect_close(grad, want, f"gradient w.r.t. {name}")


def _upstream():
    return np.random.default_rng(6).normal(size=(2, 12))


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the call"""
    fusion = need(ns, "tensor_fusion")
    t, i = _features(7)
    fusion(t, i)
    return {"t": t, "i": i}


@inputs_not_mutated.verdict
def _(got):
    t, i = _features(7)
    expect_close(got["t"], t, "text_feature after the call", rtol=0, atol=0)
    expect_close(got["i"], i, "image_feature after the call", rtol=0, atol=0)
