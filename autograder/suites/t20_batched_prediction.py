"""Checks of t20 · batched prediction.

Independent oracle: ``_np_logits``, the float64 NumPy forward pass of the probe's model
(concatenate -> Dense+ReLU -> Dropout -> Dense) from the weights the probe returns; Dropout
is the identity in inference mode, so ``training=True`` changes the labels. The probe also
returns the model's own inference logits so that the verdict can check the weights it was
given are the model's. A spy (a plain callable wrapping the model) records how the model
is called: batch sizes, the ``training`` flag and the dtypes.
"""

import keras
import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_equal, expect_raises, need, raised

suite = Suite("t20_batched_prediction", points={"shape": 2, "numeric": 4, "behavior": 4})


def _data(seed, n, dt=4, di=3):
    """Text ``(n, dt)`` and image ``(n, di)`` features, float64, ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dt)), rng.normal(size=(n, di))


def _model(seed, dt=4, di=3, hidden=16, classes=3):
    """Two-input classifier with a Dropout layer (inference mode must switch it off)."""
    keras.utils.set_random_seed(seed)
    text = keras.Input((dt,))
    image = keras.Input((di,))
    h = keras.layers.Concatenate()([text, image])
    h = keras.layers.Dense(hidden, activation="relu")(h)
    h = keras.layers.Dropout(0.5)(h)
    out = keras.layers.Dense(classes)(h)
    return keras.Model([text, image], out)


def _np_logits(weights, text, image):
    """Float64 forward pass: relu([t, i] W1 + b1) W2 + b2."""
    w1, b1, w2, b2 = (np.asarray(w, dtype=np.float64) for w in weights)
    x = np.concatenate([np.asarray(text, np.float32), np.asarray(image, np.float32)], axis=-1).astype(np.float64)
    return np.maximum(x @ w1 + b1, 0.0) @ w2 + b2


def _oracle_labels(got, text, image):
    """Labels of the oracle, after checking the returned weights are the model's own."""
    weights = [expect_array(got[k], f"model weight {k}") for k in ("w1", "b1", "w2", "b2")]
    expect(float(np.std(weights[0])) > 0.05 and float(np.std(weights[2])) > 0.05, "model weights look degenerate")
    logits = _np_logits(weights, text, image)
    expect_close(got["model_logits"], logits, "the model's own inference logits vs the weights", rtol=1e-4, atol=1e-5)
    top2 = np.sort(logits, axis=-1)[:, -2:]
    expect(bool(np.all(top2[:, 1] - top2[:, 0] > 1e-3)), "test inputs too close to a tie (fix the test)")
    return np.argmax(logits, axis=-1).astype(np.int64)


def _spy(model, log):
    """A callable that records each call (sizes, training flag, dtypes) and delegates to ``model``."""

    def call(inputs, training=None):
        parts = list(inputs)
        log.append({
            "n_parts": len(parts),
            "sizes": [int(np.shape(p)[0]) for p in parts],
            "training_is_false": training is False,
            "float32": all(np.asarray(p).dtype == np.float32 for p in parts),
        })
        return model(inputs, training=training)

    return call


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "text of 4 samples with an image of 3": "ValueError",
        "an image holding NaN": "ValueError",
        "predict on text of 4 samples with an image of 3": "ValueError",
        "a single array instead of a pair": "TypeError",
        "None instead of a pair": "TypeError",
        "a tuple of three arrays": "ValueError",
        "a string as text": "TypeError",
        "a scalar as text": "ValueError",
        "a text holding inf": "ValueError",
        "batch_size=0": "ValueError",
        "batch_size=2.5": "TypeError",
        "batch_size given as a string": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """1-D inputs become a batch of one (float32); predict returns int64 labels (N,)"""
    preprocess = need(ns, "preprocess_input_data")
    predict = need(ns, "predict")
    t1, i1 = preprocess(([1.0, 2.0, 3.0, 4.0], np.array([0.5, -0.5, 1.5])))
    t5, i5 = preprocess(_data(1, 5))
    labels = predict(_model(0), _data(1, 5), batch_size=2)
    return {"t1": np.asarray(t1), "i1": np.asarray(i1), "t5": np.asarray(t5), "i5": np.asarray(i5),
            "labels": np.asarray(labels)}


@output_shapes.verdict
def _(got):
    expect_array(got["t1"], "text from a 1-D input", shape=(1, 4), kinds="f")
    expect_array(got["i1"], "image from a 1-D input", shape=(1, 3), kinds="f")
    expect_equal(str(got["t1"].dtype), "float32", "dtype of the preprocessed text")
    expect_equal(str(got["i1"].dtype), "float32", "dtype of the preprocessed image")
    expect_array(got["t5"], "text from a (5, 4) input", shape=(5, 4))
    expect_array(got["i5"], "image from a (5, 3) input", shape=(5, 3))
    expect_array(got["labels"], "predicted labels", shape=(5,), kinds="i")
    expect_equal(str(got["labels"].dtype), "int64", "dtype of the predicted labels")


@suite.check("shape", hidden=True)
def empty_single_and_partial_batches(ns):
    """N = 0 gives (0,) int64; one sample gives (1,); N not a multiple of batch_size keeps every sample"""
    predict = need(ns, "predict")
    model = _model(0)
    text, image = _data(2, 20)
    return {
        "empty": np.asarray(predict(model, (text[:0], image[:0]), batch_size=4)),
        "single": np.asarray(predict(model, (text[0], image[0]))),
        "partial": np.asarray(predict(model, (text, image), batch_size=7)),
    }


@empty_single_and_partial_batches.verdict
def _(got):
    empty = expect_array(got["empty"], "labels of an empty batch", shape=(0,), kinds="i")
    expect_equal(str(empty.dtype), "int64", "dtype of the labels of an empty batch")
    expect_array(got["single"], "labels of one 1-D sample", shape=(1,), kinds="i")
    expect_array(got["partial"], "labels of 20 samples with batch_size=7", shape=(20,), kinds="i")


# --------------------------------------------------------------------------- numeric
def _hand_model():
    """concatenate -> Dropout(0.5) -> Dense(3) with the identity kernel: logits = [t0, t1, i0]."""
    keras.utils.set_random_seed(3)
    text = keras.Input((2,))
    image = keras.Input((1,))
    h = keras.layers.Dropout(0.5)(keras.layers.Concatenate()([text, image]))
    dense = keras.layers.Dense(3)
    model = keras.Model([text, image], dense(h))
    dense.set_weights([np.eye(3, dtype=np.float32), np.zeros(3, np.float32)])
    return model


@suite.check("numeric")
def hand_worked_labels(ns):
    """logits = [t0, t1, i0]: four samples worked by hand, in batches of 3"""
    predict = need(ns, "predict")
    text = [[3.0, 1.0], [0.0, 2.0], [1.0, 1.5], [-1.0, -2.0]]
    image = [[0.0], [1.0], [5.0], [-3.0]]
    return {"labels": np.asarray(predict(_hand_model(), (text, image), batch_size=3))}


@hand_worked_labels.verdict
def _(got):
    # logits [3, 1, 0], [0, 2, 1], [1, 1.5, 5], [-1, -2, -3] -> classes 0, 1, 2, 0
    expect_equal(got["labels"], np.array([0, 1, 2, 0]), "labels")


@suite.check("numeric", hidden=True)
def matches_argmax_for_every_batch_size(ns):
    """labels equal the arg-max of the inference-mode logits for batch sizes 1, 3, 7 and 1000"""
    predict = need(ns, "predict")
    model = _model(4)
    text, image = _data(5, 23)
    got = {f"bs{b}": np.asarray(predict(model, (text, image), batch_size=b)) for b in (1, 3, 7, 1000)}
    got.update(dict(zip(("w1", "b1", "w2", "b2"), model.get_weights(), strict=True)))
    got["model_logits"] = np.asarray(model([text.astype(np.float32), image.astype(np.float32)], training=False))
    return got


@matches_argmax_for_every_batch_size.verdict
def _(got):
    want = _oracle_labels(got, *_data(5, 23))
    for b in (1, 3, 7, 1000):
        expect_equal(got[f"bs{b}"], want, f"labels with batch_size={b}")


@suite.check("numeric", hidden=True)
def preprocess_converts_to_float32(ns):
    """lists of ints, float64 arrays and tf.Tensors come back as float32 arrays of the same values"""
    preprocess = need(ns, "preprocess_input_data")
    text, image = _data(6, 3)
    t_a, i_a = preprocess(([[1, 2], [3, 4], [5, 6]], tf.constant(image)))
    t_b, i_b = preprocess((text[0], [7, 8]))
    return {"t_a": np.asarray(t_a), "i_a": np.asarray(i_a), "t_b": np.asarray(t_b), "i_b": np.asarray(i_b)}


@preprocess_converts_to_float32.verdict
def _(got):
    text, image = _data(6, 3)
    for key, want in (("t_a", [[1, 2], [3, 4], [5, 6]]), ("i_a", image.astype(np.float32)),
                      ("t_b", text[:1].astype(np.float32)), ("i_b", [[7, 8]])):
        arr = expect_array(got[key], f"preprocessed {key}", kinds="f")
        expect_equal(str(arr.dtype), "float32", f"dtype of preprocessed {key}")
        expect_close(arr, np.asarray(want, dtype=np.float32), f"values of preprocessed {key}", rtol=0, atol=0)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def mismatched_or_non_finite_input_raises(ns):
    """different batch sizes, or a NaN in the image, raise ValueError"""
    preprocess = need(ns, "preprocess_input_data")
    predict = need(ns, "predict")
    text, image = _data(7, 4)
    nan_image = image.copy()
    nan_image[1, 2] = np.nan
    return {
        "text of 4 samples with an image of 3": raised(preprocess, (text, image[:3])),
        "an image holding NaN": raised(preprocess, (text, nan_image)),
        "predict on text of 4 samples with an image of 3":
            raised(predict, _hand_model(), (np.zeros((4, 2)), np.zeros((3, 1)))),
    }


@mismatched_or_non_finite_input_raises.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in (
        "text of 4 samples with an image of 3",
        "an image holding NaN",
        "predict on text of 4 samples with an image of 3",
    ):
        expect_raises(got[label], expected[label], label)


@suite.check("behavior", hidden=True)
def calls_model_in_inference_batches(ns):
    """the model is called as model([text, image], training=False) on float32 batches of <= batch_size"""
    predict = need(ns, "predict")
    log = []
    predict(_spy(_model(8), log), _data(9, 11), batch_size=4)
    return {
        "calls": len(log),
        "n_parts": [c["n_parts"] for c in log],
        "text_sizes": [c["sizes"][0] for c in log],
        "image_sizes": [c["sizes"][-1] for c in log],
        "training_is_false": [c["training_is_false"] for c in log],
        "float32": [c["float32"] for c in log],
    }


@calls_model_in_inference_batches.verdict
def _(got):
    calls = got["calls"]
    expect(type(calls) is int and calls >= 3, f"11 samples with batch_size=4 need at least 3 model calls, got {calls}")
    expect_equal(got["n_parts"], np.full(calls, 2), "number of inputs passed to the model per call")
    text_sizes = expect_array(got["text_sizes"], "text batch sizes", shape=(calls,), kinds="i")
    image_sizes = expect_array(got["image_sizes"], "image batch sizes", shape=(calls,), kinds="i")
    expect_equal(image_sizes, text_sizes, "image batch sizes vs text batch sizes")
    expect(bool(np.all(text_sizes <= 4)), "the model was called on a batch larger than batch_size")
    expect(int(np.sum(text_sizes)) == 11, f"batches must cover the 11 samples once, got {int(np.sum(text_sizes))}")
    expect(bool(np.all(expect_array(got["training_is_false"], "training flags", kinds="b"))),
           "every model call must pass training=False")
    expect(bool(np.all(expect_array(got["float32"], "float32 flags", kinds="b"))),
           "the model must receive the preprocessed float32 arrays")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every other bad input of the exercise's table raises the exception the table names"""
    preprocess = need(ns, "preprocess_input_data")
    predict = need(ns, "predict")
    text, image = _data(10, 3)
    inf_text = text.copy()
    inf_text[0, 0] = np.inf
    model = _model(0)
    return {
        "a single array instead of a pair": raised(preprocess, text),
        "None instead of a pair": raised(preprocess, None),
        "a tuple of three arrays": raised(preprocess, (text, image, image)),
        "a string as text": raised(preprocess, ("a cat", image)),
        "a scalar as text": raised(preprocess, (1.0, image)),
        "a text holding inf": raised(preprocess, (inf_text, image)),
        "batch_size=0": raised(predict, model, (text, image), batch_size=0),
        "batch_size=2.5": raised(predict, model, (text, image), batch_size=2.5),
        "batch_size given as a string": raised(predict, model, (text, image), batch_size="8"),
    }


@bad_input_is_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in (
        "a single array instead of a pair",
        "None instead of a pair",
        "a tuple of three arrays",
        "a string as text",
        "a scalar as text",
        "a text holding inf",
        "batch_size=0",
        "batch_size=2.5",
        "batch_size given as a string",
    ):
        expect_raises(got[label], expected[label], label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated_nor_aliased(ns):
    """the caller's arrays are unchanged, and the preprocessed arrays are new arrays"""
    preprocess = need(ns, "preprocess_input_data")
    predict = need(ns, "predict")
    text, image = _data(11, 6)
    text32 = text.astype(np.float32)
    predict(_model(0), (text, image), batch_size=4)
    out_text, out_image = preprocess((text32, image))
    if isinstance(out_text, np.ndarray):
        out_text[...] = 0.0
    return {"text": text, "image": image, "text32": text32}


@inputs_not_mutated_nor_aliased.verdict
def _(got):
    text, image = _data(11, 6)
    expect_close(got["text"], text, "text after the call", rtol=0, atol=0)
    expect_close(got["image"], image, "image after the call", rtol=0, atol=0)
    expect_close(got["text32"], text.astype(np.float32), "float32 text after writing into the preprocessed copy",
                 rtol=0, atol=0)
