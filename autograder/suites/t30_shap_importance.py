"""Checks of t30 · SHAP feature importance with the shap library.

Every model is built in the probe from weights given by a seeded NumPy helper, so each verdict
recomputes the model in float64 NumPy (``_np_forward``) and derives its own answers:

* a linear model: the SHAP value of feature j is exactly ``w_j (x_j - mean_background x_j)``;
* a small tanh MLP: the exact Shapley values of the interventional value function
  ``v(S) = mean_k f(x_S, background_k,~S)``, by enumerating all 2**M coalitions
  (``_np_exact_shapley``); Kernel SHAP with every coalition evaluated reproduces them;
* local accuracy: ``values.sum(1) + mean_k f(background_k) == f(x)``.

Tolerance: the Keras models compute in float32 (relative error ~1e-7, outputs of magnitude up
to ~12), observed deviations are below 1e-6, so ``atol=1e-5`` instead of 1e-6. Every wrong
answer the checks target (wrong baseline, signed mean, wrong modality split, too few
coalitions) is off by more than 1e-2.

Cost: every explained sample is a Keras call (a few ms) and every model build a few variables,
so the inputs are as small as still pins the values (two samples, four background rows), the
models get their weights from constant initialisers, and the visible shape and local-accuracy
checks and the hidden exactness check judge one shared call on one shared model
(``_shared_call``), computed once per submission.
"""

import math

import keras
import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t30_shap_importance", points={"shape": 2, "numeric": 4, "behavior": 4})


# --------------------------------------------------------------------------- helpers
def _mlp_params(seed, dt=3, di=2, hidden=6, ignore=None):
    """Weights of Concatenate -> Dense(hidden, tanh) -> Dense(1); ``ignore`` zeroes a modality's rows."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0.0, 0.6, size=(dt + di, hidden))
    if ignore == "image":
        w1[dt:] = 0.0
    if ignore == "text":
        w1[:dt] = 0.0
    return {
        "w1": w1,
        "b1": rng.normal(0.0, 0.3, size=(hidden,)),
        "w2": rng.normal(0.0, 0.8, size=(hidden, 1)),
        "b2": rng.normal(0.0, 0.3, size=(1,)),
    }


def _linear_params(seed, dt=3, di=2):
    """Weights of Concatenate -> Dense(1)."""
    rng = np.random.default_rng(seed)
    return {"w": rng.normal(0.0, 1.0, size=(dt + di, 1)), "b": rng.normal(0.0, 0.5, size=(1,))}


def _hand_params():
    """The linear model of the worked example: f = 2 t0 - t1 + 0.5 i0 + 3 i1 + 0.25."""
    return {"w": np.array([[2.0], [-1.0], [0.5], [3.0]]), "b": np.array([0.25])}


def _hand_data():
    """Two samples and a two-row background of the worked example."""
    text = np.array([[3.0, 0.0], [0.0, 3.0]])
    image = np.array([[-1.0, 2.0], [1.0, 0.0]])
    background = (np.array([[0.0, 0.0], [2.0, 2.0]]), np.array([[0.0, 0.0], [2.0, 2.0]]))
    return text, image, background


def _data(seed, dt=3, di=2, batch=2, n_background=4):
    """Inputs ``(text, image, (text_background, image_background))`` drawn from N(0, 1).

    Small on purpose: each explained sample costs a model call, and two samples and four
    background rows already pin every value the verdicts compute (the margins of the
    wrong answers are in the module docstring).
    """
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(batch, dt))
    image = rng.normal(size=(batch, di))
    background = (rng.normal(size=(n_background, dt)), rng.normal(size=(n_background, di)))
    return text, image, background


def _keras_model(params, dt, di):
    """A two-input Keras model holding exactly ``params`` (float32, the Keras default)."""
    # Constant initialisers put the weights in at build: no random initialisation to overwrite,
    # half the cost of building the model and then assigning its weights.
    constant = keras.initializers.Constant
    text = keras.Input((dt,))
    image = keras.Input((di,))
    h = keras.layers.Concatenate()([text, image])
    if "w1" in params:
        h = keras.layers.Dense(params["w1"].shape[1], activation="tanh", kernel_initializer=constant(params["w1"]),
                               bias_initializer=constant(params["b1"]))(h)
        out = keras.layers.Dense(1, kernel_initializer=constant(params["w2"]),
                                 bias_initializer=constant(params["b2"]))(h)
    else:
        out = keras.layers.Dense(1, kernel_initializer=constant(params["w"]), bias_initializer=constant(params["b"]))(h)
    return keras.Model([text, image], out)


def _np_forward(params, x):
    """Float64 output ``(n,)`` of the model on concatenated features ``x`` ``(..., n, Dt + Di)``."""
    if "w1" in params:
        return (np.tanh(x @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"])[..., 0]
    return (x @ params["w"] + params["b"])[..., 0]


def _np_exact_shapley(params, x, background):
    """Exact Shapley values ``(B, M)`` of v(S) = mean_k f(x_S, background_k,~S), all 2**M coalitions."""
    m = x.shape[1]
    masks = ((np.arange(2**m)[:, None] >> np.arange(m)[None, :]) & 1).astype(bool)  # (2^M, M)
    sizes = masks.sum(axis=1)
    weight = np.array([math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) if s < m else 0.0
                       for s in sizes])
    out = np.zeros(x.shape)
    for b in range(x.shape[0]):
        z = np.where(masks[:, None, :], x[b][None, None, :], background[None, :, :])  # (2^M, N, M)
        v = _np_forward(params, z).mean(axis=1)
        for j in range(m):
            without = ~masks[:, j]
            out[b, j] = np.sum(weight[without] * (v[np.flatnonzero(without) | (1 << j)] - v[without]))
    return out


def _shared(ns):
    """The results the checks share for this submission, kept in its namespace.

    Valid while every name the namespace held when they were first computed still holds the
    same object: redefining any function (a student rerunning a cell after an edit) starts
    afresh. Names defined later (the check cells' own functions) do not matter. Only successes
    are kept: a call that raised runs again for the next check that needs it. A namespace that
    cannot be written shares nothing: every check then computes for itself.
    """
    key = "_t30_checked_calls"
    shared = ns.get(key)
    if (type(shared) is not dict or type(shared.get("names")) is not dict
            or any(ns.get(k, shared) is not v for k, v in shared["names"].items())):
        shared = {"names": {k: v for k, v in ns.items() if k != key}}
        try:
            ns[key] = shared
        except TypeError:
            pass
    return shared


def _shared_model(ns):
    """The MLP ``_mlp_params(1)`` (Dt=3, Di=2), built once per submission."""
    shared = _shared(ns)
    if "model" not in shared:
        shared["model"] = _keras_model(_mlp_params(1), 3, 2)
    return shared["model"]


def _shared_call(ns):
    """``shap_feature_importance`` of the shared MLP on ``_data(1)`` with the default nsamples, once per
    submission (a call that raised runs again for the next check)."""
    explain = need(ns, "shap_feature_importance")
    model = _shared_model(ns)
    shared = _shared(ns)
    if "call" not in shared:
        text, image, background = _data(1)
        shared["call"] = explain(model, text, image, background)
    return shared["call"]


def _cat(text, image, background):
    """Concatenated features of the inputs and of the background."""
    return np.concatenate([text, image], axis=1), np.concatenate(background, axis=1)


def _expect_result(got, batch, features, what):
    """Check the dict's keys, shapes and float modality importances; return the arrays."""
    expect(type(got) is dict, f"{what}: expected a dict, got {type(got).__name__}")
    for key in ("values", "feature_importance", "modality_importance"):
        expect(key in got, f"{what}: the dict has no key {key!r}")
    values = expect_array(got["values"], f"{what} values", shape=(batch, features), kinds="f")
    importance = expect_array(got["feature_importance"], f"{what} feature_importance", shape=(features,), kinds="f")
    modality = got["modality_importance"]
    expect(type(modality) is dict and sorted(modality) == ["image", "text"],
           f"{what}: modality_importance must be a dict with keys 'text' and 'image'")
    expect(type(modality["text"]) is float and type(modality["image"]) is float,
           f"{what}: modality importances must be Python floats")
    return values, importance, modality


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """B=2, Dt=3, Di=2: values (2, 5), feature_importance (5,), modality_importance two floats"""
    return _shared_call(ns)


@output_shapes.verdict
def _(got):
    _expect_result(got, 2, 5, "result")


@suite.check("shape", hidden=True)
def empty_batch_and_other_dims(ns):
    """a batch of 0 and a batch of 1 with Dt=1, Di=3 keep their shapes"""
    explain = need(ns, "shap_feature_importance")
    text, image, background = _data(2)
    empty = explain(_shared_model(ns), text[:0], image[:0], background)
    text, image, background = _data(3, dt=1, di=3, batch=1)
    other = explain(_keras_model(_mlp_params(3, dt=1, di=3), 1, 3), text, image, background)
    return {"empty": empty, "other": other}


@empty_batch_and_other_dims.verdict
def _(got):
    _, importance, modality = _expect_result(got["empty"], 0, 5, "batch of 0")
    expect(bool(np.all(np.isfinite(importance))), "batch of 0: feature_importance must be finite")
    expect(bool(np.isfinite(modality["text"]) and np.isfinite(modality["image"])),
           "batch of 0: modality importances must be finite")
    _expect_result(got["other"], 1, 4, "B=1, Dt=1, Di=3")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def linear_hand_worked(ns):
    """the linear model of the worked example: values, importances and modality totals"""
    explain = need(ns, "shap_feature_importance")
    text, image, background = _hand_data()
    return explain(_keras_model(_hand_params(), 2, 2), text, image, background)


@linear_hand_worked.verdict
def _(got):
    values, importance, modality = _expect_result(got, 2, 4, "result")
    # background mean = [1, 1, 1, 1]; phi_j = w_j (x_j - 1) with w = [2, -1, 0.5, 3].
    expect_close(values, [[4.0, 1.0, -1.0, 3.0], [-2.0, -2.0, 0.0, -3.0]], "values", atol=1e-5)
    expect_close(importance, [3.0, 1.5, 0.5, 3.0], "feature_importance (mean |value|)", atol=1e-5)
    expect_close(modality["text"], 4.5, "modality_importance['text']", atol=1e-5)
    expect_close(modality["image"], 3.5, "modality_importance['image']", atol=1e-5)


@suite.check("numeric", hidden=True)
def linear_matches_numpy_oracle(ns):
    """linear model: values equal w_j (x_j - background mean_j); importances follow"""
    explain = need(ns, "shap_feature_importance")
    text, image, background = _data(4)
    return explain(_keras_model(_linear_params(4), 3, 2), text, image, background)


@linear_matches_numpy_oracle.verdict
def _(got):
    values, importance, modality = _expect_result(got, 2, 5, "result")
    x, bg = _cat(*_data(4))
    want = _linear_params(4)["w"][:, 0] * (x - bg.mean(axis=0))
    expect_close(values, want, "values", atol=1e-5)
    want_importance = np.abs(want).mean(axis=0)
    expect_close(importance, want_importance, "feature_importance", atol=1e-5)
    expect_close(modality["text"], want_importance[:3].sum(), "modality_importance['text']", atol=1e-5)
    expect_close(modality["image"], want_importance[3:].sum(), "modality_importance['image']", atol=1e-5)


@suite.check("numeric", hidden=True)
def mlp_matches_exact_shapley(ns):
    """tanh MLP: with the default nsamples the values are the exact Shapley values"""
    return _shared_call(ns)


@mlp_matches_exact_shapley.verdict
def _(got):
    values, importance, _ = _expect_result(got, 2, 5, "result")
    x, bg = _cat(*_data(1))
    want = _np_exact_shapley(_mlp_params(1), x, bg)
    expect_close(values, want, "values", atol=1e-5)
    expect_close(importance, np.abs(want).mean(axis=0), "feature_importance", atol=1e-5)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def local_accuracy(ns):
    """each row of values sums to f(x) minus the mean output over the background"""
    return _shared_call(ns)


@local_accuracy.verdict
def _(got):
    values, _, _ = _expect_result(got, 2, 5, "result")
    x, bg = _cat(*_data(1))
    params = _mlp_params(1)
    expect_close(values.sum(axis=1), _np_forward(params, x) - _np_forward(params, bg).mean(),
                 "values summed over the features (should be f(x) - E_background[f])", atol=1e-5)


@suite.check("behavior", hidden=True)
def ignored_modality_gets_zero(ns):
    """a model that ignores the image (or the text) gives that modality zero importance"""
    explain = need(ns, "shap_feature_importance")
    text, image, background = _data(7)
    no_image = explain(_keras_model(_mlp_params(7, ignore="image"), 3, 2), text, image, background)
    no_text = explain(_keras_model(_mlp_params(7, ignore="text"), 3, 2), text, image, background)
    return {"no_image": no_image, "no_text": no_text}


@ignored_modality_gets_zero.verdict
def _(got):
    values, _, modality = _expect_result(got["no_image"], 2, 5, "model ignoring the image")
    expect_close(values[:, 3:], np.zeros((2, 2)), "image values of a model ignoring the image", atol=1e-6)
    expect_close(modality["image"], 0.0, "image importance of a model ignoring the image", atol=1e-6)
    expect(modality["text"] > 0.05, "a model ignoring the image must give the text a positive importance")
    values, _, modality = _expect_result(got["no_text"], 2, 5, "model ignoring the text")
    expect_close(values[:, :3], np.zeros((2, 3)), "text values of a model ignoring the text", atol=1e-6)
    expect_close(modality["text"], 0.0, "text importance of a model ignoring the text", atol=1e-6)
    expect(modality["image"] > 0.05, "a model ignoring the text must give the image a positive importance")


@suite.check("behavior", hidden=True)
def seeded_sampling_is_deterministic(ns):
    """with fewer coalitions than 2**M, the same seed gives the same values; inputs unchanged"""
    explain = need(ns, "shap_feature_importance")
    text, image, background = _data(8, dt=5, di=3, batch=1)
    model = _keras_model(_mlp_params(8, dt=5, di=3), 5, 3)
    first = explain(model, text, image, background, nsamples=40, seed=3)
    second = explain(model, text, image, background, nsamples=40, seed=3)
    return {"first": first, "second": second, "text": text, "image": image,
            "text_bg": background[0], "image_bg": background[1]}


@seeded_sampling_is_deterministic.verdict
def _(got):
    first, _, _ = _expect_result(got["first"], 1, 8, "first call")
    second, _, _ = _expect_result(got["second"], 1, 8, "second call")
    expect_close(second, first, "values of two calls with the same seed", rtol=0, atol=0)
    x, bg = _cat(*_data(8, dt=5, di=3, batch=1))
    params = _mlp_params(8, dt=5, di=3)
    expect_close(first.sum(axis=1), _np_forward(params, x) - _np_forward(params, bg).mean(),
                 "values summed over the features with sampled coalitions", atol=1e-5)
    text, image, (text_bg, image_bg) = _data(8, dt=5, di=3, batch=1)
    for key, want in (("text", text), ("image", image), ("text_bg", text_bg), ("image_bg", image_bg)):
        expect_close(got[key], want, f"{key} after the calls", rtol=0, atol=0)


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "text and image with different batch sizes": "ValueError",
        "a text background with the wrong number of features": "ValueError",
        "text and image backgrounds with different numbers of rows": "ValueError",
        "an empty background (its mean output is undefined)": "ValueError",
        "a background that is one array, not a pair": "TypeError",
        "1-D text and image": "ValueError",
        "a string as text": "TypeError",
        "nsamples=0": "ValueError",
        "nsamples=2.5": "TypeError",
    }


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """mismatched sizes, an empty background, 1-D inputs, nsamples=0: ValueError; a non-pair, text, 2.5: TypeError"""
    explain = need(ns, "shap_feature_importance")
    text, image, (text_bg, image_bg) = _data(9, batch=4)
    model = _shared_model(ns)  # any model: every call must fail on its arguments

    def bad(*args, **kwargs):
        return raised(explain, model, *args, **kwargs)

    return {
        "text and image with different batch sizes": bad(text, image[:3], (text_bg, image_bg)),
        "a text background with the wrong number of features": bad(text, image, (text_bg[:, :2], image_bg)),
        "text and image backgrounds with different numbers of rows": bad(text, image, (text_bg, image_bg[:-1])),
        "an empty background (its mean output is undefined)": bad(text, image, (text_bg[:0], image_bg[:0])),
        "a background that is one array, not a pair": bad(text, image, np.concatenate([text_bg, image_bg], axis=1)),
        "1-D text and image": bad(text[0], image[0], (text_bg, image_bg)),
        "a string as text": bad("text", image, (text_bg, image_bg)),
        "nsamples=0": bad(text, image, (text_bg, image_bg), nsamples=0),
        "nsamples=2.5": bad(text, image, (text_bg, image_bg), nsamples=2.5),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
