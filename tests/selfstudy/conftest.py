"""Fixtures of the self-study tests: a clock moved by hand, the FSRS oracle, piped terminals, notebooks.

(``tests/conftest.py`` above this folder still applies: TensorFlow silenced, ``MMQB_NO_DAEMON=1``.)
"""

import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import fsrs
import nbformat
import pytest

from autograder.selfstudy.session import Terminal
from autograder.topics import ROOT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEN_MINUTES = (timedelta(minutes=10),)
FIXTURES = Path(__file__).parent / "fixtures"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def _terminal_width(monkeypatch):
    """What the CLI prints is wrapped by the terminal's width: pinned to 100 columns (the width
    used when the output is not a terminal), so a test reads the same lines whatever terminal
    pytest itself runs in (CI's is 80 columns). A test about wrapping sets its own."""
    monkeypatch.setenv("COLUMNS", "100")


def _replay(scheduler, events):
    card = fsrs.Card(card_id=1)
    dues = []
    for at, rating in events:
        card, _ = scheduler.review_card(card, rating, at)
        dues.append(card.due)
    return dues


@pytest.fixture
def t0():
    """The tests' start time: 2026-03-02 09:00 UTC."""
    return T0


@pytest.fixture
def clock():
    """A clock at ``t0``; set ``clock.now`` to move it."""
    return Clock()


@pytest.fixture
def oracle():
    """The ``fsrs`` package driven with the schedule's documented settings, and a replay of ratings through it.

    ``oracle.interview()`` / ``oracle.exercise()``: schedulers without fuzzing (interview questions with
    one 10-minute learning and relearning step, exercises with none); ``oracle.replay(scheduler, events)``:
    the due date after each ``(time, rating)``.
    """
    return SimpleNamespace(
        interview=lambda: fsrs.Scheduler(learning_steps=TEN_MINUTES, relearning_steps=TEN_MINUTES,
                                         enable_fuzzing=False),
        exercise=lambda: fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False),
        replay=_replay,
    )


@pytest.fixture
def pipe_terminal():
    """``pipe_terminal(lines)``: a terminal reading those lines from a pipe, writing to a string."""
    def make(lines):
        return Terminal(stdin=io.StringIO("".join(f"{line}\n" for line in lines)), stdout=io.StringIO())

    return make


@pytest.fixture
def submission():
    """``submission(path, slug, code)``: the topic's release notebook at ``path`` with ``code`` (None: the stub)."""
    from autograder.mutation import submission_notebook

    def write(path: Path, slug: str, code: str | None) -> Path:
        release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
        nbformat.write(submission_notebook(release, code), path)
        return path

    return write


@pytest.fixture
def v0_expected():
    """What the release before the selfstudy package read from the v0 stores (fixtures/v0_expected.json)."""
    return json.loads((FIXTURES / "v0_expected.json").read_text())


@pytest.fixture
def v0_workspace(tmp_path):
    """``v0_workspace(name)``: a workspace whose store is the v0 fixture ``fixtures/<name>.sqlite``."""
    def make(name: str) -> Path:
        workspace = tmp_path / name
        (workspace / ".mmqb").mkdir(parents=True)
        shutil.copyfile(FIXTURES / f"{name}.sqlite", workspace / ".mmqb" / "progress.sqlite")
        return workspace

    return make
