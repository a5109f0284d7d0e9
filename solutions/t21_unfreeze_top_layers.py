"""t21 · Fine-tuning: unfreeze the top k weighted layers, keep BatchNormalization frozen (reference solution)."""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["unfreeze_top_layers"]


def _leaf_layers(model):
    """The layers of ``model`` in model order, with nested models replaced by their own layers (recursively)."""
    leaves = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            leaves.extend(_leaf_layers(layer))
        else:
            leaves.append(layer)
    return leaves


def unfreeze_top_layers(model, k):
    """Make the last ``k`` weighted layers of ``model`` trainable and freeze every other layer.

    Layers are taken in model order, nested models expanded into their layers. A layer counts
    if it owns weights; BatchNormalization layers never count and always end up frozen (a
    frozen BatchNormalization layer also runs in inference mode during ``fit``). ``k = 0``
    freezes everything; ``k`` larger than the number of counted layers unfreezes all of them.
    The result does not depend on earlier calls. Recompile the model before training.

    Args:
        model: a ``keras.Model``, modified in place.
        k: non-negative int.

    Returns:
        The names of the layers left trainable, in model order.

    Raises:
        TypeError: ``model`` is not a Keras model, or ``k`` is not an integer.
        ValueError: ``k`` is negative.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be a non-negative int, got {type(k).__name__} {k!r}")
    if k < 0:
        raise ValueError(f"k must be a non-negative int, got {k}")
    # A frozen container hides its children's weights whatever their own flags (e.g. after a
    # linear probe set model.trainable = False): make the containers trainable first.
    model.trainable = True
    leaves = _leaf_layers(model)
    counted = [layer for layer in leaves if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    top = counted[max(len(counted) - int(k), 0):] if k > 0 else []
    for layer in leaves:
        layer.trainable = False
    for layer in top:
        layer.trainable = True
    return [layer.name for layer in top]
