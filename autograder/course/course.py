"""One nbgrader course on disk: its configuration, every path, the submissions to grade, claims.

Every path comes from nbgrader's own ``CourseDirectory`` (the course's ``nbgrader_config.py``:
``directory_structure``, ``submitted_directory``, ``autograded_directory``,
``feedback_directory``, ``release_directory``, ``db_url``, ``groupshared``, ``ignore``), never
from a folder name written here. The gradebook is :mod:`autograder.course.gradebook`'s, the
autograded and feedback folders :mod:`autograder.course.outputs`'.
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat

from autograder.course.config import course_directory, load_config
from autograder.engine import release_notebook

RESULT_SUFFIX = ".mmqb.json"
TIMESTAMP_BYTES = 256
CLAIMS = ".mmqb-claims"
# mmqb's own files of a course, where no nbgrader step looks: never under autograded/ (nbgrader's
# generate_feedback copies every other file of autograded/<student>/<assignment>/ to the feedback
# folder that release_feedback ships to the student)
PRIVATE = ".mmqb"
RESULTS = "results"


@dataclass(frozen=True)
class Task:
    """One submission to grade."""

    assignment: str
    student: str
    path: Path
    timestamp: str | None
    problem: str | None = None  # why this submission cannot be graded at all (e.g. an unreadable timestamp)


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
    """Paths of one nbgrader course folder, configured by its ``nbgrader_config.py`` (read once)."""

    def __init__(self, root: Path, db_url: str | None = None, config=None) -> None:
        self.config = config if config is not None else load_config(Path(root))
        self.coursedir = course_directory(self.config)
        self.root = Path(self.coursedir.root).resolve()
        self.db_url = db_url or self.coursedir.db_url
        self.course_id = self.coursedir.course_id

    def folder(self, step: str, student: str, assignment: str) -> Path:
        """``CourseDirectory.format_path`` for one step (``submitted``, ``autograded`` ...)."""
        return Path(self.coursedir.format_path(step, student, assignment))

    def release(self, assignment: str) -> nbformat.NotebookNode:
        """The trusted release notebook of ``assignment`` (read once per run; never modify it)."""
        return _release(str(self.folder(self.coursedir.release_directory, ".", assignment).parent), assignment)

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
                timestamp, problem = read_timestamp(folder / "timestamp.txt")
                path = folder / f"{assignment}.ipynb"
                notebooks = sorted(folder.glob("*.ipynb"))
                if not path.exists() and not path.is_symlink() and notebooks:
                    path = notebooks[0]
                tasks.append(Task(assignment, student, path, timestamp, problem))
        return tasks

    def submitted_dir(self, task: Task) -> Path:
        """``submitted/<student>/<assignment>`` (nbgrader's layout)."""
        return Path(task.path).parent

    def source_dir(self, assignment: str) -> Path:
        """``source/<assignment>``."""
        return self.folder(self.coursedir.source_directory, ".", assignment)

    def autograded_dir(self, task: Task) -> Path:
        """``autograded/<student>/<assignment>`` (nbgrader's layout)."""
        return self.folder(self.coursedir.autograded_directory, task.student, task.assignment)

    def feedback_dir(self, task: Task) -> Path:
        """``feedback/<student>/<assignment>`` (nbgrader's layout)."""
        return self.folder(self.coursedir.feedback_directory, task.student, task.assignment)

    def autograded_path(self, task: Task) -> Path:
        """Where the autograded notebook of ``task`` goes."""
        return self.autograded_dir(task) / f"{task.assignment}.ipynb"

    def results_dir(self) -> Path:
        """``<course>/.mmqb/results``: the engine's results, private to the graders (never shipped)."""
        return self.root / PRIVATE / RESULTS

    def result_path(self, task: Task) -> Path:
        """Where the full result (every check's verdict and message, no check code) goes.

        ``<course>/.mmqb/results/<student>/<assignment>/<assignment>.mmqb.json``: the autograded
        folder's layout under a folder no nbgrader step copies from.
        """
        return self.results_dir() / task.student / task.assignment / f"{task.assignment}{RESULT_SUFFIX}"

    def legacy_result_path(self, task: Task) -> Path:
        """Where earlier versions of mmqb wrote the result: beside the autograded notebook (still read)."""
        return self.autograded_dir(task) / f"{task.assignment}{RESULT_SUFFIX}"

    def result_files(self) -> list[Path]:
        """Every result file of the course, sorted; a legacy one only where no new one exists.

        Each sits in ``<student>/<assignment>/`` (the new place and the legacy autograded folder).
        """
        found = {}
        legacy = self.folder(self.coursedir.autograded_directory, "*", "*") / f"*{RESULT_SUFFIX}"
        for path in sorted(self.root.glob(legacy.relative_to(self.root).as_posix())):
            found[(path.parent.parent.name, path.parent.name)] = path
        for path in sorted(self.results_dir().glob(f"*/*/*{RESULT_SUFFIX}")):
            found[(path.parent.parent.name, path.parent.name)] = path
        return sorted(found.values())

    def feedback_path(self, task: Task) -> Path:
        """Where the feedback page of ``task`` goes."""
        return self.feedback_dir(task) / f"{task.assignment}.html"

    def claim(self, task: Task) -> Claim:
        """The cross-process claim of ``task`` (a lock file under the course's autograded folder)."""
        base = Path(self.root) / self.coursedir.autograded_directory / CLAIMS / task.assignment
        return Claim(base / f"{task.student}.lock", shared=bool(self.coursedir.groupshared))

    def modes(self) -> tuple[int, int]:
        """nbgrader's file modes: autograded (``Autograde.permissions``), feedback (``GenerateFeedback``)."""
        auto = self.config.Autograde.get("permissions", 664 if self.coursedir.groupshared else 444)
        feedback = self.config.GenerateFeedback.get("permissions", 664 if self.coursedir.groupshared else 644)
        return int(str(auto), 8), int(str(feedback), 8)


def read_timestamp(path: Path) -> tuple[str | None, str | None]:
    """``(timestamp, problem)`` of a submission's ``timestamp.txt``: a small regular file nbgrader can parse.

    A missing file is no timestamp (on time, as nbgrader decides); anything else unreadable is
    the submission's problem: it is not graded rather than graded without its late penalty.
    """
    from nbgrader.utils import parse_utc

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"timestamp.txt cannot be read ({exc.strerror or type(exc).__name__}; a symbolic link?)"
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None, "timestamp.txt is not a regular file"
        raw = fh.read(TIMESTAMP_BYTES + 1)
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return None, None
    try:
        if len(raw) > TIMESTAMP_BYTES:
            raise ValueError("too long")
        parse_utc(text)
    except Exception:  # noqa: BLE001 - dateutil raises several kinds
        return None, "timestamp.txt does not hold a time nbgrader can read, so the late penalty cannot be decided"
    return text, None


@cache
def _release(release_dir: str, assignment: str) -> nbformat.NotebookNode:
    return release_notebook(assignment, Path(release_dir))
