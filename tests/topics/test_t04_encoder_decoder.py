"""Extra tests of the t04 reference: error messages, saving, training."""

import keras
import numpy as np
import pytest

from solutions import EncoderDecoderFusion


def test_hidden_size_messages_name_what_was_received():
    with pytest.raises(ValueError, match=r"hidden_size must be a positive int, got 0"):
        EncoderDecoderFusion(0)
    with pytest.raises(TypeError, match=r"hidden_size must be a positive int, got float 2.5"):
        EncoderDecoderFusion(2.5)
    with pytest.raises(TypeError, match=r"got bool True"):
        EncoderDecoderFusion(True)


def test_numpy_integer_hidden_size_is_accepted():
    layer = EncoderDecoderFusion(np.int64(3))
    assert layer.hidden_size == 3 and type(layer.hidden_size) is int
    assert layer(np.ones((1, 2)), np.ones((1, 4))).shape == (1, 3)


def test_input_messages_name_both_shapes():
    with pytest.raises(ValueError, match=r"same batch size, got 2 and 3"):
        EncoderDecoderFusion(3)(np.ones((2, 4)), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"text must have shape \(B, Dt\), got \(4,\)"):
        EncoderDecoderFusion(3)(np.ones(4), np.ones(2))


def test_saved_model_file_reloads_with_the_same_outputs(tmp_path):
    keras.utils.set_random_seed(0)
    text_in, image_in = keras.Input((3,)), keras.Input((5,))
    model = keras.Model([text_in, image_in], EncoderDecoderFusion(4, name="fuse")(text_in, image_in))
    x = [np.random.default_rng(0).normal(size=(6, 3)), np.random.default_rng(1).normal(size=(6, 5))]
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"EncoderDecoderFusion": EncoderDecoderFusion})
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6)
    assert loaded.get_layer("fuse").hidden_size == 4


def test_fit_updates_all_eight_weights():
    keras.utils.set_random_seed(1)
    text_in, image_in = keras.Input((3,)), keras.Input((2,))
    layer = EncoderDecoderFusion(5)
    model = keras.Model([text_in, image_in], keras.layers.Dense(1)(layer(text_in, image_in)))
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    rng = np.random.default_rng(2)
    x = [rng.normal(size=(32, 3)), rng.normal(size=(32, 2))]
    y = rng.normal(size=(32, 1))
    before = [v.numpy().copy() for v in layer.trainable_variables]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = [v.numpy() for v in layer.trainable_variables]
    assert len(before) == 8
    assert all(not np.allclose(b, a) for b, a in zip(before, after, strict=True))
