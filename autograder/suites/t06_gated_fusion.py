"""Checks of t06 · gated cross-attention fusion.

Independent oracle: ``_np_fusion``, the layer's formula in float64 NumPy evaluated with the
layer's own weights, which the probe reads from the four named ``Dense`` sublayers after
giving every bias a nonzero seeded value (so a missing bias shows). The verdict first checks
that those weights have the documented shapes and are not degenerate, and that on the test
inputs the attention weights are far from uniform and the gate far from constant, so the
oracle really exercises the scale, the softmax axis and the gate. Inputs ~ N(0, 1) with
Glorot kernels keep |logits| of order 1 (no saturation). The layer runs in float32; outputs
are of order 1 and the float32 rounding of a few 16-term dot products stays below 1e-6.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import (
    CheckFailed,
    expect,
    expect_array,
    expect_close,
    expect_equal,
    expect_raises,
    need,
    raised,
)

suite = Suite("t06_gated_fusion", points={"shape": 2, "numeric": 4, "behavior": 4})


def _sublayer_names():
    return ("text_proj", "key_proj", "value_proj", "gate")


def _inputs(seed, batch=2, lt=3, li=4, dt=5, di=6):
    """Text (B, Lt, Dt) and image (B, Li, Di) features ~ N(0, 1), float32."""
    rng = np.random.default_rng(seed)
    text = rng.normal(0.0, 1.0, size=(batch, lt, dt)).astype(np.float32)
    image = rng.normal(0.0, 1.0, size=(batch, li, di)).astype(np.float32)
    return text, image


def _padding_mask():
    """(3, 5): sample 0 sees all 5 image positions, sample 1 the first 2, sample 2 none."""
    return np.arange(5)[None, :] < np.array([5, 2, 0])[:, None]


def _built_layer(ns, hidden_size, text, image, seed):
    """The student's layer, built by one call under a fixed seed, biases set to nonzero values."""
    keras.utils.set_random_seed(seed)
    layer = need(ns, "GatedAttentionFusion")(hidden_size)
    layer(text, image)
    rng = np.random.default_rng(seed)
    for name in _sublayer_names():
        dense = getattr(layer, name, None)
        if not isinstance(dense, keras.layers.Dense) or dense.bias is None:
            raise CheckFailed(f"layer.{name} must be a keras.layers.Dense with a bias (see the exercise)")
        dense.bias.assign(rng.normal(0.0, 0.3, size=tuple(dense.bias.shape)))
    return layer


@suite.check("shape", hidden=True)
def output_dtype_is_the_layers_compute_dtype(ns):
    """float64 and integer inputs give float32 outputs by default; a layer built with dtype="float64" gives float64"""
    Fusion = need(ns, "GatedAttentionFusion")
    text, image = _inputs(69)
    keras.utils.set_random_seed(69)
    default = Fusion(3)
    wide = Fusion(3, dtype="float64")
    return {
        "from_f64": default(text.astype(np.float64), image.astype(np.float64)),
        "from_int": default(np.round(text).astype(np.int32), image),
        "f64_layer": wide(text, image),
    }


@output_dtype_is_the_layers_compute_dtype.verdict
def _(got):
    for key, dtype, what in (("from_f64", np.float32, "output of the default layer for float64 inputs"),
                             ("from_int", np.float32, "output of the default layer for integer text"),
                             ("f64_layer", np.float64, 'output of a layer built with dtype="float64"')):
        out = expect_array(got[key], what, shape=(2, 3, 3), kinds="f")
        expect(out.dtype == dtype, f"{what}: expected dtype {np.dtype(dtype)}, got {out.dtype}")


def _weights_of(layer):
    """Kernel and bias of each named sublayer, as NumPy arrays."""
    out = {}
    for name in _sublayer_names():
        dense = getattr(layer, name)
        out[name] = {"kernel": dense.kernel.numpy(), "bias": dense.bias.numpy()}
    return out


def _np_fusion(text, image, weights, mask=None):
    """Float64 oracle: returns (output, attention weights, gate)."""
    w = {name: {part: np.asarray(a, np.float64) for part, a in parts.items()} for name, parts in weights.items()}
    text, image = np.asarray(text, np.float64), np.asarray(image, np.float64)
    q = text @ w["text_proj"]["kernel"] + w["text_proj"]["bias"]
    k = image @ w["key_proj"]["kernel"] + w["key_proj"]["bias"]
    v = image @ w["value_proj"]["kernel"] + w["value_proj"]["bias"]
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    allowed = np.ones(logits.shape, bool) if mask is None else np.broadcast_to(mask[:, None, :], logits.shape)
    logits = np.where(allowed, logits, -np.inf)
    top = np.max(logits, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    exp = np.where(allowed, np.exp(logits - top), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    attention = np.divide(exp, total, out=np.zeros_like(exp), where=total > 0)
    attended = attention @ v
    gate_in = np.concatenate([q, attended], axis=-1)
    g = 1.0 / (1.0 + np.exp(-(gate_in @ w["gate"]["kernel"] + w["gate"]["bias"])))
    return g * attended + (1.0 - g) * q, attention, g


def _expect_weights(weights, dt, di, hidden):
    """The probe's weights have the documented shapes and are not degenerate."""
    shapes = {"text_proj": (dt, hidden), "key_proj": (di, hidden), "value_proj": (di, hidden),
              "gate": (2 * hidden, hidden)}
    for name, shape in shapes.items():
        kernel = expect_array(weights[name]["kernel"], f"{name} kernel", shape=shape, kinds="f")
        bias = expect_array(weights[name]["bias"], f"{name} bias", shape=(hidden,), kinds="f")
        expect(bool(np.std(kernel) > 0.05 and np.std(bias) > 0.05), f"{name}: degenerate weights")


def _expect_not_degenerate(attention, g):
    """Attention weights far from uniform and a gate far from constant on the test inputs."""
    real = attention[attention.sum(axis=-1) > 0]
    spread = real.max(axis=-1) - real.min(axis=-1)
    expect(bool(np.min(spread) > 0.02), "attention weights are nearly uniform on the test inputs: degenerate weights")
    expect(bool(np.std(g) > 0.05), "the gate is nearly constant on the test inputs: degenerate weights")


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "hidden_size = 0": "ValueError",
        "hidden_size = -1": "ValueError",
        "hidden_size = 2.5 (a float)": "TypeError",
        "hidden_size = '4' (text)": "TypeError",
        "hidden_size = True (a bool)": "TypeError",
        "text of rank 2": "ValueError",
        "image of rank 4": "ValueError",
        "text with 2 samples and image with 1": "ValueError",
        "image_mask with 5 positions for an image of 4": "ValueError",
        "image_mask of shape (B, Lt, Li)": "ValueError",
        "a float image_mask": "TypeError",
        "an integer image_mask": "TypeError",
    }


@suite.check("shape")
def output_shape(ns):
    """text (2, 3, 5), image (2, 4, 6), hidden_size 8 -> (2, 3, 8), with and without a mask"""
    keras.utils.set_random_seed(60)
    layer = need(ns, "GatedAttentionFusion")(8)
    text, image = np.ones((2, 3, 5), np.float32), np.ones((2, 4, 6), np.float32)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    return {"plain": layer(text, image), "masked": layer(text, image, image_mask=mask)}


@output_shape.verdict
def _(got):
    expect_array(got["plain"], "output", shape=(2, 3, 8), kinds="f")
    expect_array(got["masked"], "output with image_mask", shape=(2, 3, 8), kinds="f")


@suite.check("shape", hidden=True)
def sublayers_and_empty_batch(ns):
    """four Dense sublayers (8 trainable variables) of the documented shapes; a batch of 0 works"""
    text, image = _inputs(61, lt=2, li=3, dt=4, di=7)
    layer = _built_layer(ns, 6, text, image, seed=61)
    empty = layer(np.zeros((0, 2, 4), np.float32), np.zeros((0, 3, 7), np.float32),
                  image_mask=np.zeros((0, 3), bool))
    return {"count": len(layer.trainable_variables), "weights": _weights_of(layer), "empty": empty,
            "single": layer(text[:1], image[:1])}


@sublayers_and_empty_batch.verdict
def _(got):
    expect_equal(got["count"], 8, "number of trainable variables (4 Dense layers x kernel, bias)")
    _expect_weights(got["weights"], 4, 7, 6)
    expect_array(got["empty"], "output for a batch of 0", shape=(0, 2, 6), kinds="f")
    expect_array(got["single"], "output for a batch of 1", shape=(1, 2, 6), kinds="f")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """identity projections, zero gate weights (g = 0.5): text [1, 0] over image [[1, 0], [0, 1]]"""
    layer = need(ns, "GatedAttentionFusion")(2)
    text = np.array([[[1.0, 0.0]]], np.float32)
    image = np.array([[[1.0, 0.0], [0.0, 1.0]]], np.float32)
    layer(text, image)
    for name in ("text_proj", "key_proj", "value_proj"):
        getattr(layer, name).set_weights([np.eye(2, dtype=np.float32), np.zeros(2, np.float32)])
    layer.gate.set_weights([np.zeros((4, 2), np.float32), np.zeros(2, np.float32)])
    return {"out": layer(text, image), "masked": layer(text, image, image_mask=np.array([[True, False]]))}


@hand_worked_example.verdict
def _(got):
    # q = [1, 0]; logits = q kᵀ / sqrt(2) = [1, 0] / sqrt(2); attention = [w, 1 - w];
    # attended = [w, 1 - w]; g = sigmoid(0) = 0.5; output = 0.5 * attended + 0.5 * q.
    w = 1.0 / (1.0 + math.exp(-1.0 / math.sqrt(2.0)))
    expect_close(got["out"], [[[0.5 * w + 0.5, 0.5 * (1.0 - w)]]], "output")
    # second image position masked: attention [1, 0], attended = [1, 0] = q
    expect_close(got["masked"], [[[1.0, 0.0]]], "output with the second image position masked")


@suite.check("numeric", hidden=True)
def matches_numpy_oracle(ns):
    """output equals the formula evaluated in float64 with the layer's own weights"""
    text, image = _inputs(62, batch=3, lt=4, li=5, dt=6, di=7)
    layer = _built_layer(ns, 8, text, image, seed=62)
    return {"out": layer(text, image), "weights": _weights_of(layer)}


@matches_numpy_oracle.verdict
def _(got):
    text, image = _inputs(62, batch=3, lt=4, li=5, dt=6, di=7)
    _expect_weights(got["weights"], 6, 7, 8)
    want, attention, g = _np_fusion(text, image, got["weights"])
    _expect_not_degenerate(attention, g)
    expect_close(got["out"], want, "output")


@suite.check("numeric", hidden=True)
def masked_matches_numpy_oracle(ns):
    """with a padding mask (including a sample with no image at all) the output equals the formula"""
    text, image = _inputs(63, batch=3, lt=2, li=5, dt=4, di=3)
    layer = _built_layer(ns, 16, text, image, seed=63)
    return {"out": layer(text, image, image_mask=_padding_mask()), "weights": _weights_of(layer)}


@masked_matches_numpy_oracle.verdict
def _(got):
    text, image = _inputs(63, batch=3, lt=2, li=5, dt=4, di=3)
    _expect_weights(got["weights"], 4, 3, 16)
    want, attention, g = _np_fusion(text, image, got["weights"], _padding_mask())
    _expect_not_degenerate(attention[:2], g)
    expect_close(got["out"], want, "output")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def masked_image_positions_do_not_matter(ns):
    """changing the features of masked image positions leaves the output unchanged"""
    keras.utils.set_random_seed(64)
    layer = need(ns, "GatedAttentionFusion")(8)
    text, image = _inputs(64, batch=3, lt=3, li=5, dt=4, di=6)
    mask = _padding_mask()
    changed = image.copy()
    changed[~mask] += 100.0
    return {"a": layer(text, image, image_mask=mask), "b": layer(text, changed, image_mask=mask)}


@masked_image_positions_do_not_matter.verdict
def _(got):
    a = expect_array(got["a"], "output", shape=(3, 3, 8), kinds="f")
    expect(bool(np.all(np.isfinite(a))), "output contains NaN or inf (the last sample has every position masked)")
    expect_close(got["b"], a.astype(np.float64), "output after changing the masked image features")


@suite.check("behavior", hidden=True)
def fully_masked_sample_is_finite(ns):
    """a sample whose image positions are all masked gives a finite output equal to (1 - g) * q"""
    text, image = _inputs(65, batch=2, lt=3, li=4, dt=5, di=5)
    layer = _built_layer(ns, 8, text, image, seed=65)
    mask = np.array([[False] * 4, [True, False, True, False]])
    return {"out": layer(text, image, image_mask=mask), "weights": _weights_of(layer)}


@fully_masked_sample_is_finite.verdict
def _(got):
    text, image = _inputs(65, batch=2, lt=3, li=4, dt=5, di=5)
    _expect_weights(got["weights"], 5, 5, 8)
    mask = np.array([[False] * 4, [True, False, True, False]])
    want = _np_fusion(text, image, got["weights"], mask)[0]
    expect_close(got["out"], want, "output")


@suite.check("behavior", hidden=True)
def sublayers_created_once_and_trained(ns):
    """two calls give the same output and gradients reach all 8 trainable variables"""
    keras.utils.set_random_seed(66)
    layer = need(ns, "GatedAttentionFusion")(8)
    text, image = _inputs(66, batch=3, lt=3, li=5, dt=4, di=6)
    mask = _padding_mask()
    first = layer(text, image, image_mask=mask)
    target = np.random.default_rng(66).normal(size=(3, 3, 8)).astype(np.float32)
    with tf.GradientTape() as tape:
        second = layer(text, image, image_mask=mask)
        loss = tf.reduce_sum(second * target)
    named = [getattr(layer, name, None) for name in _sublayer_names()]
    if not all(isinstance(dense, keras.layers.Dense) and dense.bias is not None for dense in named):
        return {"first": first, "second": second, "count": len(layer.trainable_variables), "norms": None}
    grads = tape.gradient(loss, [v for dense in named for v in (dense.kernel, dense.bias)])
    norms = {}
    for index, name in enumerate(_sublayer_names()):
        for offset, part in enumerate(("kernel", "bias")):
            g = grads[2 * index + offset]
            norms[f"{name}.{part}"] = -1.0 if g is None else float(tf.norm(g))
    return {"first": first, "second": second, "count": len(layer.trainable_variables), "norms": norms}


@sublayers_created_once_and_trained.verdict
def _(got):
    first = expect_array(got["first"], "first output", shape=(3, 3, 8), kinds="f")
    expect_close(got["second"], first.astype(np.float64), "second output on the same inputs")
    expect_equal(got["count"], 8, "number of trainable variables")
    expect(got["norms"] is not None, "text_proj, key_proj, value_proj and gate must be Dense sublayers with a bias")
    for name, norm in got["norms"].items():
        expect(norm >= 0, f"{name} gets no gradient: it is not used by the output")
        # key_proj.bias adds q·b to every logit of a row, which the softmax ignores: its gradient is 0
        if name != "key_proj.bias":
            expect(norm > 1e-6, f"{name} gets a zero gradient")


@suite.check("behavior", hidden=True)
def get_config_round_trip(ns):
    """from_config(get_config()) rebuilds the layer: same hidden_size, same output with the same weights"""
    text, image = _inputs(67)
    layer = _built_layer(ns, 8, text, image, seed=67)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    clone(text, image)
    clone.set_weights(layer.get_weights())
    return {"hidden_size": config.get("hidden_size"), "a": layer(text, image), "b": clone(text, image)}


@get_config_round_trip.verdict
def _(got):
    expect_equal(got["hidden_size"], 8, "get_config()['hidden_size']")
    a = expect_array(got["a"], "output", shape=(2, 3, 8), kinds="f")
    expect_close(got["b"], a.astype(np.float64), "output of the rebuilt layer")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    cls = need(ns, "GatedAttentionFusion")
    keras.utils.set_random_seed(68)
    layer = cls(4)
    text, image = _inputs(68)
    layer(text, image)
    return {
        "hidden_size = 0": raised(cls, 0),
        "hidden_size = -1": raised(cls, -1),
        "hidden_size = 2.5 (a float)": raised(cls, 2.5),
        "hidden_size = '4' (text)": raised(cls, "4"),
        "hidden_size = True (a bool)": raised(cls, True),
        "text of rank 2": raised(layer, text[:, 0], image),
        "image of rank 4": raised(layer, text, image[:, :, :, None]),
        "text with 2 samples and image with 1": raised(layer, text, image[:1]),
        "image_mask with 5 positions for an image of 4": raised(layer, text, image, image_mask=np.ones((2, 5), bool)),
        "image_mask of shape (B, Lt, Li)": raised(layer, text, image, image_mask=np.ones((2, 3, 4), bool)),
        "a float image_mask": raised(layer, text, image, image_mask=np.ones((2, 4))),
        "an integer image_mask": raised(layer, text, image, image_mask=np.ones((2, 4), np.int32)),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)

