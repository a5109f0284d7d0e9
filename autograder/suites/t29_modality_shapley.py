"""Checks of t29 · exact two-player Shapley values of the text and image modalities.

The predict functions are NumPy helpers of this module, so each verdict evaluates them in
float64 itself. The oracle ``_np_two_player_shapley`` averages the marginal contribution of
each modality over the two orderings (text first, image first), the definition of the
Shapley value, written independently of the closed form the exercise states. Everything is
float64: default tolerances.
"""

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t29_modality_shapley", points={"shape": 2, "numeric": 4, "behavior": 4})


# --------------------------------------------------------------------------- helpers
def _weights(dt=4, di=3):
    """Fixed projection vectors of the nonlinear predict function."""
    rng = np.random.default_rng(290)
    return rng.normal(0.0, 0.7, size=dt), rng.normal(0.0, 0.7, size=di), rng.normal(0.0, 0.7, size=di)


def _f_nonlinear(text, image):
    """A predict function with main effects and a text-image interaction."""
    u, v, w = _weights(np.shape(text)[1], np.shape(image)[1])
    a = np.asarray(text, dtype=np.float64) @ u
    c = np.asarray(image, dtype=np.float64) @ v
    return np.tanh(a) * c + 0.3 * a**2 + np.sin(np.asarray(image, dtype=np.float64) @ w)


def _f_hand(text, image):
    """f = 2 s + 3 r + s r with s = sum of the text features, r = sum of the image features."""
    s = np.sum(np.asarray(text, dtype=np.float64), axis=1)
    r = np.sum(np.asarray(image, dtype=np.float64), axis=1)
    return 2.0 * s + 3.0 * r + s * r


def _f_text_only(text, image):
    """A predict function that ignores the image."""
    u, _, _ = _weights(np.shape(text)[1], np.shape(image)[1])
    return np.tanh(np.asarray(text, dtype=np.float64) @ u) * 2.0 + 0.5


def _f_additive(text, image):
    """g(text) + h(image): no interaction."""
    u, _, w = _weights(np.shape(text)[1], np.shape(image)[1])
    g = np.exp(0.5 * np.tanh(np.asarray(text, dtype=np.float64) @ u))
    return g + np.cos(np.asarray(image, dtype=np.float64) @ w)


def _f_symmetric(text, image):
    """sin(s) + sin(r) + s r: symmetric in the sums s, r of the two modalities."""
    s = np.sum(np.asarray(text, dtype=np.float64), axis=1)
    r = np.sum(np.asarray(image, dtype=np.float64), axis=1)
    return np.sin(s) + np.sin(r) + s * r


def _f_image_4d(text, image):
    """A predict function on image batches of shape (B, H, W, C)."""
    flat = np.asarray(image, dtype=np.float64).reshape(np.shape(image)[0], -1)
    return np.sum(np.asarray(text, dtype=np.float64), axis=1) * np.tanh(flat.mean(axis=1)) + flat.sum(axis=1)


def _inputs(seed, batch=5, dt=4, di=3):
    """Inputs and per-sample baselines, entries ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(batch, dt)), rng.normal(size=(batch, di)),
            rng.normal(size=(batch, dt)), rng.normal(size=(batch, di)))


def _np_two_player_shapley(f, text, image, text_baseline, image_baseline):
    """Average over the two orderings of each modality's marginal contribution (float64)."""
    t, i = np.asarray(text, dtype=np.float64), np.asarray(image, dtype=np.float64)
    t0 = np.broadcast_to(np.asarray(text_baseline, dtype=np.float64), t.shape)
    i0 = np.broadcast_to(np.asarray(image_baseline, dtype=np.float64), i.shape)
    value = {(): f(t0, i0), ("text",): f(t, i0), ("image",): f(t0, i), ("image", "text"): f(t, i)}
    phi = {"text": np.zeros(t.shape[0]), "image": np.zeros(t.shape[0])}
    for order in (("text", "image"), ("image", "text")):
        before = ()
        for player in order:
            after = tuple(sorted(before + (player,)))
            phi[player] = phi[player] + 0.5 * (value[after] - value[before])
            before = after
    return phi["text"], phi["image"]


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """B=3: phi_text and phi_image have shape (3,)"""
    shapley = need(ns, "modality_shapley")
    text, image, text_bl, image_bl = _inputs(1, batch=3)
    phi_text, phi_image = shapley(_f_nonlinear, text, image, text_bl, image_bl)
    return {"phi_text": phi_text, "phi_image": phi_image}


@output_shapes.verdict
def _(got):
    expect_array(got["phi_text"], "phi_text", shape=(3,))
    expect_array(got["phi_image"], "phi_image", shape=(3,))


@suite.check("shape", hidden=True)
def empty_batch_and_image_maps(ns):
    """a batch of 0 gives shape (0,); (B, H, W, C) images with one baseline image work"""
    shapley = need(ns, "modality_shapley")
    text, image, text_bl, image_bl = _inputs(2)
    empty = shapley(_f_nonlinear, text[:0], image[:0], text_bl[:1], image_bl[:1])
    text, image_4d, image_bl_4d = _image_maps()
    maps = shapley(_f_image_4d, text, image_4d, np.zeros(2), image_bl_4d)
    return {"empty_text": empty[0], "empty_image": empty[1], "maps_text": maps[0], "maps_image": maps[1]}


@empty_batch_and_image_maps.verdict
def _(got):
    expect_array(got["empty_text"], "phi_text for a batch of 0", shape=(0,))
    expect_array(got["empty_image"], "phi_image for a batch of 0", shape=(0,))
    text, image_4d, image_bl_4d = _image_maps()
    want_text, want_image = _np_two_player_shapley(_f_image_4d, text, image_4d, np.zeros(2), image_bl_4d)
    expect_close(got["maps_text"], want_text, "phi_text for (B, H, W, C) images")
    expect_close(got["maps_image"], want_image, "phi_image for (B, H, W, C) images")


def _image_maps():
    """Two samples with (3, 3, 1) images and one blurred-like baseline image."""
    rng = np.random.default_rng(22)
    return rng.normal(size=(2, 2)), rng.normal(size=(2, 3, 3, 1)), np.full((3, 3, 1), 0.1)


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """f = 2s + 3r + s·r (s, r sums of the features): the values worked by hand"""
    shapley = need(ns, "modality_shapley")
    text = np.array([[1.0, 1.0], [0.0, 0.0]])
    image = np.array([[3.0], [2.0]])
    text_bl = np.array([[0.5, 0.5], [0.5, 0.5]])
    image_bl = np.array([[-1.0], [-1.0]])
    phi_text, phi_image = shapley(_f_hand, text, image, text_bl, image_bl)
    return {"phi_text": phi_text, "phi_image": phi_image}


@hand_worked_example.verdict
def _(got):
    # Row 1: s=2, r=3, s0=1, r0=-1: f(t,i)=19, f(t,i0)=-1, f(t0,i)=14, f(t0,i0)=-2.
    # Row 2: s=0, r=2:               f(t,i)=6,  f(t,i0)=-3, f(t0,i)=10, f(t0,i0)=-2.
    expect_close(got["phi_text"], [0.5 * ((-1 + 2) + (19 - 14)), 0.5 * ((-3 + 2) + (6 - 10))], "phi_text")
    expect_close(got["phi_image"], [0.5 * ((14 + 2) + (19 + 1)), 0.5 * ((10 + 2) + (6 + 3))], "phi_image")


@suite.check("numeric", hidden=True)
def matches_two_player_formula(ns):
    """a nonlinear f with interaction: both values equal the Shapley values"""
    shapley = need(ns, "modality_shapley")
    phi_text, phi_image = shapley(_f_nonlinear, *_inputs(3))
    return {"phi_text": phi_text, "phi_image": phi_image}


@matches_two_player_formula.verdict
def _(got):
    want_text, want_image = _np_two_player_shapley(_f_nonlinear, *_inputs(3))
    expect_close(got["phi_text"], want_text, "phi_text")
    expect_close(got["phi_image"], want_image, "phi_image")


@suite.check("numeric", hidden=True)
def efficiency_and_broadcast_baseline(ns):
    """one baseline row for the whole batch: values sum to f(t, i) - f(t0, i0) and match the formula"""
    shapley = need(ns, "modality_shapley")
    text, image, text_bl, image_bl = _inputs(4, batch=6)
    phi_text, phi_image = shapley(_f_nonlinear, text, image, text_bl[0], image_bl[:1])
    return {"phi_text": phi_text, "phi_image": phi_image}


@efficiency_and_broadcast_baseline.verdict
def _(got):
    text, image, text_bl, image_bl = _inputs(4, batch=6)
    phi_text = expect_array(got["phi_text"], "phi_text", shape=(6,)).astype(np.float64)
    phi_image = expect_array(got["phi_image"], "phi_image", shape=(6,)).astype(np.float64)
    total = _f_nonlinear(text, image) - _f_nonlinear(np.broadcast_to(text_bl[0], text.shape),
                                                     np.broadcast_to(image_bl[:1], image.shape))
    expect_close(phi_text + phi_image, total, "phi_text + phi_image (efficiency)")
    want_text, want_image = _np_two_player_shapley(_f_nonlinear, text, image, text_bl[0], image_bl[:1])
    expect_close(phi_text, want_text, "phi_text with a broadcast baseline")
    expect_close(phi_image, want_image, "phi_image with a broadcast baseline")


@suite.check("numeric", hidden=True)
def additive_gives_separate_contributions(ns):
    """f = g(text) + h(image): phi_text = g(t) - g(t0), phi_image = h(i) - h(i0)"""
    shapley = need(ns, "modality_shapley")
    phi_text, phi_image = shapley(_f_additive, *_inputs(5))
    return {"phi_text": phi_text, "phi_image": phi_image}


@additive_gives_separate_contributions.verdict
def _(got):
    text, image, text_bl, image_bl = _inputs(5)
    expect_close(got["phi_text"], _f_additive(text, image_bl) - _f_additive(text_bl, image_bl), "phi_text")
    expect_close(got["phi_image"], _f_additive(text_bl, image) - _f_additive(text_bl, image_bl), "phi_image")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def dummy_modality_gets_zero(ns):
    """f ignores the image: phi_image is 0 and phi_text is f(t, i) - f(t0, i0)"""
    shapley = need(ns, "modality_shapley")
    phi_text, phi_image = shapley(_f_text_only, *_inputs(6, batch=4))
    return {"phi_text": phi_text, "phi_image": phi_image}


@dummy_modality_gets_zero.verdict
def _(got):
    text, image, text_bl, image_bl = _inputs(6, batch=4)
    expect_close(got["phi_image"], np.zeros(4), "phi_image of a function that ignores the image", atol=1e-12)
    expect_close(got["phi_text"], _f_text_only(text, image) - _f_text_only(text_bl, image_bl), "phi_text")


@suite.check("behavior", hidden=True)
def symmetric_players_split_equally(ns):
    """a function symmetric in the two modalities gives them equal values"""
    shapley = need(ns, "modality_shapley")
    text, image, text_bl, image_bl = _symmetric_inputs()
    phi_text, phi_image = shapley(_f_symmetric, text, image, text_bl, image_bl)
    return {"phi_text": phi_text, "phi_image": phi_image}


@symmetric_players_split_equally.verdict
def _(got):
    phi_text = expect_array(got["phi_text"], "phi_text", shape=(4,)).astype(np.float64)
    phi_image = expect_array(got["phi_image"], "phi_image", shape=(4,)).astype(np.float64)
    text, image, text_bl, image_bl = _symmetric_inputs()
    expect_close(phi_text, phi_image, "phi_text against phi_image for symmetric players")
    total = _f_symmetric(text, image) - _f_symmetric(np.broadcast_to(text_bl, text.shape),
                                                     np.broadcast_to(image_bl, image.shape))
    expect_close(phi_text + phi_image, total, "phi_text + phi_image (efficiency)")


def _symmetric_inputs():
    """The image is the text reversed, the image baseline the text baseline reversed."""
    rng = np.random.default_rng(7)
    text = rng.normal(size=(4, 3))
    text_bl = rng.normal(size=(3,))
    return text, text[:, ::-1].copy(), text_bl, text_bl[::-1].copy()


@suite.check("behavior", hidden=True)
def vectorized_calls(ns):
    """predict_fn is called at most 4 times, each time on whole batches; inputs unchanged"""
    shapley = need(ns, "modality_shapley")
    text, image, text_bl, image_bl = _inputs(8, batch=6)
    sizes = []

    def counting_fn(t, i):
        sizes.append(float(np.shape(t)[0]))
        return _f_nonlinear(t, i)

    shapley(counting_fn, text, image, text_bl, image_bl)
    return {"sizes": np.array(sizes, dtype=np.float64), "text": text, "image": image,
            "text_bl": text_bl, "image_bl": image_bl}


@vectorized_calls.verdict
def _(got):
    sizes = expect_array(got["sizes"], "batch sizes of the calls", kinds="f")
    expect(1 <= sizes.shape[0] <= 4, f"predict_fn should be called 1 to 4 times, got {sizes.shape[0]} calls")
    expect(bool(np.all(sizes >= 6)), "every call of predict_fn should get the whole batch (6 rows or more)")
    for key, want in zip(("text", "image", "text_bl", "image_bl"), _inputs(8, batch=6), strict=True):
        expect_close(got[key], want, f"{key} after the call", rtol=0, atol=0)


def _bad_input_expectations():
    """Each bad input of the exercise's table and the one exception it must raise."""
    return {
        "text and image with different batch sizes": "ValueError",
        "a text baseline that cannot broadcast to the text": "ValueError",
        "a predict_fn that is not callable": "TypeError",
        "a predict_fn returning two outputs per sample": "ValueError",
        "a string as text": "TypeError",
        "a scalar text with no batch axis": "ValueError",
    }


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """mismatched batches, a baseline or output of the wrong shape raise ValueError; non-callable or text TypeError"""
    shapley = need(ns, "modality_shapley")
    text, image, text_bl, image_bl = _inputs(9, batch=3)
    f = _f_nonlinear

    def two_outputs(t, i):
        return np.stack([_f_nonlinear(t, i)] * 2, axis=1)

    return {
        "text and image with different batch sizes": raised(shapley, f, text, image[:2], text_bl, image_bl[:2]),
        "a text baseline that cannot broadcast to the text": raised(shapley, f, text, image, np.zeros(5), image_bl),
        "a predict_fn that is not callable": raised(shapley, 3, text, image, text_bl, image_bl),
        "a predict_fn returning two outputs per sample": raised(shapley, two_outputs, text, image, text_bl, image_bl),
        "a string as text": raised(shapley, _f_nonlinear, "text", image, text_bl, image_bl),
        "a scalar text with no batch axis": raised(shapley, _f_nonlinear, 1.0, image, text_bl, image_bl),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
