"""The trusted side's handle on one warm worker, and the protocol of one sandboxed phase.

The worker (``autograder.engine.worker``) is a long-lived process with TensorFlow imported;
for each phase it forks a fresh sandboxed child. This module starts and restarts it, sends it
a job (with the result pipe's write end, and the hidden probes in a memfd the worker never
reads), and reads the child's frames itself until the worker says the phase is over: what a
phase produced, as this side saw it, is a :class:`Phase`.
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


@dataclass
class Phase:
    """What one sandboxed phase produced, as the trusted side saw it."""

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
        return bool(self.of_kind("done"))


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

    # ---------------------------------------------------------------- one phase
    def run_phase(self, job: dict[str, Any], limits: Limits, hidden_probes: bytes | None = None) -> Phase:
        """Run one phase of a submission in a fresh sandboxed child; read its frames here."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.close()
                self.start()
            assert self.sock is not None and self.run_dir is not None
            job = dict(job, limits=limits.as_job(), isolation=self.mode, run_dir=self.run_dir,
                       uid=self.lease.uid if self.lease else 0, break_step=self.break_step)
            read_fd, write_fd = os.pipe()
            fds = [write_fd]
            if hidden_probes is not None:
                memfd = os.memfd_create("mmqb-hidden-probes", os.MFD_CLOEXEC)
                os.write(memfd, hidden_probes)
                fds.append(memfd)
            try:
                wire.send_message(self.sock, {"job": job}, fds)
            except OSError as exc:
                os.close(read_fd)
                self.close()
                raise EngineFault(f"the grading worker died ({exc})") from None
            finally:
                for fd in fds:
                    os.close(fd)
            return self._collect(read_fd, limits)

    def _collect(self, read_fd: int, limits: Limits) -> Phase:
        """Read the child's frames until the worker reports the phase over; then drain."""
        assert self.sock is not None
        phase, buffer, received = Phase(), b"", 0
        reply = None
        deadline = time.monotonic() + limits.wall_seconds + 60
        open_fd: int | None = read_fd
        try:
            while reply is None:
                wait = [self.sock] + ([open_fd] if open_fd is not None else [])
                ready, _, _ = select.select(wait, [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    self.close()
                    raise EngineFault("the grading worker stopped answering")
                if open_fd is not None and open_fd in ready:
                    chunk = os.read(open_fd, 1 << 16)
                    if not chunk:
                        os.close(open_fd)
                        open_fd = None
                    else:
                        received += len(chunk)
                        buffer, error = self._frames(phase, buffer + chunk, received, limits)
                        if error:
                            phase.status, phase.detail = error
                            os.close(open_fd)  # the child's next write fails; the worker ends it
                            open_fd = None
                if self.sock in ready:
                    try:
                        reply, _ = wire.recv_message(self.sock)
                    except (EOFError, OSError):
                        self.close()
                        raise EngineFault("the grading worker died") from None
            while open_fd is not None:  # the child and its descendants are gone: drain to EOF
                ready, _, _ = select.select([open_fd], [], [], 2.0)
                chunk = os.read(open_fd, 1 << 16) if ready else b""
                if not chunk:
                    break
                received += len(chunk)
                buffer, error = self._frames(phase, buffer + chunk, received, limits)
                if error:
                    phase.status, phase.detail = error
                    break
        finally:
            if open_fd is not None:
                os.close(open_fd)
        if reply.get("status") == "error":
            raise EngineFault(reply.get("detail", "worker error"))
        phase.elapsed = float(reply.get("elapsed", 0.0))
        phase.output = str(reply.get("output", ""))
        if not phase.status:
            if reply.get("status"):
                phase.status, phase.detail = reply["status"], reply.get("detail", "")
            elif reply.get("signal"):
                phase.status, phase.detail = "crashed", f"your code crashed the process ({reply['signal']})"
            elif not phase.finished:
                phase.status = "crashed"
                phase.detail = (f"your code ended the process (exit code {reply.get('exit_code')}) "
                                "before the checks finished")
        return phase

    @staticmethod
    def _frames(phase: Phase, buffer: bytes, received: int, limits: Limits) -> tuple[bytes, tuple[str, str] | None]:
        if received > limits.result_bytes:
            return buffer, ("output", f"results larger than {limits.result_bytes} bytes")
        while True:  # one frame at a time: frames before a garbled one are kept
            try:
                frames, rest = wire.split_frames(buffer, limits.result_bytes, limit_count=1)
                if not frames:
                    return buffer, None
                message = wire.decode(frames[0])
            except wire.WireError as exc:
                return buffer, ("crashed", f"garbled results: {exc}")
            buffer = rest
            if type(message) is dict:
                phase.messages.append(message)


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - limit))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""
