"""The trusted side: send a submission to a warm worker, judge what comes back, score it.

Verdicts, oracles and scoring run only here. From the sandbox we accept only frames that
:func:`autograder.engine.wire.decode` turns into plain data; a check whose probe data is
missing (crash, timeout) fails with the reason.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autograder import runtime
from autograder.checks import Check, Suite, function_source, load_suite
from autograder.engine import wire
from autograder.engine.submission import Submission, SubmissionError, read_submission
from autograder.notebook import SETUP_SOURCE
from autograder.topics import ROOT, all_topics

QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONDONTWRITEBYTECODE": "1"}
SANDBOX_UID_BASE = 61000


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's sandbox (all configurable from the CLI)."""

    wall_seconds: float = 120.0
    cpu_seconds: float = 240.0
    memory_mib: int = 2048
    output_bytes: int = 1 << 20
    result_bytes: int = 32 << 20
    processes: int = 512  # TensorFlow's thread pools count against RLIMIT_NPROC

    def as_job(self) -> dict[str, Any]:
        """The limits in the worker's job format."""
        return {"wall_seconds": self.wall_seconds, "cpu_seconds": self.cpu_seconds,
                "memory_bytes": self.memory_mib << 20, "output_bytes": self.output_bytes,
                "result_bytes": self.result_bytes, "processes": self.processes, "output_tail": 4000}


@dataclass
class TestResult:
    """One check's outcome, in the shape of a Gradescope test."""

    name: str
    group: str
    hidden: bool
    passed: bool
    message: str
    score: float = 0.0
    max_score: float = 0.0
    description: str = ""  # what the check expects (the probe's docstring), a hint when it fails


@dataclass
class SubmissionResult:
    """Everything the engine knows about one graded submission (plain data)."""

    path: str
    slug: str
    status: str  # ok | error | crashed | timeout | memory | output
    message: str
    score: float
    max_score: float
    group_scores: dict[str, float] = field(default_factory=dict)
    tests: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    execution_time: float = 0.0
    isolation: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (for dask and JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        """Inverse of :meth:`to_dict`."""
        tests = [TestResult(**t) for t in data.get("tests", [])]
        return cls(**{**data, "tests": tests})

    def gradescope(self) -> dict[str, Any]:
        """Gradescope's ``results.json``: hidden checks by name and message only."""
        output = self.message
        if self.notes:
            output = (output + "\n" if output else "") + "\n".join(f"note: {n}" for n in self.notes)
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "output": output,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": f"{self.slug} {t.name}" + (" (hidden)" if t.hidden else ""),
                    "score": t.score,
                    "max_score": t.max_score,
                    "status": "passed" if t.passed else "failed",
                    "output": t.message,
                    "tags": [t.group],
                    "visibility": "visible",
                }
                for t in self.tests
            ],
        }


class WarmWorker:
    """Handle on one ``autograder.engine.worker`` process (started lazily, restarted on death)."""

    def __init__(self, index: int = 0) -> None:
        self.index = index
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start the worker and wait until TensorFlow is imported."""
        env = dict(os.environ, **QUIET_ENV)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.engine.worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)
        line = self._readline(300)
        if not line or not json.loads(line).get("ready"):
            self.close()
            raise RuntimeError("the grading worker failed to start")

    def _readline(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else ""

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Send one job; return the worker's reply (restarting a dead or stuck worker)."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.start()
            assert self.proc is not None and self.proc.stdin is not None
            job = dict(job, uid=SANDBOX_UID_BASE + self.index)
            try:
                self.proc.stdin.write(json.dumps(job) + "\n")
                self.proc.stdin.flush()
                line = self._readline(job["limits"]["wall_seconds"] + 60)
            except (BrokenPipeError, OSError):
                line = ""
            if not line:
                self.close()
                return {"frames": [], "status": "error", "detail": "the grading worker died", "output": "",
                        "elapsed": 0.0}
            return json.loads(line)

    def close(self) -> None:
        """Stop the worker process."""
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.proc = None


def probe_job(check: Check) -> dict[str, Any]:
    """The probe of ``check`` and the helpers it needs, as source text for the sandbox."""
    parts = [function_source(fn) for fn in check.dependencies(probe_only=True)]
    parts.append(function_source(check.probe, "probe"))
    return {"id": check.id, "source": "\n\n".join(parts), "entry": "probe", "hidden": check.hidden}


def grade_submission(sub: Submission, suite: Suite, worker: WarmWorker, limits: Limits) -> SubmissionResult:
    """Grade one parsed submission with ``worker``."""
    job = {"setup": SETUP_SOURCE, "cells": sub.student_cells,
           "probes": [probe_job(c) for c in suite.checks], "limits": limits.as_job()}
    reply = worker.run(job)
    probes: dict[str, tuple[bool, Any]] = {}
    cell_errors: list[str] = []
    isolation: list[str] = []
    for frame in reply["frames"]:
        try:
            message = wire.decode(base64.b64decode(frame))
        except (wire.WireError, ValueError):
            continue
        if type(message) is not dict:
            continue
        kind = message.get("kind")
        if kind == "probe" and type(message.get("id")) is str and type(message.get("ok")) is bool:
            probes.setdefault(message["id"], (message["ok"], message.get("data")))
        elif kind == "cells" and type(message.get("errors")) is list:
            cell_errors = [e for e in message["errors"] if type(e) is str]
        elif kind == "isolation" and type(message.get("steps")) is list:
            isolation = [s for s in message["steps"] if type(s) is str]
    status = reply["status"]
    reason = reply.get("detail", "")
    tests = []
    for check in suite.checks:
        if check.id in probes:
            ok, data = probes[check.id]
            if ok:
                passed, message = runtime.run_verdict(check.judge, data, hidden=check.hidden)
            else:
                passed, message = False, data if type(data) is str else "the check failed"
        else:
            passed, message = False, reason or "the check did not run"
        tests.append(TestResult(check.id, check.group, check.hidden, passed, message,
                                description=check.description))
    group_scores = {}
    for group, points, _ in suite.groups():
        members = [t for t in tests if t.group == group]
        passed = all(t.passed for t in members)
        group_scores[group] = float(points) if passed else 0.0
        for t in members:
            t.max_score = points / len(members)
            t.score = t.max_score if passed else 0.0
    notes = list(sub.notes) + [f"error in {e}" for e in cell_errors]
    message = "" if status == "ok" else reason
    return SubmissionResult(
        path=str(sub.path), slug=sub.slug, status=status, message=message,
        score=sum(group_scores.values()), max_score=float(suite.max_score), group_scores=group_scores,
        tests=tests, notes=notes, execution_time=reply.get("elapsed", 0.0), isolation=isolation)


def error_result(path: Path, slug: str, message: str) -> SubmissionResult:
    """A submission that could not be graded: zero points and the reason."""
    max_score = 0.0
    try:
        max_score = float(load_suite(slug).max_score)
    except Exception:  # noqa: BLE001 - unknown topic
        pass
    return SubmissionResult(str(path), slug, "error", message, 0.0, max_score)


def grade_path(path: Path, worker: WarmWorker, limits: Limits, expected_slug: str | None = None) -> SubmissionResult:
    """Read, validate and grade one notebook file; never raises for a bad submission."""
    start = time.perf_counter()
    slugs = {t.slug for t in all_topics()}
    try:
        sub = read_submission(path, expected_slug=expected_slug, known_slugs=slugs)
    except SubmissionError as exc:
        return error_result(path, expected_slug or Path(path).stem, str(exc))
    result = grade_submission(sub, load_suite(sub.slug), worker, limits)
    result.execution_time = time.perf_counter() - start
    return result


def format_table(results: list[SubmissionResult]) -> str:
    """A human-readable summary, one block per submission."""
    lines = []
    for r in results:
        lines.append(f"{r.path}: {r.slug} {r.score:g}/{r.max_score:g} [{r.status}] {r.message}".rstrip())
        for t in r.tests:
            mark = "PASS" if t.passed else "FAIL"
            hidden = " (hidden)" if t.hidden else ""
            lines.append(f"  [{mark}] {t.name}{hidden} {t.score:.3g}/{t.max_score:.3g}" +
                         (f": {t.message}" if t.message else ""))
        lines.extend(f"  note: {n}" for n in r.notes)
    return "\n".join(lines)
