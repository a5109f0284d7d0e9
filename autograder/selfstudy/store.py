"""The learner's progress in one SQLite file: ``mmqb check`` attempts, interview answers, review ratings.

One schema and one owner: every read and write of ``<workspace>/.mmqb/progress.sqlite`` goes
through :class:`Store`. Three tables, one row per event (rows are never updated or deleted):

- ``attempts(slug, score, max_score, status, checked_at)``: a graded ``mmqb check``;
- ``answers(slug, answer, answered_at)``: an interview answer;
- ``reviews(item, rating, reviewed_at)``: a rating in ``mmqb review``: an interview question rated
  1-4 (Again-Easy) by the learner, an exercise rated by its check (full score Good, else Again).

Times are seconds since the epoch. The schema version is SQLite's ``PRAGMA user_version``:

- 0: the files of mmqb before this package: ``autograder/practice.py`` created ``attempts``
  and ``answers``, ``autograder/review.py`` added ``reviews`` on its first use; nothing was stamped;
- 1: the same three tables with the same columns, all of them present, the version stamped;
- 2: practice checks are attempts, not ratings: only a check in ``mmqb review`` rates an exercise
  (a fix-and-recheck loop is practice, not three recalls). Version 1 to 2 keeps each learner's
  schedule: every attempt, which version 1 counted as the exercise's rating, becomes that
  rating in ``reviews``. A version-2 file is refused by the mmqb of version 1, as any newer one.

Opening a store brings it to :data:`SCHEMA_VERSION` in one transaction. Version 0 to 1 checks
the columns of the tables that exist, creates the missing ones (a learner who never ran
``mmqb check`` or ``mmqb review`` has no ``reviews`` table) and stamps 1; no row is rewritten,
and an older mmqb still reads and writes a migrated file. A store of a newer version than
this code knows is refused (:class:`StoreError`) rather than written into.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from autograder.selfstudy.workspace import store_path

SCHEMA_VERSION = 2
TABLES = {  # table: its columns (name, type), every one NOT NULL
    "attempts": (("slug", "TEXT"), ("score", "REAL"), ("max_score", "REAL"), ("status", "TEXT"),
                 ("checked_at", "REAL")),
    "answers": (("slug", "TEXT"), ("answer", "TEXT"), ("answered_at", "REAL")),
    "reviews": (("item", "TEXT"), ("rating", "INTEGER"), ("reviewed_at", "REAL")),
}


class StoreError(RuntimeError):
    """The file is not a store this code can use (a newer schema, or tables of another shape)."""


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _v0_to_v1(db: sqlite3.Connection, path: Path) -> None:
    """Version 0 (unstamped): check the tables that exist, create the missing ones."""
    existing = _tables(db)
    for table, columns in TABLES.items():
        if table not in existing:
            db.execute(f"CREATE TABLE {table} ({', '.join(f'{n} {t} NOT NULL' for n, t in columns)})")
            continue
        found = tuple((row[1], row[2].upper()) for row in db.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            raise StoreError(f"{path}: table {table} has columns {found}, expected {columns}")


def _v1_to_v2(db: sqlite3.Connection, path: Path) -> None:
    """Version 1 rated an exercise by every attempt: those ratings move to ``reviews`` (Good at full score)."""
    db.execute("INSERT INTO reviews (item, rating, reviewed_at) "
               "SELECT 'exercise:' || slug, CASE WHEN max_score > 0 AND score >= max_score THEN 3 ELSE 1 END, "
               "checked_at FROM attempts ORDER BY checked_at")


_MIGRATIONS = {0: _v0_to_v1, 1: _v1_to_v2}  # from version N to N + 1


def migrate(path: Path) -> int:
    """Create the store at ``path`` or bring it to :data:`SCHEMA_VERSION`; return the version it had."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return version
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated it
            if version > SCHEMA_VERSION:
                raise StoreError(f"{path} has schema version {version}; this mmqb knows versions up to "
                                 f"{SCHEMA_VERSION}: use a newer mmqb")
            for step in range(version, SCHEMA_VERSION):
                _MIGRATIONS[step](db, path)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return version


class Store:
    """A workspace's attempts, answers and review ratings (the file is created or migrated when opened)."""

    def __init__(self, workspace: Path) -> None:
        self.path = store_path(Path(workspace))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.found_version = migrate(self.path)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def _insert(self, table: str, values: tuple) -> None:
        columns = [name for name, _ in TABLES[table]]
        with closing(self._connect()) as db, db:
            db.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       values)

    def _select(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with closing(self._connect()) as db:
            return db.execute(sql, parameters).fetchall()

    @property
    def version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        return self._select("PRAGMA user_version")[0][0]

    def record_attempt(self, slug: str, score: float, max_score: float, status: str,
                       at: float | None = None) -> None:
        """Store one graded attempt (at ``at`` seconds since the epoch, default now)."""
        self._insert("attempts", (slug, score, max_score, status, time.time() if at is None else at))

    def record_answer(self, slug: str, answer: str) -> None:
        """Store an interview answer."""
        self._insert("answers", (slug, answer, time.time()))

    def record_review(self, item: str, rating: int, at: float) -> None:
        """Store a review rating (1-4) of an item (``interview:t05_attention``) at ``at`` seconds since the epoch."""
        self._insert("reviews", (item, rating, at))

    def best(self) -> dict[str, tuple[float, float, int]]:
        """Best score, max score and number of attempts per topic."""
        rows = self._select("SELECT slug, MAX(score), MAX(max_score), COUNT(*) FROM attempts GROUP BY slug")
        return {slug: (best, top, n) for slug, best, top, n in rows}

    def answers(self, slug: str) -> list[str]:
        """The learner's interview answers to a topic, oldest first."""
        return [r[0] for r in self._select("SELECT answer FROM answers WHERE slug = ? ORDER BY answered_at", (slug,))]

    def attempts(self) -> list[tuple[str, float, float, float]]:
        """Every attempt as ``(slug, score, max_score, checked_at)``, in the order stored."""
        return self._select("SELECT slug, score, max_score, checked_at FROM attempts")

    def reviews(self) -> list[tuple[str, int, float]]:
        """Every review rating as ``(item, rating, reviewed_at)``, in the order stored."""
        return self._select("SELECT item, rating, reviewed_at FROM reviews")
