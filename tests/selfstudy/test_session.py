"""mmqb review and mmqb interview: sessions through a piped terminal, the commands, the interview.

(The same in a real terminal, driven by tmux: test_session_terminal.py.)
"""

import io
from datetime import UTC
from types import SimpleNamespace

import fsrs
from click.testing import CliRunner

from autograder.cli import main
from autograder.selfstudy.schedule import Schedule
from autograder.selfstudy.session import Terminal, run_session
from autograder.selfstudy.store import Store
from autograder.topics import ROOT, all_topics


def test_again_shows_the_card_again_in_the_same_session(tmp_path, clock, t0, oracle, pipe_terminal):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    # one new item today (t01's interview question): answer, rate Again, next; answer, ask for the full
    # answer (f), rate Good
    term = pipe_terminal(["class weights", "", "1", "", "class weights and modality dropout", "", "f", "3"])
    summary = run_session(schedule, tmp_path, term, new_per_day=1)
    out = term.stdout.getvalue()
    assert out.count("请简述多模态大模型中常见的问题及其解决方案") == 2
    assert [(k, int(r)) for k, r in summary.ratings] == [("interview:t01_class_balance", 1),
                                                          ("interview:t01_class_balance", 3)]
    assert "2 of 2" in out and out.count("评分要点 / Key points") == 2
    # the card shows the key points; the reference answer, errata and follow-ups only when asked for
    assert out.count("参考答案 / Reference answer") == 1 and out.count("追问 / Follow-up questions") == 1
    assert out.index("评分要点", out.index("2 of 2")) < out.index("参考答案") < out.index("Good: next review")
    assert "f full answer" in out
    assert Store(tmp_path).answers("t01_class_balance") == ["class weights", "class weights and modality dropout"]
    due = oracle.replay(oracle.interview(), [(t0, fsrs.Rating.Again), (t0, fsrs.Rating.Good)])[-1]
    assert schedule.card("interview:t01_class_balance").card.due == due
    assert schedule.queue(1) == []  # the one new item of the day is learned; nothing else is due


def test_session_checks_an_exercise_and_q_quits(tmp_path, clock, t0, oracle, pipe_terminal):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    (tmp_path / "t01_class_balance.ipynb").write_text("{}")
    checked = []

    def fake_check(path, workspace):
        checked.append(path.name)
        Store(workspace).record_attempt("t01_class_balance", 10, 10, "ok", at=clock.now.timestamp())
        return SimpleNamespace(score=10, max_score=10), "score: 10 / 10"

    # skip the interview question (empty answer, then s), check the exercise, then q at the next item
    term = pipe_terminal(["", "s", "c", "q"])
    summary = run_session(schedule, tmp_path, term, new_per_day=3, check=fake_check)
    assert checked == ["t01_class_balance.ipynb"]
    assert [(k, int(r)) for k, r in summary.ratings] == [("exercise:t01_class_balance", 3)]
    assert summary.skipped == 1
    assert schedule.card("interview:t01_class_balance").is_new
    assert schedule.card("exercise:t02_fusion_attention").is_new  # q quit before it was shown
    assert schedule.card("exercise:t01_class_balance").card.due == oracle.replay(oracle.exercise(),
                                                                                 [(t0, fsrs.Rating.Good)])[0]


def test_ctrl_c_keeps_what_was_rated(tmp_path, clock, t0):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)

    class Interrupted(Terminal):
        def key(self):
            if self.stdout.getvalue().count("any key: next card"):
                raise KeyboardInterrupt
            return super().key()

    term = Interrupted(stdin=io.StringIO("answer\n\n4\n"), stdout=io.StringIO())
    summary = run_session(schedule, tmp_path, term, new_per_day=3)
    assert summary.interrupted and "interrupted: 1 rating(s) saved" in term.stdout.getvalue()
    reviews = Schedule(tmp_path, tz=UTC, clock=clock).card("interview:t01_class_balance").reviews
    assert [(at, int(r)) for at, r, _ in reviews] == [(t0, 4)]


def test_review_commands(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["review", "--stats", "--workspace", str(tmp_path)])
    assert out.exit_code == 0, out.output
    items = len(all_topics()) + sum(t.is_concept for t in all_topics())
    assert f"new (never reviewed): {items}" in out.output and "forecast, next 14 days" in out.output
    out = runner.invoke(main, ["review", "--workspace", str(tmp_path), "--new", "1"], input="q\n")
    assert out.exit_code == 0, out.output
    assert "请简述多模态大模型中常见的问题" in out.output and "session over: 0 rating(s) saved" in out.output
    out = runner.invoke(main, ["review", "--workspace", str(tmp_path), "--new", "-1"])
    assert out.exit_code != 0 and "-1" in out.output


def test_an_exercise_can_be_solved_again_from_a_fresh_copy(tmp_path, clock, pipe_terminal):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    mine = tmp_path / "t01_class_balance.ipynb"
    mine.write_text("my solution")
    term = pipe_terminal(["", "s", "n", "s", "q"])  # skip the interview question; fresh copy; skip
    run_session(schedule, tmp_path, term, new_per_day=2)
    release = ROOT / "release" / "t01_class_balance" / "t01_class_balance.ipynb"
    assert mine.read_bytes() == release.read_bytes()
    assert (tmp_path / "t01_class_balance.20260302-090000.ipynb").read_text() == "my solution"
    assert schedule.card("exercise:t01_class_balance").is_new  # a fresh copy is not a rating


def test_interview_records_the_answer_and_shows_the_key(tmp_path):
    result = CliRunner().invoke(main, ["interview", "t05", "--workspace", str(tmp_path)],
                                input="Attention weighs values by similarity.\n\n")
    assert result.exit_code == 0, result.output
    assert "请简述多模态大模型中的注意力机制" in result.output
    assert result.output.index("Your answer") < result.output.index("参考答案 / Reference answer")
    assert Store(tmp_path).answers("t05_attention") == ["Attention weighs values by similarity."]


def test_interview_refuses_a_coding_topic(tmp_path):
    result = CliRunner().invoke(main, ["interview", "t02", "--workspace", str(tmp_path)], input="\n")
    assert result.exit_code != 0 and "coding topic" in result.output
