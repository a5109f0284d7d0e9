"""Extra tests of the t28 reference: error messages, in-place pruning, prune-then-train with the mask."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import magnitude_prune


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(6, activation="relu", name="a"),
                             keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(2, name="b")])


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), float("inf")])
def test_out_of_range_message_names_value(bad):
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 1\], got"):
        magnitude_prune(_model(), bad)


def test_type_messages():
    with pytest.raises(TypeError, match=r"sparsity must be a number in \[0, 1\], got str"):
        magnitude_prune(_model(), "0.5")
    with pytest.raises(TypeError, match=r"model must be a keras.Model, got ndarray"):
        magnitude_prune(np.ones(3), 0.5)


def test_unbuilt_model_message():
    model = keras.Sequential([keras.layers.Dense(3, name="late")])
    with pytest.raises(ValueError, match=r"build the model before pruning: Dense layers \['late'\]"):
        magnitude_prune(model, 0.5)


def test_pruned_model_output_matches_numpy_forward_pass():
    model = _model()
    masks = magnitude_prune(model, 0.6)
    x = np.random.default_rng(1).normal(size=(5, 8)).astype("float32")
    a_k, a_b = model.get_layer("a").get_weights()
    gamma, beta, mean, var = model.get_layer("bn").get_weights()
    b_k, b_b = model.get_layer("b").get_weights()
    assert np.array_equal(a_k == 0, ~masks["a"]) and np.array_equal(b_k == 0, ~masks["b"])
    h = np.maximum(x @ a_k + a_b, 0)
    h = (h - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(model(x, training=False).numpy(), h @ b_k + b_b, rtol=1e-5, atol=1e-6)


def test_fine_tuning_with_the_mask_keeps_pruned_weights_at_zero():
    model = _model()
    masks = magnitude_prune(model, 0.5)
    x = np.random.default_rng(2).normal(size=(16, 8)).astype("float32")
    y = np.random.default_rng(3).normal(size=(16, 2)).astype("float32")
    optimizer = keras.optimizers.SGD(0.1)
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x, training=True) - y) ** 2)
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        for name, mask in masks.items():
            layer = model.get_layer(name)
            layer.kernel.assign(np.asarray(layer.kernel) * mask)
    for name, mask in masks.items():
        assert np.all(np.asarray(model.get_layer(name).kernel)[~mask] == 0)
    assert magnitude_prune(model, 0.5).keys() == masks.keys()
