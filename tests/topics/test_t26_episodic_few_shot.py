"""Extra tests of the t26 reference: error messages, uniform class choice, a short training run."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import prototypical_episode_loss, sample_episode


def test_too_few_classes_message_names_both_numbers():
    with pytest.raises(ValueError, match=r"n_way=4 classes requested, but labels hold only 3 distinct classes"):
        sample_episode(np.repeat([0, 1, 2], 5), 4, 1, 1, seed=0)


def test_too_few_examples_message_names_need_and_available():
    labels = np.repeat([5, 6, 7], [3, 8, 8])
    with pytest.raises(ValueError, match=r"k_shot \+ n_query = 4 examples each.*only 2 of the 3 classes"):
        sample_episode(labels, 3, 2, 2, seed=0)


@pytest.mark.parametrize(("args", "kind", "pattern"), [
    ((0, 1, 1), ValueError, r"n_way must be >= 1, got 0"),
    ((2, 0, 1), ValueError, r"k_shot must be >= 1, got 0"),
    ((2, 1, -1), ValueError, r"n_query must be >= 0, got -1"),
    ((2.5, 1, 1), TypeError, r"n_way must be an int, got float"),
])
def test_bad_counts(args, kind, pattern):
    with pytest.raises(kind, match=pattern):
        sample_episode(np.repeat([0, 1, 2], 5), *args, seed=0)


def test_classes_are_drawn_uniformly():
    labels = np.repeat(np.arange(6), 4)
    counts = np.zeros(6)
    for seed in range(600):
        support, _ = sample_episode(labels, 2, 1, 1, seed=seed)
        counts[np.unique(labels[support])] += 1
    # each class is chosen with probability 1/3: 200 expected, binomial sd ~ 11.5
    assert np.all(np.abs(counts - 200) < 60), counts


def test_unknown_query_label_message():
    enc = keras.layers.Dense(2)
    with pytest.raises(ValueError, match=r"query_y holds labels absent from support_y: \[9\]"):
        prototypical_episode_loss(enc, np.zeros((2, 3)), [0, 1], np.zeros((1, 3)), [9])


def test_empty_query_is_an_error():
    enc = keras.layers.Dense(2)
    with pytest.raises(ValueError, match=r"at least one support and one query example, got 2 and 0"):
        prototypical_episode_loss(enc, np.zeros((2, 3)), [0, 1], np.zeros((0, 3)), np.zeros(0, dtype=int))


def test_episodic_training_lowers_the_loss_on_separable_data():
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 1, size=(6, 8))
    labels = np.repeat(np.arange(6) * 10 - 7, 12)
    x = centers[np.repeat(np.arange(6), 12)] + rng.normal(0, 0.8, size=(72, 8))
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(4)])
    optimizer = keras.optimizers.Adam(0.01)

    def episode_loss(seed):
        s, q = sample_episode(labels, 3, 2, 4, seed=seed)
        return prototypical_episode_loss(encoder, x[s], labels[s], x[q], labels[q])

    before = np.mean([float(episode_loss(1000 + i)) for i in range(10)])
    for step in range(60):
        with tf.GradientTape() as tape:
            loss = episode_loss(step)
        grads = tape.gradient(loss, encoder.trainable_variables)
        optimizer.apply_gradients(zip(grads, encoder.trainable_variables, strict=True))
    after = np.mean([float(episode_loss(1000 + i)) for i in range(10)])
    assert after < 0.7 * before, (before, after)
