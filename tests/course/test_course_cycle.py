"""nbgrader's course cycle with ``mmqb autograde`` in place of ``nbgrader autograde``.

- Parity: one cohort graded by ``nbgrader autograde`` and by ``mmqb autograde`` records the
  same value for every graded cell (code and written answers: ``auto_score``,
  ``needs_manual_grade``, the "No response." comment), the same submission timestamps and the
  same late penalty, on 5 topics (3 concept topics); ``autograded/`` has the same files and modes.
- Settings: a course whose ``nbgrader_config.py`` sets ``c.Mmqb.*`` and another ``db_url`` is
  graded with no flags.
- Engine faults are never grades; two concurrent runs grade each submission once.
- The whole cycle with two real Unix users and an exchange (root only), with a written answer
  graded by hand and ``mmqb feedback`` before ``release_feedback``.
"""

import copy
import csv
import json
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from autograder.build import prepare_course
from autograder.checks import load_suite
from autograder.course import autograde as autograde_module
from autograder.course.autograde import autograde
from autograder.course.course import Course
from autograder.course.gradebook import cell_scores
from autograder.engine import Limits
from autograder.mutation import load_mutants, reference_cell, reference_source, submission_notebook
from autograder.results import is_graded
from autograder.topics import ROOT, get_topic

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course_cycle")]
PARITY = ["t05_attention", "t13_clip_loss", "t03_tensor_fusion", "t02_fusion_attention",
          "t16_classification_metrics"]
BIN = Path(sys.executable).parent
LIMITS = Limits(wall_seconds=90, memory_mib=1024)
DUE = datetime(2026, 1, 10, 12, 0, 0)
ON_TIME = "2026-01-09 08:00:00.000000 UTC"
LATE = "2026-01-11 08:00:00.000000 UTC"
ANSWER = "注意力按 1/sqrt(d_k) 缩放 / attention is scaled by 1/sqrt(d_k)."


def _env(**extra):
    return dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], TF_CPP_MIN_LOG_LEVEL="2",
                TF_ENABLE_ONEDNN_OPTS="0", **extra)


def _run(cmd, cwd, check=True, **kw):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_env(), **kw)
    if check:
        assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _nbgrader(course, *args):
    return _run([str(BIN / "nbgrader"), *args], course)


def _release(slug):
    return nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)


def _with_answer(nb, text):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer"):
            cell.source = text
    return nb


def _submit(course, student, slug, nb, timestamp=ON_TIME):
    folder = course / "submitted" / student / slug
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{slug}.ipynb")
    (folder / "timestamp.txt").write_text(timestamp)


def _new_course(path, slugs, extra_config=""):
    prepare_course(path, [get_topic(s) for s in slugs])
    if extra_config:
        with open(path / "nbgrader_config.py", "a", encoding="utf-8") as fh:
            fh.write("\n" + extra_config + "\n")
    for slug in slugs:
        _nbgrader(path, "generate_assignment", slug, "--force", "--create")
    return path


@pytest.fixture(scope="module")
def parity_course(tmp_path_factory):
    """Per topic: reference code with a written answer, an untouched stub; one late reference.

    (Code-cell parity on mutants and seed versions is tests/course/test_autograde.py's.)
    """
    from nbgrader.api import Gradebook

    course = _new_course(tmp_path_factory.mktemp("parity") / "course", PARITY,
                         'c.LateSubmissionPlugin.penalty_method = "zero"')
    for slug in PARITY:
        release = _release(slug)
        _submit(course, "ref", slug, _with_answer(submission_notebook(release, reference_cell(slug)), ANSWER))
        _submit(course, "stub", slug, submission_notebook(release, None))
    _submit(course, "late", PARITY[0], submission_notebook(_release(PARITY[0]), reference_cell(PARITY[0])), LATE)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(PARITY[0], duedate=DUE)
    return course


def gradebook_table(course):
    """Everything nbgrader autograde records, per graded cell and per submission."""
    from nbgrader.api import Gradebook

    cells, subs = {}, {}
    with Gradebook(Course(course).db_url) as gb:
        for assignment in gb.assignments:
            for sub in gb.assignment_submissions(assignment.name):
                for nb in sub.notebooks:
                    subs[(assignment.name, sub.student_id)] = (sub.timestamp, nb.late_submission_penalty)
                    for grade in nb.grades:
                        cells[(assignment.name, sub.student_id, grade.name)] = (
                            grade.cell.cell_type, grade.auto_score, grade.needs_manual_grade)
                    for comment in nb.comments:
                        cells[(assignment.name, sub.student_id, comment.name, "comment")] = comment.auto_comment
    return cells, subs


def _tree(folder):
    """``relative path -> mode`` of every file under ``folder`` (mmqb's own files left out)."""
    return {p.relative_to(folder).as_posix(): oct(p.stat().st_mode & 0o7777) for p in folder.rglob("*")
            if p.is_file() and not p.name.endswith(".mmqb.json") and ".mmqb-claims" not in p.parts}


def test_parity_with_nbgrader_autograde(parity_course, tmp_path):
    ours = shutil.copytree(parity_course, tmp_path / "ours")
    theirs = shutil.copytree(parity_course, tmp_path / "theirs")
    summary = autograde(ours, PARITY, workers=2, limits=LIMITS, progress=False)
    graded = list(summary.graded)
    for _ in range(2):  # an engine fault is not a grade; the next run grades what it left (README)
        if not summary.ungraded:
            break
        summary = autograde(ours, PARITY, workers=2, limits=LIMITS, progress=False)
        graded += summary.graded
    assert len(graded) == 2 * len(PARITY) + 1 and not summary.ungraded
    for slug in PARITY:
        _nbgrader(theirs, "autograde", slug, "--force")
    mine, mine_subs = gradebook_table(ours)
    nbg, nbg_subs = gradebook_table(theirs)
    assert len(mine) == len(nbg) > 2 * len(PARITY) * 4
    differing = {k: (mine.get(k), nbg.get(k)) for k in nbg if mine.get(k) != nbg.get(k)}
    assert differing == {}
    assert mine_subs == nbg_subs
    # the figures the parity stands on, from nbgrader's side alone
    answers = {k: v for k, v in nbg.items() if len(k) == 3 and v[0] == "markdown"}
    assert {k[1]: v for k, v in answers.items() if k[0] == PARITY[0]} == {
        "ref": ("markdown", None, True), "stub": ("markdown", 0.0, False), "late": ("markdown", 0.0, False)}
    assert nbg_subs[(PARITY[0], "late")][1] == load_suite(PARITY[0]).max_score  # "zero": penalty = score
    assert nbg_subs[(PARITY[0], "ref")][1] is None
    ref_code = [v[1] for k, v in nbg.items() if len(k) == 3 and k[1] == "ref" and v[0] == "code"]
    stub_code = [v[1] for k, v in nbg.items() if len(k) == 3 and k[1] == "stub" and v[0] == "code"]
    assert all(s > 0 for s in ref_code) and stub_code and all(s == 0 for s in stub_code)
    # autograded/ as nbgrader writes it: same files, same modes
    assert _tree(ours / "autograded") == _tree(theirs / "autograded")
    assert "ref/t05_attention/timestamp.txt" in _tree(ours / "autograded")


def test_settings_come_from_nbgrader_config(tmp_path, monkeypatch):
    """c.Mmqb.workers, c.Mmqb.timeout and another c.CourseDirectory.db_url are used with no flags."""
    slug = PARITY[0]
    db = tmp_path / "elsewhere" / "grades.db"
    db.parent.mkdir()
    config = (f"c.CourseDirectory.db_url = {f'sqlite:///{db}'!r}\nc.Mmqb.workers = 1\nc.Mmqb.timeout = 77.0\n"
              "c.Mmqb.memory_mib = 1536\n")
    course = _new_course(tmp_path / "course", [slug], config)
    assert db.exists() and not (course / "gradebook.db").exists()
    release = _release(slug)
    _submit(course, "ref", slug, submission_notebook(release, reference_cell(slug)))
    _submit(course, "stub", slug, submission_notebook(release, None))
    seen = {}
    real_pool = autograde_module.make_pool

    def spy_pool(scheduler, workers, *args, **kwargs):
        pool = real_pool(scheduler, workers, *args, **kwargs)
        seen["workers"] = workers
        run = pool.run

        def spy_run(tasks, limits):
            seen["limits"] = limits
            return run(tasks, limits)

        pool.run = spy_run
        return pool

    monkeypatch.setattr(autograde_module, "make_pool", spy_pool)
    summary = autograde(course, [slug], progress=False)
    assert seen["workers"] == 1
    assert (seen["limits"].wall_seconds, seen["limits"].cpu_seconds, seen["limits"].memory_mib) == (77.0, 154.0, 1536)
    assert {t.student: r.score for t, r in summary.graded} == {"ref": load_suite(slug).max_score, "stub": 0}
    scores = cell_scores(Course(course), [slug])
    assert scores and all(v > 0 for (_, s, _), v in scores.items() if s == "ref")
    assert not (course / "gradebook.db").exists()
    # the command line, with no flag but the course, reads the same gradebook and finds both done
    proc = _run([str(BIN / "mmqb"), "autograde", slug], course)
    assert "graded 0, skipped 2 already graded" in proc.stdout


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="assignments must be a list"):
        autograde(tmp_path, "t05_attention")
    with pytest.raises(TypeError, match="workers must be int"):
        autograde(tmp_path, ["t05_attention"], workers="2")
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"):
        autograde(tmp_path, ["t05_attention"], workers=0)


class _BrokenPool:
    """A pool whose engine fails on every submission (as a worker that cannot start)."""

    def prepare(self, slugs):
        pass

    def ready(self):
        pass

    def run(self, tasks, limits):
        from autograder.engine import SubmissionResult

        for task in tasks:
            result = SubmissionResult(str(task.path), task.assignment, "error", "the grading worker failed to start",
                                      0.0, 10.0)
            result.graded = False
            yield task, result

    def close(self):
        pass


class _RaisingPool(_BrokenPool):
    def run(self, tasks, limits):
        raise RuntimeError("scratch folder not creatable")
        yield


def test_engine_faults_are_not_graded_and_the_next_run_grades_them(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from autograder.cli import main

    slug = PARITY[0]
    course = _new_course(tmp_path / "course", [slug])
    release = _release(slug)
    _submit(course, "ref", slug, submission_notebook(release, reference_cell(slug)))
    _submit(course, "stub", slug, submission_notebook(release, None))
    for pool in (_BrokenPool(), _RaisingPool()):
        monkeypatch.setattr(autograde_module, "make_pool", lambda *args, pool=pool, **kwargs: pool)
        out = CliRunner().invoke(main, ["autograde", slug, "--course", str(course)])
        assert out.exit_code == 1, out.output
        assert "ref/t05_attention: not graded: " in out.output and "stub/t05_attention: not graded: " in out.output
        assert cell_scores(Course(course), [slug]) == {}
        assert not (course / "autograded" / "ref").exists() and not (course / "feedback").exists()
    summary = autograde(course, [slug], limits=LIMITS, workers=2, progress=False)  # the raising pool again
    assert not summary.graded and len(summary.ungraded) == 2  # still the raising pool
    assert all(not is_graded(r) and "scratch folder not creatable" in r.message for _, r in summary.ungraded)
    monkeypatch.undo()
    summary = autograde(course, [slug], limits=LIMITS, workers=2, progress=False)
    assert {t.student: r.score for t, r in summary.graded} == {"ref": load_suite(slug).max_score, "stub": 0}
    assert not summary.ungraded and not summary.skipped
    assert (course / "feedback" / "ref" / slug / "timestamp.txt").exists()


def test_hostile_submission_folders_stay_their_own(tmp_path):
    """Symlinks, a malformed notebook, a bad timestamp, a script in a changed cell, a formula id: one batch.

    Each is that submission's own result with one clear line; the others are graded; nothing
    outside a submission reaches a student's folders; the run exits 1 and says who was not graded.
    """
    slug = "t16_classification_metrics"
    course = _new_course(tmp_path / "course", [slug])
    release = _release(slug)
    solved = submission_notebook(release, reference_cell(slug))
    secret = tmp_path / "instructor.txt"
    secret.write_text("INSTRUCTOR-SECRET-0600")
    secret.chmod(0o600)
    _submit(course, "alice", slug, solved)
    folder = course / "submitted" / "alice" / slug
    (folder / "grades.txt").symlink_to(secret)
    (folder / "answer.py").symlink_to(ROOT / "solutions" / f"{slug}.py")
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere")
    os.mkfifo(folder / "pipe")
    broken = json.loads(nbformat.writes(solved))
    broken["cells"][0]["source"] = [1, 2, 3]
    _submit(course, "bob", slug, solved)
    (course / "submitted" / "bob" / slug / f"{slug}.ipynb").write_text(json.dumps(broken))
    _submit(course, "carol", slug, solved, timestamp="not a time")
    scripted = copy.deepcopy(solved)
    cell = next(c for c in scripted.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.cell_type, code = "markdown", cell.source
    cell.source = "<script>alert('formgrader')</script>"
    del cell["outputs"], cell["execution_count"]
    scripted.cells.append(nbformat.v4.new_code_cell(code))  # the code moved to an added cell
    _submit(course, "dave", slug, scripted)
    _submit(course, "=HYPERLINK(1)", slug, solved)
    proc = _run([str(BIN / "mmqb"), "autograde", slug, "--course", str(course), "--csv", str(tmp_path / "out.csv")],
                course, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "carol/t16_classification_metrics: not graded: timestamp.txt does not hold a time" in proc.stderr
    scores = {(student, cell): score for (_, student, cell), score in cell_scores(Course(course), [slug]).items()}
    full = load_suite(slug).max_score
    by_student = {}
    for (student, _), score in scores.items():
        by_student[student] = by_student.get(student, 0) + score
    assert by_student["alice"] == full and by_student["=HYPERLINK(1)"] == full
    assert by_student["bob"] == 0 and "carol" not in by_student
    assert by_student["dave"] == full  # the solution cell runs as code, as nbgrader restores it
    assert "bob/t16_classification_metrics: invalid: invalid notebook: cell 1's source is not text" in proc.stdout
    for kind in ("autograded", "feedback"):
        for path in (course / kind).rglob("*"):
            assert not path.is_symlink(), path
            if path.is_file():
                text = path.read_text(errors="replace")
                assert "INSTRUCTOR-SECRET" not in text and "(reference solution)" not in text, path
    page = nbformat.read(course / "autograded" / "dave" / slug / f"{slug}.ipynb", as_version=4)
    assert not any("<script" in c.source for c in page.cells if c.cell_type == "markdown")
    rows = list(csv.DictReader(open(tmp_path / "out.csv", newline="", encoding="utf-8")))
    assert "'=HYPERLINK(1)" in {r["student"] for r in rows}


def _concurrent_runs(course, slugs, students, db_url=None):
    cmd = [str(BIN / "mmqb"), "autograde", *slugs, "--course", str(course), "--workers", "1"]
    if db_url:
        cmd += ["--db", db_url]
    procs = [subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = []
    for out, _ in outs:
        m = re.search(r"graded (\d+), skipped (\d+) already graded(?:, (\d+) being graded by another run)?", out)
        assert m, out
        counts.append(tuple(int(g or 0) for g in m.groups()))
    total = len(slugs) * len(students)
    assert sum(c[0] for c in counts) == total, counts  # each submission graded exactly once over both runs
    assert all(sum(c) == total for c in counts), counts  # and each run accounted for every submission
    # both runs start at once and claim 4 submissions at a time: both graded some (they did run concurrently)
    assert all(c[0] > 0 for c in counts), counts
    return counts


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_concurrent_runs_grade_each_submission_once(backend, tmp_path):
    from nbgrader.api import Gradebook

    url = None
    if backend == "postgresql":
        url = os.environ.get("MMQB_TEST_POSTGRES_URL")
        if not url:
            pytest.skip("needs MMQB_TEST_POSTGRES_URL (make test starts a server as root)")
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    slugs = ["t05_attention"]
    config = f"c.CourseDirectory.db_url = {url!r}" if url else ""
    course = _new_course(tmp_path / "course", slugs, config)
    students = [f"s{i}" for i in range(8)]
    for slug in slugs:
        release = _release(slug)
        for i, student in enumerate(students):
            _submit(course, student, slug, submission_notebook(release, reference_cell(slug) if i % 2 else None))
    _concurrent_runs(course, slugs, students)  # the URL comes from nbgrader_config.py
    with Gradebook(Course(course).db_url) as gb:
        for slug in slugs:
            subs = gb.assignment_submissions(slug)
            assert sorted(s.student_id for s in subs) == students
            for sub in subs:
                want = load_suite(slug).max_score if int(sub.student_id[1:]) % 2 else 0
                assert sub.code_score == want, (slug, sub.student_id)
        assert len(gb.students) == len(students)
    again = _run([str(BIN / "mmqb"), "autograde", *slugs, "--course", str(course)], course)
    assert f"graded 0, skipped {len(slugs) * len(students)} already graded" in again.stdout


# --------------------------------------------------------------------------- the whole cycle, two Unix users

STUDENTS = ("mmqbstu1", "mmqbstu2")
CYCLE = ["t05_attention", "t13_clip_loss"]
WRITTEN = "Attention: softmax(QK^T / sqrt(d)) V."


def _as_student(user, python, *args, cwd):
    home = pwd.getpwnam(user).pw_dir
    cmd = ["runuser", "-u", user, "--", "env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
           str(python), "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{user}: {args}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture
def unix_students(unix_users):
    return unix_users(*STUDENTS)


def test_whole_cycle_with_two_unix_users(unix_students, any_user_python, tmp_path):
    base = Path(tempfile.mkdtemp(prefix="mmqb-cycle-"))  # /tmp/pytest-of-root is private to root
    try:
        os.chmod(base, 0o755)
        exchange = base / "exchange"
        exchange.mkdir()
        os.chmod(exchange, 0o777)
        python = any_user_python
        exchange_config = f"c.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = 'mmqb'\n"
        course = _new_course(tmp_path / "course", CYCLE, exchange_config)
        for slug in CYCLE:
            _nbgrader(course, "release_assignment", slug, "--force")
        answers = {  # (student, slug) -> what the student writes
            (STUDENTS[0], CYCLE[0]): reference_cell(CYCLE[0]), (STUDENTS[0], CYCLE[1]): None,
            (STUDENTS[1], CYCLE[0]): load_mutants(CYCLE[0])[0].apply(reference_source(CYCLE[0])),
            (STUDENTS[1], CYCLE[1]): reference_cell(CYCLE[1]),
        }
        written = {(STUDENTS[0], CYCLE[0]): WRITTEN, (STUDENTS[1], CYCLE[1]): "CLIP: symmetric InfoNCE."}
        for user in unix_students:
            work = base / user
            work.mkdir()
            shutil.chown(work, user)
            (work / "nbgrader_config.py").write_text("c = get_config()\n" + exchange_config)
            for slug in CYCLE:
                _as_student(user, python, "fetch_assignment", slug, cwd=work)
                path = work / slug / f"{slug}.ipynb"
                fetched = nbformat.read(path, as_version=4)
                submission = submission_notebook(fetched, answers[(user, slug)])
                if (user, slug) in written:
                    _with_answer(submission, written[(user, slug)])
                nbformat.write(submission, path)
                _as_student(user, python, "submit", slug, cwd=work)
        for slug in CYCLE:
            _nbgrader(course, "collect", slug)
        # nbgrader 0.9.6's own generate_assignment preprocessors (SaveCells, OverwriteKernelspec) open the
        # gradebook without the course id and leave a stray default_course row; remove it, so that only
        # mmqb can bring it back
        with sqlite3.connect(course / "gradebook.db") as db:
            db.execute("delete from course where id = 'default_course'")
            assert [row[0] for row in db.execute("select id from assignment")] and \
                {row[0] for row in db.execute("select course_id from assignment")} == {"mmqb"}
        proc = _run([str(BIN / "mmqb"), "autograde", *CYCLE, "--course", str(course), "--csv",
                     str(tmp_path / "mmqb.csv")], course)
        assert "graded 4" in proc.stdout, proc.stdout
        # mmqb opens the gradebook with the course's id: nbgrader's check_course adds no default_course row
        with sqlite3.connect(course / "gradebook.db") as db:
            assert [row[0] for row in db.execute("select id from course")] == ["mmqb"]
        _nbgrader(course, "export", "--to", str(tmp_path / "export.csv"))
        with open(tmp_path / "export.csv", newline="") as fh:
            exported = {(r["assignment"], r["student_id"]): float(r["raw_score"]) for r in csv.DictReader(fh)}
        with open(tmp_path / "mmqb.csv", newline="") as fh:
            ours = {(r["assignment"], r["student"]): float(r["autograded_score"]) for r in csv.DictReader(fh)}
        assert exported == ours and len(ours) == 4
        max_score = {slug: load_suite(slug).max_score for slug in CYCLE}
        assert ours[(CYCLE[0], STUDENTS[0])] == max_score[CYCLE[0]] and ours[(CYCLE[1], STUDENTS[0])] == 0
        assert 0 < ours[(CYCLE[0], STUDENTS[1])] < max_score[CYCLE[0]]
        assert ours[(CYCLE[1], STUDENTS[1])] == max_score[CYCLE[1]]
        # the formgrader's manual grade of one written answer; the other stays ungraded
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="mmqb") as gb:
            grade = gb.find_grade(f"{CYCLE[0].replace('_', '-')}-answer", CYCLE[0], CYCLE[0], STUDENTS[0])
            grade.manual_score, grade.needs_manual_grade = 2.0, False
            gb.find_comment(grade.name, CYCLE[0], CYCLE[0], STUDENTS[0]).manual_comment = "Good: <b>why</b> scale?"
            gb.db.commit()
        for slug in CYCLE:
            proc = _run([str(BIN / "mmqb"), "feedback", slug, "--course", str(course)], course)
            assert f"wrote 2 feedback page(s) of {slug}" in proc.stdout, proc.stdout
            _nbgrader(course, "release_feedback", slug)
        answer_points = {slug: get_topic(slug).answer_points for slug in CYCLE}
        manual = {(STUDENTS[0], CYCLE[0]): 2.0}
        hidden_names = {c.probe.__name__ for slug in CYCLE for c in load_suite(slug).checks if c.hidden}
        for user in unix_students:
            for slug in CYCLE:
                _as_student(user, python, "fetch_feedback", slug, cwd=base / user)
                fetched = [p for p in (base / user / slug / "feedback").rglob("*") if p.is_file()]
                pages = list((base / user / slug / "feedback").glob("*/*.html"))
                assert len(pages) == 1 and fetched == pages, fetched  # the page, nothing internal
                assert pages[0].stat().st_uid == pwd.getpwnam(user).pw_uid
                page = pages[0].read_text(encoding="utf-8")
                assert "BEGIN HIDDEN TESTS" not in page and not any(f"def {n}" in page for n in hidden_names)
                assert str(course) not in page and sys.prefix not in page and str(ROOT) not in page
                score = ours[(slug, user)]
                assert f"{score:g} / {max_score[slug]:g}" in page
                total = score + manual.get((user, slug), 0.0)
                assert f'<b class="total">{total:g} / {max_score[slug] + answer_points[slug]:g}</b>' in page
                if (user, slug) in manual:
                    assert f'<b class="points">2 / {answer_points[slug]:g}</b>' in page
                    assert "Good: &lt;b&gt;why&lt;/b&gt; scale?" in page and WRITTEN in page
                elif (user, slug) in written:
                    assert "Not graded yet (graded by hand" in page and "CLIP: symmetric InfoNCE." in page
                else:
                    assert "No response." in page and "All written answers are graded." in page
                for check in load_suite(slug).checks:
                    assert re.search(re.escape(check.id) + r"(?: \(hidden\))?</td>", page), check.id
                rows = re.findall(r'<td class="num">([\d.]+) / ([\d.]+)</td>', page)
                assert len(rows) >= len(load_suite(slug).checks)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_claim_is_exclusive_across_open_files_and_released_on_close(tmp_path):
    from autograder.course.course import Claim

    path = tmp_path / "autograded" / ".mmqb-claims" / "t05_attention" / "alice.lock"
    first, second = Claim(path), Claim(path)
    assert first.acquire() is True
    assert second.acquire() is False  # flock: a second open file description is refused
    first.release()
    assert second.acquire() is True
    second.release()
    shared = Claim(tmp_path / "g" / "t05" / "bob.lock", shared=True)
    assert shared.acquire() is True
    assert (tmp_path / "g" / "t05").stat().st_mode & 0o2770 == 0o2770
    shared.release()
