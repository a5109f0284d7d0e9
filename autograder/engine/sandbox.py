"""The sandboxed child: isolate, run the student's cells, run the probes, stream results.

This code runs in a process forked from a warm worker (TensorFlow already imported, no
TensorFlow op run). It never sees a verdict, an oracle, the reference solutions or the
gradebook: the worker imports none of them, and (as root) the folders holding them are
covered by empty tmpfs mounts in a private mount namespace before the student's code runs.

Isolation steps, in order: new session (``setsid``); as root, new mount and network
namespaces (no network at all), private mounts hiding ``hide`` paths; resource limits
(CPU, address space, file size, processes, core dumps); as root, a dedicated unprivileged
uid/gid; a fresh scratch folder as working and home directory; stdout/stderr to a file
bounded by the file-size limit; every inherited descriptor closed except the result pipe.
"""

from __future__ import annotations

import builtins
import ctypes
import math
import os
import resource
import signal
import sys
import traceback
from typing import Any

from autograder import runtime
from autograder.engine import wire

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_NOSUID, MS_NODEV = 2, 4
MS_BIND = 4096
MNT_DETACH = 2


# World-writable places a sandbox could otherwise write to outside its scratch folder;
# each gets a private, empty tmpfs (invisible to every other process).
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def _isolate_namespaces(hide: list[str]) -> list[str]:
    """As root: private mounts hiding ``hide`` and the shared temp folders, no network."""
    done = []
    if os.geteuid() != 0:
        return done
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS | CLONE_NEWNET) != 0:
        return done
    done.append("netns")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
        for path in hide:
            if os.path.isdir(path) and libc.mount(b"tmpfs", path.encode(), b"tmpfs",
                                                  MS_NOSUID | MS_NODEV, b"size=64k,mode=0755") == 0:
                done.append(f"hid {path}")
        for path in PRIVATE_TMP:
            if os.path.isdir(path) and libc.mount(b"tmpfs", path.encode(), b"tmpfs",
                                                  MS_NOSUID | MS_NODEV, b"size=16m,mode=1777") == 0:
                done.append(f"private {path}")
        done.extend(_expose_python(libc))
    return done


def _closed_ancestor(path: str) -> str | None:
    """The highest folder above ``path`` that others may not traverse (e.g. /root), if any."""
    parts = os.path.abspath(path).split(os.sep)[1:]
    for i in range(1, len(parts)):
        folder = os.sep + os.path.join(*parts[:i])
        if not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def _expose_python(libc: ctypes.CDLL) -> list[str]:
    """Keep the interpreter's standard library importable after the uid drop.

    When Python lives under a folder others cannot enter (pyenv under /root, mode 700), a
    module imported lazily after the drop (``encodings.cp437`` for ``.keras`` zips, say)
    would fail. In our private mount namespace: park a bind mount of the installation,
    cover the closed folder with an empty, traversable tmpfs (which also hides the rest of
    it), and bind the installation back at its own path.
    """
    prefix = os.path.realpath(sys.base_prefix)
    closed = _closed_ancestor(prefix)
    if closed is None:
        return []
    parking = f"/run/mmqb-python-{os.getpid()}"
    os.makedirs(parking, mode=0o700, exist_ok=True)
    ok = libc.mount(prefix.encode(), parking.encode(), None, MS_BIND | MS_REC, None) == 0 \
        and libc.mount(b"tmpfs", closed.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=0755") == 0
    if ok:
        os.makedirs(prefix, mode=0o755, exist_ok=True)
        ok = libc.mount(parking.encode(), prefix.encode(), None, MS_BIND | MS_REC, None) == 0
    libc.umount2(parking.encode(), MNT_DETACH)
    try:
        os.rmdir(parking)  # the folder itself is on the shared /run
    except OSError:
        pass
    return [f"hid {closed}, exposed {prefix}"] if ok else []


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _set_limits(limits: dict[str, Any], dedicated_uid: bool) -> None:
    cpu = int(math.ceil(limits["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if limits.get("memory_bytes"):
        # TensorFlow has already reserved a large address space: the limit is on top of it.
        extra = _vm_size() + int(limits["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (extra, extra))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["output_bytes"], limits["output_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if dedicated_uid:  # RLIMIT_NPROC counts the uid's tasks: only meaningful for our own uid
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full output file fails writes, not the process


def _drop_privileges(uid: int) -> bool:
    if os.geteuid() != 0 or uid <= 0:
        return False
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    return True


def _redirect_output(scratch: str) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(os.path.join(scratch, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for fd in (null, out):
        if fd > 2:
            os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stdin = open(0, closefd=False)  # noqa: SIM115


def _transform(source: str) -> str:
    """IPython syntax (magics, ``!cmd``) to Python, as the notebook kernel would read it."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        return source


def _send(fd: int, message: dict[str, Any]) -> None:
    wire.write_frame(fd, wire.encode(message))


def child_main(job: dict[str, Any], result_fd: int, scratch: str) -> None:
    """Entry point of the forked child; never returns."""
    code = 0
    try:
        os.setsid()
        isolation = _isolate_namespaces(job.get("hide", []))
        os.chown(scratch, job.get("uid", 0), job.get("uid", 0)) if os.geteuid() == 0 and job.get("uid") else None
        os.chdir(scratch)
        _set_limits(job["limits"], dedicated_uid=os.geteuid() == 0 and job.get("uid", 0) > 0)
        if _drop_privileges(job.get("uid", 0)):
            isolation.append(f"uid {job['uid']}")
        os.environ.update(HOME=scratch, TMPDIR=scratch, KERAS_HOME=os.path.join(scratch, ".keras"))
        _redirect_output(scratch)
        os.closerange(3, result_fd)
        os.closerange(result_fd + 1, 1 << 16)
        _send(result_fd, {"kind": "isolation", "steps": isolation})
        _run(job, result_fd)
    except BaseException:  # noqa: BLE001 - report, then exit without running atexit hooks
        code = 70
        try:
            _send(result_fd, {"kind": "internal", "message": traceback.format_exc(limit=3)})
        except BaseException:  # noqa: BLE001
            pass
    os._exit(code)


def _run(job: dict[str, Any], result_fd: int) -> None:
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    exec(compile(job["setup"], "<setup>", "exec"), ns)  # noqa: S102 - trusted setup cell
    errors = []
    for index, source in enumerate(job["cells"]):
        try:
            exec(compile(_transform(source), f"<cell {index + 1}>", "exec"), ns)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - includes SystemExit and KeyboardInterrupt
            errors.append(f"cell {index + 1}: {type(exc).__name__}: {exc}"[:500])
    _send(result_fd, {"kind": "cells", "errors": errors})

    probe_globals = {name: value for name, value in vars(runtime).items() if not name.startswith("__")}
    probe_globals.update(__builtins__=builtins, np=sys.modules["numpy"], math=math)
    for module_name, alias in (("tensorflow", "tf"), ("keras", "keras")):
        if module_name in sys.modules:
            probe_globals[alias] = sys.modules[module_name]
    for probe in job["probes"]:
        scope = dict(probe_globals)
        try:
            exec(compile(probe["source"], f"<check {probe['id']}>", "exec"), scope)  # noqa: S102
            ok, data = runtime.run_probe(scope[probe["entry"]], ns, hidden=probe["hidden"])
        except BaseException as exc:  # noqa: BLE001 - sys.exit() inside the student's function
            ok, data = False, f"your code stopped the check with {type(exc).__name__}: {exc}"
        try:
            _send(result_fd, {"kind": "probe", "id": probe["id"], "ok": ok, "data": data})
        except Exception as exc:  # noqa: BLE001 - e.g. a float subclass that plain() let through
            _send(result_fd, {"kind": "probe", "id": probe["id"], "ok": False,
                              "data": f"the result could not be sent: {type(exc).__name__}"})
    _send(result_fd, {"kind": "done"})
