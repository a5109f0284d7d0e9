"""Checks of t22 · feature extractor model.

The probes find the two projection layers by the shapes of their weights (a kernel
``(text_dim, H)`` or ``(image_dim, H)`` and a bias ``(H,)``; the dimensions of the checks are
all different, so the match is unambiguous) and set their weights from the seeded helper
``_projection_weights``; the verdicts recompute ``[relu(t Wt + bt), relu(i Wi + bi)]`` in
float64 NumPy from the same helper. The biases are drawn so that about half the units are
negative before the ReLU, so a missing ReLU, a missing bias or swapped halves change the
output by far more than the tolerance.
"""

import keras
import numpy as np

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

suite = Suite("t22_feature_extractor", points={"shape": 2, "numeric": 4, "behavior": 4})


def _projection_layer(model, dim, hidden):
    """The single layer of ``model`` whose weights are a kernel ``(dim, hidden)`` and a bias ``(hidden,)``."""
    found = [layer for layer in model.layers
             if [tuple(w.shape) for w in layer.weights] == [(dim, hidden), (hidden,)]]
    if len(found) != 1:
        raise CheckFailed(f"expected one Dense projection with a kernel of shape {(dim, hidden)} and a bias "
                          f"of shape {(hidden,)} among the model's layers, found {len(found)}")
    return found[0]


def _projection_weights(text_dim, image_dim, hidden):
    """Seeded weights ``(Wt, bt, Wi, bi)`` of the two projections."""
    rng = np.random.default_rng(text_dim * 100 + image_dim * 10 + hidden)
    return (rng.normal(0.0, 0.5, size=(text_dim, hidden)), rng.normal(0.0, 0.5, size=(hidden,)),
            rng.normal(0.0, 0.5, size=(image_dim, hidden)), rng.normal(0.0, 0.5, size=(hidden,)))


def _set_projections(model, text_dim, image_dim, hidden):
    """Set both projections of ``model`` to ``_projection_weights``."""
    wt, bt, wi, bi = _projection_weights(text_dim, image_dim, hidden)
    _projection_layer(model, text_dim, hidden).set_weights([wt.astype(np.float32), bt.astype(np.float32)])
    _projection_layer(model, image_dim, hidden).set_weights([wi.astype(np.float32), bi.astype(np.float32)])


def _np_extract(text, image, text_dim, image_dim, hidden):
    """Float64 oracle: ``concat(relu(t Wt + bt), relu(i Wi + bi))`` on the last axis."""
    wt, bt, wi, bi = _projection_weights(text_dim, image_dim, hidden)
    text_proj = np.maximum(np.asarray(text, np.float64) @ wt + bt, 0.0)
    image_proj = np.maximum(np.asarray(image, np.float64) @ wi + bi, 0.0)
    return np.concatenate([text_proj, image_proj], axis=-1)


def _features(seed, n, text_dim, image_dim):
    """Random text ``(n, text_dim)`` and image ``(n, image_dim)`` features, float32."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, text_dim)).astype(np.float32), rng.normal(size=(n, image_dim)).astype(np.float32))


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shape(ns):
    """build_feature_extractor(3, 5, 4) is a keras.Model mapping [(2, 3), (2, 5)] to (2, 8), a batch of 0 to (0, 8)"""
    build_feature_extractor = need(ns, "build_feature_extractor")
    keras.utils.set_random_seed(0)
    model = build_feature_extractor(3, 5, 4)
    return {
        "is_model": isinstance(model, keras.Model),
        "n_inputs": len(model.inputs),
        "out": model([np.zeros((2, 3), np.float32), np.zeros((2, 5), np.float32)]),
        "out0": model([np.zeros((0, 3), np.float32), np.zeros((0, 5), np.float32)]),
    }


@output_shape.verdict
def _(got):
    expect(got["is_model"], "build_feature_extractor must return a keras.Model")
    expect_equal(got["n_inputs"], 2, "number of model inputs")
    expect_array(got["out"], "output for a batch of 2", shape=(2, 8))
    expect_array(got["out0"], "output for a batch of 0", shape=(0, 8))


@suite.check("shape", hidden=True)
def other_dimensions(ns):
    """(7, 2, 1) and (1, 6, 16) give outputs (B, 2) and (B, 32); the inputs have the given dimensions"""
    build_feature_extractor = need(ns, "build_feature_extractor")
    keras.utils.set_random_seed(0)
    small = build_feature_extractor(7, 2, 1)
    wide = build_feature_extractor(1, 6, 16)
    return {
        "small": small(list(_features(1, 4, 7, 2))),
        "wide": wide(list(_features(2, 3, 1, 6))),
        "small_inputs": [int(t.shape[-1]) for t in small.inputs],
        "wide_inputs": [int(t.shape[-1]) for t in wide.inputs],
    }


@other_dimensions.verdict
def _(got):
    expect_array(got["small"], "output of build_feature_extractor(7, 2, 1)", shape=(4, 2))
    expect_array(got["wide"], "output of build_feature_extractor(1, 6, 16)", shape=(3, 32))
    expect_equal(got["small_inputs"], np.array([7, 2]), "last dimensions of the inputs of (7, 2, 1)")
    expect_equal(got["wide_inputs"], np.array([1, 6]), "last dimensions of the inputs of (1, 6, 16)")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_set_weights(ns):
    """projections set by hand: the output is [relu(text projection), relu(image projection)] worked by hand"""
    build_feature_extractor = need(ns, "build_feature_extractor")
    keras.utils.set_random_seed(0)
    model = build_feature_extractor(2, 1, 2)
    _projection_layer(model, 2, 2).set_weights([np.array([[1.0, -1.0], [2.0, 0.0]]), np.array([0.0, 0.5])])
    _projection_layer(model, 1, 2).set_weights([np.array([[3.0, -2.0]]), np.array([-1.0, 1.0])])
    text = np.array([[1.0, 1.0], [-1.0, 0.0]], np.float32)
    image = np.array([[1.0], [2.0]], np.float32)
    return {"out": model([text, image])}


@hand_set_weights.verdict
def _(got):
    # text: [3, -0.5] -> [3, 0] and [-1, 1.5] -> [0, 1.5]; image: [2, -1] -> [2, 0] and [5, -3] -> [5, 0]
    expect_close(got["out"], [[3.0, 0.0, 2.0, 0.0], [0.0, 1.5, 5.0, 0.0]], "output")


@suite.check("numeric", hidden=True)
def matches_oracle(ns):
    """with seeded projection weights, the output equals concat(relu(t Wt + bt), relu(i Wi + bi))"""
    build_feature_extractor = need(ns, "build_feature_extractor")
    keras.utils.set_random_seed(1)
    model = build_feature_extractor(6, 4, 5)
    _set_projections(model, 6, 4, 5)
    text, image = _features(3, 9, 6, 4)
    return {"out": model([text, image])}


@matches_oracle.verdict
def _(got):
    want = _np_extract(*_features(3, 9, 6, 4), 6, 4, 5)
    expect_close(got["out"], want, "output of model([text, image])")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def save_and_load_round_trip(ns):
    """model.save('x.keras') then keras.models.load_model gives a model with identical outputs"""
    import os
    import tempfile

    build_feature_extractor = need(ns, "build_feature_extractor")
    keras.utils.set_random_seed(2)
    model = build_feature_extractor(3, 5, 4)
    text, image = _features(4, 6, 3, 5)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
    return {"before": model([text, image]), "after": loaded([text, image])}


@save_and_load_round_trip.verdict
def _(got):
    before = np.asarray(expect_array(got["before"], "output before saving", shape=(6, 8)), np.float64)
    expect(bool(np.any(before != 0.0)), "output before saving is all zero")
    expect_close(got["after"], before, "output of the loaded model", rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def loaded_model_matches_oracle(ns):
    """after a save/load round trip the seeded projections still give concat(relu(...), relu(...))"""
    import os
    import tempfile

    build_feature_extractor = need(ns, "build_feature_extractor")
    keras.utils.set_random_seed(3)
    model = build_feature_extractor(6, 4, 5)
    _set_projections(model, 6, 4, 5)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
    return {"out": loaded(list(_features(5, 7, 6, 4)))}


@loaded_model_matches_oracle.verdict
def _(got):
    expect_close(got["out"], _np_extract(*_features(5, 7, 6, 4), 6, 4, 5), "output of the loaded model")


@suite.check("behavior", hidden=True)
def halves_depend_on_own_modality(ns):
    """changing the text changes only the first half of the output, changing the image only the second"""
    build_feature_extractor = need(ns, "build_feature_extractor")
    keras.utils.set_random_seed(4)
    model = build_feature_extractor(3, 5, 6)
    text, image = _features(6, 5, 3, 5)
    other_text, other_image = _features(7, 5, 3, 5)
    return {"base": model([text, image]), "new_text": model([other_text, image]),
            "new_image": model([text, other_image])}


@halves_depend_on_own_modality.verdict
def _(got):
    base = np.asarray(expect_array(got["base"], "output", shape=(5, 12)), np.float64)
    new_text = expect_array(got["new_text"], "output with other text", shape=(5, 12))
    new_image = expect_array(got["new_image"], "output with other image", shape=(5, 12))
    expect_close(new_text[:, 6:], base[:, 6:], "image half after changing only the text")
    expect_close(new_image[:, :6], base[:, :6], "text half after changing only the image")
    expect(bool(np.max(np.abs(new_text[:, :6] - base[:, :6])) > 1e-3),
           "the text half (first hidden_size columns) does not change when the text changes")
    expect(bool(np.max(np.abs(new_image[:, 6:] - base[:, 6:])) > 1e-3),
           "the image half (last hidden_size columns) does not change when the image changes")


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "text_dim=0": "ValueError",
        "image_dim=-1": "ValueError",
        "hidden_size=0": "ValueError",
        "text_dim=2.5": "TypeError",
        "image_dim=True": "TypeError",
        "hidden_size=True": "TypeError",
        "text_dim='3'": "TypeError",
        "image_dim=None": "TypeError",
    }


@suite.check("behavior", hidden=True)
def bad_dimensions_are_errors(ns):
    """dimensions 0 or -1 raise ValueError; 2.5, True, '3' or None raise TypeError"""
    build_feature_extractor = need(ns, "build_feature_extractor")
    return {
        "text_dim=0": raised(build_feature_extractor, 0, 5, 4),
        "image_dim=-1": raised(build_feature_extractor, 3, -1, 4),
        "hidden_size=0": raised(build_feature_extractor, 3, 5, 0),
        "text_dim=2.5": raised(build_feature_extractor, 2.5, 5, 4),
        "image_dim=True": raised(build_feature_extractor, 3, True, 4),
        "hidden_size=True": raised(build_feature_extractor, 3, 5, True),
        "text_dim='3'": raised(build_feature_extractor, "3", 5, 4),
        "image_dim=None": raised(build_feature_extractor, 3, None, 4),
    }


@bad_dimensions_are_errors.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
