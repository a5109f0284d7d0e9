"""Self-study: a workspace of release notebooks, local checks, progress, interview mode.

``mmqb practice`` copies release notebooks into a workspace (never touching ``release/``
and never overwriting the learner's own copy) and starts JupyterLab there. ``mmqb check``
grades a notebook with the sandboxed engine and keeps the learner's progress over the
bank in a small SQLite file in the workspace. ``mmqb interview`` asks a concept topic's
question, records the learner's answer, then shows the reference answer's key points.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from autograder.topics import ROOT, Topic, all_topics, get_topic

DEFAULT_WORKSPACE = Path.home() / "mmqb-workspace"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    slug TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL,
    checked_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    slug TEXT NOT NULL, answer TEXT NOT NULL, answered_at REAL NOT NULL);
"""


def copy_release(workspace: Path, topics: list[Topic]) -> list[Path]:
    """Copy the topics' release notebooks into ``workspace``; keep existing copies as they are."""
    workspace.mkdir(parents=True, exist_ok=True)
    paths = []
    for topic in topics:
        src = ROOT / "release" / topic.slug / f"{topic.slug}.ipynb"
        dst = workspace / f"{topic.slug}.ipynb"
        if not dst.exists():
            shutil.copyfile(src, dst)
        paths.append(dst)
    return paths


def lab_command(workspace: Path, port: int | None = None) -> list[str]:
    """The ``jupyter lab`` command line for the workspace."""
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", f"--ServerApp.root_dir={workspace}"]
    if port:
        cmd.append(f"--port={port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def start_lab(workspace: Path, port: int | None = None) -> int:
    """Run JupyterLab in the workspace until it exits; return its exit code."""
    from autograder.engine.settings import QUIET_ENV

    return subprocess.call(lab_command(workspace, port), cwd=workspace, env=dict(os.environ, **QUIET_ENV))


class Progress:
    """The learner's attempts and answers, in ``<workspace>/.mmqb/progress.sqlite``."""

    def __init__(self, workspace: Path) -> None:
        self.path = workspace / ".mmqb" / "progress.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def record_attempt(self, slug: str, score: float, max_score: float, status: str,
                       at: float | None = None) -> None:
        """Store one graded attempt (at ``at`` seconds since the epoch, default now)."""
        checked_at = time.time() if at is None else at
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, ?)", (slug, score, max_score, status, checked_at))

    def record_answer(self, slug: str, answer: str) -> None:
        """Store an interview answer."""
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO answers VALUES (?, ?, ?)", (slug, answer, time.time()))

    def best(self) -> dict[str, tuple[float, float, int]]:
        """Best score, max score and number of attempts per topic."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT slug, MAX(score), MAX(max_score), COUNT(*) FROM attempts GROUP BY slug")
            return {slug: (best, top, n) for slug, best, top, n in rows}

    def answers(self, slug: str) -> list[str]:
        """The learner's interview answers to a topic, oldest first."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT answer FROM answers WHERE slug = ? ORDER BY answered_at", (slug,))
            return [r[0] for r in rows]


@dataclass(frozen=True)
class Overall:
    """Progress over the whole bank."""

    solved: int
    attempted: int
    total: int
    points: float
    max_points: float


def overall(progress: Progress) -> Overall:
    """Summarise progress over every topic of the bank."""
    from autograder.checks import load_suite

    topics = all_topics()
    best = progress.best()
    max_points = float(sum(load_suite(t.slug).max_score for t in topics))
    solved = sum(1 for score, top, _ in best.values() if top and score >= top)
    return Overall(solved, len(best), len(topics), float(sum(s for s, _, _ in best.values())), max_points)


def format_check(result, topic: Topic, progress: Progress) -> str:
    """Per-check feedback, the topic's score, overall progress, and (at full score) the key."""
    lines = [f"{topic.slug} · {topic.title_zh} · {topic.title_en}"]
    if result.status != "ok":
        lines.append(f"problem: {result.status}: {result.message}")
    for test in result.tests:
        hidden = " (hidden)" if test.hidden else ""
        if test.passed:
            lines.append(f"  [PASS] {test.name}{hidden}")
        else:
            lines.append(f"  [FAIL] {test.name}{hidden}: {test.message}")
            if test.description and test.description != test.name:
                lines.append(f"         hint: this check expects {test.description}")
    for group, score in result.group_scores.items():
        lines.append(f"  group {group}: {score:g} point(s)")
    lines.extend(f"  note: {n}" for n in result.notes)
    lines.append(f"score: {result.score:g} / {result.max_score:g}")
    if any(not t.passed for t in result.tests):
        lines.append("more hints: the notebook's 提示 / Hints section.")
    summary = overall(progress)
    lines.append(f"progress: {summary.solved}/{summary.total} topics solved, {summary.attempted} attempted, "
                 f"{summary.points:g}/{summary.max_points:g} autograded points")
    if result.max_score and result.score >= result.max_score:
        lines.append("")
        lines.append("Full score! The reference answer and the errata of this topic:")
        if topic.is_concept:
            lines += ["", "## 参考答案 / Reference answer", topic.section("Reference answer")]
        lines += ["", "## 勘误 / Errata", topic.section("Errata")]
    return "\n".join(lines)


def check_notebook(path: Path, workspace: Path, timeout: float = 120.0, worker=None) -> tuple[object, str]:
    """Grade ``path`` in the sandbox, record the attempt, return the result and the feedback.

    Without ``worker``, the user's warm grader (``autograder.engine.daemon``, started on first
    use) does all of it; where none can be used (or ``MMQB_NO_DAEMON=1``) a worker of this process.
    """
    if worker is None and os.environ.get("MMQB_NO_DAEMON") != "1":
        from autograder.engine import daemon

        try:
            return daemon.check(path, workspace, timeout)
        except daemon.DaemonUnavailable as exc:
            print(f"mmqb check: grading in this process ({exc})", file=sys.stderr)
    from autograder.engine import Limits, WarmWorker, grade_path

    # Learners grade their own code: isolate fully where the machine allows it, else say so.
    own = worker is None
    worker = worker or WarmWorker(0, isolation="available")
    try:
        result = grade_path(path, worker, Limits(wall_seconds=timeout, cpu_seconds=2 * timeout))
    finally:
        if own:
            worker.close()
    if not result.graded:
        return result, f"not graded: {result.message}"
    progress = Progress(workspace)
    topic = get_topic(result.slug)
    progress.record_attempt(topic.slug, result.score, result.max_score, result.status)
    from autograder.review import next_review_line  # the attempt is also the exercise's review rating

    text = format_check(result, topic, progress) + "\n" + next_review_line(workspace, topic.slug)
    if result.unsafe:
        text += ("\nnote: this machine allows no sandbox (no user namespaces), so your code ran with only "
                 "time and memory limits")
    return result, text


def interview_question(topic: Topic) -> str:
    """The interview question of a concept topic, both languages."""
    if not topic.is_concept:
        raise ValueError(f"{topic.slug} is a coding topic; interview mode needs a concept topic "
                         f"({', '.join(t.slug for t in all_topics() if t.is_concept)})")
    return f"{topic.slug} · {topic.title_zh} · {topic.title_en}\n\n{topic.section('Interview question')}"


def interview_key(topic: Topic) -> str:
    """What the learner compares their answer with: the reference answer and the errata."""
    return (f"## 参考答案 / Reference answer\n\n{topic.section('Reference answer')}\n\n"
            f"## 勘误 / Errata (what the seed's answer got wrong)\n\n{topic.section('Errata')}")
