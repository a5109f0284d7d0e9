"""The progress store: one schema for attempts, answers and reviews; a v0 workspace migrated intact.

The v0 stores under ``fixtures/`` were made by the release before this package (commit 9ff364b)
with its own code paths: ``autograder.practice.Progress`` (attempts, answers) and
``autograder.review.Schedule.rate`` (reviews), by ``fixtures/make_v0_store.py`` at commit 154187e
(removed since: it needs those modules). ``fixtures/v0_expected.json`` is what that release's
code read back from them; after the migration the new code must read the same.
"""

import sqlite3
from datetime import UTC, datetime

import pytest

from autograder.selfstudy.client import overall
from autograder.selfstudy.schedule import Schedule
from autograder.selfstudy.session import format_stats
from autograder.selfstudy.store import SCHEMA_VERSION, TABLES, Store, StoreError
from autograder.topics import all_topics

# The SQL of the release before the store (autograder/practice.py and autograder/review.py at 9ff364b).
V0_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    slug TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL,
    checked_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    slug TEXT NOT NULL, answer TEXT NOT NULL, answered_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (
    item TEXT NOT NULL, rating INTEGER NOT NULL, reviewed_at REAL NOT NULL);
"""

# The bank of that release: the 30 seed topics (the stats and the queue count over the bank).
V0_BANK = [topic for topic in all_topics() if not topic.beyond_seed]


def tables(path):
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: [(r[1], r[2]) for r in db.execute(f"PRAGMA table_info({name})")] for name in names}


def user_version(path):
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def card_view(state):
    """A card as fixtures/make_v0_store.py recorded it."""
    card = state.card
    return {"due": card.due.isoformat(), "state": int(card.state), "step": card.step,
            "stability": card.stability, "difficulty": card.difficulty,
            "last_review": card.last_review.isoformat() if card.last_review else None,
            "reviews": [[at.isoformat(), int(rating), int(before)] for at, rating, before in state.reviews]}


def test_progress_keeps_best_score_per_topic(tmp_path):
    progress = Store(tmp_path)
    progress.record_attempt("t05_attention", 2, 10, "ok")
    progress.record_attempt("t05_attention", 10, 10, "ok")
    progress.record_attempt("t13_clip_loss", 3, 10, "ok")
    assert progress.best()["t05_attention"] == (10, 10, 2)
    summary = overall(progress)
    assert (summary.solved, summary.attempted, summary.points) == (1, 2, 13)


def test_a_new_store_has_one_schema_and_its_version(tmp_path):
    store = Store(tmp_path)
    assert store.path == tmp_path / ".mmqb" / "progress.sqlite"
    assert store.found_version == 0 and store.version == SCHEMA_VERSION == 2
    assert tables(store.path) == {name: [(n, t) for n, t in columns] for name, columns in TABLES.items()}
    store.record_answer("t05_attention", "注意力")
    store.record_review("interview:t05_attention", 3, 1000.0)
    assert store.answers("t05_attention") == ["注意力"]
    assert store.reviews() == [("interview:t05_attention", 3, 1000.0)]
    assert Store(tmp_path).found_version == SCHEMA_VERSION


def test_a_v0_workspace_keeps_its_progress_answers_and_reviews(v0_workspace, v0_expected):
    workspace = v0_workspace("v0_workspace")
    path = workspace / ".mmqb" / "progress.sqlite"
    assert user_version(path) == 0 and sorted(tables(path)) == ["answers", "attempts", "reviews"]
    expected = v0_expected["workspace"]
    store = Store(workspace)
    assert store.found_version == 0 and store.version == SCHEMA_VERSION
    assert {slug: list(v) for slug, v in store.best().items()} == expected["best"]
    assert {slug: store.answers(slug) for slug in expected["answers"]} == expected["answers"]
    # version 2: each of the 9 attempts, version 1's exercise rating, is now a rating in reviews
    assert len(store.attempts()) == 9 and len(store.reviews()) == 7 + 9
    for at, seen in expected["schedule"].items():
        schedule = Schedule(workspace, clock=lambda at=at: datetime.fromisoformat(at), tz=UTC, topics=V0_BANK)
        assert {key: card_view(state) for key, state in schedule.cards().items()} == seen["cards"]
        assert [item.key for item in schedule.queue(2)] == seen["queue"]
        stats = schedule.stats()
        assert {"due": [s.item.key for s in stats.due], "new": stats.new, "learning": stats.learning,
                "total": stats.total, "recalled": stats.recalled, "reviewed_learned": stats.reviewed_learned,
                "forecast": [[day.isoformat(), n] for day, n in stats.forecast]} == seen["stats"]
        assert format_stats(schedule, stats, 100) == seen["stats_page"]
    # the history goes on after the upgrade
    later = datetime.fromisoformat(max(expected["schedule"]))
    Schedule(workspace, clock=lambda: later, tz=UTC).rate("interview:t05_attention", "Good")
    assert len(Schedule(workspace).card("interview:t05_attention").reviews) == 5


def test_a_v0_store_made_before_any_review_gets_its_reviews_table(v0_workspace, v0_expected):
    workspace = v0_workspace("v0_progress_only")
    path = workspace / ".mmqb" / "progress.sqlite"
    assert sorted(tables(path)) == ["answers", "attempts"]
    store = Store(workspace)
    assert store.found_version == 0 and user_version(path) == SCHEMA_VERSION
    assert tables(path)["reviews"] == [("item", "TEXT"), ("rating", "INTEGER"), ("reviewed_at", "REAL")]
    expected = v0_expected["progress_only"]
    assert {slug: list(v) for slug, v in store.best().items()} == expected["best"]
    assert store.answers("t05_attention") == expected["answers"]["t05_attention"]
    assert [(item, rating) for item, rating, _ in store.reviews()] == [("exercise:t05_attention", 3)]
    assert [int(r) for _, r, _ in Schedule(workspace).card("exercise:t05_attention").reviews] == [3]


def test_a_migrated_store_is_left_as_it_is_when_opened_again(v0_workspace):
    workspace = v0_workspace("v0_workspace")
    path = workspace / ".mmqb" / "progress.sqlite"
    Store(workspace)
    before = path.read_bytes()
    assert Store(workspace).found_version == SCHEMA_VERSION
    Schedule(workspace).stats()
    assert path.read_bytes() == before


def test_an_older_mmqb_still_reads_and_writes_a_migrated_store(v0_workspace):
    workspace = v0_workspace("v0_workspace")
    path = workspace / ".mmqb" / "progress.sqlite"
    Store(workspace)
    with sqlite3.connect(path) as db:  # what the release before the store runs on every open and write
        db.executescript(V0_SCHEMA)
        db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, ?)", ("t05_attention", 1, 10, "ok", 2e9))
        db.execute("INSERT INTO answers VALUES (?, ?, ?)", ("t05_attention", "old release", 2e9))
        db.execute("INSERT INTO reviews VALUES (?, ?, ?)", ("interview:t05_attention", 2, 2e9))
        old_view = db.execute("SELECT slug, MAX(score), MAX(max_score), COUNT(*) FROM attempts GROUP BY slug")
        old_view = old_view.fetchall()
    store = Store(workspace)
    assert store.found_version == SCHEMA_VERSION
    assert store.best()["t05_attention"] == (10, 10, 4) and ("t05_attention", 10, 10, 4) in old_view
    assert store.answers("t05_attention")[-1] == "old release"
    assert store.reviews()[-1] == ("interview:t05_attention", 2, 2e9)


def test_a_store_of_a_newer_version_is_refused_untouched(tmp_path):
    path = Store(tmp_path).path
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 3")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="schema version 3; this mmqb knows versions up to 2"):
        Store(tmp_path)
    assert path.read_bytes() == before


def test_a_foreign_table_stops_the_migration_and_nothing_is_changed(tmp_path):
    path = tmp_path / ".mmqb" / "progress.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE attempts (slug TEXT, points INTEGER)")
        db.execute("INSERT INTO attempts VALUES ('t05_attention', 3)")
    with pytest.raises(StoreError, match="table attempts has columns"):
        Store(tmp_path)
    assert user_version(path) == 0 and sorted(tables(path)) == ["attempts"]  # rolled back: no table created
