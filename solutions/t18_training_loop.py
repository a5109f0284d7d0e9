"""t18 · A custom training loop with Adam (reference solution)."""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

__all__ = ["train_model"]


def _as_array(x, name):
    """``x`` (list, array or tensor) as a NumPy array with at least one axis."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    if a.ndim == 0:
        raise ValueError(f"{name} must have a first (sample) axis, got a scalar")
    return a


def _as_inputs(train_data):
    """One array, or a list of arrays for a multi-input model (each with the same first axis)."""
    if isinstance(train_data, (list, tuple)) and train_data and all(
            isinstance(part, (np.ndarray, tf.Tensor)) for part in train_data):
        parts = [_as_array(part, f"train_data[{i}]") for i, part in enumerate(train_data)]
        sizes = {part.shape[0] for part in parts}
        if len(sizes) != 1:
            raise ValueError(f"every input of train_data must have the same number of samples, got {sorted(sizes)}")
        return parts, parts[0].shape[0]
    data = _as_array(train_data, "train_data")
    return data, data.shape[0]


def _positive_int(value, name, minimum):
    """``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def train_model(model, train_data, train_label, epochs, batch_size, learning_rate, seed=None):
    """Train ``model`` with Adam on sparse categorical cross-entropy from logits.

    Every epoch visits the samples in a new random order (drawn from ``seed``) in mini-batches
    of ``batch_size``; the last, smaller batch is trained on too. Each batch: one forward pass
    ``model(x, training=True)``, the mean cross-entropy of the batch, one Adam step.

    Args:
        model: a Keras model returning logits ``(B, C)``.
        train_data: ``(N, ...)`` inputs, or a list/tuple of arrays for a multi-input model.
        train_label: ``(N,)`` (or ``(N, 1)``) integer class labels in ``[0, C)``; floats holding
            whole numbers are accepted, bool labels are a TypeError.
        epochs: number of passes over the data (0 trains nothing).
        batch_size: samples per step (>= 1).
        learning_rate: Adam's learning rate (>= 0; 0 leaves the weights unchanged but still reports the loss).
        seed: seeds the shuffling; the same seed gives the same batches and the same result.

    Returns:
        ``(model, history)``: the same model object, trained in place, and a list of ``epochs``
        Python floats, ``history[e]`` the mean loss over the samples of epoch ``e``: each batch's
        mean loss (computed before its step) weighted by the batch's size.
    """
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"model must be a Keras model, got {type(model).__name__}")
    inputs, n = _as_inputs(train_data)
    labels = _as_array(train_label, "train_label")
    if labels.dtype.kind == "b":
        raise TypeError("train_label must hold integer class indices, got dtype bool")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"train_label must have shape ({n},) to match train_data, got {labels.shape}")
    if n == 0:
        raise ValueError("train_data has 0 samples: there is nothing to train on")
    as_float = labels.astype(np.float64)
    if np.any(as_float != np.round(as_float)) or np.any(as_float < 0):
        raise ValueError("train_label must hold non-negative integer class indices")
    labels = labels.astype(np.int64)
    epochs = _positive_int(epochs, "epochs", 0)
    batch_size = _positive_int(batch_size, "batch_size", 1)
    if isinstance(learning_rate, (bool, np.bool_)) or not isinstance(learning_rate, (int, float, np.number)):
        raise TypeError(f"learning_rate must be a number, got {type(learning_rate).__name__}")
    if not (math.isfinite(learning_rate) and learning_rate >= 0):
        raise ValueError(f"learning_rate must be a finite number >= 0 (0 is a no-op step), got {learning_rate}")
    if seed is not None:
        seed = _positive_int(seed, "seed", 0)

    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = rng.permutation(n)  # a fresh order every epoch
        total = 0.0
        for start in range(0, n, batch_size):  # includes the last, partial batch
            index = order[start:start + batch_size]
            x = [part[index] for part in inputs] if isinstance(inputs, list) else inputs[index]
            y = labels[index]
            with tf.GradientTape() as tape:
                logits = model(x, training=True)
                if start == 0 and int(np.max(labels)) >= logits.shape[-1]:
                    raise ValueError(f"train_label holds class {int(np.max(labels))} but the model "
                                     f"gives {logits.shape[-1]} logits")
                loss = loss_fn(y, logits)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            total += float(loss) * len(index)  # weight the batch mean by the batch size
        history.append(total / n)
    return model, history
