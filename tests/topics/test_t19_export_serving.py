"""Extra tests of the t19 reference: messages, overwrite, pathlib, a two-input model."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from solutions import export_for_serving


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dropout(0.3), keras.layers.Dense(2)])


def test_type_messages_name_what_was_received():
    with pytest.raises(TypeError, match=r"model must be a keras.Model, got function"):
        export_for_serving(lambda x: x, "unused")
    with pytest.raises(TypeError, match=r"export_dir must be a str or os.PathLike path, got int"):
        export_for_serving(_model(), 7)


def test_existing_file_and_busy_folder_messages(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"must be a folder, got the existing file"):
        export_for_serving(_model(), tmp_path / "file")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match=r"new or empty folder"):
        export_for_serving(_model(), tmp_path / "busy")
    with pytest.raises(ValueError, match=r"holds none"):
        export_for_serving(_model(), tmp_path / "busy", overwrite=True)
    assert (tmp_path / "busy" / "notes.txt").read_text() == "keep"


def test_overwrite_replaces_a_saved_model_and_pathlib_works(tmp_path):
    target = tmp_path / "m" / "1"
    first = export_for_serving(_model(), target)
    assert isinstance(first, str) and os.path.samefile(first, target)
    keras.utils.set_random_seed(5)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    export_for_serving(other, target, overwrite=True)
    loaded = tf.saved_model.load(first)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(loaded.serve(x).numpy(), other(x, training=False).numpy(), rtol=1e-6)


def test_two_input_model_is_served_with_two_arguments(tmp_path):
    keras.utils.set_random_seed(1)
    text, image = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dropout(0.5)(keras.layers.Concatenate()([text, image]))
    model = keras.Model([text, image], keras.layers.Dense(4)(h))
    path = export_for_serving(model, tmp_path / "two")
    loaded = tf.saved_model.load(path)
    t, i = np.ones((5, 3), np.float32), np.full((5, 2), 2.0, np.float32)
    np.testing.assert_allclose(loaded.serve(t, i).numpy(), model([t, i], training=False).numpy(), rtol=1e-6)


def test_model_without_known_inputs_is_rejected(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match=r"known input shapes"):
        export_for_serving(Net(), tmp_path / "net")
