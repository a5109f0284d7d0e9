"""Scale-out through a real dask cluster: `dask scheduler` and `dask worker` processes on loopback,
with the course's credentials (conftest.py's ``tls_cluster``; test_cluster.py: nobody else gets in).

Tasks carry the notebook's content (no shared filesystem: the notebooks are deleted as soon
as the first result is back, and the rest still grade), results come back as data, and each
dask worker process leases its own sandbox uid (as root).
"""

import os
import subprocess
import sys

import nbformat
import pytest

from autograder.course.course import Task
from autograder.engine import Limits
from autograder.engine.pool import DaskPool
from autograder.mutation import load_mutants, reference_cell, reference_source, submission_notebook
from autograder.topics import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask_cli")]


def test_cohort_graded_through_real_scheduler_and_worker_processes(tls_cluster, tmp_path):
    cohort = {("t05_attention", "ref"): reference_cell("t05_attention"), ("t05_attention", "stub"): None,
              ("t16_classification_metrics", "ref"): reference_cell("t16_classification_metrics"),
              ("t16_classification_metrics", "mutant"):
                  load_mutants("t16_classification_metrics")[0].apply(reference_source("t16_classification_metrics"))}
    tasks = []
    for (slug, student), code in cohort.items():
        release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
        path = tmp_path / "course" / "submitted" / student / slug / f"{slug}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(submission_notebook(release, code), path)
        tasks.append(Task(slug, student, path, None))
    address, creds = tls_cluster
    pool = DaskPool(address, credentials=creds.folder)
    results = {}
    try:
        for task, result in pool.run(tasks, Limits(wall_seconds=120)):
            if not results:
                for t in tasks:  # every task already carries its notebook: no shared disk needed
                    t.path.unlink(missing_ok=True)
            results[(task.assignment, task.student)] = result
    finally:
        pool.close()
    assert len(results) == 4 and all(r.graded for r in results.values()), [r.message for r in results.values()]
    for slug in ("t05_attention", "t16_classification_metrics"):
        ref = results[(slug, "ref")]
        assert ref.score == ref.max_score, [(t.name, t.message) for t in ref.tests if not t.passed]
        assert any(step.startswith("new root:") for step in ref.isolation)
    assert results[("t05_attention", "stub")].score == 0
    assert 0 < results[("t16_classification_metrics", "mutant")].score < 10


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids are leased only as root")
def test_uid_leases_are_unique_across_processes():
    code = ("import time; from autograder.engine.settings import UidLease; l = UidLease(); "
            "print(l.acquire(), flush=True); time.sleep(20)")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
             for _ in range(3)]
    try:
        uids = [int(p.stdout.readline()) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    assert len(set(uids)) == 3, uids
    from autograder.engine.settings import UidLease

    lease = UidLease()
    assert lease.acquire() in uids  # a dead holder's uid is free again
    lease.release()
