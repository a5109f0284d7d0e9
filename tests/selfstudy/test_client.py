"""mmqb check: feedback, progress and the key; plain grading data rendered; in-process grading as fallback."""

import json
import os
import re

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.mutation import reference_cell, submission_notebook
from autograder.results import SubmissionResult
from autograder.selfstudy import daemon
from autograder.selfstudy.client import check_notebook, format_check, next_review_line, record_and_render
from autograder.selfstudy.store import Store
from autograder.topics import ROOT, all_topics, get_topic

SLUG = "t05_attention"

# The bank of the release that rendered fixtures/v0_expected.json: its 30 seed topics, 10 points each.
V0_BANK = {"topics": 30, "max_points": 300.0}


def placeholders(text, slug):
    """The feedback with the topic's texts as ``{Reference answer}`` etc., as fixtures/v0_expected.json has it."""
    topic = get_topic(slug)
    for name in ("Reference answer", "Errata"):
        if topic.section(name):  # a coding topic has no reference answer
            text = text.replace(topic.section(name), "{" + name + "}")
    return text.replace(f"{topic.title_zh} · {topic.title_en}", "{titles}")


@pytest.mark.slow
def test_check_gives_per_check_feedback_then_the_key_at_full_score(tmp_path, monkeypatch):
    from autograder.selfstudy.textlayout import width

    monkeypatch.setenv("COLUMNS", "72")  # the terminal's width: every line wrapped to it, between words
    release = nbformat.read(ROOT / "release" / "t05_attention" / "t05_attention.ipynb", as_version=4)
    stub = tmp_path / "t05_attention.ipynb"
    nbformat.write(release, stub)
    out = CliRunner().invoke(main, ["check", str(stub)]).output
    assert "[FAIL] shape.output_shapes" in out and "hint: this check expects" in out
    assert "score: 0 / 10" in out and "参考答案" not in out
    assert "def " not in out and "_np_attention" not in out  # no check code
    assert max(width(line) for line in out.splitlines()) <= 72
    assert "         hint: this check expects" in out  # a wrapped [FAIL] line keeps its hanging indent
    nbformat.write(submission_notebook(release, reference_cell("t05_attention")), stub)
    out = CliRunner().invoke(main, ["check", str(stub)]).output
    assert "score: 10 / 10" in out and "Full score!" in out
    full = out[out.index("Full score!"):]
    # the key points, as Unicode text, and where the rest is: not the essay (the answer is ~9,000 characters)
    topic = get_topic("t05_attention")
    assert len(full.splitlines()) <= 3 + len(topic.rubric("中文")) * 3 + len(topic.rubric("English")) * 3
    assert topic.rubric("English")[0][1].split()[0] in full and topic.rubric("中文")[0][1][:6] in full
    assert "$" not in full and "\\" not in full and "mmqb interview t05" in full
    assert topic.section("Reference answer")[:200] not in out
    assert f"1/{len(all_topics())} topics solved, 1 attempted" in out


def test_feedback_is_what_the_release_before_rendered(v0_workspace, v0_expected):
    store = Store(v0_workspace("v0_workspace"))
    for name, seen in v0_expected["workspace"]["check_feedback"].items():
        result = SubmissionResult.from_dict(seen["result"])
        topic = get_topic(result.slug)
        text = format_check(result, topic, store, V0_BANK)
        # changed on purpose since: the score line says the checks' points are not the written answer's
        written = f" (the notebook's {topic.answer_points:g} written-answer points are graded by hand)" \
            if topic.answer_points else ""
        expected = re.sub(r"^(score: \S+ / \S+)$", lambda m, w=written: f"{m.group(1)} from the checks{w}",
                          seen["text"], flags=re.M)
        # and a full score ends with the key points and where the rest is, not the whole answer
        expected, text = expected.split("\n\nFull score!")[0], text.split("\n\nFull score!")[0]
        assert placeholders(text, result.slug) == expected, name


def test_plain_grading_data_is_recorded_and_rendered(tmp_path, v0_expected):
    seen = v0_expected["workspace"]["check_feedback"]
    partial, full = seen["partial"]["result"], seen["coding_full"]["result"]
    bank = V0_BANK
    result, text = record_and_render({"result": partial, "bank": bank}, tmp_path)
    assert result == SubmissionResult.from_dict(partial)
    store = Store(tmp_path)
    assert store.best() == {SLUG: (4, 10, 1)}
    topic = get_topic(SLUG)
    assert text == format_check(result, topic, store, bank) + "\n" + next_review_line(tmp_path, topic)
    assert "progress: 0/30 topics solved, 1 attempted, 4/300 autograded points" in text
    # a practice check is an attempt (progress), never a review rating
    assert text.splitlines()[-1] == ("review: practice checks are recorded as attempts, not ratings; "
                                     "`mmqb review` brings this exercise in as a new card")
    assert store.reviews() == [] and "no sandbox" not in text
    _, text = record_and_render({"result": full, "bank": bank}, tmp_path)  # graded unsandboxed
    assert "practice checks are recorded as attempts, not ratings" in text.splitlines()[-2]
    assert text.endswith("so your code ran with only time and memory limits")
    ungraded = dict(partial, graded=False, score=None, status="error", message="the worker died")
    result, text = record_and_render({"result": ungraded, "bank": None}, tmp_path)
    assert not result.graded and text == "not graded: the worker died"
    assert Store(tmp_path).best() == {SLUG: (4, 10, 1), "t02_fusion_attention": (10, 10, 1)}  # nothing recorded


def test_check_notebook_grades_in_process_when_the_folder_is_not_private(tmp_path, monkeypatch, capsys, submission):
    folder = tmp_path / "open"
    folder.mkdir()
    os.chmod(folder, 0o755)
    monkeypatch.setenv("MMQB_DAEMON_DIR", str(folder))
    monkeypatch.setenv("MMQB_NO_DAEMON", "0")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    result, text = check_notebook(submission(workspace / f"{SLUG}.ipynb", SLUG, reference_cell(SLUG)), workspace,
                                  120.0)
    assert result.graded and result.score == result.max_score
    assert "grading in this process" in capsys.readouterr().err
    assert not (folder / daemon.SOCKET_NAME).exists()
    assert json.dumps(result.to_dict())  # plain data, as the daemon would send it


def test_check_refuses_what_is_not_an_exercise_notebook_in_one_line(tmp_path):
    (tmp_path / "answer.py").write_text("x = 1\n")
    (tmp_path / "README.ipynb").write_text('{"cells": 5}')
    (tmp_path / "t05_attention.ipynb").write_text("{}")
    cases = {"answer.py": "is not a notebook", "README.ipynb": "is not named after an exercise",
             "t05_attenton.ipynb": "did you mean t05_attention.ipynb?", "missing/t05_attention.ipynb": "no notebook"}
    for name, said in cases.items():
        out = CliRunner().invoke(main, ["check", str(tmp_path / name)])
        assert out.exit_code == 1 and said in out.output, (name, out.output)
        assert len(out.output.strip().splitlines()) == 1 and "Traceback" not in out.output, out.output
    assert not (tmp_path / ".mmqb").exists()  # nothing recorded for a file that is not an exercise


@pytest.mark.slow
def test_a_syntax_error_comes_first_and_names_the_cell_as_the_student_finds_it(tmp_path):
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    solution = next(i for i, c in enumerate(release.cells, start=1)  # the code cell to solve (not the written one)
                    if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    stub = tmp_path / f"{SLUG}.ipynb"
    nbformat.write(submission_notebook(release, "def scaled_dot_product_attention(q, k, v, mask=None)\n    return q"),
                   stub)
    out = CliRunner().invoke(main, ["check", str(stub)]).output
    lines = out.splitlines()
    assert lines[1] == "your code stopped with an error; fix it first, the checks could not use what it defines:"
    assert lines[2] == (f"  error in your solution cell (cell {solution} of the notebook): "
                        "SyntaxError: expected ':' (line 1)")
    assert "hint:" not in out and "is not defined" not in out  # the failures it caused are one line each
    assert "score: 0 / 10 from the checks (the notebook's 3 written-answer points are graded by hand)" in out
