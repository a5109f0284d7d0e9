"""An nbgrader course on disk and its gradebook: find submissions, record results, as nbgrader does.

Paths come from nbgrader's own ``CourseDirectory`` (the course's ``nbgrader_config.py``:
``directory_structure``, ``submitted_directory``, ``autograded_directory``,
``feedback_directory``, ``db_url``, ``groupshared``, ``ignore``). Results go into nbgrader's
gradebook through ``nbgrader.api.Gradebook`` (any SQLAlchemy URL), one transaction per
submission, recording what ``nbgrader autograde`` records: the submission timestamp, each
graded cell's ``auto_score`` and ``needs_manual_grade`` (an unchanged written answer scores 0
and needs no grader, as ``nbgrader.utils.determine_grade`` decides from the cell checksum),
the "No response." comments, and the late-submission penalty through the configured
``AssignLatePenalties.plugin_class``.

``autograded/<student>/<assignment>/`` is laid out as nbgrader lays it out (the submission's
other files such as ``timestamp.txt`` copied, files read-only ``444``, ``664`` when
groupshared), and so is ``feedback/<student>/<assignment>/`` (``<notebook>.html`` from a Jinja2
template, ``timestamp.txt`` and ``submission_secret.txt``, mode ``644``), so nbgrader's
``generate_feedback`` / ``release_feedback`` / ``fetch_feedback`` work unchanged. Neither holds
hidden check code: the autograded notebook's trusted cells come from the release.

Outputs are written atomically *before* the grades are committed; a submission counts as
finished only when both exist for the same submission timestamp.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat

from autograder.engine.grader import SubmissionResult
from autograder.engine.submission import release_notebook

RESULT_SUFFIX = ".mmqb.json"
CLAIMS = ".mmqb-claims"


@dataclass(frozen=True)
class Task:
    """One submission to grade."""

    assignment: str
    student: str
    path: Path
    timestamp: str | None


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


def _grade_cells(release: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """``(grade_id, cell_type, group)`` of every graded cell of a release notebook."""
    cells = []
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            grade_id = meta["grade_id"]
            cells.append((grade_id, cell.cell_type, grade_id.rsplit("-", 1)[-1]))
    return cells


@cache
def _templates():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = Path(__file__).resolve().parent.parent / "templates"
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> str:
    """Render one of ``autograder/templates`` (autoescaped HTML)."""
    return _templates().get_template(template).render(**context)


class Claim:
    """An exclusive claim on one submission across processes (``fcntl.flock`` on a lock file).

    Two ``mmqb autograde`` runs on one course never grade the same submission at once: each
    takes the claim before grading and skips a submission another run holds. The kernel drops
    the lock when its holder dies, so a killed run blocks nothing.
    """

    def __init__(self, path: Path, shared: bool = False) -> None:
        self.path = path
        self.shared = shared  # a groupshared course: every grader of the group can take claims
        self.fd: int | None = None

    def acquire(self) -> bool:
        """Take the claim without waiting; False when another process holds it."""
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.shared:
                for folder in (self.path.parent, self.path.parent.parent):
                    try:
                        folder.chmod(0o2770)
                    except PermissionError:
                        pass
        # flock needs no write access: a read-only descriptor lets any grader who can read the file take it
        mode = 0o660 if self.shared else 0o600
        fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        """Give the claim back."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class Course:
    """Paths and gradebook of one nbgrader course folder, configured by its ``nbgrader_config.py``."""

    def __init__(self, root: Path, db_url: str | None = None, config=None) -> None:
        from autograder.engine.config import course_directory, load_config

        self.config = config if config is not None else load_config(Path(root))
        self.coursedir = course_directory(self.config)
        self.root = Path(self.coursedir.root).resolve()
        self.db_url = db_url or self.coursedir.db_url

    # ------------------------------------------------------------------ paths

    def folder(self, step: str, student: str, assignment: str) -> Path:
        """``CourseDirectory.format_path`` for one step (``submitted``, ``autograded`` ...)."""
        return Path(self.coursedir.format_path(step, student, assignment))

    def find_tasks(self, assignments: list[str]) -> list[Task]:
        """Every submitted notebook of ``assignments``, where ``directory_structure`` puts them."""
        tasks = []
        step = self.coursedir.submitted_directory
        for assignment in assignments:
            pattern = re.compile(self.coursedir.format_path(step, "(?P<student_id>[^/]+)", re.escape(assignment),
                                                            escape=True) + "$")
            for folder in sorted(Path(self.root).glob(self.folder(step, "*", assignment).relative_to(self.root)
                                                      .as_posix())):
                match = pattern.match(str(folder))
                if not match or not folder.is_dir():
                    continue
                student = match.group("student_id")
                if self.coursedir.student_id not in ("*", student):
                    continue
                stamp_file = folder / "timestamp.txt"
                timestamp = stamp_file.read_text().strip() if stamp_file.exists() else None
                path = folder / f"{assignment}.ipynb"
                notebooks = sorted(folder.glob("*.ipynb"))
                if not path.exists() and notebooks:
                    path = notebooks[0]
                tasks.append(Task(assignment, student, path, timestamp or None))
        return tasks

    def autograded_dir(self, task: Task) -> Path:
        """``autograded/<student>/<assignment>`` (nbgrader's layout)."""
        return self.folder(self.coursedir.autograded_directory, task.student, task.assignment)

    def feedback_dir(self, task: Task) -> Path:
        """``feedback/<student>/<assignment>`` (nbgrader's layout)."""
        return self.folder(self.coursedir.feedback_directory, task.student, task.assignment)

    def autograded_path(self, task: Task) -> Path:
        """Where the autograded notebook of ``task`` goes."""
        return self.autograded_dir(task) / f"{task.assignment}.ipynb"

    def result_path(self, task: Task) -> Path:
        """Where the full result (every check's verdict and message, no check code) goes."""
        return self.autograded_dir(task) / f"{task.assignment}{RESULT_SUFFIX}"

    def feedback_path(self, task: Task) -> Path:
        """Where the feedback page of ``task`` goes."""
        return self.feedback_dir(task) / f"{task.assignment}.html"

    def claim(self, task: Task) -> Claim:
        """The cross-process claim of ``task`` (a lock file under the course's autograded folder)."""
        base = Path(self.root) / self.coursedir.autograded_directory / CLAIMS / task.assignment
        return Claim(base / f"{task.student}.lock", shared=bool(self.coursedir.groupshared))

    # ------------------------------------------------------------------ gradebook

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

    # ------------------------------------------------------------------ outputs

    def _modes(self) -> tuple[int, int]:
        """nbgrader's file modes: autograded (``Autograde.permissions``), feedback (``GenerateFeedback``)."""
        auto = self.config.Autograde.get("permissions", 664 if self.coursedir.groupshared else 444)
        feedback = self.config.GenerateFeedback.get("permissions", 664 if self.coursedir.groupshared else 644)
        return int(str(auto), 8), int(str(feedback), 8)

    def _other_files(self, folder: Path) -> list[Path]:
        from nbgrader.utils import find_all_files

        if not folder.is_dir():
            return []
        return [Path(f) for f in find_all_files(str(folder), self.coursedir.ignore + ["*.ipynb", f"*{RESULT_SUFFIX}"])]

    def write_outputs(self, task: Task, result: SubmissionResult, late_penalty: float | None = None) -> None:
        """Autograded folder and feedback folder, as nbgrader writes them; neither holds hidden check code."""
        release = release_notebook(task.assignment, self.root / "release")
        auto_dir, feedback_dir = self.autograded_dir(task), self.feedback_dir(task)
        auto_mode, feedback_mode = self._modes()
        # nbgrader autograde: the submission's other files, then the source folder's non-notebook files
        submitted = Path(task.path).parent
        source = self.folder(self.coursedir.source_directory, ".", task.assignment)
        for base in (submitted, source):
            for src in self._other_files(base):
                _copy(src, auto_dir / src.relative_to(base))
        record = dict(result.to_dict(), assignment=task.assignment, student=task.student, timestamp=task.timestamp,
                      late_penalty=late_penalty)
        _atomic_write(self.result_path(task), json.dumps(record, indent=1, ensure_ascii=False))
        _atomic_write(self.autograded_path(task), nbformat.writes(autograded_notebook(task, result, release)))
        _set_modes(auto_dir, auto_mode)
        # nbgrader generate_feedback: the autograded folder's other files, then the page
        for src in self._other_files(auto_dir):
            _copy(src, feedback_dir / src.relative_to(auto_dir))
        _atomic_write(self.feedback_path(task), feedback_html(task, result, late_penalty))
        _set_modes(feedback_dir, feedback_mode)
        if self.coursedir.groupshared:
            for folder in (auto_dir, feedback_dir):
                try:
                    folder.chmod((folder.stat().st_mode | 0o2770) & 0o2777)
                except PermissionError:
                    pass

    def late_penalty(self, gb, task: Task, score: float) -> float | None:
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

        assign = AssignLatePenalties(config=self.config)
        assign.init_plugin()
        penalty = assign.plugin_inst.late_submission_penalty(task.student, score, seconds)
        if penalty is None:
            return None
        return float(min(max(penalty, 0.0), score))  # AssignLatePenalties._check_late_penalty

    def store(self, gb, task: Task, result: SubmissionResult) -> float | None:
        """Grades, autograded folder and feedback of ``task``: outputs written before the one commit."""
        return self.record(gb, task, result, before_commit=lambda penalty: self.write_outputs(task, result, penalty))

    def record(self, gb, task: Task, result: SubmissionResult, before_commit=None) -> float | None:
        """Store the grades of ``task`` in the gradebook in one transaction; return the late penalty.

        ``before_commit(penalty)`` runs inside the transaction, after the late penalty is known;
        when it raises, nothing is committed.
        """
        with warnings.catch_warnings():
            # nbgrader's ORM relationships emit "not in session" SAWarnings when a submission
            # is created through its API; the rows are stored correctly (tests read them back).
            warnings.filterwarnings("ignore", message=".*not in session.*")
            try:
                return self._record(gb, task, result, before_commit)
            except Exception:
                gb.db.rollback()
                raise

    def _record(self, gb, task: Task, result: SubmissionResult, before_commit) -> float | None:
        from nbgrader.utils import parse_utc

        release = release_notebook(task.assignment, self.root / "release")
        gb.update_or_create_student(task.student)
        if task.timestamp:
            gb.update_or_create_submission(task.assignment, task.student, timestamp=parse_utc(task.timestamp))
        else:
            gb.update_or_create_submission(task.assignment, task.student)
        submitted = _submitted_cells(task.path)
        for grade_id, cell_type, group in _grade_cells(release):
            grade = gb.find_grade(grade_id, task.assignment, task.assignment, task.student)
            if cell_type == "code":
                grade.auto_score = float(result.group_scores.get(group, 0.0))
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
        penalty = self.late_penalty(gb, task, float(notebook.score or 0.0))
        notebook.late_submission_penalty = penalty
        if before_commit is not None:
            before_commit(penalty)
        gb.db.commit()
        return penalty


def _set_modes(folder: Path, mode: int) -> None:
    for dirname, _, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(dirname, name), mode)


def _submitted_cells(path: Path) -> dict[str, nbformat.NotebookNode]:
    """``grade_id -> cell`` of the submitted notebook (empty when it cannot be read)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable submission has no cells
        return {}
    cells = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id and grade_id not in cells:
            cells[grade_id] = cell
    return cells


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
            cell.metadata["nbgrader"] = json.loads(json.dumps(meta))  # trusted metadata, as OverwriteCells
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
    return (f"[{mark}] {test.name}{hidden} {test.score:.3g}/{test.max_score:.3g}"
            + (f": {test.message}" if test.message else ""))


def feedback_html(task: Task, result: SubmissionResult, late_penalty: float | None = None) -> str:
    """The feedback page (``templates/feedback.html.j2``): score, status, each check's verdict and points."""
    return render("feedback.html.j2", assignment=task.assignment, student=task.student, timestamp=task.timestamp,
                  result=result, late_penalty=late_penalty)


def find_tasks(course: Path, assignments: list[str]) -> list[Task]:
    """Every submission of ``assignments`` in the course folder ``course``."""
    return Course(course).find_tasks(assignments)
