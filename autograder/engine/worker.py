"""A warm worker: imports TensorFlow once, then forks one sandboxed child per submission.

Run as ``python -m autograder.engine.worker FD`` where FD is a Unix socket to the grader; the
grader starts it with an environment of its own making (``settings.worker_env``), so nothing
of the grader's environment is in this process's memory, nor in its children's.

For each submission the grader passes four pipe ends (``wire.CHANNELS``): the child's ends
of its text and output channels, of the channel the grader writes the hidden probes into once
the visible part is over, and of the hidden part's data channel. This process reads none of
them (the hidden probes are never in its memory, so no later child forked from here can find
them). The worker only forks, supervises (one wall clock, memory) and kills.

It never runs a TensorFlow op: a fork of a process that ran one hangs. It never imports the
suites or the solutions. It is a child subreaper, so processes the student's code forks
(even after ``setsid``) are re-parented here when their parent dies; after each submission
every descendant is killed, so a submission's process tree ends with it.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import select
import shutil
import signal
import socket
import stat
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


def run_submission(job: dict[str, Any], fds: list[int]) -> dict[str, Any]:
    """Fork a sandboxed child for ``job`` (``fds``: the child's ends of ``wire.CHANNELS``),
    supervise it until it ends, clean up."""
    from autograder.engine import sandbox, wire

    limits = job["limits"]
    scratch = tempfile.mkdtemp(prefix="scratch-", dir=job["run_dir"])
    root = tempfile.mkdtemp(prefix="root-", dir=job["run_dir"])
    uid = int(job.get("uid") or 0)
    if os.geteuid() == 0 and uid > 0:
        os.chown(scratch, uid, uid)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        sandbox.child_main(job, dict(zip(wire.CHANNELS, fds, strict=True)), scratch, root)
    for fd in fds:
        os.close(fd)
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
        if job["isolation"] == "uid" and uid > 0 and not job.get("isolation_test"):  # not nobody's files
            remove_files_of(uid)
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
            "elapsed": time.monotonic() - start, "killed": killed}


# World-writable folders a sandbox of the "uid" mode can leave files in (it has no private /tmp).
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")


def remove_files_of(uid: int) -> int:
    """Delete what ``uid`` left in the world-writable folders ("uid" mode, after each submission); how many.

    Walks with directory descriptors and never follows a symlink, so a link planted there cannot
    send the deletion elsewhere; only entries owned by ``uid`` go (with what is inside them),
    also inside other world-writable folders (``/tmp/.X11-unix``).
    """
    removed = 0
    for top in SHARED_WRITABLE:
        try:
            top_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            removed += _remove_owned(top_fd, uid, inside_owned=False)
        finally:
            os.close(top_fd)
    return removed


def _remove_owned(dir_fd: int, uid: int, inside_owned: bool, depth: int = 0) -> int:
    removed = 0
    try:
        names = os.listdir(dir_fd)
    except OSError:
        return 0
    for name in names:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            continue
        owned = inside_owned or st.st_uid == uid
        if stat.S_ISDIR(st.st_mode) and depth < 64:
            if not owned and not st.st_mode & 0o002:  # another's folder the uid cannot write in
                continue
            try:
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except OSError:
                continue
            try:
                removed += _remove_owned(sub, uid, owned, depth + 1)
            finally:
                os.close(sub)
            if owned:
                try:
                    os.rmdir(name, dir_fd=dir_fd)
                    removed += 1
                except OSError:
                    pass
        elif owned:
            try:
                os.unlink(name, dir_fd=dir_fd)
                removed += 1
            except OSError:
                pass
    return removed


def isolation_available(run_dir: str, mode: str = "full") -> str:
    """``mode`` (``"full"`` or ``"uid"``) when a sandbox of that mode can be made here, else why not.

    A test child with no cells and no probes: it reports its isolation steps and ends. Its
    channels are the worker's own (no student code ever runs in it).
    """
    from autograder.engine import wire

    job = {"isolation": mode, "isolation_test": True, "run_dir": run_dir, "uid": 0, "setup": "",
           "cells": [], "probes": [], "forbidden": [],
           "limits": {"wall_seconds": 20, "cpu_seconds": 20, "memory_bytes": 0, "output_bytes": 1 << 16,
                      "processes": 64}}
    if os.geteuid() == 0:
        job["uid"] = 65534  # nobody: enough to test the steps, never used for student code
    pipes = [os.pipe() for _ in range(4)]  # text, output, probes, data
    os.write(pipes[2][1], wire.frame(b""))  # no hidden probes
    outcome = run_submission(job, [pipes[0][1], pipes[1][1], pipes[2][0], pipes[3][1]])
    data = b""
    while chunk := os.read(pipes[0][0], 1 << 16):
        data += chunk
    for fd in (pipes[0][0], pipes[1][0], pipes[2][1], pipes[3][0]):
        os.close(fd)

    try:
        frames, _ = wire.split_frames(data, 1 << 20)
        messages = [wire.decode(f) for f in frames]
    except wire.WireError:
        messages = []
    for message in messages:
        if message.get("kind") == "isolation_failed":
            return f"isolation step failed: {message.get('message')}"
        if message.get("kind") == "isolation":
            return mode
    return f"the isolation test child ended without reporting ({outcome})"


def main() -> None:
    """Warm up, then serve submissions until the grader closes the socket."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    os.dup2(2, 1)  # anything printed goes to the log, never to a channel
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s mmqb worker: %(message)s")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # No PR_SET_PDEATHSIG here: it fires when the grader's *thread* that started us ends (a
    # pool thread), not the grader. A dead grader closes the socket: the loop below ends.
    import keras  # noqa: F401
    import numpy  # noqa: F401
    import shap  # noqa: F401 - t30 imports it: 0.8 s per submission otherwise (runs no TensorFlow op)
    import tensorflow  # noqa: F401 - warm import; no op may run in this process
    from IPython.core import inputtransformer2  # noqa: F401

    from autograder import runtime  # noqa: F401
    from autograder.engine import sandbox, wire

    # What is imported now lives as long as the worker: out of the collector's reach. A child's
    # collections then never walk (and so never copy, page by page) the inherited heap.
    gc.collect()
    gc.freeze()
    forbidden = [m for m in sys.modules if m.startswith(("solutions", "autograder.suites"))]
    if forbidden:
        raise SystemExit(f"worker must not import {forbidden}")
    hello, _ = wire.recv_message(sock)
    if hello.get("no_namespaces"):  # tests: as if the machine refused namespaces (Docker's defaults)
        capability = "namespaces refused (the grader asked to test without them)"
    else:
        capability = isolation_available(hello["run_dir"])
    ready = {"ready": True, "pid": os.getpid(), "isolation": capability,
             "pivot_root": sandbox.SYS_PIVOT_ROOT is not None}
    if hello.get("uid_mode") and capability != "full":
        ready["uid_isolation"] = isolation_available(hello["run_dir"], "uid") if os.geteuid() == 0 \
            else "the uid mode needs a root grader"
    wire.send_message(sock, ready)
    while True:
        try:
            message, fds = wire.recv_message(sock)
        except (EOFError, OSError):
            break
        try:
            if len(fds) != 4:
                raise ValueError(f"a submission needs 4 channels, got {len(fds)}")
            reply = run_submission(message["job"], fds)
        except Exception as exc:  # noqa: BLE001 - the worker survives any single submission
            log.error("submission failed: %r", exc)
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            reply = {"status": "error", "detail": f"worker error: {exc}", "signal": "", "exit_code": None,
                     "elapsed": 0.0, "killed": 0}
        try:
            wire.send_message(sock, reply)
        except OSError:  # the grader is gone: nobody will read the answer
            break
    kill_descendants()


if __name__ == "__main__":
    main()
