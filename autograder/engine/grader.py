"""The trusted side: run a submission's two phases on a warm worker, judge, score.

A submission goes through named stages: **load** (parse and validate the notebook),
**isolate + run probes** (the visible phase, then the hidden phase, each in a fresh
sandboxed child), **judge** (verdicts in this process, on plain data only), **score** (each
check its points). Recording is the caller's (``autograde``).

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
import select
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder import runtime
from autograder.checks import Check, Suite, function_source, load_suite
from autograder.engine import settings, wire
from autograder.engine.settings import Limits
from autograder.engine.submission import Submission, SubmissionError, read_submission
from autograder.notebook import SETUP_SOURCE
from autograder.results import CheckResult, SubmissionResult
from autograder.topics import ROOT, all_topics

log = logging.getLogger("mmqb.engine")

__all__ = ["Limits", "SubmissionResult", "CheckResult", "WarmWorker", "IsolationUnavailable", "grade_path",
           "grade_submission", "format_table"]


class IsolationUnavailable(RuntimeError):
    """Full isolation is impossible here and the policy requires it: grading is refused."""


class EngineFault(RuntimeError):
    """The engine or the machine failed (not the submission): the submission is not graded."""


@dataclass
class Phase:
    """What one sandboxed phase produced, as the trusted side saw it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""  # "" | timeout | memory | output | crashed | error
    detail: str = ""
    output: str = ""
    elapsed: float = 0.0

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("kind") == kind]

    @property
    def isolation(self) -> list[str] | None:
        """The isolation steps the child reported, or None if it never got that far.

        Only the first frame counts: the child sends it before any student code runs, so a
        later "isolation" or "isolation_failed" frame is the student's forgery.
        """
        first = self.messages[0] if self.messages else {}
        steps = first.get("steps") if first.get("kind") == "isolation" else None
        return [s for s in steps if type(s) is str] if type(steps) is list else None

    @property
    def isolation_failure(self) -> str | None:
        """The failed step's message, if the child's first frame says isolation failed."""
        first = self.messages[0] if self.messages else {}
        return str(first.get("message")) if first.get("kind") == "isolation_failed" else None

    @property
    def finished(self) -> bool:
        return bool(self.of_kind("done"))


class WarmWorker:
    """Handle on one ``autograder.engine.worker`` process (started lazily, restarted on death).

    ``isolation``: ``"require"`` (refuse to grade without full isolation), ``"available"``
    (full if possible, else none, said in every result), ``"off"`` (``--no-isolation``).
    """

    def __init__(self, index: int = 0, isolation: str = "require", break_step: str | None = None) -> None:
        if isolation not in settings.ISOLATION_POLICIES:
            raise ValueError(f"isolation must be one of {settings.ISOLATION_POLICIES}, got {isolation!r}")
        self.index = index
        self.policy = isolation
        self.break_step = break_step
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.run_dir: str | None = None
        self.lease: settings.UidLease | None = None
        self.mode = "full"
        self.lock = threading.Lock()
        self.command = [sys.executable, "-m", "autograder.engine.worker"]  # + the socket's descriptor

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the worker, wait until TensorFlow is imported and isolation is tested."""
        try:
            self.run_dir = settings.make_run_dir()
            if os.geteuid() == 0 and self.lease is None:
                self.lease = settings.UidLease()
                self.lease.acquire()
        except (OSError, RuntimeError) as exc:
            self.close()
            raise EngineFault(f"cannot prepare the sandbox folders or uid: {exc}") from None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        log_path = os.path.join(self.run_dir, "worker.log")
        with open(log_path, "ab") as log_file:
            self.proc = subprocess.Popen(
                [*self.command, str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                env=settings.worker_env(self.run_dir), cwd=self.run_dir)
        theirs.close()
        self.sock = ours
        try:
            wire.send_message(ours, {"run_dir": self.run_dir})
            ready = self._receive(300)
        except (EOFError, OSError, TimeoutError) as exc:
            tail = _tail(log_path)
            self.close()
            raise EngineFault(f"the grading worker failed to start ({exc}); its log ends with: {tail}") from None
        capability = ready.get("isolation", "unknown")
        if capability == "full":
            self.mode = "full" if self.policy != "off" else "none"
        elif self.policy == "require":
            self.close()
            raise IsolationUnavailable(f"cannot isolate student code here: {capability}. {settings.ISOLATION_HELP}")
        else:
            self.mode = "none"
            log.warning("grading without isolation: %s", capability)

    def _receive(self, timeout: float) -> dict[str, Any]:
        assert self.sock is not None
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            raise TimeoutError("no answer from the grading worker")
        message, fds = wire.recv_message(self.sock)
        for fd in fds:
            os.close(fd)
        return message

    def close(self) -> None:
        """Stop the worker process and remove its private folder."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.proc = None
        if self.run_dir is not None:
            settings.remove_run_dir(self.run_dir)
            self.run_dir = None
        if self.lease is not None:
            self.lease.release()
            self.lease = None

    @property
    def unsafe(self) -> bool:
        return self.mode != "full"

    # ---------------------------------------------------------------- one phase
    def run_phase(self, job: dict[str, Any], limits: Limits, hidden_probes: bytes | None = None) -> Phase:
        """Run one phase of a submission in a fresh sandboxed child; read its frames here."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.close()
                self.start()
            assert self.sock is not None and self.run_dir is not None
            job = dict(job, limits=limits.as_job(), isolation=self.mode, run_dir=self.run_dir,
                       uid=self.lease.uid if self.lease else 0, break_step=self.break_step)
            read_fd, write_fd = os.pipe()
            fds = [write_fd]
            if hidden_probes is not None:
                memfd = os.memfd_create("mmqb-hidden-probes", os.MFD_CLOEXEC)
                os.write(memfd, hidden_probes)
                fds.append(memfd)
            try:
                wire.send_message(self.sock, {"job": job}, fds)
            except OSError as exc:
                os.close(read_fd)
                self.close()
                raise EngineFault(f"the grading worker died ({exc})") from None
            finally:
                for fd in fds:
                    os.close(fd)
            return self._collect(read_fd, limits)

    def _collect(self, read_fd: int, limits: Limits) -> Phase:
        """Read the child's frames until the worker reports the phase over; then drain."""
        assert self.sock is not None
        phase, buffer, received = Phase(), b"", 0
        reply = None
        deadline = time.monotonic() + limits.wall_seconds + 60
        open_fd: int | None = read_fd
        try:
            while reply is None:
                wait = [self.sock] + ([open_fd] if open_fd is not None else [])
                ready, _, _ = select.select(wait, [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    self.close()
                    raise EngineFault("the grading worker stopped answering")
                if open_fd is not None and open_fd in ready:
                    chunk = os.read(open_fd, 1 << 16)
                    if not chunk:
                        os.close(open_fd)
                        open_fd = None
                    else:
                        received += len(chunk)
                        buffer, error = self._frames(phase, buffer + chunk, received, limits)
                        if error:
                            phase.status, phase.detail = error
                            os.close(open_fd)  # the child's next write fails; the worker ends it
                            open_fd = None
                if self.sock in ready:
                    try:
                        reply, _ = wire.recv_message(self.sock)
                    except (EOFError, OSError):
                        self.close()
                        raise EngineFault("the grading worker died") from None
            while open_fd is not None:  # the child and its descendants are gone: drain to EOF
                ready, _, _ = select.select([open_fd], [], [], 2.0)
                chunk = os.read(open_fd, 1 << 16) if ready else b""
                if not chunk:
                    break
                received += len(chunk)
                buffer, error = self._frames(phase, buffer + chunk, received, limits)
                if error:
                    phase.status, phase.detail = error
                    break
        finally:
            if open_fd is not None:
                os.close(open_fd)
        if reply.get("status") == "error":
            raise EngineFault(reply.get("detail", "worker error"))
        phase.elapsed = float(reply.get("elapsed", 0.0))
        phase.output = str(reply.get("output", ""))
        if not phase.status:
            if reply.get("status"):
                phase.status, phase.detail = reply["status"], reply.get("detail", "")
            elif reply.get("signal"):
                phase.status, phase.detail = "crashed", f"your code crashed the process ({reply['signal']})"
            elif not phase.finished:
                phase.status = "crashed"
                phase.detail = (f"your code ended the process (exit code {reply.get('exit_code')}) "
                                "before the checks finished")
        return phase

    @staticmethod
    def _frames(phase: Phase, buffer: bytes, received: int, limits: Limits) -> tuple[bytes, tuple[str, str] | None]:
        if received > limits.result_bytes:
            return buffer, ("output", f"results larger than {limits.result_bytes} bytes")
        while True:  # one frame at a time: frames before a garbled one are kept
            try:
                frames, rest = wire.split_frames(buffer, limits.result_bytes, limit_count=1)
                if not frames:
                    return buffer, None
                message = wire.decode(frames[0])
            except wire.WireError as exc:
                return buffer, ("crashed", f"garbled results: {exc}")
            buffer = rest
            if type(message) is dict:
                phase.messages.append(message)


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
    """Isolate and run probes: the visible phase, then (if any) the hidden phase."""
    base = {"setup": SETUP_SOURCE, "cells": sub.student_cells, "forbidden": forbidden_paths(),
            "fresh_python": suite.fresh_python}
    visible = [probe_job(c) for c in suite.checks if not c.hidden]
    hidden = [probe_job(c) for c in suite.checks if c.hidden]
    first = worker.run_phase(dict(base, phase="visible", probes=visible), limits)
    _require_isolated(first)
    if not hidden or (first.status == "timeout" and not first.of_kind("cells")):
        return first, None  # the cells alone exhaust the time: the hidden phase would too
    second = worker.run_phase(dict(base, phase="hidden"), limits, hidden_probes=json.dumps(hidden).encode())
    _require_isolated(second)
    return first, second


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
        return "not run: your code used up the time limit before the checks"
    if check.hidden:
        reason = {"timeout": "the time limit was reached", "memory": "the memory limit was exceeded",
                  "output": "the results were too large", "crashed": "your code ended or crashed the process"}
        return f"not run: {reason.get(phase.status, 'the hidden checks did not finish')}"
    return phase.detail or "the check did not run"


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
    return SubmissionResult(
        path=str(sub.path), slug=sub.slug, status=status, message=message,
        score=runtime.earned(group_scores.values()), max_score=float(suite.max_score), group_scores=group_scores,
        tests=tests, notes=list(sub.notes) + [f"error in {e}" for e in errors],
        execution_time=visible.elapsed + (hidden.elapsed if hidden else 0.0),
        isolation=visible.isolation or [], unsafe=unsafe)


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
    slugs = {t.slug for t in all_topics()}
    try:
        sub = read_submission(path, expected_slug=expected_slug, known_slugs=slugs, text=text)
    except SubmissionError as exc:
        return invalid_submission(path, expected_slug or Path(path).stem, str(exc))
    try:
        result = grade_submission(sub, load_suite(sub.slug), worker, limits)
    except EngineFault as exc:
        log.error("not graded: %s: %s", path, exc)
        return not_graded(path, sub.slug, str(exc))
    result.execution_time = time.perf_counter() - start
    return result


def format_table(results: list[SubmissionResult]) -> str:
    """A human-readable summary, one block per submission."""
    lines = []
    for r in results:
        if not r.graded:
            lines.append(f"{r.path}: {r.slug} NOT GRADED: {r.message}")
            continue
        unsafe = " UNSAFE (no isolation)" if r.unsafe else ""
        lines.append(f"{r.path}: {r.slug} {r.score:g}/{r.max_score:g} [{r.status}]{unsafe} {r.message}".rstrip())
        for t in r.tests:
            mark = "PASS" if t.passed else "FAIL"
            hidden = " (hidden)" if t.hidden else ""
            lines.append(f"  [{mark}] {t.name}{hidden} {t.score:.3g}/{t.max_score:.3g}" +
                         (f": {t.message}" if t.message else ""))
        lines.extend(f"  note: {n}" for n in r.notes)
    return "\n".join(lines)


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - limit))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""
