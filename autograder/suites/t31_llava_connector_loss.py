"""Checks of t31 · LLaVA-style connector and the masked next-token loss.

Independent oracles, float64 NumPy: ``_np_projector`` evaluates ``W2ᵀ gelu(W1ᵀ x + b1) + b2``
with the layer's own weights (read from the named ``Dense`` sublayers after giving each bias a
nonzero seeded value), GELU written with ``math.erf``; ``_np_token_losses`` computes each
position's cross-entropy with an explicit log-sum-exp, and ``_np_loss`` reduces them per token
or per sample. The gradient check compares ``tf.GradientTape`` on float64 logits with the
closed form ``(softmax - onehot) * weight`` of every unmasked position.

Inputs. Vision features ~ N(0, 1) with Glorot kernels give pre-activations of order 1, where
exact and tanh GELU differ by up to 4.7e-4 (far above the tolerance) and GELU is far from
linear. Logits ~ N(0, 1.5) do not saturate the softmax. The labels mask a prompt prefix and a
padding suffix of different lengths per sample (answers of 1 to 6 tokens, one sample with none),
so per-token and per-sample averages differ by far more than the tolerance, and so does any
average that counts masked positions or empty samples.
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
    expect_number,
    expect_raises,
    need,
    raised,
)

suite = Suite("t31_llava_connector_loss", points={"shape": 2, "numeric": 4, "behavior": 4})


# --------------------------------------------------------------------------- helpers
def _features(seed, batch=2, tokens=5, dv=6):
    """Vision features (B, N, Dv) ~ N(0, 1), float32."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, size=(batch, tokens, dv)).astype(np.float32)


def _built_projector(ns, llm_dim, features, seed):
    """The student's projector, built by one call under a fixed seed, biases set to nonzero values."""
    keras.utils.set_random_seed(seed)
    layer = need(ns, "MlpProjector")(llm_dim)
    layer(features)
    rng = np.random.default_rng(seed)
    for name in ("linear_1", "linear_2"):
        dense = getattr(layer, name, None)
        if not isinstance(dense, keras.layers.Dense) or dense.bias is None:
            raise CheckFailed(f"layer.{name} must be a keras.layers.Dense with a bias (see the exercise)")
        dense.bias.assign(rng.normal(0.0, 0.5, size=tuple(dense.bias.shape)))
    return layer


def _weights_of(layer):
    """Kernel and bias of linear_1 and linear_2, as NumPy arrays."""
    return {name: {"kernel": getattr(layer, name).kernel.numpy(), "bias": getattr(layer, name).bias.numpy()}
            for name in ("linear_1", "linear_2")}


def _np_gelu(x):
    """Exact GELU x * Phi(x), Phi the standard normal CDF written with math.erf."""
    x = np.asarray(x, dtype=np.float64)
    erf = np.vectorize(math.erf)(x / math.sqrt(2.0)) if x.size else x
    return 0.5 * x * (1.0 + erf)


def _np_projector(features, weights):
    """Float64 oracle: returns (output, pre-activations of the GELU)."""
    w = {name: {part: np.asarray(a, np.float64) for part, a in parts.items()} for name, parts in weights.items()}
    pre = np.asarray(features, np.float64) @ w["linear_1"]["kernel"] + w["linear_1"]["bias"]
    return _np_gelu(pre) @ w["linear_2"]["kernel"] + w["linear_2"]["bias"], pre


def _expect_projector_weights(weights, dv, llm_dim):
    """Both Dense layers map to llm_dim (Dv -> llm_dim -> llm_dim) and are not degenerate."""
    shapes = {"linear_1": (dv, llm_dim), "linear_2": (llm_dim, llm_dim)}
    for name, shape in shapes.items():
        kernel = expect_array(weights[name]["kernel"], f"{name} kernel", shape=shape, kinds="f")
        bias = expect_array(weights[name]["bias"], f"{name} bias", shape=(llm_dim,), kinds="f")
        expect(bool(np.std(kernel) > 0.05 and np.std(bias) > 0.05), f"{name}: degenerate weights")


def _loss_inputs(seed, prompts=(2, 1, 3, 4), answers=(3, 6, 1, 0), length=9, vocab=7, ignore=-100):
    """Logits (B, L, V) ~ N(0, 1.5) and aligned labels: per sample a masked prompt (and image)
    prefix, an answer of the given length, masked padding after it."""
    rng = np.random.default_rng(seed)
    batch = len(prompts)
    logits = rng.normal(0.0, 1.5, size=(batch, length, vocab))
    labels = rng.integers(0, vocab, size=(batch, length))
    positions = np.arange(length)[None, :]
    start = np.asarray(prompts)[:, None]
    answer = (positions >= start) & (positions < start + np.asarray(answers)[:, None])
    return logits, np.where(answer, labels, ignore).astype(np.int64)


def _np_token_losses(logits, labels, ignore=-100):
    """Float64 cross-entropy of every position (explicit log-sum-exp) and the boolean mask."""
    z = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    mask = labels != ignore
    top = z.max(axis=-1, keepdims=True)
    log_sum_exp = top[..., 0] + np.log(np.exp(z - top).sum(axis=-1))
    target = np.take_along_axis(z, np.where(mask, labels, 0)[..., None], axis=-1)[..., 0]
    return np.where(mask, log_sum_exp - target, 0.0), mask


def _np_loss(logits, labels, reduction, ignore=-100):
    """Float64 oracle of the reduced loss."""
    losses, mask = _np_token_losses(logits, labels, ignore)
    if reduction == "token":
        return losses.sum() / mask.sum() if mask.any() else 0.0
    rows = [losses[b][mask[b]].mean() for b in range(losses.shape[0]) if mask[b].any()]
    return float(np.mean(rows)) if rows else 0.0


def _np_loss_gradient(logits, labels, reduction, ignore=-100):
    """Closed-form d loss / d logits: (softmax - onehot) times each unmasked position's weight."""
    z = np.asarray(logits, dtype=np.float64)
    mask = np.asarray(labels) != ignore
    soft = np.exp(z - z.max(axis=-1, keepdims=True))
    soft /= soft.sum(axis=-1, keepdims=True)
    onehot = np.eye(z.shape[-1])[np.where(mask, labels, 0)]
    counts = mask.sum(axis=-1, keepdims=True)
    if reduction == "token":
        weight = mask / max(mask.sum(), 1)
    else:
        weight = np.where(mask, 1.0 / np.maximum(counts, 1), 0.0) / max(int((counts > 0).sum()), 1)
    return (soft - onehot) * weight[..., None]


def _accumulation_inputs():
    """Four samples: two long answers (6 and 5 tokens) the logits already favour, two 1-token answers."""
    logits, labels = _loss_inputs(318, prompts=(1, 2, 0, 3), answers=(6, 5, 1, 1), length=8, vocab=6)
    favoured = np.where(labels[:2] >= 0, labels[:2], 0)
    np.put_along_axis(logits[:2], favoured[..., None], 4.0, axis=-1)
    return logits, labels


def _huge_logits():
    """Float32 logits of magnitude 1e4 (exact in float32) and labels: (1, 3, 4)."""
    logits = np.array([[[1e4, 1e4 - 1.0, -1e4, 0.0],
                        [-1e4, 1e4, 0.0, 5.0],
                        [3e3, -3e3, 0.0, 1e4]]], dtype=np.float32)
    return logits, np.array([[1, 0, 3]]), np.array([[1, -100, -100]])


def _projector_cases():
    """The labels of _bad_input_expectations() tried on MlpProjector."""
    return ("llm_dim = 0", "llm_dim = -8", "llm_dim = 8.0 (a float)", "llm_dim = '8' (text)",
            "llm_dim = True (a bool)", "features of rank 2 (N, Dv)",
            "features with Dv = 5 after a first call with Dv = 6",
            "features = None")


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "llm_dim = 0": "ValueError",
        "llm_dim = -8": "ValueError",
        "llm_dim = 8.0 (a float)": "TypeError",
        "llm_dim = '8' (text)": "TypeError",
        "llm_dim = True (a bool)": "TypeError",
        "features of rank 2 (N, Dv)": "ValueError",
        "features with Dv = 5 after a first call with Dv = 6": "ValueError",
        "features = None": "TypeError",
        "logits of rank 2": "ValueError",
        "labels of shape (B, L + 1)": "ValueError",
        "a label equal to V (out of range)": "ValueError",
        "a label of -1 (neither a class nor ignore_index)": "ValueError",
        "a fractional label (2.5)": "ValueError",
        "boolean labels": "TypeError",
        "labels given as text": "TypeError",
        "logits given as text": "TypeError",
        "ignore_index = -100.0 (a float)": "TypeError",
        "reduction = 'mean'": "ValueError",
        "reduction = None": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """projector: (2, 5, 6) -> (2, 5, 8) with llm_dim 8; loss of (2, 4, 7) logits: one number"""
    keras.utils.set_random_seed(310)
    layer = need(ns, "MlpProjector")(8)
    loss_fn = need(ns, "masked_next_token_loss")
    labels = np.array([[-100, 3, 1, -100], [-100, -100, 6, 0]])
    return {"projected": layer(np.ones((2, 5, 6), np.float32)),
            "loss": loss_fn(np.zeros((2, 4, 7), np.float32), labels)}


@output_shapes.verdict
def _(got):
    expect_array(got["projected"], "projector output", shape=(2, 5, 8), kinds="f")
    loss = expect_number(got["loss"], "loss")
    expect(math.isfinite(loss) and loss > 0, f"loss must be a positive finite number, got {loss}")


@suite.check("shape", hidden=True)
def variables_dtypes_and_empty_inputs(ns):
    """4 trainable variables of the documented shapes; batches of 0, sequences of 0; float64 in, float64 out"""
    features = _features(311, tokens=3, dv=5)
    layer = _built_projector(ns, 4, features, seed=311)
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _loss_inputs(311)
    return {
        "count": len(layer.trainable_variables), "weights": _weights_of(layer),
        "no_images": layer(np.zeros((0, 3, 5), np.float32)), "no_tokens": layer(np.zeros((2, 0, 5), np.float32)),
        "empty_batch": {r: loss_fn(np.zeros((0, 4, 7)), np.zeros((0, 4), np.int64), reduction=r)
                        for r in ("token", "sample")},
        "empty_sequence": {r: loss_fn(np.zeros((3, 0, 7)), np.zeros((3, 0), np.int64), reduction=r)
                           for r in ("token", "sample")},
        "float64": loss_fn(logits, labels),
    }


@variables_dtypes_and_empty_inputs.verdict
def _(got):
    expect_equal(got["count"], 4, "number of trainable variables (2 Dense layers x kernel, bias)")
    _expect_projector_weights(got["weights"], 5, 4)
    expect_array(got["no_images"], "projector output for a batch of 0", shape=(0, 3, 4), kinds="f")
    expect_array(got["no_tokens"], "projector output for 0 tokens", shape=(2, 0, 4), kinds="f")
    for key in ("empty_batch", "empty_sequence"):
        for reduction in ("token", "sample"):
            expect_close(got[key][reduction], 0.0, f"{key} loss with reduction {reduction!r}", rtol=0, atol=0)
    value = expect_array(got["float64"], "loss of float64 logits", shape=(), kinds="f")
    expect(value.dtype == np.float64, "float64 logits must give a float64 loss")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_examples(ns):
    """the exercise's two worked examples: identity/known weights in the projector; a 2 x 3 batch of logits"""
    layer = need(ns, "MlpProjector")(2)
    features = np.array([[[1.0, -1.0], [0.0, 2.0]]], np.float32)
    layer(features)
    layer.linear_1.set_weights([np.eye(2, dtype=np.float32), np.zeros(2, np.float32)])
    layer.linear_2.set_weights([np.array([[1.0, 0.0], [1.0, 1.0]], np.float32), np.array([0.5, 0.0], np.float32)])
    loss_fn = need(ns, "masked_next_token_loss")
    logits = np.array([[[5.0, 1.0, -2.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]],
                       [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [1.0, 0.0, 0.0]]])
    labels = np.array([[-100, 2, 0], [-100, -100, 1]])
    return {"projected": layer(features), "token": loss_fn(logits, labels),
            "sample": loss_fn(logits, labels, reduction="sample")}


@hand_worked_examples.verdict
def _(got):
    # gelu(1) = Phi(1) = 0.8413447461, gelu(-1) = -0.1586552539, gelu(2) = 2 Phi(2) = 1.9544997361
    g1, gm1, g2 = 0.8413447460685429, -0.15865525393145707, 1.9544997361036416
    expect_close(got["projected"], [[[g1 + gm1 + 0.5, gm1], [g2 + 0.5, g2]]], "projector output")
    # unmasked: ln 3 (row [0, 0, 0]), ln(1 + 2 e^-2) (row [2, 0, 0], target 0), ln(e + 2) (row [1, 0, 0], target 1)
    a, b, c = math.log(3.0), math.log1p(2.0 * math.exp(-2.0)), math.log(math.e + 2.0)
    expect_close(got["token"], (a + b + c) / 3, "loss with reduction 'token'")
    expect_close(got["sample"], ((a + b) / 2 + c) / 2, "loss with reduction 'sample'")


@suite.check("numeric", hidden=True)
def projector_matches_oracle(ns):
    """the projector equals linear_2(gelu(linear_1(x))), exact GELU, with the layer's own weights"""
    features = _features(312, batch=3, tokens=4, dv=6)
    layer = _built_projector(ns, 8, features, seed=312)
    return {"out": layer(features), "weights": _weights_of(layer)}


@projector_matches_oracle.verdict
def _(got):
    _expect_projector_weights(got["weights"], 6, 8)
    want, pre = _np_projector(_features(312, batch=3, tokens=4, dv=6), got["weights"])
    expect(bool(np.mean(np.abs(pre) > 0.5) > 0.4),
           "the test inputs barely reach GELU's curved part: degenerate weights")
    expect_close(got["out"], want, "projector output")


@suite.check("numeric", hidden=True)
def token_loss_matches_oracle(ns):
    """reduction 'token': the mean over all unmasked positions of the batch (answers of different lengths)"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _loss_inputs(313)
    return {"f64": loss_fn(logits, labels), "f32": loss_fn(logits.astype(np.float32), labels, reduction="token")}


@token_loss_matches_oracle.verdict
def _(got):
    logits, labels = _loss_inputs(313)
    want = _np_loss(logits, labels, "token")
    expect_close(got["f64"], want, "loss of float64 logits")
    expect_close(got["f32"], want, "loss of float32 logits")


@suite.check("numeric", hidden=True)
def sample_loss_matches_oracle(ns):
    """reduction 'sample': each sample's mean over its answer, averaged over the samples that have one"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _loss_inputs(314)
    longer, longer_labels = _loss_inputs(315, prompts=(0, 5, 2), answers=(8, 1, 0), length=8, vocab=5)
    return {"loss": loss_fn(logits, labels, reduction="sample"),
            "other": loss_fn(longer, longer_labels, reduction="sample")}


@sample_loss_matches_oracle.verdict
def _(got):
    logits, labels = _loss_inputs(314)
    expect_close(got["loss"], _np_loss(logits, labels, "sample"), "loss with reduction 'sample'")
    longer, longer_labels = _loss_inputs(315, prompts=(0, 5, 2), answers=(8, 1, 0), length=8, vocab=5)
    expect_close(got["other"], _np_loss(longer, longer_labels, "sample"), "loss with reduction 'sample'")


@suite.check("numeric", hidden=True)
def stable_for_huge_logits(ns):
    """logits of magnitude 1e4 give the finite log-sum-exp value (targets with probability e^-20000 included)"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels, one = _huge_logits()
    return {"all": loss_fn(logits, labels), "one": loss_fn(logits, one, reduction="sample")}


@stable_for_huge_logits.verdict
def _(got):
    logits, labels, one = _huge_logits()
    # float32 logits of 1e4 carry an absolute rounding of ~1e-3 in a log-sum-exp: atol 2e-3.
    expect_close(got["all"], _np_loss(logits, labels, "token"), "loss of logits of magnitude 1e4", atol=2e-3)
    expect_close(got["one"], _np_loss(logits, one, "sample"), "loss of one position with logits 1e4", atol=2e-3)


@suite.check("numeric", hidden=True)
def gradient_matches_closed_form(ns):
    """in float64, d loss / d logits = (softmax - onehot) x weight on unmasked positions, 0 elsewhere"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _loss_inputs(316, prompts=(1, 0, 4), answers=(2, 5, 0), length=6, vocab=5)
    out = {}
    for reduction in ("token", "sample"):
        z = tf.constant(logits)
        with tf.GradientTape() as tape:
            tape.watch(z)
            loss = loss_fn(z, labels, reduction=reduction)
        out[reduction] = tape.gradient(loss, z)
    return out


@gradient_matches_closed_form.verdict
def _(got):
    logits, labels = _loss_inputs(316, prompts=(1, 0, 4), answers=(2, 5, 0), length=6, vocab=5)
    for reduction in ("token", "sample"):
        want = _np_loss_gradient(logits, labels, reduction)
        expect_close(got[reduction], want, f"gradient with reduction {reduction!r}", rtol=1e-6, atol=1e-8)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def masked_positions_do_not_matter(ns):
    """changing the logits of masked (prompt, image, padding) positions leaves both losses unchanged"""
    loss_fn = need(ns, "masked_next_token_loss")
    rng = np.random.default_rng(317)
    logits = rng.normal(0.0, 1.0, size=(2, 5, 4))
    labels = np.array([[-100, -100, 2, 3, -100], [-100, 1, 0, 0, 2]])
    changed = logits.copy()
    changed[labels == -100] = rng.normal(0.0, 30.0, size=changed[labels == -100].shape)
    return {r: {"plain": loss_fn(logits, labels, reduction=r), "changed": loss_fn(changed, labels, reduction=r)}
            for r in ("token", "sample")}


@masked_positions_do_not_matter.verdict
def _(got):
    for reduction in ("token", "sample"):
        first = expect_number(got[reduction]["plain"], f"loss with reduction {reduction!r}")
        expect(math.isfinite(first) and first > 0, f"loss with reduction {reduction!r} must be positive and finite")
        expect_close(got[reduction]["changed"], first,
                     f"loss ({reduction!r}) after changing the logits of masked positions")


@suite.check("behavior")
def batch_split_like_gradient_accumulation(ns):
    """a batch split in two halves: 'token' loss = token-count-weighted mean of the halves, not their plain mean"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _accumulation_inputs()
    return {r: {"full": loss_fn(logits, labels, reduction=r), "first": loss_fn(logits[:2], labels[:2], reduction=r),
                "second": loss_fn(logits[2:], labels[2:], reduction=r)} for r in ("token", "sample")}


@batch_split_like_gradient_accumulation.verdict
def _(got):
    # first half: 6 + 5 = 11 answer tokens; second half: 1 + 1 = 2 answer tokens; 2 samples each.
    full, first, second = (expect_number(got["token"][k], "loss with reduction 'token'")
                           for k in ("full", "first", "second"))
    expect_close(full, (11 * first + 2 * second) / 13,
                 "'token' loss of the batch vs (11 x first half + 2 x second half) / 13")
    expect(abs(full - (first + second) / 2) > 0.05,
           "the plain mean of the two halves should differ from the batch's 'token' loss on these inputs")
    full, first, second = (expect_number(got["sample"][k], "loss with reduction 'sample'")
                           for k in ("full", "first", "second"))
    expect_close(full, (first + second) / 2, "'sample' loss of the batch vs the mean of the halves (2 samples each)")


@suite.check("behavior", hidden=True)
def custom_ignore_index(ns):
    """ignore_index=-1 masks the positions labelled -1 (and only those)"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _loss_inputs(319, ignore=-1)
    return {r: loss_fn(logits, labels, ignore_index=-1, reduction=r) for r in ("token", "sample")}


@custom_ignore_index.verdict
def _(got):
    logits, labels = _loss_inputs(319, ignore=-1)
    for reduction in ("token", "sample"):
        expect_close(got[reduction], _np_loss(logits, labels, reduction, ignore=-1),
                     f"loss with ignore_index=-1 and reduction {reduction!r}")


@suite.check("behavior", hidden=True)
def all_masked_gives_zero_and_zero_gradient(ns):
    """a batch with no target at all (e.g. answers truncated away) gives 0.0 and a zero gradient, not NaN"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits = tf.constant(np.random.default_rng(320).normal(size=(3, 4, 5)))
    labels = np.full((3, 4), -100)
    out = {}
    for reduction in ("token", "sample"):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = tf.convert_to_tensor(loss_fn(logits, labels, reduction=reduction))
        # a loss that does not depend on the logits at all (a constant 0) has a zero gradient too
        grad = tape.gradient(loss, logits, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        out[reduction] = {"loss": loss, "grad": grad}
    return out


@all_masked_gives_zero_and_zero_gradient.verdict
def _(got):
    for reduction in ("token", "sample"):
        expect_close(got[reduction]["loss"], 0.0, f"loss with every label masked ({reduction!r})", rtol=0, atol=0)
        expect_close(got[reduction]["grad"], np.zeros((3, 4, 5)), f"gradient with every label masked ({reduction!r})",
                     rtol=0, atol=0)


@suite.check("behavior", hidden=True)
def lists_tensors_and_whole_float_labels(ns):
    """lists, tf.Tensors and float labels holding whole numbers (2.0, -100.0) give the same loss"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _loss_inputs(321, prompts=(1, 2), answers=(3, 2), length=6, vocab=4)
    return {
        "lists": loss_fn(logits.tolist(), labels.tolist()),
        "tensors": loss_fn(tf.constant(logits, tf.float64), tf.constant(labels, tf.int32)),
        "floats": loss_fn(logits, labels.astype(np.float64)),
    }


@lists_tensors_and_whole_float_labels.verdict
def _(got):
    logits, labels = _loss_inputs(321, prompts=(1, 2), answers=(3, 2), length=6, vocab=4)
    want = _np_loss(logits, labels, "token")
    for key in ("lists", "tensors", "floats"):
        expect_close(got[key], want, f"loss of {key}")


@suite.check("behavior", hidden=True)
def projector_created_once_trained_and_rebuilt(ns):
    """two calls agree, tokens are projected independently, all 4 variables get gradients, from_config rebuilds it"""
    keras.utils.set_random_seed(322)
    layer = need(ns, "MlpProjector")(6)
    features = _features(322, batch=2, tokens=4, dv=5)
    first = layer(features)
    order = np.array([2, 0, 3, 1])
    permuted = layer(features[:, order])
    target = np.random.default_rng(322).normal(size=(2, 4, 6)).astype(np.float32)
    with tf.GradientTape() as tape:
        second = layer(features)
        loss = tf.reduce_sum(second * target)
    named = [getattr(layer, name, None) for name in ("linear_1", "linear_2")]
    norms = None
    if all(isinstance(dense, keras.layers.Dense) and dense.bias is not None for dense in named):
        grads = tape.gradient(loss, [v for dense in named for v in (dense.kernel, dense.bias)])
        norms = [-1.0 if g is None else float(tf.norm(g)) for g in grads]
    config = layer.get_config()
    clone = type(layer).from_config(config)
    clone(features)
    clone.set_weights(layer.get_weights())
    return {"first": first, "second": second, "permuted": permuted, "count": len(layer.trainable_variables),
            "norms": norms, "llm_dim": config.get("llm_dim"), "rebuilt": clone(features)}


@projector_created_once_trained_and_rebuilt.verdict
def _(got):
    first = expect_array(got["first"], "first output", shape=(2, 4, 6), kinds="f").astype(np.float64)
    expect_close(got["second"], first, "second output on the same features")
    expect_close(got["permuted"], first[:, [2, 0, 3, 1]], "output for the tokens in another order")
    expect_equal(got["count"], 4, "number of trainable variables")
    expect(got["norms"] is not None, "linear_1 and linear_2 must be Dense sublayers with a bias")
    norms = expect_array(got["norms"], "gradient norms", shape=(4,), kinds="f")
    for name, norm in zip(("linear_1.kernel", "linear_1.bias", "linear_2.kernel", "linear_2.bias"), norms, strict=True):
        expect(bool(norm > 1e-6), f"{name} gets no gradient: it is not used by the output")
    expect_equal(got["llm_dim"], 6, "get_config()['llm_dim']")
    expect_close(got["rebuilt"], first, "output of MlpProjector.from_config(get_config()) with the same weights")


@suite.check("behavior", hidden=True)
def projector_bad_input_is_an_error(ns):
    """every bad input of the exercise's table for MlpProjector raises the exception the table names"""
    cls = need(ns, "MlpProjector")
    keras.utils.set_random_seed(324)
    layer = cls(8)
    features = _features(324)
    layer(features)
    return {
        "llm_dim = 0": raised(cls, 0),
        "llm_dim = -8": raised(cls, -8),
        "llm_dim = 8.0 (a float)": raised(cls, 8.0),
        "llm_dim = '8' (text)": raised(cls, "8"),
        "llm_dim = True (a bool)": raised(cls, True),
        "features of rank 2 (N, Dv)": raised(layer, features[0]),
        "features with Dv = 5 after a first call with Dv = 6": raised(layer, features[..., :5]),
        "features = None": raised(layer, None),
    }


@projector_bad_input_is_an_error.verdict
def _(got):
    expected = _bad_input_expectations()
    for label in _projector_cases():
        expect_raises(got[label], expected[label], label)


@suite.check("behavior", hidden=True)
def loss_bad_input_is_an_error(ns):
    """every bad input of the exercise's table for masked_next_token_loss raises the exception the table names"""
    loss_fn = need(ns, "masked_next_token_loss")
    logits, labels = _loss_inputs(325)
    too_big, minus_one, fractional = labels.copy(), labels.copy(), labels.astype(np.float64)
    too_big[0, 2] = 7
    minus_one[1, 0] = -1
    fractional[0, 3] = 2.5
    return {
        "logits of rank 2": raised(loss_fn, logits[0], labels),
        "labels of shape (B, L + 1)": raised(loss_fn, logits, np.concatenate([labels, labels[:, :1]], axis=1)),
        "a label equal to V (out of range)": raised(loss_fn, logits, too_big),
        "a label of -1 (neither a class nor ignore_index)": raised(loss_fn, logits, minus_one),
        "a fractional label (2.5)": raised(loss_fn, logits, fractional),
        "boolean labels": raised(loss_fn, logits, labels > 0),
        "labels given as text": raised(loss_fn, logits, labels.astype(str)),
        "logits given as text": raised(loss_fn, "logits", labels),
        "ignore_index = -100.0 (a float)": raised(loss_fn, logits, labels, ignore_index=-100.0),
        "reduction = 'mean'": raised(loss_fn, logits, labels, reduction="mean"),
        "reduction = None": raised(loss_fn, logits, labels, reduction=None),
    }


@loss_bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        if label not in _projector_cases():
            expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's logits and labels are unchanged after the calls"""
    logits, labels = _loss_inputs(326)
    loss_fn = need(ns, "masked_next_token_loss")
    loss_fn(logits, labels)
    loss_fn(logits, labels, reduction="sample")
    return {"logits": logits, "labels": labels}


@inputs_not_mutated.verdict
def _(got):
    logits, labels = _loss_inputs(326)
    expect_close(got["logits"], logits, "logits after the call", rtol=0, atol=0)
    expect_equal(got["labels"], labels, "labels after the call")
