"""What a graded course holds, as rows: the gradebook joined with the engine's result files, and
the course's CSV exports: one line per submission (``mmqb autograde --csv``, ``mmqb report
--csv``) and the final grades for an LMS import (``mmqb report --lms``, :func:`write_lms_csv`).

One row per (assignment, student): nbgrader's gradebook gives the recorded scores, late
penalties, student names and which written answers still need a human; the submission's
result file (``Course.result_files``) gives the engine's result (status, every check's
verdict, execution time).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.course.course import Course
from autograder.course.gradebook import open_gradebook
from autograder.results import SubmissionResult

NO_RESULT = "no result"  # in the gradebook, but no .mmqb.json (e.g. graded by plain nbgrader)


@dataclass
class Row:
    """Everything the report knows about one (assignment, student) submission.

    ``score``/``max_score`` are the autograded (code) points; ``total_score``/``total_max``
    include the written answers, as nbgrader's ``raw_score``; ``late_penalty`` is what the
    gradebook recorded; ``result`` is the engine's result (None without a result file).
    """

    assignment: str
    student: str
    score: float
    max_score: float
    status: str
    message: str = ""
    execution_time: float | None = None
    result: SubmissionResult | None = None
    needs_manual: bool = False
    total_score: float | None = None
    total_max: float | None = None
    late_penalty: float | None = None

    @property
    def checks(self) -> list:
        """The engine's check results of this submission (none without a result file)."""
        return list(self.result.tests) if self.result is not None else []

    @property
    def failed_checks(self) -> list[str]:
        """Names of the checks this submission failed, in suite order."""
        return [c.name for c in self.checks if not c.passed]


def _gradebook_rows(course: Course) -> dict[tuple[str, str], Row]:
    """One row per gradebook submission: autograded and total scores, late penalty, manual-grading need."""
    rows: dict[tuple[str, str], Row] = {}
    with open_gradebook(course) as gb:
        for assignment in gb.assignments:
            for sub in gb.assignment_submissions(assignment.name):
                grades = [g for nb in sub.notebooks for g in nb.grades]
                code = [g for g in grades if g.cell.cell_type == "code"]
                written = [g for g in grades if g.cell.cell_type == "markdown"]
                penalties = [nb.late_submission_penalty for nb in sub.notebooks
                             if nb.late_submission_penalty is not None]
                rows[(assignment.name, sub.student_id)] = Row(
                    assignment=assignment.name, student=sub.student_id,
                    score=float(sum(g.score or 0.0 for g in code)),
                    max_score=float(sum(g.max_score or 0.0 for g in code)),
                    status=NO_RESULT, message="no mmqb result file",
                    needs_manual=any(g.needs_manual_grade for g in written),
                    total_score=float(sum(g.score or 0.0 for g in grades)),
                    total_max=float(sum(g.max_score or 0.0 for g in grades)),
                    late_penalty=float(sum(penalties)) if penalties else None)
    return rows


def read_result(path: Path) -> tuple[dict[str, Any], SubmissionResult] | None:
    """A ``.mmqb.json`` record (its extra keys) and the engine's result in it; None when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    names = {f.name for f in dataclasses.fields(SubmissionResult)}
    try:
        tests = [t for t in data.get("tests") or [] if isinstance(t, dict)]
        result = SubmissionResult.from_dict({**{k: v for k, v in data.items() if k in names}, "tests": tests})
    except (TypeError, ValueError):
        return None
    return {k: v for k, v in data.items() if k not in names}, result


def _merge_results(course: Course, rows: dict[tuple[str, str], Row]) -> int:
    """Fill ``rows`` from every result file of the course (``Course.result_files``); return unreadable count.

    The gradebook's score wins (an instructor may have overridden it); a result file without a
    gradebook submission still makes a row, scored from the file.
    """
    unreadable = 0
    for path in course.result_files():
        parsed = read_result(path)
        if parsed is None:
            unreadable += 1
            continue
        extra, result = parsed
        key = (str(extra.get("assignment") or path.parent.name), str(extra.get("student") or path.parent.parent.name))
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(assignment=key[0], student=key[1], score=float(result.score or 0.0),
                                  max_score=float(result.max_score or 0.0), status=NO_RESULT)
        row.status = str(result.status)
        row.message = str(result.message or "")
        row.execution_time = float(result.execution_time or 0.0)
        row.result = result
    return unreadable


def collect_rows(course_dir: Path, db_url: str | None = None) -> tuple[list[Row], int]:
    """Every submission of the course, sorted by (assignment, student), and the unreadable-file count.

    Args:
        course_dir: The nbgrader course folder.
        db_url: Gradebook SQLAlchemy URL (default: the course's ``c.CourseDirectory.db_url``).

    Returns:
        The rows and how many result files could not be read.
    """
    course = Course(Path(course_dir), db_url)
    rows = _gradebook_rows(course)
    unreadable = _merge_results(course, rows)
    return sorted(rows.values(), key=lambda r: (r.assignment, r.student)), unreadable


CSV_HEADER = ["assignment", "student", "autograded_score", "autograded_max", "total_score", "total_max",
              "late_penalty", "needs_manual_grade", "status", "execution_time", "failed_checks"]


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading ``'``.

    Student ids are student-controlled (OWASP "CSV injection"); numbers are written by us and
    never start with these characters, except a negative number, which is kept as it is.
    """
    text = str(cell)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text.lower() not in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity")


def write_csv(rows: list[Row], path: Path) -> None:
    """The course's one CSV export (``mmqb report --csv`` and ``mmqb autograde --csv``).

    One line per (assignment, student): autograded (code) score and maximum, total with the
    written answers (nbgrader's ``raw_score``) and its maximum, the recorded late penalty,
    whether written answers still need a grader, status, execution time, failed checks
    (``;``-joined).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for r in rows:
            seconds = "" if r.execution_time is None else f"{r.execution_time:.3f}"
            writer.writerow([spreadsheet_safe(cell) for cell in (
                r.assignment, r.student, f"{r.score:g}", f"{r.max_score:g}", _num(r.total_score),
                _num(r.total_max), _num(r.late_penalty), str(r.needs_manual).lower(), r.status,
                seconds, ";".join(r.failed_checks))])


# --------------------------------------------------------------------------- LMS grade export

@dataclass(frozen=True)
class Student:
    """A student as nbgrader's gradebook knows them (names and email may be empty)."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    @property
    def name(self) -> str:
        """``First Last`` (empty when the gradebook has neither)."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def gradebook_students(course_dir: Path, db_url: str | None = None) -> dict[str, Student]:
    """Every student of the gradebook, by id, with the name fields nbgrader stores (None made empty)."""
    course = Course(Path(course_dir), db_url)
    with open_gradebook(course) as gb:
        return {s.id: Student(s.id, s.first_name or "", s.last_name or "", s.email or "") for s in gb.students}


def final_score(row: Row) -> float:
    """nbgrader's final score of a submission: ``max(0, raw_score - late_submission_penalty)``.

    ``raw_score`` is every graded cell (a grader's manual score before the auto score), as
    ``nbgrader export`` computes it; a row known only from a result file has its autograded score.
    """
    raw = row.total_score if row.total_score is not None else row.score
    return max(0.0, raw - (row.late_penalty or 0.0))


LMS_FORMATS = ("canvas", "moodle")
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_IDENTITY = ["ID number", "First name", "Last name", "Email address"]


def _score_cell(value: float) -> str:
    """A score as a plain number (two decimals at most, no trailing zeros)."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def write_lms_csv(rows: list[Row], students: dict[str, Student], path: Path, fmt: str = "canvas") -> None:
    """A final-grade CSV for an LMS gradebook import (``mmqb report --lms FILE [--lms-format ...]``).

    One line per student (every student of the gradebook, and anyone with only a result file),
    sorted by id; one column per assignment that at least one student submitted, named as the
    assignment, holding nbgrader's final score (:func:`final_score`); a student who did not
    submit it gets 0, as in ``nbgrader export``.

    ``fmt="canvas"``: Canvas's gradebook import columns ``Student`` (``Last, First``, else the
    id), ``ID`` (Canvas's own user id: unknown here, left empty), ``SIS User ID`` and ``SIS Login
    ID`` (both the nbgrader student id, which Canvas matches on), ``Section`` (empty), then the
    assignments; no total (Canvas computes its own, and an unknown column would become a new
    assignment).

    ``fmt="moodle"``: ``ID number`` (the nbgrader student id), ``First name``, ``Last name``,
    ``Email address``, the assignments, then ``Total``; at import choose ``ID number`` (or
    ``Email address``) as the column that identifies the user and map each assignment column to
    its grade item (``Total`` may be ignored).

    Every text cell is made safe against spreadsheet formula injection (:func:`spreadsheet_safe`);
    scores stay plain numbers.

    Raises:
        ValueError: ``fmt`` is not one of :data:`LMS_FORMATS`.
    """
    if fmt not in LMS_FORMATS:
        raise ValueError(f"unknown LMS format {fmt!r}: one of {', '.join(LMS_FORMATS)}")
    assignments = sorted({r.assignment for r in rows})
    scores = {(r.assignment, r.student): final_score(r) for r in rows}
    people = dict(students)
    for r in rows:
        people.setdefault(r.student, Student(r.student))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(spreadsheet_safe(h) for h in
                        (CANVAS_IDENTITY if fmt == "canvas" else MOODLE_IDENTITY) + assignments
                        + ([] if fmt == "canvas" else ["Total"]))
        for sid in sorted(people):
            person = people[sid]
            marks = [scores.get((a, sid), 0.0) for a in assignments]
            if fmt == "canvas":
                shown = ", ".join(p for p in (person.last_name, person.first_name) if p) or sid
                identity = [shown, "", sid, sid, ""]
                totals = []
            else:
                identity = [sid, person.first_name, person.last_name, person.email]
                totals = [_score_cell(sum(marks))]
            writer.writerow([spreadsheet_safe(cell) for cell in identity + [_score_cell(m) for m in marks] + totals])
