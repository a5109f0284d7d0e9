"""Extra tests of the t30 reference: error messages, input types, the global random state."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import shap_feature_importance


def _model(outputs=1):
    keras.utils.set_random_seed(0)
    text, image = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dense(4, activation="tanh")(keras.layers.Concatenate()([text, image]))
    return keras.Model([text, image], keras.layers.Dense(outputs)(h))


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), (rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))


def test_batch_mismatch_message_names_both_sizes():
    text, image, background = _data()
    with pytest.raises(ValueError, match=r"same batch size, got 3 and 2"):
        shap_feature_importance(_model(), text, image[:2], background)


def test_background_not_a_pair_message_names_the_type():
    text, image, background = _data()
    with pytest.raises(TypeError, match=r"pair \(text_background, image_background\), got ndarray"):
        shap_feature_importance(_model(), text, image, np.concatenate(background, axis=1))


def test_background_feature_mismatch_message():
    text, image, (text_bg, image_bg) = _data()
    with pytest.raises(ValueError, match=r"text 3 and image 2, got 2 and 2"):
        shap_feature_importance(_model(), text, image, (text_bg[:, :2], image_bg))


def test_model_with_two_outputs_is_rejected():
    text, image, background = _data()
    with pytest.raises(ValueError, match=r"must return shape \(B, 1\), got \(6, 2\)"):
        shap_feature_importance(_model(outputs=2), text, image, background)


def test_lists_and_tensors_give_the_same_values():
    text, image, background = _data()
    model = _model()
    want = shap_feature_importance(model, text, image, background)["values"]
    got = shap_feature_importance(model, text.tolist(), tf.constant(image), (tf.constant(background[0]),
                                  background[1].tolist()))["values"]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_seed_leaves_the_global_random_state_alone():
    rng = np.random.default_rng(1)
    text, image = rng.normal(size=(2, 5)), rng.normal(size=(2, 3))
    background = (rng.normal(size=(5, 5)), rng.normal(size=(5, 3)))
    keras.utils.set_random_seed(0)
    text_in, image_in = keras.Input((5,)), keras.Input((3,))
    h = keras.layers.Dense(4, activation="tanh")(keras.layers.Concatenate()([text_in, image_in]))
    model = keras.Model([text_in, image_in], keras.layers.Dense(1)(h))
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    shap_feature_importance(model, text, image, background, nsamples=30, seed=5)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_expected_value_is_the_mean_background_output():
    text, image, background = _data()
    model = _model()
    out = shap_feature_importance(model, text, image, background)
    mean = float(np.mean(model(list(background)).numpy()))
    assert out["expected_value"] == pytest.approx(mean, rel=1e-6)
