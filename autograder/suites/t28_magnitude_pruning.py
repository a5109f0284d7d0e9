"""Checks of t28 · per-layer magnitude pruning.

Every probe builds a small Keras model and sets all its weights from ``_initial_weights``
(so the verdict knows them), prunes it with the student's function and returns the masks
and the model's weights afterwards. ``_expect_pruned`` then recomputes from the original
kernel what per-layer magnitude pruning must give: ``sparsity * size`` zeros (to within
one weight), exactly the smallest |w|, every other weight unchanged. The Dense layers of
the model have very different weight scales (std 1, 0.05, 0.3), so a single global
threshold over all layers prunes them by very different fractions.
"""

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_equal, expect_raises, need, raised

suite = Suite("t28_magnitude_pruning", points={"shape": 2, "numeric": 4, "behavior": 4})


# --------------------------------------------------------------------------- helpers
def _initial_weights(seed):
    """Weights of the model of ``_model``: Dense layers with very different scales."""
    rng = np.random.default_rng(seed)
    return {
        "text_proj": [rng.normal(0.0, 1.0, (6, 5)), rng.normal(0.0, 0.5, 5)],
        "image_proj": [rng.normal(0.0, 0.05, (4, 5)), rng.normal(0.0, 0.5, 5)],
        "norm": [rng.normal(1.0, 0.1, 10), rng.normal(0.0, 0.1, 10)],
        "head": [rng.normal(0.0, 0.3, (10, 3)), rng.normal(0.0, 0.5, 3)],
    }


def _model(seed):
    """Two modality projections, concatenation, LayerNormalization and a Dense head."""
    import keras

    keras.utils.set_random_seed(seed)
    text = keras.Input((6,), name="text")
    image = keras.Input((4,), name="image")
    t = keras.layers.Dense(5, activation="relu", name="text_proj")(text)
    i = keras.layers.Dense(5, activation="relu", name="image_proj")(image)
    fused = keras.layers.LayerNormalization(name="norm")(keras.layers.Concatenate(name="concat")([t, i]))
    model = keras.Model([text, image], keras.layers.Dense(3, name="head")(fused))
    for name, weights in _initial_weights(seed).items():
        model.get_layer(name).set_weights([w.astype("float32") for w in weights])
    return model


def _weights_of(model):
    """``{layer: {"k": kernel (or gamma), "b": bias (or beta)}}`` of the model of ``_model``."""
    out = {}
    for name in ("text_proj", "image_proj", "norm", "head"):
        first, second = model.get_layer(name).get_weights()
        out[name] = {"k": first, "b": second}
    return out


def _masks_of(masks):
    """The student's dict as plain data: sorted names and the masks."""
    return {"names": sorted(str(k) for k in masks), "masks": {str(k): np.asarray(v) for k, v in masks.items()}}


def _expect_pruned(got_kernel, original, sparsity, what):
    """``got_kernel`` is ``original`` with its ~sparsity*size smallest |w| set to 0; return the zero mask."""
    original = np.asarray(original, dtype=np.float32)
    kernel = expect_array(got_kernel, what, shape=original.shape, kinds="f")
    zero = kernel == 0
    n_zero, target = int(zero.sum()), sparsity * original.size
    expect(abs(n_zero - target) <= 1,
           f"{what}: {n_zero} of {original.size} weights are 0, expected {target:g} (to within one weight)")
    expect(bool(np.array_equal(kernel[~zero], original[~zero])), f"{what}: the weights kept must be unchanged")
    if 0 < n_zero < original.size:
        expect(bool(np.abs(original[zero]).max() <= np.abs(original[~zero]).min()),
               f"{what}: the weights set to 0 must be those of smallest magnitude in this layer")
    return zero


def _expect_mask(got_mask, zero, what):
    mask = expect_array(got_mask, what, shape=zero.shape, kinds="b")
    expect(bool(np.array_equal(mask, ~zero)), f"{what}: the mask must be False exactly where weights were pruned")


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def masks_for_every_dense_kernel(ns):
    """one boolean mask per Dense layer (text_proj, image_proj, head), of its kernel's shape"""
    prune = need(ns, "magnitude_prune")
    return _masks_of(prune(_model(0), 0.5))


@masks_for_every_dense_kernel.verdict
def _(got):
    expect(got["names"] == ["head", "image_proj", "text_proj"],
           f"masks must be keyed by the Dense layer names ['head', 'image_proj', 'text_proj'], got {got['names']}")
    for name, shape in (("text_proj", (6, 5)), ("image_proj", (4, 5)), ("head", (10, 3))):
        expect_array(got["masks"][name], f"mask of {name}", shape=shape, kinds="b")


@suite.check("shape", hidden=True)
def nested_models_and_non_dense_layers(ns):
    """Dense layers inside a nested model are pruned; Embedding and Conv1D are left alone"""
    prune = need(ns, "magnitude_prune")
    model = _nested_model()
    masks = prune(model, 0.5)
    inner = model.get_layer("inner")
    return {**_masks_of(masks),
            "embed": model.get_layer("embed").get_weights()[0], "conv": model.get_layer("conv").get_weights()[0],
            "inner_dense": inner.get_layer("inner_dense").get_weights()[0],
            "inner_out": inner.get_layer("inner_out").get_weights()[0]}


@nested_models_and_non_dense_layers.verdict
def _(got):
    expect(got["names"] == ["inner_dense", "inner_out"],
           f"masks must cover exactly the Dense layers (also inside nested models), got {got['names']}")
    original = _nested_weights()
    expect_close(got["embed"], original["embed"][0].astype(np.float32), "Embedding weights", rtol=0, atol=0)
    expect_close(got["conv"], original["conv"][0].astype(np.float32), "Conv1D kernel", rtol=0, atol=0)
    for name in ("inner_dense", "inner_out"):
        zero = _expect_pruned(got[name], original[name][0], 0.5, f"kernel of {name}")
        _expect_mask(got["masks"][name], zero, f"mask of {name}")


def _nested_weights():
    rng = np.random.default_rng(11)
    return {
        "embed": [rng.normal(0.0, 1.0, (10, 3))],
        "conv": [rng.normal(0.0, 0.5, (2, 3, 2)), rng.normal(0.0, 0.5, 2)],
        "inner_dense": [rng.normal(0.0, 1.0, (6, 4)), rng.normal(0.0, 0.5, 4)],
        "inner_out": [rng.normal(0.0, 1.0, (4, 2)), rng.normal(0.0, 0.5, 2)],
    }


def _nested_model():
    """Embedding -> Conv1D -> Flatten -> a nested Sequential of two Dense layers."""
    import keras

    keras.utils.set_random_seed(11)
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu", name="inner_dense"),
                              keras.layers.Dense(2, name="inner_out")], name="inner")
    tokens = keras.Input((4,), dtype="int32")
    x = keras.layers.Embedding(10, 3, name="embed")(tokens)
    x = keras.layers.Flatten()(keras.layers.Conv1D(2, 2, name="conv")(x))
    model = keras.Model(tokens, inner(x))
    weights = _nested_weights()
    for name in ("embed", "conv"):
        model.get_layer(name).set_weights([w.astype("float32") for w in weights[name]])
    for name in ("inner_dense", "inner_out"):
        inner.get_layer(name).set_weights([w.astype("float32") for w in weights[name]])
    return model


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """kernel [[0.5, -0.1], [-2, 0.3]] at sparsity 0.5: -0.1 and 0.3 become 0"""
    import keras

    prune = need(ns, "magnitude_prune")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="dense")])
    model.get_layer("dense").set_weights([np.array([[0.5, -0.1], [-2.0, 0.3]], "float32"),
                                          np.array([1.0, -1.0], "float32")])
    masks = prune(model, 0.5)
    kernel, bias = model.get_layer("dense").get_weights()
    return {**_masks_of(masks), "kernel": kernel, "bias": bias}


@hand_worked_example.verdict
def _(got):
    expect_close(got["kernel"], [[0.5, 0.0], [-2.0, 0.0]], "pruned kernel")
    expect_close(got["bias"], [1.0, -1.0], "bias")
    expect_equal(got["names"], ["dense"], "mask names")
    expect_equal(got["masks"]["dense"], np.array([[True, False], [True, False]]), "mask")


@suite.check("numeric", hidden=True)
def prunes_smallest_fraction_per_layer(ns):
    """sparsity 0.3: each layer loses its own 30% smallest weights, whatever its scale"""
    prune = need(ns, "magnitude_prune")
    model = _model(1)
    masks = prune(model, 0.3)
    return {**_masks_of(masks), "weights": _weights_of(model)}


@prunes_smallest_fraction_per_layer.verdict
def _(got):
    original = _initial_weights(1)
    for name in ("text_proj", "image_proj", "head"):
        zero = _expect_pruned(got["weights"][name]["k"], original[name][0], 0.3, f"kernel of {name}")
        _expect_mask(got["masks"][name], zero, f"mask of {name}")


@suite.check("numeric", hidden=True)
def several_sparsities(ns):
    """sparsity 0.1, 0.55 and 0.9 on fresh models prune the right count of smallest weights"""
    prune = need(ns, "magnitude_prune")
    out = {}
    for key, sparsity in (("s10", 0.1), ("s55", 0.55), ("s90", 0.9)):
        model = _model(2)
        prune(model, sparsity)
        out[key] = _weights_of(model)
    return out


@several_sparsities.verdict
def _(got):
    original = _initial_weights(2)
    for key, sparsity in (("s10", 0.1), ("s55", 0.55), ("s90", 0.9)):
        for name in ("text_proj", "image_proj", "head"):
            _expect_pruned(got[key][name]["k"], original[name][0], sparsity, f"kernel of {name} at sparsity {sparsity}")


@suite.check("numeric", hidden=True)
def ties_in_magnitude(ns):
    """a kernel of +-0.5 and +-1 at sparsity 0.25 zeros 3 of the 0.5s, not all six"""
    import keras

    prune = need(ns, "magnitude_prune")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="dense")])
    model.get_layer("dense").set_weights([_tied_kernel(), np.zeros(4, "float32")])
    masks = prune(model, 0.25)
    return {**_masks_of(masks), "kernel": model.get_layer("dense").get_weights()[0]}


@ties_in_magnitude.verdict
def _(got):
    zero = _expect_pruned(got["kernel"], _tied_kernel(), 0.25, "kernel with tied magnitudes")
    _expect_mask(got["masks"]["dense"], zero, "mask")


def _tied_kernel():
    return np.array([[1.0, -1.0, 0.5, -0.5], [0.5, 1.0, -1.0, 0.5], [-0.5, 0.5, 1.0, 1.0]], "float32")


@suite.check("numeric", hidden=True)
def sparsity_zero_and_one(ns):
    """sparsity 0 changes nothing (masks all True); sparsity 1 zeros every kernel (masks all False)"""
    prune = need(ns, "magnitude_prune")
    model0, model1 = _model(3), _model(3)
    masks0, masks1 = prune(model0, 0.0), prune(model1, 1)
    return {"m0": _masks_of(masks0)["masks"], "w0": _weights_of(model0),
            "m1": _masks_of(masks1)["masks"], "w1": _weights_of(model1)}


@sparsity_zero_and_one.verdict
def _(got):
    original = _initial_weights(3)
    for name in ("text_proj", "image_proj", "head"):
        kernel = original[name][0].astype(np.float32)
        expect_close(got["w0"][name]["k"], kernel, f"kernel of {name} at sparsity 0", rtol=0, atol=0)
        expect(bool(np.all(expect_array(got["m0"][name], f"mask of {name}", kernel.shape, "b"))),
               f"at sparsity 0 the mask of {name} must be all True")
        expect_close(got["w1"][name]["k"], np.zeros_like(kernel), f"kernel of {name} at sparsity 1", rtol=0, atol=0)
        expect(bool(not np.any(expect_array(got["m1"][name], f"mask of {name}", kernel.shape, "b"))),
               f"at sparsity 1 the mask of {name} must be all False")
        expect_close(got["w1"][name]["b"], original[name][1].astype(np.float32), f"bias of {name}", rtol=0, atol=0)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def biases_and_other_layers_untouched(ns):
    """after pruning at 0.5 the biases and the LayerNormalization weights are unchanged"""
    prune = need(ns, "magnitude_prune")
    model = _model(4)
    prune(model, 0.5)
    return {"weights": _weights_of(model)}


@biases_and_other_layers_untouched.verdict
def _(got):
    original = _initial_weights(4)
    for name in ("text_proj", "image_proj", "head"):
        expect_close(got["weights"][name]["b"], original[name][1].astype(np.float32), f"bias of {name}", rtol=0, atol=0)
    expect_close(got["weights"]["norm"]["k"], original["norm"][0].astype(np.float32), "LayerNormalization gamma",
                 rtol=0, atol=0)
    expect_close(got["weights"]["norm"]["b"], original["norm"][1].astype(np.float32), "LayerNormalization beta",
                 rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def second_call_is_stable(ns):
    """pruning twice at 0.4 gives the same masks and the same weights as pruning once"""
    prune = need(ns, "magnitude_prune")
    model = _model(5)
    first = _masks_of(prune(model, 0.4))
    once = _weights_of(model)
    second = _masks_of(prune(model, 0.4))
    return {"first": first["masks"], "second": second["masks"], "once": once, "twice": _weights_of(model)}


@second_call_is_stable.verdict
def _(got):
    original = _initial_weights(5)
    for name in ("text_proj", "image_proj", "head"):
        zero = _expect_pruned(got["once"][name]["k"], original[name][0], 0.4, f"kernel of {name} after one call")
        _expect_mask(got["first"][name], zero, f"mask of {name} from the first call")
        _expect_mask(got["second"][name], zero, f"mask of {name} from the second call")
        expect_close(got["twice"][name]["k"], got["once"][name]["k"], f"kernel of {name} after a second call",
                     rtol=0, atol=0)


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "sparsity -0.1": "ValueError",
        "sparsity 1.5": "ValueError",
        "sparsity NaN": "ValueError",
        "sparsity 'half'": "TypeError",
        "sparsity None": "TypeError",
        "sparsity True": "TypeError",
        "an array instead of a model": "TypeError",
    }


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """sparsity < 0, > 1 or NaN raise ValueError; text, None, a bool or a non-model TypeError; the model is unchanged"""
    prune = need(ns, "magnitude_prune")
    model = _model(6)
    out = {
        "sparsity -0.1": raised(prune, model, -0.1),
        "sparsity 1.5": raised(prune, model, 1.5),
        "sparsity NaN": raised(prune, model, float("nan")),
        "sparsity 'half'": raised(prune, model, "half"),
        "sparsity None": raised(prune, model, None),
        "sparsity True": raised(prune, model, True),
        "an array instead of a model": raised(prune, np.ones((3, 3)), 0.5),
    }
    return {**out, "weights": _weights_of(model)}


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
    original = _initial_weights(6)
    for name in ("text_proj", "image_proj", "head"):
        expect_close(got["weights"][name]["k"], original[name][0].astype(np.float32),
                     f"kernel of {name} after rejected calls", rtol=0, atol=0)
