"""t08 · Multimodal adversarial training step (reference solution)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

__all__ = ["adversarial_train_step"]


def _real(value, name):
    """``value`` as a float; TypeError if it is not a real number, ValueError if NaN or inf."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        array = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - any failure means "not a number"
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}") from exc
    if array.ndim != 0 or array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} with shape {array.shape}")
    number = float(array)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def _features(x, name):
    """``x`` as a floating tensor of rank >= 2 (integers become float32)."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        t = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if t.dtype.is_integer:
        t = tf.cast(t, tf.float32)
    elif not t.dtype.is_floating:
        raise TypeError(f"{name} must hold numbers, got dtype {t.dtype.name}")
    if t.shape.rank < 2:
        raise ValueError(f"{name} must have shape (B, ...) with rank >= 2, got shape {tuple(t.shape)}")
    return t


def _labels(labels):
    """Integer class ids of shape ``(B,)`` as an int32 NumPy array (whole-number floats accepted)."""
    array = np.asarray(labels)
    if array.dtype.kind not in "iuf":  # bool ("b"), text, objects: not class ids
        raise TypeError(f"labels must be integer class ids, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        if not (np.all(np.isfinite(array)) and np.all(array == np.round(array))):
            raise ValueError("labels must hold whole numbers (class ids), got a fractional or non-finite value")
        array = array.astype(np.int64)
    if array.ndim != 1:
        raise ValueError(f"labels must have shape (B,) (class ids, not one-hot), got shape {array.shape}")
    if array.size and array.min() < 0:
        raise ValueError(f"labels must be >= 0, got {int(array.min())}")
    return array.astype(np.int32)


def _mean_cross_entropy(labels, logits):
    """Mean sparse categorical cross-entropy of ``logits`` (B, C) against ``labels`` (B,)."""
    per_sample = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_mean(per_sample)


def _fgsm(x, grad, epsilon):
    """``x + epsilon * sign(grad)``, a constant for the weight gradient."""
    return tf.stop_gradient(x + tf.constant(epsilon, dtype=x.dtype) * tf.sign(grad))


def adversarial_train_step(model, optimizer, text, image, labels, epsilon, alpha=0.5):
    """One step of FGSM adversarial training on both modalities.

    1. ``clean_loss`` = mean sparse categorical cross-entropy of ``model([text, image],
       training=True)`` (logits) against ``labels``;
    2. both inputs are perturbed by FGSM of ``clean_loss`` with the weights fixed:
       ``text_adv = text + epsilon * sign(d clean_loss / d text)``, the same for ``image``;
    3. ``adv_loss`` = the same loss on ``[text_adv, image_adv]``;
    4. exactly one ``optimizer`` step on ``loss = alpha * clean_loss + (1 - alpha) * adv_loss``
       over ``model.trainable_variables``.

    Args:
        model: callable Keras model, ``model([text, image], training=True)`` -> logits ``(B, C)``.
        optimizer: a Keras optimizer.
        text: ``(B, ...)`` text features; never modified.
        image: ``(B, ...)`` image features; never modified.
        labels: integer class ids ``(B,)`` in ``[0, C)`` (floats holding whole numbers are accepted).
        epsilon: FGSM radius, a real number ``>= 0``.
        alpha: weight of the clean loss, in ``[0, 1]``.

    Returns:
        ``{"clean_loss": float, "adv_loss": float, "loss": float}``, Python floats computed
        with the weights as they were before the step.

    Raises:
        TypeError: non-numeric inputs or parameters, bool or text labels, a model that is not
            callable, an optimizer without ``apply_gradients``.
        ValueError: ``epsilon < 0``, ``alpha`` outside ``[0, 1]``, an empty batch, batch sizes
            that differ, labels that are not ``(B,)``, fractional or not in ``[0, C)``, logits
            not ``(B, C)``.
            Nothing is updated when an error is raised.
    """
    if not callable(model):
        raise TypeError(f"model must be a callable Keras model, got {type(model).__name__}")
    if not hasattr(optimizer, "apply_gradients"):
        raise TypeError(f"optimizer must be a Keras optimizer, got {type(optimizer).__name__}")
    epsilon = _real(epsilon, "epsilon")
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    alpha = _real(alpha, "alpha")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    text_t = tf.identity(_features(text, "text"))
    image_t = tf.identity(_features(image, "image"))
    label_ids = _labels(labels)
    sizes = (text_t.shape[0], image_t.shape[0], label_ids.shape[0])
    if len(set(sizes)) != 1:
        raise ValueError(f"text, image and labels must share the batch size, got {sizes[0]}, {sizes[1]} and {sizes[2]}")
    if sizes[0] == 0:
        raise ValueError("the batch is empty (B = 0): the mean loss of no sample is undefined")

    with tf.GradientTape() as weight_tape:
        with tf.GradientTape() as input_tape:
            input_tape.watch([text_t, image_t])
            logits = model([text_t, image_t], training=True)
            if logits.shape.rank != 2 or logits.shape[0] != sizes[0]:
                raise ValueError(f"model must return logits of shape (B, C) = ({sizes[0]}, C), "
                                 f"got shape {tuple(logits.shape)}")
            if label_ids.max() >= logits.shape[-1]:
                raise ValueError(f"labels must be < C = {logits.shape[-1]}, got {int(label_ids.max())}")
            clean_loss = _mean_cross_entropy(label_ids, logits)
        with weight_tape.stop_recording():
            grad_text, grad_image = input_tape.gradient(
                clean_loss, [text_t, image_t], unconnected_gradients=tf.UnconnectedGradients.ZERO)
        text_adv = _fgsm(text_t, grad_text, epsilon)
        image_adv = _fgsm(image_t, grad_image, epsilon)
        adv_loss = _mean_cross_entropy(label_ids, model([text_adv, image_adv], training=True))
        loss = alpha * clean_loss + (1.0 - alpha) * adv_loss

    variables = model.trainable_variables
    grads = weight_tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables, strict=True))
    return {"clean_loss": float(clean_loss), "adv_loss": float(adv_loss), "loss": float(loss)}
