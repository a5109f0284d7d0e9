"""Checks of t08 · multimodal adversarial training step.

Independent oracle: a linear fusion model ``logits = [text, image] @ kernel + bias`` whose
weights the probe sets from a seeded helper, trained with plain SGD (``w -= lr * g``). Its
cross-entropy, input gradient ``(p - y) @ kernelᵀ / B`` and weight gradients
``[x, 1]ᵀ (p - y) / B`` have closed forms, computed in float64 NumPy by ``_np_step``. The
inputs keep every input-gradient entry away from 0 (|g| > 1e-3) so that its sign is the same
in float32 and float64; logits stay of order 1 (no softmax saturation). The model runs in
float32, whose rounding (~1e-7 on losses of order 1) is well inside rtol=1e-5, atol=1e-6.
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

suite = Suite("t08_adversarial_training", points={"shape": 2, "numeric": 4, "behavior": 4})


def _linear_model(kernel, bias):
    """A subclassed keras.Model ``logits = concat([text, image]) @ kernel + bias``.

    ``kernel`` has ``text_dim + image_dim`` rows (text first). The model records the
    ``training`` argument of every call in ``model.training_flags``.
    """
    kernel = np.asarray(kernel, np.float32)
    bias = np.asarray(bias, np.float32)

    class LinearFusion(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(kernel.shape[1])
            self.training_flags = []

        def call(self, inputs, training=None):
            self.training_flags.append(training)
            text, image = inputs
            return self.dense(tf.concat([text, image], axis=-1))

    model = LinearFusion()
    # build by one call (any split of the columns builds the same Dense), then forget that call
    model([np.zeros((1, 1), np.float32), np.zeros((1, kernel.shape[0] - 1), np.float32)])
    model.dense.kernel.assign(kernel)
    model.dense.bias.assign(bias)
    model.training_flags.clear()
    return model


def _state(model, optimizer):
    """The model's weights and the optimizer's step count, read by the probe."""
    return {"kernel": model.dense.kernel.numpy(), "bias": model.dense.bias.numpy(),
            "iterations": int(optimizer.iterations.numpy())}


def _np_ce(x, kernel, bias, labels):
    """Float64 mean cross-entropy, its gradient w.r.t. x, kernel and bias."""
    logits = x @ kernel + bias
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    batch = len(labels)
    loss = -np.mean(np.log(probs[np.arange(batch), labels]))
    delta = (probs - np.eye(kernel.shape[1])[labels]) / batch
    return loss, delta @ kernel.T, x.T @ delta, delta.sum(axis=0)


def _np_step(text, image, labels, kernel, bias, epsilon, alpha, learning_rate):
    """Float64 oracle of one FGSM adversarial SGD step on the linear fusion model."""
    text, image, kernel, bias = (np.asarray(a, np.float64) for a in (text, image, kernel, bias))
    x = np.concatenate([text, image], axis=1)
    clean, grad_x, grad_k_clean, grad_b_clean = _np_ce(x, kernel, bias, labels)
    if epsilon > 0 and not np.min(np.abs(grad_x)) > 1e-3:
        raise CheckFailed("test fixture: an input gradient is too close to 0 for a stable sign")
    x_adv = x + epsilon * np.sign(grad_x)
    adv, _, grad_k_adv, grad_b_adv = _np_ce(x_adv, kernel, bias, labels)
    new_kernel = kernel - learning_rate * (alpha * grad_k_clean + (1 - alpha) * grad_k_adv)
    new_bias = bias - learning_rate * (alpha * grad_b_clean + (1 - alpha) * grad_b_adv)
    return {"clean_loss": clean, "adv_loss": adv, "loss": alpha * clean + (1 - alpha) * adv,
            "kernel": new_kernel, "bias": new_bias}


def _case(seed, batch=5, text_dim=3, image_dim=4, classes=3):
    """Random float32 features, labels and linear weights with logits of order 1."""
    rng = np.random.default_rng(seed)
    text = rng.normal(0.0, 1.0, size=(batch, text_dim)).astype(np.float32)
    image = rng.normal(0.0, 1.0, size=(batch, image_dim)).astype(np.float32)
    labels = rng.integers(0, classes, size=batch)
    kernel = rng.normal(0.0, 0.5, size=(text_dim + image_dim, classes)).astype(np.float32)
    bias = rng.normal(0.0, 0.2, size=classes).astype(np.float32)
    return text, image, labels, kernel, bias


def _run_case(ns, seed, epsilon, alpha, learning_rate, **shape):
    """Probe helper: one step of the student's function on ``_case(seed)``."""
    step = need(ns, "adversarial_train_step")
    text, image, labels, kernel, bias = _case(seed, **shape)
    model = _linear_model(kernel, bias)
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    # Any randomness in the student's step (the seed's Gaussian noise) is then the same in a
    # notebook and in the grader, whichever checks ran before: identical scores everywhere.
    keras.utils.set_random_seed(seed)
    result = step(model, optimizer, text, image, labels, epsilon, alpha=alpha)
    return {"result": result, **_state(model, optimizer)}


def _expect_losses(got, want):
    for key in ("clean_loss", "adv_loss", "loss"):
        expect_close(expect_number(got["result"][key], key), want[key], key)


def _hand_inputs():
    """One sample: text [1], image [1], label 0, kernel [[1, -1], [-1, 1]], bias 0: logits [0, 0]."""
    return (np.array([[1.0]], np.float32), np.array([[1.0]], np.float32), np.array([0]),
            np.array([[1.0, -1.0], [-1.0, 1.0]], np.float32), np.zeros(2, np.float32))


# ----------------------------------------------------------------------------- shape
def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "epsilon = -0.1": "ValueError",
        "epsilon = NaN": "ValueError",
        "alpha = 1.5": "ValueError",
        "alpha = -0.1": "ValueError",
        "text with 5 samples and image with 3": "ValueError",
        "one-hot labels of shape (B, C)": "ValueError",
        "label 7 with 3 classes": "ValueError",
        "a batch of 0 samples": "ValueError",
        "epsilon given as a string ('0.1')": "TypeError",
        "alpha given as a string ('0.5')": "TypeError",
        "fractional labels (0.5, 1.5, ...)": "ValueError",
        "bool labels": "TypeError",
        "a string as text": "TypeError",
    }


@suite.check("shape")
def returns_three_python_floats(ns):
    """the result is a dict with exactly clean_loss, adv_loss and loss, each a Python float"""
    step = need(ns, "adversarial_train_step")
    text, image, labels, kernel, bias = _case(80)
    result = step(_linear_model(kernel, bias), keras.optimizers.SGD(0.1), text, image, labels, 0.1)
    if type(result) is not dict:
        return {"kind": type(result).__name__, "keys": [], "types": []}
    keys = sorted(str(k) for k in result)
    return {"kind": "dict", "keys": keys, "types": [type(result[k]).__name__ for k in sorted(result, key=str)]}


@returns_three_python_floats.verdict
def _(got):
    expect_equal(got["kind"], "dict", "type of the result")
    expect_equal(list(got["keys"]), ["adv_loss", "clean_loss", "loss"], "keys of the result")
    expect_equal(list(got["types"]), ["float", "float", "float"], "types of the values (use float(...))")


@suite.check("shape", hidden=True)
def lists_batch_of_one_and_float64(ns):
    """Python lists, a batch of one and float64 arrays are accepted and give finite losses; whole-number float labels
    give the losses of the integer labels"""
    step = need(ns, "adversarial_train_step")
    text, image, labels, kernel, bias = _case(81)
    out = {}
    out["lists"] = step(_linear_model(kernel, bias), keras.optimizers.SGD(0.1),
                        text.tolist(), image.tolist(), labels.tolist(), 0.1)
    out["one"] = step(_linear_model(kernel, bias), keras.optimizers.SGD(0.1), text[:1], image[:1], labels[:1], 0.1)
    out["f64"] = step(_linear_model(kernel, bias), keras.optimizers.SGD(0.1),
                      text.astype(np.float64), image.astype(np.float64), labels, 0.1)
    text, image, labels, kernel, bias = _case(82)
    out["float_labels"] = step(_linear_model(kernel, bias), keras.optimizers.SGD(0.5),
                               text, image, labels.astype(np.float64), 0.1, alpha=0.3)
    return out


@lists_batch_of_one_and_float64.verdict
def _(got):
    for case, what in (("lists", "list inputs"), ("one", "a batch of one"), ("f64", "float64 inputs")):
        for key in ("clean_loss", "adv_loss", "loss"):
            value = expect_number(got[case][key], f"{key} for {what}")
            expect(math.isfinite(value) and value > 0, f"{key} for {what} must be a positive finite number")
    text, image, labels, kernel, bias = _case(82)
    _expect_losses({"result": got["float_labels"]}, _np_step(text, image, labels, kernel, bias, 0.1, 0.3, 0.5))


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """one sample, logits [0, 0], epsilon 0.5, SGD lr 1: losses and new weights worked by hand"""
    step = need(ns, "adversarial_train_step")
    text, image, labels, kernel, bias = _hand_inputs()
    model = _linear_model(kernel, bias)
    optimizer = keras.optimizers.SGD(learning_rate=1.0)
    result = step(model, optimizer, text, image, labels, 0.5, alpha=0.5)
    return {"result": result, **_state(model, optimizer)}


@hand_worked_example.verdict
def _(got):
    # clean: logits [0, 0], loss ln 2, dL/dlogits = p - y = [-0.5, 0.5]
    #   dL/dtext = -0.5 * 1 + 0.5 * (-1) = -1 -> text_adv = 1 - 0.5 = 0.5
    #   dL/dimage = -0.5 * (-1) + 0.5 * 1 = +1 -> image_adv = 1 + 0.5 = 1.5
    # adversarial: logits [0.5 - 1.5, -0.5 + 1.5] = [-1, 1], loss ln(1 + e^2),
    #   dL/dlogits = [-q, q] with q = e^2 / (1 + e^2)
    # SGD lr 1 on 0.5 * clean + 0.5 * adversarial: W -= 0.5 * (x ⊗ [-0.5, 0.5] + x_adv ⊗ [-q, q])
    q = math.exp(2.0) / (1.0 + math.exp(2.0))
    clean, adv = math.log(2.0), math.log(1.0 + math.exp(2.0))
    _expect_losses(got, {"clean_loss": clean, "adv_loss": adv, "loss": 0.5 * clean + 0.5 * adv})
    kernel = [[1.25 + 0.25 * q, -1.25 - 0.25 * q], [-0.75 + 0.75 * q, 0.75 - 0.75 * q]]
    expect_close(got["kernel"], kernel, "kernel after the step")
    expect_close(got["bias"], [0.25 + 0.5 * q, -0.25 - 0.5 * q], "bias after the step")


@suite.check("numeric", hidden=True)
def losses_match_closed_form(ns):
    """clean, adversarial and total losses equal the closed form with the weights before the step"""
    return _run_case(ns, 82, epsilon=0.1, alpha=0.3, learning_rate=0.5)


@losses_match_closed_form.verdict
def _(got):
    text, image, labels, kernel, bias = _case(82)
    _expect_losses(got, _np_step(text, image, labels, kernel, bias, 0.1, 0.3, 0.5))


@suite.check("numeric", hidden=True)
def update_matches_closed_form(ns):
    """the weights after the call equal one SGD step on alpha * clean + (1 - alpha) * adversarial"""
    return _run_case(ns, 113, epsilon=0.2, alpha=0.3, learning_rate=0.5, batch=6, text_dim=4, image_dim=3)


@update_matches_closed_form.verdict
def _(got):
    text, image, labels, kernel, bias = _case(113, batch=6, text_dim=4, image_dim=3)
    want = _np_step(text, image, labels, kernel, bias, 0.2, 0.3, 0.5)
    expect(bool(np.max(np.abs(want["kernel"] - kernel)) > 1e-2), "test fixture: the step must move the kernel")
    expect_close(got["kernel"], want["kernel"], "kernel after the step")
    expect_close(got["bias"], want["bias"], "bias after the step")
    _expect_losses(got, want)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def exactly_one_optimizer_step(ns):
    """after the call optimizer.iterations is 1 and the weights have moved"""
    return _run_case(ns, 84, epsilon=0.1, alpha=0.5, learning_rate=0.1)


@exactly_one_optimizer_step.verdict
def _(got):
    expect_equal(got["iterations"], 1, "optimizer.iterations after one call")
    kernel = _case(84)[3]
    expect(bool(np.max(np.abs(expect_array(got["kernel"], "kernel", shape=kernel.shape) - kernel)) > 1e-4),
           "the kernel did not change: no optimizer step was applied")


@suite.check("behavior")
def adversarial_loss_not_below_clean(ns):
    """for a linear model the FGSM input has a larger loss: adv_loss > clean_loss"""
    return _run_case(ns, 85, epsilon=0.05, alpha=0.5, learning_rate=0.1)


@adversarial_loss_not_below_clean.verdict
def _(got):
    clean = expect_number(got["result"]["clean_loss"], "clean_loss")
    adv = expect_number(got["result"]["adv_loss"], "adv_loss")
    expect(adv > clean, f"adv_loss ({adv:.5f}) should exceed clean_loss ({clean:.5f}): the loss is convex in "
                        "the inputs, so a step along the sign of its gradient raises it")


@suite.check("behavior", hidden=True)
def epsilon_zero_is_a_clean_step(ns):
    """epsilon = 0 on a deterministic (Dropout-free) model: adv_loss equals clean_loss, one SGD step on the clean
    loss"""
    return _run_case(ns, 86, epsilon=0.0, alpha=0.3, learning_rate=0.5)


@epsilon_zero_is_a_clean_step.verdict
def _(got):
    text, image, labels, kernel, bias = _case(86)
    want = _np_step(text, image, labels, kernel, bias, 0.0, 0.3, 0.5)
    _expect_losses(got, want)
    expect_close(got["kernel"], want["kernel"], "kernel after the step")
    expect_close(got["bias"], want["bias"], "bias after the step")


@suite.check("behavior", hidden=True)
def model_called_in_training_mode(ns):
    """every forward pass of the model is made with training=True"""
    step = need(ns, "adversarial_train_step")
    text, image, labels, kernel, bias = _case(87)
    model = _linear_model(kernel, bias)
    step(model, keras.optimizers.SGD(0.1), text, image, labels, 0.1)
    return {"flags": [repr(flag) for flag in model.training_flags]}


@model_called_in_training_mode.verdict
def _(got):
    flags = list(got["flags"])
    expect(len(flags) >= 2,
           f"the model should be called on the clean and on the perturbed inputs, got {len(flags)} call(s)")
    expect(all(flag == "True" for flag in flags),
           f"training flags of the model's calls: expected all True, got {flags}")


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """text, image (also as a tf.Variable) and labels are unchanged after the call"""
    step = need(ns, "adversarial_train_step")
    text, image, labels, kernel, bias = _case(88)
    variable = tf.Variable(image)
    step(_linear_model(kernel, bias), keras.optimizers.SGD(0.1), text, image, labels, 0.3)
    step(_linear_model(kernel, bias), keras.optimizers.SGD(0.1), text, variable, labels, 0.3)
    return {"text": text, "image": image, "variable": variable.numpy(), "labels": labels}


@inputs_not_mutated.verdict
def _(got):
    text, image, labels, _, _ = _case(88)
    expect_close(got["text"], text, "text after the call", rtol=0, atol=0)
    expect_close(got["image"], image, "image after the call", rtol=0, atol=0)
    expect_close(got["variable"], image, "image tf.Variable after the call", rtol=0, atol=0)
    expect_equal(got["labels"], labels, "labels after the call")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names, and nothing is updated"""
    step = need(ns, "adversarial_train_step")
    text, image, labels, kernel, bias = _case(89)
    model = _linear_model(kernel, bias)
    opt = keras.optimizers.SGD(0.1)
    return {
        "epsilon = -0.1": raised(step, model, opt, text, image, labels, -0.1),
        "epsilon = NaN": raised(step, model, opt, text, image, labels, float("nan")),
        "alpha = 1.5": raised(step, model, opt, text, image, labels, 0.1, alpha=1.5),
        "alpha = -0.1": raised(step, model, opt, text, image, labels, 0.1, alpha=-0.1),
        "text with 5 samples and image with 3": raised(step, model, opt, text, image[:3], labels, 0.1),
        "one-hot labels of shape (B, C)": raised(step, model, opt, text, image, np.eye(3)[labels], 0.1),
        "label 7 with 3 classes": raised(step, model, opt, text, image, np.full(5, 7), 0.1),
        "a batch of 0 samples": raised(step, model, opt, text[:0], image[:0], labels[:0], 0.1),
        "epsilon given as a string ('0.1')": raised(step, model, opt, text, image, labels, "0.1"),
        "alpha given as a string ('0.5')": raised(step, model, opt, text, image, labels, 0.1, alpha="0.5"),
        "fractional labels (0.5, 1.5, ...)": raised(step, model, opt, text, image, labels + 0.5, 0.1),
        "bool labels": raised(step, model, opt, text, image, labels % 2 == 1, 0.1),
        "a string as text": raised(step, model, opt, "abc", image, labels, 0.1),
        **_state(model, opt),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
    _, _, _, kernel, bias = _case(89)
    expect_equal(got["iterations"], 0, "optimizer.iterations after calls that raised")
    expect_close(got["kernel"], kernel, "kernel after calls that raised", rtol=0, atol=0)
    expect_close(got["bias"], bias, "bias after calls that raised", rtol=0, atol=0)

