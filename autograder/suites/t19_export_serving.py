"""Checks of t19 · export for serving.

The model under test is the exercise's worked example, Dropout(0.5) -> Dense(2) with weights
set by hand, so an export that serves ``training=True`` gives different (and random) answers.
Independent oracle: ``_hand_forward``, ``x @ kernel + bias`` in float64 from the verdict's own
copy of those weights (Dropout is the identity at inference). The decisive check reloads the
SavedModel in a fresh Python process (no Keras model, no student code) with
``tf.saved_model.load(path).serve(x)``.

A SavedModel export costs ~0.1-0.2 s, most of this suite's time, so the single-input checks
share one export per submission (``_served_export``): the one into the nested folders
``serving/classifier/1``, loaded once. A submission whose nested export fails or lands
elsewhere gets a second, flat export for the other checks, so that one bug still costs only
the checks about it. The two-input model is the only other export, shared by the
two-input check and the unchanged-model check.
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


def _hand_model():
    """Dropout(0.5) -> Dense(2) with kernel [[1, 2], [3, 4]] and bias [0.5, -0.5]."""
    import keras

    # Constant initialisers set the weights at build: no random draw, no second assignment.
    dense = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant([[1.0, 2.0], [3.0, 4.0]]),
                               bias_initializer=keras.initializers.Constant([0.5, -0.5]))
    return keras.Sequential([keras.Input((2,)), keras.layers.Dropout(0.5, seed=6), dense])


def _hand_weights():
    """The hand model's kernel and bias, float64, for the verdicts."""
    return np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])


def _hand_forward(x):
    """Float64 answer of the hand model at inference (Dropout off): x @ kernel + bias."""
    kernel, bias = _hand_weights()
    return np.asarray(x, dtype=np.float64) @ kernel + bias


def _x(seed, n):
    """Inputs ``(n, 2)`` float32 ~ N(0, 1) for the hand model."""
    return np.random.default_rng(seed).normal(size=(n, 2)).astype(np.float32)


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


def _shared(ns):
    """The exports the checks share for this submission, kept in its namespace.

    Valid while every name the namespace held when they were first computed still holds the
    same object: redefining any function (a student rerunning a cell after an edit) starts
    afresh. Names defined later (the check cells' own functions) do not matter. Only successes
    are kept: a call that raised runs again for the next check that needs it. A namespace that
    cannot be written shares nothing: every check then exports for itself.
    """
    key = "_t19_checked_exports"
    shared = ns.get(key)
    if (type(shared) is not dict or type(shared.get("names")) is not dict
            or any(ns.get(k, shared) is not v for k, v in shared["names"].items())):
        shared = {"names": {k: v for k, v in ns.items() if k != key}}
        try:
            ns[key] = shared
        except TypeError:
            pass
    return shared


def _export_once(ns, *parts):
    """Export ``_hand_model()`` into ``parts`` of a new temporary folder, once per submission.

    Returns the record ``{"tmp", "wanted", "returned", "model", "weights_before",
    "out_before"}`` (the folder lives as long as the record); an export that raises is not
    kept (see ``_shared``).
    """
    import os
    import tempfile

    export = need(ns, "export_for_serving")
    shared = _shared(ns)
    key = "/".join(parts)
    if key not in shared:
        model = _hand_model()
        record = {"model": model, "weights_before": [np.array(w) for w in model.get_weights()],
                  "out_before": np.asarray(model(_x(15, 4), training=False)), "tmp": tempfile.TemporaryDirectory()}
        record["wanted"] = os.path.join(record["tmp"].name, *parts)
        record["returned"] = _quiet_call(export, model, record["wanted"])
        shared[key] = record
    return shared[key]


def _nested_export(ns):
    """The export into serving/classifier/1, none of which exists beforehand."""
    return _export_once(ns, "serving", "classifier", "1")


def _is_the_wanted_saved_model(record):
    """True if the export returned the folder it was asked for and wrote saved_model.pb there."""
    import os

    returned = record["returned"]
    try:
        return (isinstance(returned, (str, os.PathLike)) and os.path.isdir(returned)
                and os.path.samefile(returned, record["wanted"])
                and os.path.isfile(os.path.join(record["wanted"], "saved_model.pb")))
    except (OSError, TypeError, ValueError):
        return False


def _served_export(ns):
    """The export the single-input checks serve: the nested one if it did exactly what was asked,
    else a flat export into a new folder (so a nesting bug costs only the nesting check)."""
    try:
        record = _nested_export(ns)
        if _is_the_wanted_saved_model(record):
            return record
    except Exception:  # noqa: BLE001 - the nesting check reports it; the flat export runs afresh
        pass
    return _export_once(ns, "model")


def _serve(record, *batches):
    """``serve(b)`` for each batch from ``tf.saved_model.load`` of the returned path, loaded once per record."""
    import tensorflow as tf

    if "loaded" not in record:
        loaded = tf.saved_model.load(str(record["returned"]))
        if not hasattr(loaded, "serve"):
            raise CheckFailed("the SavedModel has no `serve` endpoint: tf.saved_model.load(path).serve does not exist")
        record["loaded"] = loaded
    return [np.asarray(record["loaded"].serve(tf.constant(b))) for b in batches]


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
    """the returned path exists, holds saved_model.pb, and serve((5, 2)) answers (5, 2)"""
    import os

    record = _served_export(ns)
    returned = record["returned"]
    expect(isinstance(returned, (str, os.PathLike)), f"expected a str path, got {type(returned).__name__}")
    exists = os.path.isdir(returned)
    has_pb = os.path.isfile(os.path.join(returned, "saved_model.pb"))
    out = _serve(record, _x(1, 5))[0] if has_pb else np.zeros(0)
    return {"exists": exists, "has_pb": has_pb, "out": out}


@returns_an_existing_saved_model.verdict
def _(got):
    expect_equal(got["exists"], True, "the returned path is an existing folder")
    expect_equal(got["has_pb"], True, "the returned folder holds saved_model.pb")
    expect_array(got["out"], "serve(x) for x of shape (5, 2)", shape=(5, 2), kinds="f")


@suite.check("shape", hidden=True)
def serve_accepts_any_batch_size(ns):
    """the same loaded endpoint serves batches of 1, 7 and 0"""
    one, seven, zero = _serve(_served_export(ns), _x(3, 1), _x(4, 7), _x(5, 0))
    return {"one": one, "seven": seven, "zero": zero}


@serve_accepts_any_batch_size.verdict
def _(got):
    expect_array(got["one"], "serve on a batch of 1", shape=(1, 2), kinds="f")
    expect_array(got["seven"], "serve on a batch of 7", shape=(7, 2), kinds="f")
    expect_array(got["zero"], "serve on a batch of 0", shape=(0, 2), kinds="f")


# --------------------------------------------------------------------------- numeric
@suite.check("numeric")
def hand_worked_example(ns):
    """a Dropout + Dense model with weights set by hand answers the values worked by hand"""
    return {"out": _serve(_served_export(ns), np.array([[1.0, 1.0], [2.0, 0.0]], np.float32))[0]}


@hand_worked_example.verdict
def _(got):
    # [1, 1] @ [[1, 2], [3, 4]] + [0.5, -0.5] = [4.5, 5.5]; [2, 0] -> [2.5, 3.5]; Dropout off.
    expect_close(got["out"], [[4.5, 5.5], [2.5, 3.5]], "serve(x)")


@suite.check("numeric", hidden=True)
def fresh_process_answers_like_inference(ns):
    """reloaded in a fresh Python process, serve(x) equals model(x, training=False) for batches of 5 and 1"""
    y5, y1 = _serve_in_fresh_process(_served_export(ns)["returned"], _x(8, 5), _x(9, 1))
    return {"y5": y5, "y1": y1}


@fresh_process_answers_like_inference.verdict
def _(got):
    expect_close(got["y5"], _hand_forward(_x(8, 5)), "serve(x) of a batch of 5 in a fresh process")
    expect_close(got["y1"], _hand_forward(_x(9, 1)), "serve(x) of a batch of 1 in a fresh process")


@suite.check("numeric", hidden=True)
def serving_signature_is_inference(ns):
    """serve is deterministic and the 'serving_default' signature gives the same answers"""
    import tensorflow as tf

    x = _x(11, 6)
    record = _served_export(ns)
    first, second = _serve(record, x, x)
    loaded = record["loaded"]
    expect("serving_default" in loaded.signatures, "the SavedModel has no 'serving_default' signature")
    signature = loaded.signatures["serving_default"]
    names = list(signature.structured_input_signature[1])
    expect(len(names) == 1, f"the serving signature must take one input, takes {names}")
    answers = list(signature(**{names[0]: tf.constant(x)}).values())
    expect(len(answers) == 1, f"the serving signature must give one output, gives {len(answers)}")
    return {"first": first, "second": second, "signature": np.asarray(answers[0])}


@serving_signature_is_inference.verdict
def _(got):
    want = _hand_forward(_x(11, 6))
    expect_close(got["first"], want, "serve(x)")
    expect_close(got["second"], want, "serve(x) called a second time")
    expect_close(got["signature"], want, "the 'serving_default' signature's answer")


# -------------------------------------------------------------------------- behavior
@suite.check("behavior")
def exports_into_new_nested_folders(ns):
    """exporting to serving/classifier/1 (none of which exists) creates the folders; the path is returned"""
    import os

    record = _nested_export(ns)
    returned = record["returned"]
    expect(isinstance(returned, (str, os.PathLike)), f"expected a str path, got {type(returned).__name__}")
    same = os.path.isdir(returned) and os.path.samefile(returned, record["wanted"])
    has_pb = os.path.isfile(os.path.join(record["wanted"], "saved_model.pb"))
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
    model = _hand_model()
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
    record = _served_export(ns)  # weights and output were taken just before the export
    before = record["weights_before"]
    after = record["model"].get_weights()
    same = len(after) == len(before) and all(np.array_equal(b, a) for b, a in zip(before, after, strict=False))
    got = {"same_weights": same, "kernel": after[0] if after else np.zeros(0),
           "before": record["out_before"], "after": np.asarray(record["model"](_x(15, 4), training=False))}
    # The hand model's weights are exact in float16 too: the two-input model's random weights
    # also catch an export that rounds the model's weights in place. Its export is shared with
    # the two-input check; if it failed, that check reports it and this one judges the hand model.
    try:
        two = _two_input_export(ns)
    except Exception:  # noqa: BLE001
        return got
    weights = two["model"].get_weights()
    got["two_input_kernel"], got["two_input_bias"] = (weights + [np.zeros(0), np.zeros(0)])[:2]
    got["two_input_count"] = len(weights)
    return got


@model_unchanged_by_export.verdict
def _(got):
    expect_equal(got["same_weights"], True, "the model's weights are unchanged by the export")
    expect_close(got["kernel"], _hand_weights()[0], "the Dense kernel after the export", rtol=0, atol=0)
    before = expect_array(got["before"], "output before", shape=(4, 2), kinds="f")
    expect_close(before, _hand_forward(_x(15, 4)), "model(x, training=False) before the export")
    expect_close(got["after"], before, "model(x, training=False) after the export", rtol=0, atol=0)
    if "two_input_count" in got:
        kernel, bias = _two_input_weights(16)
        expect_equal(got["two_input_count"], 2, "the number of weights of the two-input model after the export")
        expect_close(got["two_input_kernel"], kernel.astype(np.float32),
                     "the two-input model's kernel after the export", rtol=0, atol=0)
        expect_close(got["two_input_bias"], bias.astype(np.float32),
                     "the two-input model's bias after the export", rtol=0, atol=0)


def _two_input_weights(seed):
    """Kernel (7, 2) ~ N(0, 1) and bias (2,) ~ N(0, 0.5) of the two-input model, float64."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(7, 2)), rng.normal(0.0, 0.5, size=(2,))


def _two_input_model(seed):
    """Dense(2) holding ``_two_input_weights(seed)`` on the concatenation of text (4,) and image (3,) inputs."""
    import keras

    kernel, bias = _two_input_weights(seed)
    dense = keras.layers.Dense(2, kernel_initializer=keras.initializers.Constant(kernel),
                               bias_initializer=keras.initializers.Constant(bias))
    text, image = keras.Input((4,), name="text"), keras.Input((3,), name="image")
    return keras.Model([text, image], dense(keras.layers.Concatenate()([text, image])))


def _two_input_export(ns):
    """``_two_input_model(16)`` exported once per submission: the record ``{"tmp", "returned", "model"}``."""
    import os
    import tempfile

    export = need(ns, "export_for_serving")
    shared = _shared(ns)
    if "two inputs" not in shared:
        model = _two_input_model(16)
        record = {"model": model, "tmp": tempfile.TemporaryDirectory()}
        record["returned"] = _quiet_call(export, model, os.path.join(record["tmp"].name, "two_inputs"))
        shared["two inputs"] = record
    return shared["two inputs"]


def _two_inputs(seed):
    """A text batch (5, 4) and an image batch (5, 3), float32 ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)


@suite.check("behavior", hidden=True)
def two_input_model_served_with_one_argument_per_input(ns):
    """a [text, image] model is served as serve(text, image), one positional argument per input in model.inputs order"""
    import tensorflow as tf

    text, image = _two_inputs(17)
    loaded = tf.saved_model.load(str(_two_input_export(ns)["returned"]))
    expect(hasattr(loaded, "serve"), "the SavedModel has no `serve` endpoint")
    return {"out": np.asarray(loaded.serve(tf.constant(text), tf.constant(image)))}


@two_input_model_served_with_one_argument_per_input.verdict
def _(got):
    text, image = _two_inputs(17)
    kernel, bias = _two_input_weights(16)
    want = np.concatenate([text, image], axis=1).astype(np.float64) @ kernel + bias
    expect_close(got["out"], want, "serve(text, image)")
