"""A warm worker: imports TensorFlow once, then forks one sandboxed child per submission.

Run as ``python -m autograder.engine.worker``. It reads one JSON job per line on stdin and
answers one JSON line per job on its original stdout (everything else it or TensorFlow
prints goes to stderr). It never runs a TensorFlow op itself: a fork of a process that ran
one hangs. It never imports the suites or the solutions: the child inherits its memory.

The worker is a child subreaper, so processes the student's code forks (even after
``setsid``) are re-parented here when their parent dies; after each job every descendant
is killed, so a submission's process tree ends with it.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
from typing import Any

PR_SET_PDEATHSIG = 1
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


def _wait_for(pid: int, timeout: float) -> int | None:
    """Wait up to ``timeout`` seconds for ``pid`` to exit; return its raw status or None."""
    end = time.monotonic() + timeout
    while True:
        try:
            done, raw = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return raw
        if time.monotonic() >= end:
            return None
        time.sleep(0.01)


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


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Fork a sandboxed child for ``job``, supervise it, and return what it sent."""
    from autograder.engine import sandbox, wire

    limits = job["limits"]
    base = job.get("scratch_base") or scratch_base()
    os.makedirs(base, mode=0o711, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="mmqb-", dir=base)
    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        sandbox.child_main(job, write_fd, scratch)
    os.close(write_fd)
    frames: list[str] = []
    buffer, received, status, detail = b"", 0, "", ""
    deadline = start + limits["wall_seconds"]
    exit_status = None
    next_memory_check = start
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                status, detail = "timeout", f"time limit of {limits['wall_seconds']:g} s exceeded"
                break
            ready, _, _ = select.select([read_fd], [], [], min(0.1, deadline - now))
            if ready:
                chunk = os.read(read_fd, 1 << 16)
                if not chunk:
                    break
                received += len(chunk)
                if received > limits["result_bytes"]:
                    status, detail = "output", f"results larger than {limits['result_bytes']} bytes"
                    break
                try:
                    parts, buffer = wire.split_frames(buffer + chunk, limits["result_bytes"])
                except wire.WireError as exc:
                    status, detail = "crashed", f"garbled results: {exc}"
                    break
                frames.extend(base64.b64encode(p).decode() for p in parts)
                if parts and parts[-1] == b'{"kind": "done"}':
                    break
            if exit_status is None:
                done, raw = os.waitpid(pid, os.WNOHANG)
                if done:
                    exit_status = raw
            if limits.get("memory_bytes") and now >= next_memory_check:
                next_memory_check = now + 0.25
                over = _private_bytes([pid, *_descendants(pid)]) > limits["memory_bytes"]
            else:
                over = False
            if over:
                status, detail = "memory", f"memory limit of {limits['memory_bytes'] // 2**20} MiB exceeded"
                break
            if exit_status is not None and not ready:
                break
    finally:
        os.close(read_fd)
        if exit_status is None and not status:
            exit_status = _wait_for(pid, 1.0)  # it closed the pipe: it is exiting
        if exit_status is None:
            os.kill(pid, signal.SIGKILL)
            exit_status = _wait_for(pid, 5.0)
        killed = kill_descendants()
        output = _tail(os.path.join(scratch, "output.txt"), limits.get("output_tail", 4000))
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            os.rmdir(sandbox.new_root_path(pid))  # its mounts lived in the child's namespace only
        except OSError:
            pass
    finished = bool(frames) and base64.b64decode(frames[-1]) == b'{"kind": "done"}'
    if not status and exit_status is not None and os.WIFSIGNALED(exit_status):
        sig = signal.Signals(os.WTERMSIG(exit_status)).name
        status, detail = "crashed", f"your code crashed the process ({sig})"
    elif not status and not finished:
        code = os.WEXITSTATUS(exit_status) if exit_status is not None else "unknown"
        status, detail = "crashed", f"your code ended the process (exit code {code}) before the checks finished"
    return {"frames": frames, "status": status or "ok", "detail": detail, "output": output,
            "elapsed": time.monotonic() - start, "killed": killed}


def scratch_base() -> str:
    """Where per-submission scratch folders live.

    As root the sandbox gets private empty /tmp, /var/tmp and /dev/shm, so scratch must be
    elsewhere: /run (root-owned tmpfs). Otherwise the usual temporary folder.
    """
    if os.geteuid() == 0 and os.path.isdir("/run"):
        return "/run/mmqb-scratch"
    return os.path.join(tempfile.gettempdir(), "mmqb-scratch")


def _tail(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""


def main() -> None:
    """Warm up, then serve jobs until stdin closes."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything printed from here on goes to stderr, not the job channel
    sys.stdout = sys.stderr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # die with the grader, even on SIGKILL
    import keras  # noqa: F401
    import numpy  # noqa: F401
    import tensorflow  # noqa: F401 - warm import; no op may run in this process
    from IPython.core import inputtransformer2  # noqa: F401

    from autograder import runtime  # noqa: F401
    from autograder.engine import sandbox, wire  # noqa: F401

    forbidden = [m for m in sys.modules if m.startswith(("solutions", "autograder.suites"))]
    if forbidden:
        raise SystemExit(f"worker must not import {forbidden}")
    reply.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            result = run_job(job)
            if os.getppid() == 1:  # the grader is gone: nobody will read the answer
                break
        except Exception as exc:  # noqa: BLE001 - the worker survives any single job
            result = {"frames": [], "status": "error", "detail": f"worker error: {exc}", "output": "",
                      "elapsed": 0.0, "killed": 0}
        reply.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
