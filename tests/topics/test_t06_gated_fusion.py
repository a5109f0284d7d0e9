"""Extra tests of the t06 reference: error messages, a functional model, saving, gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import GatedAttentionFusion


def _inputs():
    rng = np.random.default_rng(0)
    return rng.normal(size=(2, 3, 5)).astype(np.float32), rng.normal(size=(2, 4, 6)).astype(np.float32)


def test_hidden_size_messages():
    with pytest.raises(ValueError, match=r"hidden_size must be a positive int, got 0"):
        GatedAttentionFusion(0)
    with pytest.raises(TypeError, match=r"hidden_size must be a positive int, got float"):
        GatedAttentionFusion(2.5)


def test_rank_message_names_the_shape():
    text, image = _inputs()
    with pytest.raises(ValueError, match=r"text must have shape \(B, L, D\) \(rank 3\), got shape \(2, 5\)"):
        GatedAttentionFusion(4)(text[:, 0], image)


def test_mask_messages_name_shape_and_dtype():
    text, image = _inputs()
    layer = GatedAttentionFusion(4)
    with pytest.raises(ValueError, match=r"image_mask must have shape \(B, Li\) = \(2, 4\), got shape \(2, 5\)"):
        layer(text, image, image_mask=np.ones((2, 5), bool))
    with pytest.raises(TypeError, match=r"image_mask must be boolean .* got dtype int32"):
        layer(text, image, image_mask=np.ones((2, 4), np.int32))


def test_batch_mismatch_message():
    text, image = _inputs()
    with pytest.raises(ValueError, match=r"share the batch size, got 2 and 1"):
        GatedAttentionFusion(4)(text, image[:1])


# Loading calls the default Layer.build before the functional graph is rebuilt, which warns
# that the (lazily built) Dense sublayers are unbuilt; rebuilding the graph builds them.
@pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer")
def test_functional_model_saves_and_reloads(tmp_path):
    text, image = _inputs()
    keras.utils.set_random_seed(1)
    t_in, i_in = keras.Input((3, 5)), keras.Input((4, 6))
    model = keras.Model([t_in, i_in], GatedAttentionFusion(8)(t_in, i_in))
    path = tmp_path / "fusion.keras"
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"GatedAttentionFusion": GatedAttentionFusion})
    np.testing.assert_allclose(loaded([text, image]), model([text, image]), rtol=1e-6, atol=1e-6)


def test_gradient_wrt_text_matches_central_differences():
    text, image = _inputs()
    keras.utils.set_random_seed(2)
    layer = GatedAttentionFusion(4, dtype="float64")
    mask = np.array([[True, True, False, True], [True, False, False, False]])
    t64, i64 = text.astype(np.float64), image.astype(np.float64)
    layer(t64, i64, image_mask=mask)

    def f(t):
        return float(tf.reduce_sum(layer(t, i64, image_mask=mask) ** 2))

    tt = tf.constant(t64)
    with tf.GradientTape() as tape:
        tape.watch(tt)
        loss = tf.reduce_sum(layer(tt, i64, image_mask=mask) ** 2)
    grad = tape.gradient(loss, tt).numpy()
    h = 1e-6
    numeric = np.zeros_like(t64)
    for idx in np.ndindex(t64.shape):
        dt = np.zeros_like(t64)
        dt[idx] = h
        numeric[idx] = (f(t64 + dt) - f(t64 - dt)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
