"""What grading leaves in the course folder: the autograded notebook and the feedback page.

``autograded/<student>/<assignment>/`` is laid out as nbgrader lays it out (the submission's
other files such as ``timestamp.txt`` copied, files read-only ``444``, ``664`` when
groupshared), and so is ``feedback/<student>/<assignment>/`` (``<notebook>.html`` from a Jinja2
template, ``timestamp.txt`` and ``submission_secret.txt``, mode ``644``), so nbgrader's
``generate_feedback`` / ``release_feedback`` / ``fetch_feedback`` work unchanged. Neither holds
hidden check code: the autograded notebook's trusted cells come from the release. Files are
written atomically, before the grades are committed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.checks import group_of
from autograder.course.course import RESULT_SUFFIX, Course, Task
from autograder.course.templates import render
from autograder.results import SubmissionResult


def write_outputs(course: Course, task: Task, result: SubmissionResult, late_penalty: float | None = None,
                  submitted: nbformat.NotebookNode | None = None) -> None:
    """Autograded folder and feedback folder, as nbgrader writes them; neither holds hidden check code.

    ``submitted`` is the submission's notebook as parsed once for this grading (None: unreadable).
    """
    auto_dir, feedback_dir = course.autograded_dir(task), course.feedback_dir(task)
    auto_mode, feedback_mode = course.modes()
    # nbgrader autograde: the submission's other files, then the source folder's non-notebook files
    for base in (course.submitted_dir(task), course.source_dir(task.assignment)):
        for src in _other_files(course, base):
            _copy(src, auto_dir / src.relative_to(base))
    record = dict(result.to_dict(), assignment=task.assignment, student=task.student, timestamp=task.timestamp,
                  late_penalty=late_penalty)
    _atomic_write(course.result_path(task), json.dumps(record, indent=1, ensure_ascii=False))
    notebook = autograded_notebook(task, result, course.release(task.assignment), submitted)
    _atomic_write(course.autograded_path(task), nbformat.writes(notebook))
    _set_modes(auto_dir, auto_mode)
    # nbgrader generate_feedback: the autograded folder's other files, then the page
    for src in _other_files(course, auto_dir):
        _copy(src, feedback_dir / src.relative_to(auto_dir))
    _atomic_write(course.feedback_path(task), feedback_html(task, result, late_penalty))
    _set_modes(feedback_dir, feedback_mode)
    if course.coursedir.groupshared:
        for folder in (auto_dir, feedback_dir):
            try:
                folder.chmod((folder.stat().st_mode | 0o2770) & 0o2777)
            except PermissionError:
                pass


def autograded_notebook(task: Task, result: SubmissionResult, release: nbformat.NotebookNode,
                        submitted: nbformat.NotebookNode | None) -> nbformat.NotebookNode:
    """The student's cells, the trusted cells from the release, and check results as outputs."""
    student_cells = {c.get("id"): c for c in submitted.cells} if submitted is not None else {}
    cells = []
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        own = student_cells.get(cell.get("id"))
        if meta.get("solution") and own is not None:
            cell = nbformat.from_dict(json.loads(json.dumps(own)))
            cell.metadata["nbgrader"] = json.loads(json.dumps(meta))  # trusted metadata, as OverwriteCells
        else:
            cell = nbformat.from_dict(json.loads(json.dumps(cell)))
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if meta.get("grade"):
                group = group_of(meta["grade_id"])
                lines = [t.line() for t in result.tests if t.group == group]
                lines.append(f"{group}: {result.group_scores.get(group, 0):g} point(s)")
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells, metadata=dict(release.metadata))
    nb.metadata["mmqb"] = {"graded": True, "timestamp": task.timestamp, "status": result.status,
                           "score": result.score, "max_score": result.max_score}
    return nb


def feedback_html(task: Task, result: SubmissionResult, late_penalty: float | None = None) -> str:
    """The feedback page (``templates/feedback.html.j2``): score, status, each check's verdict and points."""
    return render("feedback.html.j2", assignment=task.assignment, student=task.student, timestamp=task.timestamp,
                  result=result, late_penalty=late_penalty)


def _other_files(course: Course, folder: Path) -> list[Path]:
    from nbgrader.utils import find_all_files

    if not folder.is_dir():
        return []
    return [Path(f) for f in find_all_files(str(folder), course.coursedir.ignore + ["*.ipynb", f"*{RESULT_SUFFIX}"])]


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _copy(src: Path, dst: Path) -> None:
    """Copy ``src`` over ``dst`` even when ``dst`` is read-only (as nbgrader removes it first)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    shutil.copy(src, dst)


def _set_modes(folder: Path, mode: int) -> None:
    for dirname, _, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(dirname, name), mode)
