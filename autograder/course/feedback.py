"""``mmqb feedback``: the feedback pages again, after the written answers are graded by hand.

nbgrader's ``generate_feedback`` skips a feedback folder that exists, and with ``--force``
replaces mmqb's page by its own. This renders mmqb's page (the one ``mmqb autograde`` writes,
:func:`autograder.course.outputs.write_feedback_page`) for every graded submission of an
assignment with what the gradebook holds now: the formgrader's manual scores and comments, and
the score nbgrader computes (every graded cell, a manual score before the auto score, less the
recorded late penalty). The feedback folder gets the page, ``timestamp.txt`` and
``submission_secret.txt`` (what ``nbgrader release_feedback`` reads), nothing internal.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import gradebook, outputs
from autograder.course.course import Course, Task, read_timestamp
from autograder.course.exports import read_result
from autograder.engine import read_notebook, submitted_cells
from autograder.errors import CourseError


@dataclass(frozen=True)
class Page:
    """One feedback page written."""

    student: str
    path: Path
    marks: gradebook.Marks


@dataclass
class FeedbackSummary:
    """What one ``mmqb feedback`` run did."""

    assignment: str
    pages: list[Page] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (student, why no page)


def write_feedback(course_dir: Path, assignment: str, student: str | None = None,
                   db_url: str | None = None) -> FeedbackSummary:
    """Re-render the feedback page of every graded submission of ``assignment`` (or ``student``'s).

    A submission gets a page when ``mmqb autograde`` graded it (its result and autograded
    notebook exist); the others are listed in :attr:`FeedbackSummary.skipped` with the reason.
    ``db_url`` defaults to the course's ``c.CourseDirectory.db_url``.
    """
    course = Course(Path(course_dir), db_url)
    gradebook.check_assignments(course, [assignment])
    summary = FeedbackSummary(assignment)
    with gradebook.open_gradebook(course) as gb:
        students = sorted(s.student_id for s in gb.assignment_submissions(assignment))
        if student is not None:
            if student not in students:
                raise CourseError(f"no submission of {assignment!r} by {student!r} in the gradebook "
                                  f"(run `mmqb autograde {assignment}` first)")
            students = [student]
        for sid in students:
            page, why = _render(course, gb, assignment, sid)
            if page is None:
                summary.skipped.append((sid, why))
            else:
                summary.pages.append(page)
    return summary


def _render(course: Course, gb, assignment: str, student: str) -> tuple[Page | None, str]:
    probe = Task(assignment, student, Path(), None)
    auto_dir = course.autograded_dir(probe)
    parsed = None
    for path in (course.result_path(probe), course.legacy_result_path(probe)):
        if path.is_file():
            parsed = read_result(path)
            break
    if parsed is None:
        return None, "no readable mmqb result (not graded by `mmqb autograde`)"
    extra, result = parsed
    graded = read_notebook(course.autograded_path(probe))
    if graded is None:
        return None, f"no readable autograded notebook {course.autograded_path(probe).relative_to(course.root)}"
    timestamp = extra.get("timestamp") if isinstance(extra.get("timestamp"), str) else None
    if timestamp is None:
        timestamp, _ = read_timestamp(auto_dir / "timestamp.txt")
    task = Task(assignment, student, course.folder(course.coursedir.submitted_directory, student, assignment)
                / f"{assignment}.ipynb", timestamp)
    # the answers as graded: the autograded notebook holds each written answer as escaped text
    answers = {k: html.unescape(_text(c)) for k, c in submitted_cells(graded).items()
               if c.get("cell_type") == "markdown"}
    marks = gradebook.marks(course, gb, task, answers)
    secret = outputs.small_regular_file(auto_dir / "submission_secret.txt")
    if secret is None:
        secret = outputs.small_regular_file(course.submitted_dir(task) / "submission_secret.txt")
    result = outputs.public_result(course, result)
    if course.legacy_result_path(probe).is_file():
        outputs.write_result(course, task, result, extra.get("late_penalty"))  # moved out of autograded/
    path = outputs.write_feedback_page(course, task, result, marks.late_penalty, marks, secret)
    return Page(student, path, marks), ""


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
