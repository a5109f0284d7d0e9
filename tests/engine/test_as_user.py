"""The engine as instructors mostly run it: as a normal user, not root.

The test creates Unix users, sets the project up as one of them with the README's own setup
command (``make setup``: a venv from the system's Python 3.11, since root's pyenv Python is
unreadable to others), and then, as that user:

* runs the hostile corpus and the leak fixtures (tests/engine/test_hostile.py and
  tests/engine/test_leaks.py): full isolation through user namespaces, nothing skipped;
* with a second user, grades correct submissions one user after the other and both at the
  same time: private run folders, so neither blocks the other and every correct answer
  scores full for both.

CI runs as root, so this runs there; elsewhere it is skipped (it must create users).
"""

import json
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.mutation import reference_cell, submission_notebook
from autograder.topics import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("as_user"),
              pytest.mark.skipif(os.geteuid() != 0, reason="creates Unix users: run as root (CI does)")]
OWNER, OTHER = "mmqbci1", "mmqbci2"
TOPICS = ("t05_attention", "t16_classification_metrics")


def _user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        return pwd.getpwnam(name)


def _as(user: str, command: str, timeout: float = 1800, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["su", "-", user, "-c", command], capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def project():
    """The repository, set up by a normal user with the README's setup command."""
    owner = _user(OWNER)
    home = Path(owner.pw_dir)
    os.chmod(home, 0o755)  # the second user runs this user's installation
    dest = home / "mmqb"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    subprocess.run(["chown", "-R", f"{OWNER}:{OWNER}", str(dest)], check=True)
    setup = _as(OWNER, f"cd {dest} && make setup")
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    return dest


def test_hostile_corpus_and_leak_fixtures_as_a_normal_user(project):
    run = _as(OWNER, f"cd {project} && TF_CPP_MIN_LOG_LEVEL=2 TF_ENABLE_ONEDNN_OPTS=0 .venv/bin/pytest -q -rs "
                     "-p no:cacheprovider tests/engine/test_hostile.py tests/engine/test_leaks.py")
    tail = run.stdout[-4000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    assert " passed" in run.stdout and "skipped" not in run.stdout and "error" not in run.stdout.lower(), tail


def _notebooks(user: pwd.struct_passwd) -> list[Path]:
    folder = Path(user.pw_dir) / "submissions"
    paths = []
    for slug in TOPICS:
        release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
        path = folder / slug / f"{slug}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission_notebook(release, reference_cell(slug)), path)
        paths.append(path)
    subprocess.run(["chown", "-R", f"{user.pw_name}:{user.pw_name}", str(folder)], check=True)
    return paths


def _grade_command(project: Path, paths: list[Path]) -> str:
    return (f"TF_CPP_MIN_LOG_LEVEL=2 {project}/.venv/bin/mmqb grade --format json --timeout 120 "
            + " ".join(str(p) for p in paths))


def _full_marks(stdout: str) -> list[float]:
    results = json.loads(stdout)
    results = results if isinstance(results, list) else [results]
    assert len(results) == len(TOPICS)
    return [round(r["score"] - sum(t["max_score"] for t in r["tests"]), 6) for r in results]


def test_two_normal_users_grade_one_after_the_other_and_at_once(project):
    users = [_user(OWNER), _user(OTHER)]
    commands = {u.pw_name: _grade_command(project, _notebooks(u)) for u in users}
    for name, command in commands.items():  # one after the other
        run = _as(name, command, timeout=900)
        assert run.returncode == 0, run.stderr[-3000:]
        assert _full_marks(run.stdout) == [0.0] * len(TOPICS), (name, run.stdout[-3000:])
    leftovers = [p for p in Path("/tmp").glob("mmqb-run-*") if p.stat().st_uid in {u.pw_uid for u in users}]
    assert leftovers == [], "a grader left its private run folder behind"
    running = {name: subprocess.Popen(["su", "-", name, "-c", command], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for name, command in commands.items()}
    for name, proc in running.items():  # both at the same time
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
        assert _full_marks(out) == [0.0] * len(TOPICS), (name, out[-3000:])
