"""Extra tests of the t10 reference: error messages, symbolic use, float64 gradients, saving."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import ModalityProjector


def test_hidden_size_messages_name_the_value():
    with pytest.raises(ValueError, match=r"hidden_size must be a positive int, got 0"):
        ModalityProjector(0)
    with pytest.raises(TypeError, match=r"hidden_size must be a positive int, got float 2\.5"):
        ModalityProjector(2.5)


def test_batch_and_rank_messages_name_the_shapes():
    layer = ModalityProjector(3)
    with pytest.raises(ValueError, match=r"same batch size, got 2 and 4"):
        layer(np.zeros((2, 5)), np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r"shape \(B, D\), got \(2, 5, 1\) and \(2, 6\)"):
        layer(np.zeros((2, 5, 1)), np.zeros((2, 6)))


def test_works_inside_a_functional_model_with_unknown_batch():
    text, image = keras.Input((5,)), keras.Input((7,))
    model = keras.Model([text, image], ModalityProjector(3)(text, image))
    out_t, out_i = model([np.ones((4, 5)), np.ones((4, 7))])
    np.testing.assert_allclose(np.linalg.norm(out_t, axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out_i, axis=-1), 1.0, rtol=1e-6)


def test_gradient_matches_central_differences_in_float64():
    keras.utils.set_random_seed(0)
    layer = ModalityProjector(3, dtype="float64")
    rng = np.random.default_rng(0)
    text, image = rng.normal(size=(4, 5)), rng.normal(size=(4, 2))
    c_text, c_image = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    layer(text, image)
    assert all(v.dtype == "float64" for v in layer.weights)

    def loss():
        t, i = layer(text, image)
        return tf.reduce_sum(c_text * t) + tf.reduce_sum(c_image * i)

    with tf.GradientTape() as tape:
        value = loss()
    grads = tape.gradient(value, layer.trainable_variables)
    h = 1e-6
    for variable, grad in zip(layer.trainable_variables, grads, strict=True):
        base = variable.numpy()
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            step = np.zeros_like(base)
            step[idx] = h
            variable.assign(base + step)
            up = float(loss())
            variable.assign(base - step)
            down = float(loss())
            numeric[idx] = (up - down) / (2 * h)
        variable.assign(base)
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_zero_row_gradient_is_finite():
    layer = ModalityProjector(3)
    text = tf.zeros((1, 4))
    layer(text, tf.ones((1, 2)))
    with tf.GradientTape() as tape:
        t, i = layer(text, tf.ones((1, 2)))
        loss = tf.reduce_sum(t) + tf.reduce_sum(i)
    grads = tape.gradient(loss, layer.trainable_variables)
    assert len(grads) == 4 and all(np.all(np.isfinite(g.numpy())) for g in grads)


def test_model_with_the_layer_survives_save_and_load(tmp_path):
    keras.saving.get_custom_objects()["ModalityProjector"] = ModalityProjector
    try:
        text, image = keras.Input((5,)), keras.Input((7,))
        model = keras.Model([text, image], ModalityProjector(3)(text, image))
        x = [np.random.default_rng(1).normal(size=(2, 5)), np.random.default_rng(2).normal(size=(2, 7))]
        model.save(tmp_path / "m.keras")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "build() was called ... unbuilt state" warning
            loaded = keras.models.load_model(tmp_path / "m.keras")
        for a, b in zip(model(x), loaded(x), strict=True):
            np.testing.assert_array_equal(a, b)
    finally:
        keras.saving.get_custom_objects().pop("ModalityProjector", None)
