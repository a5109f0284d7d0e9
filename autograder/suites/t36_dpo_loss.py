"""Checks of t36 · the DPO loss and sequence log-probabilities.

Independent oracles in float64 NumPy: ``_np_dpo`` uses ``np.logaddexp(0, -m)`` for
``-log sigmoid(m)``; ``_np_sequence_logprob`` an explicit max-shifted log-sum-exp and
``np.take_along_axis``. The gradients are compared with their closed forms
(``-beta * sigmoid(-m) / B`` for the policy's chosen log-probabilities, ``mask * (onehot -
softmax)`` for the logits). Random margins ``beta * delta`` stay within about ±3 (no
saturation), so a missing beta, a flipped sign, a missing reference, a sum instead of a
mean or a per-token average moves the values far beyond the tolerance.
"""

import math

import numpy as np
import tensorflow as tf

from autograder.checks import Suite
from autograder.runtime import expect, expect_array, expect_close, expect_number, expect_raises, need, raised

suite = Suite("t36_dpo_loss", points={"shape": 2, "numeric": 4, "behavior": 4})


def _np_dpo(pc, pr, rc, rr, beta):
    """Float64 oracle: (mean of -log sigmoid(beta * delta), chosen rewards, rejected rewards)."""
    pc, pr, rc, rr = (np.asarray(a, dtype=np.float64) for a in (pc, pr, rc, rr))
    chosen, rejected = beta * (pc - rc), beta * (pr - rr)
    per_pair = np.logaddexp(0.0, -(chosen - rejected))
    return (float(np.mean(per_pair)) if per_pair.size else 0.0), chosen, rejected


def _np_sigmoid(x):
    """Float64 logistic function without overflow."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def _np_log_softmax(logits):
    """Float64 log-softmax over the last axis with the max-shift."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - np.max(z, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _np_sequence_logprob(logits, labels, mask):
    """Float64 oracle: sum over masked-in positions of the labels' log-probabilities."""
    mask = np.asarray(mask).astype(bool)
    safe = np.where(mask, np.asarray(labels), 0).astype(np.int64)
    picked = np.take_along_axis(_np_log_softmax(logits), safe[..., None], axis=-1)[..., 0]
    return np.sum(np.where(mask, picked, 0.0), axis=-1)


def _pairs(seed, b=7):
    """Summed log-probabilities of b pairs: policy and reference differ by up to ±6 nats."""
    rng = np.random.default_rng(seed)
    ref_chosen = -rng.uniform(20.0, 80.0, size=b)
    ref_rejected = -rng.uniform(20.0, 80.0, size=b)
    policy_chosen = ref_chosen + rng.uniform(-6.0, 6.0, size=b)
    policy_rejected = ref_rejected + rng.uniform(-6.0, 6.0, size=b)
    return policy_chosen, policy_rejected, ref_chosen, ref_rejected


def _tokens(seed, b=3, length=6, vocab=5):
    """Logits ~ N(0, 1.5), labels in [0, V), a response mask with a prompt part and padding."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.5, size=(b, length, vocab))
    labels = rng.integers(0, vocab, size=(b, length))
    starts = rng.integers(0, 3, size=(b, 1))
    ends = rng.integers(3, length + 1, size=(b, 1))
    mask = (np.arange(length)[None, :] >= starts) & (np.arange(length)[None, :] < ends)
    return logits, labels, mask


def _huge_pairs():
    """beta = 1: margins of +1e4 and -1e4 (per-pair losses 0 and 1e4)."""
    return (np.array([-10.0, -10010.0]), np.array([-10010.0, -10.0]),
            np.array([-10.0, -10.0]), np.array([-10.0, -10.0]))


def _huge_logits():
    """Logits of magnitude 1e4; the labels pick the smallest ones; extreme values also where masked."""
    logits = np.array([[[1e4, 0.0, -1e4], [-1e4, 1e4, 5e3], [1e4, -1e4, 0.0]]])
    labels = np.array([[2, 0, -100]])
    mask = np.array([[True, True, False]])
    return logits, labels, mask


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "policy_chosen_logps of shape (3,), the others (4,)": "ValueError",
        "2-D log-probabilities, shape (4, 1)": "ValueError",
        "beta = 0": "ValueError",
        "a negative beta": "ValueError",
        "a NaN beta": "ValueError",
        "beta given as a string": "TypeError",
        "beta = True": "TypeError",
        "a string as ref_chosen_logps": "TypeError",
        "policy_rejected_logps = None": "TypeError",
        "logits of rank 2, shape (B, V)": "ValueError",
        "labels of shape (B, L + 1)": "ValueError",
        "mask of shape (B, L + 1)": "ValueError",
        "a label equal to V where mask is on": "ValueError",
        "a label -100 where mask is on": "ValueError",
        "a fractional label 2.5 where mask is on": "ValueError",
        "boolean labels": "TypeError",
        "a mask holding 0.5": "ValueError",
        "a string as mask": "TypeError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def output_shapes(ns):
    """dpo_loss on 3 pairs: a scalar loss and rewards of shape (3,); sequence_logprob (2, 5, 7) -> (2,)"""
    dpo, seq = need(ns, "dpo_loss"), need(ns, "sequence_logprob")
    loss, chosen, rejected = dpo(-np.ones(3), -np.ones(3), -np.ones(3), -np.ones(3))
    logp = seq(np.zeros((2, 5, 7)), np.zeros((2, 5), dtype=np.int64), np.ones((2, 5), dtype=bool))
    return {"loss": loss, "chosen": chosen, "rejected": rejected, "logp": logp}


@output_shapes.verdict
def _(got):
    value = expect_number(got["loss"], "loss (a 0-d scalar)")
    expect(math.isfinite(value), f"loss must be finite, got {value}")
    expect_array(got["chosen"], "chosen_rewards", shape=(3,))
    expect_array(got["rejected"], "rejected_rewards", shape=(3,))
    expect_array(got["logp"], "sequence_logprob output", shape=(2,))


@suite.check("shape", hidden=True)
def empty_batch_and_lists(ns):
    """a batch of 0 gives loss 0.0 (not NaN) and empty rewards; lists are accepted"""
    dpo, seq = need(ns, "dpo_loss"), need(ns, "sequence_logprob")
    empty = dpo(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    listed = dpo([-1.0, -2.0], [-2.0, -1.0], [-1.5, -1.5], [-1.5, -1.5], beta=0.5)
    logp0 = seq(np.zeros((0, 4, 3)), np.zeros((0, 4), dtype=np.int64), np.zeros((0, 4), dtype=bool))
    logp_list = seq([[[0.0, 0.0, 0.0]]], [[1]], [[1]])
    return {"loss0": empty[0], "chosen0": empty[1], "rejected0": empty[2], "loss_list": listed[0],
            "logp0": logp0, "logp_list": logp_list}


@empty_batch_and_lists.verdict
def _(got):
    expect_close(got["loss0"], 0.0, "loss of a batch of 0")
    expect_array(got["chosen0"], "chosen_rewards of a batch of 0", shape=(0,))
    expect_array(got["rejected0"], "rejected_rewards of a batch of 0", shape=(0,))
    want, _, _ = _np_dpo([-1.0, -2.0], [-2.0, -1.0], [-1.5, -1.5], [-1.5, -1.5], 0.5)
    expect_close(got["loss_list"], want, "loss of lists")
    expect_array(got["logp0"], "sequence_logprob of a batch of 0", shape=(0,))
    expect_close(got["logp_list"], [-math.log(3.0)], "sequence_logprob of lists")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric", points=0.75)
def dpo_hand_worked_example(ns):
    """two pairs, beta = 0.5: the loss and rewards worked by hand in the exercise"""
    dpo = need(ns, "dpo_loss")
    loss, chosen, rejected = dpo([-1.0, -4.0], [-3.0, -2.0], [-2.0, -3.5], [-2.0, -2.5], beta=0.5)
    return {"loss": loss, "chosen": chosen, "rejected": rejected}


@dpo_hand_worked_example.verdict
def _(got):
    # Log-ratios: chosen [1, -0.5], rejected [-1, 0.5]; margins beta * delta = [1, -0.5].
    expect_close(got["chosen"], [0.5, -0.25], "chosen_rewards")
    expect_close(got["rejected"], [-0.5, 0.25], "rejected_rewards")
    expect_close(got["loss"], (math.log1p(math.exp(-1.0)) + math.log1p(math.exp(0.5))) / 2, "loss")


@suite.check("numeric", points=0.5)
def sequence_logprob_hand_worked_example(ns):
    """logits [[0, 0], [ln 3, 0]], labels [0, 1] and [1, 0], masks [1, 1] and [0, 1]"""
    seq = need(ns, "sequence_logprob")
    logits = [[[0.0, 0.0], [math.log(3.0), 0.0]], [[0.0, 0.0], [math.log(3.0), 0.0]]]
    return {"logp": seq(logits, [[0, 1], [1, 0]], [[1, 1], [0, 1]])}


@sequence_logprob_hand_worked_example.verdict
def _(got):
    # Sequence 1: log(1/2) + log(1/4) = -3 ln 2; sequence 2: position 0 masked, log(3/4).
    expect_close(got["logp"], [-3.0 * math.log(2.0), math.log(0.75)], "summed log-probabilities")


@suite.check("numeric", hidden=True, points=0.75)
def dpo_matches_formula(ns):
    """random pairs at the default beta and at beta = 0.5 equal the DPO formula"""
    dpo = need(ns, "dpo_loss")
    args = _pairs(1)
    default = dpo(*args)
    half = dpo(*args, beta=0.5)
    return {"loss": default[0], "chosen": default[1], "rejected": default[2], "loss_half": half[0]}


@dpo_matches_formula.verdict
def _(got):
    args = _pairs(1)
    loss, chosen, rejected = _np_dpo(*args, 0.1)
    expect_close(got["loss"], loss, "loss at the default beta")
    expect_close(got["chosen"], chosen, "chosen_rewards at the default beta")
    expect_close(got["rejected"], rejected, "rejected_rewards at the default beta")
    expect_close(got["loss_half"], _np_dpo(*args, 0.5)[0], "loss at beta = 0.5")


@suite.check("numeric", hidden=True, points=0.75)
def dpo_gradient_matches_closed_form(ns):
    """in float64, d loss / d policy log-probs = -/+ beta * sigmoid(-beta * delta) / B"""
    dpo = need(ns, "dpo_loss")
    pc, pr, rc, rr = (tf.constant(a) for a in _pairs(2, b=5))
    with tf.GradientTape() as tape:
        tape.watch([pc, pr])
        loss = dpo(pc, pr, rc, rr, beta=0.3)[0]
    grad_chosen, grad_rejected = tape.gradient(loss, [pc, pr])
    return {"chosen": grad_chosen, "rejected": grad_rejected}


@dpo_gradient_matches_closed_form.verdict
def _(got):
    pc, pr, rc, rr = _pairs(2, b=5)
    weight = 0.3 * _np_sigmoid(-0.3 * ((pc - rc) - (pr - rr))) / 5
    expect_close(got["chosen"], -weight, "gradient w.r.t. policy_chosen_logps", atol=1e-10)
    expect_close(got["rejected"], weight, "gradient w.r.t. policy_rejected_logps", atol=1e-10)


@suite.check("numeric", hidden=True, points=0.75)
def sequence_logprob_matches_formula(ns):
    """random logits, labels and masks: the value, and in float64 the gradient mask * (onehot - softmax)"""
    seq = need(ns, "sequence_logprob")
    logits, labels, mask = _tokens(3)
    x = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(seq(x, labels, mask))
    return {"logp": seq(logits, labels, mask), "grad": tape.gradient(total, x)}


@sequence_logprob_matches_formula.verdict
def _(got):
    logits, labels, mask = _tokens(3)
    expect_close(got["logp"], _np_sequence_logprob(logits, labels, mask), "summed log-probabilities")
    onehot = np.eye(logits.shape[-1])[labels]
    want = mask[..., None] * (onehot - np.exp(_np_log_softmax(logits)))
    expect_close(got["grad"], want, "gradient w.r.t. logits", atol=1e-10)


@suite.check("numeric", hidden=True, points=0.5)
def stable_at_huge_margins(ns):
    """margins of ±1e4 and logits of 1e4: finite losses, gradients and log-probabilities"""
    dpo, seq = need(ns, "dpo_loss"), need(ns, "sequence_logprob")
    pc, pr, rc, rr = (tf.constant(a) for a in _huge_pairs())
    with tf.GradientTape() as tape:
        tape.watch(pc)
        loss = dpo(pc, pr, rc, rr, beta=1.0)[0]
    return {"loss": loss, "grad": tape.gradient(loss, pc), "logp": seq(*_huge_logits())}


@stable_at_huge_margins.verdict
def _(got):
    expect_close(got["loss"], _np_dpo(*_huge_pairs(), 1.0)[0], "loss at margins of ±1e4")
    expect_close(got["grad"], [0.0, -0.5], "gradient w.r.t. policy_chosen_logps at margins of ±1e4")
    expect_close(got["logp"], _np_sequence_logprob(*_huge_logits()), "log-probabilities of logits of 1e4",
                 atol=1e-3)


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def beta_scales_rewards_and_sharpens_the_loss(ns):
    """rewards scale with beta; a zero margin costs log 2 at any beta; a right margin costs less at a larger beta"""
    dpo = need(ns, "dpo_loss")
    args = ([-5.0, -8.0], [-7.0, -9.0], [-6.0, -8.5], [-6.0, -8.5])
    small, large = dpo(*args, beta=0.1), dpo(*args, beta=1.0)
    tie = [dpo([-3.0], [-4.0], [-3.0], [-4.0], beta=b)[0] for b in (0.1, 1.0)]
    return {"chosen_small": small[1], "chosen_large": large[1], "rejected_small": small[2],
            "rejected_large": large[2], "loss_small": small[0], "loss_large": large[0],
            "tie_small": tie[0], "tie_large": tie[1]}


@beta_scales_rewards_and_sharpens_the_loss.verdict
def _(got):
    chosen = np.asarray(expect_array(got["chosen_small"], "chosen_rewards at beta 0.1", shape=(2,)), np.float64)
    rejected = np.asarray(expect_array(got["rejected_small"], "rejected_rewards at beta 0.1", shape=(2,)),
                          np.float64)
    expect(bool(np.all(np.abs(chosen) > 1e-3)), "chosen_rewards must not be 0 when policy and reference differ")
    expect_close(got["chosen_large"], 10.0 * chosen, "chosen_rewards at beta 1 (10 times those at beta 0.1)")
    expect_close(got["rejected_large"], 10.0 * rejected, "rejected_rewards at beta 1 (10 times those at 0.1)")
    expect_close(got["tie_small"], math.log(2.0), "loss of a zero margin at beta 0.1")
    expect_close(got["tie_large"], math.log(2.0), "loss of a zero margin at beta 1")
    small = expect_number(got["loss_small"], "loss at beta 0.1")
    large = expect_number(got["loss_large"], "loss at beta 1")
    expect(large < small < math.log(2.0), f"with the chosen answers ahead, the loss must fall below log 2 and "
                                          f"fall further at larger beta, got {small} (0.1) and {large} (1)")


@suite.check("behavior", hidden=True)
def only_the_log_ratios_matter(ns):
    """shifting a response's policy and reference log-probs together changes nothing; policy = reference gives log 2"""
    dpo = need(ns, "dpo_loss")
    pc, pr, rc, rr = _pairs(4)
    shift = np.random.default_rng(40).uniform(-30.0, 30.0, size=(2, 7))
    base = dpo(pc, pr, rc, rr, beta=0.4)
    moved = dpo(pc + shift[0], pr + shift[1], rc + shift[0], rr + shift[1], beta=0.4)
    same = dpo(rc, rr, rc, rr, beta=0.4)
    return {"base": base[0], "moved": moved[0], "moved_chosen": moved[1], "base_chosen": base[1],
            "same": same[0], "same_chosen": same[1]}


@only_the_log_ratios_matter.verdict
def _(got):
    loss, chosen, _ = _np_dpo(*_pairs(4), 0.4)
    expect_close(got["base"], loss, "loss")
    expect_close(got["moved"], loss, "loss after shifting policy and reference together")
    expect_close(got["moved_chosen"], chosen, "chosen_rewards after shifting policy and reference together")
    expect_close(got["same"], math.log(2.0), "loss when the policy equals the reference")
    expect_close(got["same_chosen"], np.zeros(7), "chosen_rewards when the policy equals the reference")


@suite.check("behavior", hidden=True)
def masked_positions_are_ignored(ns):
    """logits and labels (even -100) where the mask is off change nothing; bool, int and float masks agree"""
    seq = need(ns, "sequence_logprob")
    logits, labels, mask = _tokens(5)
    noisy_logits = np.where(mask[..., None], logits, 50.0 * np.random.default_rng(50).normal(size=logits.shape))
    noisy_labels = np.where(mask, labels, -100)
    return {"bool": seq(logits, labels, mask), "noisy": seq(noisy_logits, noisy_labels, mask),
            "int": seq(logits, labels, mask.astype(np.int32)), "float": seq(logits, labels, mask.astype(np.float64))}


@masked_positions_are_ignored.verdict
def _(got):
    want = _np_sequence_logprob(*_tokens(5))
    for key, what in (("bool", "a boolean mask"), ("noisy", "other logits and labels -100 where masked"),
                      ("int", "a 0/1 integer mask"), ("float", "a 0./1. float mask")):
        expect_close(got[key], want, f"summed log-probabilities with {what}")


@suite.check("behavior", hidden=True)
def bad_input_is_an_error(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    dpo, seq = need(ns, "dpo_loss"), need(ns, "sequence_logprob")
    pc, pr, rc, rr = _pairs(6, b=4)
    logits, labels, mask = _tokens(6, b=2, length=4, vocab=5)
    mask[:, 1] = True
    big, negative, fractional = labels.copy(), labels.copy(), labels.astype(np.float64)
    big[0, 1], negative[0, 1], fractional[0, 1] = 5, -100, 2.5
    return {
        "policy_chosen_logps of shape (3,), the others (4,)": raised(dpo, pc[:3], pr, rc, rr),
        "2-D log-probabilities, shape (4, 1)": raised(dpo, pc[:, None], pr[:, None], rc[:, None], rr[:, None]),
        "beta = 0": raised(dpo, pc, pr, rc, rr, beta=0.0),
        "a negative beta": raised(dpo, pc, pr, rc, rr, beta=-0.1),
        "a NaN beta": raised(dpo, pc, pr, rc, rr, beta=float("nan")),
        "beta given as a string": raised(dpo, pc, pr, rc, rr, beta="0.1"),
        "beta = True": raised(dpo, pc, pr, rc, rr, beta=True),
        "a string as ref_chosen_logps": raised(dpo, pc, pr, "ref", rr),
        "policy_rejected_logps = None": raised(dpo, pc, None, rc, rr),
        "logits of rank 2, shape (B, V)": raised(seq, logits[:, 0], labels[:, :1], mask[:, :1]),
        "labels of shape (B, L + 1)": raised(seq, logits, np.concatenate([labels, labels[:, :1]], axis=1), mask),
        "mask of shape (B, L + 1)": raised(seq, logits, labels, np.concatenate([mask, mask[:, :1]], axis=1)),
        "a label equal to V where mask is on": raised(seq, logits, big, mask),
        "a label -100 where mask is on": raised(seq, logits, negative, mask),
        "a fractional label 2.5 where mask is on": raised(seq, logits, fractional, mask),
        "boolean labels": raised(seq, logits, labels > 2, mask),
        "a mask holding 0.5": raised(seq, logits, labels, np.where(mask, 0.5, 0.0)),
        "a string as mask": raised(seq, logits, labels, "mask"),
    }


@bad_input_is_an_error.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)


@suite.check("behavior", hidden=True)
def inputs_not_mutated(ns):
    """the caller's arrays are unchanged after the calls"""
    dpo, seq = need(ns, "dpo_loss"), need(ns, "sequence_logprob")
    pc, pr, rc, rr = _pairs(7)
    dpo(pc, pr, rc, rr)
    logits, labels, mask = _tokens(7)
    labels = np.where(mask, labels, -100)
    seq(logits, labels, mask)
    return {"pc": pc, "pr": pr, "rc": rc, "rr": rr, "logits": logits, "labels": labels, "mask": mask}


@inputs_not_mutated.verdict
def _(got):
    for key, want in zip(("pc", "pr", "rc", "rr"), _pairs(7), strict=True):
        expect_close(got[key], want, f"{key} after the call", rtol=0, atol=0)
    logits, labels, mask = _tokens(7)
    expect_close(got["logits"], logits, "logits after the call", rtol=0, atol=0)
    expect_close(got["labels"], np.where(mask, labels, -100), "labels after the call", rtol=0, atol=0)
    expect(bool(np.array_equal(expect_array(got["mask"], "mask", shape=mask.shape, kinds="b"), mask)),
           "mask after the call")
