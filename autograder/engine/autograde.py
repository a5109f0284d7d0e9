"""``mmqb autograde``: grade an nbgrader course's submissions into its own gradebook."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from autograder.engine.course import Course, Task, find_tasks
from autograder.engine.grader import Limits, SubmissionResult


@dataclass
class Summary:
    """What one ``autograde`` run did."""

    graded: list[tuple[Task, SubmissionResult]] = field(default_factory=list)
    skipped: list[Task] = field(default_factory=list)


def autograde(course_dir: Path, assignments: list[str], *, workers: int = 2, scheduler: str | None = None,
              db_url: str | None = None, limits: Limits | None = None, force: bool = False,
              csv_path: Path | None = None, gradescope_dir: Path | None = None,
              progress: bool = True) -> Summary:
    """Grade every submission of ``assignments`` in ``course_dir``; record each as it finishes."""
    from nbgrader.api import Gradebook

    course = Course(course_dir, db_url)
    course.check_assignments(assignments)
    limits = limits or Limits()
    tasks = find_tasks(course.root, assignments)
    summary = Summary()
    with Gradebook(course.db_url) as gb:
        todo = []
        for task in tasks:
            if not force and course.finished(gb, task):
                summary.skipped.append(task)
            else:
                todo.append(task)
    pool = _make_pool(scheduler, workers)
    bar = tqdm(total=len(todo), desc="mmqb autograde", unit="nb", file=sys.stderr, disable=not progress)
    try:
        with Gradebook(course.db_url) as gb:
            for task, result in pool.run(todo, limits):
                course.write_outputs(task, result)
                course.record(gb, task, result)
                summary.graded.append((task, result))
                bar.set_postfix_str(f"{task.student}/{task.assignment} {result.score:g}/{result.max_score:g}")
                bar.update()
    finally:
        bar.close()
        pool.close()
    if csv_path:
        export_csv(course, assignments, csv_path)
    if gradescope_dir:
        for task, result in summary.graded:
            out = Path(gradescope_dir) / task.student / f"{task.assignment}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result.gradescope(), indent=1, ensure_ascii=False), encoding="utf-8")
    return summary


def _make_pool(scheduler: str | None, workers: int):
    if scheduler:
        from autograder.engine.pool import DaskPool

        return DaskPool(scheduler)
    from autograder.engine.pool import LocalPool

    return LocalPool(workers)


def export_csv(course: Course, assignments: list[str], path: Path) -> None:
    """One row per (assignment, student) from the gradebook: auto, manual and total scores."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb, open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["assignment", "student", "autograded_score", "autograded_max", "score", "max_score",
                         "needs_manual_grade"])
        for assignment in assignments:
            for sub in sorted(gb.assignment_submissions(assignment), key=lambda s: s.student_id):
                grades = [g for nb in sub.notebooks for g in nb.grades]
                auto = [g for g in grades if g.cell.cell_type == "code"]
                writer.writerow([assignment, sub.student_id, sum(g.score for g in auto),
                                 sum(g.max_score for g in auto), sub.score, sub.max_score, sub.needs_manual_grade])
