"""`mmqb autograde` on a real nbgrader course: same scores as nbgrader, durable, dask, PostgreSQL.

The cohort: per topic a reference, an untouched stub, the first mutant and the seed's version,
plus malformed notebooks. Topics are a fixed sample of the bank (coding and concept).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.build import prepare_course
from autograder.course import gradebook
from autograder.course.autograde import autograde
from autograder.course.course import Course
from autograder.engine import Limits
from autograder.mutation import load_mutants, reference_cell, reference_source, seed_source, submission_notebook
from autograder.topics import ROOT, get_topic

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course")]
SAMPLE = ["t05_attention", "t13_clip_loss", "t27_int8_quantization"]
BIN = Path(sys.executable).parent
LIMITS = Limits(wall_seconds=90, memory_mib=1024)


def _env():
    return dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], TF_CPP_MIN_LOG_LEVEL="2",
                TF_ENABLE_ONEDNN_OPTS="0")


def _nbgrader(course, *args):
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _release(slug):
    return nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)


def _write(course, student, slug, nb_or_text):
    path = course / "submitted" / student / slug / f"{slug}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_text, str):
        path.write_text(nb_or_text)
    else:
        nbformat.write(nb_or_text, path)


def honest_cohort(course, slugs):
    for slug in slugs:
        release = _release(slug)
        _write(course, "ref", slug, submission_notebook(release, reference_cell(slug)))
        _write(course, "stub", slug, submission_notebook(release, None))
        mutant = load_mutants(slug)[0].apply(reference_source(slug))
        _write(course, "mutant", slug, submission_notebook(release, mutant))
        _write(course, "seed", slug, submission_notebook(release, seed_source(slug)))


@pytest.fixture(scope="module")
def base_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course") / "course"
    prepare_course(course, [get_topic(s) for s in SAMPLE])
    for slug in SAMPLE:
        _nbgrader(course, "generate_assignment", slug, "--force", "--create")
    honest_cohort(course, SAMPLE)
    return course


def _copy(course, dst):
    shutil.copytree(course, dst)
    return dst


def cell_scores(course, slugs, db_url=None):
    return gradebook.cell_scores(Course(course, db_url), slugs)


@pytest.fixture(scope="module")
def mmqb_scores(base_course, tmp_path_factory):
    course = _copy(base_course, tmp_path_factory.mktemp("mmqb") / "course")
    summary = autograde(course, SAMPLE, workers=2, limits=LIMITS, progress=False)
    assert len(summary.graded) == 4 * len(SAMPLE)
    return cell_scores(course, SAMPLE)


def test_same_per_cell_scores_as_nbgrader(base_course, mmqb_scores, tmp_path):
    course = _copy(base_course, tmp_path / "course")
    for slug in SAMPLE:
        _nbgrader(course, "autograde", slug, "--force", "--create")
    theirs = cell_scores(course, SAMPLE)
    assert len(theirs) == len(mmqb_scores) > 0
    assert mmqb_scores == theirs
    for slug in SAMPLE:
        ref = [v for (s, st, _), v in mmqb_scores.items() if s == slug and st == "ref"]
        stub = [v for (s, st, _), v in mmqb_scores.items() if s == slug and st == "stub"]
        assert all(v > 0 for v in ref) and all(v == 0 for v in stub)


def test_outputs_hold_no_hidden_code(base_course, tmp_path):
    course = _copy(base_course, tmp_path / "course")
    autograde(course, SAMPLE[:1], workers=1, limits=LIMITS, progress=False)
    slug = SAMPLE[0]
    for path in list((course / "autograded").rglob("*.ipynb")) + list((course / "feedback").rglob("*.html")):
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "def matches_formula_probe" not in text, path
        assert "_np_attention" not in text, path
    graded = json.loads((course / "autograded" / "ref" / slug / f"{slug}.ipynb").read_text())
    assert graded["metadata"]["mmqb"]["graded"] is True


def test_sigkill_mid_cohort_then_resume_loses_and_duplicates_nothing(base_course, mmqb_scores, tmp_path):
    course = _copy(base_course, tmp_path / "course")
    cmd = [str(BIN / "mmqb"), "autograde", *SAMPLE, "--course", str(course), "--workers", "1"]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list((course / "autograded").rglob("*.ipynb"))) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list((course / "autograded").rglob("*.ipynb")))
    assert 3 <= done_before < 4 * len(SAMPLE), "kill the run mid-cohort"
    time.sleep(1)
    summary = autograde(course, SAMPLE, workers=2, limits=LIMITS, progress=False)
    assert len(summary.skipped) >= done_before - 1  # the one being recorded at the kill may be redone
    assert len(summary.graded) + len(summary.skipped) == 4 * len(SAMPLE)
    assert cell_scores(course, SAMPLE) == mmqb_scores
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for slug in SAMPLE:
            assert len(gb.assignment_submissions(slug)) == 4
    again = autograde(course, SAMPLE, workers=1, limits=LIMITS, progress=False)
    assert again.graded == [] and len(again.skipped) == 4 * len(SAMPLE)


def test_dask_local_cluster_gives_the_same_scores(base_course, mmqb_scores, tmp_path):
    from distributed import LocalCluster

    course = _copy(base_course, tmp_path / "course")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        # A LocalCluster of this test's own processes: no one else reaches it, so plain tcp:// is
        # allowed explicitly (the TLS path is tests/engine/test_dask.py's).
        summary = autograde(course, SAMPLE, scheduler=cluster.scheduler_address, insecure_scheduler=True,
                            limits=LIMITS, progress=False)
    assert len(summary.graded) == 4 * len(SAMPLE)
    assert cell_scores(course, SAMPLE) == mmqb_scores


@pytest.mark.skipif(not os.environ.get("MMQB_TEST_POSTGRES_URL"), reason="needs MMQB_TEST_POSTGRES_URL (.ci/run)")
def test_postgresql_gradebook(base_course, mmqb_scores, tmp_path):
    url = os.environ["MMQB_TEST_POSTGRES_URL"]
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    course = _copy(base_course, tmp_path / "course")
    (course / "gradebook.db").unlink()
    for slug in SAMPLE:
        _nbgrader(course, "generate_assignment", slug, "--force", "--create", f"--CourseDirectory.db_url={url}")
    autograde(course, SAMPLE, workers=2, db_url=url, limits=LIMITS, progress=False)
    assert cell_scores(course, SAMPLE, db_url=url) == mmqb_scores
    assert not (course / "gradebook.db").exists()


def test_malformed_notebooks_are_reported_per_submission(base_course, tmp_path):
    course = _copy(base_course, tmp_path / "course")
    slug = SAMPLE[0]
    release = _release(slug)
    _write(course, "badjson", slug, '{"cells": [')
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    _write(course, "oldformat", slug, json.dumps(v3))
    deleted = submission_notebook(release, reference_cell(slug))
    deleted.cells = [c for c in deleted.cells
                     if not c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-numeric")]
    _write(course, "deleted", slug, deleted)
    duplicated = submission_notebook(release, reference_cell(slug))
    graded_code = [c for c in duplicated.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    duplicated.cells.append(graded_code[-1])  # a second copy of a graded cell
    _write(course, "duplicated", slug, duplicated)
    wrong = submission_notebook(_release(SAMPLE[1]), reference_cell(SAMPLE[1]))
    _write(course, "wrongtopic", slug, wrong)
    summary = autograde(course, [slug], workers=2, limits=LIMITS, progress=False)
    assert not summary.ungraded  # a malformed notebook is the student's fault: graded 0, never "not graded"
    by_student = {t.student: r for t, r in summary.graded}
    assert by_student["badjson"].status in ("invalid", "error") and "not valid JSON" in by_student["badjson"].message
    assert by_student["oldformat"].status in ("invalid", "error") and "nbformat" in by_student["oldformat"].message
    assert by_student["wrongtopic"].status in ("invalid", "error") and SAMPLE[1] in by_student["wrongtopic"].message
    assert by_student["deleted"].score == by_student["deleted"].max_score
    assert any("deleted" in n for n in by_student["deleted"].notes)
    assert by_student["duplicated"].score == by_student["duplicated"].max_score
    assert any("appears 2 times" in n for n in by_student["duplicated"].notes)
    assert by_student["ref"].score == by_student["ref"].max_score
    scores = cell_scores(course, [slug])
    assert all(scores[(slug, s, g)] == 0 for (_, s, g) in scores if s in ("badjson", "oldformat", "wrongtopic"))
