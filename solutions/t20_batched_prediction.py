"""t20 · Batched prediction (reference solution)."""

from __future__ import annotations

import numpy as np

__all__ = ["preprocess_input_data", "predict"]


def _as_float32_batch(x, name):
    """``x`` as a float32 array of rank >= 2 (a 1-D array becomes a batch of one); validated."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}: {exc}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{name} must be a feature vector (D,) or a batch (N, D), got a scalar")
    if array.ndim == 1:
        array = array[None, :]
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf, rejected below
        out = np.array(array, dtype=np.float32, copy=True)
    if not np.all(np.isfinite(out)):
        bad = int(np.size(out) - np.count_nonzero(np.isfinite(out)))
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite value(s) (after casting to float32)")
    return out


def preprocess_input_data(input_data):
    """Turn the pair ``(text, image)`` into a pair of float32 batches.

    Args:
        input_data: a tuple or list ``(text, image)``; each is an array of numbers (NumPy,
            list or ``tf.Tensor``) of shape ``(N, ...)``, or 1-D ``(D,)`` for a single sample.

    Returns:
        ``(text, image)``: new float32 NumPy arrays (the inputs are not modified); a 1-D
        input becomes a batch of one, ``(1, D)``.

    Raises:
        TypeError: ``input_data`` is not a pair, or holds something that is not numbers.
        ValueError: a pair of the wrong length, a scalar, NaN/inf values, or text and image
            with different batch sizes.
    """
    if not isinstance(input_data, (tuple, list)):
        raise TypeError(f"input_data must be a pair (text, image), got {type(input_data).__name__}")
    if len(input_data) != 2:
        raise ValueError(f"input_data must be a pair (text, image), got {len(input_data)} item(s)")
    text = _as_float32_batch(input_data[0], "text")
    image = _as_float32_batch(input_data[1], "image")
    if text.shape[0] != image.shape[0]:
        raise ValueError(
            f"text and image must have the same batch size, got {text.shape[0]} and {image.shape[0]}"
        )
    return text, image


def predict(model, input_data, batch_size=256):
    """Predicted class labels of ``model`` for ``input_data``, computed in batches.

    Args:
        model: called as ``model([text_batch, image_batch], training=False)``, returns class
            scores (logits or probabilities) of shape ``(b, num_classes)``.
        input_data: the pair ``(text, image)`` accepted by :func:`preprocess_input_data`.
        batch_size: positive int, the largest batch the model is called on.

    Returns:
        int64 NumPy array ``(N,)``: the arg-max class of each sample. The result does not
        depend on ``batch_size``; ``N = 0`` gives an empty ``(0,)`` array.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be a positive int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}")
    text, image = preprocess_input_data(input_data)
    n = text.shape[0]
    labels = []
    for start in range(0, n, int(batch_size)):
        stop = start + int(batch_size)
        scores = np.asarray(model([text[start:stop], image[start:stop]], training=False))
        if scores.ndim != 2 or scores.shape[0] != min(stop, n) - start or scores.shape[1] < 2:
            raise ValueError(
                f"model must return scores of shape (batch, num_classes >= 2), got {scores.shape} "
                f"for a batch of {min(stop, n) - start}"
            )
        labels.append(np.argmax(scores, axis=-1))
    if not labels:
        return np.zeros((0,), dtype=np.int64)
    return np.concatenate(labels).astype(np.int64)
