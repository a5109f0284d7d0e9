"""The named stages of grading one submission, on the trusted side.

**load** (parse and validate the notebook: ``submission.read_submission``), **isolate + run
probes** (one fresh sandboxed child of a :class:`~autograder.engine.handle.WarmWorker`: the
visible part, then the hidden part, in the order the trusted side enforces), **judge**
(verdicts in this process, on plain data only), **score** (each check its points). Recording
is the course pipeline's.

What a student can receive is built here from trusted text only: for a visible check the
verdict's message or the sandbox's (its code is in the notebook); for a hidden check its
name, its description, passed/failed and a message that shows no value, no input, and of
what the student's code did only the name of a built-in exception class.

A failure of the engine or the machine (a worker that cannot start, an isolation step that
fails: anything before the student's code could run) gives ``graded=False``, never a score.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from autograder import runtime
from autograder.checks import SETUP_SOURCE, Check, Suite, function_source, load_suite
from autograder.engine.handle import Phase, WarmWorker
from autograder.engine.settings import Limits
from autograder.engine.submission import Submission, read_submission
from autograder.errors import EngineFault, IsolationUnavailable, SubmissionError
from autograder.results import CheckResult, SubmissionResult
from autograder.topics import ROOT, all_slugs

log = logging.getLogger("mmqb.engine")
MESSAGE_CHARS = 64 << 10  # one check's message, one note
RESULT_CHARS = 1 << 20  # every message of a submission together


def probe_job(check: Check) -> dict[str, Any]:
    """The probe of ``check`` and the helpers it needs, as source text for the sandbox."""
    parts = [function_source(fn) for fn in check.dependencies(probe_only=True)]
    parts.append(function_source(check.probe, "probe"))
    return {"id": check.id, "source": "\n\n".join(parts), "entry": "probe"}


def forbidden_paths() -> list[str]:
    """Paths that must not exist in a sandbox: the repository (solutions, suites, history), homes."""
    paths = [str(ROOT / "solutions"), str(ROOT / "autograder" / "suites"), str(ROOT / ".git")]
    python = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    home = os.path.expanduser("~")
    try:
        entries = sorted(os.listdir(home))[:20] if home not in ("/", "") else []
    except OSError:
        entries = []
    for entry in entries:  # the grader's home folder, except the way to a Python installed there
        path = os.path.join(home, entry)
        if not any(p == path or p.startswith(path + os.sep) for p in python):
            paths.append(path)
    return paths


# ------------------------------------------------------------------ stages
def run_probes(sub: Submission, suite: Suite, worker: WarmWorker, limits: Limits) -> tuple[Phase, Phase | None]:
    """Isolate and run probes in one child, one wall-clock budget: the visible part, then the hidden."""
    job = {"setup": SETUP_SOURCE, "cells": sub.student_cells, "forbidden": forbidden_paths(),
           "fresh_python": suite.fresh_python, "probes": [probe_job(c) for c in suite.checks if not c.hidden]}
    hidden = [probe_job(c) for c in suite.checks if c.hidden]
    visible, hidden_part = worker.run_submission(job, limits, json.dumps(hidden).encode() if hidden else None)
    _require_isolated(visible)
    return visible, hidden_part


def _require_isolated(phase: Phase) -> None:
    if phase.isolation_failure is not None:
        raise EngineFault(f"isolation step failed, submission not run: {phase.isolation_failure}")
    if phase.isolation is None:
        raise EngineFault(f"the sandbox did not start ({phase.status or 'no report'}: {phase.detail})"[:300])


def judge(suite: Suite, visible: Phase, hidden: Phase | None) -> list[CheckResult]:
    """Verdicts on the probes' plain data, in this process; hidden checks get trusted text only."""
    results = []
    for check in suite.checks:
        phase = hidden if check.hidden else visible
        probes = {m["id"]: m for m in (phase.of_kind("probe") if phase else []) if type(m.get("id")) is str}
        frame = probes.get(check.id)
        if frame is None or type(frame.get("ok")) is not bool:
            passed, message = False, _not_run(check, phase)
        elif frame["ok"]:
            passed, message = runtime.run_verdict(check.judge, frame.get("data"), hidden=check.hidden)
        elif check.hidden:
            error = frame.get("error")
            passed = False
            message = ("the check could not run your code (a name it needs is missing or a result has the "
                       "wrong form)" if error == "CheckFailed" else
                       f"your code raised {runtime.public_error_name(error)}")
        else:
            data = frame.get("data")
            passed, message = False, data if type(data) is str else "the check failed"
        points = check.points
        results.append(CheckResult(check.id, check.group, check.hidden, passed, message,
                                   points if passed else 0.0, points, check.description))
    return results


def _not_run(check: Check, phase: Phase | None) -> str:
    if phase is None:
        return "the check did not run"
    if check.hidden:
        reason = {"timeout": "the time limit was reached", "memory": "the memory limit was exceeded",
                  "output": "the results were too large", "crashed": "your code ended or crashed the process"}
        return f"not run: {reason.get(phase.status, 'the hidden checks did not finish')}"
    return phase.detail or "the check did not run"


def _cell_error(sub: Submission, error: str) -> str:
    """``cell 2: SyntaxError: ...`` from the sandbox, with the cell named as the student finds it."""
    match = re.match(r"cell (\d+): (.*)", error, flags=re.S)
    if not match:
        return f"error in {error}"
    number, text = int(match.group(1)), match.group(2)
    text = re.sub(r"\(<cell \d+>, line (\d+)\)", r"(line \1)", text)
    return f"error in {sub.cell_label(number)}: {text}"


def score(suite: Suite, sub: Submission, tests: list[CheckResult], visible: Phase, hidden: Phase | None,
          unsafe: bool) -> SubmissionResult:
    """Points per group (the sum of its passing checks' points) and the submission's result."""
    group_scores = {group: runtime.earned([t.score for t in tests if t.group == group and t.passed])
                    for group, _, _ in suite.groups()}
    cells = visible.of_kind("cells")
    errors = [e for e in (cells[0].get("errors") or []) if type(e) is str] if cells else []
    status, message = "ok", ""
    for phase, where in ((visible, ""), (hidden, " (hidden checks)")):
        if phase is not None and phase.status and status == "ok":
            status = phase.status
            message = (phase.detail if not where else _hidden_status(phase)) + where
    return cap_text(SubmissionResult(
        path=str(sub.path), slug=sub.slug, status=status, message=message,
        score=runtime.earned(group_scores.values()), max_score=float(suite.max_score), group_scores=group_scores,
        tests=tests, notes=list(sub.notes) + [_cell_error(sub, e) for e in errors],
        execution_time=visible.elapsed + (hidden.elapsed if hidden else 0.0),
        isolation=visible.isolation or [], unsafe=unsafe))


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a visible marker saying how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + f" … truncated ({len(text) - limit:,} more characters)"


def cap_text(result: SubmissionResult) -> SubmissionResult:
    """Every message at most ``MESSAGE_CHARS``, all of them together at most ``RESULT_CHARS``.

    What a student's code printed or raised reaches reports, feedback pages and Gradescope's
    JSON only this way: a 20 MB exception text is 64 KiB and a marker.
    """
    budget = RESULT_CHARS
    result.message = clip(result.message, min(MESSAGE_CHARS, budget))
    budget -= len(result.message)
    for test in result.tests:
        test.message = clip(test.message, max(0, min(MESSAGE_CHARS, budget)))
        budget -= len(test.message)
    notes = []
    for note in result.notes:
        notes.append(clip(note, max(0, min(MESSAGE_CHARS, budget))))
        budget -= len(notes[-1])
    result.notes = notes
    return result


def _hidden_status(phase: Phase) -> str:
    if phase.status == "crashed" and phase.detail.startswith("your code crashed"):
        return phase.detail  # names a signal only
    return {"timeout": phase.detail, "memory": phase.detail, "output": phase.detail}.get(
        phase.status, "your code ended the process before the checks finished")


def grade_submission(sub: Submission, suite: Suite, worker: WarmWorker, limits: Limits) -> SubmissionResult:
    """Grade one parsed submission: isolate and run probes, judge, score."""
    visible, hidden = run_probes(sub, suite, worker, limits)
    tests = judge(suite, visible, hidden)
    return score(suite, sub, tests, visible, hidden, worker.unsafe)


def _max_score(slug: str) -> float:
    try:
        return float(load_suite(slug).max_score)
    except Exception:  # noqa: BLE001 - unknown topic
        return 0.0


def not_graded(path: Path, slug: str, message: str) -> SubmissionResult:
    """A submission the engine could not grade: no score, the reason, graded by the next run."""
    return SubmissionResult(str(path), slug, "error", message, None, _max_score(slug), graded=False)


def invalid_submission(path: Path, slug: str, message: str) -> SubmissionResult:
    """A notebook that cannot be read as this topic's: the student's fault, graded 0 with the reason."""
    return SubmissionResult(str(path), slug, "invalid", message, 0.0, _max_score(slug))


def grade_path(path: Path, worker: WarmWorker, limits: Limits, expected_slug: str | None = None,
               text: str | None = None) -> SubmissionResult:
    """Load, validate and grade one notebook (file, or its ``text``); never raises for a bad submission.

    ``IsolationUnavailable`` propagates: the caller must refuse to grade, not grade less safely.
    """
    start = time.perf_counter()
    slugs = set(all_slugs())
    slug = expected_slug or Path(path).stem
    try:
        sub = read_submission(path, expected_slug=expected_slug, known_slugs=slugs, text=text,
                              max_bytes=limits.notebook_bytes)
    except SubmissionError as exc:
        return invalid_submission(path, slug, str(exc))
    except Exception as exc:  # noqa: BLE001 - input the checks above did not foresee: still this notebook's
        log.exception("unreadable submission %s", path)
        return invalid_submission(path, slug, f"invalid notebook: it could not be read ({type(exc).__name__})")
    try:
        result = grade_submission(sub, load_suite(sub.slug), worker, limits)
    except IsolationUnavailable:
        raise
    except EngineFault as exc:
        log.error("not graded: %s: %s", path, exc)
        return not_graded(path, sub.slug, str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug of ours on this submission: not graded, the batch goes on
        log.exception("engine failure on %s", path)
        return not_graded(path, sub.slug, f"the engine failed on this submission ({type(exc).__name__}: {exc})"[:300])
    result.execution_time = time.perf_counter() - start
    return result
