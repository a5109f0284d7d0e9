"""Checks of t11 · multimodal mixup.

The mixing checks take λ and the permutation the student's function returns and verify, on
inputs the verdict regenerates itself, that the *same* λ and permutation produced the text,
the image and the labels: a second λ or permutation for one modality, unmixed labels or
λ and 1 - λ swapped all break the identity far beyond the float32 tolerance. The
distribution of λ is checked by its moments over many seeds against Beta(α, α), with
tolerances of five standard errors computed from the sample size.
"""

import math

import numpy as np

from autograder.checks import Suite
from autograder.runtime import (
    expect,
    expect_array,
    expect_close,
    expect_equal,
    expect_number,
    expect_raises,
    need,
    raised,
)

suite = Suite("t11_mixup", points={"shape": 2, "numeric": 5, "behavior": 3})


def _batch(seed, b=6, dt=4, image_shape=(3,), c=3):
    """Text, image and one-hot labels of a batch of ``b`` distinct samples."""
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(b, dt))
    image = rng.normal(size=(b, *image_shape))
    labels = np.eye(c)[rng.integers(0, c, size=b)]
    return text, image, labels


def _named(out):
    """The five results of ``multimodal_mixup`` by name."""
    out = tuple(out)
    expect(len(out) == 5, f"expected 5 results (text_mix, image_mix, labels_mix, lam, perm), got {len(out)}")
    return dict(zip(("text_mix", "image_mix", "labels_mix", "lam", "perm"), out, strict=True))


def _expect_mixed(got, seed, **shape):
    """Check lam, perm and the three mixes against the inputs of ``_batch(seed, **shape)``."""
    text, image, labels = _batch(seed, **shape)
    b = text.shape[0]
    lam = expect_number(got["lam"], "lam")
    expect(0.0 <= lam <= 1.0, f"lam must lie in [0, 1], got {lam}")
    perm = expect_array(got["perm"], "perm", shape=(b,), kinds="iu")
    expect_equal(np.sort(perm), np.arange(b), "perm sorted (a permutation of 0..B-1)")
    for name, x in (("text_mix", text), ("image_mix", image), ("labels_mix", labels)):
        expect_close(got[name], lam * x + (1.0 - lam) * x[perm], f"{name} with the returned lam and perm")


def _beta_moments(alpha):
    """Mean and standard deviation of λ and of λ(1 - λ) for λ ~ Beta(alpha, alpha)."""
    a = alpha
    var = 1.0 / (4.0 * (2.0 * a + 1.0))
    m2 = a / (2.0 * (2.0 * a + 1.0))  # E[λ(1-λ)] = ab / ((a+b)(a+b+1))
    m4 = (a * (a + 1.0)) ** 2 / ((2 * a) * (2 * a + 1) * (2 * a + 2) * (2 * a + 3))  # E[λ²(1-λ)²]
    return 0.5, math.sqrt(var), m2, math.sqrt(m4 - m2 * m2)


def _draws(fn, alpha, n):
    """λ and 'perm is the identity' for seeds 0..n-1 on a batch of two."""
    text, image, labels = _batch(0, b=2)
    lams, identity = [], []
    for seed in range(n):
        out = fn(text, image, labels, alpha=alpha, seed=seed)
        lams.append(float(out[3]))
        identity.append(float(np.array_equal(np.asarray(out[4]), [0, 1])))
    return lams, identity


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "integer class ids of shape (B,) instead of one-hot labels": "ValueError",
        "label rows summing to 2": "ValueError",
        "a label row with a negative entry": "ValueError",
        "text and image with different batch sizes": "ValueError",
        "labels with a different batch size": "ValueError",
        "alpha = 0": "ValueError",
        "a negative alpha": "ValueError",
        "alpha given as a string": "TypeError",
        "a string as text": "TypeError",
        "bool one-hot labels": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """text (4, 3), image (4, 2, 2), labels (4, 5) keep their shapes; lam a number, perm (4,)"""
    mixup = need(ns, "multimodal_mixup")
    rng = np.random.default_rng(0)
    out = mixup(rng.normal(size=(4, 3)), rng.normal(size=(4, 2, 2)), np.eye(5)[[0, 1, 2, 3]], seed=0)
    return _named(out)


@output_shapes.verdict
def _(got):
    expect_array(got["text_mix"], "text_mix", shape=(4, 3))
    expect_array(got["image_mix"], "image_mix", shape=(4, 2, 2))
    expect_array(got["labels_mix"], "labels_mix", shape=(4, 5))
    expect_number(got["lam"], "lam")
    expect_array(got["perm"], "perm", shape=(4,), kinds="iu")


@suite.check("shape", hidden=True)
def empty_batch(ns):
    """a batch of 0 gives empty mixes of the right shapes and an empty permutation"""
    mixup = need(ns, "multimodal_mixup")
    out = mixup(np.zeros((0, 3)), np.zeros((0, 2, 2)), np.zeros((0, 4)), seed=1)
    return _named(out)


@empty_batch.verdict
def _(got):
    expect_array(got["text_mix"], "text_mix", shape=(0, 3))
    expect_array(got["image_mix"], "image_mix", shape=(0, 2, 2))
    expect_array(got["labels_mix"], "labels_mix", shape=(0, 4))
    lam = expect_number(got["lam"], "lam")
    expect(0.0 <= lam <= 1.0, "lam must lie in [0, 1]")
    expect_array(got["perm"], "perm", shape=(0,), kinds="iu")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def one_lambda_one_permutation(ns):
    """text, image and labels are all lam * x + (1 - lam) * x[perm] with the returned lam and perm"""
    mixup = need(ns, "multimodal_mixup")
    out = mixup(*_batch(3), alpha=1.0, seed=3)
    return _named(out)


@one_lambda_one_permutation.verdict
def _(got):
    _expect_mixed(got, 3)


@suite.check("numeric", hidden=True)
def mixing_formula_other_batch(ns):
    """a batch of 9 with (3, 2) image features: one lam and one perm for everything"""
    mixup = need(ns, "multimodal_mixup")
    out = mixup(*_batch(4, b=9, dt=5, image_shape=(3, 2), c=4), alpha=0.4, seed=11)
    return _named(out)


@mixing_formula_other_batch.verdict
def _(got):
    _expect_mixed(got, 4, b=9, dt=5, image_shape=(3, 2), c=4)
    perm = got["perm"]
    expect(not np.array_equal(perm, np.arange(9)), "perm must be a random permutation, got the identity")
    expect(0.0 < expect_number(got["lam"], "lam") < 1.0, "lam must mix the two samples")


@suite.check("numeric", hidden=True)
def lambda_follows_beta(ns):
    """over many seeds λ has the moments of Beta(α, α) (α = 0.2 and 2) and perm is uniform"""
    mixup = need(ns, "multimodal_mixup")
    lam_small, identity = _draws(mixup, 0.2, 300)
    lam_large, _ = _draws(mixup, 2.0, 200)
    return {"small": lam_small, "large": lam_large, "identity": identity}


@lambda_follows_beta.verdict
def _(got):
    for key, alpha in (("small", 0.2), ("large", 2.0)):
        lam = expect_array(got[key], f"λ drawn with alpha={alpha}", kinds="f")
        n = lam.size
        mean, sd, m2, sd2 = _beta_moments(alpha)
        expect(bool(np.all((lam >= 0) & (lam <= 1))), f"λ drawn with alpha={alpha} must lie in [0, 1]")
        expect(abs(float(np.mean(lam)) - mean) <= 5 * sd / math.sqrt(n),
               f"mean of λ with alpha={alpha} is not that of Beta(alpha, alpha)")
        expect(abs(float(np.mean(lam * (1 - lam))) - m2) <= 5 * sd2 / math.sqrt(n),
               f"mean of λ(1-λ) with alpha={alpha} is not that of Beta(alpha, alpha)")
    identity = expect_array(got["identity"], "identity flags", kinds="f")
    n = identity.size
    expect(abs(float(np.mean(identity)) - 0.5) <= 5 * 0.5 / math.sqrt(n),
           "a batch of two must be swapped by the permutation about half of the time")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def seeded_and_deterministic(ns):
    """the same seed gives the same result; a different seed a different λ or permutation"""
    mixup = need(ns, "multimodal_mixup")
    first = mixup(*_batch(5, b=8), seed=7)
    again = mixup(*_batch(5, b=8), seed=7)
    other = mixup(*_batch(5, b=8), seed=8)
    return {"first": _named(first), "again": _named(again), "other": _named(other)}


@seeded_and_deterministic.verdict
def _(got):
    first, again, other = got["first"], got["again"], got["other"]
    for name in ("text_mix", "image_mix", "labels_mix"):
        expect_close(again[name], expect_array(first[name], name), f"{name} for the same seed", rtol=0, atol=0)
    expect_equal(again["lam"], first["lam"], "lam for the same seed")
    expect_equal(again["perm"], first["perm"], "perm for the same seed")
    changed = bool(expect_number(other["lam"], "lam") != expect_number(first["lam"], "lam")
                   or not np.array_equal(other["perm"], first["perm"]))
    expect(changed, "seeds 7 and 8 gave the same lam and perm: is the seed used?")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    mixup = need(ns, "multimodal_mixup")
    text, image, labels = _batch(6)
    negative = labels.copy()
    negative[0] = [1.5, -0.5, 0.0]
    return {
        "integer class ids of shape (B,) instead of one-hot labels":
            raised(mixup, text, image, np.array([0, 1, 2, 0, 1, 2]), seed=0),
        "label rows summing to 2": raised(mixup, text, image, labels * 2.0, seed=0),
        "a label row with a negative entry": raised(mixup, text, image, negative, seed=0),
        "text and image with different batch sizes": raised(mixup, text, image[:5], labels, seed=0),
        "labels with a different batch size": raised(mixup, text, image, labels[:5], seed=0),
        "alpha = 0": raised(mixup, text, image, labels, alpha=0.0, seed=0),
        "a negative alpha": raised(mixup, text, image, labels, alpha=-1.0, seed=0),
        "alpha given as a string": raised(mixup, text, image, labels, alpha="0.2", seed=0),
        "a string as text": raised(mixup, "text", image, labels, seed=0),
        "bool one-hot labels": raised(mixup, text, image, labels > 0.5, seed=0),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the call"""
    mixup = need(ns, "multimodal_mixup")
    text, image, labels = _batch(8)
    mixup(text, image, labels, alpha=1.0, seed=2)
    return {"text": text, "image": image, "labels": labels}


@inputs_not_mutated.verdict
def _(got):
    text, image, labels = _batch(8)
    expect_close(got["text"], text, "text after the call", rtol=0, atol=0)
    expect_close(got["image"], image, "image after the call", rtol=0, atol=0)
    expect_close(got["labels"], labels, "labels after the call", rtol=0, atol=0)
