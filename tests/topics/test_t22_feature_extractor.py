"""Extra tests of the t22 reference: error messages, the model's structure, and the suite's inputs."""

import keras
import numpy as np
import pytest

from autograder.suites.t22_feature_extractor import _features, _np_extract
from solutions import build_feature_extractor


def test_messages_name_argument_and_value():
    with pytest.raises(ValueError, match=r"image_dim must be a positive int, got -1"):
        build_feature_extractor(3, -1, 4)
    with pytest.raises(TypeError, match=r"hidden_size must be a positive int, got bool True"):
        build_feature_extractor(3, 5, True)
    with pytest.raises(TypeError, match=r"text_dim must be a positive int, got float 2\.5"):
        build_feature_extractor(2.5, 5, 4)


def test_numpy_integer_dimensions_are_accepted():
    model = build_feature_extractor(np.int64(3), np.int32(5), np.int64(2))
    assert model([np.zeros((1, 3)), np.zeros((1, 5))]).shape == (1, 4)


def test_model_is_functional_with_named_inputs():
    model = build_feature_extractor(3, 5, 4)
    assert [t.name for t in model.inputs] == ["text", "image"]
    assert [tuple(t.shape) for t in model.inputs] == [(None, 3), (None, 5)]
    assert tuple(model.output.shape) == (None, 8)


def test_oracle_inputs_exercise_the_relu():
    """The hidden oracle's pre-activations are mixed in sign: a missing ReLU cannot pass."""
    out = _np_extract(*_features(3, 9, 6, 4), 6, 4, 5)
    assert 0.2 < np.mean(out == 0.0) < 0.8


def test_loaded_model_keeps_weights(tmp_path):
    keras.utils.set_random_seed(0)
    model = build_feature_extractor(3, 5, 4)
    model.save(tmp_path / "x.keras")
    loaded = keras.models.load_model(tmp_path / "x.keras")
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras3_premises_of_the_errata():
    """Dense(0) already raises in Keras 3; Dense(True) silently gives one unit; a zero-width input is accepted."""
    import keras
    import numpy as np
    import pytest

    with pytest.raises(ValueError, match="units"):
        keras.layers.Dense(0)
    x = keras.Input((3,))
    assert keras.Model(x, keras.layers.Dense(True)(x)).output_shape == (None, 1)
    z = keras.Input((0,))
    model = keras.Model(z, keras.layers.Dense(2, activation="relu", bias_initializer="ones")(z))
    np.testing.assert_array_equal(model(np.zeros((2, 0), dtype="float32")).numpy(), np.ones((2, 2)))
