"""Validate tells the truth: `nbgrader validate` (JupyterLab's Validate button) on release notebooks.

A release notebook has only the visible checks; nbgrader fails every graded cell whose value
is below its points. A group cell there has no value when all its visible checks passed
(Validate passes it, and it says its hidden checks' points are earned at grading), and the
visible points earned when one failed (Validate fails it). With the hidden checks present
(source notebook, `nbgrader autograde`) the value is exactly the points earned.

Per topic one nbgrader process validates the release filled with the reference (and, for a
concept topic, a written answer): success; and filled with a mutant that a visible check
catches: failure, on the cells of the checks that catch it. The first concept topic also
validates the reference with the written answer left empty: only that cell is listed, as
nbgrader's "You did not provide a response.".
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import runtime
from autograder.build import CONFIG
from autograder.checks import load_suite
from autograder.mutation import load_mutants, reference_cell, reference_source, submission_notebook
from autograder.topics import ROOT, all_topics, get_topic

SLUGS = [t.slug for t in all_topics()]
FIRST_CONCEPT = next(t.slug for t in all_topics() if t.is_concept)
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
HEADER = re.compile(r"^(Success! Your notebook passes all the tests\.|VALIDATION FAILED ON \d+ CELL\(S\)!"
                    r"|THE CONTENTS OF \d+ TEST CELL\(S\) HAVE CHANGED!|THE TYPES OF \d+ CELL\(S\) HAVE CHANGED!)",
                    re.MULTILINE)
RULE = "=" * 90


# ------------------------------------------------------------------ the group cell's value
def _group(hidden_points, results, points=4, hidden_ran=None):
    """Run a group of visible checks (``results``: pass/fail each) and, if given, hidden ones."""
    runtime.begin_group("numeric", points, hidden_points=hidden_points)
    visible_points = (points - hidden_points) / len(results)
    for i, ok in enumerate(results):
        runtime.check(f"numeric.v{i}", lambda ns: 1, lambda got, ok=ok: runtime.expect(ok, "wrong"), {},
                      points=visible_points)
    for i, ok in enumerate(hidden_ran or []):
        runtime.check(f"numeric.h{i}", lambda ns: 1, lambda got, ok=ok: runtime.expect(ok, "wrong"), {},
                      hidden=True, points=hidden_points / len(hidden_ran))
    return runtime.end_group()


def test_release_group_with_its_visible_checks_passing_has_no_value_and_says_where_the_points_are(capsys):
    assert _group(3, [True]) is None  # no value: nbgrader gives the cell its points, Validate passes
    out = capsys.readouterr().out
    assert "All visible checks of numeric passed: 1 of 4 points here; hidden checks worth 3 more points " \
           "run when your work is graded (and in `mmqb check`)." in out
    assert "All checks of numeric passed" not in out


def test_release_group_with_a_visible_check_failing_is_below_its_points(capsys):
    assert _group(2, [True, False]) == 1  # partial credit: Validate fails the cell
    out = capsys.readouterr().out
    assert "numeric: 1 of the 2 points of the visible checks here (1 check(s) failed: numeric.v1); " \
           "hidden checks worth 2 more points run when your work is graded" in out


def test_release_group_of_hidden_checks_only_passes_and_says_so(capsys):
    runtime.begin_group("behavior", 4, hidden_points=4)
    assert runtime.end_group() is None
    assert "The checks of behavior are hidden: worth 4 points, they run when your work is graded" \
        in capsys.readouterr().out


@pytest.mark.parametrize(("hidden_ran", "value"), [([True, True], 4), ([True, False], 2.5), ([False, False], 1)])
def test_with_the_hidden_checks_run_the_value_is_exactly_the_points_earned(hidden_ran, value, capsys):
    assert _group(3, [True], hidden_ran=hidden_ran) == value
    out = capsys.readouterr().out
    assert "hidden checks worth" not in out and "visible" not in out


def test_a_group_without_hidden_checks_keeps_its_earned_value(capsys):
    assert _group(0, [True, True]) == 4
    assert _group(0, [True, False]) == 2
    assert "numeric: 2 of 4 points (1 check(s) failed: numeric.v1)" in capsys.readouterr().out


# ------------------------------------------------------------------ nbgrader validate
def visible_catching_mutant(slug):
    """The first mutant of ``slug`` that a visible check must catch, and those checks."""
    visible = {c.id for c in load_suite(slug).checks if not c.hidden}
    for mutant in load_mutants(slug):
        caught = sorted(set(mutant.caught_by) & visible)
        if caught:
            return mutant, caught
    raise AssertionError(f"{slug}: no mutant is caught by a visible check")


def _with_answer(nb, slug):
    """``nb`` with the written answer cell filled in (the reference answer)."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = get_topic(slug).section("Reference answer")
    return nb


def validate(folder, notebooks):
    """``nbgrader validate`` on ``notebooks`` in one process: ``{name: (header, failed cells)}``.

    ``failed cells`` maps the first line of each failed cell to nbgrader's error text.
    """
    shutil.copy(CONFIG, folder / "nbgrader_config.py")
    # A student's environment: nothing of the test run's TensorFlow settings (the setup cell
    # silences TensorFlow itself).
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    proc = subprocess.run([NBGRADER, "validate", *notebooks], cwd=folder, capture_output=True, text=True,
                          env=env, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # 0 on a failed validation too
    heads = list(HEADER.finditer(proc.stdout))
    assert len(heads) == len(notebooks), proc.stdout + proc.stderr
    reports = {}
    for name, head, nxt in zip(notebooks, heads, [*heads[1:], None], strict=True):
        body = proc.stdout[head.end():nxt.start() if nxt else None]
        failed = {}
        for block in body.split(RULE)[1:]:
            match = re.search(r"The following cell failed:\n\n(.*?)\n\nThe error was:\n\n(.*)", block, re.S)
            assert match, block
            failed[match.group(1).splitlines()[0].strip()] = match.group(2).strip()
        reports[name] = (head.group(1), failed)
    return reports, proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_nbgrader_validate_passes_the_reference_and_fails_a_wrong_solution(slug, tmp_path):
    topic = get_topic(slug)
    release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
    mutant, caught = visible_catching_mutant(slug)
    notebooks = {
        "reference.ipynb": _with_answer(submission_notebook(release, reference_cell(slug)), slug),
        "mutant.ipynb": submission_notebook(release, mutant.apply(reference_source(slug))),
    }
    if slug == FIRST_CONCEPT:
        notebooks["no_answer.ipynb"] = submission_notebook(release, reference_cell(slug))
    for name, nb in notebooks.items():
        nbformat.write(nb, tmp_path / name)
    reports, out = validate(tmp_path, list(notebooks))

    head, failed = reports["reference.ipynb"]
    assert head == "Success! Your notebook passes all the tests.", out

    head, failed = reports["mutant.ipynb"]
    assert head.startswith("VALIDATION FAILED"), f"{mutant.name} validated:\n{out}"
    for check in caught:  # the cell of each visible check that catches the mutant fails, as partial credit
        cell = f"# {check.split('.')[0]} checks of {slug}:"
        errors = [e for first, e in failed.items() if first.startswith(cell)]
        assert errors == ["Partial credit; passed some but not all of the tests"], (check, out)
    code_errors = [e for first, e in failed.items() if first != "YOUR ANSWER HERE"]
    assert all(e == "Partial credit; passed some but not all of the tests" for e in code_errors), out
    if topic.is_concept:
        assert failed.get("YOUR ANSWER HERE") == "You did not provide a response.", out

    if "no_answer.ipynb" in reports:  # right code, no essay yet: only the written answer is listed
        head, failed = reports["no_answer.ipynb"]
        assert head == "VALIDATION FAILED ON 1 CELL(S)!", out
        assert failed == {"YOUR ANSWER HERE": "You did not provide a response."}, out
