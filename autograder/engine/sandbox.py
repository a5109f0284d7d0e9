"""The sandboxed child: isolate, run the student's cells, run the probes, stream results.

This code runs in a process forked from a warm worker (TensorFlow already imported, no
TensorFlow op run). It never sees a verdict, an oracle, the reference solutions or the
gradebook: the worker imports none of them, and (as root) they are not in the minimal root
the child chroots into before the student's code runs.

Isolation steps, in order: new session (``setsid``); as root, new mount and network
namespaces (no network at all) and a chroot into a minimal root that holds only the system
folders and the Python installation, read-only, and the scratch folder; resource limits
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
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096


# What the sandbox sees of the machine, read-only: the system and the Python installation.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
EXTRA_MOUNT_POINTS = ("/tmp", "/var/tmp")


def new_root_path(pid: int) -> str:
    """Mount point of the sandbox root of child ``pid`` (the worker removes it afterwards)."""
    return f"/run/mmqb-root-{pid}"


def _python_dirs() -> list[str]:
    """Folders the interpreter needs: its installation, the venv, their site-packages."""
    import site

    dirs = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix, *site.getsitepackages()}
    found = set()
    for d in dirs:
        for path in (d, os.path.realpath(d)):
            if os.path.isdir(path):
                found.add(os.path.abspath(path))
    # Keep only the outermost folders (a venv's site-packages lies inside the venv).
    return sorted(p for p in found if not any(p != q and p.startswith(q + os.sep) for q in found))


def _installed_secrets() -> list[str]:
    """Reference solutions and suites, if a non-editable install put them in site-packages."""
    import importlib.util

    found = []
    exposed = _python_dirs()
    for name in ("solutions", "autograder.suites"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for folder in (spec.submodule_search_locations or []) if spec else []:
            folder = os.path.realpath(folder)
            if any(folder.startswith(d + os.sep) for d in exposed):
                found.append(folder)
    return found


def _bind(libc: ctypes.CDLL, src: str, dst: str, read_only: bool) -> bool:
    if libc.mount(src.encode(), dst.encode(), None, MS_BIND | MS_REC, None) != 0:
        return False
    if read_only:
        libc.mount(None, dst.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    return True


def _enter_new_root(libc: ctypes.CDLL, scratch: str) -> list[str]:
    """chroot into an empty tmpfs holding only the system, Python and the scratch folder.

    Everything else of the machine (the repository with the reference solutions and the
    suites, git history, the course with its gradebook, other students, home folders) does
    not exist for the student's code. Paths stay the same, so imports keep working.
    """
    root = new_root_path(os.getpid())
    os.makedirs(root, mode=0o700, exist_ok=True)
    if libc.mount(b"tmpfs", root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=16m,mode=0755") != 0:
        return []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            os.makedirs(root + path, mode=0o755, exist_ok=True)
            _bind(libc, path, root + path, read_only=True)
    for path in _python_dirs():
        os.makedirs(root + path, mode=0o755, exist_ok=True)
        _bind(libc, path, root + path, read_only=True)
    for path in ("/dev", "/proc", "/sys"):
        os.makedirs(root + path, mode=0o755, exist_ok=True)
        _bind(libc, path, root + path, read_only=path == "/sys")
    libc.mount(b"tmpfs", (root + "/dev/shm").encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=16m,mode=1777")
    for path in EXTRA_MOUNT_POINTS:
        os.makedirs(root + path, exist_ok=True)
        os.chmod(root + path, 0o1777)
    for secret in _installed_secrets():
        libc.mount(b"tmpfs", (root + secret).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=4k,mode=0755")
    os.makedirs(root + scratch, mode=0o755, exist_ok=True)
    _bind(libc, scratch, root + scratch, read_only=False)
    os.chroot(root)
    return [f"new root: system and {', '.join(_python_dirs())} read-only, scratch writable"]


def _isolate(scratch: str) -> list[str]:
    """As root: no network (new network namespace) and a minimal root (new mount namespace)."""
    if os.geteuid() != 0:
        return []
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS | CLONE_NEWNET) != 0:
        return []
    done = ["netns"]
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
        done.extend(_enter_new_root(libc, scratch))
    return done


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
        isolation = _isolate(scratch)
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
