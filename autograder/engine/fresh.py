"""A fresh Python inside the sandbox, without importing TensorFlow again.

Some checks must run code in a process that never saw the student's code (t19: a SavedModel
must load and serve in a new interpreter, with none of the student's Python classes). A new
interpreter costs a TensorFlow import (3-5 s) per check. Instead, the sandboxed child forks a
small server *before* any student code runs: it holds TensorFlow imported and has run no
TensorFlow op, so each request forks once more and runs the script in that clean copy, as
``python -c script args...`` would, in a few tens of milliseconds.

The server is forked after every isolation step: it lives in the same namespaces, with the
same limits and the same uid as the student's code, and holds no descriptor but its socket.
``runtime.run_fresh_python`` uses it when the engine set ``runtime._FRESH_PYTHON``; in a
notebook (nbgrader, a student's kernel) it starts a new interpreter instead.
"""

from __future__ import annotations

import builtins
import os
import select
import signal
import socket
import sys
import time
import traceback
from typing import Any

from autograder import runtime
from autograder.engine import wire

_MAX_STDERR = 64 * 1024


def start_server(keep_closed: list[int]) -> None:
    """Fork the server and point ``runtime.run_fresh_python`` at it (call before student code)."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            for fd in keep_closed:  # the result channel and the hidden probes are not the server's
                try:
                    os.close(fd)
                except OSError:
                    pass
            _serve(theirs)
        finally:
            os._exit(0)
    theirs.close()
    runtime._FRESH_PYTHON = _Client(ours)


class _Client:
    """Callable that sends one script to the server and waits for its exit code and stderr."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __call__(self, script: str, args: list[str], timeout: float) -> tuple[int, str]:
        wire.send_message(self._sock, {"script": script, "args": [str(a) for a in args], "timeout": timeout})
        reply, _ = wire.recv_message(self._sock, max_fds=0)
        return int(reply["returncode"]), str(reply["stderr"])


def _serve(sock: socket.socket) -> None:
    while True:
        try:
            request, _ = wire.recv_message(sock, max_fds=0)
        except (EOFError, OSError):
            return
        returncode, stderr = _run_one(str(request["script"]), list(request["args"]), float(request["timeout"]))
        wire.send_message(sock, {"returncode": returncode, "stderr": stderr})


def _run_one(script: str, args: list[str], timeout: float) -> tuple[int, str]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(script, args, write_end)
    os.close(write_end)
    chunks, size, deadline = [], 0, time.monotonic() + timeout
    with os.fdopen(read_end, "rb") as stream:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([stream], [], [], left)
            if not ready:
                break
            chunk = os.read(stream.fileno(), 1 << 16)
            if not chunk:
                break
            if size < _MAX_STDERR:
                chunks.append(chunk)
                size += len(chunk)
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
    _, raw = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(raw)
    return code, b"".join(chunks)[:_MAX_STDERR].decode("utf-8", "replace")


def _child(script: str, args: list[str], stderr_fd: int) -> None:
    """Run ``script`` as ``python -c script args`` would; never returns."""
    code = 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(stderr_fd, 2)
        os.close(null)
        os.close(stderr_fd)
        sys.argv = ["-c", *args]
        scope: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        exec(compile(script, "<string>", "exec"), scope)  # noqa: S102 - the check's own script
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - reported on stderr, as the interpreter would
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
