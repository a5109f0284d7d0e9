"""Plain nbgrader on the generated course, and mmqb on the same notebooks: the same score per cell.

For every topic: the reference scores full, the stub zero, a mutant (the first of
tests/mutants/) scores what its passing checks are worth, and ``nbgrader autograde`` and
the engine agree on every graded cell (each group cell's value is its earned points, which
nbgrader reads as partial credit).
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.build import prepare_course
from autograder.engine import Limits, WarmWorker, grade_path
from autograder.mutation import load_mutants, reference_cell, reference_source, submission_notebook
from autograder.topics import ROOT, all_slugs, get_topic

SLUGS = all_slugs()

pytestmark = pytest.mark.slow
NBGRADER = str(Path(sys.executable).parent / "nbgrader")


def _run(course, *args):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    proc = subprocess.run([NBGRADER, *args], cwd=course, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def worker():
    w = WarmWorker(6)
    yield w
    w.close()


@pytest.mark.parametrize("slug", SLUGS)
def test_nbgrader_and_mmqb_agree_per_cell_on_reference_mutant_and_stub(slug, tmp_path, worker):
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    prepare_course(course, [get_topic(slug)])
    _run(course, "generate_assignment", slug, "--force", "--create")
    release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
    mutant = load_mutants(slug)[0]
    students = {"ref": reference_cell(slug), "stub": None, "mutant": mutant.apply(reference_source(slug))}
    for student, code in students.items():
        path = course / "submitted" / student / slug / f"{slug}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(submission_notebook(release, code), path)
    _run(course, "autograde", slug, "--force", "--create")
    nbgrader_cells, mmqb_cells = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            for grade in [g for nb in gb.find_submission(slug, student).notebooks for g in nb.grades]:
                if grade.cell.cell_type == "code":
                    nbgrader_cells[(student, grade.name.rsplit("-", 1)[-1])] = (grade.score, grade.max_score)
    for student in students:
        result = grade_path(course / "submitted" / student / slug / f"{slug}.ipynb", worker, Limits())
        assert result.graded, result.message
        for group, earned in result.group_scores.items():
            mmqb_cells[(student, group)] = earned
    assert {k: v[0] for k, v in nbgrader_cells.items()} == mmqb_cells
    total = {s: sum(v[0] for k, v in nbgrader_cells.items() if k[0] == s) for s in students}
    full = sum(v[1] for k, v in nbgrader_cells.items() if k[0] == "ref")
    assert full > 0 and total["ref"] == full, f"reference scored {total['ref']} of {full}"
    assert total["stub"] == 0, f"stub scored {total['stub']}"
    assert total["mutant"] < full, f"mutant {mutant.name} scored full"
