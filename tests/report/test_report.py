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
INJECT = '=HYPERLINK("evil.example","click")'  # a gradebook-only student: no submission at all
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
        gb.update_or_create_student("alice", first_name="Alice", last_name="Liddell", email="alice@example.org")
        gb.update_or_create_student(INJECT, first_name="@SUM(A1)", last_name="+cmd", email="-x@example.org")
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
    summary = write_report(course, out / "report.html", out / "scores.csv", lms_path=out / "grades.csv")
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
    # item analysis on the page: rank, assignment, check, visibility, passed, p, D, flag
    section = page.split("id=checks", 1)[1].split("id=summary", 1)[0]
    items = re.findall(r"<tr><td class=num>(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td class=num>(.*?)</td>"
                       r"<td class=num>(.*?)</td><td class=num>(.*?)</td><td>(.*?)</td></tr>", section)
    assert len(items) == 12
    by_name = {(a, c): (vis, passed, p, d, flag) for _, a, c, vis, passed, p, d, flag in items}
    # T05 ran by alice 10, bob 6, mallory 2, carol 0, dave 0 points (frank: no check): k = round(0.27 * 5) = 1,
    # upper group = alice (10), lower group = carol and dave (tied at 0); numeric_mask: only alice passes
    vis, passed, p, d, flag = by_name[(T05, "numeric_mask")]
    assert "hidden" in vis and passed == "1/5" and p == "0.20" and d == "+1.00" and flag == ""
    assert by_name[(T05, "shape_basic")] == ("visible", "3/5", "0.60", "+1.00", "")
    assert by_name[(T13, "shape_basic")] == ("visible", "1/2", "0.50", "+1.00", "")  # alice passes, bob fails
    ranked = [(a, c) for _, a, c, *_ in items]
    assert ranked[:2] == [(T05, "numeric_mask"), (T05, "behavior_grad")]  # lowest pass rate first
    assert {a for a, _ in ranked[2:8]} == {T13} and {a for a, _ in ranked[8:]} == {T05}
    assert [int(i[0]) for i in items] == list(range(1, 13))


def test_page_is_self_contained_with_png_plots(report):
    _, page, _ = report
    images = re.findall(r'<img alt="plot" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', page)
    assert len(images) == 2  # item analysis, assignments (scores and times on one axis)
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for data in images)
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<script" not in page and "<link" not in page
    # the similarity section is there; this cohort has result files but no notebooks to compare
    assert "<h2 id=similarity>" in page and "0 submission(s) with code of their own compared" in page


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
    cards = page.split("id=cards", 1)[1].split("id=students", 1)[0]
    assert "<div class=card><b>7</b>students who submitted</div>" in cards
    assert "<div class=card><b>9</b>submissions</div>" in cards
    assert "<div class=card><b>0</b>checks flagged</div>" in cards
    summary = page.split("id=summary", 1)[1].split("id=problems", 1)[0]
    # t05: 6 submissions, mean 3.00, 2 students missing (gina and the gradebook-only student)
    assert re.search(r"<td>t05_attention</td><td class=num>6</td><td class=num>3.00 / 10</td><td class=num>30%</td>"
                     r"<td class=num>3</td><td class=num>5</td><td class=num>2</td>", summary)
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
    assert json.loads((copy / ".mmqb" / "results" / "bob" / T05 / f"{T05}.mmqb.json").read_text())["score"] == 6
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


# --------------------------------------------------------------------------- the students, who needs help first

def _students_on_page(page):
    table = page.split("id=student-table", 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td class=num>\d+</td><td class=student>(.*?)</td>(?:<td>([^<]*)</td>)?"
                      r"<td class=num>(.*?)</td><td class=num[^>]*>(\d+)</td><td class=num[^>]*>(\d+)</td>"
                      r"<td>.*?</td><td class=why title=\"(.*?)\">(.*?)</td></tr>", table, re.S)


def test_students_listed_who_needs_help_first(report):
    summary, page, _ = report
    esc = {INJECT: "=HYPERLINK(&#34;evil.example&#34;,&#34;click&#34;)", MALLORY: "mallory&lt;b&gt;"}
    # mean autograded % over t05 and t13 (missing = 0): the gradebook-only student 0 (2 missing), frank 0
    # (1 missing + 1 not graded: tied at 2, ids decide), carol 0 and dave 0 (1 missing each), gina (0 + 20) / 2
    # and mallory (20 + 0) / 2 = 10, bob (60 + 0) / 2 = 30, alice 100
    order = [INJECT, "frank", "carol", "dave", "gina", MALLORY, "bob", "alice"]
    assert [s.student for s in summary.student_stats] == order
    rows = _students_on_page(page)
    assert [r[0] for r in rows] == [esc.get(s, s) for s in order]
    table = {r[0]: r[1:] for r in rows}
    assert table["alice"][:4] == ("Alice Liddell", "100%", "0", "0")
    assert table[esc[INJECT]][:4] == ("@SUM(A1) +cmd", "0%", "2", "0")
    assert table["frank"][1:4] == ("0%", "1", "1")
    assert table["bob"][1:4] == ("30%", "0", "0")
    assert table[esc[MALLORY]][1:4] == ("10%", "1", "0")
    assert table["bob"][5] == ("t13: memory (memory limit of 1024 MiB exceeded); "
                               "t05: 1 check failed (1 hidden): numeric_mask")
    assert table["carol"][5] == "t13: missing; t05: crashed (kernel died: &lt;script&gt;alert(1)&lt;/script&gt;)"
    assert table["frank"][5] == "t13: missing; t05: not graded (the submission is not valid JSON)"
    assert table["gina"][5] == "t05: missing; t13: no mmqb result"
    assert table[esc[MALLORY]][5] == "t13: missing; t05: 2 checks failed (2 hidden): numeric_mask, behavior_grad"
    assert table["alice"][5] == "–"
    trend = {s.student: s.trend for s in summary.student_stats}
    assert trend["alice"] == 0 and trend["bob"] == -60 and trend["gina"] == 20  # t13 minus t05, in points


def _row(assignment, student, score, status="ok", message="", passed=None, max_score=10.0, **extra):
    """A constructed report row; ``passed`` maps check name -> verdict (None: no result file)."""
    from autograder.course.exports import Row

    result = None
    if passed is not None:
        tests = [Verdict(name, "g", name.startswith("h"), ok, "" if ok else "wrong") for name, ok in passed.items()]
        result = SubmissionResult(path="x.ipynb", slug=assignment, status=status, message=message, score=score,
                                  max_score=max_score, tests=tests, graded=status != "error")
    return Row(assignment, student, float(score), max_score, status if result else NO_RESULT, message,
               1.0 if result else None, result, **extra)


def test_discrimination_index_by_hand():
    from autograder.report import FLAG_HARD, FLAG_NEGATIVE, item_analysis

    # ten students with scores 10, 9, ..., 1: k = round(0.27 * 10) = 3, upper = s10 s9 s8, lower = s3 s2 s1
    passes = {"good": {10, 9, 8, 7, 6, 5}, "neg": {8, 3, 2, 1, 5}, "hard": {10}}
    rows = [_row("a1", f"s{n:02d}", n, passed={c: n in who for c, who in passes.items()}) for n in range(1, 11)]
    # ties: scores 5, 5, 5, 0: k = 1, the three tied at 5 are all the upper group, the 0 alone the lower
    tie_scores = {"u1": 5, "u2": 5, "u3": 5, "z": 0}
    rows += [_row("a2", s, v, passed={"tie": s in ("u1", "u2", "z")}) for s, v in tie_scores.items()]
    rows += [_row("a3", s, 4, passed={"flat": s == "x"}) for s in ("x", "y", "z")]  # all tied: D undefined
    items = {(i.assignment, i.name): i for i in item_analysis(rows)}
    assert items[("a1", "good")].discrimination == pytest.approx(3 / 3 - 0 / 3)
    assert items[("a1", "neg")].discrimination == pytest.approx(1 / 3 - 3 / 3)
    assert items[("a1", "hard")].discrimination == pytest.approx(1 / 3 - 0 / 3)
    assert (items[("a1", "neg")].upper, items[("a1", "neg")].lower) == (3, 3)
    assert items[("a2", "tie")].discrimination == pytest.approx(2 / 3 - 1 / 1)
    assert (items[("a2", "tie")].upper, items[("a2", "tie")].lower) == (3, 1)
    assert items[("a3", "flat")].discrimination is None
    assert items[("a1", "hard")].p == pytest.approx(0.1) and items[("a1", "neg")].p == pytest.approx(0.5)
    assert items[("a1", "hard")].flags == [FLAG_HARD]
    assert items[("a1", "neg")].flags == [FLAG_NEGATIVE]
    assert items[("a2", "tie")].flags == [FLAG_NEGATIVE]
    assert items[("a1", "good")].flags == [] and items[("a3", "flat")].flags == []
    # flagged first (by pass rate), then the rest by pass rate: hard .1, neg .5, tie .67, flat .33, good .6
    assert [name for _, name in [(i.assignment, i.name) for i in item_analysis(rows)]] == [
        "hard", "neg", "tie", "flat", "good"]


def _render(rows, tmp_path):
    from autograder.report import render_html, summarise

    summary = summarise(rows, tmp_path / "r.html")
    return summary, render_html(tmp_path, "sqlite:///x.db", rows, summary, 0)


def test_constructed_cohort_order_flags_and_escaping(tmp_path):
    script = "<script>alert(1)</script>"
    rows = [
        _row("a1", "ann", 10, passed={"c": True}), _row("a2", "ann", 10, passed={"c": True}),
        _row("a3", "ann", 10, passed={"c": True}),
        _row("a1", "ben", 5, passed={"c": False}), _row("a3", "ben", 5, passed={"c": False}),
        _row("a1", "cat", 0, "crashed", "kernel died", passed={"c": False}), _row("a2", "cat", 10, passed={"c": True}),
        _row("a3", "cat", 0, "error", "not a notebook", passed={}),
        _row("a1", "dan", 10, passed={"c": True}),
        _row("a1", script, 2, passed={"c": False}), _row("a2", script, 2, passed={"c": False}),
        _row("a3", script, 2, passed={"c": False}),
    ]
    summary, page = _render(rows, tmp_path)
    # means: the script student 20; ben (50 + 0 + 50) / 3, cat (0 + 100 + 0) / 3, dan (100 + 0 + 0) / 3 all
    # 33.3: dan has 2 missing, ben 1 missing, cat 1 not graded (ben before cat by id); ann 100
    order = [script, "dan", "ben", "cat", "ann"]
    assert [s.student for s in summary.student_stats] == order
    assert [s.trend for s in summary.student_stats] == [0, -100, 0, 0, 0]  # a3 minus a1 (a2 is the middle)
    on_page = [r[0] for r in _students_on_page(page)]
    assert on_page == ["&lt;script&gt;alert(1)&lt;/script&gt;", "dan", "ben", "cat", "ann"]
    assert script not in page and "<script" not in page
    cat = summary.student_stats[3]
    assert (cat.missing, cat.not_graded) == ([], ["a3"])
    assert cat.problems == "a3: not graded (not a notebook); a1: crashed (kernel died)"
    assert summary.student_stats[1].problems == "a2, a3: missing"
    # check c of a2: ann 10 and cat 10 pass (upper, tied), the script student 2 fails (lower): D = 1
    a2 = next(i for i in summary.items if i.assignment == "a2")
    assert (a2.p, a2.discrimination, a2.flags) == (pytest.approx(2 / 3), pytest.approx(1.0), [])


def test_problem_line_is_cut_short():
    from autograder.report import student_stats

    rows = [_row(f"t{n:02d}_topic", "sam", 0, passed={f"check_{n}_with_a_long_name_{i}": False for i in range(5)})
            for n in range(1, 21)]
    stat = student_stats(rows)[0]
    assert 150 < len(stat.problems) <= 160 and stat.problems.endswith("…")
    assert stat.problems.startswith("t01: 5 checks failed: check_1_with_a_long_name_0, "
                                    "check_1_with_a_long_name_1, …; t02: 5 checks failed: check_2_")
    assert len(stat.details) > 160


# --------------------------------------------------------------------------- LMS export

def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_lms_csv_canvas(report):
    _, _, csv_path = report
    rows = _read(csv_path.parent / "grades.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", T05, T13]
    safe = "'" + INJECT  # a leading apostrophe: shown as text, never run as a formula
    # final = max(0, raw score (code + written, manual first) - late penalty); not submitted = 0 as nbgrader export
    assert rows[1:] == [
        ["'+cmd, @SUM(A1)", "", safe, safe, "", "0", "0"],
        ["Liddell, Alice", "", "alice", "alice", "", "13", "10"],
        ["bob", "", "bob", "bob", "", "6", "0"],
        ["carol", "", "carol", "carol", "", "0", "0"],
        ["dave", "", "dave", "dave", "", "0", "0"],
        ["frank", "", "frank", "frank", "", "0", "0"],
        ["gina", "", "gina", "gina", "", "0", "2"],
        [MALLORY, "", MALLORY, MALLORY, "", "2", "0"],
    ]


def test_lms_csv_moodle_and_cli(course, tmp_path):
    out = tmp_path / "moodle.csv"
    proc = subprocess.run([str(BIN / "mmqb"), "report", "--course", str(course), "--out", str(tmp_path / "r.html"),
                           "--lms", str(out), "--lms-format", "moodle"], capture_output=True, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"LMS grades (moodle): {out}" in proc.stdout
    rows = _read(out)
    assert rows[0] == ["ID number", "First name", "Last name", "Email address", T05, T13, "Total"]
    assert rows[1] == ["'" + INJECT, "'@SUM(A1)", "'+cmd", "'-x@example.org", "0", "0", "0"]
    assert rows[2] == ["alice", "Alice", "Liddell", "alice@example.org", "13", "10", "23"]
    assert rows[3] == ["bob", "", "", "", "6", "0", "6"]
    bad = subprocess.run([str(BIN / "mmqb"), "report", "--course", str(course), "--out", str(tmp_path / "r.html"),
                          "--lms", str(out), "--lms-format", "blackboard"], capture_output=True, text=True)
    assert bad.returncode != 0


def test_lms_final_score_late_penalty_and_injection(tmp_path):
    from autograder.course.exports import Student, spreadsheet_safe, write_lms_csv

    rows = [_row("hw1", "=1+1", 3.5, total_score=7.5, total_max=13.0, late_penalty=2.0),
            _row("hw1", "@me", 2.0, total_score=4.0, total_max=13.0, late_penalty=6.0),  # penalty beyond the score
            _row("hw2", "@me", 10.0, total_score=10.25, total_max=13.0)]
    write_lms_csv(rows, {"@me": Student("@me", "\tTab", "\rCR")}, tmp_path / "g.csv", "moodle")
    assert _read(tmp_path / "g.csv") == [
        ["ID number", "First name", "Last name", "Email address", "hw1", "hw2", "Total"],
        ["'=1+1", "", "", "", "5.5", "0", "5.5"],
        ["'@me", "'\tTab", "'\rCR", "", "0", "10.25", "10.25"],
    ]
    assert spreadsheet_safe("-3.5") == "-3.5" and spreadsheet_safe("-cmd") == "'-cmd"
    assert spreadsheet_safe("+1") == "+1" and spreadsheet_safe("=1") == "'=1"
    with pytest.raises(ValueError, match="unknown LMS format"):
        write_lms_csv(rows, {}, tmp_path / "x.csv", "blackboard")


def test_the_report_shows_a_planted_copy(course, tmp_path):
    import shutil

    import nbformat

    from autograder.mutation import reference_cell, submission_notebook
    from autograder.topics import ROOT

    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    release = nbformat.read(ROOT / "release" / T13 / f"{T13}.ipynb", as_version=4)
    original = reference_cell(T13)
    renamed = original.replace("logits", "scores").replace("labels", "targets")  # a copier's disguise
    assert renamed != original
    for student, code in (("alice", original), ("bob", renamed), ("carol", None)):
        path = copy / "submitted" / student / T13 / f"{T13}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission_notebook(release, code), path)
    write_report(copy, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<b>alice</b> and <b>bob</b>" in page
    assert "carol</b>" not in page.split("<h2 id=similarity>")[1]  # the untouched stub is nobody's copy
    write_report(copy, tmp_path / "r2.html", similarity=False)
    assert "id=similarity" not in (tmp_path / "r2.html").read_text(encoding="utf-8")
