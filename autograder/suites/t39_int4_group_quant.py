"""Checks of t39 · group-wise int4 weight quantization (round-to-nearest).

Independent oracle: ``_np_groupwise`` takes each group's extremes with ``np.minimum.reduceat`` /
``np.maximum.reduceat`` over the row starts and spreads the scales back to rows with
``np.repeat``, all in float64 (the reference reshapes to ``(groups, group_size, d_out)``).
Codes and zero points are compared exactly, except at near-ties (the float64 value within
1e-4 of ``k + 0.5``), where float32 arithmetic may legitimately pick either neighbour; codes
are checked against the zero points the function returned once those are known to be right.
Inputs give every (group, column) its own magnitude (1e-2 .. 10) and shift some groups to
one sign, so per-tensor or per-column scales, groups along the wrong axis, or a range that
does not contain 0 all change many codes.
"""

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t39_int4_group_quant", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_groupwise(w, group_size, symmetric):
    """Float64 oracle: float32 scales ``(G, d_out)``, unrounded zero points and ``w / scale`` per row."""
    w = np.asarray(w, dtype=np.float64)
    starts = np.arange(0, w.shape[0], group_size)
    if symmetric:
        raw = np.maximum.reduceat(np.abs(w), starts, axis=0) / 7.0
        zero_raw = None
    else:
        low = np.minimum(np.minimum.reduceat(w, starts, axis=0), 0.0)
        high = np.maximum(np.maximum.reduceat(w, starts, axis=0), 0.0)
        raw = (high - low) / 15.0
    scale = raw.astype(np.float32)
    scale[scale == 0] = 1.0
    if not symmetric:
        zero_raw = -low / scale.astype(np.float64)
    ratio = w / np.repeat(scale.astype(np.float64), group_size, axis=0)
    return scale, zero_raw, ratio


def _near_tie(x):
    return np.abs(np.abs(x - np.floor(x)) - 0.5) < 1e-4


def _expect_codes(got, raw, low, high, what, offset=None):
    """int8 codes equal to ``clip(round(raw) + offset, low, high)``; either neighbour at a near-tie."""
    codes = expect_array(got, what, shape=raw.shape, kinds="i")
    expect(codes.dtype == np.int8, f"{what}: expected dtype int8, got {codes.dtype}")
    shift = 0 if offset is None else offset
    want = np.clip(np.round(raw) + shift, low, high)
    in_range = (codes >= low) & (codes <= high)
    ok = (codes == want) | (_near_tie(raw) & in_range & (np.abs(codes - np.clip(raw + shift, low, high)) < 0.5 + 1e-4))
    expect(bool(np.all(ok)), f"{what}: {int(np.sum(~ok))} value(s) differ from the rule")
    return codes.astype(np.int64)


def _expect_quantized(got, w, group_size, symmetric, what):
    """Check a returned dict against the oracle; return ``(q, zeros or None, scales)`` as float64/int64."""
    scale, zero_raw, ratio = _np_groupwise(w, group_size, symmetric)
    got_scale = expect_array(got["scales"], f"{what} scales", shape=scale.shape, kinds="f")
    expect(got_scale.dtype == np.float32, f"{what} scales: expected dtype float32, got {got_scale.dtype}")
    expect_close(got_scale, scale, f"{what} scales", rtol=1e-6, atol=0)
    if symmetric:
        expect(got["zeros"] is None, f"{what}: zeros must be None for symmetric quantization")
        q = _expect_codes(got["q"], ratio, -8, 7, f"{what} q")
        return q, None, scale.astype(np.float64)
    zeros = _expect_codes(got["zeros"], zero_raw, 0, 15, f"{what} zeros")
    q = _expect_codes(got["q"], ratio, 0, 15, f"{what} q", offset=np.repeat(zeros, group_size, axis=0))
    return q, zeros, scale.astype(np.float64)


def _dequantized(q, zeros, scale, group_size):
    """Float64 ``(q - zero) * scale`` row by row."""
    z = 0 if zeros is None else np.repeat(zeros, group_size, axis=0)
    return (q - z) * np.repeat(scale, group_size, axis=0)


def _weights(seed, d_in=12, d_out=5, group_size=3):
    """Normal weights, every (group, column) with its own magnitude; a quarter of the groups one-signed."""
    rng = np.random.default_rng(seed)
    groups = d_in // group_size
    mags = 10.0 ** rng.uniform(-2.0, 1.0, size=(groups, d_out))
    shift = rng.choice([0.0, 0.0, 3.0, -3.0], size=(groups, d_out))
    base = rng.normal(size=(d_in, d_out)) + np.repeat(shift, group_size, axis=0)
    return base * np.repeat(mags, group_size, axis=0)


def _hand_weights():
    """Four groups of two: mixed signs, one all-positive, one all-negative... see the exercise."""
    return np.array([[-1.5, -2.6], [6.0, 1.15], [1.2, 0.0], [7.5, 0.0]])


def _outlier_weights():
    """64 x 4 weights of scale 0.02 with three outliers (in rows 5, 20 and 40)."""
    rng = np.random.default_rng(39)
    w = rng.normal(0.0, 0.02, size=(64, 4))
    w[5, 1], w[20, 0], w[40, 2] = 1.5, 0.8, -2.0
    return w


def _representable():
    """Weights on the int4 grid: asymmetric (codes 0 and 15 in every group) and symmetric (|code| 7)."""
    rng = np.random.default_rng(390)
    codes = rng.integers(0, 16, size=(8, 3))
    codes[0], codes[1] = 0, 15
    codes[4], codes[7] = 15, 0
    zeros = np.array([[3, 15, 0], [8, 1, 12]])
    scales = np.array([[0.5, 2.0 ** -6, 4.0], [0.125, 1.0, 2.0 ** -3]])
    w_asym = (codes - np.repeat(zeros, 4, axis=0)) * np.repeat(scales, 4, axis=0)
    sym_codes = rng.integers(-7, 8, size=(8, 3))
    sym_codes[1] = 7
    sym_codes[6] = -7
    w_sym = sym_codes * np.repeat(scales, 4, axis=0)
    return w_asym, codes, zeros, scales, w_sym, sym_codes


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes_and_dtypes(ns):
    """(8, 3) weights, group_size 4: q int8 (8, 3), scales float32 (2, 3), zeros int8 (2, 3) or None"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    w = np.arange(24.0).reshape(8, 3) - 11.0
    asym = quantize(w, group_size=4)
    sym = quantize(w, group_size=4, symmetric=True)
    return {"q": asym["q"], "scales": asym["scales"], "zeros": asym["zeros"],
            "deq": dequantize(asym["q"], asym["scales"], asym["zeros"], 4),
            "q_sym": sym["q"], "scales_sym": sym["scales"], "zeros_sym": sym["zeros"],
            "deq_sym": dequantize(sym["q"], sym["scales"], None, 4)}


@output_shapes_and_dtypes.verdict
def _(got):
    for key, shape, low, high in (("q", (8, 3), 0, 15), ("zeros", (2, 3), 0, 15), ("q_sym", (8, 3), -8, 7)):
        codes = expect_array(got[key], key, shape=shape, kinds="i")
        expect(codes.dtype == np.int8, f"{key}: expected dtype int8, got {codes.dtype}")
        expect(bool(np.all((codes >= low) & (codes <= high))), f"{key}: values must lie in [{low}, {high}]")
    for key in ("scales", "scales_sym"):
        scales = expect_array(got[key], key, shape=(2, 3), kinds="f")
        expect(scales.dtype == np.float32, f"{key}: expected dtype float32, got {scales.dtype}")
    expect(got["zeros_sym"] is None, "symmetric quantization returns zeros = None")
    for key in ("deq", "deq_sym"):
        deq = expect_array(got[key], key, shape=(8, 3), kinds="f")
        expect(deq.dtype == np.float32, f"{key}: expected dtype float32, got {deq.dtype}")


@suite.check("shape", hidden=True)
def empty_and_single_group_shapes(ns):
    """d_in = 0, d_out = 0, one group per column and the default group_size 128 keep their shapes"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    no_rows = quantize(np.zeros((0, 3)), group_size=4)
    no_cols = quantize(np.zeros((8, 0)), group_size=4, symmetric=True)
    one = quantize(_weights(1, d_in=6, d_out=2, group_size=6), group_size=6)
    default = quantize(_weights(2, d_in=256, d_out=2, group_size=128))
    return {"q0": no_rows["q"], "s0": no_rows["scales"], "z0": no_rows["zeros"],
            "deq0": dequantize(no_rows["q"], no_rows["scales"], no_rows["zeros"], 4),
            "qc": no_cols["q"], "sc": no_cols["scales"], "deqc": dequantize(no_cols["q"], no_cols["scales"], None, 4),
            "s_one": one["scales"], "z_one": one["zeros"], "s_default": default["scales"],
            "q_default": default["q"]}


@empty_and_single_group_shapes.verdict
def _(got):
    for key, shape in (("q0", (0, 3)), ("s0", (0, 3)), ("z0", (0, 3)), ("deq0", (0, 3)), ("qc", (8, 0)),
                       ("sc", (2, 0)), ("deqc", (8, 0)), ("s_one", (1, 2)), ("z_one", (1, 2)),
                       ("s_default", (2, 2)), ("q_default", (256, 2))):
        expect_array(got[key], key, shape=shape)


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """the 4 x 2 example of the exercise, group_size 2: scales, zero points, codes and dequantized values"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    out = quantize(_hand_weights(), group_size=2)
    return {"q": out["q"], "scales": out["scales"], "zeros": out["zeros"],
            "deq": dequantize(out["q"], out["scales"], out["zeros"], 2)}


@hand_worked_example.verdict
def _(got):
    # column 0: group [-1.5, 6.0] -> range 7.5, scale 0.5, zero 3, codes [0, 15]
    #           group [1.2, 7.5]  -> range [0, 7.5], scale 0.5, zero 0, codes [round(2.4), 15] = [2, 15]
    # column 1: group [-2.6, 1.15] -> range 3.75, scale 0.25, zero round(10.4) = 10,
    #           codes [round(-10.4) + 10, round(4.6) + 10] = [0, 15]
    #           group [0, 0] -> scale 1, zero 0, codes [0, 0]
    expect_close(got["scales"], [[0.5, 0.25], [0.5, 1.0]], "scales", rtol=1e-6, atol=0)
    for key, want in (("zeros", [[3, 10], [0, 0]]), ("q", [[0, 0], [15, 15], [2, 0], [15, 0]])):
        codes = expect_array(got[key], key, shape=np.shape(want), kinds="i")
        expect(bool(np.array_equal(codes, want)), f"{key}: expected {want}, got {codes.tolist()}")
    expect_close(got["deq"], [[-1.5, -2.5], [6.0, 1.25], [1.0, 0.0], [7.5, 0.0]], "dequantized weights")


@suite.check("numeric", hidden=True)
def matches_groupwise_formula(ns):
    """asymmetric: scales, zero points, codes and dequantized values follow the rule (group_size 3 and 4)"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    got = {}
    for tag, (d_in, d_out, gs) in (("a", (12, 5, 3)), ("b", (16, 3, 4))):
        out = quantize(_weights(3, d_in, d_out, gs), group_size=gs)
        got[tag] = {"q": out["q"], "scales": out["scales"], "zeros": out["zeros"],
                    "deq": dequantize(out["q"], out["scales"], out["zeros"], gs)}
    return got


@matches_groupwise_formula.verdict
def _(got):
    for tag, (d_in, d_out, gs) in (("a", (12, 5, 3)), ("b", (16, 3, 4))):
        q, zeros, scale = _expect_quantized(got[tag], _weights(3, d_in, d_out, gs), gs, False, f"case {tag}:")
        expect_close(got[tag]["deq"], _dequantized(q, zeros, scale, gs), f"case {tag}: dequantized weights")


@suite.check("numeric", hidden=True)
def symmetric_matches_formula(ns):
    """symmetric: scale max|w| / 7, codes clip(round(w / scale), -8, 7), zeros None"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    out = quantize(_weights(4, 15, 4, 5), group_size=5, symmetric=True)
    return {"q": out["q"], "scales": out["scales"], "zeros": out["zeros"],
            "deq": dequantize(out["q"], out["scales"], None, 5)}


@symmetric_matches_formula.verdict
def _(got):
    q, _, scale = _expect_quantized(got, _weights(4, 15, 4, 5), 5, True, "symmetric:")
    expect(bool(np.all(np.abs(q) <= 7)), "symmetric codes must lie in [-7, 7] (-8 is never produced)")
    expect_close(got["deq"], _dequantized(q, None, scale, 5), "symmetric dequantized weights")


@suite.check("numeric", hidden=True)
def error_within_half_a_step(ns):
    """every dequantized weight is within scale / 2 of the original (asymmetric and symmetric)"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    w = _weights(5, 32, 6, 8)
    asym = quantize(w, group_size=8)
    sym = quantize(w, group_size=8, symmetric=True)
    return {"deq": dequantize(asym["q"], asym["scales"], asym["zeros"], 8),
            "deq_sym": dequantize(sym["q"], sym["scales"], None, 8)}


@error_within_half_a_step.verdict
def _(got):
    w = _weights(5, 32, 6, 8)
    for key, symmetric in (("deq", False), ("deq_sym", True)):
        scale = np.repeat(_np_groupwise(w, 8, symmetric)[0].astype(np.float64), 8, axis=0)
        deq = expect_array(got[key], key, shape=w.shape, kinds="f").astype(np.float64)
        bad = np.abs(deq - w) > scale / 2 * (1 + 1e-5)
        expect(bool(not np.any(bad)), f"{key}: {int(np.sum(bad))} weight(s) further than scale / 2 from the original")


@suite.check("numeric", hidden=True)
def dequantize_matches_formula(ns):
    """dequantize alone: (q - zero) * scale with row i in group i // group_size; q * scale for zeros=None"""
    dequantize = need(ns, "dequantize_int4_groupwise")
    q, zeros, scales, sym_q = _dequantize_inputs()
    return {"deq": dequantize(q, scales, zeros, 3), "deq_sym": dequantize(sym_q, scales, None, 3)}


@dequantize_matches_formula.verdict
def _(got):
    q, zeros, scales, sym_q = _dequantize_inputs()
    expect_close(got["deq"], _dequantized(q, zeros, scales.astype(np.float64), 3), "dequantized weights")
    expect_close(got["deq_sym"], _dequantized(sym_q, None, scales.astype(np.float64), 3),
                 "dequantized symmetric weights")


def _dequantize_inputs():
    rng = np.random.default_rng(391)
    q = rng.integers(0, 16, size=(9, 4)).astype(np.int8)
    zeros = rng.integers(0, 16, size=(3, 4)).astype(np.int8)
    scales = rng.uniform(0.01, 2.0, size=(3, 4)).astype(np.float32)
    sym_q = rng.integers(-8, 8, size=(9, 4)).astype(np.int8)
    sym_q[0, 0] = -8
    return q, zeros, scales, sym_q


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def groupwise_beats_per_tensor_on_outliers(ns):
    """three outliers spoil only their own groups: group_size 16 beats one scale for the whole tensor"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    w = _outlier_weights()
    grouped = quantize(w, group_size=16)
    # one group holding every weight = per-tensor int4, with the same function
    flat = quantize(w.reshape(-1, 1), group_size=w.size)
    return {"grouped": dequantize(grouped["q"], grouped["scales"], grouped["zeros"], 16),
            "per_tensor": dequantize(flat["q"], flat["scales"], flat["zeros"], w.size)}


@groupwise_beats_per_tensor_on_outliers.verdict
def _(got):
    w = _outlier_weights()
    grouped = expect_array(got["grouped"], "group-wise dequantized", shape=(64, 4), kinds="f").astype(np.float64)
    flat = expect_array(got["per_tensor"], "per-tensor dequantized", shape=(256, 1), kinds="f").astype(np.float64)
    err_group = np.abs(grouped - w)
    err_tensor = np.abs(flat.reshape(64, 4) - w)
    # 13 of the 16 (group, column) blocks hold no outlier: their error must be far smaller
    clean = np.ones((4, 4), bool)
    clean[0, 1] = clean[1, 0] = clean[2, 2] = False
    mask = np.repeat(clean, 16, axis=0)
    rms_group, rms_tensor = np.sqrt(np.mean(err_group[mask] ** 2)), np.sqrt(np.mean(err_tensor[mask] ** 2))
    expect(bool(rms_group < rms_tensor / 5),
           f"RMS error on the groups without outliers: group-wise {rms_group:.4g}, per-tensor {rms_tensor:.4g}; "
           "expected group-wise at least 5x smaller")
    expect(bool(np.mean(err_group ** 2) < np.mean(err_tensor ** 2)),
           "the group-wise mean squared error must be smaller than the per-tensor one")
    expect(bool(np.max(np.abs(grouped - w)[~mask]) <= np.max(np.abs(flat.reshape(64, 4) - w)) + 1e-6),
           "a group with an outlier must not be worse than the whole tensor quantized at once")


@suite.check("behavior", hidden=True)
def representable_values_round_trip_exactly(ns):
    """weights already on the int4 grid come back bit for bit, with their codes, zero points and scales"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    w_asym, _, _, _, w_sym, _ = _representable()
    asym = quantize(w_asym, group_size=4)
    sym = quantize(w_sym, group_size=4, symmetric=True)
    return {"q": asym["q"], "zeros": asym["zeros"], "scales": asym["scales"],
            "deq": dequantize(asym["q"], asym["scales"], asym["zeros"], 4),
            "q_sym": sym["q"], "scales_sym": sym["scales"], "deq_sym": dequantize(sym["q"], sym["scales"], None, 4)}


@representable_values_round_trip_exactly.verdict
def _(got):
    w_asym, codes, zeros, scales, w_sym, sym_codes = _representable()
    for key, want in (("q", codes), ("zeros", zeros), ("q_sym", sym_codes)):
        got_codes = expect_array(got[key], key, shape=want.shape, kinds="i")
        expect(bool(np.array_equal(got_codes, want)), f"{key}: the codes of grid values must be recovered")
    for key in ("scales", "scales_sym"):
        expect_close(got[key], scales, key, rtol=0, atol=0)
    expect_close(got["deq"], w_asym, "asymmetric round trip", rtol=0, atol=0)
    expect_close(got["deq_sym"], w_sym, "symmetric round trip", rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def zero_and_constant_groups(ns):
    """an all-zero group gets scale 1 and zero 0; a constant group (0.3 or -0.45) comes back as itself"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    w = _constant_groups()
    asym = quantize(w, group_size=3)
    sym = quantize(w, group_size=3, symmetric=True)
    return {"q": asym["q"], "zeros": asym["zeros"], "scales": asym["scales"],
            "deq": dequantize(asym["q"], asym["scales"], asym["zeros"], 3),
            "q_sym": sym["q"], "scales_sym": sym["scales"], "deq_sym": dequantize(sym["q"], sym["scales"], None, 3)}


def _constant_groups():
    """Column 0: zeros then 0.3; column 1: -0.45 then zeros (group_size 3)."""
    w = np.zeros((6, 2))
    w[3:, 0] = 0.3
    w[:3, 1] = -0.45
    return w


@zero_and_constant_groups.verdict
def _(got):
    w = _constant_groups()
    for suffix in ("", "_sym"):
        scales = expect_array(got["scales" + suffix], "scales" + suffix, shape=(2, 2), kinds="f")
        expect(bool(np.all(np.isfinite(scales)) and np.all(scales > 0)), "scales must be finite and > 0")
        expect(bool(scales[0, 0] == 1 and scales[1, 1] == 1), "an all-zero group must get scale 1")
        q = expect_array(got["q" + suffix], "q" + suffix, shape=(6, 2), kinds="i")
        expect(bool(np.all(q[:3, 0] == 0) and np.all(q[3:, 1] == 0)), "an all-zero group must have codes 0")
        deq = expect_array(got["deq" + suffix], "deq" + suffix, shape=(6, 2), kinds="f")
        expect(bool(np.all(deq[:3, 0] == 0) and np.all(deq[3:, 1] == 0)),
               "an all-zero group must dequantize to exactly 0")
        expect_close(deq, w, "constant groups after the round trip" + suffix, rtol=1e-6, atol=0)
    zeros = expect_array(got["zeros"], "zeros", shape=(2, 2), kinds="i")
    expect(bool(zeros[0, 0] == 0 and zeros[1, 1] == 0), "an all-zero group must get zero point 0")


@suite.check("behavior", hidden=True)
def lists_tensors_and_no_mutation(ns):
    """lists, tf tensors and integer weights work; whole-number float codes are accepted; inputs unchanged"""
    import tensorflow as tf

    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    w = _weights(6, 8, 3, 4)
    from_list = quantize(w.tolist(), group_size=4)
    from_tensor = quantize(tf.constant(w, dtype=tf.float64), group_size=4)
    ints = quantize(np.array([[-3, 2], [1, 12]]), group_size=2)
    ref = quantize(w, group_size=4)
    q_float = np.asarray(ref["q"]).astype(np.float64)
    deq_float = dequantize(q_float, np.asarray(ref["scales"]).tolist(), np.asarray(ref["zeros"]).astype(np.float64), 4)
    return {"list": {k: from_list[k] for k in ("q", "scales", "zeros")},
            "tensor": {k: from_tensor[k] for k in ("q", "scales", "zeros")},
            "ints": {k: ints[k] for k in ("q", "scales", "zeros")},
            "deq_float": deq_float, "w": w, "q_float": q_float}


@lists_tensors_and_no_mutation.verdict
def _(got):
    w = _weights(6, 8, 3, 4)
    _expect_quantized(got["list"], w, 4, False, "from a list:")
    q, zeros, scale = _expect_quantized(got["tensor"], w, 4, False, "from a tensor:")
    expect_close(got["deq_float"], _dequantized(q, zeros, scale, 4), "dequantized from float codes")
    _expect_quantized(got["ints"], np.array([[-3.0, 2.0], [1.0, 12.0]]), 2, False, "integer weights:")
    expect_close(got["w"], w, "weights after the call", rtol=0, atol=0)
    expect_close(got["q_float"], q, "float codes after the call", rtol=0, atol=0)


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "a string as w": "TypeError",
        "1-D w": "ValueError",
        "d_in = 6 with group_size = 4": "ValueError",
        "group_size = 0": "ValueError",
        "group_size = 2.0 (a float)": "TypeError",
        "group_size = True": "TypeError",
        "symmetric = \"yes\"": "TypeError",
        "w containing NaN": "ValueError",
        "a code of 16 with zeros given": "ValueError",
        "a fractional code (2.5)": "ValueError",
        "boolean codes": "TypeError",
        "scales of shape (3, 2) for q (4, 2), group_size 2": "ValueError",
        "zeros of shape (2, 3) for q (4, 2), group_size 2": "ValueError",
        "scales = None": "TypeError",
    }


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    quantize = need(ns, "quantize_int4_groupwise")
    dequantize = need(ns, "dequantize_int4_groupwise")
    w = _weights(7, 4, 2, 2)
    nan = w.copy()
    nan[1, 1] = np.nan
    q = np.array([[0, 3], [15, 7], [2, 9], [4, 11]], dtype=np.int8)
    scales = np.ones((2, 2), dtype=np.float32)
    zeros = np.full((2, 2), 8, dtype=np.int8)
    big = q.copy()
    big[2, 1] = 16
    return {
        "a string as w": raised(quantize, "w", group_size=2),
        "1-D w": raised(quantize, w[:, 0], group_size=2),
        "d_in = 6 with group_size = 4": raised(quantize, _weights(7, 6, 2, 2), group_size=4),
        "group_size = 0": raised(quantize, w, group_size=0),
        "group_size = 2.0 (a float)": raised(quantize, w, group_size=2.0),
        "group_size = True": raised(quantize, w, group_size=True),
        "symmetric = \"yes\"": raised(quantize, w, group_size=2, symmetric="yes"),
        "w containing NaN": raised(quantize, nan, group_size=2),
        "a code of 16 with zeros given": raised(dequantize, big, scales, zeros, 2),
        "a fractional code (2.5)": raised(dequantize, q + np.array([[0.0, 0.0], [0.0, 0.0], [0.5, 0.0], [0.0, 0.0]]),
                                          scales, zeros, 2),
        "boolean codes": raised(dequantize, q > 4, scales, zeros, 2),
        "scales of shape (3, 2) for q (4, 2), group_size 2": raised(dequantize, q, np.ones((3, 2)), zeros, 2),
        "zeros of shape (2, 3) for q (4, 2), group_size 2": raised(dequantize, q, scales, np.zeros((2, 3), int), 2),
        "scales = None": raised(dequantize, q, None, zeros, 2),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
