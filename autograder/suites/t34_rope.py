"""Checks of t34 · rotary position embeddings.

Independent oracles, float64 NumPy: ``_np_rope`` multiplies the complex numbers
``x[2i] + j x[2i+1]`` by ``exp(j m theta_i)``; ``_np_rope_2d`` builds each token's
block-diagonal rotation matrix and multiplies. Property checks (relative position, norm,
identity at 0) need no oracle.

Tolerances. The contract allows angles ``m * theta`` in float32 (what production code does)
or float64. A float32 angle is off by about ``m * 6e-8`` rad, so the exact checks keep
positions below 32 (error ~1e-6, under ``rtol=1e-5, atol=1e-5``) and the long-context check
(positions up to 32767, float32 error ~2e-3) uses ``atol=1e-2``: angles in bfloat16 or float16
are off by 0.05 already at position 31 and by O(1) at 32767. Every mutant moves some output by
more than 0.05.
"""

import math

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import CheckFailed, expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t34_rope", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_rope(x, positions, base):
    """Float64 oracle: each pair (x[2i], x[2i+1]) as a complex number times exp(j m base**(-2i/D))."""
    x = np.asarray(x, np.float64)
    d = x.shape[-1]
    theta = np.power(float(base), -2.0 * np.arange(d // 2) / d)
    z = (x[..., 0::2] + 1j * x[..., 1::2]) * np.exp(1j * np.asarray(positions, np.float64)[..., None] * theta)
    out = np.empty_like(x)
    out[..., 0::2] = z.real
    out[..., 1::2] = z.imag
    return out


def _np_rope_2d(x, rows, cols, base):
    """Float64 oracle: per token, a block-diagonal rotation (row angles, then column angles) times x."""
    x = np.asarray(x, np.float64)
    d = x.shape[-1]
    quarter = d // 4
    theta = np.power(float(base), -4.0 * np.arange(quarter) / d)  # the spectrum of a D/2-dim half
    lead = x.shape[:-1]
    rows = np.broadcast_to(np.asarray(rows, np.float64), lead)
    cols = np.broadcast_to(np.asarray(cols, np.float64), lead)
    angles = np.concatenate([rows[..., None] * theta, cols[..., None] * theta], axis=-1)  # (..., D/2)
    rot = np.zeros((*lead, d, d))
    c, s = np.cos(angles), np.sin(angles)
    idx = np.arange(d // 2)
    rot[..., 2 * idx, 2 * idx] = c
    rot[..., 2 * idx, 2 * idx + 1] = -s
    rot[..., 2 * idx + 1, 2 * idx] = s
    rot[..., 2 * idx + 1, 2 * idx + 1] = c
    return np.einsum("...ij,...j->...i", rot, x)


def _x(seed, shape):
    """Seeded float32 features with entries ~ N(0, 1)."""
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _short_positions():
    """Positions below 32, fractions included (interpolated positions), not in order."""
    return np.array([0.0, 3.0, 7.5, 31.0, 12.0, 20.25])


def _long_positions():
    """Positions up to 32767, where 16-bit angles break down."""
    return np.array([1000.0, 8191.0, 20000.0, 32767.0, 30001.0, 12345.0])


def _grid():
    """Rows and columns of the 12 patches of a 3 x 4 image, row-major."""
    index = np.arange(12)
    return index // 4, index % 4


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "x with an odd last dimension (2, 5, 7)": "ValueError",
        "1-D x": "ValueError",
        "rope_2d with D = 6 (not a multiple of 4)": "ValueError",
        "positions of length 4 for L = 5": "ValueError",
        "positions holding NaN": "ValueError",
        "base = 1.0": "ValueError",
        "base = -10000.0": "ValueError",
        "rope_2d with cols of length 3 for L = 6": "ValueError",
        "x is a string": "TypeError",
        "positions = None": "TypeError",
        "boolean positions": "TypeError",
        "base = '10000' (text)": "TypeError",
        "base = True (a bool)": "TypeError",
        "rope_2d with rows = None": "TypeError",
    }


@suite.check("shape")
def output_shapes(ns):
    """outputs keep x's shape: (2, 3, 5, 8), (2, 6, 8) for rope_2d, a batch of 0 and a sequence of 0"""
    rope_1d, rope_2d = need(ns, "rope_1d"), need(ns, "rope_2d")
    rows, cols = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 0, 1])
    return {
        "heads": rope_1d(_x(1, (2, 3, 5, 8)), np.arange(5)),
        "image": rope_2d(_x(2, (2, 6, 8)), rows, cols),
        "empty_batch": rope_1d(np.zeros((0, 5, 8), np.float32), np.arange(5)),
        "empty_sequence": rope_1d(np.zeros((2, 0, 4), np.float32), np.zeros(0)),
    }


@output_shapes.verdict
def _(got):
    expect_array(got["heads"], "rope_1d of (2, 3, 5, 8)", shape=(2, 3, 5, 8))
    expect_array(got["image"], "rope_2d of (2, 6, 8)", shape=(2, 6, 8))
    expect_array(got["empty_batch"], "rope_1d of (0, 5, 8)", shape=(0, 5, 8))
    expect_array(got["empty_sequence"], "rope_1d of (2, 0, 4)", shape=(2, 0, 4))


@suite.check("shape", hidden=True)
def broadcast_positions_and_dtypes(ns):
    """per-sample positions (2, 1, 5) broadcast over heads; float64 stays float64, integers become float32"""
    rope_1d, rope_2d = need(ns, "rope_1d"), need(ns, "rope_2d")
    positions = np.array([[[0, 1, 2, 3, 4]], [[7, 8, 9, 10, 11]]])
    rows, cols = _grid()
    return {
        "per_sample": rope_1d(_x(3, (2, 3, 5, 8)), positions),
        "float64": rope_1d(_x(4, (5, 6)).astype(np.float64), np.arange(5)),
        "int": rope_1d(np.arange(24).reshape(3, 8), np.arange(3)),
        "image64": rope_2d(_x(5, (12, 8)).astype(np.float64), rows, cols),
    }


@broadcast_positions_and_dtypes.verdict
def _(got):
    per_sample = expect_array(got["per_sample"], "rope_1d with positions (2, 1, 5)", shape=(2, 3, 5, 8))
    expect(per_sample.dtype == np.float32, "rope_1d of float32 input must be float32")
    expect_close(per_sample, _np_rope(_x(3, (2, 3, 5, 8)), np.array([[[0, 1, 2, 3, 4]], [[7, 8, 9, 10, 11]]]),
                                      10000.0), "rope_1d with per-sample positions")
    expect(expect_array(got["float64"], "rope_1d of float64", shape=(5, 6)).dtype == np.float64,
           "rope_1d of float64 input must be float64")
    expect(expect_array(got["int"], "rope_1d of integers", shape=(3, 8)).dtype == np.float32,
           "rope_1d of integer input must be float32")
    expect(expect_array(got["image64"], "rope_2d of float64", shape=(12, 8)).dtype == np.float64,
           "rope_2d of float64 input must be float64")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """the exercise's examples: D = 4, base = 100 (theta = 1, 0.1), positions [1, 0]; rope_2d at row 1, column 2"""
    x = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]], np.float32)
    return {"one": need(ns, "rope_1d")(x, [1, 0], base=100.0),
            "two": need(ns, "rope_2d")(x[:1], [1], [2], base=100.0)}


@hand_worked_example.verdict
def _(got):
    c1, s1 = math.cos(1.0), math.sin(1.0)
    c01, s01 = math.cos(0.1), math.sin(0.1)
    c2, s2 = math.cos(2.0), math.sin(2.0)
    # position 1: pair (1, 2) turns by 1 rad, pair (3, 4) by 0.1 rad; position 0: unchanged
    expect_close(got["one"], [[c1 - 2 * s1, s1 + 2 * c1, 3 * c01 - 4 * s01, 3 * s01 + 4 * c01],
                              [1.0, 2.0, 3.0, 4.0]], "rope_1d")
    # each half has D/2 = 2 features, one pair, theta = 1: (1, 2) turns by row 1, (3, 4) by column 2
    expect_close(got["two"], [[c1 - 2 * s1, s1 + 2 * c1, 3 * c2 - 4 * s2, 3 * s2 + 4 * c2]], "rope_2d")


@suite.check("numeric", hidden=True)
def matches_oracle_1d(ns):
    """random (2, 3, 6, 16) at unordered, fractional positions (base 10^4), and D = 32 with base 5 * 10^5"""
    rope_1d = need(ns, "rope_1d")
    return {"heads": rope_1d(_x(6, (2, 3, 6, 16)), _short_positions()),
            "llama3": rope_1d(_x(7, (6, 32)), _short_positions(), base=500000.0)}


@matches_oracle_1d.verdict
def _(got):
    expect_close(got["heads"], _np_rope(_x(6, (2, 3, 6, 16)), _short_positions(), 10000.0), "rope_1d",
                 atol=1e-5)
    expect_close(got["llama3"], _np_rope(_x(7, (6, 32)), _short_positions(), 500000.0),
                 "rope_1d with base 500000", atol=1e-5)


@suite.check("numeric", hidden=True)
def matches_oracle_2d(ns):
    """a 3 x 4 grid of patches, D = 16, bases 100 and 10^4: each half rotated by its own axis"""
    rope_2d = need(ns, "rope_2d")
    rows, cols = _grid()
    return {"base100": rope_2d(_x(8, (2, 12, 16)), rows, cols, base=100.0),
            "default": rope_2d(_x(9, (12, 8)), rows * 3, cols * 5)}


@matches_oracle_2d.verdict
def _(got):
    rows, cols = _grid()
    expect_close(got["base100"], _np_rope_2d(_x(8, (2, 12, 16)), rows, cols, 100.0), "rope_2d, base 100",
                 atol=1e-5)
    expect_close(got["default"], _np_rope_2d(_x(9, (12, 8)), rows * 3, cols * 5, 10000.0), "rope_2d, base 10^4",
                 atol=1e-5)


@suite.check("numeric", hidden=True)
def long_positions_stay_accurate(ns):
    """positions up to 32767 (D = 64, bases 10^4 and 5 * 10^5): angles not computed in a 16-bit float"""
    rope_1d = need(ns, "rope_1d")
    return {"base1e4": rope_1d(_x(10, (6, 64)), _long_positions()),
            "base5e5": rope_1d(_x(11, (6, 64)), _long_positions(), base=500000.0)}


@long_positions_stay_accurate.verdict
def _(got):
    expect_close(got["base1e4"], _np_rope(_x(10, (6, 64)), _long_positions(), 10000.0),
                 "rope_1d at long positions", rtol=0, atol=1e-2)
    expect_close(got["base5e5"], _np_rope(_x(11, (6, 64)), _long_positions(), 500000.0),
                 "rope_1d at long positions, base 500000", rtol=0, atol=1e-2)


@suite.check("numeric", hidden=True)
def gradient_is_inverse_rotation(ns):
    """float64 gradients w.r.t. x of sum(c * rope(x)) are c rotated back (positions -m), for both functions"""
    rope_1d, rope_2d = need(ns, "rope_1d"), need(ns, "rope_2d")
    rows, cols = _grid()
    x1 = tf.constant(_x(12, (6, 8)).astype(np.float64))
    x2 = tf.constant(_x(13, (12, 8)).astype(np.float64))
    c1 = np.random.default_rng(14).normal(size=(6, 8))
    c2 = np.random.default_rng(15).normal(size=(12, 8))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x1, x2])
        loss1 = tf.reduce_sum(c1 * tf.cast(rope_1d(x1, _short_positions()), tf.float64))
        loss2 = tf.reduce_sum(c2 * tf.cast(rope_2d(x2, rows, cols), tf.float64))
    g1, g2 = tape.gradient(loss1, x1), tape.gradient(loss2, x2)
    if g1 is None or g2 is None:
        raise CheckFailed("no gradient reaches x: use TensorFlow operations, not NumPy")
    return {"g1": g1, "g2": g2}


@gradient_is_inverse_rotation.verdict
def _(got):
    rows, cols = _grid()
    c1 = np.random.default_rng(14).normal(size=(6, 8))
    c2 = np.random.default_rng(15).normal(size=(12, 8))
    expect_close(got["g1"], _np_rope(c1, -_short_positions(), 10000.0), "gradient of rope_1d", atol=1e-5)
    expect_close(got["g2"], _np_rope_2d(c2, -rows, -cols, 10000.0), "gradient of rope_2d", atol=1e-5)


# -------------------------------------------------------------------------- behavior
def _relative_pairs():
    """(m, n) position pairs: the first three share m - n = 2, the last two m - n = 5; (1, 3) has -2."""
    return np.array([[3, 1], [10, 8], [57, 55], [5, 0], [25, 20], [1, 3]])


@suite.check("behavior")
def relative_position_property(ns):
    """<rope(q, m), rope(k, n)> depends only on m - n: equal for (3, 1), (10, 8), (57, 55); (1, 3) differs"""
    rope_1d = need(ns, "rope_1d")
    q = np.random.default_rng(16).normal(size=8)
    k = np.random.default_rng(17).normal(size=8)
    pairs = _relative_pairs()
    q_rot = rope_1d(np.tile(q, (len(pairs), 1)), pairs[:, 0])
    k_rot = rope_1d(np.tile(k, (len(pairs), 1)), pairs[:, 1])
    return {"q": q_rot, "k": k_rot}


@relative_position_property.verdict
def _(got):
    q = np.asarray(expect_array(got["q"], "rotated queries", shape=(6, 8)), np.float64)
    k = np.asarray(expect_array(got["k"], "rotated keys", shape=(6, 8)), np.float64)
    scores = np.sum(q * k, axis=-1)
    expect_close(scores[1:3], np.full(2, scores[0]), "scores at (10, 8) and (57, 55) against (3, 1)", atol=1e-5)
    expect_close(scores[4:5], scores[3:4], "score at (25, 20) against (5, 0)", atol=1e-5)
    expect(bool(abs(scores[5] - scores[0]) > 1e-2), "the score at (1, 3) equals the one at (3, 1): "
           "the rotation does not depend on the position, or depends only on |m - n|")


@suite.check("behavior", hidden=True)
def relative_2d_property(ns):
    """2-D scores depend only on the (row, column) offsets: equal for shifted pairs, different for other offsets"""
    rope_2d = need(ns, "rope_2d")
    q = np.random.default_rng(18).normal(size=8)
    k = np.random.default_rng(19).normal(size=8)
    q_at, k_at = _relative_2d_positions()
    q_rot = rope_2d(np.tile(q, (len(q_at), 1)), q_at[:, 0], q_at[:, 1])
    k_rot = rope_2d(np.tile(k, (len(k_at), 1)), k_at[:, 0], k_at[:, 1])
    return {"q": q_rot, "k": k_rot}


def _relative_2d_positions():
    """(row, col) of the query and the key: offsets (1, 2) three times, then (2, 1), (1, 0), (1, 5)."""
    q_at = np.array([[2, 3], [5, 9], [11, 2], [2, 3], [2, 3], [2, 7]])
    k_at = np.array([[1, 1], [4, 7], [10, 0], [0, 2], [1, 3], [1, 2]])
    return q_at, k_at


@relative_2d_property.verdict
def _(got):
    q = np.asarray(expect_array(got["q"], "rotated queries", shape=(6, 8)), np.float64)
    k = np.asarray(expect_array(got["k"], "rotated keys", shape=(6, 8)), np.float64)
    scores = np.sum(q * k, axis=-1)
    expect_close(scores[1:3], np.full(2, scores[0]), "scores of pairs with the same (row, column) offset",
                 atol=1e-5)
    for i in (3, 4, 5):
        expect(bool(abs(scores[i] - scores[0]) > 1e-3), "pairs with different offsets get the same score")


@suite.check("behavior", hidden=True)
def norm_and_identity(ns):
    """norms are kept, position 0 is the identity, and rope_2d with cols = 0 is rope_1d on the first half"""
    rope_1d, rope_2d = need(ns, "rope_1d"), need(ns, "rope_2d")
    rows, cols = _grid()
    x = _x(20, (3, 12, 16))
    return {
        "far": rope_1d(x, np.arange(12) * 97.0),
        "zero": rope_1d(x, np.zeros(12)),
        "image": rope_2d(x, rows * 7, cols * 11),
        "image_zero": rope_2d(x, np.zeros(12), np.zeros(12)),
        "rows_only": rope_2d(x, rows, np.zeros(12)),
        "first_half": rope_1d(x[..., :8], rows),
    }


@norm_and_identity.verdict
def _(got):
    x = _x(20, (3, 12, 16)).astype(np.float64)
    norms = np.linalg.norm(x, axis=-1)
    far = np.asarray(expect_array(got["far"], "rope_1d", shape=(3, 12, 16)), np.float64)
    image = np.asarray(expect_array(got["image"], "rope_2d", shape=(3, 12, 16)), np.float64)
    expect_close(np.linalg.norm(far, axis=-1), norms, "token norms after rope_1d")
    expect_close(np.linalg.norm(image, axis=-1), norms, "token norms after rope_2d")
    expect_close(got["zero"], x, "rope_1d at position 0")
    expect_close(got["image_zero"], x, "rope_2d at row 0, column 0")
    rows_only = np.asarray(expect_array(got["rows_only"], "rope_2d with cols = 0", shape=(3, 12, 16)), np.float64)
    expect_close(rows_only[..., :8], np.asarray(got["first_half"], np.float64),
                 "first half of rope_2d with cols = 0 against rope_1d of that half")
    expect_close(rows_only[..., 8:], x[..., 8:], "second half of rope_2d with cols = 0")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    rope_1d, rope_2d = need(ns, "rope_1d"), need(ns, "rope_2d")
    x = _x(21, (2, 5, 8))
    return {
        "x with an odd last dimension (2, 5, 7)": raised(rope_1d, _x(22, (2, 5, 7)), np.arange(5)),
        "1-D x": raised(rope_1d, x[0, 0], np.arange(1)),
        "rope_2d with D = 6 (not a multiple of 4)": raised(rope_2d, _x(23, (6, 6)), np.zeros(6), np.zeros(6)),
        "positions of length 4 for L = 5": raised(rope_1d, x, np.arange(4)),
        "positions holding NaN": raised(rope_1d, x, np.array([0.0, 1.0, np.nan, 3.0, 4.0])),
        "base = 1.0": raised(rope_1d, x, np.arange(5), base=1.0),
        "base = -10000.0": raised(rope_1d, x, np.arange(5), base=-10000.0),
        "rope_2d with cols of length 3 for L = 6": raised(rope_2d, _x(24, (6, 8)), np.zeros(6), np.zeros(3)),
        "x is a string": raised(rope_1d, "query", np.arange(5)),
        "positions = None": raised(rope_1d, x, None),
        "boolean positions": raised(rope_1d, x, np.ones(5, dtype=bool)),
        "base = '10000' (text)": raised(rope_1d, x, np.arange(5), base="10000"),
        "base = True (a bool)": raised(rope_1d, x, np.arange(5), base=True),
        "rope_2d with rows = None": raised(rope_2d, _x(25, (6, 8)), None, np.zeros(6)),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """x, positions, rows and cols are unchanged after the calls"""
    rope_1d, rope_2d = need(ns, "rope_1d"), need(ns, "rope_2d")
    x = _x(26, (12, 8))
    positions = _short_positions()
    rows, cols = _grid()
    rope_1d(x[:6], positions)
    rope_2d(x, rows, cols)
    return {"x": x, "positions": positions, "rows": rows, "cols": cols}


@inputs_not_mutated.verdict
def _(got):
    rows, cols = _grid()
    expect_close(got["x"], _x(26, (12, 8)), "x after the calls", rtol=0, atol=0)
    expect_close(got["positions"], _short_positions(), "positions after the call", rtol=0, atol=0)
    expect_close(got["rows"], rows, "rows after the call", rtol=0, atol=0)
    expect_close(got["cols"], cols, "cols after the call", rtol=0, atol=0)
