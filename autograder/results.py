"""The one result model: what grading a submission produced, as plain data.

``CheckResult`` is one check's outcome (the same object whether the check ran in a test, in
the engine or for ``mmqb check``); ``SubmissionResult`` is a whole submission's. Both
serialise to plain dicts (dask, the course's ``.mmqb/results/`` files, reports).
A submission the engine could not grade (its own fault or the machine's, never the
student's) has ``graded=False`` and no score: it is reported, never recorded as a grade.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CheckResult:
    """One check's outcome, in the shape of a Gradescope test."""

    name: str  # group.check
    group: str
    hidden: bool
    passed: bool
    message: str
    score: float = 0.0
    max_score: float = 0.0
    description: str = ""  # what the check expects (the probe's docstring), a hint when it fails

    def line(self) -> str:
        """``[PASS] group.check (hidden) 1/1: message``: how one check prints everywhere outside a notebook."""
        mark = "PASS" if self.passed else "FAIL"
        hidden = " (hidden)" if self.hidden else ""
        return (f"[{mark}] {self.name}{hidden} {self.score:.3g}/{self.max_score:.3g}"
                + (f": {self.message}" if self.message else ""))


@dataclass
class SubmissionResult:
    """Everything the engine knows about one submission (plain data)."""

    path: str
    slug: str
    status: str  # ok | crashed | timeout | memory | output (graded) | error (not graded)
    message: str
    score: float | None
    max_score: float
    group_scores: dict[str, float] = field(default_factory=dict)
    tests: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    execution_time: float = 0.0
    isolation: list[str] = field(default_factory=list)
    graded: bool = True
    unsafe: bool = False  # graded with --no-isolation

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (for dask and JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        """Inverse of :meth:`to_dict`."""
        tests = [CheckResult(**t) for t in data.get("tests", [])]
        return cls(**{**data, "tests": tests})

    def summary_line(self) -> str:
        """``path: slug 7/10 [status] message``, or why it was not graded."""
        if not self.graded:
            return f"{self.path}: {self.slug} NOT GRADED: {self.message}"
        unsafe = " UNSAFE (no isolation)" if self.unsafe else ""
        score = f"{self.score:g}/{self.max_score:g}"
        return f"{self.path}: {self.slug} {score} [{self.status}]{unsafe} {self.message}".rstrip()

    def table(self) -> str:
        """The summary line, each check's line, the notes: what ``mmqb grade`` prints."""
        if not self.graded:
            return self.summary_line()
        return "\n".join([self.summary_line(), *(f"  {t.line()}" for t in self.tests),
                          *(f"  note: {n}" for n in self.notes)])

    def gradescope(self) -> dict[str, Any]:
        """Gradescope's ``results.json``; hidden checks by name, description and trusted message only."""
        lines = [self.message] if self.message else []
        if not self.graded:
            lines = [f"not graded: {self.message}"]
        if self.unsafe:
            lines.append("UNSAFE: graded with --no-isolation (student code ran unsandboxed)")
        lines.extend(f"note: {n}" for n in self.notes)
        payload: dict[str, Any] = {
            "execution_time": round(self.execution_time, 3),
            "output": "\n".join(lines),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": f"{self.slug} {t.name}" + (" (hidden)" if t.hidden else ""),
                    "score": t.score,
                    "max_score": t.max_score,
                    "status": "passed" if t.passed else "failed",
                    "output": (t.description + ("\n" + t.message if t.message else "")).strip(),
                    "tags": [t.group],
                    "visibility": "visible",
                }
                for t in self.tests
            ],
        }
        if self.graded:
            payload["score"] = self.score
        return payload


def format_table(results: list[SubmissionResult]) -> str:
    """A human-readable summary, one block per submission."""
    return "\n".join(r.table() for r in results)


def is_graded(result: SubmissionResult) -> bool:
    """False when the engine or the machine failed on ``result`` (it must not become a grade).

    The engine sets ``result.graded``; a result without the field is an engine fault when its
    status is ``error`` although checks were attempted (a dead worker), while an ``error``
    with no checks is a notebook that cannot be read (the student's fault, graded 0).
    """
    graded = getattr(result, "graded", None)
    if graded is None:
        return result.status != "error" or not result.tests
    return bool(graded)
