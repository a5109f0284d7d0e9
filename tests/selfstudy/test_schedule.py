"""The FSRS schedule with a fixed clock: due dates, exercise ratings from checks, restarts, queue, stats.

The oracle for every due date is the ``fsrs`` package itself (the ``oracle`` fixture), driven with
the schedule's documented settings (no fuzzing; interview questions with one 10-minute learning
and relearning step, exercises with none) and the same ratings at the same times.
"""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from autograder.selfstudy.schedule import Schedule
from autograder.selfstudy.session import format_stats
from autograder.selfstudy.store import Store
from autograder.topics import ROOT, all_topics


def test_interview_ratings_give_the_due_dates_fsrs_computes(tmp_path, clock, t0, oracle):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    R = fsrs.Rating
    events = [(t0, R.Good), (t0 + timedelta(days=3), R.Good), (t0 + timedelta(days=15), R.Again),
              (t0 + timedelta(days=15, minutes=11), R.Good), (t0 + timedelta(days=20), R.Hard),
              (t0 + timedelta(days=40), R.Easy)]
    got = []
    for at, rating in events:
        clock.now = at
        got.append(schedule.rate("interview:t05_attention", int(rating)).card.due)
    expected = oracle.replay(oracle.interview(), events)
    assert got == expected
    # the schedule is not trivial: Good graduates for days, Again comes back after the 10-minute step
    assert expected[0] - t0 >= timedelta(days=1)
    assert expected[2] == events[2][0] + timedelta(minutes=10)
    assert expected[5] - events[5][0] > expected[1] - events[1][0]
    # the other items are untouched
    assert schedule.card("interview:t13_clip_loss").is_new


def test_exercise_ratings_come_from_checks_in_reviews_not_from_practice(tmp_path, clock, t0, oracle):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    progress = Store(tmp_path)
    # a fix-and-recheck loop outside a review: three attempts, no rating
    for minutes, score in ((0, 3), (1, 6), (2, 10)):
        at = t0 + timedelta(minutes=minutes)
        progress.record_attempt("t02_fusion_attention", score, 10, "ok", at=at.timestamp())
    assert schedule.card("exercise:t02_fusion_attention").is_new
    assert progress.best()["t02_fusion_attention"] == (10, 10, 3)
    checks = [(t0, 3, 10), (t0 + timedelta(minutes=30), 10, 10), (t0 + timedelta(days=6), 0, 10),
              (t0 + timedelta(days=7), 10, 10)]
    for at, score, top in checks:  # checks in reviews: full score Good, anything else Again
        clock.now = at
        schedule.rate_exercise("exercise:t02_fusion_attention", score, top)
    R = fsrs.Rating
    expected = oracle.replay(oracle.exercise(), [(t0, R.Again), (checks[1][0], R.Good),
                                                 (checks[2][0], R.Again), (checks[3][0], R.Good)])
    state = schedule.card("exercise:t02_fusion_attention")
    assert state.card.due == expected[-1]
    assert [r for _, r, _ in state.reviews] == [R.Again, R.Good, R.Again, R.Good]
    # an exercise without learning steps: a failed check brings it back a day later, not in minutes
    assert oracle.replay(oracle.exercise(), [(t0, R.Again)])[0] - t0 >= timedelta(days=1)
    with pytest.raises(ValueError, match="its check in `mmqb review`"):
        schedule.rate("exercise:t02_fusion_attention", 3)
    with pytest.raises(ValueError, match="the learner rates it"):
        schedule.rate_exercise("interview:t05_attention", 10, 10)


def test_state_survives_a_restart(tmp_path, clock, t0, oracle):
    Schedule(tmp_path, tz=UTC, clock=clock).rate("interview:t05_attention", "Good")
    clock.now = t0 + timedelta(days=2, hours=1)
    Schedule(tmp_path, tz=UTC, clock=clock).rate("interview:t05_attention", "again")
    code = (f"from pathlib import Path; from autograder.selfstudy.schedule import Schedule; "
            f"print(Schedule(Path({str(tmp_path)!r})).card('interview:t05_attention').card.due.isoformat())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    expected = oracle.replay(oracle.interview(), [(t0, fsrs.Rating.Good), (clock.now, fsrs.Rating.Again)])[-1]
    assert datetime.fromisoformat(out.stdout.strip()) == expected


def test_queue_puts_due_cards_first_and_limits_new_items(tmp_path, clock, t0, oracle):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    assert [i.key for i in schedule.queue(3)] == ["interview:t01_class_balance", "exercise:t01_class_balance",
                                                  "exercise:t02_fusion_attention"]
    schedule.rate("interview:t05_attention", "Good")
    assert [i.key for i in schedule.queue(2)] == ["interview:t01_class_balance"]  # one of 2 new used today
    clock.now = t0 + timedelta(days=1)
    assert len(schedule.queue(0)) == 0
    due = oracle.replay(oracle.interview(), [(t0, fsrs.Rating.Good)])[0]
    clock.now = due
    assert [i.key for i in schedule.queue(0)] == ["interview:t05_attention"]
    assert schedule.queue(2)[0].key == "interview:t05_attention"


def test_stats_retention_and_forecast(tmp_path, clock, t0, oracle):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    for days, rating in ((0, 3), (4, 3), (20, 1)):  # learn, recall a learned card, forget it
        clock.now = t0 + timedelta(days=days)
        schedule.rate("interview:t13_clip_loss", rating)
    clock.now = t0 + timedelta(days=20, minutes=30)
    schedule.rate_exercise("exercise:t04_encoder_decoder", 10, 10)
    stats = schedule.stats()
    assert (stats.recalled, stats.reviewed_learned) == (1, 2) and stats.retention == 0.5
    items = len(all_topics()) + sum(t.is_concept for t in all_topics())  # exercises + interview questions
    assert (stats.new, stats.total) == (items - 2, items)
    assert [s.item.key for s in stats.due] == ["interview:t13_clip_loss"]  # relearning step over
    assert len(stats.forecast) == 14 and stats.forecast[0] == (clock.now.date(), 1)
    exercise_due = oracle.replay(oracle.exercise(), [(clock.now, fsrs.Rating.Good)])[0].date()
    counts = dict(stats.forecast)
    assert sum(counts.values()) == 2 and counts[exercise_due] == 1
    text = format_stats(schedule, stats)
    assert "retention so far: 50% (1 of 2" in text and "CLIP 对比损失" in text


def test_bad_input_is_an_error(tmp_path, clock):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
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
