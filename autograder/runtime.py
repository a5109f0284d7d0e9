"""Check runtime shared by the notebooks and the grading engine.

This module is embedded verbatim into every generated notebook (a locked cell), so it
imports nothing but NumPy and the standard library. It holds three kinds of helpers:

* probe helpers (``need``, ``raised``): used by *probes*, the half of a check that calls
  the student's code and returns plain data;
* ``plain``: turns whatever a probe returned into plain data (Python scalars, strings,
  dicts and numeric NumPy arrays) so that no student object ever reaches a verdict;
* verdict helpers (``expect_*``): used by *verdicts*, the half of a check that judges
  that plain data. They check exact types before comparing, so an object with an
  always-true ``__eq__`` cannot pass.

``check`` runs one probe and its verdict and prints a friendly line per check; each check
carries its own points. A group of checks (one nbgrader graded cell) ends with
``end_group``, whose value, the cell's last expression, is what nbgrader records: a graded
cell whose output is a single number is partial credit, one with no value full credit, and
``nbgrader validate`` (JupyterLab's Validate button) fails every cell below its points. A
failing check fails the check, never the cell.

``begin_group`` declares how many of the group's points are in hidden checks; ``end_group``
counts how many hidden checks' points actually ran (``check`` records each one it runs,
passed or not), so the cell itself decides what it can truthfully report:

* hidden checks ran (the source notebook, ``nbgrader autograde``, which restores them): the
  value is exactly the points earned, as the grading engine scores them;
* the group has hidden checks but none ran (a release notebook, from which nbgrader strips
  them): if every visible check passed the cell has no value, so Validate passes it, and it
  prints that the hidden checks' points are still to be earned where they run (grading and
  ``mmqb check``); if a visible check failed the value is the visible points earned, below
  the cell's points, so Validate fails it. A release cell never reports hidden points earned.

A hidden check's messages never show a value: not the expected one, not an error size, not
what the student's code returned or printed. Whether a verdict runs for a hidden check is
a ``contextvars.ContextVar`` set around that one call, so verdicts judged in parallel
threads cannot see each other's setting.
"""

import builtins
import contextlib
import contextvars
import random
import sys
import traceback

import numpy as np

_SCALAR_TYPES = (bool, int, float, str, type(None))
_MAX_PLAIN_DEPTH = 8


class CheckFailed(AssertionError):
    """A verdict's judgement that the student's answer is wrong."""


# --------------------------------------------------------------------------- probes
def need(ns, name):
    """Return ``ns[name]``, or fail with a message saying which definition is missing."""
    try:
        return ns[name]
    except KeyError:
        raise CheckFailed(f"`{name}` is not defined: run the cell that defines it") from None


def raised(fn, *args, **kwargs):
    """Call ``fn`` and return the name of the exception class it raised, or ``"no error"``."""
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - we report any exception by name
        return type(exc).__name__
    return "no error"


def plain(value, _depth=0):
    """Convert a probe's result to plain data.

    Allowed: ``None``, ``bool``, ``int``, ``float``, ``str``, dicts with string keys, and
    anything NumPy turns into a numeric array (lists, tuples, NumPy arrays, tf.Tensors).
    Scalars of NumPy types become Python scalars. Anything else raises ``TypeError``.
    """
    if _depth > _MAX_PLAIN_DEPTH:
        raise TypeError("result is nested too deeply")
    kind = type(value)
    if kind in _SCALAR_TYPES:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"dict keys must be str, got {type(key).__name__}")
            out[key] = plain(item, _depth + 1)
        return out
    if isinstance(value, np.generic):
        return plain(value.item(), _depth + 1)
    if kind in (list, tuple) and any(type(v) in (dict, str, type(None)) for v in value):
        return [plain(v, _depth + 1) for v in value]
    try:
        array = np.asarray(value)
    except Exception as exc:  # noqa: BLE001
        raise TypeError(f"cannot read a {kind.__name__} as an array: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"expected numbers, got {kind.__name__} with dtype {array.dtype}")
    return np.array(array, dtype=array.dtype, copy=True, subok=False)


# ------------------------------------------------------------------------- verdicts
_HIDDEN = contextvars.ContextVar("mmqb_hidden_verdict", default=False)

# Exception class names a hidden check may name: Python's own. A class the student defined
# could carry any text in its name.
_BUILTIN_ERRORS = frozenset(name for name, obj in vars(builtins).items()
                            if isinstance(obj, type) and issubclass(obj, BaseException))


def _hidden():
    return _HIDDEN.get()


def _fmt(array):
    text = np.array2string(np.asarray(array), precision=5, threshold=20, suppress_small=True)
    return text.replace("\n", " ")


def expect(condition, message):
    """Fail with ``message`` unless ``condition`` is exactly ``True``.

    A hidden check says only that the property failed (its message may quote values).
    """
    if condition is not True:
        raise CheckFailed("the result does not have the property this check tests" if _hidden() else message)


def expect_array(got, what, shape=None, kinds="biuf"):
    """Return ``got`` after checking it is a numeric ndarray (optionally of ``shape``)."""
    if type(got) is not np.ndarray:
        raise CheckFailed(f"{what}: expected an array" + ("" if _hidden() else f", got {type(got).__name__}"))
    if got.dtype.kind not in kinds:
        raise CheckFailed(f"{what}: wrong dtype" if _hidden()
                          else f"{what}: expected dtype kind in {kinds!r}, got {got.dtype}")
    if shape is not None and tuple(got.shape) != tuple(shape):
        raise CheckFailed(f"{what}: wrong shape" if _hidden()
                          else f"{what}: expected shape {tuple(shape)}, got {tuple(got.shape)}")
    return got


def expect_number(got, what):
    """Return ``got`` as a float after checking it is a real number (0-d arrays allowed)."""
    if type(got) is np.ndarray and got.shape == () and got.dtype.kind in "iuf":
        got = got.item()
    if type(got) not in (int, float):
        raise CheckFailed(f"{what}: expected a number" + ("" if _hidden() else f", got {type(got).__name__}"))
    return float(got)


def expect_close(got, want, what, rtol=1e-5, atol=1e-6):
    """Check ``got`` is an array of ``want``'s shape and numerically close to it."""
    want = np.asarray(want, dtype=np.float64)
    if want.shape == () and type(got) in (int, float):
        got = np.asarray(got, dtype=np.float64)
    got = expect_array(got, what, shape=want.shape)
    got64 = got.astype(np.float64)
    if not np.all(np.isfinite(got64)) and np.all(np.isfinite(want)):
        raise CheckFailed(f"{what}: contains NaN or inf")
    if not np.allclose(got64, want, rtol=rtol, atol=atol, equal_nan=True):
        if _hidden():
            raise CheckFailed(f"{what}: wrong values")
        err = np.abs(got64 - want)
        worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
        raise CheckFailed(
            f"{what}: wrong values (largest error {float(np.max(err)):.3g} at index "
            f"{tuple(int(i) for i in worst)}; tolerance rtol={rtol}, atol={atol}); there expected "
            f"{float(want[worst]):.10g}, got {float(got64[worst]):.10g}; expected {_fmt(want)}, got {_fmt(got64)}"
        )


def expect_equal(got, want, what):
    """Check exact equality of plain data (arrays: same shape and elements)."""
    if type(want) is np.ndarray or type(got) is np.ndarray:
        got = expect_array(got, what, shape=np.shape(want), kinds="biuf")
        if not np.array_equal(got, np.asarray(want)):
            raise CheckFailed(f"{what}: wrong values" if _hidden()
                              else f"{what}: expected {_fmt(want)}, got {_fmt(got)}")
        return
    if type(got) is not type(want) or got != want:
        raise CheckFailed(f"{what}: wrong value" if _hidden() else f"{what}: expected {want!r}, got {got!r}")


def expect_raises(got, kinds, what):
    """``got`` is a probe's ``raised(...)`` result; check it names one of ``kinds``."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if type(got) is not str or got not in kinds:
        if _hidden():
            received = "no error" if got == "no error" else public_error_name(got)
            raise CheckFailed(f"{what}: expected {' or '.join(kinds)}, got {received}")
        raise CheckFailed(f"{what}: expected {' or '.join(kinds)}, got {got}")


def public_error_name(name):
    """An exception class name safe to show for a hidden check: Python's own, else a generic word."""
    return name if type(name) is str and name in _BUILTIN_ERRORS else "another exception"


def earned(points):
    """Points of a group: the sum of its passing checks' points, rounded as nbgrader stores them."""
    return round(sum(points), 2)


# ----------------------------------------------------------------------- fresh Python
# The grading engine's sandbox sets this to a function that runs a script in a process forked
# before any student code ran (TensorFlow imported, no op run: as clean as a new interpreter,
# without paying the import again). In a notebook it stays None and a new interpreter starts.
_FRESH_PYTHON = None


def run_fresh_python(script, args=(), timeout=240):
    """Run ``script`` (Python source) with ``sys.argv[1:] == args`` in a fresh Python process.

    The process has none of the notebook's objects, only what the script imports. Returns
    ``(exit code, stderr text)``.
    """
    if _FRESH_PYTHON is not None:
        return _FRESH_PYTHON(script, [str(a) for a in args], timeout)
    import os
    import subprocess

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    proc = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)
    return proc.returncode, proc.stderr


# --------------------------------------------------------------------------- driver
PROBE_SEED = 0


def seed_random_state(seed=PROBE_SEED):
    """Reset every random state a submission can draw from, before each probe.

    A submission that draws random numbers (noise instead of a gradient sign, a random
    initialiser) then gets the same score every time it is graded, in nbgrader as in mmqb:
    otherwise the same notebook could pass a check in one run and fail it in the next.
    Frameworks are seeded only if the submission already imported them.
    """
    random.seed(seed)
    np.random.seed(seed)
    keras = sys.modules.get("keras")
    tf = sys.modules.get("tensorflow")
    if keras is not None and hasattr(keras, "utils"):
        keras.utils.set_random_seed(seed)  # also resets Keras's global SeedGenerator
    elif tf is not None and hasattr(tf, "random"):
        tf.random.set_seed(seed)


def run_probe(probe, ns, hidden=False):
    """Run a probe. Returns ``(True, plain data)`` or ``(False, message)``.

    For a hidden check the message names only a built-in exception class: the text of the
    exception, its line and any class the student defined could carry what the probe saw.
    """
    try:
        with contextlib.redirect_stderr(sys.stdout):  # nbgrader scores a cell with stderr 0
            seed_random_state()
            return True, plain(probe(ns))
    except CheckFailed as exc:
        return False, ("the check could not run your code (a name it needs is missing or a result "
                       "has the wrong form)" if hidden else str(exc))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - the student's exception, SystemExit included
        if hidden:
            return False, f"your code raised {public_error_name(type(exc).__name__)}"
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f": {exc}" if str(exc) else ""
        return False, f"calling your code raised {type(exc).__name__}{detail} (line {frame.lineno} of {frame.name})"


def run_verdict(verdict, data, hidden=False):
    """Judge a probe's plain data. Returns ``(passed, message)``."""
    token = _HIDDEN.set(bool(hidden))
    try:
        verdict(data)
    except CheckFailed as exc:
        return False, str(exc)
    except Exception as exc:  # noqa: BLE001 - malformed result
        return False, "unexpected result" if hidden else f"unexpected result ({type(exc).__name__}: {exc})"
    finally:
        _HIDDEN.reset(token)
    return True, ""


def run_check(probe, verdict, ns, hidden=False):
    """Run one check in this process. Returns ``(passed, message)``."""
    ok, data = run_probe(probe, ns, hidden=hidden)
    if not ok:
        return False, data
    return run_verdict(verdict, data, hidden=hidden)


_GROUP = {"name": "", "points": 0, "hidden_points": 0, "earned": [], "failed": [], "hidden_run": []}

GRADED_AT = "when your work is graded (and in `mmqb check`)"


def begin_group(name, points=0, hidden_points=0):
    """Start a group of checks: one graded cell worth ``points``, ``hidden_points`` of them hidden."""
    _GROUP.update(name=name, points=points, hidden_points=hidden_points, earned=[], failed=[], hidden_run=[])


def check(name, probe, verdict, ns, hidden=False, points=1.0):
    """Run one check and print a friendly line: what was checked, its points and, if wrong, why."""
    passed, message = run_check(probe, verdict, ns, hidden=hidden)
    doc = (probe.__doc__ or "").strip().splitlines()
    label = f"{name} ({points:g} pt): {doc[0]}" if doc else f"{name} ({points:g} pt)"
    print(f"[PASS] {label}" if passed else f"[FAIL] {label}\n       {message}")
    if hidden:
        _GROUP["hidden_run"].append(points)
    if passed:
        _GROUP["earned"].append(points)
    else:
        _GROUP["failed"].append(name)
    return passed


def _points(value):
    return f"{value:g} point" + ("" if value == 1 else "s")


def end_group():
    """Print the group's points and return the cell's value, which nbgrader records.

    With the hidden checks run: the points earned. Without them (a release notebook): nothing
    (full credit for Validate) if every visible check passed, else the visible points earned.
    """
    name, points, hidden = _GROUP["name"], _GROUP["points"], _GROUP["hidden_points"]
    score = earned(_GROUP["earned"])
    failed = _GROUP["failed"]
    released = hidden > 0 and not _GROUP["hidden_run"]
    _GROUP.update(earned=[], failed=[], hidden_run=[])
    failures = f"{len(failed)} check(s) failed: {', '.join(failed)}"
    if not released:
        if failed:
            print(f"{name}: {score:g} of {_points(points)} ({failures})")
        else:
            print(f"All checks of {name} passed: {score:g} of {_points(points)}.")
        return score
    visible = earned([points, -hidden])
    later = f"hidden checks worth {hidden:g} more point{'' if hidden == 1 else 's'} run {GRADED_AT}."
    if failed:
        print(f"{name}: {score:g} of the {_points(visible)} of the visible checks here ({failures}); {later}")
        return score
    if visible:
        print(f"All visible checks of {name} passed: {score:g} of {_points(points)} here; {later}")
    else:
        print(f"The checks of {name} are hidden: worth {_points(points)}, they run {GRADED_AT}.")
    return None
