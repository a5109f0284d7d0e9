"""Extra tests of the t29 reference: error messages, input types, Shapley properties."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import modality_shapley


def _f(t, i):
    return np.tanh(np.sum(t, axis=1)) * np.sum(i, axis=1) + np.sum(t, axis=1) ** 2


def test_batch_mismatch_message_names_both_sizes():
    with pytest.raises(ValueError, match=r"same batch size, got 3 and 2"):
        modality_shapley(_f, np.zeros((3, 2)), np.zeros((2, 1)), np.zeros(2), np.zeros(1))


def test_baseline_message_names_both_shapes():
    with pytest.raises(ValueError, match=r"text_baseline of shape \(5,\) cannot be broadcast.*\(3, 2\)"):
        modality_shapley(_f, np.zeros((3, 2)), np.zeros((3, 1)), np.zeros(5), np.zeros(1))


def test_not_callable_message():
    with pytest.raises(TypeError, match=r"predict_fn must be callable.*got int"):
        modality_shapley(3, np.zeros((3, 2)), np.zeros((3, 1)), np.zeros(2), np.zeros(1))


def test_wrong_output_shape_message():
    with pytest.raises(ValueError, match=r"must return shape \(n,\) for n = 12 inputs, got \(12, 2\)"):
        modality_shapley(lambda t, i: np.zeros((len(t), 2)), np.zeros((3, 2)), np.zeros((3, 1)), 0.0, 0.0)


def test_pure_interaction_is_split_equally_with_zero_baselines():
    t = np.array([[2.0], [-1.5]])
    i = np.array([[3.0], [4.0]])
    phi_t, phi_i = modality_shapley(lambda a, b: 5.0 * a[:, 0] * b[:, 0], t, i, 0.0, 0.0)
    np.testing.assert_allclose(phi_t, [15.0, -15.0])
    np.testing.assert_allclose(phi_i, [15.0, -15.0])


def test_keras_model_on_tensors_and_lists():
    keras.utils.set_random_seed(0)
    text_in, image_in = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dense(4, activation="tanh")(keras.layers.Concatenate()([text_in, image_in]))
    model = keras.Model([text_in, image_in], keras.layers.Dense(1)(h))

    def predict(t, i):
        return model([t, i], training=False)

    rng = np.random.default_rng(0)
    text, image = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2)).astype("float32")
    phi_t, phi_i = modality_shapley(predict, tf.constant(text), image.tolist(), np.zeros(3), np.zeros((1, 2)))
    total = model([text, image]).numpy()[:, 0] - model([np.zeros((4, 3)), np.zeros((4, 2))]).numpy()[:, 0]
    np.testing.assert_allclose(phi_t + phi_i, total, rtol=1e-5, atol=1e-6)
    assert phi_t.shape == phi_i.shape == (4,)


def test_baselines_are_not_modified():
    text_bl = np.ones(2)
    modality_shapley(_f, np.zeros((3, 2)), np.zeros((3, 1)), text_bl, np.zeros(1))
    np.testing.assert_array_equal(text_bl, np.ones(2))
