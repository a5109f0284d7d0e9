"""The demo: build the course, make a sample cohort, grade it with ``mmqb autograde``.

Four students per topic: ``alice`` submits the reference, ``bob`` the untouched stub,
``carol`` the reference with the topic's first deliberate mutant (partly wrong) and ``dave``
the seed's own version. On concept topics alice writes the reference answer, carol one key
point and dave one line, so the formgrader has written answers to grade by hand. Every
submission carries nbgrader's ``timestamp.txt`` (dave's a day after the others), and the
course gets its own exchange folder, so the instructor's whole path works on the demo:
formgrader, manual grading, ``mmqb feedback``, ``nbgrader release_feedback``. Grading uses the
local pool of warm workers and nbgrader's embedded SQLite gradebook: nothing to start. The
run ends with a score table and an HTML report for the instructor.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import nbformat

from autograder.build import build, generate_in_course, prepare_course
from autograder.mutation import load_mutants, reference_cell, reference_source, seed_source, submission_notebook
from autograder.topics import ROOT, Topic, all_topics

STUDENTS = {"alice": "reference", "bob": "untouched stub", "carol": "one deliberate bug", "dave": "the seed's code"}
# When each demo student submitted, before the demo runs (nbgrader's timestamp.txt format).
SUBMITTED_AGO = {"alice": timedelta(days=2), "bob": timedelta(days=2, hours=1), "carol": timedelta(days=1, hours=20),
                 "dave": timedelta(hours=3)}


def written_answers(topic: Topic) -> dict[str, str | None]:
    """Each demo student's written answer to a concept topic's interview question (None: untouched)."""
    if not topic.is_concept:
        return dict.fromkeys(STUDENTS)
    points = topic.rubric()
    return {"alice": topic.language_block("Reference answer", "English") or None, "bob": None,
            "carol": points[0][1] if points else None, "dave": "I am not sure; it depends on the data."}


def _with_written_answer(nb: nbformat.NotebookNode, answer: str | None) -> nbformat.NotebookNode:
    """The notebook with its written-answer cell (markdown, nbgrader solution) holding ``answer``."""
    if answer is not None:
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = answer
    return nb


def make_cohort(course: Path, topics: list[Topic]) -> None:
    """Write ``submitted/<student>/<slug>/<slug>.ipynb`` for the sample students."""
    for topic in topics:
        release = nbformat.read(ROOT / "release" / topic.slug / f"{topic.slug}.ipynb", as_version=4)
        mutants = load_mutants(topic.slug)
        codes = {
            "alice": reference_cell(topic.slug),
            "bob": None,
            "carol": mutants[0].apply(reference_source(topic.slug)) if mutants else None,
            "dave": seed_source(topic.slug),
        }
        answers = written_answers(topic)
        for student, code in codes.items():
            path = course / "submitted" / student / topic.slug / f"{topic.slug}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(_with_written_answer(submission_notebook(release, code), answers[student]), path)
            when = datetime.now(UTC) - SUBMITTED_AGO[student]
            (path.parent / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))


def add_exchange(course: Path) -> Path:
    """Give the course its own nbgrader exchange folder (formgrader warns when there is none)."""
    exchange = course / "exchange"
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o777)  # nbgrader's documented mode: every student writes their inbound copy
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(f"\n# The demo course's own exchange (nbgrader's default is /srv/nbgrader/exchange).\n"
                     f"c.Exchange.root = {str(exchange)!r}\n")
    return exchange


def select_topics(selected: list[str] | None) -> list[Topic]:
    """Topics by slug or id (all when nothing is selected)."""
    topics = all_topics()
    if not selected:
        return topics
    chosen = [t for t in topics if t.slug in selected or t.slug[:3] in selected]
    if not chosen:
        raise click.ClickException(f"no topic matches {selected}")
    return chosen


def run_demo(course: Path, selected: list[str] | None = None, workers: int = 2) -> dict[tuple[str, str], float]:
    """Build, lay out ``course``, grade the sample cohort, print the scores and the report path."""
    from autograder.course.autograde import autograde
    from autograder.engine.settings import QUIET_ENV

    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    topics = select_topics(selected)
    click.echo("building source/ and release/ ...")
    build([t.slug for t in topics] if selected else None)
    if course.exists():
        shutil.rmtree(course)
    prepare_course(course, topics)
    add_exchange(course)
    click.echo(f"course in {course}: nbgrader generate_assignment for {len(topics)} topics ...")
    generate_in_course(course, topics)
    make_cohort(course, topics)
    start = time.perf_counter()
    summary = autograde(course, [t.slug for t in topics], workers=workers)
    elapsed = time.perf_counter() - start
    scores = {(task.assignment, task.student): result.score for task, result in summary.graded}
    maxima = {task.assignment: result.max_score for task, result in summary.graded}

    click.echo(f"\n{'topic':<32}" + "".join(f"{s:>9}" for s in STUDENTS))
    for topic in topics:
        cells = [f"{scores.get((topic.slug, s), 0):g}/{maxima.get(topic.slug, 0):g}" for s in STUDENTS]
        click.echo(f"{topic.slug:<32}" + "".join(f"{c:>9}" for c in cells))
    click.echo("\n" + ", ".join(f"{name} = {what}" for name, what in STUDENTS.items()))
    click.echo(f"graded {len(summary.graded)} notebooks with mmqb autograde in {elapsed:.0f} s "
               f"({workers} warm workers); gradebook: {course / 'gradebook.db'}")
    try:
        from autograder.report import write_report
    except ImportError:  # the report module is optional until it lands
        return scores
    report = course / "report.html"
    write_report(course, report, csv_path=course / "scores.csv")
    click.echo(f"instructor report: {report} (scores: {course / 'scores.csv'})")
    return scores
