"""The sandboxed child: isolate, run the student's cells, the visible probes, then the hidden ones.

This code runs in a process forked from a warm worker (TensorFlow already imported, no
TensorFlow op run). It never sees a verdict, an oracle, the reference solutions or the
gradebook. One child per submission, in two parts whose order the trusted side enforces:

* the *visible* part runs the cells and the visible checks' probes (whose code is in the
  student's notebook anyway); it may send text (the ``text`` channel) and print (``output``);
  it ends with a ``visible_done`` frame;
* the grader then stops reading ``text`` and ``output`` and closes its ends, and only then
  writes the hidden probes into the ``probes`` channel; the *hidden* part reads them from there
  and sends plain data and built-in exception names only (the ``data`` channel).

Whatever the student's code does (duplicated descriptors, a thread waiting for the hidden
probes, a forged ``visible_done``), the hidden probes reach this process only after every
channel the grader reads as text is closed on the grader's side: a write to one then fails.

Isolation ("full"), each step checked, a failure stopping the child before any student code:

1. new session; every inherited descriptor closed but the four channels (``wire.CHANNELS``);
2. new mount, network, PID, IPC and UTS namespaces; as a normal user also a new user
   namespace mapping only the user's own uid and gid (unprivileged user namespaces);
3. a fork: the grandchild is PID 1 of the new PID namespace, so when it ends every process
   it started ends too; the child in between only waits and mirrors its exit;
4. a new root: an empty tmpfs holding the system folders and the Python installation
   read-only, device nodes null/zero/full/random/urandom, a fresh ``/proc`` of the new PID
   namespace (no other process visible), private ``/tmp``, ``/var/tmp``, ``/dev/shm`` and the
   scratch folder; ``pivot_root`` into it and the old root detached, so the repository, the
   course, the gradebook and home folders do not exist;
5. limits (CPU, address space above TensorFlow's, file size, core dumps; as root processes);
6. as root a dedicated uid/gid leased for this sandbox alone; otherwise every capability
   dropped; no new privileges either way;
7. checks: PID 1, no network interface but loopback, no capability, the forbidden paths absent;
8. an environment of a few fixed variables, nothing inherited; stdin empty, stdout and
   stderr to the ``output`` channel (the grader keeps a bounded tail).

Isolation ("uid"), for a root grader where namespaces are refused (Docker's default seccomp
profile and capabilities: Gradescope's container), chosen only by a grader that asks for it
(``WarmWorker(isolation="uid")``, the Gradescope runner), each step checked as above:

1. new session, descriptors closed (as in "full");
2. no namespace: the machine's file system, processes and network stay visible;
3. limits (as in "full", ``RLIMIT_NPROC`` counted on the dedicated uid);
4. every capability dropped from the bounding set, then the dedicated uid/gid leased for this
   sandbox alone (no supplementary group), no new privileges;
5. checks: no capability left, the uid, the grader (the parent) cannot be signalled, the
   forbidden paths (suites, solutions, root's home) cannot even be looked up: a grader whose
   secrets are readable by others is refused, the grader keeps them in root-only folders;
6. the same environment and channels as in "full"; the scratch folder is a folder of the
   run folder owned by the uid (the run folder is then traversable, not listable).

What "uid" does not give: no private network (code can connect out), no private ``/tmp``
(the worker deletes the uid's files in the world-writable folders after each phase), no
bound on disk space but the size of one file, other processes visible in ``/proc``.
"""

from __future__ import annotations

import builtins
import ctypes
import json
import math
import os
import platform
import resource
import signal
import socket
import sys
import traceback
from typing import Any

from autograder import errors, runtime
from autograder.engine import fresh, settings, wire

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 0x4000, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine())
ISOLATION_FAILED = 71

# What the sandbox sees of the machine, read-only: the system and the Python installation.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")


class IsolationError(errors.IsolationError):
    """An isolation step failed: the submission must not run."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step


class _Steps:
    """The isolation steps done so far; ``break_step`` makes one fail on purpose (tests)."""

    def __init__(self, break_step: str | None) -> None:
        self.done: list[str] = []
        self.break_step = break_step

    def need(self, step: str, ok: bool, detail: str = "") -> None:
        if step == self.break_step:
            raise IsolationError(step, "failed on purpose (test)")
        if not ok:
            err = ctypes.get_errno()
            raise IsolationError(step, detail or (os.strerror(err) if err else "failed"))

    def add(self, text: str) -> None:
        self.done.append(text)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


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


def _locked_flags(path: str) -> int:
    """Mount flags of ``path`` that a remount inside a user namespace must keep."""
    f = os.statvfs(path).f_flag
    table = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
             (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))
    return sum(ms for st, ms in table if f & st)


def _mount(libc, steps: _Steps, step: str, src, dst: str, fstype, flags: int, data=None) -> None:
    enc = (lambda v: v.encode() if isinstance(v, str) else v)
    steps.need(step, libc.mount(enc(src), dst.encode(), enc(fstype), flags, enc(data)) == 0, "")


def _bind(libc, steps: _Steps, src: str, dst: str, read_only: bool) -> None:
    _mount(libc, steps, f"bind {src}", src, dst, None, MS_BIND | MS_REC)
    if read_only:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | _locked_flags(src)
        _mount(libc, steps, f"read-only {src}", None, dst, None, flags)


def _write(path: str, text: str) -> bool:
    """One write(2) of ``text``, no O_CREAT/O_TRUNC (which /proc/self/uid_map refuses)."""
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            return os.write(fd, text.encode()) == len(text.encode())
        finally:
            os.close(fd)
    except OSError:
        return False


def _enter_namespaces(libc, steps: _Steps, keep_fds: list[int]) -> None:
    """Unshare every namespace; fork so that the caller continues as PID 1 of the new PID namespace.

    The parent (still outside the PID namespace) waits for it and mirrors its exit; it runs
    no student code and holds no descriptor but what it needs to wait.
    """
    user = os.geteuid() != 0
    uid, gid = os.geteuid(), os.getegid()  # before unshare: inside, they read as the overflow id
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | (CLONE_NEWUSER if user else 0)
    steps.need("namespaces", libc.unshare(flags) == 0)
    if user:
        steps.need("user namespace maps", _write("/proc/self/setgroups", "deny")
                   and _write("/proc/self/uid_map", f"{uid} {uid} 1")
                   and _write("/proc/self/gid_map", f"{gid} {gid} 1"))
    steps.add("namespaces: " + ("user, " if user else "") + "mount, network, pid, ipc, uts")
    pid = os.fork()
    if pid:
        for fd in keep_fds:
            os.close(fd)
        _mirror(pid)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    steps.need("pid namespace", os.getpid() == 1, f"pid is {os.getpid()}, not 1")


def _mirror(pid: int) -> None:
    """Wait for ``pid`` and end the same way (signal or exit code); never returns."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def _new_root(libc, steps: _Steps, root: str, scratch: str, scratch_bytes: int, uid: int) -> None:
    """Build the minimal root in ``root`` and ``pivot_root`` into it."""
    _mount(libc, steps, "private mounts", None, "/", None, MS_REC | MS_PRIVATE)
    _mount(libc, steps, "root tmpfs", "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=0755")
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            os.makedirs(root + path, mode=0o755, exist_ok=True)
            _bind(libc, steps, path, root + path, read_only=True)
    # The private temporary folders before the Python installation: a venv under /tmp (a checkout
    # there) is bound into the private /tmp, not hidden by it (its lazy imports would fail).
    for path in ("/dev/shm", "/tmp", "/var/tmp"):
        os.makedirs(root + path, mode=0o755, exist_ok=True)
        _mount(libc, steps, f"private {path}", "tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV,
               "size=64m,mode=1777")
    python = [p for p in _python_dirs()  # those not already visible through a system folder
              if not any(p == d or p.startswith(d + os.sep) for d in SYSTEM_DIRS if not os.path.islink(d))]
    for path in python:
        os.makedirs(root + path, mode=0o755, exist_ok=True)
        _bind(libc, steps, path, root + path, read_only=True)
    for secret in _installed_secrets():
        _mount(libc, steps, "hide installed solutions", "tmpfs", root + secret, "tmpfs",
               MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0755")
    os.makedirs(root + "/dev", mode=0o755, exist_ok=True)  # made with /dev/shm above
    for name in DEVICES:
        with open(f"{root}/dev/{name}", "w"):
            pass
        _mount(libc, steps, f"/dev/{name}", f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    os.makedirs(root + "/proc", mode=0o555)
    _mount(libc, steps, "/proc of the pid namespace", "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # The scratch folder is a size-limited tmpfs: files written there are bounded, and never on the
    # grader's disk.
    os.makedirs(root + scratch, mode=0o755, exist_ok=True)
    owner = f",uid={uid},gid={uid}" if uid > 0 else ""
    _mount(libc, steps, "scratch tmpfs", "tmpfs", root + scratch, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={max(1, scratch_bytes >> 10)}k,mode=0700{owner}")
    steps.need("pivot_root", SYS_PIVOT_ROOT is not None, f"unsupported machine {platform.machine()}")
    os.chdir(root)
    steps.need("pivot_root", libc.syscall(SYS_PIVOT_ROOT, b".", b".") == 0)
    steps.need("detach the old root", libc.umount2(b".", MNT_DETACH) == 0)
    os.chdir("/")
    _mount(libc, steps, "read-only root", None, "/", None,
           MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | _locked_flags("/"))
    steps.add(f"new root: system{''.join(', ' + p for p in python)} read-only; private /proc, /tmp, /dev/shm; "
              f"scratch writable (tmpfs of {scratch_bytes >> 20} MiB)")


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _set_limits(limits: dict[str, Any], isolated: bool) -> None:
    cpu = int(math.ceil(limits["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if limits.get("memory_bytes"):
        # TensorFlow has already reserved a large address space: the limit is on top of it.
        extra = _vm_size() + int(limits["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (extra, extra))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["output_bytes"], limits["output_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if isolated:
        # RLIMIT_NPROC counts the tasks of one uid in one user namespace (Linux >= 5.14 counts it
        # per user namespace): as root the leased uid's, as a user the sandbox's own namespace's.
        # Without a sandbox it would count every process of the user, so it is left alone.
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full output file fails writes, not the process


def _cap_eff() -> int:
    return _cap_set("CapEff")


def _cap_set(name: str) -> int:
    """A capability set of this process from ``/proc/self/status`` (``CapEff``, ``CapBnd`` ...); -1 if absent."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1], 16)
    return -1


def _drop_privileges(libc, steps: _Steps, uid: int) -> None:
    """As root: the leased uid (``uid`` > 0). In a user namespace (``uid`` 0): drop every capability."""
    for cap in range(64):  # the bounding set: no capability can come back through exec
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    if uid > 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        steps.need("dedicated uid", os.getuid() == uid and os.geteuid() == uid and os.getgid() == uid)
        steps.add(f"uid {uid}")
    else:
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()
        steps.need("drop capabilities", libc.capset(header, data) == 0)
    steps.need("no new privileges", libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
    steps.need("no capability left", _cap_eff() == 0, f"effective capabilities {_cap_eff():#x}")
    steps.add("no capabilities, no new privileges")


def _verify_uid(steps: _Steps, uid: int, forbidden: list[str]) -> None:
    """Checks of the "uid" mode, after the privileges are dropped: what the namespaces would have hidden."""
    steps.need("dedicated uid", uid > 0 and os.getresuid() == (uid, uid, uid) and os.getresgid() == (uid, uid, uid)
               and os.getgroups() == [], f"uid {os.getresuid()}, gid {os.getresgid()}, groups {os.getgroups()}")
    caps = {name: _cap_set(name) for name in ("CapPrm", "CapEff", "CapBnd", "CapAmb", "CapInh")}
    steps.need("no capability in any set", not any(caps.values()),
               ", ".join(f"{k} {v:#x}" for k, v in caps.items() if v))
    try:
        os.kill(os.getppid(), 0)
        reachable = True
    except (PermissionError, ProcessLookupError):
        reachable = False
    steps.need("grader out of reach", not reachable, "the grading worker can be signalled")
    visible = [p for p in forbidden if os.path.lexists(p)]
    steps.need("forbidden paths out of reach", not visible,
               f"{len(visible)} forbidden path(s) reachable by uid {uid}: keep the grading source root-only (0700)")
    steps.add("checked: dedicated uid, no capabilities, grader not signallable, suites and home out of reach; "
              "NOT isolated: network, /tmp, other processes visible")


def _verify(steps: _Steps, forbidden: list[str]) -> None:
    names = {name for _, name in socket.if_nameindex()}
    steps.need("no network", names <= {"lo"}, f"network interfaces {sorted(names)}")
    visible = [p for p in forbidden if os.path.lexists(p)]
    steps.need("forbidden paths absent", not visible, f"{len(visible)} forbidden path(s) visible")
    steps.add("checked: pid 1, loopback only, no capabilities, repository and course absent")


def _redirect_output(output_fd: int) -> None:
    """stdin empty; stdout and stderr to the ``output`` channel (the descriptor is closed)."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    for fd in (null, output_fd):
        if fd > 2:
            os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stdin = open(0, closefd=False)  # noqa: SIM115


def _end_output() -> None:
    """stdout and stderr to /dev/null: the hidden part prints nowhere (the grader closed its end)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the grader stopped reading: a flood, or the visible part is over
            pass
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def _transform(source: str) -> str:
    """IPython syntax (magics, ``!cmd``) to Python, as the notebook kernel would read it."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        return source


def _send(fd: int, message: dict[str, Any]) -> None:
    wire.write_frame(fd, wire.encode(message))


def _close_fds_except(keep: list[int]) -> None:
    top = 3
    for fd in sorted(keep):
        os.closerange(top, fd)
        top = fd + 1
    os.closerange(top, 1 << 16)


def child_main(job: dict[str, Any], fds: dict[str, int], scratch: str, root: str) -> None:
    """Entry point of the forked child (``fds``: a descriptor per name of ``wire.CHANNELS``); never returns."""
    code = 70
    steps = _Steps(job.get("break_step"))
    text_fd = fds["text"]
    try:
        os.setsid()
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # ends with the worker
        keep = [fds[name] for name in wire.CHANNELS]
        _close_fds_except(keep)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        libc = _libc()
        as_root = os.geteuid() == 0
        uid = int(job.get("uid") or 0) if as_root else 0
        if job["isolation"] == "full":
            _enter_namespaces(libc, steps, keep)
            _new_root(libc, steps, root, scratch, int(job["limits"].get("scratch_bytes", 64 << 20)), uid)
        elif job["isolation"] == "uid":
            steps.need("uid mode", as_root and uid > 0, "needs a root grader and a leased uid")
            steps.add("isolation mode uid: no namespaces (refused here); a dedicated uid instead")
        else:
            steps.add("NO ISOLATION: new session and limits only")
        os.chdir(scratch)
        steps.need("sandbox uid", not as_root or uid > 0 or job["isolation"] != "full", "no uid leased")
        _set_limits(job["limits"], isolated=job["isolation"] in ("full", "uid"))
        if job["isolation"] == "full":
            _drop_privileges(libc, steps, uid)
            _verify(steps, job.get("forbidden", []))
        elif job["isolation"] == "uid":
            _drop_privileges(libc, steps, uid)
            _verify_uid(steps, uid, job.get("forbidden", []))
        os.environ.clear()
        os.environ.update(settings.sandbox_env(scratch))
        _redirect_output(fds["output"])
        _send(text_fd, {"kind": "isolation", "steps": steps.done})
        if job.get("fresh_python"):  # before any student code: the server must stay clean
            fresh.start_server(keep_closed=[fds[name] for name in ("text", "probes", "data")])
        _run(job, fds)
        code = 0
    except IsolationError as exc:
        code = ISOLATION_FAILED
        try:
            _send(text_fd, {"kind": "isolation_failed", "step": exc.step, "message": str(exc)})
        except BaseException:  # noqa: BLE001
            pass
    except BaseException:  # noqa: BLE001 - report (while the grader reads text), then exit without atexit hooks
        try:
            _send(text_fd, {"kind": "internal", "message": traceback.format_exc(limit=3)})
        except BaseException:  # noqa: BLE001
            pass
    os._exit(code)


def _probe_globals() -> dict[str, Any]:
    found = {name: value for name, value in vars(runtime).items() if not name.startswith("__")}
    found.update(__builtins__=builtins, np=sys.modules["numpy"], math=math)
    for module_name, alias in (("tensorflow", "tf"), ("keras", "keras")):
        if module_name in sys.modules:
            found[alias] = sys.modules[module_name]
    return found


def _read_exact(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the hidden probes' channel closed early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_hidden(fd: int) -> list[dict[str, Any]]:
    """The hidden probes: one frame the grader writes once the visible part is over.

    A frame, not "until EOF": the student's code can open another write end of this pipe
    (``/proc/self/fd``) and keep it open; it could only delay or garble its own hidden part.
    """
    (size,) = wire.HEADER.unpack(_read_exact(fd, wire.HEADER.size))
    probes = json.loads(_read_exact(fd, size)) if size else []
    os.close(fd)
    return probes


def _send_probe(fd: int, probe_id: str, message: dict[str, Any]) -> None:
    try:
        _send(fd, {"kind": "probe", "id": probe_id, **message})
    except Exception as exc:  # noqa: BLE001 - e.g. a float subclass that plain() let through
        _send(fd, {"kind": "probe", "id": probe_id, "ok": False, "error": type(exc).__name__,
                   "data": "the result could not be sent"})


def _run(job: dict[str, Any], fds: dict[str, int]) -> None:
    text_fd, data_fd = fds["text"], fds["data"]
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    exec(compile(job["setup"], "<setup>", "exec"), ns)  # noqa: S102 - trusted setup cell
    errors = []
    for index, source in enumerate(job["cells"]):
        try:
            exec(compile(_transform(source), f"<cell {index + 1}>", "exec"), ns)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - includes SystemExit and KeyboardInterrupt
            errors.append(f"cell {index + 1}: {type(exc).__name__}: {exc}"[:500])
    _send(text_fd, {"kind": "cells", "errors": errors})
    base = _probe_globals()
    for probe in job.get("probes", []):  # visible: their code is in the notebook; text may go back
        scope = dict(base)
        try:
            exec(compile(probe["source"], f"<check {probe['id']}>", "exec"), scope)  # noqa: S102
            ok, data = runtime.run_probe(scope[probe["entry"]], ns)
        except BaseException as exc:  # noqa: BLE001 - sys.exit() inside the student's function
            ok, data = False, f"your code stopped the check with {type(exc).__name__}: {exc}"
        _send_probe(text_fd, probe["id"], {"ok": ok, "data": data})
    _send(text_fd, {"kind": "visible_done"})
    # The visible part is over: no more text from here. The grader closes its ends of text and
    # output before it writes the hidden probes (a write to either then fails).
    _end_output()
    os.close(text_fd)
    for probe in _read_hidden(fds["probes"]):
        scope = dict(base)
        # Only plain data or the name of an exception class: the trusted side shows no text.
        try:
            exec(compile(probe["source"], "<check>", "exec"), scope)  # noqa: S102
            runtime.seed_random_state()  # as run_probe does: the same draws as in nbgrader
            message = {"ok": True, "data": runtime.plain(scope[probe["entry"]](ns))}
        except runtime.CheckFailed:
            message = {"ok": False, "error": "CheckFailed"}
        except BaseException as exc:  # noqa: BLE001
            message = {"ok": False, "error": type(exc).__name__}
        _send_probe(data_fd, probe["id"], message)
    _send(data_fd, {"kind": "done"})
