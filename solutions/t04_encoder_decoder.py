"""t04 · Encoder-decoder fusion as a Keras layer (reference solution)."""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["EncoderDecoderFusion"]


class EncoderDecoderFusion(keras.layers.Layer):
    """Encode and decode each modality, then add: ``text_decoder(text_encoder(t)) + image_decoder(image_encoder(i))``.

    The four sublayers are ``Dense(hidden_size, activation="relu")`` attributes named
    ``text_encoder``, ``image_encoder``, ``text_decoder`` and ``image_decoder``. They are
    created once, in ``__init__``, so every call reuses the same trained weights.
    """

    def __init__(self, hidden_size, **kwargs):
        """Create the four Dense sublayers (their weights are made on the first call).

        Args:
            hidden_size: positive int, the width of every sublayer and of the output.
            **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

        Raises:
            TypeError: ``hidden_size`` is not an int.
            ValueError: ``hidden_size`` is not positive.
        """
        super().__init__(**kwargs)
        if isinstance(hidden_size, bool) or not isinstance(hidden_size, (int, np.integer)):
            raise TypeError(f"hidden_size must be a positive int, got {type(hidden_size).__name__} {hidden_size!r}")
        if hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive int, got {hidden_size}")
        self.hidden_size = int(hidden_size)
        self.text_encoder = keras.layers.Dense(self.hidden_size, activation="relu", name="text_encoder")
        self.image_encoder = keras.layers.Dense(self.hidden_size, activation="relu", name="image_encoder")
        self.text_decoder = keras.layers.Dense(self.hidden_size, activation="relu", name="text_decoder")
        self.image_decoder = keras.layers.Dense(self.hidden_size, activation="relu", name="image_decoder")

    def build(self, text_shape, image_shape):
        """Create the sublayers' weights from the input shapes ``(B, Dt)`` and ``(B, Di)``."""
        for name, shape in (("text", text_shape), ("image", image_shape)):
            if len(shape) != 2:
                raise ValueError(f"{name} must have shape (B, D{name[0]}), got {tuple(shape)}")
        self.text_encoder.build(text_shape)
        self.image_encoder.build(image_shape)
        self.text_decoder.build((text_shape[0], self.hidden_size))
        self.image_decoder.build((image_shape[0], self.hidden_size))

    def call(self, text, image):
        """Fuse ``text`` ``(B, Dt)`` and ``image`` ``(B, Di)`` into ``(B, hidden_size)``.

        Raises:
            ValueError: an input that is not 2-D, or different batch sizes.
        """
        if len(text.shape) != 2 or len(image.shape) != 2:
            raise ValueError(
                f"text and image must have shapes (B, Dt) and (B, Di), got {tuple(text.shape)} and {tuple(image.shape)}"
            )
        bt, bi = text.shape[0], image.shape[0]
        if bt is not None and bi is not None and bt != bi:
            raise ValueError(f"text and image must have the same batch size, got {bt} and {bi}")
        return self.text_decoder(self.text_encoder(text)) + self.image_decoder(self.image_encoder(image))

    def compute_output_shape(self, text_shape, image_shape):
        """``(B, hidden_size)``."""
        return (text_shape[0], self.hidden_size)

    def get_config(self):
        """The layer's config: Keras's own entries plus ``hidden_size``."""
        config = super().get_config()
        config["hidden_size"] = self.hidden_size
        return config
