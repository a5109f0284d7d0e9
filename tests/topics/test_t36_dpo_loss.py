"""Extra tests of the t36 reference: messages, dtypes, and the pieces composed as a DPO step uses them."""

import numpy as np
import pytest
import tensorflow as tf

from solutions import dpo_loss, sequence_logprob


def test_beta_message_names_the_value():
    with pytest.raises(ValueError, match=r"beta must be a positive finite number, got -0.5"):
        dpo_loss([-1.0], [-2.0], [-1.0], [-2.0], beta=-0.5)


def test_label_range_message_names_the_vocabulary():
    with pytest.raises(ValueError, match=r"\[0, V\) = \[0, 3\), got values from 0 to 3"):
        sequence_logprob(np.zeros((1, 2, 3)), [[0, 3]], [[True, True]])


def test_whole_number_float_labels_and_integer_logits():
    out = sequence_logprob(np.zeros((1, 2, 4), dtype=np.int32), np.array([[1.0, -100.0]]), [[1, 0]])
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), [np.log(0.25)], rtol=1e-6)


def test_rewards_carry_no_gradient_and_loss_starts_at_log_2():
    logits = tf.constant(np.random.default_rng(0).normal(size=(2, 3, 5)))
    labels = np.array([[1, 2, 3], [4, 0, 1]])
    mask = np.array([[0, 1, 1], [0, 0, 1]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        chosen = sequence_logprob(logits, labels, mask)
        rejected = sequence_logprob(logits[::-1], labels, mask)
        loss, chosen_rewards, _ = dpo_loss(chosen, rejected, tf.stop_gradient(chosen), tf.stop_gradient(rejected))
        reward_sum = tf.reduce_sum(chosen_rewards)
    np.testing.assert_allclose(loss.numpy(), np.log(2.0), rtol=1e-12)
    assert tape.gradient(reward_sum, logits) is None
    assert np.all(np.isfinite(tape.gradient(loss, logits).numpy()))
