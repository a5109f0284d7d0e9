"""What grading leaves in the course folder: the autograded notebook and the feedback page.

``autograded/<student>/<assignment>/`` is laid out as nbgrader lays it out (the submission's
other files such as ``timestamp.txt`` copied, files read-only ``444``, ``664`` when
groupshared), and so is ``feedback/<student>/<assignment>/`` (``<notebook>.html`` from a Jinja2
template, ``timestamp.txt`` and ``submission_secret.txt``, mode ``644``), so nbgrader's
``generate_feedback`` / ``release_feedback`` / ``fetch_feedback`` work unchanged. Neither holds
hidden check code: the autograded notebook's trusted cells come from the release. Files are
written atomically, before the grades are committed.

The engine's full result (``<assignment>.mmqb.json``) is kept where no nbgrader step copies
from (:meth:`Course.result_path`, under ``<course>/.mmqb/``, readable by the graders only),
without the grader's paths. The feedback page (:func:`write_feedback_page`, one template for
``mmqb autograde`` and ``mmqb feedback``) shows the checks and, from the gradebook, every
written answer with its points and the grader's comment.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.checks import group_of
from autograder.course import gradebook
from autograder.course.config import settings
from autograder.course.course import RESULT_SUFFIX, Course, Task
from autograder.course.templates import render
from autograder.engine import submitted_cells
from autograder.results import SubmissionResult
from autograder.topics import ROOT


def write_outputs(course: Course, task: Task, result: SubmissionResult, late_penalty: float | None = None,
                  submitted: nbformat.NotebookNode | None = None, gb=None) -> None:
    """Autograded folder and feedback folder, as nbgrader writes them; neither holds hidden check code.

    ``submitted`` is the submission's notebook as parsed once for this grading (None: unreadable);
    ``gb``, the gradebook inside the grading's transaction: the page shows its written answers.
    """
    auto_dir = course.autograded_dir(task)
    auto_mode, _ = course.modes()
    # nbgrader autograde: the submission's other files (regular files only, bounded), then the
    # source folder's non-notebook files (the instructor's)
    options = settings(course.config)
    folder = course.submitted_dir(task)
    for src in submitted_files(course, folder, options.submission_files, options.submission_bytes):
        _copy(src, auto_dir / src.relative_to(folder))
    source = course.source_dir(task.assignment)
    for src in _other_files(course, source):
        _copy(src, auto_dir / src.relative_to(source))
    result = public_result(course, result)
    write_result(course, task, result, late_penalty)
    notebook = autograded_notebook(task, result, course.release(task.assignment), submitted)
    _atomic_write(course.autograded_path(task), nbformat.writes(notebook))
    _set_modes(auto_dir, auto_mode)
    marks = None
    if gb is not None:
        answers = {k: _text(c) for k, c in submitted_cells(submitted).items()}
        marks = gradebook.marks(course, gb, task, answers)
    write_feedback_page(course, task, result, late_penalty, marks, small_regular_file(folder / "submission_secret.txt"))
    if course.coursedir.groupshared:
        try:
            auto_dir.chmod((auto_dir.stat().st_mode | 0o2770) & 0o2777)
        except PermissionError:
            pass


def write_result(course: Course, task: Task, result: SubmissionResult, late_penalty: float | None) -> None:
    """The engine's result of ``task`` where no nbgrader step copies it from (an older copy is removed).

    Its folder is the graders' only (``0700``; ``2770`` and files ``0660`` when groupshared).
    """
    record = dict(result.to_dict(), assignment=task.assignment, student=task.student, timestamp=task.timestamp,
                  late_penalty=late_penalty)
    path = course.result_path(task)
    shared = bool(course.coursedir.groupshared)
    private = course.results_dir().parent
    for folder in (private, course.results_dir(), path.parent.parent, path.parent):
        if not folder.is_dir():
            folder.mkdir(exist_ok=True)
            folder.chmod(0o2770 if shared else 0o700)
    _atomic_write(path, json.dumps(record, indent=1, ensure_ascii=False))
    path.chmod(0o660 if shared else 0o600)
    legacy = course.legacy_result_path(task)
    if legacy.exists() or legacy.is_symlink():
        legacy.unlink()  # an earlier mmqb's copy, which nbgrader's generate_feedback would ship


def write_feedback_page(course: Course, task: Task, result: SubmissionResult, late_penalty: float | None,
                        marks: gradebook.Marks | None, secret: str | None) -> Path:
    """``feedback/<student>/<assignment>/``: the page, ``timestamp.txt`` and ``submission_secret.txt``.

    Only what the grader made, nothing internal: the page, and the two files nbgrader's
    release_feedback reads, written here (never copied from what the student's folder holds).
    A result file an earlier ``nbgrader generate_feedback --force`` copied there is removed.
    """
    feedback_dir = course.feedback_dir(task)
    _, feedback_mode = course.modes()
    if task.timestamp:
        _atomic_write(feedback_dir / "timestamp.txt", task.timestamp)
    if secret is not None:
        _atomic_write(feedback_dir / "submission_secret.txt", secret)
    for stray in feedback_dir.glob(f"*{RESULT_SUFFIX}"):
        stray.unlink()
    page = course.feedback_path(task)
    _atomic_write(page, feedback_html(task, result, late_penalty, marks))
    _set_modes(feedback_dir, feedback_mode)
    if course.coursedir.groupshared:
        try:
            feedback_dir.chmod((feedback_dir.stat().st_mode | 0o2770) & 0o2777)
        except PermissionError:
            pass
    return page


def public_result(course: Course, result: SubmissionResult) -> SubmissionResult:
    """``result`` without the grader's paths: the course, the repository, Python's prefixes, the home folder.

    The submission's path becomes relative to the course; each of those folders in a message,
    note or isolation step becomes ``<course>``, ``<mmqb>``, ``<python>`` or ``~``.
    """
    places = {str(course.root): "<course>", str(ROOT): "<mmqb>", str(Path.home()): "~"}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        places.setdefault(prefix, "<python>")
    for path in list(places):
        real = os.path.realpath(path)
        places.setdefault(real, places[path])
    pattern = re.compile("|".join(re.escape(p) + r"(?![\w.-])" for p in sorted(places, key=len, reverse=True)
                                  if len(p) > 1))

    def scrub(text: str) -> str:
        return pattern.sub(lambda m: places[m.group(0)], text) if isinstance(text, str) else text

    path = Path(os.path.abspath(result.path)) if result.path else None
    relative = result.path
    if path is not None:
        for root in (course.root, Path(os.path.abspath(course.coursedir.root))):
            if path.is_relative_to(root):
                relative = path.relative_to(root).as_posix()
                break
        else:
            relative = scrub(str(result.path))
    tests = [dataclasses.replace(t, message=scrub(t.message)) for t in result.tests]
    return dataclasses.replace(result, path=relative, message=scrub(result.message), tests=tests,
                               notes=[scrub(n) for n in result.notes],
                               isolation=[scrub(s) for s in result.isolation])


def autograded_notebook(task: Task, result: SubmissionResult, release: nbformat.NotebookNode,
                        submitted: nbformat.NotebookNode | None) -> nbformat.NotebookNode:
    """The student's cells, the trusted cells from the release, and check results as outputs.

    Every cell the release has keeps the release's type and metadata (as nbgrader's
    ``OverwriteCells``); a solution cell takes the student's source. The cells the student added
    follow the solution cell, as their text: code as code (not run here), anything else as
    escaped Markdown, so nothing a student wrote reaches the formgrader's page as markup.
    """
    student_cells = submitted_cells(submitted)
    known = {c.metadata.get("nbgrader", {}).get("grade_id") for c in release.cells}
    known = (known | {c.get("id") for c in release.cells}) - {None}
    added = [_as_text(c) for c in (submitted.cells if submitted is not None else [])
             if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in known and c.get("id") not in known]
    cells = []
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        own = student_cells.get(meta.get("grade_id"))
        cell = nbformat.from_dict(json.loads(json.dumps(cell)))  # type, metadata, points: the release's
        if cell.metadata.get("jupyter", {}).get("source_hidden"):
            # The runtime, collapsed in JupyterLab; nbconvert (the formgrader's page) ignores that flag
            # and would print its ~300 lines on every submission, but honours remove_source.
            cell.metadata["transient"] = {"remove_source": True}
        if meta.get("solution") and own is not None:
            source = own.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            # a written answer is shown as the student's text, never as markup in the instructor's browser
            cell.source = html.escape(source, quote=False) if cell.cell_type == "markdown" else source
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if meta.get("grade"):
                group = group_of(meta["grade_id"])
                lines = [t.line() for t in result.tests if t.group == group]
                lines.append(f"{group}: {result.group_scores.get(group, 0):g} point(s)")
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
        cells.append(cell)
        if meta.get("solution") and cell.cell_type == "code":
            cells.extend(added)
            added = []
    nb = nbformat.v4.new_notebook(cells=cells, metadata=dict(release.metadata))
    nb.metadata["mmqb"] = {"graded": True, "timestamp": task.timestamp, "status": result.status,
                           "score": result.score, "max_score": result.max_score}
    return nb


def _as_text(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A cell the student added, kept as inert text (no outputs, no metadata, no attachments)."""
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    if cell.get("cell_type") == "code":
        return nbformat.v4.new_code_cell(source)
    return nbformat.v4.new_markdown_cell(html.escape(source, quote=False))


def feedback_html(task: Task, result: SubmissionResult, late_penalty: float | None = None,
                  marks: gradebook.Marks | None = None) -> str:
    """The feedback page (``templates/feedback.html.j2``): score, status, each check's verdict and points.

    With ``marks`` (the gradebook's), the score is nbgrader's (checks and written answers, less the
    recorded late penalty) and every written answer is shown: question, answer, points, comment,
    or that it is not graded yet.
    """
    if marks is not None:
        late_penalty = marks.late_penalty
    return render("feedback.html.j2", assignment=task.assignment, student=task.student, timestamp=task.timestamp,
                  result=result, late_penalty=late_penalty, marks=marks)


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _other_files(course: Course, folder: Path) -> list[Path]:
    from nbgrader.utils import find_all_files

    if not folder.is_dir():
        return []
    return [Path(f) for f in find_all_files(str(folder), course.coursedir.ignore + ["*.ipynb", f"*{RESULT_SUFFIX}"])]


def submitted_files(course: Course, folder: Path, max_files: int, max_bytes: int) -> list[Path]:
    """The submission folder's other files that may be copied: regular files, never through a symlink.

    Notebooks, results and nbgrader's ignore patterns are left out, and so is every symlink, device,
    fifo and socket; at most ``max_files`` files of ``max_bytes`` in all (the first ones by name).
    """
    import fnmatch

    if not folder.is_dir() or folder.is_symlink():
        return []
    patterns = list(course.coursedir.ignore) + ["*.ipynb", f"*{RESULT_SUFFIX}"]
    chosen, total = [], 0
    for dirname, dirnames, names in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not any(fnmatch.fnmatch(d, p) for p in patterns))
        for name in sorted(names):
            path = Path(dirname) / name
            if any(fnmatch.fnmatch(name, p) for p in patterns):
                continue
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue  # a symlink (it could point at anything of the grader's), device, fifo or socket
            if len(chosen) >= max_files or total + info.st_size > max_bytes:
                continue
            chosen.append(path)
            total += info.st_size
    return chosen


def small_regular_file(path: Path, limit: int = 4096) -> str | None:
    """The text of a small regular file (not a symlink), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        data = fh.read(limit + 1)
    return data.decode("utf-8", "replace") if len(data) <= limit else None


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _copy(src: Path, dst: Path) -> None:
    """Copy the regular file ``src`` over ``dst`` even when ``dst`` is read-only (as nbgrader removes it first)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    shutil.copyfile(src, dst, follow_symlinks=False)


def _set_modes(folder: Path, mode: int) -> None:
    for dirname, _, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(dirname, name), mode)
