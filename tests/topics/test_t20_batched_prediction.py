"""Extra tests of the t20 reference: error messages, batching independence, tensor inputs."""

import keras
import numpy as np
import pytest

from solutions import predict, preprocess_input_data


def _model():
    keras.utils.set_random_seed(1)
    text, image = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Concatenate()([text, image]))
    h = keras.layers.Dropout(0.5)(h)
    return keras.Model([text, image], keras.layers.Dense(4)(h))


def test_batch_size_mismatch_message_names_both_sizes():
    with pytest.raises(ValueError, match=r"same batch size, got 4 and 3"):
        preprocess_input_data((np.zeros((4, 3)), np.zeros((3, 2))))


def test_non_finite_message_counts_bad_values():
    image = np.zeros((2, 2))
    image[0, 1] = np.nan
    image[1, 0] = np.inf
    with pytest.raises(ValueError, match=r"image must be finite, got 2 NaN or infinite"):
        preprocess_input_data((np.zeros((2, 3)), image))


def test_overflow_to_float32_is_rejected():
    with pytest.raises(ValueError, match=r"text must be finite"):
        preprocess_input_data((np.array([[1e300, 0.0, 0.0]]), np.zeros((1, 2))))


def test_not_a_pair_messages():
    with pytest.raises(TypeError, match=r"pair \(text, image\), got ndarray"):
        preprocess_input_data(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"got 3 item"):
        preprocess_input_data((np.zeros(3), np.zeros(2), np.zeros(2)))
    with pytest.raises(TypeError, match=r"text must hold numbers, got dtype <U"):
        preprocess_input_data((np.array(["a", "b"]), np.zeros(2)))


def test_batch_size_messages():
    with pytest.raises(ValueError, match=r"positive int, got 0"):
        predict(_model(), (np.zeros((2, 3)), np.zeros((2, 2))), batch_size=0)
    with pytest.raises(TypeError, match=r"positive int, got bool"):
        predict(_model(), (np.zeros((2, 3)), np.zeros((2, 2))), batch_size=True)


def test_labels_independent_of_batch_size_and_equal_to_keras_predict():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    text, image = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    model = _model()
    want = np.argmax(model.predict([text, image], verbose=0), axis=-1)
    for batch_size in (1, 4, 49, 50, 51, np.int64(16)):
        got = predict(model, (tf.constant(text), image.tolist()), batch_size=batch_size)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want)


def test_model_with_a_single_score_column_is_rejected():
    keras.utils.set_random_seed(0)
    text, image = keras.Input((3,)), keras.Input((2,))
    model = keras.Model([text, image], keras.layers.Dense(1)(keras.layers.Concatenate()([text, image])))
    with pytest.raises(ValueError, match=r"num_classes >= 2"):
        predict(model, (np.zeros((2, 3)), np.zeros((2, 2))))
