"""t28 · Per-layer magnitude pruning of Dense kernels (reference solution)."""

from __future__ import annotations

import math

import keras
import numpy as np

__all__ = ["magnitude_prune"]


def _dense_layers(layer):
    """Every ``keras.layers.Dense`` inside ``layer``, recursing into nested models."""
    found = []
    for sub in getattr(layer, "layers", []):
        if isinstance(sub, keras.layers.Dense):
            found.append(sub)
        else:
            found.extend(_dense_layers(sub))
    return found


def _keep_mask(magnitude, sparsity):
    """Boolean mask that is False on the ``round(sparsity * size)`` smallest entries of ``magnitude``."""
    n_pruned = int(np.round(sparsity * magnitude.size))
    order = np.argsort(magnitude, axis=None, kind="stable")  # ties broken by position: repeatable
    keep = np.ones(magnitude.size, dtype=bool)
    keep[order[:n_pruned]] = False
    return keep.reshape(magnitude.shape)


def magnitude_prune(model, sparsity):
    """Zero the smallest-magnitude fraction ``sparsity`` of every Dense kernel, layer by layer.

    Each Dense layer (also inside nested models) is pruned separately: its
    ``round(sparsity * kernel.size)`` weights of smallest absolute value are set to 0 in
    place. Biases and all non-Dense layers are left untouched. Calling the function again
    with the same ``sparsity`` changes nothing (the zeros are already the smallest weights).

    Args:
        model: a built ``keras.Model``.
        sparsity: fraction of each kernel to zero, in ``[0, 1]``.

    Returns:
        dict mapping each Dense layer's name to a boolean keep-mask of its kernel's shape
        (True = weight kept).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if isinstance(sparsity, bool) or not isinstance(sparsity, (int, float, np.integer, np.floating)):
        raise TypeError(f"sparsity must be a number in [0, 1], got {type(sparsity).__name__}")
    if not (math.isfinite(sparsity) and 0.0 <= sparsity <= 1.0):
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    dense = _dense_layers(model)
    names = [layer.name for layer in dense]
    if len(set(names)) != len(names):
        raise ValueError(f"Dense layer names must be unique to key the masks, got {names}")
    unbuilt = [layer.name for layer in dense if not layer.built]
    if unbuilt:
        raise ValueError(f"build the model before pruning: Dense layers {unbuilt} have no kernel yet")

    kernels = {layer.name: np.asarray(layer.kernel) for layer in dense}
    masks = {name: _keep_mask(np.abs(k), sparsity) for name, k in kernels.items()}
    for layer in dense:
        layer.kernel.assign(np.where(masks[layer.name], kernels[layer.name], 0).astype(kernels[layer.name].dtype))
    return masks
