"""`mmqb grade`: Gradescope JSON alone on stdout, hidden checks by name and message only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.mutation import load_mutants, reference_source, submission_notebook
from autograder.topics import ROOT

pytestmark = pytest.mark.slow
MMQB = str(Path(sys.executable).parent / "mmqb")


def test_grade_json_is_gradescope_results_and_nothing_else(tmp_path):
    slug = "t05_attention"
    release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
    path = tmp_path / f"{slug}.ipynb"
    nbformat.write(submission_notebook(release, load_mutants(slug)[0].apply(reference_source(slug))), path)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([MMQB, "grade", str(path), "--format", "json", "--timeout", "60"],
                          capture_output=True, text=True, env=env, check=True)
    results = json.loads(proc.stdout)  # the whole of stdout is one JSON object
    assert set(results) >= {"score", "execution_time", "tests"}
    assert 0 < results["score"] < 10 == pytest.approx(sum(t["max_score"] for t in results["tests"]))
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
    hidden = [t for t in results["tests"] if t["name"].endswith("(hidden)")]
    assert hidden and any(t["status"] == "failed" for t in hidden)
    text = proc.stdout
    assert "def " not in text and "_np_attention" not in text and "_qkv" not in text
    assert abs(sum(t["score"] for t in results["tests"]) - results["score"]) < 1e-9


def test_autograde_outside_a_course_is_one_line_and_writes_nothing(tmp_path):
    proc = subprocess.run([MMQB, "autograde", "t05_attention"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("Error: this folder is not an nbgrader course folder (no nbgrader_config.py, "
                                   "source/ or submitted/): run in the course folder or pass --course DIR")
    assert list(tmp_path.iterdir()) == []
