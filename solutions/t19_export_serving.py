"""t19 · Export a Keras model for serving (reference solution)."""

from __future__ import annotations

import os

import keras
import tensorflow as tf

__all__ = ["export_for_serving"]


def _input_specs(model):
    """One ``tf.TensorSpec`` per model input, with a free batch dimension."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "model must have known input shapes (build it with keras.Input), got a model without inputs"
        )
    return [tf.TensorSpec(shape=(None, *x.shape[1:]), dtype=x.dtype, name=f"input_{k}")
            for k, x in enumerate(inputs)]


def export_for_serving(model, export_dir, overwrite=False):
    """Export ``model`` as a TensorFlow SavedModel with a ``serve`` endpoint for inference.

    The SavedModel holds the weights and the traced computation of
    ``model(x, training=False)`` (Dropout off, BatchNormalization on its moving statistics)
    for any batch size; it loads without the model's Python code:
    ``tf.saved_model.load(path).serve(x)``. The same function is the ``serving_default``
    signature used by TensorFlow Serving.

    Args:
        model: a built ``keras.Model`` with known input shapes. A model with several inputs
            is served as ``serve(x1, x2, ...)``.
        export_dir: ``str`` or ``os.PathLike``; missing parent folders are created (e.g. a
            version folder ``models/classifier/1``).
        overwrite: replace an existing SavedModel in ``export_dir``; without it a non-empty
            folder is an error, so that a deployed version is never silently replaced.

    Returns:
        The absolute path of the SavedModel folder, as a ``str``.

    Raises:
        TypeError: ``model`` is not a ``keras.Model`` or ``export_dir`` is not a path.
        ValueError: the model has no known inputs, ``export_dir`` is a file, or a non-empty
            folder (that is not a SavedModel to overwrite).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not isinstance(export_dir, (str, os.PathLike)):
        raise TypeError(f"export_dir must be a str or os.PathLike path, got {type(export_dir).__name__}")
    path = os.path.abspath(os.fspath(export_dir))
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"export_dir must be a folder, got the existing file {path}")
    if os.path.isdir(path) and os.listdir(path):
        if not overwrite:
            raise ValueError(f"export_dir must be a new or empty folder, got the non-empty {path} "
                             f"(pass overwrite=True to replace a SavedModel)")
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"overwrite=True only replaces a SavedModel, and {path} holds none")
        tf.io.gfile.rmtree(path)
    specs = _input_specs(model)

    archive = keras.export.ExportArchive()
    archive.track(model)
    if len(specs) == 1:
        archive.add_endpoint("serve", lambda x: model(x, training=False), input_signature=specs)
    else:
        archive.add_endpoint("serve", lambda *xs: model(list(xs), training=False), input_signature=specs)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    archive.write_out(path, verbose=False)
    return path
