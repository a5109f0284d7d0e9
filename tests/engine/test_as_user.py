"""The engine as instructors mostly run it: as a normal user, not root.

The test creates Unix users, sets the project up as one of them with the README's own setup
command (``make setup``: a venv from the system's Python 3.11, since root's pyenv Python is
unreadable to others), and then, as that user:

* runs the hostile corpus and the leak fixtures (tests/engine/test_hostile.py and
  tests/engine/test_leaks.py): full isolation through user namespaces, nothing skipped;
* with a second user, grades correct submissions one user after the other and both at the
  same time: private run folders, so neither blocks the other and every correct answer
  scores full for both;
* runs ``mmqb autograde`` on a course whose submission folders are hostile (symlinks to the
  instructor's 0600 file and to the solutions, a fifo, a dangling link, a notebook whose cell
  source is numbers, an oversized notebook, an unreadable timestamp): the instructor's files
  never reach ``feedback/``, each bad submission is its own one-line problem, the others graded.

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

from autograder.build import prepare_course
from autograder.mutation import reference_cell, submission_notebook
from autograder.topics import ROOT, get_topic

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


def _hostile_course(owner: pwd.struct_passwd, slug: str, secret: str) -> Path:
    """A course of ``owner`` (the instructor) with one honest and four hostile submission folders."""
    course = Path(owner.pw_dir) / "hostile-course"
    shutil.rmtree(course, ignore_errors=True)
    prepare_course(course, [get_topic(slug)])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    gen = subprocess.run([str(ROOT / ".venv/bin/nbgrader"), "generate_assignment", slug, "--create", "--force"],
                         cwd=course, capture_output=True, text=True, env=env)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    release = nbformat.read(course / "release" / slug / f"{slug}.ipynb", as_version=4)
    solved = submission_notebook(release, reference_cell(slug))
    private = Path(owner.pw_dir) / "instructor-only.txt"
    private.write_text(secret)
    folders = {}
    for student in ("alice", "bob", "carol", "dave"):
        folders[student] = course / "submitted" / student / slug
        folders[student].mkdir(parents=True)
        nbformat.write(solved, folders[student] / f"{slug}.ipynb")
        (folders[student] / "timestamp.txt").write_text("2026-01-09 08:00:00.000000 UTC")
    alice = folders["alice"]  # an honest answer with everything a hostile student can put beside it
    (alice / "link_to_secret.txt").symlink_to(private)
    (alice / "link_to_solution.py").symlink_to(ROOT / "solutions" / f"{slug}.py")
    (alice / "dangling.txt").symlink_to(course / "nowhere")
    (alice / "linked_dir").symlink_to(ROOT / "solutions", target_is_directory=True)
    os.mkfifo(alice / "pipe")
    broken = json.loads((folders["bob"] / f"{slug}.ipynb").read_text())
    for cell in broken["cells"]:
        cell["source"] = [1, 2, 3]
    (folders["bob"] / f"{slug}.ipynb").write_text(json.dumps(broken))
    (folders["carol"] / "timestamp.txt").write_text("not a time")
    with open(folders["dave"] / f"{slug}.ipynb", "a") as huge:
        huge.write(" " * (17 << 20))  # past the 16 MiB notebook limit (trailing whitespace: valid JSON)
    subprocess.run(["chown", "-R", f"{owner.pw_name}:{owner.pw_name}", str(course), str(private)], check=True)
    private.chmod(0o600)
    return course


def test_a_hostile_course_graded_by_a_normal_user(project):
    from nbgrader.api import Gradebook

    owner, slug, secret = _user(OWNER), "t16_classification_metrics", "instructor-only-secret-7f3a"
    course = _hostile_course(owner, slug, secret)
    run = _as(OWNER, f"cd {course} && TF_CPP_MIN_LOG_LEVEL=2 TF_ENABLE_ONEDNN_OPTS=0 "
                     f"{project}/.venv/bin/mmqb autograde {slug} --course {course} --timeout 120", timeout=900)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out  # carol's timestamp: not graded, so her late penalty cannot be escaped
    lines = out.splitlines()
    problem = {s: [line for line in lines if line.strip().startswith(f"{s}/{slug}:")] for s in ("bob", "carol", "dave")}
    assert all(len(found) == 1 for found in problem.values()), out
    assert "not graded" in problem["carol"][0] and "timestamp" in problem["carol"][0], out
    assert "invalid" in problem["bob"][0] and "invalid" in problem["dave"][0], out
    assert "Traceback" not in out, out
    with Gradebook(f"sqlite:///{course}/gradebook.db", course_id="mmqb") as gb:
        alice = gb.find_submission(slug, "alice")
        assert alice.max_score > 0 and alice.score == alice.max_score
        assert gb.find_submission(slug, "bob").score == 0 == gb.find_submission(slug, "dave").score
        assert [s.student_id for s in gb.assignment_submissions(slug)] != []
        assert "carol" not in {s.student_id for s in gb.assignment_submissions(slug)}
    for step in ("autograded", "feedback"):
        for path in (course / step).rglob("*"):
            assert not path.is_symlink() and (path.is_dir() or path.is_file()), path
            assert path.name not in {"link_to_secret.txt", "link_to_solution.py", "linked_dir", "pipe"}, path
            if path.is_file():
                assert secret not in path.read_text(errors="replace"), path
    shipped = {p.name for p in (course / "feedback" / "alice" / slug).iterdir()}
    assert shipped <= {f"{slug}.html", "timestamp.txt", "submission_secret.txt"}, shipped
