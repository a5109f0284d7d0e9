"""The grading engine, a closed layer: the one API the course pipeline, self-study, the report,
Gradescope, the benchmark and the CLI use.

    from autograder.engine import Limits, WarmWorker, grade_path

Modules inside (``handle``, ``stages``, ``sandbox``, ``worker``, ``wire`` ...) are the engine's
own; nothing in this package imports a layer above it (``pyproject.toml``'s import-linter
contract, run by ``make test``). Names are resolved on first use so that the worker and the
sandboxed child, which import ``autograder.engine.worker``, load only what they need.
"""

from __future__ import annotations

import importlib

_API = {
    "Limits": "autograder.engine.settings",
    "ISOLATION_POLICIES": "autograder.engine.settings",
    "WarmWorker": "autograder.engine.handle",
    "Phase": "autograder.engine.handle",
    "grade_path": "autograder.engine.stages",
    "grade_submission": "autograder.engine.stages",
    "run_probes": "autograder.engine.stages",
    "judge": "autograder.engine.stages",
    "forbidden_paths": "autograder.engine.stages",
    "not_graded": "autograder.engine.stages",
    "invalid_submission": "autograder.engine.stages",
    "read_submission": "autograder.engine.submission",
    "release_notebook": "autograder.engine.submission",
    "read_notebook": "autograder.engine.submission",
    "submitted_cells": "autograder.engine.submission",
    "Submission": "autograder.engine.submission",
    "LocalPool": "autograder.engine.pool",
    "DaskPool": "autograder.engine.pool",
    "make_pool": "autograder.engine.pool",
    "Credentials": "autograder.engine.cluster",
    "make_credentials": "autograder.engine.cluster",
    "client_security": "autograder.engine.cluster",
    "ClusterError": "autograder.errors",
    "EngineFault": "autograder.errors",
    "IsolationUnavailable": "autograder.errors",
    "SubmissionError": "autograder.errors",
    "SubmissionResult": "autograder.results",
    "CheckResult": "autograder.results",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'autograder.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)
