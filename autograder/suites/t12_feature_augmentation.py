"""Checks of t12 · feature augmentation.

The noise and dropout checks are statistical, on fixed seeds and batches large enough that
every tolerance is five standard errors computed from the sample size: the noise's mean,
standard deviation, and its correlation across modalities and across features; the
fraction of samples that lose a modality. A correct implementation fails one of them with
probability below 1e-5 whatever random generator it uses, while a wrong standard deviation
(e.g. the variance), shared noise, per-batch instead of per-sample dropout or a halved
probability all miss by tens of standard errors.
"""

import math

import numpy as np

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_raises, need, raised

suite = Suite("t12_feature_augmentation", points={"shape": 2, "numeric": 4, "behavior": 4})


def _features(seed, b=5, dt=3, di=4):
    """Non-zero text and image features: entries in ±[0.5, 2]."""
    rng = np.random.default_rng(seed)
    text = rng.choice([-1.0, 1.0], size=(b, dt)) * rng.uniform(0.5, 2.0, size=(b, dt))
    image = rng.choice([-1.0, 1.0], size=(b, di)) * rng.uniform(0.5, 2.0, size=(b, di))
    return text, image


def _expect_within(value, want, standard_error, what):
    """``value`` is within five standard errors of ``want``."""
    expect(abs(value - want) <= 5.0 * standard_error,
           f"{what} is off by more than five standard errors of the sample")


def _correlation(a, b):
    """Pearson correlation of two equally long 1-D samples."""
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / math.sqrt(float(np.sum(a * a) * np.sum(b * b))))


def _row_is_zero(x):
    """Per sample: are all features exactly zero?"""
    return np.all(x.reshape(x.shape[0], -1) == 0.0, axis=1)


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "noise_std < 0": "ValueError",
        "noise_std = NaN": "ValueError",
        "noise_std given as a string": "TypeError",
        "modality_dropout = 1.5": "ValueError",
        "modality_dropout = -0.1": "ValueError",
        "text and image with different batch sizes": "ValueError",
        "a 1-D text of shape (B,)": "ValueError",
        "a string as text": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """(4, 3) text and (4, 5) image keep their shapes"""
    augment = need(ns, "augment_features")
    text, image = _features(0, b=4, dt=3, di=5)
    text_aug, image_aug = augment(text, image, seed=0)
    return {"text": text_aug, "image": image_aug}


@output_shapes.verdict
def _(got):
    expect_array(got["text"], "text_aug", shape=(4, 3))
    expect_array(got["image"], "image_aug", shape=(4, 5))


@suite.check("shape", hidden=True)
def other_ranks_and_empty_batch(ns):
    """(3, 2, 4) text with (3, 6) image under dropout, and a batch of 0, keep their shapes"""
    augment = need(ns, "augment_features")
    rng = np.random.default_rng(1)
    t3, i3 = augment(rng.normal(size=(3, 2, 4)), rng.normal(size=(3, 6)), modality_dropout=0.5, seed=1)
    t0, i0 = augment(np.zeros((0, 3)), np.zeros((0, 5)), modality_dropout=0.5, seed=1)
    return {"t3": t3, "i3": i3, "t0": t0, "i0": i0}


@other_ranks_and_empty_batch.verdict
def _(got):
    expect_array(got["t3"], "text_aug of (3, 2, 4) text", shape=(3, 2, 4))
    expect_array(got["i3"], "image_aug of (3, 6) image", shape=(3, 6))
    expect_array(got["t0"], "text_aug of a batch of 0", shape=(0, 3))
    expect_array(got["i0"], "image_aug of a batch of 0", shape=(0, 5))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def zero_noise_zero_dropout_is_identity(ns):
    """noise_std=0 and modality_dropout=0 leave the features unchanged in training mode"""
    augment = need(ns, "augment_features")
    text, image = _features(2)
    text_aug, image_aug = augment(text, image, noise_std=0.0, modality_dropout=0.0, seed=2)
    return {"text": text_aug, "image": image_aug}


@zero_noise_zero_dropout_is_identity.verdict
def _(got):
    text, image = _features(2)
    expect_close(got["text"], text, "text_aug")
    expect_close(got["image"], image, "image_aug")


@suite.check("numeric", hidden=True)
def noise_is_independent_with_the_requested_std(ns):
    """the added noise has mean 0 and std noise_std, independently per modality and per feature"""
    augment = need(ns, "augment_features")
    text, image = _features(3, b=2000, dt=8, di=8)
    text_aug, image_aug = augment(text, image, noise_std=0.3, seed=3)
    return {"text": text_aug, "image": image_aug}


@noise_is_independent_with_the_requested_std.verdict
def _(got):
    text, image = _features(3, b=2000, dt=8, di=8)
    noise = {}
    for name, x in (("text", text), ("image", image)):
        out = expect_array(got[name], f"{name}_aug", shape=x.shape).astype(np.float64)
        noise[name] = out - x
        n = x.size
        _expect_within(float(np.mean(noise[name])), 0.0, 0.3 / math.sqrt(n), f"mean of the {name} noise")
        _expect_within(float(np.std(noise[name])), 0.3, 0.3 / math.sqrt(2.0 * n), f"std of the {name} noise")
        expect(not np.any(np.all(noise[name] == 0.0, axis=1)), f"some {name} rows got no noise")
        adjacent = _correlation(noise[name][:, :-1].ravel(), noise[name][:, 1:].ravel())
        _expect_within(adjacent, 0.0, 1.0 / math.sqrt(n), f"correlation of neighbouring {name} features' noise")
    across = _correlation(noise["text"].ravel(), noise["image"].ravel())
    _expect_within(across, 0.0, 1.0 / math.sqrt(text.size), "correlation between the text and image noise")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def inference_returns_the_inputs(ns):
    """training=False returns the features unchanged, whatever noise_std and modality_dropout say"""
    augment = need(ns, "augment_features")
    text, image = _features(4)
    text_aug, image_aug = augment(text, image, noise_std=0.5, modality_dropout=0.5, seed=4, training=False)
    return {"text": text_aug, "image": image_aug}


@inference_returns_the_inputs.verdict
def _(got):
    text, image = _features(4)
    expect_close(got["text"], text, "text_aug at inference")
    expect_close(got["image"], image, "image_aug at inference")


@suite.check("behavior", hidden=True)
def seeded_and_deterministic(ns):
    """the same seed gives the same augmentation, another seed a different one"""
    augment = need(ns, "augment_features")
    text, image = _features(5, b=16)
    first = augment(text, image, noise_std=0.2, modality_dropout=0.5, seed=10)
    again = augment(text, image, noise_std=0.2, modality_dropout=0.5, seed=10)
    other = augment(text, image, noise_std=0.2, modality_dropout=0.5, seed=11)
    runs = (("first", first), ("again", again), ("other", other))
    return {key: dict(zip(("text_aug", "image_aug"), out, strict=True)) for key, out in runs}


@seeded_and_deterministic.verdict
def _(got):
    for name in ("text_aug", "image_aug"):
        first = expect_array(got["first"][name], name, kinds="f")
        expect_close(got["again"][name], first, f"{name} for the same seed", rtol=0, atol=0)
        other = expect_array(got["other"][name], name, shape=first.shape, kinds="f")
        expect(not np.array_equal(other, first), f"{name} for seeds 10 and 11 is identical: is the seed used?")


@suite.check("behavior", hidden=True)
def modality_dropout_drops_one_never_both(ns):
    """with p = 1 every sample loses exactly one modality; with p = 0.5 about half do; never both"""
    augment = need(ns, "augment_features")
    ones_t, ones_i = np.ones((2000, 3)), np.ones((2000, 4))
    t1, i1 = augment(ones_t, ones_i, noise_std=0.1, modality_dropout=1.0, seed=6)
    th, ih = augment(ones_t, ones_i, noise_std=0.1, modality_dropout=0.5, seed=7)
    t0, i0 = augment(ones_t, ones_i, noise_std=0.1, modality_dropout=0.0, seed=8)
    return {"t1": t1, "i1": i1, "th": th, "ih": ih, "t0": t0, "i0": i0}


@modality_dropout_drops_one_never_both.verdict
def _(got):
    flags = {}
    for key, width in (("t1", 3), ("i1", 4), ("th", 3), ("ih", 4), ("t0", 3), ("i0", 4)):
        flags[key] = _row_is_zero(expect_array(got[key], key, shape=(2000, width)))
    n = 2000
    for p, t, i in ((1.0, "t1", "i1"), (0.5, "th", "ih"), (0.0, "t0", "i0")):
        expect(not np.any(flags[t] & flags[i]), f"with modality_dropout={p} some samples lost both modalities")
        dropped = float(np.mean(flags[t] | flags[i]))
        _expect_within(dropped, p, math.sqrt(p * (1 - p) / n), f"fraction of samples losing a modality at p={p}")
    _expect_within(float(np.mean(flags["t1"])), 0.5, math.sqrt(0.25 / n),
                   "fraction of samples losing the text (rather than the image) at p=1")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    augment = need(ns, "augment_features")
    text, image = _features(9)
    return {
        "noise_std < 0": raised(augment, text, image, noise_std=-0.1, seed=0),
        "noise_std = NaN": raised(augment, text, image, noise_std=float("nan"), seed=0),
        "noise_std given as a string": raised(augment, text, image, noise_std="0.1", seed=0),
        "modality_dropout = 1.5": raised(augment, text, image, modality_dropout=1.5, seed=0),
        "modality_dropout = -0.1": raised(augment, text, image, modality_dropout=-0.1, seed=0),
        "text and image with different batch sizes": raised(augment, text, image[:3], seed=0),
        "a 1-D text of shape (B,)": raised(augment, text[:, 0], image, seed=0),
        "a string as text": raised(augment, "text", image, seed=0),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the call"""
    augment = need(ns, "augment_features")
    text, image = _features(10)
    augment(text, image, noise_std=0.3, modality_dropout=0.5, seed=1)
    return {"text": text, "image": image}


@inputs_not_mutated.verdict
def _(got):
    text, image = _features(10)
    expect_close(got["text"], text, "text after the call", rtol=0, atol=0)
    expect_close(got["image"], image, "image after the call", rtol=0, atol=0)
