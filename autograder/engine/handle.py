"""The trusted side's handle on one warm worker, and the protocol of one sandboxed submission.

The worker (``autograder.engine.worker``) is a long-lived process with TensorFlow imported;
for each submission it forks one fresh sandboxed child. This module starts and restarts it,
sends it a job with the child's ends of four pipes (``wire.CHANNELS``), and drives the other
ends itself: it reads text and output until the visible part is done, closes them, and only
then writes the hidden probes (the worker never holds them); then it reads the hidden part's
plain data until the worker says the child is over. What each part produced, as this side saw
it, is a :class:`Phase`.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from autograder.engine import settings, wire
from autograder.engine.settings import Limits
from autograder.errors import EngineFault, IsolationUnavailable

log = logging.getLogger("mmqb.engine")
OUTPUT_TAIL = 4000  # bytes of what a submission printed kept for the grader's log and tests


@dataclass
class Phase:
    """What one part of a submission (visible, hidden) produced, as the trusted side saw it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    status: str = ""  # "" | timeout | memory | output | crashed | error
    detail: str = ""
    output: str = ""
    elapsed: float = 0.0

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("kind") == kind]

    @property
    def isolation(self) -> list[str] | None:
        """The isolation steps the child reported, or None if it never got that far.

        Only the first frame counts: the child sends it before any student code runs, so a
        later "isolation" or "isolation_failed" frame is the student's forgery.
        """
        first = self.messages[0] if self.messages else {}
        steps = first.get("steps") if first.get("kind") == "isolation" else None
        return [s for s in steps if type(s) is str] if type(steps) is list else None

    @property
    def isolation_failure(self) -> str | None:
        """The failed step's message, if the child's first frame says isolation failed."""
        first = self.messages[0] if self.messages else {}
        return str(first.get("message")) if first.get("kind") == "isolation_failed" else None

    @property
    def finished(self) -> bool:
        return self.finished_part("done")

    def finished_part(self, kind: str) -> bool:
        """Whether the frame that ends this part (``visible_done``, ``done``) arrived."""
        return bool(self.of_kind(kind))


class WarmWorker:
    """Handle on one ``autograder.engine.worker`` process (started lazily, restarted on death).

    ``isolation``: ``"require"`` (refuse to grade without full isolation), ``"available"``
    (full if possible, else none, said in every result), ``"off"`` (``--no-isolation``),
    ``"uid"`` (full if possible, else, as root, the "uid" mode of ``sandbox``, else refuse: the
    Gradescope runner's, in a container that refuses namespaces). ``mode`` says which was used
    (``"full"``, ``"uid"``, ``"none"``), and so does every result's first isolation step.
    ``no_namespaces`` (tests) makes the worker behave as if the machine refused namespaces.
    """

    def __init__(self, index: int = 0, isolation: str = "require", break_step: str | None = None,
                 no_namespaces: bool = False) -> None:
        if isolation not in settings.ISOLATION_POLICIES:
            raise ValueError(f"isolation must be one of {settings.ISOLATION_POLICIES}, got {isolation!r}")
        self.index = index
        self.policy = isolation
        self.break_step = break_step
        self.no_namespaces = no_namespaces
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.run_dir: str | None = None
        self.lease: settings.UidLease | None = None
        self.mode = "full"
        self.lock = threading.Lock()
        self.command = [sys.executable, "-m", "autograder.engine.worker"]  # + the socket's descriptor

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the worker, wait until TensorFlow is imported and isolation is tested."""
        try:
            self.run_dir = settings.make_run_dir()
            if os.geteuid() == 0 and self.lease is None:
                self.lease = settings.UidLease()
                self.lease.acquire()
        except (OSError, RuntimeError) as exc:
            self.close()
            raise EngineFault(f"cannot prepare the sandbox folders or uid: {exc}") from None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        log_path = os.path.join(self.run_dir, "worker.log")
        hello: dict[str, Any] = {"run_dir": self.run_dir}
        if self.no_namespaces:
            hello["no_namespaces"] = True
        if self.policy == "uid":
            # A "uid" sandbox reaches its scratch folder by its path in the run folder: traversable
            # by others (names unpredictable, not listable), the worker's log root's alone.
            hello["uid_mode"] = True
            os.chmod(self.run_dir, 0o711)
            os.close(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
            os.chmod(log_path, 0o600)
        with open(log_path, "ab") as log_file:
            self.proc = subprocess.Popen(
                [*self.command, str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                env=settings.worker_env(self.run_dir), cwd=self.run_dir)
        theirs.close()
        self.sock = ours
        try:
            wire.send_message(ours, hello)
            ready = self._receive(300)
        except (EOFError, OSError, TimeoutError) as exc:
            tail = _tail(log_path)
            self.close()
            raise EngineFault(f"the grading worker failed to start ({exc}); its log ends with: {tail}") from None
        capability = ready.get("isolation", "unknown")
        if capability == "full":
            self.mode = "full" if self.policy != "off" else "none"
        elif self.policy == "uid" and ready.get("uid_isolation") == "uid":
            self.mode = "uid"
            log.warning("namespaces refused here (%s): student code runs under a dedicated uid, without "
                        "capabilities; its network is not isolated", capability)
        elif self.policy == "uid":
            self.close()
            raise IsolationUnavailable(f"cannot isolate student code here: {capability}; the uid mode: "
                                       f"{ready.get('uid_isolation', 'not tested')}. {settings.ISOLATION_HELP}")
        elif self.policy == "require":
            self.close()
            raise IsolationUnavailable(f"cannot isolate student code here: {capability}. {settings.ISOLATION_HELP}")
        else:
            self.mode = "none"
            log.warning("grading without isolation: %s", capability)

    def _receive(self, timeout: float) -> dict[str, Any]:
        assert self.sock is not None
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            raise TimeoutError("no answer from the grading worker")
        message, fds = wire.recv_message(self.sock)
        for fd in fds:
            os.close(fd)
        return message

    def close(self) -> None:
        """Stop the worker process and remove its private folder."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.proc = None
        if self.run_dir is not None:
            settings.remove_run_dir(self.run_dir)
            self.run_dir = None
        if self.lease is not None:
            self.lease.release()
            self.lease = None

    @property
    def unsafe(self) -> bool:
        """Graded without a sandbox (``--no-isolation``, or "available" where none could be made)."""
        return self.mode not in ("full", "uid")

    # ---------------------------------------------------------------- one submission
    def run_submission(self, job: dict[str, Any], limits: Limits,
                       hidden_probes: bytes | None = None) -> tuple[Phase, Phase | None]:
        """Run a submission in one fresh sandboxed child: its visible part, then (with
        ``hidden_probes``) its hidden part; read its channels here. ``(visible, hidden)``."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.close()
                self.start()
            assert self.sock is not None and self.run_dir is not None
            job = dict(job, limits=limits.as_job(), isolation=self.mode, run_dir=self.run_dir,
                       uid=self.lease.uid if self.lease else 0, break_step=self.break_step)
            pipes = {name: os.pipe() for name in wire.CHANNELS}
            # the child writes text, output and data and reads probes; this side the other ends
            child_ends = [pipes[n][0] if n == "probes" else pipes[n][1] for n in wire.CHANNELS]
            ours = {n: pipes[n][1] if n == "probes" else pipes[n][0] for n in wire.CHANNELS}
            try:
                wire.send_message(self.sock, {"job": job}, child_ends)
            except OSError as exc:
                for fd in ours.values():
                    os.close(fd)
                self.close()
                raise EngineFault(f"the grading worker died ({exc})") from None
            finally:
                for fd in child_ends:
                    os.close(fd)
            return _Collector(ours, limits, hidden_probes).collect(self)


class _Frames:
    """One channel of frames from the child, read into ``phase.messages`` until ``last`` (or EOF)."""

    def __init__(self, fd: int, phase: Phase, limit: int, last: str) -> None:
        self.fd: int | None = fd
        self.phase, self.limit, self.last = phase, limit, last
        self.buffer, self.received = b"", 0
        self.error: tuple[str, str] | None = None

    def read(self) -> None:
        """Read what is there; close the channel at EOF, at its last frame, or at bad input."""
        assert self.fd is not None
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            self.close()
            return
        self.received += len(chunk)
        if self.received > self.limit:
            self.error = ("output", f"results larger than {self.limit} bytes")
            self.close()  # the child's next write fails; the worker ends it
            return
        self.buffer += chunk
        while self.fd is not None:  # one frame at a time: frames before a garbled one are kept
            try:
                frames, self.buffer = wire.split_frames(self.buffer, self.limit, limit_count=1)
                if not frames:
                    return
                message = wire.decode(frames[0])
            except wire.WireError as exc:
                self.error = ("crashed", f"garbled results: {exc}")
                self.close()
                return
            if type(message) is dict:
                self.phase.messages.append(message)
                if message.get("kind") == self.last:
                    self.close()  # nothing after it is read, whoever writes it

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _Collector:
    """This side of one submission's channels, in the order the sandbox's docstring gives.

    Text and output are read until the text channel's ``visible_done`` (or its end); both are
    then closed here, and only after that are the hidden probes written. Data is read as plain
    data throughout: nothing of it is ever shown as text.
    """

    def __init__(self, ours: dict[str, int], limits: Limits, hidden_probes: bytes | None) -> None:
        self.limits = limits
        self.visible, self.hidden = Phase(), Phase()
        self.text = _Frames(ours["text"], self.visible, limits.result_bytes, "visible_done")
        self.data = _Frames(ours["data"], self.hidden, limits.result_bytes, "done")
        self.output_fd: int | None = ours["output"]
        self.output, self.output_received = b"", 0
        self.probes_fd: int | None = ours["probes"]
        self.has_hidden = hidden_probes is not None
        self.pending = memoryview(wire.frame(hidden_probes or b""))
        self.visible_over = False

    def collect(self, worker: WarmWorker) -> tuple[Phase, Phase | None]:
        assert worker.sock is not None
        reply = None
        deadline = time.monotonic() + self.limits.wall_seconds + 60
        try:
            while reply is None:
                reads = [worker.sock] + [fd for fd in (self.text.fd, self.output_fd, self.data.fd) if fd is not None]
                writes = [self.probes_fd] if self.visible_over and self.probes_fd is not None else []
                ready, writable, _ = select.select(reads, writes, [], max(0.0, deadline - time.monotonic()))
                if not ready and not writable:
                    worker.close()
                    raise EngineFault("the grading worker stopped answering")
                if self.output_fd is not None and self.output_fd in ready:
                    self._read_output()
                if self.text.fd is not None and self.text.fd in ready:
                    self.text.read()
                    if self.text.fd is None:
                        self._end_visible()
                if writable:
                    self._write_probes()
                if self.data.fd is not None and self.data.fd in ready:
                    self.data.read()
                if worker.sock in ready:
                    try:
                        reply, _ = wire.recv_message(worker.sock)
                    except (EOFError, OSError):
                        worker.close()
                        raise EngineFault("the grading worker died") from None
            # The child and its descendants are gone: what is left in the pipes, to their end.
            for channel in (self.text, self.data):
                while channel.fd is not None and select.select([channel.fd], [], [], 2.0)[0]:
                    channel.read()
                channel.close()
            if not self.visible_over:
                self._end_visible(child_alive=False)
        finally:
            for channel in (self.text, self.data):
                channel.close()
            for fd in (self.output_fd, self.probes_fd):
                if fd is not None:
                    os.close(fd)
            self.output_fd = self.probes_fd = None
        return self._outcome(reply)

    def _read_output(self, limit: int | None = None) -> bool:
        """Keep the tail of what the child printed; stop reading past ``output_bytes``. False at its end."""
        assert self.output_fd is not None
        try:
            chunk = os.read(self.output_fd, 1 << 16)
        except BlockingIOError:
            return False
        self.output_received += len(chunk)
        self.output = (self.output + chunk)[-OUTPUT_TAIL:]
        if not chunk or self.output_received > self.limits.output_bytes:
            os.close(self.output_fd)  # past the limit the child's writes fail, as on a full disk
            self.output_fd = None
            return False
        return True

    def _end_visible(self, child_alive: bool = True) -> None:
        """The text channel is over: output drained of what is there now, both closed, then the
        hidden probes (only after a real ``visible_done``; else none are ever written)."""
        self.text.close()
        if self.output_fd is not None:
            os.set_blocking(self.output_fd, False)
            while self.output_fd is not None and self._read_output():
                pass
            if self.output_fd is not None:
                os.close(self.output_fd)
                self.output_fd = None
        self.visible_over = True
        if self.probes_fd is None:
            return
        if child_alive and self.visible.finished_part("visible_done"):  # an empty frame if there are none
            os.set_blocking(self.probes_fd, False)
            self._write_probes()
        else:
            os.close(self.probes_fd)
            self.probes_fd = None

    def _write_probes(self) -> None:
        assert self.probes_fd is not None
        try:
            written = os.write(self.probes_fd, self.pending)
        except BlockingIOError:
            return
        except OSError:  # the child is gone
            written = len(self.pending)
        self.pending = self.pending[written:]
        if not self.pending:
            os.close(self.probes_fd)
            self.probes_fd = None

    def _outcome(self, reply: dict[str, Any]) -> tuple[Phase, Phase | None]:
        if reply.get("status") == "error":
            raise EngineFault(reply.get("detail", "worker error"))
        visible, hidden = self.visible, self.hidden
        visible.elapsed = float(reply.get("elapsed", 0.0))
        visible.output = self.output.decode(errors="replace")
        if reply.get("status"):
            ended = (reply["status"], reply.get("detail", ""))
        elif reply.get("signal"):
            ended = ("crashed", f"your code crashed the process ({reply['signal']})")
        else:
            ended = ("crashed", f"your code ended the process (exit code {reply.get('exit_code')}) "
                                "before the checks finished")
        if not visible.finished_part("visible_done"):
            visible.status, visible.detail = self.text.error or ended
            if self.has_hidden:  # never started: the reason the visible part ended
                hidden.status, hidden.detail = visible.status, visible.detail
        elif self.data.error:
            hidden.status, hidden.detail = self.data.error
        elif reply.get("status") or reply.get("signal") or not hidden.finished:
            hidden.status, hidden.detail = ended
        return visible, hidden if self.has_hidden else None


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - limit))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""
