"""Spaced repetition over the bank: an FSRS schedule of the interview questions and exercises.

The review items are the interview question of each concept topic and the exercise of each
topic. The scheduler is FSRS (the ``fsrs`` package, the
algorithm Anki uses), never a formula of ours:

- an interview question is rated by the learner (Again / Hard / Good / Easy) after comparing
  their answer with the key points; the ratings are the store's ``reviews`` table;
- an exercise is rated by its check in a review (``c`` in ``mmqb review``): a full score is
  Good, anything else (a failed check, a crash) is Again. A ``mmqb check`` outside a review is
  practice: it is recorded as an attempt (progress), never as a rating, so fixing and
  re-checking a notebook three times in two minutes is not three recalls;
- an item never reviewed (a topic never attempted) is new.

Both kinds of rating are in the workspace's store (:mod:`autograder.selfstudy.store`). A card's state
is the replay of its ratings through ``fsrs.Scheduler.review_card`` in time order, so it
survives any restart, and every rating is committed the moment it is given. Fuzzing is off:
the same ratings at the same times always give the same due dates.

Interview questions have one 10-minute learning (and relearning) step, so a learner who rates
Again sees the question again later in the same session. An exercise has no learning steps:
redoing a notebook ten minutes later teaches nothing, so Again brings it back the next day.

A day is the learner's local calendar day: a learned card is due on its due date; a card in a
learning step is due when its step is over, or up to 20 minutes before (Anki's learn-ahead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import fsrs

from autograder.selfstudy.store import Store
from autograder.topics import Topic, all_topics

INTERVIEW, EXERCISE = "interview", "exercise"
RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
LEARN_AHEAD = timedelta(minutes=20)
FORECAST_DAYS = 14
DEFAULT_NEW_PER_DAY = 10


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
    """What a check in a review counts as: Good at full score, Again otherwise."""
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
    """The FSRS schedule of a workspace: its store's review ratings, replayed."""

    def __init__(self, workspace: Path, clock: Callable[[], datetime] | None = None,
                 tz: tzinfo | None = None, topics: list[Topic] | None = None) -> None:
        if not isinstance(workspace, str | Path):
            raise TypeError(f"workspace must be a path, got {type(workspace).__name__}")
        self.store = Store(Path(workspace))
        self.clock = clock or (lambda: datetime.now(UTC))
        self.tz = tz
        self.items = all_items(topics)
        self._by_key = {item.key: item for item in self.items}

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
        for key, rating, at in self.store.reviews():
            if key in history:
                history[key].append((datetime.fromtimestamp(at, UTC), fsrs.Rating(rating)))
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
            raise ValueError(f"{key} is an exercise: it is rated by its check in `mmqb review` (full score = "
                             f"Good, otherwise Again), not by hand")
        self.store.record_review(key, int(value), self.now().timestamp())
        return self.card(key)

    def rate_exercise(self, key: str, score: float, max_score: float) -> CardState:
        """Rate an exercise now by the score of its check in a review; store it at once, return the card."""
        item = self.item(key)
        if item.kind != EXERCISE:
            raise ValueError(f"{key} is an interview question: the learner rates it (Again/Hard/Good/Easy)")
        self.store.record_review(key, int(exercise_rating(score, max_score)), self.now().timestamp())
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
