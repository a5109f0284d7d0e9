"""Self-study commands: practice workspace, local check with progress, interview mode."""

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.mutation import reference_cell, submission_notebook
from autograder.practice import Progress, copy_release, overall
from autograder.topics import ROOT, get_topic


def test_practice_copies_without_touching_release_or_learner_work(tmp_path):
    release = ROOT / "release" / "t05_attention" / "t05_attention.ipynb"
    before = release.read_bytes()
    result = CliRunner().invoke(main, ["practice", "t05", "--workspace", str(tmp_path), "--no-lab"])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "t05_attention.ipynb"
    assert copy.read_bytes() == before
    copy.write_text("my work")
    copy_release(tmp_path, [get_topic("t05")])
    assert copy.read_text() == "my work"
    assert release.read_bytes() == before


def test_unknown_topic_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["practice", "t99", "--workspace", str(tmp_path), "--no-lab"])
    assert result.exit_code != 0 and "unknown topic 't99'" in result.output


def test_progress_keeps_best_score_per_topic(tmp_path):
    progress = Progress(tmp_path)
    progress.record_attempt("t05_attention", 2, 10, "ok")
    progress.record_attempt("t05_attention", 10, 10, "ok")
    progress.record_attempt("t13_clip_loss", 3, 10, "ok")
    assert progress.best()["t05_attention"] == (10, 10, 2)
    summary = overall(progress)
    assert (summary.solved, summary.attempted, summary.points) == (1, 2, 13)


@pytest.mark.slow
def test_check_gives_per_check_feedback_then_the_key_at_full_score(tmp_path):
    release = nbformat.read(ROOT / "release" / "t05_attention" / "t05_attention.ipynb", as_version=4)
    stub = tmp_path / "t05_attention.ipynb"
    nbformat.write(release, stub)
    out = CliRunner().invoke(main, ["check", str(stub)]).output
    assert "[FAIL] shape.output_shapes" in out and "hint: this check expects" in out
    assert "score: 0 / 10" in out and "参考答案" not in out
    assert "def " not in out and "_np_attention" not in out  # no check code
    nbformat.write(submission_notebook(release, reference_cell("t05_attention")), stub)
    out = CliRunner().invoke(main, ["check", str(stub)]).output
    assert "score: 10 / 10" in out and "Full score!" in out
    assert "参考答案 / Reference answer" in out and "勘误 / Errata" in out
    assert "1/30 topics solved, 1 attempted" in out


def test_interview_records_the_answer_and_shows_the_key(tmp_path):
    result = CliRunner().invoke(main, ["interview", "t05", "--workspace", str(tmp_path)],
                                input="Attention weighs values by similarity.\n\n")
    assert result.exit_code == 0, result.output
    assert "请简述多模态大模型中的注意力机制" in result.output
    assert result.output.index("Your answer") < result.output.index("参考答案 / Reference answer")
    assert Progress(tmp_path).answers("t05_attention") == ["Attention weighs values by similarity."]


def test_interview_refuses_a_coding_topic(tmp_path):
    result = CliRunner().invoke(main, ["interview", "t02", "--workspace", str(tmp_path)], input="\n")
    assert result.exit_code != 0 and "coding topic" in result.output
