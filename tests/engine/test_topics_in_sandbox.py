"""Every topic in the sandbox: the reference scores full marks, the stub zero, the seed less.

This is the same promise as tests/course/test_nbgrader_parity.py, for the engine: what passes in-process
must also pass after the fork, the uid drop and the hidden mounts (a `.keras` round trip,
for example, needs the standard library to stay importable).
"""

import nbformat
import pytest

from autograder.engine import Limits, WarmWorker, grade_path
from autograder.mutation import reference_cell, seed_source, submission_notebook
from autograder.topics import ROOT, all_slugs

SLUGS = all_slugs()

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("engine_topics")]


@pytest.fixture(scope="module")
def worker():
    w = WarmWorker(5)
    yield w
    w.close()


@pytest.mark.parametrize("slug", SLUGS)
def test_reference_full_stub_zero_seed_less_in_the_sandbox(worker, slug, tmp_path):
    release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
    scores = {}
    for name, code in (("ref", reference_cell(slug)), ("stub", None), ("seed", seed_source(slug))):
        path = tmp_path / name / f"{slug}.ipynb"
        path.parent.mkdir()
        nbformat.write(submission_notebook(release, code), path)
        result = grade_path(path, worker, Limits(wall_seconds=120))
        scores[name] = result
    ref, stub, seed = scores["ref"], scores["stub"], scores["seed"]
    assert ref.status == "ok" and ref.score == ref.max_score, [(t.name, t.message) for t in ref.tests if not t.passed]
    assert stub.score == 0
    assert seed.score < ref.max_score
