"""An engine or machine failure is never a grade: "not graded", no score, and the next run grades it."""

import sys

import nbformat
import pytest

from autograder.engine import Limits, WarmWorker, grade_path, settings
from autograder.mutation import reference_cell, submission_notebook
from autograder.topics import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]
SLUG = "t16_classification_metrics"


@pytest.fixture
def notebook(tmp_path):
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    path = tmp_path / "sub" / f"{SLUG}.ipynb"
    path.parent.mkdir()
    nbformat.write(submission_notebook(release, reference_cell(SLUG)), path)
    return path


def _not_graded(result, words):
    assert result.graded is False and result.score is None and result.status == "error", result
    assert words in result.message
    assert "score" not in result.gradescope()


def test_scratch_base_unusable_is_not_graded_then_graded(notebook, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the scratch base should be")
    monkeypatch.setattr(settings, "private_base", lambda: str(blocker))
    worker = WarmWorker(0)
    try:
        _not_graded(grade_path(notebook, worker, Limits()), "sandbox folders")
    finally:
        worker.close()
    monkeypatch.undo()
    worker = WarmWorker(0)
    try:
        result = grade_path(notebook, worker, Limits())
    finally:
        worker.close()
    assert result.graded and result.score == result.max_score


def test_worker_that_cannot_start_is_not_graded(notebook):
    worker = WarmWorker(0)
    worker.command = [sys.executable, "-c", "import sys; sys.exit('the worker broke')"]
    try:
        _not_graded(grade_path(notebook, worker, Limits()), "failed to start")
    finally:
        worker.close()


def test_workers_started_from_pool_threads_survive_those_threads(notebook):
    """A worker must not die with the grader thread that started it (PR_SET_PDEATHSIG's trap)."""
    import time

    from autograder.course.course import Task
    from autograder.engine.pool import LocalPool

    pool = LocalPool(2)  # starts both workers in short-lived threads
    try:
        pool.ready()  # the starting threads have ended
        time.sleep(2)
        assert all(w.proc is not None and w.proc.poll() is None for w in pool.workers)
        results = [r for _, r in pool.run([Task(SLUG, f"s{i}", notebook, None) for i in range(4)], Limits())]
    finally:
        pool.close()
    assert [r.graded and r.score == r.max_score for r in results] == [True] * 4, [r.message for r in results]
