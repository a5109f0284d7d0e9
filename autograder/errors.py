"""mmqb's exceptions: one base, one class per kind of failure a caller handles differently.

``MmqbError`` is what the command line turns into one clear line and a non-zero exit; the
classes under it say *whose* failure it was, which decides what becomes of a submission:

- :class:`SubmissionError` — the student's notebook cannot be graded as this topic's (graded 0,
  with the reason);
- :class:`EngineFault` — the engine or the machine failed (the submission is *not graded*; the
  next run grades it);
- :class:`IsolationUnavailable` — full isolation is impossible here and the policy requires it
  (grading is refused);
- :class:`CourseError` — the course folder, its configuration or its gradebook is not usable;
- :class:`WireError` — a malformed frame on one of the engine's channels.

``runtime.CheckFailed`` is not here on purpose: it is embedded in every notebook, which must
run with numpy, tensorflow, keras and shap alone.
"""

from __future__ import annotations


class MmqbError(Exception):
    """Every error mmqb raises on purpose; its message is written for the person who sees it."""


class SubmissionError(MmqbError):
    """A submission that cannot be graded at all (the message is shown to the student)."""


class EngineFault(MmqbError, RuntimeError):
    """The engine or the machine failed (not the submission): the submission is not graded."""


class IsolationUnavailable(MmqbError, RuntimeError):
    """Full isolation is impossible here and the policy requires it: grading is refused."""


class IsolationError(EngineFault):
    """One isolation step failed inside the sandboxed child (before any student code ran)."""


class CourseError(MmqbError, ValueError):
    """The course folder, its configuration or its gradebook cannot be used as asked."""


class WireError(MmqbError, ValueError):
    """A malformed frame or message on one of the engine's channels."""


class ClusterError(MmqbError):
    """A dask cluster that cannot be used safely: no TLS, or missing or exposed credentials."""
