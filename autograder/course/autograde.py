"""``mmqb autograde``: grade an nbgrader course's submissions into its own gradebook.

Settings come from the course's ``nbgrader_config.py`` (``c.Mmqb.*`` and nbgrader's
``CourseDirectory``); keyword arguments override them.

Student faults are graded, engine faults are not: a result the engine could not produce
(worker did not start, scratch not creatable, an isolation step failed: ``graded`` is False)
is never written to the gradebook, ``autograded/`` or ``feedback/``; it is listed in
:attr:`Summary.ungraded` and the next run grades it.

Several runs on one course at once are safe: each submission is claimed (``fcntl.flock`` on a
lock file under ``autograded/.mmqb-claims/``) before it is graded, a submission another run
holds is skipped, and after taking a claim the run re-reads the gradebook so a submission that
another run has just finished is not graded twice.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from autograder.course import gradebook, outputs
from autograder.course.config import settings
from autograder.course.course import Claim, Course, Task
from autograder.engine import Limits, client_security, make_pool, not_graded, read_notebook
from autograder.results import SubmissionResult, is_graded

log = logging.getLogger("mmqb.autograde")
RETRIES = 8  # concurrent writers: SQLite "database is locked", a student created by two runs at once


@dataclass
class Summary:
    """What one ``autograde`` run did."""

    graded: list[tuple[Task, SubmissionResult]] = field(default_factory=list)
    skipped: list[Task] = field(default_factory=list)  # already graded for this very submission
    ungraded: list[tuple[Task, SubmissionResult]] = field(default_factory=list)  # engine faults: no grade
    busy: list[Task] = field(default_factory=list)  # being graded by another run at the same time
    problems: list[tuple[Task, str]] = field(default_factory=list)  # the submission cannot be graded as it is

    @property
    def failed(self) -> bool:
        """True when some submission was not graded (the command exits non-zero and lists them)."""
        return bool(self.ungraded or self.problems)


def _type_check(name: str, value, kinds: tuple[type, ...], optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, kinds):
        expected = " or ".join(k.__name__ for k in kinds) + (" or None" if optional else "")
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")


def autograde(course_dir: Path, assignments: list[str], *, isolation: str = "require",
              workers: int | None = None, scheduler: str | None = None,
              cluster_credentials: Path | None = None, insecure_scheduler: bool | None = None,
              db_url: str | None = None, limits: Limits | None = None, timeout: float | None = None,
              memory_mib: int | None = None, force: bool = False,
              csv_path: Path | None = None, gradescope_dir: Path | None = None,
              progress: bool = True) -> Summary:
    """Grade every submission of ``assignments`` in ``course_dir``; record each as it finishes.

    ``workers``, ``scheduler``, ``cluster_credentials``, ``insecure_scheduler``, ``db_url`` and
    ``limits`` default to the course's ``nbgrader_config.py`` (``c.Mmqb.workers``,
    ``c.Mmqb.scheduler``, ``c.CourseDirectory.db_url``, ``c.Mmqb.timeout`` ...). A scheduler
    without TLS is refused before anything is read unless ``insecure_scheduler``.
    """
    _type_check("course_dir", course_dir, (str, Path), optional=False)
    if isinstance(assignments, str) or not isinstance(assignments, list | tuple):
        raise TypeError(f"assignments must be a list of assignment names, got {type(assignments).__name__}")
    _type_check("workers", workers, (int,))
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    course = Course(Path(course_dir), db_url)
    options = settings(course.config)
    workers = workers if workers is not None else options.workers
    scheduler = scheduler if scheduler is not None else (options.scheduler or None)
    credentials = cluster_credentials or options.cluster_credentials or None
    insecure = options.insecure_scheduler if insecure_scheduler is None else insecure_scheduler
    if scheduler:
        client_security(scheduler, credentials, insecure)  # refuse an open cluster before any work
    limits = limits or options.limits(timeout, memory_mib)
    assignments = list(assignments)
    gradebook.check_assignments(course, assignments)
    # The warm workers start (seconds of TensorFlow import) while the course is scanned.
    pool = make_pool(scheduler, workers, isolation, credentials=credentials, insecure=insecure)
    held: dict[Task, Claim] = {}
    bar = None
    try:
        pool.prepare(assignments)
        tasks = course.find_tasks(assignments)
        summary = Summary()
        with gradebook.open_gradebook(course) as gb:
            todo = []
            for task in tasks:
                if task.problem:
                    summary.problems.append((task, task.problem))  # never graded without its late penalty
                elif not force and gradebook.finished(course, gb, task):
                    summary.skipped.append(task)
                else:
                    todo.append(task)
        if todo:
            pool.ready()  # refuse (no isolation here) before any submission is claimed
        bar = tqdm(total=len(todo), desc="mmqb autograde", unit="nb", file=sys.stderr, disable=not progress)
        with gradebook.open_gradebook(course) as gb:
            claimed = _claimed(course, gb, todo, force, held, summary, bar)
            for task, result in _results(pool, claimed, limits):
                try:
                    if not is_graded(result):
                        pass
                    elif (failure := _store(course, gb, task, result)) is not None:
                        result = not_graded(task.path, task.assignment, failure)
                    if is_graded(result):
                        summary.graded.append((task, result))
                        bar.set_postfix_str(f"{task.student}/{task.assignment} "
                                            f"{result.score:g}/{result.max_score:g}")
                    else:
                        summary.ungraded.append((task, result))
                        bar.set_postfix_str(f"{task.student}/{task.assignment} not graded")
                finally:
                    held.pop(task).release()
                bar.update()
    finally:
        for claim in held.values():
            claim.release()
        if bar is not None:
            bar.close()
        pool.close()
    if csv_path:
        export_csv(course, assignments, Path(csv_path))
    if gradescope_dir:
        for task, result in summary.graded:
            out = Path(gradescope_dir) / task.student / f"{task.assignment}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result.gradescope(), indent=1, ensure_ascii=False), encoding="utf-8")
    return summary


def _claimed(course: Course, gb, todo: list[Task], force: bool, held: dict[Task, Claim], summary: Summary, bar):
    """The tasks of ``todo`` this run holds the claim of (in ``held``), claimed one at a time as
    the pool draws them; one that another run holds or has finished meanwhile is passed over."""
    for task in todo:
        claim = course.claim(task)
        if not claim.acquire():
            summary.busy.append(task)
            bar.update()
            continue
        gb.db.commit()  # end the read transaction: see what other runs committed
        gb.db.expire_all()
        if not force and gradebook.finished(course, gb, task):
            claim.release()
            summary.skipped.append(task)
            bar.update()
            continue
        held[task] = claim
        yield task


def _results(pool, tasks, limits: Limits):
    """``pool.run(tasks)``; when the pool itself fails (a worker cannot start), every task it
    drew and did not finish, and every task after them, is not graded."""
    pending: list[Task] = []

    def drawn():
        for task in tasks:
            pending.append(task)
            yield task

    source = drawn()
    try:
        for task, result in pool.run(source, limits):
            pending.remove(task)
            yield task, result
    except Exception as exc:  # noqa: BLE001 - an engine failure, reported per submission
        reason = f"{type(exc).__name__}: {exc}"
        for task in [*pending, *source]:
            yield task, not_graded(task.path, task.assignment, reason)


def store(course: Course, gb, task: Task, result: SubmissionResult) -> float | None:
    """Grades, autograded folder and feedback of ``task``: outputs written before the one commit.

    The submission is parsed once here for both (the engine parsed its own copy of the text).
    """
    submitted = read_notebook(task.path)
    return gradebook.record(course, gb, task, result, submitted, before_commit=lambda penalty: outputs.write_outputs(
        course, task, result, penalty, submitted, gb))


def _store(course: Course, gb, task: Task, result: SubmissionResult) -> str | None:
    """:func:`store` with retries on the transient errors of concurrent writers; why it failed, or None.

    A failure to record one submission (its files, the gradebook) is that submission's: nothing of
    it is committed, and the rest of the batch is recorded.
    """
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(RETRIES):
        try:
            store(course, gb, task, result)
            return None
        except (OperationalError, IntegrityError) as exc:
            if attempt == RETRIES - 1:
                return f"recording failed: {type(exc).__name__}"
            time.sleep(0.1 * (attempt + 1) + random.random() * 0.2)
            gb.db.expire_all()
        except Exception as exc:  # noqa: BLE001 - this submission's outputs or grades: not the batch's
            log.exception("recording %s/%s failed", task.student, task.assignment)
            return f"recording failed: {type(exc).__name__}: {exc}"[:300]
    return "recording failed"


def export_csv(course: Course, assignments: list[str], path: Path) -> None:
    """The course's one CSV export (:func:`autograder.course.exports.write_csv`) for ``assignments``."""
    from autograder.course.exports import collect_rows, write_csv

    rows, _ = collect_rows(course.root, course.db_url)
    write_csv([r for r in rows if r.assignment in assignments], path)
