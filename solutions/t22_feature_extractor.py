"""t22 · Multimodal feature extractor as a functional Keras model (reference solution)."""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["build_feature_extractor"]


def _positive_int(value, name):
    """Return ``value`` as an int, or raise TypeError (not an integer) / ValueError (not positive)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def build_feature_extractor(text_dim, image_dim, hidden_size):
    """Functional model ``[text (B, text_dim), image (B, image_dim)] -> (B, 2 * hidden_size)``.

    Each modality has its own ``Dense(hidden_size, activation="relu")`` projection; the output
    is the text projection followed by the image projection (concatenated on the last axis).
    The model is built from the dimensions alone (no data needed) and survives
    ``model.save("x.keras")`` / ``keras.models.load_model``.

    Raises:
        TypeError: a dimension that is not an integer.
        ValueError: a dimension that is not positive.
    """
    text_dim = _positive_int(text_dim, "text_dim")
    image_dim = _positive_int(image_dim, "image_dim")
    hidden_size = _positive_int(hidden_size, "hidden_size")

    text_input = keras.Input(shape=(text_dim,), name="text")
    image_input = keras.Input(shape=(image_dim,), name="image")
    text_proj = keras.layers.Dense(hidden_size, activation="relu", name="text_projection")(text_input)
    image_proj = keras.layers.Dense(hidden_size, activation="relu", name="image_projection")(image_input)
    fused = keras.layers.Concatenate(axis=-1, name="fused")([text_proj, image_proj])
    return keras.Model(inputs=[text_input, image_input], outputs=fused, name="feature_extractor")
