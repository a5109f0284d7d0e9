"""Nothing of the grader and nothing of the hidden checks reaches a student.

Two hostile fixtures try to steal: ``steal_secrets`` (environment, /proc of every process,
command lines, home folders) and ``harvest_hidden`` (garbage-collector objects, the caller's
frames, a scan of its own memory for probe source). Each runs under a grader whose
environment and command line hold canary secrets; everything a student can receive is
collected (``mmqb grade --format json``, the Gradescope JSON, the feedback page, the
autograded notebook) and searched for the canaries and for the hidden checks' source lines.
"""

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder.checks import function_source, load_suite
from autograder.mutation import submission_notebook
from autograder.topics import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("leaks")]
SLUG = "t05_attention"
HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
CANARY = f"canary-{uuid.uuid4().hex}"
CANARY_ENV = {"JUPYTERHUB_API_TOKEN": CANARY + "-hub", "PGPASSWORD": CANARY + "-pg",
              "MMQB_TEST_SECRET": CANARY + "-env"}
CANARY_ARG = f"postgresql://grader:{CANARY}-arg@db.example/gradebook"

# Grades one notebook with the engine's API and writes everything a student can receive.
WRAPPER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import nbformat
    from autograder.course import course, outputs
    from autograder.engine import Limits, WarmWorker, grade_path
    from autograder.engine.submission import read_notebook, release_notebook
    notebook, out = Path(sys.argv[1]), Path(sys.argv[2])
    worker = WarmWorker(0)
    result = grade_path(notebook, worker, Limits(wall_seconds=60, cpu_seconds=120, memory_mib=1024))
    worker.close()
    task = course.Task("t05_attention", "student", notebook, None)
    (out / "gradescope.json").write_text(json.dumps(result.gradescope()))
    (out / "feedback.html").write_text(outputs.feedback_html(task, result))
    release = release_notebook("t05_attention")
    (out / "autograded.ipynb").write_text(nbformat.writes(outputs.autograded_notebook(task, result, release,
                                                                                   read_notebook(notebook))))
    (out / "result.json").write_text(json.dumps(result.to_dict()))
""")


def _notebook(tmp_path, name):
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    path = tmp_path / name / f"{SLUG}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(submission_notebook(release, (HOSTILE / f"{name}.py").read_text()), path)
    return path


def _grader_env():
    return dict(os.environ, **CANARY_ENV, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")


def _hidden_lines():
    """Source lines of the hidden checks that the release notebook does not show."""
    suite = load_suite(SLUG)
    release = (ROOT / "release" / SLUG / f"{SLUG}.ipynb").read_text(encoding="utf-8")
    lines = set()
    for check in suite.checks:
        if check.hidden:
            for fn in [check.probe, check.judge, *check.dependencies()]:
                for line in function_source(fn).splitlines():
                    line = line.strip()
                    if len(line) >= 20 and json.dumps(line)[1:-1] not in release:
                        lines.add(line)
    assert len(lines) > 10, "the suite should have hidden lines to look for"
    return sorted(lines)


def _received(tmp_path, name):
    """Everything a student can receive for fixture ``name``, graded under canaries."""
    path = _notebook(tmp_path, name)
    out = tmp_path / f"{name}-out"
    out.mkdir()
    env = _grader_env()
    subprocess.run([sys.executable, "-c", WRAPPER, str(path), str(out), CANARY_ARG], env=env, check=True,
                   capture_output=True, text=True, timeout=600, cwd=ROOT)
    cli = ("import sys; sys.argv = ['mmqb', 'grade', sys.argv[1], '--format', 'json', '--timeout', '60']; "
           "from autograder.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", cli, str(path), CANARY_ARG], env=env, capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    texts = {"mmqb grade --format json": proc.stdout}
    for file in ("gradescope.json", "feedback.html", "autograded.ipynb"):
        texts[file] = (out / file).read_text(encoding="utf-8")
    result = json.loads((out / "result.json").read_text())
    return texts, result


@pytest.mark.parametrize("name", ["steal_secrets", "harvest_hidden"])
def test_no_grader_secret_and_no_hidden_check_reaches_a_student(tmp_path, name):
    texts, result = _received(tmp_path, name)
    assert result["graded"] and result["isolation"], result["message"]
    hidden_lines = _hidden_lines()
    for where, text in texts.items():
        assert CANARY not in text, f"a canary secret reached the student through {where}"
        assert CANARY_ARG not in text
        leaked = [line for line in hidden_lines if line in text or json.dumps(line)[1:-1] in text]
        assert not leaked, f"hidden check source reached the student through {where}: {leaked[:3]}"
    visible = " ".join(t["message"] for t in result["tests"] if not t["hidden"])
    # The fixtures work: they did read the sandbox's own environment / find the visible probe's code.
    if name == "steal_secrets":
        assert "TF_CPP_MIN_LOG_LEVEL" in visible and "/proc/1/cmdline=" in visible
    else:
        assert "def probe" in visible
    for test in result["tests"]:
        if test["hidden"]:
            assert "largest error" not in test["message"] and "expected [" not in test["message"]


def test_sleeping_submission_ends_at_the_wall_clock_limit(tmp_path):
    from autograder.engine import Limits, WarmWorker, grade_path

    worker = WarmWorker(0)
    try:
        result = grade_path(_notebook(tmp_path, "sleeper"), worker, Limits(wall_seconds=6, cpu_seconds=60))
    finally:
        worker.close()
    assert result.graded and result.status == "timeout" and result.score == 0
    assert result.execution_time < 30


def test_one_wall_clock_budget_for_all_phases(tmp_path):
    """A function that sleeps in every check: the visible and hidden phases share one budget."""
    from autograder.engine import Limits, WarmWorker, grade_path

    worker = WarmWorker(0)
    try:
        worker.start()
        result = grade_path(_notebook(tmp_path, "probe_sleeper"), worker, Limits(wall_seconds=6, cpu_seconds=60))
    finally:
        worker.close()
    assert result.graded and result.status == "timeout" and result.score == 0
    assert result.execution_time < 10  # two phases of 6 s each would take 12 s or more


def test_thread_flood_ends_with_the_submission(tmp_path):
    from autograder.engine import Limits, WarmWorker, grade_path
    from autograder.engine.worker import _descendants

    worker = WarmWorker(0)
    try:
        result = grade_path(_notebook(tmp_path, "thread_flood"), worker,
                            Limits(wall_seconds=10, cpu_seconds=60, memory_mib=1024))
        assert result.graded and result.score == 0
        assert result.status in ("timeout", "memory", "crashed")
        assert worker.proc is not None and _descendants(worker.proc.pid) == []
    finally:
        worker.close()
