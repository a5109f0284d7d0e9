"""t09 · Linear probe on a frozen backbone (reference solution)."""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["build_linear_probe"]


class LinearProbe(keras.Model):
    """A frozen backbone, always run in inference mode, followed by a trainable linear head.

    A subclassed model (not a functional one): in Keras 3, a functional model called with
    ``training=True`` passes ``training=True`` down to every layer, overriding a
    ``backbone(x, training=False)`` written when the graph was built, so the backbone's
    Dropout would drop units during ``fit``. Here ``call`` fixes ``training=False`` on every call.
    """

    def __init__(self, backbone, num_classes, **kwargs):
        """Keep ``backbone`` (already frozen by the caller) and create the ``Dense(num_classes)`` head."""
        super().__init__(**kwargs)
        self.backbone = backbone
        self.head = keras.layers.Dense(num_classes, name="probe_head")

    def call(self, inputs, training=None):
        """Logits ``head(backbone(inputs))``; the backbone runs with ``training=False`` whatever ``training`` is."""
        features = self.backbone(inputs, training=False)
        return self.head(features)


def build_linear_probe(backbone, num_classes):
    """A linear probe: frozen ``backbone`` (inference mode) + new ``Dense(num_classes)`` logits head.

    Args:
        backbone: a Keras layer or model mapping a batch of inputs to features ``(B, F)``.
            It is frozen in place (``backbone.trainable = False``): the probe shares it.
        num_classes: positive int, the number of logits.

    Returns:
        A ``keras.Model`` whose only trainable variables are the head's kernel ``(F, num_classes)``
        and bias ``(num_classes,)``; it returns logits (no softmax). The backbone's BatchNormalization
        statistics and Dropout stay in inference mode even when the probe is called with
        ``training=True`` (for example by ``fit``).
    """
    if not isinstance(backbone, keras.layers.Layer):
        raise TypeError(f"backbone must be a keras Layer or Model, got {type(backbone).__name__}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be a positive int, got {type(num_classes).__name__} {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes}")
    backbone.trainable = False
    return LinearProbe(backbone, int(num_classes), name="linear_probe")
