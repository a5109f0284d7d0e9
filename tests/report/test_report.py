"""`mmqb report` on a synthetic graded course: no notebook is executed.

The course is a real nbgrader course (``nbgrader generate_assignment`` on two topics), and the
synthetic results go through the autograder's own :class:`Course` (``write_outputs`` and
``record``), so the gradebook rows and ``.mmqb.json`` files have exactly the shape
``mmqb autograde`` gives them; only the verdicts are made up, with known statuses and failures.
"""

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.build import prepare_course
from autograder.course import gradebook, outputs
from autograder.course.course import Course, Task
from autograder.engine import SubmissionResult
from autograder.report import NO_RESULT, write_report
from autograder.results import CheckResult as Verdict
from autograder.topics import get_topic

BIN = Path(sys.executable).parent
T05, T13 = "t05_attention", "t13_clip_loss"
POINTS = {T05: {"shape": 2, "numeric": 4, "behavior": 4}, T13: {"shape": 2, "numeric": 5, "behavior": 3}}
CHECKS = [("shape_basic", "shape", False), ("shape_batch", "shape", True),
          ("numeric_small", "numeric", False), ("numeric_mask", "numeric", True),
          ("behavior_softmax", "behavior", False), ("behavior_grad", "behavior", True)]
ALL = {name for name, _, _ in CHECKS}
EVIL = "kernel died: <script>alert(1)</script>"
MALLORY = "mallory<b>"
# (assignment, student, status, message, failed checks or None for no checks at all, execution time)
COHORT = [
    (T05, "alice", "ok", "", set(), 3.0),
    (T05, "bob", "ok", "", {"numeric_mask"}, 5.0),
    (T05, MALLORY, "ok", "", {"numeric_mask", "behavior_grad"}, 4.0),
    (T05, "carol", "crashed", EVIL, ALL, 1.0),
    (T05, "dave", "timeout", "wall-clock limit of 90 s exceeded", ALL, 90.0),
    (T05, "frank", "error", "the submission is not valid JSON", None, 0.5),
    (T13, "alice", "ok", "", set(), 2.0),
    (T13, "bob", "memory", "memory limit of 1024 MiB exceeded", ALL, 7.0),
    (T13, "gina", "ok", "", {"numeric_small", "numeric_mask", "behavior_softmax", "behavior_grad"}, 6.0),
]
# gina's t13 result file is deleted afterwards: she is in the gradebook only.


def _result(assignment, status, message, failed, seconds):
    tests = []
    for name, group, hidden in CHECKS if failed is not None else []:
        tests.append(Verdict(name, group, hidden, name not in failed, "" if name not in failed else "wrong"))
    groups = POINTS[assignment]
    group_scores = {g: float(p) if all(t.passed for t in tests if t.group == g) and tests else 0.0
                    for g, p in groups.items()}
    return SubmissionResult(path="x.ipynb", slug=assignment, status=status, message=message,
                            score=sum(group_scores.values()), max_score=float(sum(groups.values())),
                            group_scores=group_scores, tests=tests, execution_time=seconds)


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("report") / "course"
    prepare_course(root, [get_topic(T05), get_topic(T13)])
    for slug in (T05, T13):
        _nbgrader(root, "generate_assignment", slug, "--force", "--create")
    graded = Course(root)
    with Gradebook(graded.db_url) as gb:
        for assignment, student, status, message, failed, seconds in COHORT:
            task = Task(assignment, student, root / "submitted" / student / assignment / "missing.ipynb", None)
            result = _result(assignment, status, message, failed, seconds)
            outputs.write_outputs(graded, task, result)
            gradebook.record(graded, gb, task, result)
        answer = gb.find_grade("t05-attention-answer", T05, T05, "alice")  # alice's essay is graded by hand
        answer.manual_score = 3.0
        answer.needs_manual_grade = False
        gb.db.commit()
    graded.result_path(Task(T13, "gina", Path("x"), None)).unlink()
    broken = root / "autograded" / "zed" / T13 / f"{T13}.mmqb.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{")
    return root


@pytest.fixture(scope="module")
def report(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    summary = write_report(course, out / "report.html", out / "scores.csv")
    return summary, (out / "report.html").read_text(encoding="utf-8"), out / "scores.csv"


def test_summary_figures(report):
    summary, _, _ = report
    assert summary.students == 7
    assert summary.submissions == 9
    assert summary.assignments == [T05, T13]
    assert summary.mean_score == pytest.approx({T05: (10 + 6 + 2) / 6, T13: (10 + 0 + 2) / 3})
    assert summary.max_score == {T05: 10, T13: 10}
    assert summary.status_counts == {"ok": 4, "crashed": 1, "timeout": 1, "error": 1, "memory": 1, NO_RESULT: 1}
    assert summary.needs_manual_by_assignment == {T05: 5, T13: 3}
    assert summary.needs_manual_grading == 8
    assert summary.median_time == pytest.approx({T05: 3.5, T13: 4.5})
    assert summary.max_time == pytest.approx({T05: 90.0, T13: 7.0})


def test_check_failure_rates(report):
    summary, page, _ = report
    rates = summary.failure_rates[T05]
    assert rates["numeric_mask"] == pytest.approx(4 / 5)  # frank's ungradable notebook ran no check
    assert rates["behavior_grad"] == pytest.approx(3 / 5)
    assert rates["shape_basic"] == pytest.approx(2 / 5)
    assert summary.failure_rates[T13] == pytest.approx({name: 1 / 2 for name in ALL})  # gina has no result file
    section = page.split("id=checks", 1)[1].split("id=problems", 1)[0]
    row = re.search(r"<tr><td>t05_attention</td><td>numeric_mask</td><td>numeric</td><td>(.*?)</tr>", section)
    assert row and "hidden" in row.group(1) and "4/5" in row.group(1) and "80%" in row.group(1)
    row = re.search(r"<tr><td>t05_attention</td><td>shape_basic</td><td>shape</td><td>(.*?)</tr>", section)
    assert row and "visible" in row.group(1) and "2/5" in row.group(1) and "40%" in row.group(1)
    t05_order = re.findall(r"<td>t05_attention</td><td>(\w+)</td>", section)
    assert t05_order[:2] == ["numeric_mask", "behavior_grad"]  # sorted by failure rate


def test_page_is_self_contained_with_png_plots(report):
    _, page, _ = report
    images = re.findall(r'<img alt="plot" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', page)
    assert len(images) == 4  # scores, checks, statuses, times
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for data in images)
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<script" not in page and "<link" not in page


def test_student_strings_are_escaped(report):
    _, page, _ = report
    assert EVIL not in page and MALLORY not in page
    assert "kernel died: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "mallory&lt;b&gt;" in page


def test_non_ok_submissions_are_listed(report):
    _, page, _ = report
    listing = page.split("Submissions that are not ok (5)", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td><span class=bad>(.*?)</span></td>", listing)
    assert rows == [(T05, "carol", "crashed"), (T05, "dave", "timeout"), (T05, "frank", "error"),
                    (T13, "bob", "memory"), (T13, "gina", NO_RESULT)]
    assert "wall-clock limit of 90 s exceeded" in listing and "not valid JSON" in listing
    assert "1 result file(s) could not be read" in page


def test_summary_and_manual_sections(report):
    _, page, _ = report
    summary = page.split("id=summary", 1)[1].split("id=scores", 1)[0]
    assert "<div class=card><b>7</b>students</div>" in summary
    assert "<div class=card><b>9</b>submissions</div>" in summary
    assert "<td class=num>3.00 / 10</td><td class=num>30%</td>" in summary
    assert "<td class=num>4.00 / 10</td><td class=num>40%</td>" in summary
    manual = page.split("id=manual", 1)[1]
    assert "<b>8</b> submission(s)" in manual
    t05 = re.search(r"<tr><td>t05_attention</td><td class=num>5</td><td>(.*?)</td></tr>", manual)
    assert t05 and "alice" not in t05.group(1) and "bob" in t05.group(1)


def test_csv_rows(report):
    _, _, csv_path = report
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["assignment", "student", "autograded_score", "autograded_max", "total_score", "total_max",
                       "late_penalty", "needs_manual_grade", "status", "execution_time", "failed_checks"]
    every = ";".join(n for n, _, _ in CHECKS)
    # total = code + written answers (3 points, None counted 0 as nbgrader does); alice's essay scored 3 by hand
    assert rows[1:] == [
        [T05, "alice", "10", "10", "13", "13", "", "false", "ok", "3.000", ""],
        [T05, "bob", "6", "10", "6", "13", "", "true", "ok", "5.000", "numeric_mask"],
        [T05, "carol", "0", "10", "0", "13", "", "true", "crashed", "1.000", every],
        [T05, "dave", "0", "10", "0", "13", "", "true", "timeout", "90.000", every],
        [T05, "frank", "0", "10", "0", "13", "", "true", "error", "0.500", ""],
        [T05, MALLORY, "2", "10", "2", "13", "", "true", "ok", "4.000", "numeric_mask;behavior_grad"],
        [T13, "alice", "10", "10", "10", "13", "", "true", "ok", "2.000", ""],
        [T13, "bob", "0", "10", "0", "13", "", "true", "memory", "7.000", every],
        [T13, "gina", "2", "10", "2", "13", "", "true", NO_RESULT, "", ""],
    ]


def test_gradebook_url_and_manual_override(course, tmp_path):
    """An explicit db_url is used, and the gradebook's (overridden) score wins over the result file."""
    from nbgrader.api import Gradebook

    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    db = tmp_path / "elsewhere.db"
    (copy / "gradebook.db").rename(db)
    with pytest.raises(ValueError, match="no gradebook"):
        write_report(copy, tmp_path / "r.html")
    url = f"sqlite:///{db}"
    with Gradebook(url) as gb:
        grade = gb.find_grade("t05-attention-numeric", T05, T05, "bob")
        grade.manual_score = 4.0
        gb.db.commit()
    summary = write_report(copy, tmp_path / "r.html", db_url=url)
    assert summary.submissions == 9
    assert summary.mean_score[T05] == pytest.approx((10 + 10 + 2) / 6)
    assert json.loads((copy / "autograded" / "bob" / T05 / f"{T05}.mmqb.json").read_text())["score"] == 6
    assert str(db) in (tmp_path / "r.html").read_text()


def test_empty_course(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", str(BIN) + os.pathsep + os.environ["PATH"])  # a new gradebook runs alembic
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment("t05_attention")
    summary = write_report(tmp_path, tmp_path / "out" / "r.html", tmp_path / "out" / "r.csv")
    assert (summary.students, summary.submissions, summary.mean_score) == (0, 0, {})
    assert "No submissions" in (tmp_path / "out" / "r.html").read_text()
    assert (tmp_path / "out" / "r.csv").read_text().splitlines() == [
        "assignment,student,autograded_score,autograded_max,total_score,total_max,late_penalty,needs_manual_grade,"
        "status,execution_time,failed_checks"]
