"""Extra tests of the t09 reference: error messages, and the Keras 3 behaviour the topic rests on."""

import keras
import numpy as np
import pytest

from solutions import build_linear_probe


def _backbone():
    inputs = keras.Input(shape=(4,))
    h = keras.layers.Dense(6)(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Dropout(0.5)(h)
    return keras.Model(inputs, keras.layers.Dense(3, activation="relu")(h))


def test_num_classes_messages_name_the_value():
    with pytest.raises(ValueError, match=r"positive int, got 0"):
        build_linear_probe(_backbone(), 0)
    with pytest.raises(TypeError, match=r"positive int, got float 2\.5"):
        build_linear_probe(_backbone(), 2.5)
    with pytest.raises(TypeError, match=r"positive int, got bool True"):
        build_linear_probe(_backbone(), True)


def test_backbone_message_names_the_type():
    with pytest.raises(TypeError, match=r"keras Layer or Model, got NoneType"):
        build_linear_probe(None, 3)


def test_numpy_integer_num_classes_is_accepted():
    probe = build_linear_probe(_backbone(), np.int64(2))
    assert probe(np.zeros((1, 4), np.float32)).shape == (1, 2)


def test_keras3_functional_model_overrides_inner_training_false():
    """The premise of the topic: if Keras stops overriding, the topic's text must change."""
    keras.utils.set_random_seed(0)
    backbone = _backbone()
    backbone.trainable = False
    inputs = keras.Input(shape=(4,))
    functional = keras.Model(inputs, keras.layers.Dense(2)(backbone(inputs, training=False)))
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    assert not np.allclose(functional(x, training=True), functional(x, training=False))
    probe = build_linear_probe(backbone, 2)
    np.testing.assert_allclose(probe(x, training=True), probe(x, training=False), rtol=0, atol=0)


def test_moving_statistics_unchanged_after_fit_with_sequential_backbone():
    keras.utils.set_random_seed(1)
    backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.BatchNormalization(),
                                 keras.layers.Dropout(0.3), keras.layers.Dense(3)])
    before = [w.copy() for w in backbone.get_weights()]
    probe = build_linear_probe(backbone, 2)
    probe.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(1)
    probe.fit(rng.normal(3.0, 2.0, size=(32, 4)), rng.integers(0, 2, 32), epochs=2, batch_size=8, verbose=0)
    for old, new in zip(before, backbone.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


# --------------------------------------------------------------------- text (issue 11)
def _seed_lines():
    from pathlib import Path

    found = sorted((Path(__file__).resolve().parents[3] / "shared" / "seed").glob("*.txt"))
    if not found:
        import pytest

        pytest.skip("the seed bank ../shared/seed/*.txt is not on this machine")
    return found[0].read_text(encoding="utf-8").splitlines()
