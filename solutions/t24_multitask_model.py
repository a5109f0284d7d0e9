"""t24 · Multi-task model (reference solution)."""

from __future__ import annotations

import keras

__all__ = ["build_multitask_model"]


def _positive_int(value, name):
    """``value`` as an int, or TypeError (not an int) / ValueError (< 1)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__}")
    value = int(value.__index__())
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def build_multitask_model(text_dim, image_dim, hidden_size):
    """Two-task model: both sigmoid heads read one shared trunk over the fused modalities.

    Args:
        text_dim: size of a text feature vector (positive int).
        image_dim: size of an image feature vector (positive int).
        hidden_size: width of the modality projections and of the shared trunk (positive int).

    Returns:
        A functional ``keras.Model`` with inputs ``[text (B, text_dim), image (B, image_dim)]``
        and outputs ``{'text_task': (B, 1), 'image_task': (B, 1)}``, probabilities in (0, 1).
        Each output depends on both modalities.
    """
    text_dim = _positive_int(text_dim, "text_dim")
    image_dim = _positive_int(image_dim, "image_dim")
    hidden_size = _positive_int(hidden_size, "hidden_size")

    text_input = keras.Input(shape=(text_dim,), name="text")
    image_input = keras.Input(shape=(image_dim,), name="image")
    text_branch = keras.layers.Dense(hidden_size, activation="relu", name="text_branch")(text_input)
    image_branch = keras.layers.Dense(hidden_size, activation="relu", name="image_branch")(image_input)
    fused = keras.layers.Concatenate(axis=-1, name="fused")([text_branch, image_branch])
    shared = keras.layers.Dense(hidden_size, activation="relu", name="shared_trunk")(fused)
    text_output = keras.layers.Dense(1, activation="sigmoid", name="text_task")(shared)
    image_output = keras.layers.Dense(1, activation="sigmoid", name="image_task")(shared)
    return keras.Model(
        inputs=[text_input, image_input],
        outputs={"text_task": text_output, "image_task": image_output},
        name="multitask_model",
    )
