"""The demo: build, make a sample cohort, grade it with plain ``nbgrader autograde``.

Three students per topic: ``alice`` submits the reference, ``bob`` the untouched stub,
``carol`` the reference with the topic's first deliberate mutant (partly wrong). Grading
uses nbgrader's embedded SQLite gradebook: nothing to start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import nbformat

from autograder.build import build, prepare_course
from autograder.mutation import load_mutants, reference_cell, reference_source, submission_notebook
from autograder.topics import ROOT, Topic, all_topics

STUDENTS = ("alice", "bob", "carol")


def nbgrader(course: Path, *args: str) -> None:
    """Run one nbgrader command in ``course``; raise with its log when it fails."""
    exe = Path(sys.executable).parent / "nbgrader"
    proc = subprocess.run([str(exe), *args], cwd=course, capture_output=True, text=True)
    if proc.returncode != 0:
        raise click.ClickException(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def make_cohort(course: Path, topics: list[Topic]) -> None:
    """Write ``submitted/<student>/<slug>/<slug>.ipynb`` for the three sample students."""
    for topic in topics:
        release = nbformat.read(ROOT / "release" / topic.slug / f"{topic.slug}.ipynb", as_version=4)
        mutants = load_mutants(topic.slug)
        codes = {
            "alice": reference_cell(topic.slug),
            "bob": None,
            "carol": mutants[0].apply(reference_source(topic.slug)) if mutants else None,
        }
        for student, code in codes.items():
            path = course / "submitted" / student / topic.slug / f"{topic.slug}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(submission_notebook(release, code), path)


def score_table(course: Path, topics: list[Topic]) -> list[tuple[str, str, float, float]]:
    """``(slug, student, autograded score, autograded max)`` read from the gradebook."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for topic in topics:
            for student in STUDENTS:
                sub = gb.find_submission(topic.slug, student)
                auto = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"]
                rows.append((topic.slug, student, sum(g.score for g in auto), sum(g.max_score for g in auto)))
    return rows


def run_demo(course: Path, selected: list[str] | None = None) -> list[tuple[str, str, float, float]]:
    """Build, lay out ``course``, grade the sample cohort, print and return the scores."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    click.echo("building source/ and release/ ...")
    build(selected)
    topics = [t for t in all_topics() if not selected or t.slug in selected or t.slug[:3] in selected]
    if course.exists():
        shutil.rmtree(course)
    prepare_course(course, topics)
    for topic in topics:
        nbgrader(course, "generate_assignment", topic.slug, "--force", "--create")
    make_cohort(course, topics)
    start = time.perf_counter()
    with click.progressbar(topics, label="nbgrader autograde", show_pos=True) as bar:
        for topic in bar:
            nbgrader(course, "autograde", topic.slug, "--force", "--create")
    elapsed = time.perf_counter() - start
    rows = score_table(course, topics)
    click.echo(f"\n{'topic':<28}" + "".join(f"{s:>12}" for s in STUDENTS))
    for topic in topics:
        cells = [f"{score:g}/{top:g}" for slug, _, score, top in rows if slug == topic.slug]
        click.echo(f"{topic.slug:<28}" + "".join(f"{c:>12}" for c in cells))
    click.echo("\nalice = reference, bob = untouched stub, carol = reference with one deliberate bug.")
    graded = len(topics) * len(STUDENTS)
    click.echo(f"graded {graded} notebooks in {elapsed:.0f} s; gradebook: {course / 'gradebook.db'}")
    return rows
