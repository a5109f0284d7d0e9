"""Extra tests of the t08 reference: error messages, and a nonlinear two-tower model checked
against t07's FGSM and a plain Keras SGD step written out separately."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import adversarial_train_step, fgsm_perturbation


def _two_tower(seed):
    keras.utils.set_random_seed(seed)
    text = keras.Input((3,))
    image = keras.Input((4,))
    fused = keras.layers.Concatenate()([keras.layers.Dense(5, activation="tanh")(text),
                                        keras.layers.Dense(5, activation="tanh")(image)])
    return keras.Model([text, image], keras.layers.Dense(3)(fused))


def _data():
    rng = np.random.default_rng(1)
    return (rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=(6, 4)).astype(np.float32),
            np.array([0, 1, 2, 2, 1, 0]))


def test_nonlinear_model_matches_fgsm_and_one_sgd_step():
    text, image, labels = _data()
    model, twin = _two_tower(3), _two_tower(3)
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    text_t, image_t = tf.constant(text), tf.constant(image)
    text_adv = fgsm_perturbation(lambda t: ce(labels, twin([t, image_t], training=True)), text, 0.1)
    image_adv = fgsm_perturbation(lambda i: ce(labels, twin([text_t, i], training=True)), image, 0.1)
    with tf.GradientTape() as tape:
        clean = ce(labels, twin([text_t, image_t], training=True))
        adv = ce(labels, twin([text_adv, image_adv], training=True))
        loss = 0.25 * clean + 0.75 * adv
    grads = tape.gradient(loss, twin.trainable_variables)
    keras.optimizers.SGD(0.3).apply_gradients(zip(grads, twin.trainable_variables, strict=True))

    result = adversarial_train_step(model, keras.optimizers.SGD(0.3), text, image, labels, 0.1, alpha=0.25)

    np.testing.assert_allclose([result["clean_loss"], result["adv_loss"], result["loss"]],
                               [float(clean), float(adv), float(loss)], rtol=1e-5)
    for got, want in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_alpha_message_names_the_value():
    text, image, labels = _data()
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\], got 1\.5"):
        adversarial_train_step(_two_tower(0), keras.optimizers.SGD(0.1), text, image, labels, 0.1, alpha=1.5)


def test_batch_mismatch_message_names_the_three_sizes():
    text, image, labels = _data()
    with pytest.raises(ValueError, match=r"share the batch size, got 6, 4 and 6"):
        adversarial_train_step(_two_tower(0), keras.optimizers.SGD(0.1), text, image[:4], labels, 0.1)


def test_one_hot_labels_message():
    text, image, labels = _data()
    with pytest.raises(ValueError, match=r"shape \(B,\) \(class ids, not one-hot\), got shape \(6, 3\)"):
        adversarial_train_step(_two_tower(0), keras.optimizers.SGD(0.1), text, image, np.eye(3)[labels], 0.1)


def test_out_of_range_label_message_and_no_update():
    text, image, _ = _data()
    model, optimizer = _two_tower(0), keras.optimizers.SGD(0.1)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"labels must be < C = 3, got 5"):
        adversarial_train_step(model, optimizer, text, image, np.full(6, 5), 0.1)
    assert int(optimizer.iterations) == 0
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_empty_batch_message():
    text, image, labels = _data()
    with pytest.raises(ValueError, match=r"batch is empty"):
        adversarial_train_step(_two_tower(0), keras.optimizers.SGD(0.1), text[:0], image[:0], labels[:0], 0.1)
