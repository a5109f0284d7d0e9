"""Spaced repetition over the bank: an FSRS schedule of the interview questions and exercises.

There are 45 review items: the interview question of each of the 15 concept topics and the
exercise of each of the 30 topics. The scheduler is FSRS (the ``fsrs`` package, the
algorithm Anki uses), never a formula of ours:

- an interview question is rated by the learner (Again / Hard / Good / Easy) after comparing
  their answer with the key points; the ratings are stored in the ``reviews`` table;
- an exercise is rated by ``mmqb check``: a full score is Good, anything else (a failed check,
  a crash) is Again. Its ratings are the ``attempts`` table of :class:`~autograder.practice.Progress`
  itself, so the schedule and the progress can never disagree;
- an item never reviewed (a topic never attempted) is new.

Both tables live in the workspace's SQLite file (``<workspace>/.mmqb/progress.sqlite``). A
card's state is the replay of its ratings through ``fsrs.Scheduler.review_card`` in time
order, so it survives any restart, and every rating is committed the moment it is given.
Fuzzing is off: the same ratings at the same times always give the same due dates.

Interview questions have one 10-minute learning (and relearning) step, so a learner who rates
Again sees the question again later in the same session. An exercise has no learning steps:
redoing a notebook ten minutes later teaches nothing, so Again brings it back the next day.

A day is the learner's local calendar day: a learned card is due on its due date; a card in a
learning step is due when its step is over, or up to 20 minutes before (Anki's learn-ahead).
"""

from __future__ import annotations

import os
import re
import select
import shutil
import sqlite3
import sys
import termios
import tty
import unicodedata
from collections import deque
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import fsrs
from wcwidth import wcwidth

from autograder.practice import Progress
from autograder.topics import Topic, all_topics

INTERVIEW, EXERCISE = "interview", "exercise"
KIND_LABELS = {INTERVIEW: "面试题 Interview", EXERCISE: "练习 Exercise"}
RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
LEARN_AHEAD = timedelta(minutes=20)
FORECAST_DAYS = 14
DEFAULT_NEW_PER_DAY = 10

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    item TEXT NOT NULL, rating INTEGER NOT NULL, reviewed_at REAL NOT NULL);
"""


def scheduler(kind: str) -> fsrs.Scheduler:
    """The FSRS scheduler of an item kind: default FSRS parameters and 90 % desired retention."""
    if kind == INTERVIEW:
        steps = (timedelta(minutes=10),)
        return fsrs.Scheduler(learning_steps=steps, relearning_steps=steps, enable_fuzzing=False)
    if kind == EXERCISE:
        return fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    raise ValueError(f"item kind must be {INTERVIEW!r} or {EXERCISE!r}, got {kind!r}")


@dataclass(frozen=True)
class Item:
    """One thing to review: a concept topic's interview question or a topic's exercise."""

    kind: str
    topic: Topic = field(repr=False)

    def __repr__(self) -> str:
        return f"Item({self.key!r})"

    @property
    def key(self) -> str:
        """``interview:t05_attention`` or ``exercise:t05_attention``."""
        return f"{self.kind}:{self.topic.slug}"

    @property
    def card_id(self) -> int:
        """A stable FSRS card id (``NN1`` interview, ``NN2`` exercise)."""
        return self.topic.number * 10 + (1 if self.kind == INTERVIEW else 2)


def all_items(topics: list[Topic] | None = None) -> list[Item]:
    """Every review item of the bank in topic order, a topic's interview question first."""
    items = []
    for topic in all_topics() if topics is None else topics:
        if topic.is_concept:
            items.append(Item(INTERVIEW, topic))
        items.append(Item(EXERCISE, topic))
    return items


def exercise_rating(score: float, max_score: float) -> fsrs.Rating:
    """What a ``mmqb check`` counts as: Good at full score, Again otherwise."""
    return fsrs.Rating.Good if max_score > 0 and score >= max_score else fsrs.Rating.Again


def parse_rating(value: object) -> fsrs.Rating:
    """A rating from 1-4 or its name (``Again``, ``hard``, ...)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"rating must be an int 1-4 or a name {list(RATINGS.values())}, "
                        f"got {type(value).__name__}")
    if isinstance(value, str):
        for number, name in RATINGS.items():
            if value.strip().lower() == name.lower():
                return fsrs.Rating(number)
        raise ValueError(f"rating must be one of {list(RATINGS.values())}, got {value!r}")
    if value not in RATINGS:
        raise ValueError(f"rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), got {value}")
    return fsrs.Rating(value)


@dataclass
class CardState:
    """An item's FSRS card after replaying its ratings, and what each review found."""

    item: Item
    card: fsrs.Card
    reviews: list[tuple[datetime, fsrs.Rating, fsrs.State]] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        """Never reviewed."""
        return not self.reviews


@dataclass(frozen=True)
class Stats:
    """What ``mmqb review --stats`` shows."""

    today: date
    due: list[CardState]
    new: int
    learning: int
    total: int
    recalled: int
    reviewed_learned: int
    forecast: list[tuple[date, int]]

    @property
    def retention(self) -> float | None:
        """Share of reviews of learned (Review-state) cards that were not Again."""
        return self.recalled / self.reviewed_learned if self.reviewed_learned else None


def _utc(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"the clock must return a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None:
        raise ValueError("the clock must return a timezone-aware datetime, got a naive one")
    return moment.astimezone(UTC)


class Schedule:
    """The FSRS schedule of a workspace, stored beside its progress table."""

    def __init__(self, workspace: Path, clock: Callable[[], datetime] | None = None,
                 tz: tzinfo | None = None, topics: list[Topic] | None = None) -> None:
        if not isinstance(workspace, str | Path):
            raise TypeError(f"workspace must be a path, got {type(workspace).__name__}")
        self.progress = Progress(Path(workspace))
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tz = tz
        self.items = all_items(topics)
        self._by_key = {item.key: item for item in self.items}
        with closing(sqlite3.connect(self.progress.path)) as db:
            db.executescript(_SCHEMA)

    def now(self) -> datetime:
        """The clock's current time, in UTC."""
        return _utc(self.clock())

    def day(self, moment: datetime) -> date:
        """The learner's calendar day of a moment."""
        return moment.astimezone(self.tz).date()

    def item(self, key: str) -> Item:
        """The item with this key (``interview:t05_attention``)."""
        if not isinstance(key, str):
            raise TypeError(f"item key must be a str like 'interview:t05_attention', got {type(key).__name__}")
        if key not in self._by_key:
            raise ValueError(f"unknown review item {key!r}; expected 'interview:<concept slug>' "
                             f"or 'exercise:<slug>'")
        return self._by_key[key]

    def _history(self) -> dict[str, list[tuple[datetime, fsrs.Rating]]]:
        history: dict[str, list[tuple[datetime, fsrs.Rating]]] = {item.key: [] for item in self.items}
        with closing(sqlite3.connect(self.progress.path)) as db:
            for key, rating, at in db.execute("SELECT item, rating, reviewed_at FROM reviews"):
                if key in history:
                    history[key].append((datetime.fromtimestamp(at, UTC), fsrs.Rating(rating)))
            rows = db.execute("SELECT slug, score, max_score, checked_at FROM attempts")
            for slug, score, max_score, at in rows:
                key = f"{EXERCISE}:{slug}"
                if key in history:
                    history[key].append((datetime.fromtimestamp(at, UTC), exercise_rating(score, max_score)))
        for events in history.values():
            events.sort(key=lambda event: event[0])
        return history

    def cards(self) -> dict[str, CardState]:
        """Every item's card: its ratings replayed through FSRS in time order."""
        states = {}
        for key, events in self._history().items():
            item = self._by_key[key]
            sched = scheduler(item.kind)
            card = fsrs.Card(card_id=item.card_id, due=events[0][0] if events else datetime(1970, 1, 1, tzinfo=UTC))
            state = CardState(item, card)
            for at, rating in events:
                before = card.state
                card, _ = sched.review_card(card, rating, at)
                state.reviews.append((at, rating, before))
            state.card = card
            states[key] = state
        return states

    def card(self, key: str) -> CardState:
        """One item's card."""
        self.item(key)
        return self.cards()[key]

    def is_due(self, state: CardState, now: datetime | None = None) -> bool:
        """A learned card on or after its due day; a learning card within the learn-ahead limit."""
        if state.is_new:
            return False
        now = self.now() if now is None else _utc(now)
        if state.card.state == fsrs.State.Review:
            return self.day(state.card.due) <= self.day(now)
        return state.card.due <= now + LEARN_AHEAD

    def preview(self, key: str) -> dict[fsrs.Rating, datetime]:
        """The due date each rating would give the item now (nothing is stored)."""
        state = self.card(key)
        now = self.now()
        sched = scheduler(state.item.kind)
        return {rating: sched.review_card(state.card, rating, now)[0].due for rating in fsrs.Rating}

    def rate(self, key: str, rating: object) -> CardState:
        """Rate an interview question now, store the rating at once, return the new card."""
        item = self.item(key)
        value = parse_rating(rating)
        if item.kind != INTERVIEW:
            raise ValueError(f"{key} is an exercise: it is rated by `mmqb check` (full score = Good, "
                             f"otherwise Again), not by hand")
        with closing(sqlite3.connect(self.progress.path)) as db, db:
            db.execute("INSERT INTO reviews VALUES (?, ?, ?)", (key, int(value), self.now().timestamp()))
        return self.card(key)

    def new_today(self, states: dict[str, CardState] | None = None) -> int:
        """Items first reviewed today."""
        today = self.day(self.now())
        states = self.cards() if states is None else states
        return sum(1 for s in states.values() if s.reviews and self.day(s.reviews[0][0]) == today)

    def queue(self, new_per_day: int = DEFAULT_NEW_PER_DAY) -> list[Item]:
        """What to review now: due cards (most overdue first), then new items up to the daily limit."""
        if isinstance(new_per_day, bool) or not isinstance(new_per_day, int):
            raise TypeError(f"new_per_day must be an int, got {type(new_per_day).__name__}")
        if new_per_day < 0:
            raise ValueError(f"new_per_day must be >= 0, got {new_per_day}")
        states = self.cards()
        now = self.now()
        due = sorted((s for s in states.values() if self.is_due(s, now)), key=lambda s: s.card.due)
        room = max(0, new_per_day - self.new_today(states))
        new = [s for s in states.values() if s.is_new][:room]
        return [s.item for s in due + new]

    def stats(self, days: int = FORECAST_DAYS) -> Stats:
        """Due now, new, learning, retention so far and a forecast of the next ``days`` days."""
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, got {type(days).__name__}")
        if days < 1:
            raise ValueError(f"days must be >= 1, got {days}")
        states = self.cards()
        now = self.now()
        today = self.day(now)
        seen = [s for s in states.values() if not s.is_new]
        learned_reviews = [r for s in seen for r in s.reviews if r[2] == fsrs.State.Review]
        forecast = []
        for offset in range(days):
            day = today + timedelta(days=offset)
            days_due = [self.day(s.card.due) for s in seen]
            count = sum(1 for d in days_due if (d <= day if offset == 0 else d == day))
            forecast.append((day, count))
        return Stats(
            today=today,
            due=sorted((s for s in seen if self.is_due(s, now)), key=lambda s: s.card.due),
            new=len(states) - len(seen),
            learning=sum(1 for s in seen if s.card.state != fsrs.State.Review),
            total=len(states),
            recalled=sum(1 for r in learned_reviews if r[1] != fsrs.Rating.Again),
            reviewed_learned=len(learned_reviews),
            forecast=forecast,
        )


# ---- terminal text: display widths (a CJK character takes two columns) ----------------------


def width(text: str) -> int:
    """Display width in a terminal: wide (CJK) characters count 2, combining marks 0."""
    return sum(max(wcwidth(ch), 0) for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` followed by spaces up to ``columns`` display columns."""
    return text + " " * max(0, columns - width(text))


def truncate(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` display columns (an ellipsis marks a cut)."""
    if width(text) <= columns:
        return text
    out, used = "", 0
    for ch in text:
        w = max(wcwidth(ch), 0)
        if used + w > columns - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


_OPENING = "（「『“‘《【"
_CLOSING = "，。；：、！？）」』”’》】…"


def _tokens(line: str) -> list[str]:
    """Words, single spaces and single wide characters (a line may break between two CJK characters).

    Chinese punctuation stays with its neighbour: no line starts with ， or ” and none ends with “.
    """
    tokens: list[str] = []
    for ch in line:
        if tokens and tokens[-1] != " " and (ch in _CLOSING or tokens[-1][-1] in _OPENING):
            tokens[-1] += ch
        elif ch == " " or _is_wide(ch) or not tokens or tokens[-1] == " " or _is_wide(tokens[-1][-1]):
            tokens.append(ch)
        else:
            tokens[-1] += ch
    return tokens


def wrap(text: str, columns: int) -> list[str]:
    """Wrap each line of ``text`` to ``columns`` display columns; list items keep a hanging indent."""
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        marker = ""
        for prefix in ("- ", "* "):
            if stripped.startswith(prefix):
                marker = prefix
        head = stripped.split(" ", 1)[0]
        if not marker and head[:-1].isdigit() and head.endswith(".") and " " in stripped:
            marker = head + " "
        indent = " " * (len(line) - len(stripped) + len(marker))
        current, used = "", 0
        for token in _tokens(line):
            w = width(token)
            if used + w > columns and current.strip():
                out.append(current.rstrip())
                current, used = indent, len(indent)
                if token == " ":
                    continue
            current, used = current + token, used + w
        out.append(current.rstrip())
    return out


_STARTS_LINE = re.compile(r"^\s*(#|[-*] |\d+\. |\$\$|\|)")


def _join(left: str, right: str) -> str:
    """Join a hard-wrapped line to the next: a space, except between two wide (CJK) characters."""
    if left and right and (left[-1] in _CLOSING or _is_wide(left[-1]) and _is_wide(right[0])):
        return left + right
    return f"{left} {right}"


def reflow(text: str) -> str:
    """Undo the hard wrapping of Markdown paragraphs and list items, so the terminal width decides."""
    lines: list[str] = []
    for line in text.splitlines():
        previous = lines[-1].strip() if lines else ""
        if previous and line.strip() and not _STARTS_LINE.match(line) and not previous.startswith(("$$", "#", "|")):
            lines[-1] = _join(lines[-1].rstrip(), line.strip())
        else:
            lines.append(line.rstrip())
    return "\n".join(lines)


def plain(markdown: str) -> str:
    """Markdown made readable in a terminal: reflowed, no bold markers, headings as plain labels."""
    lines = []
    for line in reflow(markdown.replace("**", "")).splitlines():
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        lines.append(line)
    return "\n".join(lines)


def first_paragraphs(section: str) -> str:
    """The first paragraph of each language block of a section (``### 中文`` then ``### English``)."""
    parts = []
    for block in section.split("### ")[1:]:
        label, _, body = block.partition("\n")
        paragraph = reflow(body.strip()).split("\n\n")[0]
        parts.append(f"{label.strip()}: {paragraph}")
    return "\n\n".join(parts)


def relative(moment: datetime, now: datetime) -> str:
    """``<10m``, ``3h``, ``4d``, ``2.1mo``: how far ahead a due date is, the way Anki shows it."""
    seconds = (moment - now).total_seconds()
    if seconds < 3600:
        return f"<{max(1, round(seconds / 60))}m"
    if seconds < 20 * 3600:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


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


# ---- the interactive session ------------------------------------------------------------------

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
    from autograder.practice import check_notebook

    return check_notebook(path, workspace)


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


def _ask_rating(term: Terminal, schedule: Schedule, item: Item) -> int | str:
    previews = schedule.preview(item.key)
    now = schedule.now()
    selected = 3
    term.write("")
    term.write("how well did you recall it? ←/→ then Enter, or 1-4 / a h g e · s skips · q quits")
    term.rewrite(_rating_line(previews, now, selected))
    while True:
        key = term.key()
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
    from autograder.practice import interview_key

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
        schedule.progress.record_answer(item.topic.slug, "\n".join(lines))
    term.write("")
    _show(term, interview_key(item.topic))
    for name, heading in (("Rubric", "评分要点 / Rubric"), ("Follow-up questions", "追问 / Follow-up questions")):
        if item.topic.section(name):
            term.write("")
            _show(term, f"## {heading}\n\n" + item.topic.section(name))
    choice = _ask_rating(term, schedule, item)
    if isinstance(choice, int):
        state = schedule.rate(item.key, choice)
        term.write(f"{RATINGS[choice]}: next review {relative(state.card.due, schedule.now())} "
                   f"({state.card.due.astimezone(schedule.tz).strftime('%Y-%m-%d %H:%M')})")
    return choice


def _exercise(term: Terminal, schedule: Schedule, item: Item, workspace: Path, check) -> int | str:
    from autograder.practice import copy_release

    topic = item.topic
    state = schedule.card(item.key)
    if state.is_new:
        term.write("never attempted (new): solve it in the notebook, then check it here or with `mmqb check`")
    else:
        at, rating, _ = state.reviews[-1]
        term.write(f"last check {at.astimezone(schedule.tz).strftime('%Y-%m-%d %H:%M')}: "
                   f"{'full score (Good)' if rating == fsrs.Rating.Good else 'not full score (Again)'}")
    term.write("")
    _show(term, first_paragraphs(topic.section("Exercise")))
    notebook = workspace / f"{topic.slug}.ipynb"
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
            kept = notebook.with_name(f"{topic.slug}.{stamp}.ipynb")
            notebook.rename(kept)
            copy_release(workspace, [topic])
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
            rating = exercise_rating(result.score, result.max_score)
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


def next_review_line(workspace: Path, slug: str) -> str:
    """After ``mmqb check``: when the exercise comes back for review."""
    schedule = Schedule(workspace)
    state = schedule.card(f"{EXERCISE}:{slug}")
    due = state.card.due.astimezone(schedule.tz)
    return (f"review: this exercise counts as {RATINGS[int(state.reviews[-1][1])]}; "
            f"next review {relative(state.card.due, schedule.now())} ({due.strftime('%Y-%m-%d')}, `mmqb review`)")
