"""``mmqb check``: grade a notebook, record the attempt, render per-check feedback and progress.

Grading goes to the user's warm daemon (:mod:`autograder.selfstudy.daemon`, started on first
use); where none can be used (or ``MMQB_NO_DAEMON=1``) a worker of this process grades, with
the same sandbox. Either way the grading comes back as plain data; this module records the
attempt in the workspace's store (it is also the exercise's review rating) and renders the
feedback: each check, the score, progress over the bank, when the exercise comes back for
review and, at full score, the topic's reference answer and errata.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.results import SubmissionResult
from autograder.selfstudy import daemon
from autograder.selfstudy.schedule import EXERCISE, Schedule, relative
from autograder.selfstudy.store import Store
from autograder.selfstudy.textlayout import plain, wrap
from autograder.topics import QUESTIONS, Topic, get_topic, parse_topic


@dataclass(frozen=True)
class Overall:
    """Progress over the whole bank."""

    solved: int
    attempted: int
    total: int
    points: float
    max_points: float


def overall(store: Store, bank: dict[str, Any] | None = None) -> Overall:
    """Summarise progress over every topic of the bank (``bank``: :func:`~autograder.selfstudy.daemon.bank`)."""
    bank = daemon.bank() if bank is None else bank
    best = store.best()
    solved = sum(1 for score, top, _ in best.values() if top and score >= top)
    return Overall(solved, len(best), int(bank["topics"]), float(sum(s for s, _, _ in best.values())),
                   float(bank["max_points"]))


def format_check(result, topic: Topic, store: Store, bank: dict[str, Any] | None = None) -> str:
    """Per-check feedback, the topic's score, overall progress, and (at full score) the key."""
    lines = [f"{topic.slug} · {topic.title_zh} · {topic.title_en}"]
    if result.status != "ok":
        lines.append(f"problem: {result.status}: {result.message}")
    # A cell that stopped with an error explains every failure after it: say it first, then the
    # checks one line each (their messages would only repeat that a name is missing).
    errors = [n for n in result.notes if n.startswith("error in ")]
    if errors:
        lines.append("your code stopped with an error; fix it first, the checks could not use what it defines:")
        lines.extend(f"  {e}" for e in errors)
    for test in result.tests:
        hidden = " (hidden)" if test.hidden else ""
        if test.passed:
            lines.append(f"  [PASS] {test.name}{hidden}")
        elif errors:
            lines.append(f"  [FAIL] {test.name}{hidden}")
        else:
            lines.append(f"  [FAIL] {test.name}{hidden}: {test.message}")
            if test.description and test.description != test.name:
                lines.append(f"         hint: this check expects {test.description}")
    for group, score in result.group_scores.items():
        lines.append(f"  group {group}: {score:g} point(s)")
    lines.extend(f"  note: {n}" for n in result.notes if n not in errors)
    written = f" (the notebook's {topic.answer_points:g} written-answer points are graded by hand)" \
        if topic.answer_points else ""
    lines.append(f"score: {result.score:g} / {result.max_score:g} from the checks{written}")
    if any(not t.passed for t in result.tests):
        lines.append("more hints: the notebook's 提示 / Hints section.")
    summary = overall(store, bank)
    lines.append(f"progress: {summary.solved}/{summary.total} topics solved, {summary.attempted} attempted, "
                 f"{summary.points:g}/{summary.max_points:g} autograded points")
    if result.max_score and result.score >= result.max_score:
        lines += ["", *full_score_summary(topic)]
    return "\n".join(lines)


def full_score_summary(topic: Topic, columns: int | None = None) -> list[str]:
    """After a full score: a few lines, not the essay (the key points; where the rest is)."""
    columns = columns or max(40, min(100, shutil.get_terminal_size((100, 24)).columns))
    if not topic.is_concept:
        errata = " What the seed's version got wrong: the notebook's 勘误 / Errata section." \
            if topic.section("Errata") and not topic.beyond_seed else ""
        return [f"Full score!{errata} It comes back for review in `mmqb review`."]
    lines = [f"Full score! The written answer ({topic.answer_points:g} points, graded by hand) is marked on these "
             "key points / 书面回答按这些要点评分:"]
    for language in ("中文", "English"):
        for _, point in topic.rubric(language):
            wrapped = wrap(plain(point), columns - 4)
            lines += [f"  - {wrapped[0]}", *(f"    {rest}" for rest in wrapped[1:])]
    lines.append(f"the reference answer, follow-ups and errata: `mmqb interview {topic.slug[:3]}` (key f), "
                 "or the notebook's 参考答案 and 勘误 sections.")
    return lines


def next_review_line(workspace: Path, topic: Topic) -> str:
    """After a practice ``mmqb check``: an attempt, not a rating, and when the exercise is reviewed."""
    schedule = Schedule(workspace, topics=[topic])  # its card alone: the others do not change it
    state = schedule.card(f"{EXERCISE}:{topic.slug}")
    if state.is_new:
        return ("review: practice checks are recorded as attempts, not ratings; `mmqb review` brings this "
                "exercise in as a new card")
    due = state.card.due.astimezone(schedule.tz)
    return (f"review: practice checks are recorded as attempts, not ratings; this exercise is next due "
            f"{relative(state.card.due, schedule.now())} ({due.strftime('%Y-%m-%d')}) in `mmqb review`")


def _topic(slug: str) -> Topic:
    """The topic of a graded notebook, from its file alone (``mmqb check`` runs in a fresh process each time)."""
    path = QUESTIONS / f"{slug}.md"
    return parse_topic(path) if path.is_file() else get_topic(slug)


def _say_starting() -> None:
    # The first check waits for TensorFlow and the sandbox's self-test: say so at once.
    idle = float(os.environ.get("MMQB_DAEMON_IDLE", daemon.IDLE_SECONDS))
    print(f"mmqb check: starting your warm grader (TensorFlow, a sandbox self-test: 10-30 s, once; it stays "
          f"up {idle / 60:.0f} min after your last check, and later checks take about a second) ...",
          file=sys.stderr, flush=True)


def grade(path: Path, timeout: float = 120.0, worker=None) -> dict[str, Any]:
    """The plain grading of ``path`` (:func:`autograder.selfstudy.daemon.grade`): by the daemon, else here.

    With a ``worker``, or where no daemon can be used (or ``MMQB_NO_DAEMON=1``), a worker of this
    process grades (the given one, else a new one, isolated as fully as the machine allows).
    """
    if worker is None and os.environ.get("MMQB_NO_DAEMON") != "1":
        try:
            return daemon.check(path, timeout, on_start=_say_starting)
        except daemon.DaemonUnavailable as exc:
            print(f"mmqb check: grading in this process ({exc})", file=sys.stderr)
    from autograder.engine import WarmWorker

    # Learners grade their own code: isolate fully where the machine allows it, else say so.
    own = worker is None
    worker = worker or WarmWorker(0, isolation="available")
    try:
        return daemon.grade(Path(path), worker, timeout)
    finally:
        if own:
            worker.close()


def record_and_render(graded: dict[str, Any], workspace: Path,
                      practice: bool = True) -> tuple[SubmissionResult, str]:
    """Record a graded attempt in the workspace's store; return the result and the feedback text.

    ``practice``: a check outside a review, whose feedback ends by saying it is not a rating (a
    review session rates the exercise itself and says what it counted as).
    """
    result = SubmissionResult.from_dict(graded["result"])
    if not result.graded:
        return result, f"not graded: {result.message}"
    store = Store(workspace)
    topic = _topic(result.slug)
    store.record_attempt(topic.slug, result.score, result.max_score, result.status)
    text = format_check(result, topic, store, graded["bank"])
    if practice:
        text += "\n" + next_review_line(workspace, topic)
    if result.unsafe:
        text += ("\nnote: this machine allows no sandbox (no user namespaces), so your code ran with only "
                 "time and memory limits")
    return result, text


def check_notebook(path: Path, workspace: Path, timeout: float = 120.0, worker=None,
                   practice: bool = True) -> tuple[SubmissionResult, str]:
    """Grade ``path`` in the sandbox, record the attempt, return the result and the feedback."""
    return record_and_render(grade(path, timeout, worker), workspace, practice)
