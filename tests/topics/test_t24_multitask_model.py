"""Extra tests of the t24 reference: error messages, structure, Keras training by name."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import build_multitask_model


def test_size_messages_name_the_argument_and_value():
    with pytest.raises(ValueError, match=r"text_dim must be a positive int, got 0"):
        build_multitask_model(0, 3, 8)
    with pytest.raises(TypeError, match=r"hidden_size must be a positive int, got str"):
        build_multitask_model(4, 3, "8")
    with pytest.raises(TypeError, match=r"image_dim must be a positive int, got bool"):
        build_multitask_model(4, True, 8)


def test_numpy_integers_are_accepted():
    model = build_multitask_model(np.int64(4), np.int32(3), np.int16(8))
    assert [tuple(x.shape) for x in model.inputs] == [(None, 4), (None, 3)]


def test_every_head_gradient_reaches_both_modality_branches():
    keras.utils.set_random_seed(0)
    model = build_multitask_model(4, 3, 8)
    rng = np.random.default_rng(0)
    text, image = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")
    for head in ("text_task", "image_task"):
        with tf.GradientTape() as tape:
            out = model([text, image])[head]
        grads = tape.gradient(out, [model.get_layer("text_branch").kernel, model.get_layer("image_branch").kernel])
        assert all(g is not None and float(tf.norm(g)) > 0 for g in grads), head


def test_compile_fit_with_loss_weights_by_name_decreases_the_loss():
    keras.utils.set_random_seed(1)
    model = build_multitask_model(4, 3, 16)
    rng = np.random.default_rng(1)
    text, image = rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 3)).astype("float32")
    targets = {"text_task": (text[:, :1] + image[:, :1] > 0).astype("float32"),
               "image_task": (image[:, 1:2] > text[:, 1:2]).astype("float32")}
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss={"text_task": "binary_crossentropy", "image_task": "binary_crossentropy"},
                  loss_weights={"text_task": 1.0, "image_task": 0.5})
    history = model.fit([text, image], targets, epochs=15, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


# --------------------------------------------------------------------- text (issue 11)
def _seed_lines():
    from pathlib import Path

    found = sorted((Path(__file__).resolve().parents[3] / "shared" / "seed").glob("*.txt"))
    if not found:
        import pytest

        pytest.skip("the seed bank ../shared/seed/*.txt is not on this machine")
    return found[0].read_text(encoding="utf-8").splitlines()


def test_float32_sigmoid_reaches_0_and_1():
    """Premise of the text: in float32 a sigmoid is exactly 1.0 from a logit of 17 and exactly 0 far below."""
    import keras
    import numpy as np

    out = keras.ops.convert_to_numpy(keras.activations.sigmoid(np.array([16.0, 17.0, -90.0], dtype="float32")))
    assert out[0] < 1.0 and out[1] == 1.0 and out[2] == 0.0
