"""An nbgrader course on disk and its gradebook: find submissions, record results.

Results go into nbgrader's own gradebook through ``nbgrader.api.Gradebook`` (any SQLAlchemy
URL), one transaction per submission, so a crash loses at most the submission in flight
and nbgrader's unique keys make a regrade an update, never a duplicate. The autograded
notebook (trusted cells restored from the release, so no hidden check code) and the
feedback page are written atomically *before* the grades are committed; a submission
counts as finished only when both exist for the same submission timestamp.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.engine.grader import SubmissionResult
from autograder.engine.submission import release_notebook


@dataclass(frozen=True)
class Task:
    """One submission to grade."""

    assignment: str
    student: str
    path: Path
    timestamp: str | None


def find_tasks(course: Path, assignments: list[str]) -> list[Task]:
    """Every ``submitted/<student>/<assignment>/<assignment>.ipynb`` of the given assignments."""
    tasks = []
    for assignment in assignments:
        for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
            student = folder.parent.name
            stamp_file = folder / "timestamp.txt"
            timestamp = stamp_file.read_text().strip() if stamp_file.exists() else None
            notebooks = sorted(folder.glob("*.ipynb"))
            path = folder / f"{assignment}.ipynb"
            if not path.exists() and notebooks:
                path = notebooks[0]
            tasks.append(Task(assignment, student, path, timestamp))
    return tasks


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _grade_cells(release: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """``(grade_id, cell_type, group)`` of every graded cell of a release notebook."""
    cells = []
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            grade_id = meta["grade_id"]
            cells.append((grade_id, cell.cell_type, grade_id.rsplit("-", 1)[-1]))
    return cells


class Course:
    """Paths and gradebook of one nbgrader course folder."""

    def __init__(self, root: Path, db_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.db_url = db_url or f"sqlite:///{self.root / 'gradebook.db'}"

    def cell_scores(self, assignments: list[str]) -> dict[tuple[str, str, str], float]:
        """``(assignment, student, grade cell) -> score`` of every autograded cell in the gradebook."""
        from nbgrader.api import Gradebook

        scores = {}
        with Gradebook(self.db_url) as gb:
            for assignment in assignments:
                for sub in gb.assignment_submissions(assignment):
                    for nb in sub.notebooks:
                        for grade in nb.grades:
                            if grade.cell.cell_type == "code":
                                scores[(assignment, sub.student_id, grade.name)] = grade.score
        return scores

    def autograded_path(self, task: Task) -> Path:
        """Where the autograded notebook of ``task`` goes."""
        return self.root / "autograded" / task.student / task.assignment / f"{task.assignment}.ipynb"

    def result_path(self, task: Task) -> Path:
        """Where the full result (every check's verdict and message, no check code) goes."""
        return self.autograded_path(task).with_suffix(".mmqb.json")

    def feedback_path(self, task: Task) -> Path:
        """Where the feedback page of ``task`` goes."""
        return self.root / "feedback" / task.student / task.assignment / f"{task.assignment}.html"

    def check_assignments(self, assignments: list[str]) -> None:
        """Every assignment must exist in the gradebook (``nbgrader generate_assignment``)."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.db_url) as gb:
            for assignment in assignments:
                try:
                    gb.find_assignment(assignment)
                except MissingEntry:
                    raise ValueError(f"assignment {assignment!r} is not in the gradebook {self.db_url}: "
                                     "run `nbgrader generate_assignment` first") from None

    def finished(self, gb, task: Task) -> bool:
        """True when ``task`` was fully graded by mmqb for this very submission."""
        from nbgrader.api import MissingEntry

        path = self.autograded_path(task)
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

    def write_outputs(self, task: Task, result: SubmissionResult) -> None:
        """Autograded notebook and feedback page; neither holds hidden check code."""
        release = release_notebook(task.assignment, self.root / "release")
        _atomic_write(self.autograded_path(task), nbformat.writes(autograded_notebook(task, result, release)))
        _atomic_write(self.feedback_path(task), feedback_html(task, result))
        record = dict(result.to_dict(), assignment=task.assignment, student=task.student, timestamp=task.timestamp)
        _atomic_write(self.result_path(task), json.dumps(record, indent=1, ensure_ascii=False))

    def record(self, gb, task: Task, result: SubmissionResult) -> None:
        """Store the grades of ``task`` in the gradebook in one transaction."""
        with warnings.catch_warnings():
            # nbgrader's ORM relationships emit "not in session" SAWarnings when a submission
            # is created through its API; the rows are stored correctly (tests read them back).
            warnings.filterwarnings("ignore", message=".*not in session.*")
            self._record(gb, task, result)

    def _record(self, gb, task: Task, result: SubmissionResult) -> None:
        release = release_notebook(task.assignment, self.root / "release")
        gb.update_or_create_student(task.student)
        if task.timestamp:
            gb.update_or_create_submission(task.assignment, task.student, timestamp=task.timestamp)
        else:
            gb.update_or_create_submission(task.assignment, task.student)
        for grade_id, cell_type, group in _grade_cells(release):
            grade = gb.find_grade(grade_id, task.assignment, task.assignment, task.student)
            if cell_type == "code":
                grade.auto_score = float(result.group_scores.get(group, 0.0))
                grade.needs_manual_grade = grade.manual_score is not None
            else:
                grade.auto_score = None
                grade.needs_manual_grade = True
        gb.db.commit()


def autograded_notebook(task: Task, result: SubmissionResult,
                        release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student's cells, the trusted cells from the release, and check results as outputs."""
    try:
        submitted = nbformat.read(task.path, as_version=4)
        student_cells = {c.get("id"): c for c in submitted.cells}
    except Exception:  # noqa: BLE001 - unreadable submission: show the release
        student_cells = {}
    cells = []
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        own = student_cells.get(cell.get("id"))
        if meta.get("solution") and own is not None:
            cell = nbformat.from_dict(json.loads(json.dumps(own)))
        else:
            cell = nbformat.from_dict(json.loads(json.dumps(cell)))
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if meta.get("grade"):
                group = meta["grade_id"].rsplit("-", 1)[-1]
                lines = [_check_line(t) for t in result.tests if t.group == group]
                lines.append(f"{group}: {result.group_scores.get(group, 0):g} point(s)")
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells, metadata=dict(release.metadata))
    nb.metadata["mmqb"] = {"graded": True, "timestamp": task.timestamp, "status": result.status,
                           "score": result.score, "max_score": result.max_score}
    return nb


def _check_line(test) -> str:
    mark = "PASS" if test.passed else "FAIL"
    hidden = " (hidden)" if test.hidden else ""
    return f"[{mark}] {test.name}{hidden}" + (f": {test.message}" if test.message else "")


def feedback_html(task: Task, result: SubmissionResult) -> str:
    """A small self-contained feedback page: score, status, each check's verdict."""
    rows = "\n".join(
        f"<tr class={'pass' if t.passed else 'fail'}><td>{html.escape(t.name)}{' (hidden)' if t.hidden else ''}"
        f"</td><td>{'passed' if t.passed else 'failed'}</td><td>{t.score:.3g}/{t.max_score:.3g}</td>"
        f"<td>{html.escape(t.message)}</td></tr>"
        for t in result.tests)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    status = "" if result.status == "ok" else f"<p class=fail>{html.escape(result.status)}: " \
        f"{html.escape(result.message)}</p>"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(task.assignment)} feedback</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td{{padding:.2em .6em;vertical-align:top}}
.pass td:nth-child(2){{color:#070}}.fail td:nth-child(2),p.fail{{color:#a00}}</style></head><body>
<h1>{html.escape(task.assignment)} — {html.escape(task.student)}</h1>
<p>Autograded score: <b>{result.score:g} / {result.max_score:g}</b> (a group of checks scores its points only
when all its checks pass; written answers are graded by hand).</p>{status}
<table><tr><th>check</th><th>result</th><th>points</th><th>message</th></tr>
{rows}</table><ul>{notes}</ul></body></html>
"""
