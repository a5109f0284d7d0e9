"""The course's nbgrader gradebook: what ``nbgrader autograde`` records, recorded the same way.

One transaction per submission (``nbgrader.api.Gradebook``, any SQLAlchemy URL, always opened
with the course id so nbgrader's ``check_course`` adds no ``default_course`` row): the
submission timestamp, each graded cell's ``auto_score`` and ``needs_manual_grade`` (an
unchanged written answer scores 0 and needs no grader, as ``nbgrader.utils.determine_grade``
decides from the cell checksum), the "No response." comments, and the late-submission penalty
through the configured ``AssignLatePenalties.plugin_class``. A submission counts as finished
only when its outputs and its grades exist for the same submission timestamp.

:func:`marks` reads back what a feedback page shows: every written answer's points and comment
(a grader's, from the formgrader, or nbgrader's "No response."), and the score as nbgrader's
``generate_feedback`` computes it (every graded cell, manual scores first, less the recorded
late penalty).
"""

from __future__ import annotations

import json
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import nbformat

from autograder.checks import group_of
from autograder.course.course import Course, Task
from autograder.engine.submission import submitted_cells
from autograder.errors import CourseError
from autograder.results import SubmissionResult


@contextmanager
def open_gradebook(course: Course):
    """nbgrader's ``Gradebook`` of ``course``, with its course id (as nbgrader always opens it)."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course_id=course.course_id) as gb:
        yield gb


def cell_scores(course: Course, assignments: list[str]) -> dict[tuple[str, str, str], float]:
    """``(assignment, student, grade cell) -> score`` of every autograded cell in the gradebook."""
    scores = {}
    with open_gradebook(course) as gb:
        for assignment in assignments:
            for sub in gb.assignment_submissions(assignment):
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.cell.cell_type == "code":
                            scores[(assignment, sub.student_id, grade.name)] = grade.score
    return scores


def check_assignments(course: Course, assignments: list[str]) -> None:
    """Every assignment must exist in the gradebook (``nbgrader generate_assignment``)."""
    from nbgrader.api import MissingEntry

    with open_gradebook(course) as gb:
        for assignment in assignments:
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                raise CourseError(f"assignment {assignment!r} is not in the gradebook {course.db_url}: "
                                  "run `nbgrader generate_assignment` first") from None


def finished(course: Course, gb, task: Task) -> bool:
    """True when ``task`` was fully graded by mmqb for this very submission."""
    from nbgrader.api import MissingEntry

    path = course.autograded_path(task)
    if not path.exists():
        return False
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("mmqb", {})
    except (OSError, ValueError):
        return False
    if not meta.get("graded") or meta.get("timestamp") != task.timestamp:
        return False
    try:
        notebook = gb.find_submission_notebook(task.assignment, task.assignment, task.student)
    except MissingEntry:
        return False
    return all(g.auto_score is not None for g in notebook.grades if g.cell.cell_type == "code")


def late_penalty(course: Course, gb, task: Task, score: float) -> float | None:
    """The penalty nbgrader's configured ``LateSubmissionPlugin`` gives ``task`` (None: on time)."""
    from nbgrader.api import MissingEntry

    try:
        submission = gb.find_submission(task.assignment, task.student)
    except MissingEntry:
        return None
    seconds = submission.total_seconds_late
    if not seconds or seconds <= 0:
        return None
    from nbgrader.preprocessors import AssignLatePenalties

    assign = AssignLatePenalties(config=course.config)
    assign.init_plugin()
    penalty = assign.plugin_inst.late_submission_penalty(task.student, score, seconds)
    if penalty is None:
        return None
    return float(min(max(penalty, 0.0), score))  # AssignLatePenalties._check_late_penalty


def record(course: Course, gb, task: Task, result: SubmissionResult,
           submitted: nbformat.NotebookNode | None = None, before_commit=None) -> float | None:
    """Store the grades of ``task`` in the gradebook in one transaction; return the late penalty.

    ``submitted`` is the submission's notebook as parsed once for this grading (None: unreadable).
    ``before_commit(penalty)`` runs inside the transaction, after the late penalty is known;
    when it raises, nothing is committed.
    """
    with warnings.catch_warnings():
        # nbgrader's ORM relationships emit "not in session" SAWarnings when a submission
        # is created through its API; the rows are stored correctly (tests read them back).
        warnings.filterwarnings("ignore", message=".*not in session.*")
        try:
            return _record(course, gb, task, result, submitted, before_commit)
        except Exception:
            gb.db.rollback()
            raise


def _record(course: Course, gb, task: Task, result: SubmissionResult, submitted_nb, before_commit) -> float | None:
    from nbgrader.utils import parse_utc

    release = course.release(task.assignment)
    gb.update_or_create_student(task.student)
    if task.timestamp:
        gb.update_or_create_submission(task.assignment, task.student, timestamp=parse_utc(task.timestamp))
    else:
        gb.update_or_create_submission(task.assignment, task.student)
    submitted = submitted_cells(submitted_nb)
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        grade_id = meta["grade_id"]
        grade = gb.find_grade(grade_id, task.assignment, task.assignment, task.student)
        if cell.cell_type == "code":
            grade.auto_score = float(result.group_scores.get(group_of(grade_id), 0.0))
        else:
            if grade_id not in submitted:
                continue  # nbgrader leaves a deleted answer cell's grade alone
            grade.auto_score = _answer_score(gb, task, grade_id, submitted[grade_id])
        # nbgrader's SaveAutoGrades: a previous manual grade or no auto score needs review
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in submitted:
            comment = gb.find_comment(meta["grade_id"], task.assignment, task.assignment, task.student)
            unchanged = _unchanged(gb, task, meta["grade_id"], submitted[meta["grade_id"]])
            comment.auto_comment = "No response." if unchanged else None
    gb.db.flush()
    notebook = gb.find_submission_notebook(task.assignment, task.assignment, task.student)
    gb.db.expire(notebook)
    penalty = late_penalty(course, gb, task, float(notebook.score or 0.0))
    notebook.late_submission_penalty = penalty
    if before_commit is not None:
        before_commit(penalty)
    gb.db.commit()
    return penalty


def _unchanged(gb, task: Task, grade_id: str, cell: nbformat.NotebookNode) -> bool:
    """nbgrader's test for "no response": the cell, with the gradebook's metadata, has the source checksum.

    ``OverwriteCells`` restores the cell type, lock and points from the gradebook, then
    ``compute_checksum`` of the student's cell is compared with the stored one.
    """
    from nbgrader.api import MissingEntry
    from nbgrader.utils import compute_checksum

    try:
        source = gb.find_source_cell(grade_id, task.assignment, task.assignment)
    except MissingEntry:
        return False
    meta = {"grade_id": grade_id, "solution": True, "locked": source.locked, "grade": False}
    try:
        graded = gb.find_graded_cell(grade_id, task.assignment, task.assignment)
        meta.update(grade=True, points=float(graded.max_score))
    except MissingEntry:
        pass
    source_text = cell.get("source", "")
    probe = nbformat.from_dict({"cell_type": source.cell_type, "metadata": {"nbgrader": meta},
                                "source": "".join(source_text) if isinstance(source_text, list) else str(source_text)})
    return source.checksum is not None and compute_checksum(probe) == source.checksum


def _answer_score(gb, task: Task, grade_id: str, cell: nbformat.NotebookNode) -> float | None:
    """``nbgrader.utils.determine_grade`` of a written answer: 0 when unchanged, else None (a human grades it)."""
    return 0.0 if _unchanged(gb, task, grade_id, cell) else None


@dataclass(frozen=True)
class WrittenAnswer:
    """One written-answer cell of a submission, as the gradebook holds it."""

    grade_id: str
    question: str  # the release's text before the answer cell
    answer: str | None  # the student's text (None: the cell is not in the submission)
    max_points: float
    points: float | None  # nbgrader's Grade.score; None: no grader has given points yet
    comment: str  # nbgrader's Comment.comment: the grader's, else the autograder's ("No response.")
    by_hand: bool  # the points are a grader's (Grade.manual_score)


@dataclass(frozen=True)
class Marks:
    """A submission's scores as nbgrader's ``generate_feedback`` computes them, and its written answers."""

    score: float  # SubmissionNotebook.score: every graded cell, a manual score before the auto score
    max_score: float
    late_penalty: float  # as recorded (0: on time)
    code_score: float
    code_max: float
    written: list[WrittenAnswer] = field(default_factory=list)

    @property
    def final(self) -> float:
        """``score - late_penalty``: the score nbgrader's feedback page shows."""
        return self.score - self.late_penalty

    @property
    def pending(self) -> list[WrittenAnswer]:
        """The written answers no grader has given points yet (they count 0 until one does)."""
        return [w for w in self.written if w.points is None]


def marks(course: Course, gb, task: Task, answers: dict[str, str]) -> Marks:
    """What the gradebook holds for ``task`` now (inside a transaction: its flushed state).

    ``answers`` is ``grade_id -> the student's text`` of the graded submission's answer cells.
    """
    gb.db.flush()
    gb.db.expire_all()  # column properties (Grade.score, notebook.score) as the database has them now
    notebook = gb.find_submission_notebook(task.assignment, task.assignment, task.student)
    grades = {g.name: g for g in notebook.grades}
    comments = {c.name: c for c in notebook.comments}
    release = course.release(task.assignment)
    written, question = [], ""
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta:
            question = cell.source if cell.cell_type == "markdown" else ""
            continue
        grade = grades.get(meta.get("grade_id"))
        if cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade") and grade is not None:
            points = None if grade.manual_score is None and grade.auto_score is None else float(grade.score)
            comment = comments.get(grade.name)
            written.append(WrittenAnswer(grade.name, question, answers.get(grade.name), float(grade.max_score or 0),
                                         points, (comment.comment or "") if comment is not None else "",
                                         grade.manual_score is not None))
        question = ""
    code = [g for g in notebook.grades if g.cell.cell_type == "code"]
    return Marks(score=float(notebook.score or 0.0), max_score=float(notebook.max_score or 0.0),
                 late_penalty=float(notebook.late_submission_penalty or 0.0),
                 code_score=float(sum(g.score or 0.0 for g in code)),
                 code_max=float(sum(g.max_score or 0.0 for g in code)), written=written)
