"""The engine's settings in one place: limits, environments, sandbox uids, private folders.

Everything here is decided by the trusted grader; nothing of the grader's own environment
(tokens, passwords, paths) is passed on: the warm worker starts with :func:`worker_env`,
and a sandbox gets :func:`sandbox_env` and nothing else.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Configurable

# nbgrader scores a graded cell with stderr output 0, and TensorFlow logs to stderr at import.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONDONTWRITEBYTECODE": "1"}

# As root every live sandbox runs under its own uid from this range, held by a lock file.
SANDBOX_UID_BASE = 61000
SANDBOX_UID_COUNT = 2000
UID_LOCK_DIR = "/run/mmqb-uids"

# What a grader may ask for: "require" (full isolation or refuse), "available" (mmqb check:
# whatever the machine allows, said in the result), "off" (--no-isolation: marked unsafe),
# "uid" (the Gradescope runner only: full isolation, else as root a dedicated uid without
# capabilities where the container refuses namespaces, else refuse; see engine/sandbox.py).
ISOLATION_POLICIES = ("require", "available", "off", "uid")

ISOLATION_HELP = (
    "mmqb needs unprivileged user namespaces to isolate student code when not run as root. "
    "Enable them (Ubuntu 23.10+: `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`; "
    "Debian before 11: `sudo sysctl kernel.unprivileged_userns_clone=1`; everywhere: "
    "`user.max_user_namespaces` > 0), run the grader as root, or pass --no-isolation to grade "
    "without a sandbox (every result is then marked unsafe)."
)


class Mmqb(Configurable):
    """The engine's options: ``c.Mmqb.<name>`` in a course's ``nbgrader_config.py``.

    The one source of every default: :class:`Limits`, ``mmqb autograde``, ``mmqb grade`` and
    ``mmqb check`` take theirs from here; a command-line option overrides it.
    """

    workers = Integer(2, help="Warm grading workers of the local pool.").tag(config=True)
    scheduler = Unicode("", help="dask.distributed scheduler address; empty: the local pool.").tag(config=True)
    cluster_credentials = Unicode("", help="Folder of the cluster's TLS credentials (`mmqb cluster-credentials`)."
                                  ).tag(config=True)
    insecure_scheduler = Bool(False, help="Accept a scheduler without TLS: anyone reaching it runs code on the "
                              "workers.").tag(config=True)
    timeout = Float(120.0, help="Wall-clock seconds per submission.").tag(config=True)
    cpu_seconds = Float(0.0, help="CPU seconds per submission (0: twice the timeout).").tag(config=True)
    memory_mib = Integer(2048, help="Address space per submission beyond TensorFlow, in MiB.").tag(config=True)
    output_bytes = Integer(1 << 20, help="Output a submission may print, in bytes.").tag(config=True)
    processes = Integer(512, help="Processes and threads per submission (RLIMIT_NPROC).").tag(config=True)
    notebook_bytes = Integer(16 << 20, help="Largest submitted notebook, in bytes.").tag(config=True)
    scratch_mib = Integer(256, help="Size of a submission's scratch folder (a tmpfs), in MiB.").tag(config=True)
    submission_files = Integer(64, help="Other files of a submission folder copied to autograded/.").tag(config=True)
    submission_bytes = Integer(16 << 20, help="Their total size, in bytes; larger files are left out.").tag(
        config=True)

    def limits(self, timeout: float | None = None, memory_mib: int | None = None) -> Limits:
        """The sandbox limits, with the command line's ``timeout`` / ``memory_mib`` when given."""
        wall = float(timeout if timeout is not None else self.timeout)
        cpu = float(self.cpu_seconds) if self.cpu_seconds and timeout is None else None
        memory = int(memory_mib if memory_mib is not None else self.memory_mib)
        for name, value in (("timeout", wall), ("memory", memory), ("workers", self.workers)):
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        return Limits(wall_seconds=wall, cpu_seconds=cpu, memory_mib=memory, output_bytes=int(self.output_bytes),
                      processes=int(self.processes), notebook_bytes=int(self.notebook_bytes),
                      scratch_mib=int(self.scratch_mib))


def _default(trait: str):
    return getattr(Mmqb, trait).default_value


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's sandbox; the defaults are :class:`Mmqb`'s."""

    wall_seconds: float = _default("timeout")
    cpu_seconds: float | None = None  # None: twice the wall clock (TensorFlow runs two threads)
    memory_mib: int = _default("memory_mib")
    output_bytes: int = _default("output_bytes")
    result_bytes: int = 32 << 20
    processes: int = _default("processes")  # TensorFlow's thread pools count against RLIMIT_NPROC
    notebook_bytes: int = _default("notebook_bytes")  # read and parsed by the trusted side: bounded first
    scratch_mib: int = _default("scratch_mib")

    def __post_init__(self) -> None:
        if self.cpu_seconds is None:
            object.__setattr__(self, "cpu_seconds", 2 * float(self.wall_seconds))

    def as_job(self) -> dict[str, Any]:
        """The limits in the worker's job format."""
        return {"wall_seconds": self.wall_seconds, "cpu_seconds": self.cpu_seconds,
                "memory_bytes": self.memory_mib << 20, "output_bytes": self.output_bytes,
                "result_bytes": self.result_bytes, "processes": self.processes,
                "scratch_bytes": self.scratch_mib << 20}


def worker_env(home: str) -> dict[str, str]:
    """The whole environment of a warm worker: what Python and TensorFlow need, nothing inherited."""
    from autograder.topics import ROOT

    env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": str(ROOT), **QUIET_ENV}
    return env


def sandbox_env(scratch: str) -> dict[str, str]:
    """The whole environment student code sees."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "KERAS_HOME": os.path.join(scratch, ".keras"), "MPLCONFIGDIR": scratch,
            **QUIET_ENV}


def private_base() -> str:
    """Where this user's private run folders go: the user's runtime folder, else the temp folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.stat(runtime).st_uid == os.geteuid() \
            and os.access(runtime, os.W_OK | os.X_OK):
        return runtime
    return tempfile.gettempdir()


def make_run_dir() -> str:
    """A fresh private folder (mode 0700, unpredictable name) for one grader's scratch and roots."""
    return tempfile.mkdtemp(prefix="mmqb-run-", dir=private_base())


def remove_run_dir(path: str) -> None:
    """Remove a run folder made by :func:`make_run_dir` (best effort: never follow symlinks out).

    A few tries: a sandboxed process that the worker's death is still ending (its parent-death
    signal is asynchronous) can create a file while the folder is being deleted.
    """
    for attempt in range(5):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return
        time.sleep(0.1 * (attempt + 1))


class UidLease:
    """One sandbox uid (root only), unique on the machine while this lease is held.

    The lease is an exclusive ``flock`` on ``/run/mmqb-uids/<uid>.lock`` (a root-only folder):
    the kernel drops it when the holding process dies, so a crashed grader frees its uid.
    """

    def __init__(self) -> None:
        self.uid = 0
        self._fd: int | None = None

    def acquire(self) -> int:
        """Take the first free uid of the range; ``RuntimeError`` if none is free."""
        import pwd

        os.makedirs(UID_LOCK_DIR, mode=0o700, exist_ok=True)
        if os.stat(UID_LOCK_DIR).st_uid != 0 or os.stat(UID_LOCK_DIR).st_mode & 0o022:
            raise RuntimeError(f"{UID_LOCK_DIR} must be owned by root and not writable by others")
        for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UID_COUNT):
            try:
                pwd.getpwuid(uid)
                continue  # a real account: never run student code as it
            except KeyError:
                pass
            fd = os.open(os.path.join(UID_LOCK_DIR, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    continue
                raise
            self.uid, self._fd = uid, fd
            return uid
        raise RuntimeError(f"no free sandbox uid in {SANDBOX_UID_BASE}..{SANDBOX_UID_BASE + SANDBOX_UID_COUNT - 1}")

    def release(self) -> None:
        """Give the uid back."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd, self.uid = None, 0
