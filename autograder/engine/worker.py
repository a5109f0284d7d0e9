"""A warm worker: imports TensorFlow once, then forks one sandboxed child per phase of a submission.

Run as ``python -m autograder.engine.worker FD`` where FD is a Unix socket to the grader; the
grader starts it with an environment of its own making (``settings.worker_env``), so nothing
of the grader's environment is in this process's memory, nor in its children's.

For each phase the grader passes, as descriptors, the write end of a result pipe (the grader
reads it; this process never sees what the child sends) and, for the hidden phase, a memfd
holding the hidden probes (this process never reads it, so a later child forked from here
cannot find hidden code in its memory). The worker only forks, supervises (wall clock,
memory) and kills.

It never runs a TensorFlow op: a fork of a process that ran one hangs. It never imports the
suites or the solutions. It is a child subreaper, so processes the student's code forks
(even after ``setsid``) are re-parented here when their parent dies; after each phase every
descendant is killed, so a submission's process tree ends with it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any

log = logging.getLogger("mmqb.worker")  # to the worker's log file (its stderr)

PR_SET_CHILD_SUBREAPER = 36


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_descendants() -> int:
    """SIGKILL every descendant of this process and reap them; return how many were killed."""
    killed = 0
    for _ in range(50):
        pids = _descendants(os.getpid())
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        _reap(timeout=0.2)
    _reap(timeout=0)
    return killed


def _reap(timeout: float) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() >= end:
                return
            time.sleep(0.01)


def _private_bytes(pids: list[int]) -> int:
    """Memory the processes own privately (pages shared with the warm worker not counted)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith(("Private_Clean:", "Private_Dirty:")):
                        total += int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    return total


def run_phase(job: dict[str, Any], result_fd: int, hidden_fd: int | None) -> dict[str, Any]:
    """Fork a sandboxed child for one phase of ``job``, supervise it until it ends, clean up."""
    from autograder.engine import sandbox

    limits = job["limits"]
    scratch = tempfile.mkdtemp(prefix="scratch-", dir=job["run_dir"])
    root = tempfile.mkdtemp(prefix="root-", dir=job["run_dir"])
    uid = int(job.get("uid") or 0)
    with open(os.path.join(scratch, "output.txt"), "w"):  # the one scratch file the worker reads afterwards
        pass
    if os.geteuid() == 0 and uid > 0:
        os.chown(scratch, uid, uid)
        os.chown(os.path.join(scratch, "output.txt"), uid, uid)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        sandbox.child_main(job, result_fd, scratch, root, hidden_fd)
    os.close(result_fd)
    if hidden_fd is not None:
        os.close(hidden_fd)
    status, detail, raw = "", "", None
    deadline = start + limits["wall_seconds"]
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                status, detail = "timeout", f"time limit of {limits['wall_seconds']:g} s exceeded"
                break
            select.select([pidfd], [], [], min(0.25, deadline - now))
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            raw = None
            if limits.get("memory_bytes") and _private_bytes([pid, *_descendants(pid)]) > limits["memory_bytes"]:
                status, detail = "memory", f"memory limit of {limits['memory_bytes'] // 2**20} MiB exceeded"
                break
    finally:
        os.close(pidfd)
        if raw is None:
            try:
                os.kill(pid, signal.SIGKILL)
                _, raw = os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        killed = kill_descendants()
        output = _tail(os.path.join(scratch, "output.txt"), limits.get("output_tail", 4000)) \
            if job["phase"] == "visible" else ""
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            os.rmdir(root)  # its mounts lived in the child's mount namespace only
        except OSError:
            pass
    signal_name, exit_code = "", None
    if raw is not None and os.WIFSIGNALED(raw):
        signal_name = signal.Signals(os.WTERMSIG(raw)).name
    elif raw is not None:
        exit_code = os.WEXITSTATUS(raw)
    return {"status": status, "detail": detail, "signal": signal_name, "exit_code": exit_code,
            "output": output, "elapsed": time.monotonic() - start, "killed": killed}


def _tail(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""


def isolation_available(run_dir: str) -> str:
    """``"full"`` when a sandbox with every isolation step can be made here, else why not."""
    read_fd, write_fd = os.pipe()
    job = {"isolation": "full", "phase": "visible", "run_dir": run_dir, "uid": 0, "setup": "", "cells": [],
           "probes": [], "forbidden": [], "limits": {"wall_seconds": 20, "cpu_seconds": 20, "memory_bytes": 0,
                                                     "output_bytes": 1 << 16, "processes": 64}}
    if os.geteuid() == 0:
        job["uid"] = 65534  # nobody: enough to test the steps, never used for student code
    outcome = run_phase(job, write_fd, None)
    data = b""
    while chunk := os.read(read_fd, 1 << 16):
        data += chunk
    os.close(read_fd)
    from autograder.engine import wire

    try:
        frames, _ = wire.split_frames(data, 1 << 20)
        messages = [wire.decode(f) for f in frames]
    except wire.WireError:
        messages = []
    for message in messages:
        if message.get("kind") == "isolation_failed":
            return f"isolation step failed: {message.get('message')}"
        if message.get("kind") == "isolation":
            return "full"
    return f"the isolation test child ended without reporting ({outcome})"


def main() -> None:
    """Warm up, then serve phases until the grader closes the socket."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    os.dup2(2, 1)  # anything printed goes to the log, never to a channel
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s mmqb worker: %(message)s")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # No PR_SET_PDEATHSIG here: it fires when the grader's *thread* that started us ends (a
    # pool thread), not the grader. A dead grader closes the socket: the loop below ends.
    import keras  # noqa: F401
    import numpy  # noqa: F401
    import shap  # noqa: F401 - t30 imports it: 0.8 s per phase otherwise (runs no TensorFlow op)
    import tensorflow  # noqa: F401 - warm import; no op may run in this process
    from IPython.core import inputtransformer2  # noqa: F401

    from autograder import runtime  # noqa: F401
    from autograder.engine import sandbox, wire

    forbidden = [m for m in sys.modules if m.startswith(("solutions", "autograder.suites"))]
    if forbidden:
        raise SystemExit(f"worker must not import {forbidden}")
    hello, _ = wire.recv_message(sock)
    capability = isolation_available(hello["run_dir"])
    wire.send_message(sock, {"ready": True, "pid": os.getpid(), "isolation": capability,
                             "pivot_root": sandbox.SYS_PIVOT_ROOT is not None})
    while True:
        try:
            message, fds = wire.recv_message(sock)
        except (EOFError, OSError):
            break
        try:
            reply = run_phase(message["job"], fds[0], fds[1] if len(fds) > 1 else None)
        except Exception as exc:  # noqa: BLE001 - the worker survives any single phase
            log.error("phase failed: %r", exc)
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            reply = {"status": "error", "detail": f"worker error: {exc}", "signal": "", "exit_code": None,
                     "output": "", "elapsed": 0.0, "killed": 0}
        try:
            wire.send_message(sock, reply)
        except OSError:  # the grader is gone: nobody will read the answer
            break
    kill_descendants()


if __name__ == "__main__":
    main()
