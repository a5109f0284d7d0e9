"""t10 · Per-modality projection heads with L2-normalized outputs (reference solution)."""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["ModalityProjector"]


def _l2_normalize(x, epsilon=1e-12):
    """Rows of ``x`` divided by their L2 norm; the squared norm is floored at ``epsilon``, so a zero row stays 0."""
    squared = keras.ops.sum(keras.ops.square(x), axis=-1, keepdims=True)
    return x * keras.ops.rsqrt(keras.ops.maximum(squared, epsilon))


class ModalityProjector(keras.layers.Layer):
    """Project text and image features to a shared space of unit vectors (CLIP-style heads).

    ``text_proj = normalize(text_feature @ Wt + bt)`` and
    ``image_proj = normalize(image_feature @ Wi + bi)``: one learned linear ``Dense(hidden_size)``
    per modality, created once, each row scaled to unit L2 norm.
    """

    def __init__(self, hidden_size, **kwargs):
        """Validate ``hidden_size`` (positive int) and create the two ``Dense(hidden_size)`` projections."""
        super().__init__(**kwargs)
        if isinstance(hidden_size, bool) or not isinstance(hidden_size, (int, np.integer)):
            raise TypeError(f"hidden_size must be a positive int, got {type(hidden_size).__name__} {hidden_size!r}")
        if hidden_size < 1:
            raise ValueError(f"hidden_size must be a positive int, got {hidden_size}")
        self.hidden_size = int(hidden_size)
        # dtype=self.dtype_policy: ModalityProjector(..., dtype="float64") projects in float64 too
        self.text_projection = keras.layers.Dense(self.hidden_size, dtype=self.dtype_policy, name="text_projection")
        self.image_projection = keras.layers.Dense(self.hidden_size, dtype=self.dtype_policy, name="image_projection")

    def build(self, text_feature_shape, image_feature_shape):
        """Create both projections' weights for the given input shapes (Keras calls this before the first call
        and when a saved model is loaded)."""
        self.text_projection.build(text_feature_shape)
        self.image_projection.build(image_feature_shape)

    def call(self, text_feature, image_feature):
        """``(B, Dt)``, ``(B, Di)`` -> ``(text_proj, image_proj)``, each ``(B, hidden_size)`` with unit rows."""
        text_shape, image_shape = tuple(text_feature.shape), tuple(image_feature.shape)
        if len(text_shape) != 2 or len(image_shape) != 2:
            raise ValueError(f"text_feature and image_feature must have shape (B, D), "
                             f"got {text_shape} and {image_shape}")
        if None not in (text_shape[0], image_shape[0]) and text_shape[0] != image_shape[0]:
            raise ValueError(f"text_feature and image_feature must have the same batch size, "
                             f"got {text_shape[0]} and {image_shape[0]}")
        text_proj = self.text_projection(text_feature)
        image_proj = self.image_projection(image_feature)
        return _l2_normalize(text_proj), _l2_normalize(image_proj)

    def get_config(self):
        """The base layer's config plus ``hidden_size``, so ``from_config`` rebuilds the same layer."""
        config = super().get_config()
        config["hidden_size"] = self.hidden_size
        return config
