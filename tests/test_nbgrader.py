"""Plain nbgrader on the generated course: the reference scores full, the stub zero."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import SLUGS

from autograder.build import prepare_course
from autograder.mutation import reference_cell, submission_notebook
from autograder.topics import ROOT, get_topic

pytestmark = pytest.mark.slow
NBGRADER = str(Path(sys.executable).parent / "nbgrader")


def _run(course, *args):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    proc = subprocess.run([NBGRADER, *args], cwd=course, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("slug", SLUGS)
def test_autograde_gives_full_marks_to_reference_and_zero_to_stub(slug, tmp_path):
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    prepare_course(course, [get_topic(slug)])
    _run(course, "generate_assignment", slug, "--force", "--create")
    release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
    for student, code in (("ref", reference_cell(slug)), ("stub", None)):
        path = course / "submitted" / student / slug / f"{slug}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(submission_notebook(release, code), path)
    _run(course, "autograde", slug, "--force", "--create")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {}
        for student in ("ref", "stub"):
            grades = [g for nb in gb.find_submission(slug, student).notebooks for g in nb.grades
                      if g.cell.cell_type == "code"]
            scores[student] = (sum(g.score for g in grades), sum(g.max_score for g in grades))
    assert scores["ref"][1] > 0
    assert scores["ref"][0] == scores["ref"][1], f"reference scored {scores['ref']}"
    assert scores["stub"][0] == 0, f"stub scored {scores['stub']}"
