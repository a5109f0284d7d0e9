"""Checks of t10 · projection heads.

The probes find each projection's variables in the layer's ``weights`` (a kernel ``(D, H)``
immediately followed by its bias ``(H,)``, the order in which ``Dense`` creates them; the
text and image dimensions of the checks differ, so the match is unambiguous), set them from
the seeded helper ``_projection_weights`` and the verdicts recompute
``normalize(x W + b)`` and its gradient in float64 NumPy. Biases of the same size as the
kernels' contributions make a missing bias, a ReLU or a wrong normalization axis change the
result by far more than the tolerance.
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

suite = Suite("t10_projection_heads", points={"shape": 2, "numeric": 4, "behavior": 4})


def _projection_variables(layer, dim, hidden):
    """The kernel ``(dim, hidden)`` and the bias ``(hidden,)`` right after it in ``layer.weights``."""
    weights = list(layer.weights)
    pairs = [(weights[j], weights[j + 1]) for j in range(len(weights) - 1)
             if tuple(weights[j].shape) == (dim, hidden) and tuple(weights[j + 1].shape) == (hidden,)]
    if len(pairs) != 1:
        raise CheckFailed(f"expected the layer to hold one projection kernel of shape {(dim, hidden)} followed "
                          f"by its bias of shape {(hidden,)}, found {len(pairs)}")
    return pairs[0]


def _projection_weights(dim, hidden):
    """Seeded kernel and bias of a ``dim -> hidden`` projection."""
    rng = np.random.default_rng(dim * 100 + hidden)
    return rng.normal(0.0, 0.5, size=(dim, hidden)), rng.normal(0.0, 0.5, size=(hidden,))


def _set_projections(layer, text_dim, image_dim, hidden):
    """Set both projections of a built layer to ``_projection_weights``."""
    for dim in (text_dim, image_dim):
        kernel, bias = _projection_variables(layer, dim, hidden)
        want_kernel, want_bias = _projection_weights(dim, hidden)
        kernel.assign(want_kernel.astype(np.float32))
        bias.assign(want_bias.astype(np.float32))


def _features(seed, n, text_dim, image_dim):
    """Random text ``(n, text_dim)`` and image ``(n, image_dim)`` features, float32."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, text_dim)).astype(np.float32), rng.normal(size=(n, image_dim)).astype(np.float32))


def _np_project(x, dim, hidden):
    """Float64 oracle: ``z = x W + b`` with the seeded weights, each row divided by its L2 norm."""
    kernel, bias = _projection_weights(dim, hidden)
    z = np.asarray(x, np.float64) @ kernel + bias
    return z / np.linalg.norm(z, axis=-1, keepdims=True)


def _np_gradients(x, cotangent, dim, hidden):
    """Closed-form gradients of ``sum(cotangent * normalize(x W + b))`` w.r.t. ``W`` and ``b``."""
    kernel, bias = _projection_weights(dim, hidden)
    z = np.asarray(x, np.float64) @ kernel + bias
    norm = np.linalg.norm(z, axis=-1, keepdims=True)
    y = z / norm
    dz = (cotangent - y * np.sum(y * cotangent, axis=-1, keepdims=True)) / norm
    return np.asarray(x, np.float64).T @ dz, dz.sum(axis=0)


def _cotangents(seed, n, hidden):
    """Weights of the scalar loss ``sum(c_text * text_proj) + sum(c_image * image_proj)``."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, hidden)), rng.normal(size=(n, hidden))


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "hidden_size = 0": "ValueError",
        "hidden_size = -3": "ValueError",
        "hidden_size = 2.5 (a float)": "TypeError",
        "hidden_size = True (a bool)": "TypeError",
        "hidden_size = '4' (text)": "TypeError",
        "a text batch of 3 with an image batch of 4": "ValueError",
        "1-D text and image": "ValueError",
    }


@suite.check("shape")
def output_shapes(ns):
    """ModalityProjector(4) maps (3, 5) text and (3, 7) image features to two (3, 4) arrays; a batch of 0 works"""
    keras.utils.set_random_seed(0)
    projector = need(ns, "ModalityProjector")(4)
    text_proj, image_proj = projector(*_features(1, 3, 5, 7))
    text_0, image_0 = projector(np.zeros((0, 5), np.float32), np.zeros((0, 7), np.float32))
    return {"text": text_proj, "image": image_proj, "text_0": text_0, "image_0": image_0}


@output_shapes.verdict
def _(got):
    expect_array(got["text"], "text_proj", shape=(3, 4))
    expect_array(got["image"], "image_proj", shape=(3, 4))
    expect_array(got["text_0"], "text_proj for a batch of 0", shape=(0, 4))
    expect_array(got["image_0"], "image_proj for a batch of 0", shape=(0, 4))


@suite.check("shape", hidden=True)
def output_dtype_is_the_layers_compute_dtype(ns):
    """float64 and integer inputs give float32 outputs by default; a layer built with dtype="float64" gives float64"""
    ModalityProjector = need(ns, "ModalityProjector")
    keras.utils.set_random_seed(5)
    text, image = _features(5, 3, 4, 2)
    default, wide = ModalityProjector(2), ModalityProjector(2, dtype="float64")
    outputs = {
        "from_f64": default(text.astype(np.float64), image.astype(np.float64)),
        "from_int": default(np.round(text).astype(np.int32), image),
        "f64_layer": wide(text, image),
    }
    return {f"{key}_{k}": out[k] for key, out in outputs.items() for k in range(2)}


@output_dtype_is_the_layers_compute_dtype.verdict
def _(got):
    for key, dtype, what in (("from_f64", np.float32, "default layer, float64 inputs"),
                             ("from_int", np.float32, "default layer, integer text"),
                             ("f64_layer", np.float64, 'layer built with dtype="float64"')):
        for k, name in enumerate(("text_proj", "image_proj")):
            out = expect_array(got[f"{key}_{k}"], f"{name} ({what})", shape=(3, 2), kinds="f")
            expect(out.dtype == dtype, f"{name} ({what}): expected dtype {np.dtype(dtype)}, got {out.dtype}")


@suite.check("shape", hidden=True)
def other_sizes(ns):
    """hidden_size 1 and 16, equal text and image dimensions: outputs (B, hidden_size)"""
    ModalityProjector = need(ns, "ModalityProjector")
    keras.utils.set_random_seed(0)
    one_text, one_image = ModalityProjector(1)(*_features(2, 4, 3, 3))
    wide_text, wide_image = ModalityProjector(16)(*_features(3, 2, 6, 2))
    return {"one_text": one_text, "one_image": one_image, "wide_text": wide_text, "wide_image": wide_image}


@other_sizes.verdict
def _(got):
    expect_array(got["one_text"], "text_proj with hidden_size=1", shape=(4, 1))
    expect_array(got["one_image"], "image_proj with hidden_size=1", shape=(4, 1))
    expect_array(got["wide_text"], "text_proj with hidden_size=16", shape=(2, 16))
    expect_array(got["wide_image"], "image_proj with hidden_size=16", shape=(2, 16))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """projections set by hand: text [1, 1] -> [3, 4] -> [0.6, 0.8]; image rows worked out by hand"""
    keras.utils.set_random_seed(0)
    projector = need(ns, "ModalityProjector")(2)
    text = np.array([[1.0, 1.0], [0.0, -2.0]], np.float32)
    image = np.array([[2.0, 1.0, 0.0], [-1.0, -2.0, 1.0]], np.float32)
    projector(text, image)
    text_kernel, text_bias = _projection_variables(projector, 2, 2)
    image_kernel, image_bias = _projection_variables(projector, 3, 2)
    text_kernel.assign(np.array([[3.0, 0.0], [0.0, 4.0]], np.float32))
    text_bias.assign(np.zeros(2, np.float32))
    image_kernel.assign(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32))
    image_bias.assign(np.array([1.0, -1.0], np.float32))
    text_proj, image_proj = projector(text, image)
    return {"text": text_proj, "image": image_proj}


@hand_worked_example.verdict
def _(got):
    # text: [3, 4] / 5 and [0, -8] / 8; image: [2, 1] + [1, -1] = [3, 0] and [0, -1] + [1, -1] = [1, -2]
    expect_close(got["text"], [[0.6, 0.8], [0.0, -1.0]], "text_proj")
    root5 = math.sqrt(5.0)
    expect_close(got["image"], [[1.0, 0.0], [1.0 / root5, -2.0 / root5]], "image_proj")


@suite.check("numeric", hidden=True)
def matches_oracle(ns):
    """with seeded weights, each output equals normalize(x W + b) of its own modality"""
    keras.utils.set_random_seed(1)
    projector = need(ns, "ModalityProjector")(6)
    text, image = _features(4, 8, 5, 3)
    projector(text, image)
    _set_projections(projector, 5, 3, 6)
    text_proj, image_proj = projector(text, image)
    return {"text": text_proj, "image": image_proj}


@matches_oracle.verdict
def _(got):
    text, image = _features(4, 8, 5, 3)
    expect_close(got["text"], _np_project(text, 5, 6), "text_proj")
    expect_close(got["image"], _np_project(image, 3, 6), "image_proj")


@suite.check("numeric", hidden=True)
def gradient_matches_closed_form(ns):
    """gradients of a weighted sum of the outputs w.r.t. both kernels and biases equal the closed form"""
    keras.utils.set_random_seed(2)
    projector = need(ns, "ModalityProjector")(4)
    text, image = _features(5, 6, 5, 3)
    projector(text, image)
    _set_projections(projector, 5, 3, 4)
    c_text, c_image = _cotangents(6, 6, 4)
    variables = [*_projection_variables(projector, 5, 4), *_projection_variables(projector, 3, 4)]
    with tf.GradientTape() as tape:
        text_proj, image_proj = projector(text, image)
        loss = tf.reduce_sum(c_text * tf.cast(text_proj, tf.float64)) + tf.reduce_sum(
            c_image * tf.cast(image_proj, tf.float64))
    grads = tape.gradient(loss, variables)
    if any(g is None for g in grads):
        raise CheckFailed("no gradient reaches some projection weights")
    return {"text_kernel": grads[0], "text_bias": grads[1], "image_kernel": grads[2], "image_bias": grads[3]}


@gradient_matches_closed_form.verdict
def _(got):
    text, image = _features(5, 6, 5, 3)
    c_text, c_image = _cotangents(6, 6, 4)
    text_kernel, text_bias = _np_gradients(text, c_text, 5, 4)
    image_kernel, image_bias = _np_gradients(image, c_image, 3, 4)
    # float32 forward pass: relative errors of a few 1e-7 on gradients of size ~1
    expect_close(got["text_kernel"], text_kernel, "gradient w.r.t. the text kernel", rtol=1e-4, atol=1e-5)
    expect_close(got["text_bias"], text_bias, "gradient w.r.t. the text bias", rtol=1e-4, atol=1e-5)
    expect_close(got["image_kernel"], image_kernel, "gradient w.r.t. the image kernel", rtol=1e-4, atol=1e-5)
    expect_close(got["image_bias"], image_bias, "gradient w.r.t. the image bias", rtol=1e-4, atol=1e-5)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def unit_rows_and_zero_row(ns):
    """every output row has L2 norm 1, except a row whose projection is zero, which stays 0 (no NaN)"""
    keras.utils.set_random_seed(3)
    projector = need(ns, "ModalityProjector")(4)
    text, image = _features(7, 5, 5, 7)
    text[2] = 0.0
    image[4] = 0.0
    projector(text, image)
    for variable in projector.weights:
        if len(variable.shape) == 1:
            variable.assign(np.zeros(variable.shape, np.float32))  # biases: a zero row projects to zero
    text_proj, image_proj = projector(text, image)
    return {"text": text_proj, "image": image_proj}


@unit_rows_and_zero_row.verdict
def _(got):
    text = np.asarray(expect_array(got["text"], "text_proj", shape=(5, 4)), np.float64)
    image = np.asarray(expect_array(got["image"], "image_proj", shape=(5, 4)), np.float64)
    expect(bool(np.all(np.isfinite(text)) and np.all(np.isfinite(image))), "outputs contain NaN or inf")
    expect_close(text[2], np.zeros(4), "text_proj of a zero text row")
    expect_close(image[4], np.zeros(4), "image_proj of a zero image row")
    expect_close(np.linalg.norm(text[[0, 1, 3, 4]], axis=-1), np.ones(4), "L2 norms of the other text_proj rows")
    expect_close(np.linalg.norm(image[:4], axis=-1), np.ones(4), "L2 norms of the other image_proj rows")


@suite.check("behavior", hidden=True)
def weights_created_once(ns):
    """two calls give the same outputs, and the layer tracks exactly 4 trainable variables (2 kernels, 2 biases)"""
    keras.utils.set_random_seed(4)
    projector = need(ns, "ModalityProjector")(3)
    text, image = _features(8, 4, 5, 2)
    first = projector(text, image)
    second = projector(text, image)
    return {"text_1": first[0], "text_2": second[0], "image_1": first[1], "image_2": second[1],
            "count": len(projector.trainable_variables),
            "ranks": sorted(len(v.shape) for v in projector.trainable_variables)}


@weights_created_once.verdict
def _(got):
    expect_close(got["text_2"], np.asarray(expect_array(got["text_1"], "text_proj", shape=(4, 3)), np.float64),
                 "text_proj of a second call")
    expect_close(got["image_2"], np.asarray(expect_array(got["image_1"], "image_proj", shape=(4, 3)), np.float64),
                 "image_proj of a second call")
    expect_equal(got["count"], 4, "number of trainable variables")
    expect_equal(got["ranks"], np.array([1, 1, 2, 2]), "ranks of the trainable variables (two biases, two kernels)")


@suite.check("behavior", hidden=True)
def separate_weights_per_modality(ns):
    """with equal text and image dimensions, the same input gives different text and image projections"""
    keras.utils.set_random_seed(5)
    projector = need(ns, "ModalityProjector")(3)
    x, _ = _features(9, 4, 4, 4)
    text_proj, image_proj = projector(x, x)
    return {"text": text_proj, "image": image_proj}


@separate_weights_per_modality.verdict
def _(got):
    text = expect_array(got["text"], "text_proj", shape=(4, 3))
    image = expect_array(got["image"], "image_proj", shape=(4, 3))
    expect(bool(np.max(np.abs(text - image)) > 1e-2),
           "text and image projections of the same input are equal: the modalities must not share weights")


@suite.check("behavior", hidden=True)
def gradients_reach_all_weights(ns):
    """a loss on both outputs has a nonzero gradient for each of the 4 trainable variables"""
    keras.utils.set_random_seed(6)
    projector = need(ns, "ModalityProjector")(3)
    text, image = _features(10, 5, 5, 2)
    projector(text, image)
    c_text, c_image = _cotangents(11, 5, 3)
    with tf.GradientTape() as tape:
        text_proj, image_proj = projector(text, image)
        loss = tf.reduce_sum(c_text * tf.cast(text_proj, tf.float64)) + tf.reduce_sum(
            c_image * tf.cast(image_proj, tf.float64))
    grads = tape.gradient(loss, projector.trainable_variables)
    return {"count": len(grads),
            "norms": [-1.0 if g is None else float(tf.norm(tf.cast(g, tf.float64))) for g in grads]}


@gradients_reach_all_weights.verdict
def _(got):
    expect_equal(got["count"], 4, "number of trainable variables")
    norms = expect_array(got["norms"], "gradient norms", shape=(4,))
    expect(bool(np.all(norms > 1e-6)), "some trainable variables get no (or a zero) gradient")


@suite.check("behavior", hidden=True)
def config_round_trip(ns):
    """get_config() holds hidden_size, and from_config rebuilds a working layer of the same size and name"""
    ModalityProjector = need(ns, "ModalityProjector")
    keras.utils.set_random_seed(7)
    projector = ModalityProjector(5, name="heads")
    config = projector.get_config()
    clone = ModalityProjector.from_config(config)
    text_proj, image_proj = clone(*_features(12, 2, 3, 4))
    return {"hidden_size": config.get("hidden_size"), "same_name": clone.name == "heads",
            "text": text_proj, "image": image_proj}


@config_round_trip.verdict
def _(got):
    expect_equal(got["hidden_size"], 5, "get_config()['hidden_size']")
    expect(got["same_name"], "the layer rebuilt by from_config lost its name")
    expect_array(got["text"], "text_proj of the rebuilt layer", shape=(2, 5))
    expect_array(got["image"], "image_proj of the rebuilt layer", shape=(2, 5))


@suite.check("behavior", hidden=True)
def bad_arguments(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    ModalityProjector = need(ns, "ModalityProjector")
    keras.utils.set_random_seed(8)
    text, _ = _features(13, 3, 5, 2)
    _, image = _features(14, 4, 5, 2)
    return {
        "hidden_size = 0": raised(ModalityProjector, 0),
        "hidden_size = -3": raised(ModalityProjector, -3),
        "hidden_size = 2.5 (a float)": raised(ModalityProjector, 2.5),
        "hidden_size = True (a bool)": raised(ModalityProjector, True),
        "hidden_size = '4' (text)": raised(ModalityProjector, "4"),
        "a text batch of 3 with an image batch of 4": raised(ModalityProjector(3), text, image),
        "1-D text and image": raised(ModalityProjector(3), np.ones(5, np.float32), np.ones(2, np.float32)),
    }


@bad_arguments.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)

