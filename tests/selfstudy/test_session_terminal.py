"""`mmqb review` driven in a real terminal: tmux send-keys / capture-pane.

tmux is installed here only when it is missing and we are root (CI: a fresh Debian machine,
where `.ci/browser-deps` normally installed it already); otherwise the tests skip and say why.
"""

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import fsrs
import nbformat
import pytest

from autograder.mutation import reference_cell, submission_notebook
from autograder.selfstudy.schedule import Schedule
from autograder.selfstudy.store import Store
from autograder.topics import ROOT

MMQB = Path(sys.executable).parent / "mmqb"


def _tmux() -> str:
    found = shutil.which("tmux")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("tmux is not installed and installing it needs root (apt-get install -y tmux)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    installed = subprocess.run(["apt-get", *lock, "install", "-y", "-qq", "tmux"], env=env, capture_output=True)
    if installed.returncode:
        subprocess.run(["apt-get", *lock, "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", *lock, "install", "-y", "-qq", "tmux"], env=env, capture_output=True)
    found = shutil.which("tmux")
    if not found:
        pytest.fail("running as root but `apt-get install -y tmux` did not install tmux")
    return found


class Pane:
    """One tmux server of our own (its own socket) running one command in a 100x50 window."""

    def __init__(self, tmux: str, command: str, name: str) -> None:
        self.base = [tmux, "-u", "-L", f"mmqb-test-{os.getpid()}-{name}"]
        # the program reads the pane's size, not a COLUMNS/LINES inherited from pytest's terminal
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        subprocess.run([*self.base, "new-session", "-d", "-s", "review", "-x", "100", "-y", "50",
                        "bash", "-c", command], check=True, env=env)

    def send(self, *keys: str, literal: bool = False) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "review", *(["-l"] if literal else []), *keys], check=True)

    def screen(self) -> str:
        return subprocess.run([*self.base, "capture-pane", "-p", "-t", "review"], check=True,
                              capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on the screen after {timeout:g} s:\n{screen}")
            time.sleep(0.2)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


@pytest.fixture
def tmux():
    return _tmux()


def review_command(workspace: Path, new: int) -> str:
    env = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TF_CPP_MIN_LOG_LEVEL=2 TF_ENABLE_ONEDNN_OPTS=0"
    ws = shlex.quote(str(workspace))
    return (f"cd {shlex.quote(str(ROOT))} && {env} {shlex.quote(str(MMQB))} review --workspace {ws} --new {new}; "
            f"echo $? > {ws}/exit.txt; stty -a > {ws}/stty.txt; sleep 600")


def wait_file(path: Path, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} was not written"
        time.sleep(0.2)
    time.sleep(0.2)
    return path.read_text()


@pytest.mark.slow
def test_review_one_question_and_one_exercise_in_tmux(tmux, tmp_path):
    release = nbformat.read(ROOT / "release" / "t01_class_balance" / "t01_class_balance.ipynb", as_version=4)
    nbformat.write(submission_notebook(release, reference_cell("t01_class_balance")),
                   tmp_path / "t01_class_balance.ipynb")
    pane = Pane(tmux, review_command(tmp_path, new=2), "session")
    try:
        screen = pane.wait_for("your answer")
        assert "1 of 2 · t01 · 面试题 Interview" in screen
        assert "多模态大模型的常见问题：类别不平衡与类别权重" in screen
        assert "请简述多模态大模型中常见的问题及其解决方案。" in screen
        answer = "类别不平衡：类别权重、重采样；模态不平衡：modality dropout"
        pane.send(answer, literal=True)
        pane.send("Enter")
        pane.send("Enter")  # an empty line shows the key points
        screen = pane.wait_for("rate:")
        assert "[3 Good" in screen and "逆频率" in screen  # Good preselected; the key points are shown
        pane.send("Right")
        pane.wait_for("[4 Easy")
        pane.send("Left")
        pane.wait_for("[3 Good")
        pane.send("Enter")
        pane.wait_for("Good: next review")
        pane.send("Space")
        screen = pane.wait_for("c  check it now")  # the card's last line: the whole card is drawn
        assert "2 of 2 · t01 · 练习 Exercise" in screen and "never attempted (new)" in screen
        pane.send("c")
        screen = pane.wait_for("session over: 2 rating(s) saved (Good 2), 0 skipped.", timeout=300)
        assert "review: this exercise counts as Good" in screen
        assert wait_file(tmp_path / "exit.txt").strip() == "0"
        (tmp_path / "screen.txt").write_text(screen)
    finally:
        pane.close()
    schedule = Schedule(tmp_path)
    for key in ("interview:t01_class_balance", "exercise:t01_class_balance"):
        assert [rating for _, rating, _ in schedule.card(key).reviews] == [fsrs.Rating.Good]
    assert Store(tmp_path).answers("t01_class_balance") == [answer]
    assert Store(tmp_path).best()["t01_class_balance"][:2] == (10, 10)


def test_ctrl_c_keeps_the_ratings_and_restores_the_terminal(tmux, tmp_path):
    pane = Pane(tmux, review_command(tmp_path, new=3), "interrupt")
    try:
        pane.wait_for("your answer")
        pane.send("q")
        pane.send("Enter")
        pane.wait_for("session over: 0 rating(s) saved")  # q alone on the first line quits
        assert wait_file(tmp_path / "exit.txt").strip() == "0"
    finally:
        pane.close()
    (tmp_path / "exit.txt").unlink()
    pane = Pane(tmux, review_command(tmp_path, new=3), "interrupt2")
    try:
        pane.wait_for("your answer")
        pane.send("Enter")
        pane.wait_for("rate:")
        pane.send("a")  # a single letter: Again
        pane.wait_for("Again: next review")
        pane.wait_for("any key: next card")
        pane.send("C-c")
        screen = pane.wait_for("interrupted: 1 rating(s) saved (Again 1)")
        assert "Traceback" not in screen
        assert wait_file(tmp_path / "exit.txt").strip() == "130"
        stty = wait_file(tmp_path / "stty.txt")
    finally:
        pane.close()
    assert "echo" in stty.split() and "icanon" in stty.split()  # cbreak mode was undone
    reviews = Schedule(tmp_path).card("interview:t01_class_balance").reviews
    assert [rating for _, rating, _ in reviews] == [fsrs.Rating.Again]
