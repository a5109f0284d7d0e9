"""Checks of t04 · encoder-decoder fusion layer.

Independent oracle: ``_np_fusion``, the relu chain in float64 NumPy computed from the
layer's own weights (returned by the probe; the probe also sets the biases to seeded
non-zero values that the verdict regenerates, so the weights are checked for consistency
and non-degeneracy). Gradients are compared with a closed-form backward pass in float64.
The layer runs in float32, hence ``rtol=1e-5, atol=1e-5`` on outputs of size about 1 and
``rtol=1e-4, atol=1e-5`` on gradients (sums over the batch of float32 products).
"""

import keras
import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_equal, expect_raises, need, raised

suite = Suite("t04_encoder_decoder", points={"shape": 2, "numeric": 4, "behavior": 4})


def _sublayer_names():
    return ("text_encoder", "image_encoder", "text_decoder", "image_decoder")


def _sublayer_weights(layer):
    """Probe helper: kernel and bias of each named Dense sublayer, as a flat dict."""
    out = {}
    for name in _sublayer_names():
        kernel, bias = getattr(layer, name).get_weights()
        out[name + "_kernel"] = kernel
        out[name + "_bias"] = bias
    return out


def _biases(hidden):
    """Seeded non-zero biases the probes write into the sublayers (Dense biases start at 0)."""
    rng = np.random.default_rng(40)
    return {name: rng.normal(0.0, 0.3, size=hidden).astype(np.float32) for name in _sublayer_names()}


def _set_biases(layer, hidden):
    """Probe helper: keep each sublayer's kernel, replace its bias by the seeded one."""
    for name, bias in _biases(hidden).items():
        sub = getattr(layer, name)
        kernel = sub.get_weights()[0]
        sub.set_weights([kernel, bias])


def _inputs(seed, batch=6, dt=3, di=4):
    rng = np.random.default_rng(seed)
    text = rng.normal(0.0, 1.0, size=(batch, dt)).astype(np.float32)
    image = rng.normal(0.0, 1.0, size=(batch, di)).astype(np.float32)
    return text, image


def _weights_checked(got, dt, di, hidden):
    """Verdict helper: the returned weights have the right shapes, the seeded biases, and are not degenerate."""
    shapes = {"text_encoder": (dt, hidden), "image_encoder": (di, hidden),
              "text_decoder": (hidden, hidden), "image_decoder": (hidden, hidden)}
    biases = _biases(hidden)
    w = {}
    for name, shape in shapes.items():
        kernel = expect_array(got[name + "_kernel"], f"{name} kernel", shape=shape, kinds="f").astype(np.float64)
        expect_close(got[name + "_bias"], biases[name], f"{name} bias after set_weights", rtol=0, atol=0)
        expect(bool(np.std(kernel) > 0.05), f"{name} kernel is degenerate (constant): initialise it randomly")
        w[name] = (kernel, biases[name].astype(np.float64))
    expect(bool(np.max(np.abs(w["text_decoder"][0] - w["image_decoder"][0])) > 1e-3),
           "text_decoder and image_decoder must be two different layers with their own weights")
    return w


def _np_fusion(w, text, image):
    """Float64 oracle: relu(relu(t We + be) Wd + bd) for each modality, summed; also the pre-activations."""
    pre = {}
    out = 0.0
    for modality, x in (("text", text), ("image", image)):
        k1, b1 = w[modality + "_encoder"]
        k2, b2 = w[modality + "_decoder"]
        z1 = np.asarray(x, dtype=np.float64) @ k1 + b1
        z2 = np.maximum(z1, 0.0) @ k2 + b2
        pre[modality + "_encoder"], pre[modality + "_decoder"] = z1, z2
        out = out + np.maximum(z2, 0.0)
    return out, pre


def _np_fusion_grads(w, text, image, upstream):
    """Float64 closed-form gradients of sum(output * upstream) w.r.t. the eight weights."""
    grads = {}
    for modality, x in (("text", text), ("image", image)):
        x = np.asarray(x, dtype=np.float64)
        k1, b1 = w[modality + "_encoder"]
        k2, b2 = w[modality + "_decoder"]
        z1 = x @ k1 + b1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ k2 + b2
        g2 = upstream * (z2 > 0)
        g1 = (g2 @ k2.T) * (z1 > 0)
        grads[modality + "_decoder_kernel"] = h1.T @ g2
        grads[modality + "_decoder_bias"] = g2.sum(axis=0)
        grads[modality + "_encoder_kernel"] = x.T @ g1
        grads[modality + "_encoder_bias"] = g1.sum(axis=0)
    return grads


def _upstream(batch, hidden):
    return np.random.default_rng(41).normal(size=(batch, hidden))


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "hidden_size = 0": "ValueError",
        "hidden_size = -3": "ValueError",
        "hidden_size = 2.5 (a float)": "TypeError",
        "hidden_size = '4' (text)": "TypeError",
        "hidden_size = True (a bool)": "TypeError",
        "1-D text and image": "ValueError",
        "3-D text": "ValueError",
        "text and image with different batch sizes": "ValueError",
    }


@suite.check("shape")
def output_shape(ns):
    """EncoderDecoderFusion(4) maps text (2, 3) and image (2, 5) to (2, 4)"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(0)
    layer = fusion_layer(4)
    return {"out": layer(np.zeros((2, 3), np.float32), np.zeros((2, 5), np.float32))}


@output_shape.verdict
def _(got):
    expect_array(got["out"], "output", shape=(2, 4))


@suite.check("shape", hidden=True)
def other_sizes_empty_batch_and_functional_model(ns):
    """other sizes, a batch of 0, and use inside a functional keras.Model keep (B, hidden_size)"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(1)
    out7 = fusion_layer(7)(np.ones((3, 1), np.float32), np.ones((3, 9), np.float32))
    out0 = fusion_layer(7)(np.zeros((0, 2), np.float32), np.zeros((0, 3), np.float32))
    text_in, image_in = keras.Input((3,)), keras.Input((5,))
    model = keras.Model([text_in, image_in], fusion_layer(6)(text_in, image_in))
    out_model = model([np.ones((2, 3), np.float32), np.ones((2, 5), np.float32)])
    return {"out7": out7, "out0": out0, "out_model": out_model}


@other_sizes_empty_batch_and_functional_model.verdict
def _(got):
    expect_array(got["out7"], "output of EncoderDecoderFusion(7) on (3, 1) and (3, 9)", shape=(3, 7))
    expect_array(got["out0"], "output for a batch of 0", shape=(0, 7))
    expect_array(got["out_model"], "output of a functional model around EncoderDecoderFusion(6)", shape=(2, 6))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_weights(ns):
    """with the weights of the worked example set by hand, the output is [[4, 2], [0.5, 1]]"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    layer = fusion_layer(2)
    text = np.array([[3.0, 1.0], [0.0, 0.0]], np.float32)
    image = np.array([[2.0], [1.0]], np.float32)
    layer(text, image)  # builds the weights
    layer.text_encoder.set_weights([np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([0.0, 0.0])])
    layer.text_decoder.set_weights([np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.0, -1.0])])
    layer.image_encoder.set_weights([np.array([[1.0, -1.0]]), np.array([0.0, 0.0])])
    layer.image_decoder.set_weights([np.array([[0.5, 1.0], [0.0, 0.0]]), np.array([0.0, 0.0])])
    return {"out": layer(text, image)}


@hand_worked_weights.verdict
def _(got):
    # sample 0: text [3, 1] -> encoder relu([3, -2]) = [3, 0] -> decoder relu([3, -1]) = [3, 0];
    #           image [2] -> encoder relu([2, -2]) = [2, 0] -> decoder relu([1, 2]) = [1, 2]; sum [4, 2].
    # sample 1: text [0, 0] -> [0, 0] -> relu([0, -1]) = [0, 0]; image [1] -> [1, 0] -> [0.5, 1].
    expect_close(got["out"], [[4.0, 2.0], [0.5, 1.0]], "output")


@suite.check("numeric", hidden=True)
def matches_numpy_oracle(ns):
    """output equals the relu chain recomputed in NumPy from the layer's own weights"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(2)
    layer = fusion_layer(6)
    text, image = _inputs(3)
    layer(text, image)
    _set_biases(layer, 6)
    return {"out": layer(text, image), **_sublayer_weights(layer)}


@matches_numpy_oracle.verdict
def _(got):
    text, image = _inputs(3)
    w = _weights_checked(got, 3, 4, 6)
    want, pre = _np_fusion(w, text, image)
    for name, z in pre.items():  # the test has teeth: every relu clips something and passes something
        expect(bool(np.any(z < -0.05) and np.any(z > 0.05)), f"test inputs leave the {name} relu inactive")
    expect_close(got["out"], want, "output", rtol=1e-5, atol=1e-5)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def same_output_twice(ns):
    """calling the same layer twice on the same inputs gives the same output (sublayers are created once)"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(4)
    layer = fusion_layer(5)
    text, image = _inputs(5)
    return {"first": layer(text, image), "second": layer(text, image)}


@same_output_twice.verdict
def _(got):
    first = expect_array(got["first"], "first output", shape=(6, 5))
    expect(bool(np.any(first != 0)), "the output is all zeros: every relu is dead")
    expect_close(got["second"], first.astype(np.float64), "second output", rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def eight_trainable_variables(ns):
    """after two calls the layer owns exactly 8 trainable variables: 4 kernels and 4 biases"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(6)
    layer = fusion_layer(4)
    text, image = _inputs(7, batch=2, dt=3, di=5)
    layer(text, image)
    layer(text, image)
    sizes = sorted(int(np.prod(v.shape)) for v in layer.trainable_variables)
    return {"count": len(layer.trainable_variables), "sizes": np.array(sizes, dtype=np.int64)}


@eight_trainable_variables.verdict
def _(got):
    expect_equal(got["count"], 8, "number of trainable variables")
    # kernels (3, 4), (5, 4), (4, 4), (4, 4) and four biases (4,)
    expect_equal(got["sizes"], np.array([4, 4, 4, 4, 12, 16, 16, 20]), "sizes of the trainable variables")


@suite.check("behavior", hidden=True)
def gradients_reach_all_weights(ns):
    """the gradient of a loss reaches all 8 weights, non-zero and equal to the closed form"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(8)
    layer = fusion_layer(5)
    text, image = _inputs(9, batch=8)
    layer(text, image)
    _set_biases(layer, 5)
    variables = {}
    for name in _sublayer_names():
        kernel, bias = sorted(getattr(layer, name).trainable_variables, key=lambda v: len(v.shape), reverse=True)
        variables[name + "_kernel"], variables[name + "_bias"] = kernel, bias
    upstream = tf.constant(_upstream(8, 5), tf.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(text, image) * upstream)
    grads = tape.gradient(loss, list(variables.values()))
    out = {"grad_" + name: (np.zeros(0) if g is None else g) for name, g in zip(variables, grads, strict=True)}
    return {**out, **_sublayer_weights(layer)}


@gradients_reach_all_weights.verdict
def _(got):
    text, image = _inputs(9, batch=8)
    w = _weights_checked(got, 3, 4, 5)
    want = _np_fusion_grads(w, text, image, _upstream(8, 5))
    for name, g in want.items():
        got_g = got["grad_" + name]
        expect(type(got_g) is np.ndarray and got_g.size > 0, f"no gradient reaches {name}")
        expect(bool(np.max(np.abs(g)) > 1e-3), f"test inputs give a zero gradient for {name}")
        expect(bool(np.max(np.abs(got_g)) > 0), f"the gradient of {name} is zero")
        expect_close(got_g, g, f"gradient of {name}", rtol=1e-4, atol=1e-5)


@suite.check("behavior", hidden=True)
def config_round_trip(ns):
    """get_config() holds hidden_size and the name; from_config() rebuilds an equivalent layer"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(10)
    layer = fusion_layer(6, name="fuse")
    config = layer.get_config()
    clone = fusion_layer.from_config(config)
    return {
        "hidden_size": config.get("hidden_size"),
        "name": config.get("name"),
        "clone_hidden_size": clone.get_config().get("hidden_size"),
        "clone_out": clone(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)),
    }


@config_round_trip.verdict
def _(got):
    expect_equal(got["hidden_size"], 6, "get_config()['hidden_size']")
    expect_equal(got["name"], "fuse", "get_config()['name'] (call super().get_config())")
    expect_equal(got["clone_hidden_size"], 6, "hidden_size of the layer rebuilt by from_config")
    expect_array(got["clone_out"], "output of the layer rebuilt by from_config", shape=(2, 6))


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    fusion_layer = need(ns, "EncoderDecoderFusion")
    keras.utils.set_random_seed(11)
    return {
        "hidden_size = 0": raised(fusion_layer, 0),
        "hidden_size = -3": raised(fusion_layer, -3),
        "hidden_size = 2.5 (a float)": raised(fusion_layer, 2.5),
        "hidden_size = '4' (text)": raised(fusion_layer, "4"),
        "hidden_size = True (a bool)": raised(fusion_layer, True),
        "1-D text and image": raised(fusion_layer(3), np.ones(4, np.float32), np.ones(2, np.float32)),
        "3-D text": raised(fusion_layer(3), np.ones((2, 4, 1), np.float32), np.ones((2, 2), np.float32)),
        "text and image with different batch sizes":
            raised(fusion_layer(3), np.ones((2, 4), np.float32), np.ones((3, 2), np.float32)),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)

