"""`mmqb feedback`: the feedback pages after the written answers are graded by hand; nothing internal ships.

A real nbgrader course (``nbgrader generate_assignment`` of t05: 10 points of checks, a 3-point
written answer), a sqlite gradebook; the submissions are recorded by ``mmqb autograde``'s own
recording step (:func:`autograder.course.autograde.store`) with made-up verdicts, so no
notebook is executed. The written answers are graded through nbgrader's ``Gradebook`` API as
the formgrader does (``manual_score``, ``manual_comment``).
"""

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.build import prepare_course
from autograder.cli import main
from autograder.course.autograde import store
from autograder.course.course import Course
from autograder.course.exports import collect_rows
from autograder.mutation import reference_cell, submission_notebook
from autograder.results import CheckResult, SubmissionResult
from autograder.topics import ROOT, get_topic

SLUG = "t05_attention"
ANSWER_ID = "t05-attention-answer"
BIN = Path(sys.executable).parent
DUE = datetime(2026, 1, 10, 12, 0, 0)
ON_TIME, LATE = "2026-01-09 08:00:00.000000 UTC", "2026-01-11 08:00:00.000000 UTC"
EVIL_ANSWER = "<script>alert('answer')</script> attention weighs values by softmax(QK^T/sqrt(d)) & more"
EVIL_COMMENT = "<script>alert('comment')</script> good, but say why the scale is 1/sqrt(d)"
# student -> (timestamp, group scores of the checks, written answer or None for the untouched stub)
COHORT = {
    "alice": (ON_TIME, {"shape": 2.0, "numeric": 4.0, "behavior": 4.0}, EVIL_ANSWER),
    "bob": (ON_TIME, {"shape": 0.0, "numeric": 4.0, "behavior": 0.0}, None),
    "carol": (LATE, {"shape": 2.0, "numeric": 4.0, "behavior": 0.0}, "Attention is a weighted average."),
    "dave": (ON_TIME, {"shape": 2.0, "numeric": 0.0, "behavior": 4.0}, "Softmax of scaled dot products."),
}


def _env():
    return dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], TF_CPP_MIN_LOG_LEVEL="2",
                TF_ENABLE_ONEDNN_OPTS="0")


def _nbgrader(course, *args):
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _result(path, groups):
    tests = [CheckResult(f"{g}.{g}_basic", g, False, points > 0, "" if points > 0 else "wrong shape", points,
                         {"shape": 2.0, "numeric": 4.0, "behavior": 4.0}[g]) for g, points in groups.items()]
    return SubmissionResult(path=str(path), slug=SLUG, status="ok", message="", score=sum(groups.values()),
                            max_score=10.0, group_scores=dict(groups), tests=tests, execution_time=1.5,
                            isolation=[f"new root: system, {sys.prefix}, {ROOT} read-only", "uid 60001"],
                            notes=[f"your code read {Path.home()}/x"])


def _graded_course(root):
    """The course with the cohort submitted and recorded by mmqb autograde's recording step."""
    from nbgrader.api import Gradebook

    prepare_course(root, [get_topic(SLUG)])
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write('\nc.CourseDirectory.course_id = "mmqb"\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    _nbgrader(root, "generate_assignment", SLUG, "--force", "--create")
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    for student, (timestamp, _, answer) in COHORT.items():
        folder = root / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        nb = submission_notebook(release, reference_cell(SLUG))
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == ANSWER_ID and answer is not None:
                cell.source = answer
        nbformat.write(nb, folder / f"{SLUG}.ipynb")
        (folder / "timestamp.txt").write_text(timestamp)
        (folder / "submission_secret.txt").write_text(f"secret-of-{student}")
    course = Course(root)
    with Gradebook(course.db_url, course_id=course.course_id) as gb:
        gb.update_or_create_assignment(SLUG, duedate=DUE)
        for task in course.find_tasks([SLUG]):
            store(course, gb, task, _result(task.path, COHORT[task.student][1]))
    return course


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return _graded_course(tmp_path_factory.mktemp("feedback") / "course")


def _grade_by_hand(course, student, points, comment):
    """What the formgrader stores when a grader gives points and a comment to a written answer."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course_id=course.course_id) as gb:
        grade = gb.find_grade(ANSWER_ID, SLUG, SLUG, student)
        grade.manual_score = points
        grade.needs_manual_grade = False
        gb.find_comment(ANSWER_ID, SLUG, SLUG, student).manual_comment = comment
        gb.db.commit()


def _page(course, student):
    return (course.root / "feedback" / student / SLUG / f"{SLUG}.html").read_text(encoding="utf-8")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


GRADER_PATHS = [sys.prefix, str(ROOT), str(Path.home())]


def test_autograde_keeps_its_result_private_and_without_the_graders_paths(course):
    auto = course.root / "autograded" / "alice" / SLUG
    assert sorted(p.name for p in auto.iterdir()) == sorted([f"{SLUG}.ipynb", "submission_secret.txt", "timestamp.txt"])
    path = course.root / ".mmqb" / "results" / "alice" / SLUG / f"{SLUG}.mmqb.json"
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(path.parent.stat().st_mode & 0o777) == "0o700"
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["path"] == f"submitted/alice/{SLUG}/{SLUG}.ipynb"
    assert record["isolation"] == ["new root: system, <python>, <mmqb> read-only", "uid 60001"]
    assert record["notes"] == ["your code read ~/x"]
    assert (record["score"], record["student"], record["timestamp"]) == (10.0, "alice", ON_TIME)
    texts = list(_strings(record))
    assert not [t for t in texts for p in GRADER_PATHS + [str(course.root)] if p in t]
    # the readers find it: the export's row has the engine's result
    rows = {(r.assignment, r.student): r for r in collect_rows(course.root)[0]}
    assert rows[(SLUG, "alice")].status == "ok" and rows[(SLUG, "alice")].execution_time == 1.5


def test_autograde_page_lists_the_written_answers_still_to_grade(course):
    page = _page(course, "dave")
    assert '<b class="total">6 / 13</b>' in page and '<b class="score">6 / 10</b>' in page
    assert f"Not graded yet (graded by hand, counted as 0 until then): {ANSWER_ID} (3 points)." in page
    assert "Softmax of scaled dot products." in page and "Interview question 5" in page
    bob = _page(course, "bob")  # the untouched answer: 0 and nbgrader's "No response."
    assert '<b class="points">0 / 3</b>' in bob and "No response." in bob and "All written answers are graded." in bob


def test_feedback_shows_manual_points_comments_and_nbgraders_total(course):
    _grade_by_hand(course, "alice", 2.5, EVIL_COMMENT)
    _grade_by_hand(course, "carol", 3.0, "Right idea.")
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(course.root)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "  alice: 12.5 / 13", "  bob: 4 / 13", "  carol: 3 / 13", f"  dave: 6 / 13 ({ANSWER_ID} not graded yet)",
        f"wrote 4 feedback page(s) of {SLUG}; ship them with: nbgrader release_feedback {SLUG}"]
    alice = _page(course, "alice")
    assert '<b class="total">12.5 / 13</b>' in alice and '<b class="written">2.5 / 3</b>' in alice
    assert '<b class="points">2.5 / 3</b>' in alice and "All written answers are graded." in alice
    assert "<script" not in alice  # the student's answer and the grader's comment are text, never markup
    assert "&lt;script&gt;alert(&#39;comment&#39;)&lt;/script&gt; good, but say why" in alice
    assert "&lt;script&gt;alert(&#39;answer&#39;)&lt;/script&gt; attention weighs values" in alice
    assert "softmax(QK^T/sqrt(d)) &amp; more" in alice
    carol = _page(course, "carol")  # late: "zero" took the 6 autograded points at grading time
    assert '<b class="total">3 / 13</b>' in carol and '<b class="penalty">6</b>' in carol
    assert "Right idea." in carol
    folder = course.root / "feedback" / "carol" / SLUG
    assert sorted(p.name for p in folder.iterdir()) == ["submission_secret.txt", f"{SLUG}.html", "timestamp.txt"]
    assert (folder / "timestamp.txt").read_text() == LATE
    assert (folder / "submission_secret.txt").read_text() == "secret-of-carol"
    assert oct((folder / f"{SLUG}.html").stat().st_mode & 0o777) == "0o644"


def test_feedback_for_one_student_and_one_line_errors(course, tmp_path):
    (course.root / "feedback" / "bob" / SLUG / f"{SLUG}.html").unlink()
    _grade_by_hand(course, "dave", 1.0, "Too short.")
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(course.root), "--student", "dave"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == "  dave: 7 / 13"
    assert '<b class="total">7 / 13</b>' in _page(course, "dave") and "Too short." in _page(course, "dave")
    assert not (course.root / "feedback" / "bob" / SLUG / f"{SLUG}.html").exists()  # only dave's page
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(course.root), "--student", "zed"])
    assert out.exit_code == 1
    assert out.output == (f"Error: no submission of '{SLUG}' by 'zed' in the gradebook "
                          f"(run `mmqb autograde {SLUG}` first)\n")
    out = CliRunner().invoke(main, ["feedback", "t99_nothing", "--course", str(course.root)])
    assert out.exit_code == 1 and len(out.output.splitlines()) == 1
    assert out.output.startswith("Error: assignment 't99_nothing' is not in the gradebook")
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(tmp_path)])  # not a course: nothing made
    assert out.exit_code == 1 and len(out.output.splitlines()) == 1 and "is not an nbgrader course folder" in out.output
    assert list(tmp_path.iterdir()) == []


def test_a_regrade_after_manual_grading_writes_the_same_page_as_mmqb_feedback(course):
    """One template: ``mmqb autograde --force``'s recording step and ``mmqb feedback`` write the same bytes."""
    from nbgrader.api import Gradebook

    _grade_by_hand(course, "alice", 2.5, EVIL_COMMENT)  # as in the test above: xdist may run this one alone
    page = course.root / "feedback" / "alice" / SLUG / f"{SLUG}.html"
    page.unlink()
    with Gradebook(course.db_url, course_id=course.course_id) as gb:
        task = next(t for t in course.find_tasks([SLUG]) if t.student == "alice")
        store(course, gb, task, _result(task.path, COHORT["alice"][1]))
    regraded = page.read_text(encoding="utf-8")
    assert '<b class="total">12.5 / 13</b>' in regraded and "alert(&#39;comment&#39;)" in regraded
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(course.root), "--student", "alice"])
    assert out.exit_code == 0, out.output
    assert page.read_text(encoding="utf-8") == regraded


def test_nothing_internal_ships_after_nbgraders_generate_feedback_force(course, tmp_path):
    """An older mmqb's result beside the autograded notebook is moved away; nbgrader then copies nothing of ours."""
    root = Path(shutil.copytree(course.root, tmp_path / "course", symlinks=True))
    copy = Course(root)
    private = root / ".mmqb" / "results" / "bob" / SLUG / f"{SLUG}.mmqb.json"
    legacy = root / "autograded" / "bob" / SLUG / f"{SLUG}.mmqb.json"
    record = json.loads(private.read_text())
    legacy.write_text(json.dumps(dict(record, path=str(root / "submitted" / "bob" / SLUG / f"{SLUG}.ipynb"))))
    private.unlink()
    stray = root / "feedback" / "bob" / SLUG / f"{SLUG}.mmqb.json"  # copied by an earlier generate_feedback --force
    shutil.copyfile(legacy, stray)
    assert {r.student: r.status for r in collect_rows(root)[0]}["bob"] == "ok"  # the old place is still read
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(root)])
    assert out.exit_code == 0, out.output
    assert not legacy.exists() and not stray.exists()
    assert json.loads(private.read_text())["path"] == f"submitted/bob/{SLUG}/{SLUG}.ipynb"
    _nbgrader(root, "generate_feedback", SLUG, "--force")
    feedback = root / "feedback"
    files = sorted(p.relative_to(feedback).as_posix() for p in feedback.rglob("*") if p.is_file())
    assert files == sorted(f"{s}/{SLUG}/{name}" for s in COHORT
                           for name in (f"{SLUG}.html", "submission_secret.txt", "timestamp.txt"))
    for path in feedback.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [p for p in GRADER_PATHS + [str(root), str(course.root)] if p in text], path
    assert '<b class="total">' not in (feedback / "bob" / SLUG / f"{SLUG}.html").read_text()  # nbgrader's page
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(root), "--student", "bob"])
    assert out.exit_code == 0, out.output
    assert '<b class="total">4 / 13</b>' in (feedback / "bob" / SLUG / f"{SLUG}.html").read_text()
    assert copy.result_files() == sorted(root.glob(f".mmqb/results/*/{SLUG}/{SLUG}.mmqb.json"))
    (root / ".mmqb" / "results" / "carol" / SLUG / f"{SLUG}.mmqb.json").unlink()  # e.g. graded by nbgrader
    out = CliRunner().invoke(main, ["feedback", SLUG, "--course", str(root)])
    assert out.exit_code == 1
    assert out.stderr.splitlines() == [
        "1 submission(s) without a page:", "  carol: no readable mmqb result (not graded by `mmqb autograde`)"]
    assert out.stdout.splitlines()[-1].startswith("wrote 3 feedback page(s)")
