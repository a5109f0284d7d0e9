"""``mmqb gradescope``: the archive follows Gradescope's autograder specification and grades.

The zip is unpacked into a temporary folder laid out like Gradescope's ``/autograder``
(``source/``, ``submission/``, ``results/``), its ``run_autograder`` is run with the base path
and interpreter overridden, and ``results.json`` is validated against the specification's
schema: a reference notebook scores full, an untouched stub zero.
"""

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest
from click.testing import CliRunner

from autograder.checks import load_suite
from autograder.cli import main
from autograder.gradescope import build_archive, private_folders_problem
from autograder.mutation import reference_cell, submission_notebook
from autograder.topics import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("gradescope")]
SLUG = "t05_attention"

# Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder Specifications").
TEST_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number"}, "max_score": {"type": "number"},
        "status": {"enum": ["passed", "failed"]}, "name": {"type": "string"}, "number": {"type": "string"},
        "output": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "extra_data": {"type": "object"},
    },
    "required": ["score", "max_score", "name"],
}
RESULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number"}, "execution_time": {"type": "number"}, "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "extra_data": {"type": "object"}, "tests": {"type": "array", "items": TEST_SCHEMA},
        "leaderboard": {"type": "array"},
    },
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    result = CliRunner().invoke(main, ["gradescope", SLUG[:3], "--out", str(out), "--timeout", "90"])
    assert result.exit_code == 0, result.output
    return out


def test_archive_layout(archive):
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        config = json.loads(zf.read("mmqb_gradescope.json"))
    assert {"setup.sh", "run_autograder", "requirements.txt", "mmqb_gradescope.json"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert f"release/{SLUG}/{SLUG}.ipynb" in names and f"questions/{SLUG}.md" in names
    assert f"autograder/suites/{SLUG}.py" in names and "autograder/engine/stages.py" in names
    assert "autograder/suites/t13_clip_loss.py" not in names  # only the archive's topics
    assert not any(n.startswith(("solutions/", "tests/", "source/")) for n in names)  # no reference code
    assert config["topics"] == [SLUG] and config["limits"]["wall_seconds"] == 90


def _gradescope(archive, base: Path, notebook) -> dict:
    """Unpack ``archive`` like Gradescope, put ``notebook`` in submission/, run run_autograder."""
    source = base / "source"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(source)
    (base / "submission").mkdir()
    (base / "results").mkdir()
    run = source / "run_autograder"
    run.chmod(run.stat().st_mode | stat.S_IXUSR)
    if notebook is not None:
        nbformat.write(notebook, base / "submission" / f"{SLUG}.ipynb")
    env = dict(os.environ, MMQB_GRADESCOPE_ROOT=str(base), MMQB_PYTHON=sys.executable)
    proc = subprocess.run([str(run)], env=env, capture_output=True, text=True, timeout=300, cwd="/")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((base / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def test_reference_scores_full_and_stub_zero(archive, tmp_path):
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    suite = load_suite(SLUG)
    full = _gradescope(archive, tmp_path / "ref", submission_notebook(release, reference_cell(SLUG)))
    assert full["score"] == suite.max_score == 10
    assert len(full["tests"]) == len(suite.checks)
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in full["tests"])
    assert sum(t["max_score"] for t in full["tests"]) == pytest.approx(suite.max_score)
    stub = _gradescope(archive, tmp_path / "stub", submission_notebook(release, None))
    assert stub["score"] == 0 and all(t["status"] == "failed" for t in stub["tests"])
    assert "BEGIN HIDDEN TESTS" not in json.dumps(stub)
    missing = _gradescope(archive, tmp_path / "none", None)
    assert missing["score"] == 0 and "no notebook submitted" in missing["output"]
    assert len(missing["tests"]) == len(suite.checks)


def test_bad_topics(tmp_path):
    with pytest.raises(TypeError, match="topics must be a list"):
        build_archive("t05", tmp_path / "a.zip")
    with pytest.raises(ValueError, match="at least one topic"):
        build_archive([], tmp_path / "a.zip")
    with pytest.raises(ValueError, match="unknown topic 't99'"):
        build_archive(["t99"], tmp_path / "a.zip")
    with pytest.raises(TypeError, match="each topic must be a str, got int"):
        build_archive([5], tmp_path / "a.zip")


def _gradescope_files(archive, base: Path, files: dict[str, bytes | Path]) -> dict:
    """Like :func:`_gradescope`, with raw files (bytes) or symlinks (a Path target) in submission/."""
    source = base / "source"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(source)
    for name in ("submission", "results"):
        (base / name).mkdir()
    for name, content in files.items():
        path = base / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            path.symlink_to(content)
        else:
            path.write_bytes(content)
    run = source / "run_autograder"
    run.chmod(run.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, MMQB_GRADESCOPE_ROOT=str(base), MMQB_PYTHON=sys.executable)
    proc = subprocess.run([str(run)], env=env, capture_output=True, text=True, timeout=300, cwd="/")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((base / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def test_a_renamed_notebook_is_graded_as_the_archives_topic(archive, tmp_path):
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    solved = nbformat.writes(submission_notebook(release, reference_cell(SLUG))).encode()
    result = _gradescope_files(archive, tmp_path, {"attention_homework.ipynb": solved, "notes.txt": b"mine"})
    assert result["score"] == 10, result["output"]


def test_hostile_submission_files_get_zero_and_one_clear_line(archive, tmp_path):
    """Each case alone in a submission: a symlink to a grader's secret, broken JSON, a huge notebook,
    a symlinked folder. Each scores 0 with the reason on every check; nothing of the target shows."""
    secret = tmp_path / "instructor-only.txt"
    secret.write_text("INSTRUCTOR-SECRET-8d1f")
    secret.chmod(0o600)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    nbformat.write(submission_notebook(release, reference_cell(SLUG)), folder / f"{SLUG}.ipynb")
    cases = {
        "symlink": ({f"{SLUG}.ipynb": secret}, "symbolic link"),
        "broken": ({f"{SLUG}.ipynb": b'{"cells": [ {"cell_type": "code", '}, "not valid JSON"),
        "huge": ({f"{SLUG}.ipynb": b" " * (17 << 20) + b"{}"}, "larger than"),
        "symlinked folder": ({"work": folder}, "no notebook submitted"),
    }
    for name, (files, reason) in cases.items():
        result = _gradescope_files(archive, tmp_path / name.replace(" ", "_"), files)
        assert result["score"] == 0, (name, result["output"])
        assert reason in result["output"] and len(result["output"].splitlines()) == 1, (name, result["output"])
        assert len(result["tests"]) == len(load_suite(SLUG).checks)
        assert all(t["status"] == "failed" and reason in t["output"] for t in result["tests"]), name
        assert "INSTRUCTOR-SECRET" not in json.dumps(result) and "Traceback" not in json.dumps(result), name


def test_full_isolation_where_the_machine_allows_it(archive, tmp_path):
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    result = _gradescope(archive, tmp_path, submission_notebook(release, reference_cell(SLUG)))
    assert result["extra_data"]["isolation"] == "full", result["extra_data"]
    assert stat.S_IMODE((tmp_path / "source").stat().st_mode) == 0o700  # run_autograder: root's alone
    assert stat.S_IMODE((tmp_path / "results").stat().st_mode) == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid mode is a root grader's: run as root (CI does)")
def test_where_namespaces_are_refused_a_root_grader_uses_a_dedicated_uid(archive, tmp_path, monkeypatch):
    """As in Gradescope's container (tests/gradescope/test_container.py runs the real one)."""
    monkeypatch.setenv("MMQB_GRADESCOPE_NO_NAMESPACES", "1")
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    result = _gradescope(archive, tmp_path, submission_notebook(release, reference_cell(SLUG)))
    assert result["score"] == 10, result["output"]
    assert result["extra_data"]["isolation"] == "uid"
    assert result["extra_data"]["isolation_steps"][0].startswith("isolation mode uid")


def test_the_uid_mode_needs_root_only_source_and_results(tmp_path):
    for name in ("source", "results"):
        (tmp_path / name).mkdir(mode=0o700)
    tmp_path.chmod(0o700)
    assert private_folders_problem(tmp_path) is None or os.geteuid() != 0
    (tmp_path / "results").chmod(0o755)
    assert "results must be a folder of root's with mode 0700" in private_folders_problem(tmp_path)
