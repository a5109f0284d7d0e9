"""Extra tests of the t21 reference: error messages, Sequential models, and the Keras 3 behaviour it relies on."""

import keras
import numpy as np
import pytest

from solutions import unfreeze_top_layers


def _sequential():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="a"),
                             keras.layers.BatchNormalization(name="bn"), keras.layers.Dropout(0.1, name="drop"),
                             keras.layers.Dense(2, name="b")])


def test_k_messages_name_the_value():
    with pytest.raises(ValueError, match=r"k must be a non-negative int, got -1"):
        unfreeze_top_layers(_sequential(), -1)
    with pytest.raises(TypeError, match=r"k must be a non-negative int, got bool True"):
        unfreeze_top_layers(_sequential(), True)


def test_model_message_names_the_type():
    with pytest.raises(TypeError, match=r"model must be a keras.Model, got list"):
        unfreeze_top_layers([keras.layers.Dense(1)], 1)


def test_sequential_model_and_weights_untouched():
    model = _sequential()
    before = [w.copy() for w in model.get_weights()]
    assert unfreeze_top_layers(model, 1) == ["b"]
    assert unfreeze_top_layers(model, 5) == ["a", "b"]
    assert [layer.trainable for layer in model.layers] == [True, False, False, True]
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_keras3_frozen_container_hides_trainable_children():
    """The premise of the 'container first' rule."""
    model = _sequential()
    model.trainable = False
    model.layers[-1].trainable = True
    assert model.trainable_weights == []
    unfreeze_top_layers(model, 1)
    assert [tuple(v.shape) for v in model.trainable_weights] == [(4, 2), (2,)]


def test_keras3_frozen_batchnorm_runs_in_inference_mode_in_fit():
    """The premise of 'a frozen BN layer keeps its moving statistics during fit'."""
    keras.utils.set_random_seed(0)
    model = _sequential()
    unfreeze_top_layers(model, 2)
    bn = model.get_layer("bn")
    stats = [bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()]
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(5.0, 3.0, (16, 3)), rng.normal(size=(16, 2)), epochs=2, batch_size=4, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), stats[0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), stats[1])


# --------------------------------------------------------------------- text (issue 11)
def _seed_lines():
    from pathlib import Path

    found = sorted((Path(__file__).resolve().parents[3] / "shared" / "seed").glob("*.txt"))
    if not found:
        import pytest

        pytest.skip("the seed bank ../shared/seed/*.txt is not on this machine")
    return found[0].read_text(encoding="utf-8").splitlines()
