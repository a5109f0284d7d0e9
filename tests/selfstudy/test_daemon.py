"""The per-user warm grader behind ``mmqb check`` (autograder/selfstudy/daemon.py).

What is asserted: who can reach it (a private folder, a 0600 socket, SO_PEERCRED), that one
daemon serves successive checks of an edited notebook with the right scores (as plain data,
which ``mmqb check`` records and renders), and that it exits when the code changes and when
idle. That ``check_notebook`` falls back to grading in its own process where no daemon can be
trusted: test_client.py. No timing is asserted (that is the benchmark's job).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from autograder.mutation import reference_cell
from autograder.results import SubmissionResult
from autograder.selfstudy import daemon
from autograder.selfstudy.client import check_notebook
from autograder.selfstudy.store import Store
from autograder.topics import all_topics

SLUG = "t05_attention"


def _wait_dead(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not daemon.running(pid):
            return True
        time.sleep(0.1)
    return not daemon.running(pid)


# ------------------------------------------------------------------ without a daemon
def test_private_dir_is_created_0700(tmp_path):
    folder = daemon.private_dir(tmp_path / "d")
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700


def test_private_dir_refuses_a_folder_others_can_open(tmp_path):
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    with pytest.raises(daemon.DaemonUnavailable, match="0755"):
        daemon.private_dir(folder)


def test_private_dir_refuses_a_symlink(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(daemon.DaemonUnavailable, match="symlink"):
        daemon.private_dir(link)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the folder to another uid")
def test_private_dir_refuses_another_users_folder(tmp_path):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(daemon.DaemonUnavailable, match="uid 65534"):
        daemon.private_dir(folder)


def test_framing_round_trip_and_bad_messages():
    a, b = socket.socketpair()
    with a, b:
        daemon.send(a, {"op": "ping", "text": "中文"})
        assert daemon.receive(b) == {"op": "ping", "text": "中文"}
        a.sendall(struct.pack(">I", 2) + b"[]")
        with pytest.raises(ValueError, match="JSON object"):
            daemon.receive(b)
        a.sendall(struct.pack(">I", daemon.MAX_MESSAGE + 1))
        with pytest.raises(ValueError, match="exceeds the limit"):
            daemon.receive(b)
        assert daemon.peer_uid(a) == os.geteuid()
        a.close()
        with pytest.raises(EOFError):
            daemon.receive(b)


def test_request_without_a_daemon_is_unavailable(tmp_path):
    with pytest.raises(daemon.DaemonUnavailable, match="no daemon"):
        daemon.request({"op": "ping"}, tmp_path / "none")


# ------------------------------------------------------------------ one real daemon
@pytest.fixture(scope="module")
def served():
    """A daemon in a private folder, started by the first check (as ``mmqb check`` does).

    The folder is right under /tmp so that a test can open its way to it for another uid.
    """
    base = Path(tempfile.mkdtemp(prefix="mmqb-daemon-test-", dir="/tmp"))
    folder = base / "run"
    workspace = base / "ws"
    workspace.mkdir()
    # The version pinned: other work in this checkout must not restart the daemon under the test.
    env = {"MMQB_DAEMON_DIR": str(folder), "MMQB_DAEMON_IDLE": "120", "MMQB_NO_DAEMON": "0",
           "MMQB_DAEMON_VERSION": "test-pinned"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield folder, workspace
    finally:
        daemon.stop(folder)
        shutil.rmtree(base, ignore_errors=True)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_one_daemon_grades_successive_edits(served, submission, capsys):
    folder, workspace = served
    nb = submission(workspace / f"{SLUG}.ipynb", SLUG, None)
    result, text = check_notebook(nb, workspace)  # mmqb check: through the daemon
    # the first check starts the grader and says so before waiting for it
    assert capsys.readouterr().err.startswith("mmqb check: starting your warm grader")
    assert result.graded and result.slug == SLUG
    assert result.score == 0 and result.max_score > 0
    assert f"score: 0 / {result.max_score:g}" in text
    first = daemon.request({"op": "ping", "version": daemon.code_version()}, folder)["pid"]

    submission(nb, SLUG, reference_cell(SLUG))  # the learner solves it: same path, new content
    result, text = check_notebook(nb, workspace)
    assert result.score == result.max_score
    assert "Full score" in text
    assert "starting" not in capsys.readouterr().err  # a warm grader: nothing to wait for
    assert daemon.request({"op": "ping", "version": daemon.code_version()}, folder)["pid"] == first
    assert (folder / daemon.LOG_NAME).read_text().count("serving") == 1
    assert "grading in this process" not in capsys.readouterr().err  # the daemon graded both
    # the attempts were recorded in the learner's workspace (by mmqb check, from the daemon's plain data)
    assert Store(workspace).best()[SLUG][2] == 2
    # the daemon's answer is plain data: the result and the bank's points, nothing of the workspace
    reply = daemon.check(nb)
    assert set(reply) == {"result", "bank"} and json.loads(json.dumps(reply)) == reply
    assert SubmissionResult.from_dict(reply["result"]).score == result.max_score
    assert reply["bank"]["topics"] == len(all_topics()) and reply["bank"]["max_points"] >= result.max_score
    assert Store(workspace).best()[SLUG][2] == 2


def test_socket_and_folder_are_owner_only(served, submission):
    folder, workspace = served
    daemon.check(submission(workspace / f"{SLUG}.ipynb", SLUG, None))
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
    sock = os.lstat(folder / daemon.SOCKET_NAME)
    assert stat.S_ISSOCK(sock.st_mode) and stat.S_IMODE(sock.st_mode) == 0o600
    assert sock.st_uid == os.geteuid()


_PEER = """
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
data = json.dumps({"op": "ping", "version": sys.argv[2]}).encode()
try:
    s.sendall(struct.pack(">I", len(data)) + data)
    print("answered" if s.recv(4) else "closed")
except (BrokenPipeError, ConnectionResetError):  # closed before or with the request unread
    print("closed")
"""


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"),
                    reason="needs root to run a peer as another uid, and a system Python it can run")
def test_a_peer_of_another_uid_gets_no_answer(served, submission):
    folder, workspace = served
    daemon.check(submission(workspace / f"{SLUG}.ipynb", SLUG, None))
    path = folder / daemon.SOCKET_NAME
    os.chmod(folder.parent, 0o711)
    os.chmod(folder, 0o711)  # defeat the first two layers on purpose: SO_PEERCRED must still refuse
    os.chmod(path, 0o666)
    try:
        out = subprocess.run(["/usr/bin/python3", "-I", "-c", _PEER, str(path), daemon.code_version()], user=65534,
                             group=65534, capture_output=True, text=True, timeout=60)
    finally:
        os.chmod(folder.parent, 0o700)
        os.chmod(folder, 0o700)
        os.chmod(path, 0o600)
    assert out.stdout.strip() == "closed", out.stderr
    # the daemon is still serving its owner
    assert daemon.request({"op": "ping", "version": daemon.code_version()}, folder)["status"] == "ok"


def test_changed_code_makes_it_exit_and_the_next_check_restarts_it(served, submission):
    folder, workspace = served
    nb = submission(workspace / f"{SLUG}.ipynb", SLUG, None)
    daemon.check(nb)
    reply = daemon.request({"op": "check", "version": "some-other-code", "path": str(nb),
                            "workspace": str(workspace), "timeout": 60.0}, folder)
    assert reply["status"] == "stale"
    assert _wait_dead(reply["pid"], 60)
    assert not (folder / daemon.SOCKET_NAME).exists()

    os.environ["MMQB_DAEMON_IDLE"] = "3"  # the next one stops soon after its last request
    result = SubmissionResult.from_dict(daemon.check(nb)["result"])
    assert result.graded and result.score == 0
    pid = daemon.request({"op": "ping", "version": daemon.code_version()}, folder)["pid"]
    assert pid != reply["pid"]
    assert _wait_dead(pid, 60), "the daemon did not stop after its idle timeout"
    assert not (folder / daemon.SOCKET_NAME).exists()
