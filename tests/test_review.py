"""mmqb review: the FSRS schedule with a fixed clock, restarts, sessions, stats, terminal text.

The oracle for every due date is the ``fsrs`` package itself, driven here with the schedule's
documented settings (no fuzzing; interview questions with one 10-minute learning and
relearning step, exercises with none) and the same ratings at the same times.
"""

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import fsrs
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.practice import Progress
from autograder.review import Schedule, Terminal, format_stats, pad, run_session, width, wrap
from autograder.topics import ROOT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEN_MINUTES = (timedelta(minutes=10),)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def oracle_interview():
    return fsrs.Scheduler(learning_steps=TEN_MINUTES, relearning_steps=TEN_MINUTES, enable_fuzzing=False)


def oracle_exercise():
    return fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def replay(scheduler, events):
    card = fsrs.Card(card_id=1)
    dues = []
    for at, rating in events:
        card, _ = scheduler.review_card(card, rating, at)
        dues.append(card.due)
    return dues


def test_interview_ratings_give_the_due_dates_fsrs_computes(tmp_path):
    clock = Clock()
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    R = fsrs.Rating
    events = [(T0, R.Good), (T0 + timedelta(days=3), R.Good), (T0 + timedelta(days=15), R.Again),
              (T0 + timedelta(days=15, minutes=11), R.Good), (T0 + timedelta(days=20), R.Hard),
              (T0 + timedelta(days=40), R.Easy)]
    got = []
    for at, rating in events:
        clock.now = at
        got.append(schedule.rate("interview:t05_attention", int(rating)).card.due)
    expected = replay(oracle_interview(), events)
    assert got == expected
    # the schedule is not trivial: Good graduates for days, Again comes back after the 10-minute step
    assert expected[0] - T0 >= timedelta(days=1)
    assert expected[2] == events[2][0] + timedelta(minutes=10)
    assert expected[5] - events[5][0] > expected[1] - events[1][0]
    # the other items are untouched
    assert schedule.card("interview:t13_clip_loss").is_new


def test_exercise_ratings_come_from_check_scores(tmp_path):
    clock = Clock()
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    progress = Progress(tmp_path)
    attempts = [(T0, 3, 10, "ok"), (T0 + timedelta(minutes=30), 10, 10, "ok"),
                (T0 + timedelta(days=6), 0, 10, "timeout"), (T0 + timedelta(days=7), 10, 10, "ok")]
    for at, score, top, status in attempts:
        progress.record_attempt("t02_fusion_attention", score, top, status, at=at.timestamp())
    R = fsrs.Rating
    expected = replay(oracle_exercise(), [(T0, R.Again), (attempts[1][0], R.Good), (attempts[2][0], R.Again),
                                          (attempts[3][0], R.Good)])
    state = schedule.card("exercise:t02_fusion_attention")
    assert state.card.due == expected[-1]
    assert [r for _, r, _ in state.reviews] == [R.Again, R.Good, R.Again, R.Good]
    # an exercise without learning steps: a failed check brings it back a day later, not in minutes
    assert replay(oracle_exercise(), [(T0, R.Again)])[0] - T0 >= timedelta(days=1)
    with pytest.raises(ValueError, match="mmqb check"):
        schedule.rate("exercise:t02_fusion_attention", 3)


def test_state_survives_a_restart(tmp_path):
    clock = Clock()
    Schedule(tmp_path, tz=UTC, clock=clock).rate("interview:t05_attention", "Good")
    clock.now = T0 + timedelta(days=2, hours=1)
    Schedule(tmp_path, tz=UTC, clock=clock).rate("interview:t05_attention", "again")
    code = (f"from pathlib import Path; from autograder.review import Schedule; "
            f"print(Schedule(Path({str(tmp_path)!r})).card('interview:t05_attention').card.due.isoformat())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    expected = replay(oracle_interview(), [(T0, fsrs.Rating.Good), (clock.now, fsrs.Rating.Again)])[-1]
    assert datetime.fromisoformat(out.stdout.strip()) == expected


def pipe_terminal(lines):
    return Terminal(stdin=io.StringIO("".join(f"{line}\n" for line in lines)), stdout=io.StringIO())


def test_again_shows_the_card_again_in_the_same_session(tmp_path):
    schedule = Schedule(tmp_path, tz=UTC, clock=Clock())
    # one new item today (t01's interview question): answer, rate Again, next; answer, rate Good
    term = pipe_terminal(["class weights", "", "1", "", "class weights and modality dropout", "", "3"])
    summary = run_session(schedule, tmp_path, term, new_per_day=1)
    out = term.stdout.getvalue()
    assert out.count("请简述多模态大模型中常见的问题及其解决方案") == 2
    assert [(k, int(r)) for k, r in summary.ratings] == [("interview:t01_class_balance", 1),
                                                          ("interview:t01_class_balance", 3)]
    assert "2 of 2" in out and "参考答案 / Reference answer" in out and "评分要点 / Rubric" in out
    assert Progress(tmp_path).answers("t01_class_balance") == ["class weights", "class weights and modality dropout"]
    due = replay(oracle_interview(), [(T0, fsrs.Rating.Again), (T0, fsrs.Rating.Good)])[-1]
    assert schedule.card("interview:t01_class_balance").card.due == due
    assert schedule.queue(1) == []  # the one new item of the day is learned; nothing else is due


def test_session_checks_an_exercise_and_q_quits(tmp_path):
    clock = Clock()
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    (tmp_path / "t01_class_balance.ipynb").write_text("{}")
    checked = []

    def fake_check(path, workspace):
        checked.append(path.name)
        Progress(workspace).record_attempt("t01_class_balance", 10, 10, "ok", at=clock.now.timestamp())
        return SimpleNamespace(score=10, max_score=10), "score: 10 / 10"

    # skip the interview question (empty answer, then s), check the exercise, then q at the next item
    term = pipe_terminal(["", "s", "c", "q"])
    summary = run_session(schedule, tmp_path, term, new_per_day=3, check=fake_check)
    assert checked == ["t01_class_balance.ipynb"]
    assert [(k, int(r)) for k, r in summary.ratings] == [("exercise:t01_class_balance", 3)]
    assert summary.skipped == 1
    assert schedule.card("interview:t01_class_balance").is_new
    assert schedule.card("exercise:t02_fusion_attention").is_new  # q quit before it was shown
    assert schedule.card("exercise:t01_class_balance").card.due == replay(oracle_exercise(),
                                                                         [(T0, fsrs.Rating.Good)])[0]


def test_ctrl_c_keeps_what_was_rated(tmp_path):
    schedule = Schedule(tmp_path, tz=UTC, clock=Clock())

    class Interrupted(Terminal):
        def key(self):
            if self.stdout.getvalue().count("any key: next card"):
                raise KeyboardInterrupt
            return super().key()

    term = Interrupted(stdin=io.StringIO("answer\n\n4\n"), stdout=io.StringIO())
    summary = run_session(schedule, tmp_path, term, new_per_day=3)
    assert summary.interrupted and "interrupted: 1 rating(s) saved" in term.stdout.getvalue()
    reviews = Schedule(tmp_path, tz=UTC, clock=Clock()).card("interview:t01_class_balance").reviews
    assert [(at, int(r)) for at, r, _ in reviews] == [(T0, 4)]


def test_queue_puts_due_cards_first_and_limits_new_items(tmp_path):
    clock = Clock()
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    assert [i.key for i in schedule.queue(3)] == ["interview:t01_class_balance", "exercise:t01_class_balance",
                                                  "exercise:t02_fusion_attention"]
    schedule.rate("interview:t05_attention", "Good")
    assert [i.key for i in schedule.queue(2)] == ["interview:t01_class_balance"]  # one of 2 new used today
    clock.now = T0 + timedelta(days=1)
    assert len(schedule.queue(0)) == 0
    due = replay(oracle_interview(), [(T0, fsrs.Rating.Good)])[0]
    clock.now = due
    assert [i.key for i in schedule.queue(0)] == ["interview:t05_attention"]
    assert schedule.queue(2)[0].key == "interview:t05_attention"


def test_stats_retention_and_forecast(tmp_path):
    clock = Clock()
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    for days, rating in ((0, 3), (4, 3), (20, 1)):  # learn, recall a learned card, forget it
        clock.now = T0 + timedelta(days=days)
        schedule.rate("interview:t13_clip_loss", rating)
    clock.now = T0 + timedelta(days=20, minutes=30)
    Progress(tmp_path).record_attempt("t04_encoder_decoder", 10, 10, "ok", at=clock.now.timestamp())
    stats = schedule.stats()
    assert (stats.recalled, stats.reviewed_learned) == (1, 2) and stats.retention == 0.5
    assert (stats.new, stats.total) == (43, 45)
    assert [s.item.key for s in stats.due] == ["interview:t13_clip_loss"]  # relearning step over
    assert len(stats.forecast) == 14 and stats.forecast[0] == (clock.now.date(), 1)
    exercise_due = replay(oracle_exercise(), [(clock.now, fsrs.Rating.Good)])[0].date()
    counts = dict(stats.forecast)
    assert sum(counts.values()) == 2 and counts[exercise_due] == 1
    text = format_stats(schedule, stats)
    assert "retention so far: 50% (1 of 2" in text and "CLIP 对比损失" in text


def test_stats_columns_align_with_chinese_titles(tmp_path):
    clock = Clock()
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    titles = {"t05": "Scaled dot-product attention", "t01": "Common problems of multimodal models",
              "t13": "CLIP contrastive loss"}
    for key in ("interview:t05_attention", "interview:t01_class_balance", "interview:t13_clip_loss"):
        schedule.rate(key, "Again")
    text = format_stats(schedule, schedule.stats(), columns=200)
    rows = {line.split()[0]: line for line in text.splitlines() if "due today" in line}
    assert sorted(rows) == ["t01", "t05", "t13"]
    # the English titles start in one display column although the Chinese titles before them
    # (缩放点积注意力, CLIP 对比损失, and a long one cut with …) have different character counts
    starts = {width(row[:row.index(titles[tid])]) for tid, row in rows.items()}
    assert len(starts) == 1
    assert len({row.index(titles[tid]) for tid, row in rows.items()}) == 3
    assert "…" in rows["t01"] and all(width(row) <= 200 for row in rows.values())


def test_wrap_and_pad_count_display_columns():
    text = "注意力需要计算所有 query-key 对，复杂度 $O(L^2 d)$，通常比卷积或池化更贵；它提高的是表达能力，“不是效率”。"
    lines = wrap(text, 20)
    assert all(width(line) <= 20 for line in lines) and len(lines) > 3
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("，", "；", "。", "”")) or line.endswith("“") for line in lines)
    assert width("缩放点积") == 8 and width(pad("缩放", 6)) == 6 and pad("ab", 6) == "ab    "


def test_bad_input_is_an_error(tmp_path):
    schedule = Schedule(tmp_path, tz=UTC, clock=Clock())
    key = "interview:t05_attention"
    for bad in (None, 3.0, True, [3]):
        with pytest.raises(TypeError, match="rating must be"):
            schedule.rate(key, bad)
    for bad in (0, 5, "3", "Perfect"):
        with pytest.raises(ValueError, match="rating must be"):
            schedule.rate(key, bad)
    with pytest.raises(TypeError, match="item key"):
        schedule.rate(5, 3)
    with pytest.raises(ValueError, match="unknown review item 'interview:t02_fusion_attention'"):
        schedule.rate("interview:t02_fusion_attention", 3)  # t02 is a coding topic: no interview item
    with pytest.raises(TypeError, match="new_per_day"):
        schedule.queue(1.5)
    with pytest.raises(ValueError, match="new_per_day must be >= 0, got -1"):
        schedule.queue(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        Schedule(tmp_path, tz=UTC, clock=lambda: datetime(2026, 3, 2)).now()
    with pytest.raises(TypeError, match="workspace must be a path"):
        Schedule(None)
    assert schedule.card(key).is_new  # nothing bad was stored


def test_review_commands(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["review", "--stats", "--workspace", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "new (never reviewed): 45" in out.output and "forecast, next 14 days" in out.output
    out = runner.invoke(main, ["review", "--workspace", str(tmp_path), "--new", "1"], input="q\n")
    assert out.exit_code == 0, out.output
    assert "请简述多模态大模型中常见的问题" in out.output and "session over: 0 rating(s) saved" in out.output
    out = runner.invoke(main, ["review", "--workspace", str(tmp_path), "--new", "-1"])
    assert out.exit_code != 0 and "-1" in out.output


def test_an_exercise_can_be_solved_again_from_a_fresh_copy(tmp_path):
    clock = Clock()
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    mine = tmp_path / "t01_class_balance.ipynb"
    mine.write_text("my solution")
    term = pipe_terminal(["", "s", "n", "s", "q"])  # skip the interview question; fresh copy; skip
    run_session(schedule, tmp_path, term, new_per_day=2)
    release = ROOT / "release" / "t01_class_balance" / "t01_class_balance.ipynb"
    assert mine.read_bytes() == release.read_bytes()
    assert (tmp_path / "t01_class_balance.20260302-090000.ipynb").read_text() == "my solution"
    assert schedule.card("exercise:t01_class_balance").is_new  # a fresh copy is not a rating
