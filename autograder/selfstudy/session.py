"""``mmqb review`` and ``mmqb interview`` in a terminal: the review session, its pages and the interview.

A session shows what is due now (then new items up to the daily limit) one card at a time:
an interview question asks for the learner's answer, shows the key points and asks for a
rating (arrows and Enter, or 1-4 / a h g e); an exercise is checked with ``mmqb check`` (a
full score is Good, otherwise Again), or solved again from a fresh release copy. Every rating
is stored the moment it is given (:mod:`autograder.selfstudy.store`), so Ctrl-C loses nothing.
Text is laid out by display width (:mod:`autograder.selfstudy.textlayout`).
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import termios
import tty
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import fsrs

from autograder.selfstudy.schedule import (
    DEFAULT_NEW_PER_DAY,
    EXERCISE,
    INTERVIEW,
    RATINGS,
    Item,
    Schedule,
    Stats,
    relative,
)
from autograder.selfstudy.textlayout import first_paragraphs, pad, plain, truncate, width, wrap
from autograder.selfstudy.workspace import copy_release, fresh_copy, notebook_path
from autograder.topics import Topic, all_topics

KIND_LABELS = {INTERVIEW: "面试题 Interview", EXERCISE: "练习 Exercise"}


def format_stats(schedule: Schedule, stats: Stats, columns: int = 100) -> str:
    """The ``mmqb review --stats`` page: due items in aligned columns, retention, the forecast."""
    lines = [f"mmqb review --stats · {stats.today.isoformat()} · {stats.total} items "
             f"({sum(1 for i in schedule.items if i.kind == INTERVIEW)} interview questions, "
             f"{sum(1 for i in schedule.items if i.kind == EXERCISE)} exercises)"]
    lines.append(f"due now: {len(stats.due)} · learning: {stats.learning} · new (never reviewed): {stats.new}")
    if stats.retention is None:
        lines.append("retention so far: no review of a learned card yet")
    else:
        lines.append(f"retention so far: {stats.retention:.0%} ({stats.recalled} of {stats.reviewed_learned} "
                     f"reviews of learned cards recalled)")
    now = schedule.now()
    if stats.due:
        lines += ["", "due now:"]
        zh_cols = min(28, max(width(s.item.topic.title_zh) for s in stats.due))
        for s in stats.due:
            overdue = (schedule.day(now) - schedule.day(s.card.due)).days
            when = "due today" if overdue <= 0 else f"overdue {overdue}d"
            row = (f"  {s.item.topic.slug[:3]}  {pad(KIND_LABELS[s.item.kind], 17)}{pad(when, 13)}"
                   f"{pad(truncate(s.item.topic.title_zh, zh_cols), zh_cols + 2)}{s.item.topic.title_en}")
            lines.append(truncate(row, columns))
    lines += ["", f"forecast, next {len(stats.forecast)} days (cards due; new items not counted):"]
    top = max([n for _, n in stats.forecast] + [1])
    for day, n in stats.forecast:
        bar = "█" * round(20 * n / top) if n else ""
        lines.append(f"  {day.strftime('%m-%d %a')}  {n:3d} {bar}")
    return "\n".join(lines)


QUIT, SKIP = "quit", "skip"
_ARROWS = {b"[C": "right", b"OC": "right", b"[D": "left", b"OD": "left", b"[A": "up", b"OA": "up",
           b"[B": "down", b"OB": "down"}
_RATING_KEYS = {"1": 1, "a": 1, "2": 2, "h": 2, "3": 3, "g": 3, "4": 4, "e": 4}


class Terminal:
    """Single keys (cbreak mode, arrows understood) and lines from a terminal, or lines from a pipe.

    In cbreak mode Ctrl-C still raises ``KeyboardInterrupt``; the terminal mode is restored
    after every key, so an interrupted session never leaves the terminal without echo.
    """

    def __init__(self, stdin=None, stdout=None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        try:
            self.tty = self.stdin.isatty() and self.stdout.isatty()
        except (AttributeError, ValueError):
            self.tty = False

    @property
    def columns(self) -> int:
        """Terminal width (100 when not a terminal), at most 120 for readable lines."""
        return min(120, shutil.get_terminal_size((100, 30)).columns if self.tty else 100)

    def write(self, text: str = "", end: str = "\n") -> None:
        """Write and flush."""
        self.stdout.write(text + end)
        self.stdout.flush()

    def clear(self) -> None:
        """Clear the screen (a terminal only)."""
        if self.tty:
            self.write("\x1b[H\x1b[2J", end="")

    def rewrite(self, text: str) -> None:
        """Redraw the current line (a terminal), or print it (a pipe)."""
        if self.tty:
            self.write("\r\x1b[2K" + text, end="")
        else:
            self.write(text)

    def key(self) -> str:
        """One key: a lower-case letter or digit, ``enter``, ``left``/``right``/``up``/``down``, ``esc``.

        From a pipe, one line is one key (its first character; an empty line is ``enter``).
        The end of input is ``q``.
        """
        if not self.tty:
            line = self.stdin.readline()
            if not line:
                return "q"
            text = line.strip().lower()
            return text[:1] if text else "enter"
        fd = self.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            ch = os.read(fd, 1)
            if ch == b"\x1b":  # an arrow is ESC [ C (or ESC O C): read exactly those bytes
                sequence = b""
                while len(sequence) < 2 and select.select([fd], [], [], 0.05)[0]:
                    sequence += os.read(fd, 1)
                return _ARROWS.get(sequence, "esc")
            if ch in (b"\r", b"\n"):
                return "enter"
            if ch == b"\x04":
                return "q"
            return ch.decode("utf-8", errors="ignore").lower()
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def line(self, prompt: str = "") -> str | None:
        """One line of text (the terminal's own line editing), ``None`` at the end of input."""
        self.write(prompt, end="")
        text = self.stdin.readline()
        return None if not text else text.rstrip("\n")


@dataclass
class SessionSummary:
    """What a session did (every rating is already stored)."""

    ratings: list[tuple[str, fsrs.Rating]] = field(default_factory=list)
    skipped: int = 0
    interrupted: bool = False


def _check_notebook(path: Path, workspace: Path):
    from autograder.selfstudy.client import check_notebook

    return check_notebook(path, workspace, practice=False)  # the session rates it and says so


def _header(term: Terminal, schedule: Schedule, item: Item, position: int, total: int) -> None:
    term.clear()
    topic = item.topic
    term.write(truncate(f"mmqb review · {schedule.day(schedule.now()).isoformat()} · {position} of {total} · "
                        f"{topic.slug[:3]} · {KIND_LABELS[item.kind]}", term.columns))
    for line in wrap(f"{topic.title_zh} · {topic.title_en}", term.columns):
        term.write(line)
    term.write("─" * min(term.columns, 72))


def _show(term: Terminal, markdown: str) -> None:
    for line in wrap(plain(markdown), term.columns):
        term.write(line)


def _rating_line(previews: dict[fsrs.Rating, datetime], now: datetime, selected: int) -> str:
    parts = []
    for rating, due in previews.items():
        label = f"{int(rating)} {RATINGS[int(rating)]} {relative(due, now)}"
        parts.append(f"[{label}]" if int(rating) == selected else f" {label} ")
    return "rate: " + "  ".join(parts)


def _ask_rating(term: Terminal, schedule: Schedule, item: Item, more: str = "") -> int | str:
    """The learner's rating; ``more`` (Markdown) is shown on ``f``, once, and the question asked again."""
    previews = schedule.preview(item.key)
    now = schedule.now()
    selected = 3
    prompt = "how well did you recall it? ←/→ then Enter, or 1-4 / a h g e"
    prompt += " · f full answer" if more else ""
    term.write("")
    term.write(prompt + " · s skips · q quits")
    term.rewrite(_rating_line(previews, now, selected))
    while True:
        key = term.key()
        if key == "f" and more:
            term.write("")
            _show(term, more)
            more = ""
            term.write("")
            term.write(prompt.removesuffix(" · f full answer") + " · s skips · q quits")
            term.rewrite(_rating_line(previews, now, selected))
            continue
        if key in _RATING_KEYS:
            selected = _RATING_KEYS[key]
            term.rewrite(_rating_line(previews, now, selected))
            term.write("")
            return selected
        if key == "enter":
            term.write("")
            return selected
        if key in ("left", "up"):
            selected = max(1, selected - 1)
        elif key in ("right", "down"):
            selected = min(4, selected + 1)
        elif key == "s":
            term.write("")
            return SKIP
        elif key == "q":
            term.write("")
            return QUIT
        term.rewrite(_rating_line(previews, now, selected))


def _interview(term: Terminal, schedule: Schedule, item: Item) -> int | str:
    _show(term, item.topic.section("Interview question"))
    term.write("")
    term.write("your answer (an empty line shows the key points; q alone on the first line quits):")
    lines: list[str] = []
    while True:
        line = term.line("> ")
        if line is None or not line.strip():
            break
        if not lines and line.strip().lower() == "q":
            return QUIT
        lines.append(line)
    if lines:
        schedule.store.record_answer(item.topic.slug, "\n".join(lines))
    term.write("")
    _show(term, interview_key_points(item.topic))
    choice = _ask_rating(term, schedule, item, more=interview_key(item.topic, follow_ups=True))
    if isinstance(choice, int):
        state = schedule.rate(item.key, choice)
        term.write(f"{RATINGS[choice]}: next review {relative(state.card.due, schedule.now())} "
                   f"({state.card.due.astimezone(schedule.tz).strftime('%Y-%m-%d %H:%M')})")
    return choice


def _exercise(term: Terminal, schedule: Schedule, item: Item, workspace: Path, check) -> int | str:
    topic = item.topic
    state = schedule.card(item.key)
    practised = schedule.store.best().get(topic.slug)
    if state.is_new and practised:
        best, top, count = practised
        term.write(f"new in your reviews; practised {count} time(s), best {best:g} / {top:g}: check it here to rate it")
    elif state.is_new:
        term.write("never attempted (new): solve it in the notebook, then check it here or with `mmqb check`")
    else:
        at, rating, _ = state.reviews[-1]
        term.write(f"last review {at.astimezone(schedule.tz).strftime('%Y-%m-%d %H:%M')}: "
                   f"{'full score (Good)' if rating == fsrs.Rating.Good else 'not full score (Again)'}")
    term.write("")
    _show(term, first_paragraphs(topic.section("Exercise")))
    notebook = notebook_path(workspace, topic)
    while True:
        term.write("")
        term.write(f"notebook: {notebook}" + ("" if notebook.exists() else " (not in the workspace yet)"))
        term.write("  c  check it now (full score = Good, otherwise Again)")
        if notebook.exists():
            term.write("  n  solve it again from memory: keep your solution aside, take a fresh release copy")
        else:
            term.write("  p  copy the release notebook into the workspace")
        term.write("  s  skip · q quits")
        key = term.key()
        if key == "q":
            return QUIT
        if key == "s":
            return SKIP
        if key == "n" and notebook.exists():
            stamp = schedule.now().astimezone(schedule.tz).strftime("%Y%m%d-%H%M%S")
            kept = fresh_copy(workspace, topic, stamp)
            term.write(f"your solution is kept as {kept.name}; a fresh copy is in place: "
                       f"mmqb practice {topic.slug[:3]} --workspace {workspace}")
        elif key == "p":
            copy_release(workspace, [topic])
            term.write(f"copied; open it with: mmqb practice {topic.slug[:3]} --workspace {workspace}")
        elif key == "c" and not notebook.exists():
            term.write("no notebook to check yet: press p to copy it, solve it, then c")
        elif key == "c":
            term.write("checking in the sandbox (TensorFlow starts: a few seconds) ...")
            result, text = check(notebook, workspace)
            for line in wrap(text, term.columns):
                term.write(line)
            state = schedule.rate_exercise(item.key, result.score, result.max_score)
            rating = state.reviews[-1][1]
            due = state.card.due
            term.write(f"review: this exercise counts as {RATINGS[int(rating)]}; next review "
                       f"{relative(due, schedule.now())} ({due.astimezone(schedule.tz).strftime('%Y-%m-%d')})")
            return int(rating)


def run_session(schedule: Schedule, workspace: Path, term: Terminal | None = None,
                new_per_day: int = DEFAULT_NEW_PER_DAY, check=None) -> SessionSummary:
    """Review what is due now, one item at a time; an item rated into a short step comes back.

    ``check(path, workspace) -> (result, text)`` grades an exercise notebook (default: the
    sandboxed ``mmqb check``). Ctrl-C ends the session; the ratings given so far are stored.
    """
    term = term or Terminal()
    check = check or _check_notebook
    queue = deque(schedule.queue(new_per_day))
    summary = SessionSummary()
    if not queue:
        term.write(nothing_due(schedule))
        return summary
    total, position = len(queue), 0
    try:
        while queue:
            item = queue.popleft()
            position += 1
            total = max(total, position + len(queue))
            _header(term, schedule, item, position, total)
            if item.kind == INTERVIEW:
                outcome = _interview(term, schedule, item)
            else:
                outcome = _exercise(term, schedule, item, workspace, check)
            if outcome == QUIT:
                break
            if outcome == SKIP:
                summary.skipped += 1
                continue
            summary.ratings.append((item.key, fsrs.Rating(outcome)))
            state = schedule.card(item.key)
            if state.card.state != fsrs.State.Review and schedule.is_due(state):
                queue.append(item)
                total += 1
            if queue:
                term.write("any key: next card · q quits")
                if term.key() == "q":
                    break
    except KeyboardInterrupt:
        summary.interrupted = True
    term.write("")
    for line in wrap(session_report(schedule, summary), term.columns):
        term.write(line)
    return summary


def nothing_due(schedule: Schedule) -> str:
    """What to say when nothing is due: when the next card is."""
    stats = schedule.stats()
    upcoming = [(day, n) for day, n in stats.forecast if n]
    then = f"next: {upcoming[0][1]} card(s) on {upcoming[0][0].isoformat()}" if upcoming else "nothing in 14 days"
    return f"nothing due now ({then}); `mmqb review --stats` shows the forecast"


def session_report(schedule: Schedule, summary: SessionSummary) -> str:
    """One paragraph: what was rated (and kept), what comes next."""
    counts = {name: 0 for name in RATINGS.values()}
    for _, rating in summary.ratings:
        counts[RATINGS[int(rating)]] += 1
    rated = ", ".join(f"{name} {n}" for name, n in counts.items() if n) or "nothing"
    head = "interrupted: " if summary.interrupted else "session over: "
    text = (f"{head}{len(summary.ratings)} rating(s) saved ({rated}), {summary.skipped} skipped. "
            f"Due now: {len(schedule.queue(0))}.")
    stats = schedule.stats()
    upcoming = [(day, n) for day, n in stats.forecast[1:] if n]
    if upcoming:
        text += f" Next: {upcoming[0][1]} card(s) on {upcoming[0][0].isoformat()}."
    return text


def interview_question(topic: Topic) -> str:
    """The interview question of a concept topic, both languages."""
    if not topic.is_concept:
        raise ValueError(f"{topic.slug} is a coding topic; interview mode needs a concept topic "
                         f"({', '.join(t.slug for t in all_topics() if t.is_concept)})")
    return f"{topic.slug} · {topic.title_zh} · {topic.title_en}\n\n{topic.section('Interview question')}"


def interview_key_points(topic: Topic) -> str:
    """What a review card shows after the answer: the rubric's key points, short enough to rate against.

    The full reference answer is an essay (up to 9,000 characters); a learner rating their recall
    compares their answer with the points an interviewer listens for, and asks for the rest with ``f``.
    """
    return f"## 评分要点 / Key points (rate your answer against them)\n\n{topic.section('Rubric')}"


def interview_key(topic: Topic, follow_ups: bool = False) -> str:
    """The whole key: the reference answer and the errata (and the follow-up questions)."""
    text = (f"## 参考答案 / Reference answer\n\n{topic.section('Reference answer')}\n\n"
            f"## 勘误 / Errata (what the seed's answer got wrong)\n\n{topic.section('Errata')}")
    if follow_ups and topic.section("Follow-up questions"):
        text += f"\n\n## 追问 / Follow-up questions\n\n{topic.section('Follow-up questions')}"
    return text
