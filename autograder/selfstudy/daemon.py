"""The per-user warm grader behind ``mmqb check``: started on first use, stopped when idle.

``mmqb check`` grading in a fresh process pays the TensorFlow import and a worker's start
every time (about 10 s). Instead the first check starts this daemon, which keeps one
:class:`~autograder.engine.handle.WarmWorker` (``isolation="available"``: the same sandbox
as any ``mmqb check``) and the suites loaded; later checks send it the notebook's path and get
plain data back in well under a second: the result (``SubmissionResult.to_dict()``) and the
bank's size and points (what the progress line needs: known here without a TensorFlow
import). The daemon neither reads nor writes the learner's workspace: the client
(:mod:`autograder.selfstudy.client`) records the attempt and renders the feedback, and grades
with :func:`grade` in its own process where no daemon can be used.

Who can reach it: the socket lives in a folder only its owner can open (``0700``, owned by
the user, not a symlink; checked by both sides, else no daemon is used), the socket itself is
``0600``, and the daemon checks every peer's uid with ``SO_PEERCRED``: a connection from
another uid is closed unanswered. The client checks the daemon's uid the same way. The
daemon grades with the user's own rights what the user could grade anyway; the student code
still runs in the worker's sandboxed children.

Lifetime: it exits after ``MMQB_DAEMON_IDLE`` seconds (default 3600: a study session's pauses;
while it waits it holds one warm worker, about 700 MiB, most of it TensorFlow) without a request, when
asked (:func:`stop`), or when a client runs other code than it loaded (the code's version
differs: it answers "stale" and exits, and the client starts a fresh one; ``MMQB_DAEMON_VERSION``
pins the version). ``MMQB_NO_DAEMON=1``
makes ``mmqb check`` grade in its own process; ``MMQB_DAEMON_DIR`` moves the folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograder.engine import wire

IDLE_SECONDS = 3600.0
START_SECONDS = 300.0  # the first start imports TensorFlow and tests isolation: slow on a busy machine
MAX_MESSAGE = 64 << 20
SOCKET_NAME = "check.sock"
LOCK_NAME = "daemon.lock"
LOG_NAME = "daemon.log"


class DaemonUnavailable(RuntimeError):
    """No trustworthy daemon can be used here (the caller grades in its own process)."""


# ------------------------------------------------------------------ the private folder
def daemon_dir() -> Path:
    """The daemon's folder: ``$MMQB_DAEMON_DIR``, else ``mmqb-check-<uid>`` in the user's runtime folder."""
    from autograder.engine import settings

    explicit = os.environ.get("MMQB_DAEMON_DIR")
    return Path(explicit) if explicit else Path(settings.private_base()) / f"mmqb-check-{os.geteuid()}"


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (mode 0700) or check an existing one; ``DaemonUnavailable`` if it is not private.

    Private means: a real folder (not a symlink), owned by this user, no access for group or others.
    """
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DaemonUnavailable(f"cannot create the daemon folder {folder}: {exc.strerror}") from None
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise DaemonUnavailable(f"{folder} must be a folder, not a symlink or a file")
    if info.st_uid != os.geteuid():
        raise DaemonUnavailable(f"{folder} belongs to uid {info.st_uid}, expected {os.geteuid()} (this user)")
    if info.st_mode & 0o077:
        raise DaemonUnavailable(f"{folder} has mode {stat.S_IMODE(info.st_mode):04o}, expected 0700 "
                                "(only its owner may open it)")
    return folder


def code_version() -> str:
    """A fingerprint of the code a daemon runs: the interpreter and every engine, suite and topic file.

    ``MMQB_DAEMON_VERSION`` pins it (tests in a checkout others are editing; a frozen deployment).
    """
    from autograder.topics import ROOT

    if os.environ.get("MMQB_DAEMON_VERSION"):
        return os.environ["MMQB_DAEMON_VERSION"]

    digest = hashlib.sha256(sys.executable.encode())
    for pattern in ("autograder/**/*.py", "questions/*.md", "autograder/templates/*"):
        for path in sorted(ROOT.glob(pattern)):
            try:
                info = path.stat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(ROOT)}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------ framing
def send(sock: socket.socket, message: dict[str, Any]) -> None:
    """One message: UTF-8 JSON in the engine's one framing (``wire.frame``)."""
    sock.sendall(wire.frame(json.dumps(message, ensure_ascii=False).encode()))


def receive(sock: socket.socket) -> dict[str, Any]:
    """The next message; ``EOFError`` if the peer closed, ``ValueError`` if it is not one."""
    message = json.loads(wire.recv_frame(sock, MAX_MESSAGE))  # a WireError is a ValueError
    if not isinstance(message, dict):
        raise ValueError(f"expected a JSON object, got {type(message).__name__}")
    return message


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (``SO_PEERCRED``)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    return uid


# ------------------------------------------------------------------ grading (the daemon's, or the client's own)
def bank() -> dict[str, Any]:
    """The whole bank in numbers: ``{"topics": 30, "max_points": 300.0}`` (loads every suite: TensorFlow)."""
    from autograder.checks import load_suite
    from autograder.topics import all_topics

    topics = all_topics()
    return {"topics": len(topics), "max_points": float(sum(load_suite(t.slug).max_score for t in topics))}


def grade(path: Path, worker, timeout: float) -> dict[str, Any]:
    """Grade ``path`` with ``worker``: ``{"result": SubmissionResult.to_dict(), "bank": bank()}``.

    ``bank`` is None when the notebook could not be graded (nothing is shown of the bank then).
    """
    from autograder.engine import Limits, grade_path

    result = grade_path(path, worker, Limits(wall_seconds=timeout))
    return {"result": result.to_dict(), "bank": bank() if result.graded else None}


# ------------------------------------------------------------------ client
def _connect(folder: Path, timeout: float | None) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(folder / SOCKET_NAME))
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    except OSError:
        sock.close()
        raise
    if peer_uid(sock) != os.geteuid():  # only our own daemon may see our notebooks
        sock.close()
        raise DaemonUnavailable(f"the process behind {folder / SOCKET_NAME} is not this user's")
    return sock


def request(message: dict[str, Any], folder: Path | None = None, timeout: float | None = None) -> dict[str, Any]:
    """Send one request to a running daemon and return its answer; ``DaemonUnavailable`` if none runs."""
    folder = private_dir(folder or daemon_dir())
    sock = _connect(folder, timeout)
    if sock is None:
        raise DaemonUnavailable("no daemon is running")
    with sock:
        send(sock, message)
        try:
            return receive(sock)
        except (EOFError, ValueError) as exc:
            raise DaemonUnavailable(f"the daemon closed the connection without an answer ({exc})") from None


def spawn(folder: Path, idle: float | None = None) -> subprocess.Popen:
    """Start a daemon serving ``folder`` in its own session (it outlives the caller)."""
    from autograder.engine.settings import QUIET_ENV
    from autograder.topics import ROOT

    idle = idle if idle is not None else float(os.environ.get("MMQB_DAEMON_IDLE", IDLE_SECONDS))
    env = dict(os.environ, PYTHONPATH=str(ROOT), **QUIET_ENV)
    with open(folder / LOG_NAME, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "autograder.selfstudy.daemon", "serve", str(folder),
                                 "--idle", str(idle)], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, start_new_session=True, close_fds=True)


def _started(folder: Path, proc: subprocess.Popen, timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock = _connect(folder, None)
        if sock is not None:
            return sock
        if proc.poll() is not None:
            # It lost the race to a daemon another client started, or it failed: look once more.
            sock = _connect(folder, None)
            if sock is not None:
                return sock
            raise DaemonUnavailable(f"the daemon exited with status {proc.returncode}; see {folder / LOG_NAME}")
        time.sleep(0.05)
    raise DaemonUnavailable(f"the daemon did not start within {timeout:g} s; see {folder / LOG_NAME}")


def check(path: Path, timeout: float = 120.0, folder: Path | None = None,
          on_start: Callable[[], None] | None = None) -> dict[str, Any]:
    """Grade a notebook through the daemon (started if needed): the plain data of :func:`grade`.

    ``on_start`` is called when a daemon has to be started (the learner then waits for
    TensorFlow: the caller says so at once). ``DaemonUnavailable`` when no daemon can be used
    (the caller then grades in its own process).
    """
    folder = private_dir(folder or daemon_dir())
    message = {"op": "check", "path": str(Path(path).resolve()), "timeout": float(timeout)}
    for _ in range(3):
        message["version"] = code_version()  # the files on disk now: what a fresh daemon would load
        sock = _connect(folder, None)
        if sock is None:
            if on_start is not None:
                on_start()
            sock = _started(folder, spawn(folder), START_SECONDS)
        with sock:
            try:
                send(sock, message)
                reply = receive(sock)
            except (EOFError, ValueError, OSError) as exc:
                raise DaemonUnavailable(f"the daemon failed while checking ({exc}); see {folder / LOG_NAME}") from None
        if reply.get("status") == "stale":  # it runs older code and is exiting: start a fresh one
            _wait_gone(int(reply.get("pid", 0)), 30)
            continue
        if reply.get("status") != "ok":
            raise DaemonUnavailable(f"the daemon could not check the notebook: {reply.get('message')}")
        return {"result": reply["result"], "bank": reply["bank"]}
    raise DaemonUnavailable("the daemon kept answering with other code than this one")


def stop(folder: Path | None = None) -> bool:
    """Ask the daemon to exit; True if one was running."""
    try:
        reply = request({"op": "stop"}, folder, timeout=30)
    except DaemonUnavailable:
        return False
    _wait_gone(int(reply.get("pid", 0)), 30)
    return True


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, e.g. a daemon this process spawned, does not)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while pid > 0 and time.monotonic() < deadline and running(pid):
        time.sleep(0.05)


# ------------------------------------------------------------------ server
class Daemon:
    """The server side: one warm worker, requests served one at a time from the main thread.

    One learner, one worker: requests queue on the socket; the worker ends when the daemon does.
    """

    def __init__(self, folder: Path, idle: float) -> None:
        self.folder = private_dir(folder)
        self.idle = idle
        self.version = code_version()
        self.worker = None
        self.sock: socket.socket | None = None
        self.inode: int | None = None
        self.lock_fd: int | None = None

    def lock(self, wait: float = 30.0) -> bool:
        """Hold the folder's lock for the daemon's life; False if another daemon holds it."""
        fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.lock_fd = fd
                return True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            # A daemon that is live answers: then this one is not needed. One that is exiting
            # (stale, idle) releases the lock within seconds.
            with contextlib.suppress(OSError, DaemonUnavailable):
                live = _connect(self.folder, 5)
                if live is not None:
                    live.close()
                    os.close(fd)
                    return False
            if time.monotonic() >= deadline:
                os.close(fd)
                return False
            time.sleep(0.1)

    def warm_up(self) -> None:
        """Start the worker (TensorFlow import, isolation test) and load what every check needs."""
        from autograder.checks import load_suite
        from autograder.engine import WarmWorker
        from autograder.topics import all_topics

        self.worker = WarmWorker(0, isolation="available")
        self.worker.start()
        for topic in all_topics():
            load_suite(topic.slug)

    def listen(self) -> None:
        """Bind the socket (0600) in the private folder."""
        path = self.folder / SOCKET_NAME
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # we hold the lock: whatever is there is a dead daemon's
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            self.sock.bind(str(path))
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        self.inode = os.lstat(path).st_ino
        self.sock.listen(16)

    def serve(self) -> None:
        """Answer requests until idle for ``idle`` seconds, asked to stop, or stale."""
        assert self.sock is not None
        self.sock.settimeout(self.idle)
        while True:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                return
            with conn:
                conn.settimeout(60)
                try:
                    if peer_uid(conn) != os.geteuid():
                        continue  # another user's process: closed unanswered
                    message = receive(conn)
                    conn.settimeout(None)
                    reply, keep_going = self.handle(message)
                    send(conn, reply)
                except (EOFError, ValueError, OSError) as exc:
                    print(f"mmqb daemon: bad request: {exc!r}", file=sys.stderr, flush=True)
                    continue
            if not keep_going:
                return

    def handle(self, message: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The answer to one request, and whether to keep serving."""
        op = message.get("op")
        base = {"pid": os.getpid(), "version": self.version}
        if op == "stop":
            return dict(base, status="ok"), False
        if message.get("version") != self.version:
            return dict(base, status="stale"), False
        if op == "ping":
            return dict(base, status="ok"), True
        if op != "check":
            return dict(base, status="error", message=f"unknown request {op!r}"), True
        try:
            path, timeout = message["path"], message["timeout"]
            if not isinstance(path, str) or isinstance(timeout, bool) or not isinstance(timeout, int | float):
                raise TypeError("path must be text, timeout a number")
            graded = grade(Path(path), self.worker, float(timeout))
        except Exception as exc:  # noqa: BLE001 - the daemon survives a failed check; the client falls back
            print(f"mmqb daemon: check failed: {exc!r}", file=sys.stderr, flush=True)
            return dict(base, status="error", message=f"{type(exc).__name__}: {exc}"), True
        return dict(base, status="ok", **graded), True

    def close(self) -> None:
        """Remove the socket (if still ours), stop the worker, release the lock."""
        if self.sock is not None:
            self.sock.close()
            path = self.folder / SOCKET_NAME
            with contextlib.suppress(OSError):
                if os.lstat(path).st_ino == self.inode:
                    os.unlink(path)
        if self.worker is not None:
            self.worker.close()
        if self.lock_fd is not None:
            os.close(self.lock_fd)


def serve(folder: Path, idle: float = IDLE_SECONDS) -> int:
    """Run a daemon on ``folder`` until it is idle, stopped or stale; exit status."""
    daemon = Daemon(folder, idle)
    if not daemon.lock():
        return 0  # another daemon serves this folder
    try:
        daemon.warm_up()
        daemon.listen()
        print(f"mmqb daemon {os.getpid()}: serving {folder} (idle timeout {idle:g} s)", file=sys.stderr, flush=True)
        daemon.serve()
    finally:
        daemon.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.selfstudy.daemon serve FOLDER [--idle SECONDS]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.selfstudy.daemon")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("folder")
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS)
    args = parser.parse_args(argv)
    return serve(Path(args.folder), args.idle)


if __name__ == "__main__":
    sys.exit(main())
