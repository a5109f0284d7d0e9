"""Checks of t19 · export for serving.

The model under test has a Dropout layer, so an export that serves ``training=True`` gives
different (and random) answers. Independent oracle: ``_np_forward``, the float64 NumPy
forward pass from the weights the probe returns (Dropout is the identity at inference);
the verdict first checks those weights reproduce the model's own ``training=False``
output. The decisive check reloads the SavedModel in a fresh Python process (no Keras
model, no student code) with ``tf.saved_model.load(path).serve(x)``.
"""

import numpy as np

from autograder.checks import Suite
from autograder.runtime import (
    CheckFailed,
    expect,
    expect_array,
    expect_close,
    expect_equal,
    expect_raises,
    need,
    raised,
    run_fresh_python,
)

# fresh_python: the engine forks a clean process for run_fresh_python instead of a new interpreter
suite = Suite("t19_export_serving", points={"shape": 2, "numeric": 4, "behavior": 4}, fresh_python=True)


def _model(seed):
    """Dense(8, relu) -> Dropout(0.5) -> Dense(3) on 4 input features."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(3),
    ])


def _x(seed, n):
    """Inputs ``(n, 4)`` float32 ~ N(0, 1)."""
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def _np_forward(weights, x):
    """Float64 forward pass of ``_model``: relu(x W1 + b1) W2 + b2."""
    w1, b1, w2, b2 = (np.asarray(w, dtype=np.float64) for w in weights)
    return np.maximum(np.asarray(x, dtype=np.float64) @ w1 + b1, 0.0) @ w2 + b2


def _checked_oracle(got, x):
    """Oracle output for ``x`` after checking the returned weights are the model's own."""
    weights = [expect_array(got[k], f"model weight {k}", kinds="f") for k in ("w1", "b1", "w2", "b2")]
    expect(float(np.std(weights[0])) > 0.05 and float(np.std(weights[2])) > 0.05, "model weights look degenerate")
    want = _np_forward(weights, x)
    expect_close(got["model_out"], want, "the model's own training=False output vs its weights", rtol=1e-4, atol=1e-5)
    return want


def _quiet_call(fn, *args):
    """``fn(*args)`` with TensorFlow's Python logger at ERROR: in a Jupyter kernel it logs INFO
    lines such as "Assets written to ..." to stderr, and nbgrader scores a cell with stderr as 0."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        return fn(*args)
    finally:
        logger.setLevel(level)


def _export(ns, model, *parts):
    """Call the student's export into a new temporary folder; return (tmp folder object, returned path)."""
    import os
    import tempfile

    tmp = tempfile.TemporaryDirectory()
    returned = _quiet_call(need(ns, "export_for_serving"), model, os.path.join(tmp.name, *parts))
    return tmp, returned


def _serve(path, *batches):
    """``tf.saved_model.load(path).serve(b)`` for each batch, in this process, keeping the object referenced."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    if not hasattr(loaded, "serve"):
        raise CheckFailed("the SavedModel has no `serve` endpoint: tf.saved_model.load(path).serve does not exist")
    return [np.asarray(loaded.serve(tf.constant(b))) for b in batches]


def _serve_script():
    """Python code run in a fresh process: load, serve each saved batch, save the answers."""
    return (
        "import sys\n"
        "import numpy as np\n"
        "import tensorflow as tf\n"
        "folder, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
        "loaded = tf.saved_model.load(path)\n"
        "for k in range(count):\n"
        "    x = np.load(f'{folder}/x{k}.npy', allow_pickle=False)\n"
        "    np.save(f'{folder}/y{k}.npy', np.asarray(loaded.serve(tf.constant(x))), allow_pickle=False)\n"
    )


def _serve_in_fresh_process(path, *batches):
    """Serve each batch from ``path`` in a new Python process; return the answers."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for k, b in enumerate(batches):
            np.save(os.path.join(folder, f"x{k}.npy"), b, allow_pickle=False)
        returncode, stderr = run_fresh_python(_serve_script(), [folder, str(path), str(len(batches))])
        if returncode != 0:
            tail = (stderr.strip().splitlines() or ["(no message)"])[-1]
            raise CheckFailed(f"loading and serving the SavedModel in a fresh Python process failed: {tail}")
        return [np.load(os.path.join(folder, f"y{k}.npy"), allow_pickle=False) for k in range(len(batches))]


def _bad_input_expectations():
    """The exercise's table of bad inputs: English label -> the one exception it must raise."""
    return {
        "a plain function as the model": "TypeError",
        "export_dir=123": "TypeError",
        "export_dir=None": "TypeError",
        "export_dir naming an existing file": "ValueError",
        "export_dir naming a non-empty folder": "ValueError",
        "overwrite=True on a non-empty folder that holds no SavedModel": "ValueError",
    }


# ----------------------------------------------------------------------------- shape
@suite.check("shape")
def returns_an_existing_saved_model(ns):
    """the returned path exists, holds saved_model.pb, and serve((3, 4)) answers (3, 3)"""
    import os

    tmp, returned = _export(ns, _model(0), "model")
    with tmp:
        expect(isinstance(returned, (str, os.PathLike)), f"expected a str path, got {type(returned).__name__}")
        exists = os.path.isdir(returned)
        has_pb = os.path.isfile(os.path.join(returned, "saved_model.pb"))
        out = _serve(returned, _x(1, 3))[0] if has_pb else np.zeros(0)
    return {"exists": exists, "has_pb": has_pb, "out": out}


@returns_an_existing_saved_model.verdict
def _(got):
    expect_equal(got["exists"], True, "the returned path is an existing folder")
    expect_equal(got["has_pb"], True, "the returned folder holds saved_model.pb")
    expect_array(got["out"], "serve(x) for x of shape (3, 4)", shape=(3, 3), kinds="f")


@suite.check("shape", hidden=True)
def serve_accepts_any_batch_size(ns):
    """the same loaded endpoint serves batches of 1, 7 and 0"""
    tmp, returned = _export(ns, _model(2), "model")
    with tmp:
        one, seven, zero = _serve(returned, _x(3, 1), _x(4, 7), _x(5, 0))
    return {"one": one, "seven": seven, "zero": zero}


@serve_accepts_any_batch_size.verdict
def _(got):
    expect_array(got["one"], "serve on a batch of 1", shape=(1, 3), kinds="f")
    expect_array(got["seven"], "serve on a batch of 7", shape=(7, 3), kinds="f")
    expect_array(got["zero"], "serve on a batch of 0", shape=(0, 3), kinds="f")


# --------------------------------------------------------------------------- numeric
def _hand_model():
    """Dropout(0.5) -> Dense(2) with kernel [[1, 2], [3, 4]] and bias [0.5, -0.5]."""
    import keras

    keras.utils.set_random_seed(6)
    dense = keras.layers.Dense(2)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dropout(0.5), dense])
    dense.set_weights([np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array([0.5, -0.5], np.float32)])
    return model


@suite.check("numeric")
def hand_worked_example(ns):
    """a Dropout + Dense model with weights set by hand answers the values worked by hand"""
    tmp, returned = _export(ns, _hand_model(), "hand")
    with tmp:
        out = _serve(returned, np.array([[1.0, 1.0], [2.0, 0.0]], np.float32))[0]
    return {"out": out}


@hand_worked_example.verdict
def _(got):
    # [1, 1] @ [[1, 2], [3, 4]] + [0.5, -0.5] = [4.5, 5.5]; [2, 0] -> [2.5, 3.5]; Dropout off.
    expect_close(got["out"], [[4.5, 5.5], [2.5, 3.5]], "serve(x)")


@suite.check("numeric", hidden=True)
def fresh_process_answers_like_inference(ns):
    """reloaded in a fresh Python process, serve(x) equals model(x, training=False) for batches of 5 and 1"""
    model = _model(7)
    x5, x1 = _x(8, 5), _x(9, 1)
    tmp, returned = _export(ns, model, "fresh")
    with tmp:
        y5, y1 = _serve_in_fresh_process(returned, x5, x1)
    got = dict(zip(("w1", "b1", "w2", "b2"), model.get_weights(), strict=True))
    got.update(y5=y5, y1=y1, model_out=np.asarray(model(np.concatenate([x5, x1]), training=False)))
    return got


@fresh_process_answers_like_inference.verdict
def _(got):
    want = _checked_oracle(got, np.concatenate([_x(8, 5), _x(9, 1)]))
    expect_close(got["y5"], want[:5], "serve(x) of a batch of 5 in a fresh process")
    expect_close(got["y1"], want[5:], "serve(x) of a batch of 1 in a fresh process")


@suite.check("numeric", hidden=True)
def serving_signature_is_inference(ns):
    """serve is deterministic and the 'serving_default' signature gives the same answers"""
    import tensorflow as tf

    model = _model(10)
    x = _x(11, 6)
    tmp, returned = _export(ns, model, "signature")
    with tmp:
        loaded = tf.saved_model.load(str(returned))
        expect(hasattr(loaded, "serve"), "the SavedModel has no `serve` endpoint")
        first = np.asarray(loaded.serve(tf.constant(x)))
        second = np.asarray(loaded.serve(tf.constant(x)))
        expect("serving_default" in loaded.signatures, "the SavedModel has no 'serving_default' signature")
        signature = loaded.signatures["serving_default"]
        names = list(signature.structured_input_signature[1])
        expect(len(names) == 1, f"the serving signature must take one input, takes {names}")
        answers = list(signature(**{names[0]: tf.constant(x)}).values())
        expect(len(answers) == 1, f"the serving signature must give one output, gives {len(answers)}")
    got = dict(zip(("w1", "b1", "w2", "b2"), model.get_weights(), strict=True))
    got.update(first=first, second=second, signature=np.asarray(answers[0]),
               model_out=np.asarray(model(x, training=False)))
    return got


@serving_signature_is_inference.verdict
def _(got):
    want = _checked_oracle(got, _x(11, 6))
    expect_close(got["first"], want, "serve(x)")
    expect_close(got["second"], want, "serve(x) called a second time")
    expect_close(got["signature"], want, "the 'serving_default' signature's answer")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def exports_into_new_nested_folders(ns):
    """exporting to serving/classifier/1 (none of which exists) creates the folders; the path is returned"""
    import os

    tmp, returned = _export(ns, _model(12), "serving", "classifier", "1")
    with tmp:
        wanted = os.path.join(tmp.name, "serving", "classifier", "1")
        expect(isinstance(returned, (str, os.PathLike)), f"expected a str path, got {type(returned).__name__}")
        same = os.path.isdir(returned) and os.path.samefile(returned, wanted)
        has_pb = os.path.isfile(os.path.join(wanted, "saved_model.pb"))
    return {"same": same, "has_pb": has_pb}


@exports_into_new_nested_folders.verdict
def _(got):
    expect_equal(got["same"], True, "the returned path is the requested folder serving/classifier/1")
    expect_equal(got["has_pb"], True, "serving/classifier/1 holds saved_model.pb")


@suite.check("behavior", hidden=True)
def bad_arguments_are_errors(ns):
    """every bad input of the exercise's table raises the exception the table names"""
    import os
    import tempfile

    export = need(ns, "export_for_serving")
    model = _model(13)
    with tempfile.TemporaryDirectory() as tmp:
        a_file = os.path.join(tmp, "model.txt")
        with open(a_file, "w") as fh:
            fh.write("not a folder")
        busy = os.path.join(tmp, "busy")
        os.makedirs(busy)
        with open(os.path.join(busy, "notes.txt"), "w") as fh:
            fh.write("keep me")
        got = {
            "a plain function as the model": _quiet_call(raised, export, lambda x: x, os.path.join(tmp, "a")),
            "export_dir=123": _quiet_call(raised, export, model, 123),
            "export_dir=None": _quiet_call(raised, export, model, None),
            "export_dir naming an existing file": _quiet_call(raised, export, model, a_file),
            "export_dir naming a non-empty folder": _quiet_call(raised, export, model, busy),
            "overwrite=True on a non-empty folder that holds no SavedModel":
                _quiet_call(raised, export, model, busy, True),
        }
        with open(os.path.join(busy, "notes.txt")) as fh:
            got["busy_kept"] = fh.read() == "keep me"
    return got


@bad_arguments_are_errors.verdict
def _(got):
    for label, kind in _bad_input_expectations().items():
        expect_raises(got[label], kind, label)
    expect_equal(got["busy_kept"], True, "the non-empty folder's content is untouched")


@suite.check("behavior", hidden=True)
def model_unchanged_by_export(ns):
    """the model's weights and inference output are the same after the export"""
    model = _model(14)
    x = _x(15, 4)
    before = [np.array(w) for w in model.get_weights()]
    out_before = np.asarray(model(x, training=False))
    tmp, _ = _export(ns, model, "model")
    with tmp:
        pass
    after = model.get_weights()
    same = len(after) == len(before) and all(np.array_equal(b, a) for b, a in zip(before, after, strict=False))
    return {"same_weights": same, "before": out_before, "after": np.asarray(model(x, training=False))}


@model_unchanged_by_export.verdict
def _(got):
    expect_equal(got["same_weights"], True, "the model's weights are unchanged by the export")
    expect_close(got["after"], expect_array(got["before"], "output before", shape=(4, 3), kinds="f"),
                 "model(x, training=False) after the export", rtol=0, atol=0)


def _two_input_model(seed):
    """Dense(2) on the concatenation of a text input (4,) and an image input (3,)."""
    import keras

    keras.utils.set_random_seed(seed)
    text, image = keras.Input((4,), name="text"), keras.Input((3,), name="image")
    return keras.Model([text, image], keras.layers.Dense(2)(keras.layers.Concatenate()([text, image])))


def _two_inputs(seed):
    """A text batch (5, 4) and an image batch (5, 3), float32 ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)


@suite.check("behavior", hidden=True)
def two_input_model_served_with_one_argument_per_input(ns):
    """a [text, image] model is served as serve(text, image), one positional argument per input in model.inputs order"""
    import tensorflow as tf

    model = _two_input_model(16)
    text, image = _two_inputs(17)
    tmp, returned = _export(ns, model, "two_inputs")
    with tmp:
        loaded = tf.saved_model.load(str(returned))
        expect(hasattr(loaded, "serve"), "the SavedModel has no `serve` endpoint")
        out = np.asarray(loaded.serve(tf.constant(text), tf.constant(image)))
    kernel, bias = model.get_weights()
    return {"out": out, "kernel": kernel, "bias": bias,
            "model_out": np.asarray(model([text, image], training=False))}


@two_input_model_served_with_one_argument_per_input.verdict
def _(got):
    text, image = _two_inputs(17)
    kernel = expect_array(got["kernel"], "kernel of the Dense layer", shape=(7, 2), kinds="f").astype(np.float64)
    bias = expect_array(got["bias"], "bias of the Dense layer", shape=(2,), kinds="f").astype(np.float64)
    expect(float(np.std(kernel)) > 0.05, "model weights look degenerate")
    want = np.concatenate([text, image], axis=1).astype(np.float64) @ kernel + bias
    expect_close(got["model_out"], want, "the model's own output vs its weights", rtol=1e-4, atol=1e-5)
    expect_close(got["out"], want, "serve(text, image)")
