"""Checks of t27 · symmetric per-channel int8 quantization.

Independent oracle: ``_np_ratio`` moves the channel axis to the front with NumPy and
computes ``w / scale`` in float64 with ``scale = float32(max|w_c| / 127)`` (1 for an
all-zero channel). Codes are compared exactly, except at near-ties (``w / scale`` within
1e-4 of ``k + 0.5``), where float32 arithmetic may legitimately pick either neighbour.
Inputs give every channel a different magnitude (1e-3 .. 1e2), so a per-tensor scale or a
wrong channel axis changes the codes of the small channels completely.
"""

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t27_int8_quantization", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_ratio(w, axis):
    """Float64 oracle: ``(w / scale, scale)`` with per-channel scales along ``axis``."""
    w = np.asarray(w, dtype=np.float64)
    moved = np.moveaxis(w, axis, 0)
    flat = moved.reshape(moved.shape[0], -1)
    amax = np.zeros(flat.shape[0]) if flat.shape[1] == 0 else np.abs(flat).max(axis=1)
    scale = (amax / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    ratio = np.moveaxis(moved / scale.astype(np.float64).reshape((-1,) + (1,) * (w.ndim - 1)), 0, axis)
    return ratio, scale


def _expect_codes(got_q, ratio, what):
    """``got_q`` is int8 and equals ``clip(round(ratio), -127, 127)`` (either neighbour at near-ties)."""
    q = expect_array(got_q, what, shape=ratio.shape, kinds="i")
    expect(q.dtype == np.int8, f"{what}: expected dtype int8, got {q.dtype}")
    want = np.clip(np.round(ratio), -127, 127)
    near_tie = np.abs(np.abs(ratio - np.floor(ratio)) - 0.5) < 1e-4
    ok = (q == want) | (near_tie & (np.abs(q - ratio) <= 0.5 + 1e-4))
    expect(bool(np.all(ok)), f"{what}: {int(np.sum(~ok))} code(s) differ from clip(round(w / scale), -127, 127)")


def _expect_scale(got_scale, want, what):
    scale = expect_array(got_scale, what, shape=want.shape, kinds="f")
    expect(scale.dtype == np.float32, f"{what}: expected dtype float32, got {scale.dtype}")
    expect_close(scale, want, what, rtol=1e-6, atol=0)


def _weights(seed, shape=(6, 5), axis=-1):
    """Normal weights whose channels along ``axis`` have magnitudes from 1e-3 to 1e2."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    mags = 10.0 ** np.linspace(-3.0, 2.0, shape[axis])
    rng.shuffle(mags)
    bshape = [1] * len(shape)
    bshape[axis] = -1
    return w * mags.reshape(bshape)


def _hand_weights():
    """Two channels (columns): scales 1 and 0.5 exactly, with exact ties x.5."""
    return np.array([[127.0, -63.5], [0.5, 1.25], [1.5, 0.75], [-2.5, 10.0]])


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes_and_dtypes(ns):
    """(3, 4) weights: q int8 (3, 4); scale float32 (4,) for axis=-1 and (3,) for axis=0"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    w = np.arange(12.0).reshape(3, 4) - 5.0
    q_last, s_last = quantize(w)
    q_first, s_first = quantize(w, axis=0)
    return {"q_last": q_last, "s_last": s_last, "q_first": q_first, "s_first": s_first,
            "deq": dequantize(q_first, s_first, axis=0)}


@output_shapes_and_dtypes.verdict
def _(got):
    for key, shape in (("q_last", (3, 4)), ("q_first", (3, 4))):
        q = expect_array(got[key], key, shape=shape, kinds="i")
        expect(q.dtype == np.int8, f"{key}: expected dtype int8, got {q.dtype}")
    for key, shape in (("s_last", (4,)), ("s_first", (3,))):
        s = expect_array(got[key], key, shape=shape, kinds="f")
        expect(s.dtype == np.float32, f"{key}: expected dtype float32, got {s.dtype}")
    expect_array(got["deq"], "dequantized weights", shape=(3, 4), kinds="f")


@suite.check("shape", hidden=True)
def conv_kernel_and_empty_inputs(ns):
    """a 4-D conv kernel along axis -1 and 2, and empty weights, keep their shapes"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    w = _weights(1, shape=(2, 2, 3, 5))
    q4, s4 = quantize(w)
    q2, s2 = quantize(w, axis=2)
    q0, s0 = quantize(np.zeros((0, 3)))
    return {"q4": q4, "s4": s4, "q2": q2, "s2": s2, "q0": q0, "s0": s0,
            "deq2": dequantize(q2, s2, axis=2), "deq0": dequantize(q0, s0)}


@conv_kernel_and_empty_inputs.verdict
def _(got):
    for key, shape in (("q4", (2, 2, 3, 5)), ("q2", (2, 2, 3, 5)), ("q0", (0, 3))):
        q = expect_array(got[key], key, shape=shape, kinds="i")
        expect(q.dtype == np.int8, f"{key}: expected dtype int8, got {q.dtype}")
    for key, shape in (("s4", (5,)), ("s2", (3,)), ("s0", (3,))):
        s = expect_array(got[key], key, shape=shape, kinds="f")
        expect(bool(np.all(np.isfinite(s)) and np.all(s > 0)), f"{key}: scales must be finite and > 0")
    expect_array(got["deq2"], "dequantized conv kernel", shape=(2, 2, 3, 5), kinds="f")
    expect_array(got["deq0"], "dequantized empty weights", shape=(0, 3), kinds="f")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """columns with max |w| 127 and 63.5: scales [1, 0.5], ties round half to even"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    q, scale = quantize(_hand_weights())
    return {"q": q, "scale": scale, "deq": dequantize(q, scale)}


@hand_worked_example.verdict
def _(got):
    # column 0: w / 1   = [127, 0.5, 1.5, -2.5]    -> [127, 0, 2, -2]
    # column 1: w / 0.5 = [-127, 2.5, 1.5, 20]     -> [-127, 2, 2, 20]
    want_q = np.array([[127, -127], [0, 2], [2, 2], [-2, 20]])
    scale = expect_array(got["scale"], "scale", shape=(2,), kinds="f")
    expect_close(scale, [1.0, 0.5], "scale", rtol=1e-6, atol=0)
    q = expect_array(got["q"], "q", shape=(4, 2), kinds="i")
    expect(bool(np.array_equal(q, want_q)), f"q: expected {want_q.tolist()}, got {q.tolist()}")
    expect_close(got["deq"], [[127.0, -63.5], [0.0, 1.0], [2.0, 1.0], [-2.0, 10.0]], "dequantized weights")


@suite.check("numeric", hidden=True)
def matches_per_channel_formula(ns):
    """scales, codes and dequantized values equal the per-channel formula (axis -1)"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    q, scale = quantize(_weights(2))
    return {"q": q, "scale": scale, "deq": dequantize(q, scale)}


@matches_per_channel_formula.verdict
def _(got):
    ratio, scale = _np_ratio(_weights(2), -1)
    _expect_scale(got["scale"], scale, "scale")
    _expect_codes(got["q"], ratio, "q")
    q = np.asarray(got["q"], dtype=np.float64)
    expect_close(got["deq"], q * scale.astype(np.float64), "dequantized weights")


@suite.check("numeric", hidden=True)
def reconstruction_error_within_half_a_step(ns):
    """every dequantized weight is within scale / 2 of the original, channel by channel"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    w = _weights(3, shape=(40, 7))
    q, scale = quantize(w)
    return {"deq": dequantize(q, scale)}


@reconstruction_error_within_half_a_step.verdict
def _(got):
    w = _weights(3, shape=(40, 7))
    _, scale = _np_ratio(w, -1)
    deq = expect_array(got["deq"], "dequantized weights", shape=w.shape, kinds="f").astype(np.float64)
    bound = scale.astype(np.float64) / 2 * (1 + 1e-5) + 1e-12
    err = np.abs(deq - w)
    bad = err > bound
    expect(bool(not np.any(bad)), f"{int(np.sum(bad))} weight(s) are further than scale / 2 from the original")


@suite.check("numeric", hidden=True)
def channels_along_axis_zero(ns):
    """axis=0: one scale per row, and dequantize broadcasts the scale along rows"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    w = _weights(4, shape=(5, 6), axis=0)
    q, scale = quantize(w, axis=0)
    ratio, oracle_scale = _np_ratio(_weights(5, shape=(3, 4), axis=0), 0)
    codes = np.clip(np.round(ratio), -127, 127).astype(np.int8)
    return {"q": q, "scale": scale, "deq": dequantize(codes, oracle_scale, axis=0)}


@channels_along_axis_zero.verdict
def _(got):
    ratio, scale = _np_ratio(_weights(4, shape=(5, 6), axis=0), 0)
    _expect_scale(got["scale"], scale, "scale along axis 0")
    _expect_codes(got["q"], ratio, "q along axis 0")
    ratio2, scale2 = _np_ratio(_weights(5, shape=(3, 4), axis=0), 0)
    codes = np.clip(np.round(ratio2), -127, 127)
    expect_close(got["deq"], codes * scale2.astype(np.float64)[:, None], "dequantize_int8(q, scale, axis=0)")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def symmetric_range_never_uses_minus_128(ns):
    """a channel whose largest |w| is negative maps it to -127, never -128"""
    quantize = need(ns, "quantize_int8")
    q, scale = quantize([[-3.0], [1.0], [2.0], [3.0 - 1e-9]], axis=-1)
    return {"q": q, "scale": scale}


@symmetric_range_never_uses_minus_128.verdict
def _(got):
    q = expect_array(got["q"], "q", shape=(4, 1), kinds="i")
    expect(int(q.min()) >= -127, f"q contains {int(q.min())}: the symmetric range is [-127, 127]")
    expect(int(q[0, 0]) == -127, f"the largest |w| (-3) must map to -127, got {int(q[0, 0])}")
    expect_close(got["scale"], [3.0 / 127.0], "scale", rtol=1e-6, atol=0)


@suite.check("behavior", hidden=True)
def zero_channel_is_finite(ns):
    """an all-zero channel (and all-zero weights) give finite positive scales and zeros back"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    w = _weights(6, shape=(4, 3))
    w[:, 1] = 0.0
    q, scale = quantize(w)
    qz, sz = quantize(np.zeros((2, 3)), axis=0)
    return {"q": q, "scale": scale, "deq": dequantize(q, scale), "qz": qz, "sz": sz, "deqz": dequantize(qz, sz, 0)}


@zero_channel_is_finite.verdict
def _(got):
    w = _weights(6, shape=(4, 3))
    w[:, 1] = 0.0
    ratio, scale = _np_ratio(w, -1)
    got_scale = expect_array(got["scale"], "scale", shape=(3,), kinds="f")
    expect(bool(np.all(np.isfinite(got_scale)) and got_scale[1] > 0), "scale of the zero channel must be finite, > 0")
    expect_close(got_scale[[0, 2]], scale[[0, 2]], "scales of the non-zero channels", rtol=1e-6, atol=0)
    _expect_codes(got["q"], ratio, "q")
    deq = expect_array(got["deq"], "dequantized weights", shape=(4, 3), kinds="f")
    expect(bool(np.all(deq[:, 1] == 0)), "the zero channel must dequantize to exactly 0")
    sz = expect_array(got["sz"], "scale of all-zero weights", shape=(2,), kinds="f")
    expect(bool(np.all(np.isfinite(sz)) and np.all(sz > 0)), "scales of all-zero weights must be finite, > 0")
    qz = expect_array(got["qz"], "q of all-zero weights", shape=(2, 3), kinds="i")
    expect(bool(np.all(qz == 0)), "all-zero weights must quantize to 0")
    deqz = expect_array(got["deqz"], "dequantized all-zero weights", shape=(2, 3), kinds="f")
    expect(bool(np.all(deqz == 0)), "all-zero weights must dequantize to exactly 0")


@suite.check("behavior", hidden=True)
def lists_tensors_and_no_mutation(ns):
    """lists and tf tensors give the same result as arrays, and the input is not modified"""
    import tensorflow as tf

    quantize = need(ns, "quantize_int8")
    w = _weights(7, shape=(3, 4))
    q_list, s_list = quantize(w.tolist())
    q_tensor, s_tensor = quantize(tf.constant(w, dtype=tf.float64))
    quantize(w)
    return {"q_list": q_list, "s_list": s_list, "q_tensor": q_tensor, "s_tensor": s_tensor, "w": w}


@lists_tensors_and_no_mutation.verdict
def _(got):
    w = _weights(7, shape=(3, 4))
    ratio, scale = _np_ratio(w, -1)
    for source in ("list", "tensor"):
        _expect_scale(got[f"s_{source}"], scale, f"scale from a {source}")
        _expect_codes(got[f"q_{source}"], ratio, f"q from a {source}")
    expect_close(got["w"], w, "weights after the call", rtol=0, atol=0)


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "a string as weights": "TypeError",
        "a scalar (no channel axis)": "ValueError",
        "axis=2 for 2-D weights": "ValueError",
        "axis=1.5": "TypeError",
        "weights containing NaN": "ValueError",
        "3 scales for 4 channels": "ValueError",
        "1 scale for 4 channels (must not broadcast silently)": "ValueError",
    }


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """a scalar, a bad axis, NaN weights or a wrong-length scale raise ValueError; text or a float axis TypeError"""
    quantize = need(ns, "quantize_int8")
    dequantize = need(ns, "dequantize_int8")
    codes = np.zeros((3, 4), dtype=np.int8)
    w = _weights(8, shape=(3, 4))
    nan = w.copy()
    nan[1, 2] = np.nan
    return {
        "a string as weights": raised(quantize, "weights"),
        "a scalar (no channel axis)": raised(quantize, 3.0),
        "axis=2 for 2-D weights": raised(quantize, w, axis=2),
        "axis=1.5": raised(quantize, w, axis=1.5),
        "weights containing NaN": raised(quantize, nan),
        "3 scales for 4 channels": raised(dequantize, codes, np.ones(3, dtype=np.float32)),
        "1 scale for 4 channels (must not broadcast silently)": raised(dequantize, codes, np.ones(1, dtype=np.float32)),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
