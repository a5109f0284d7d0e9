"""Shared fixtures. TensorFlow must be silenced before anything imports it."""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# `mmqb check` would start (or reuse) the per-user warm grader, which outlives the tests by its
# idle timeout; tests/selfstudy/test_daemon.py turns it back on for the tests that are about it.
os.environ["MMQB_NO_DAEMON"] = "1"

from autograder.topics import all_topics  # noqa: E402

TOPICS = all_topics()
SLUGS = [t.slug for t in TOPICS]


@pytest.fixture
def unix_users():
    """``unix_users(*names)``: those Unix users, created for the test and removed after it.

    Root only (CI runs ``make test`` as root); elsewhere the test is skipped and says why.
    """
    if os.geteuid() != 0:
        pytest.skip("creates Unix users with useradd: run as root (CI runs make test as root)")
    if not Path("/usr/bin/python3.11").exists() or not shutil.which("runuser"):
        pytest.skip("needs /usr/bin/python3.11 and runuser for the other users' side")
    created = []

    def make(*names):
        for user in names:
            try:
                pwd.getpwnam(user)
            except KeyError:
                subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", user], check=True)
                created.append(user)
        return names

    yield make
    for user in created:
        subprocess.run(["userdel", "--remove", user], capture_output=True)


@pytest.fixture(scope="session")
def any_user_python():
    """A venv any user can run: Debian's Python 3.11 with this .venv's site-packages on its path.

    The .venv's own interpreter lives under /root (pyenv), which another user cannot read.
    """
    base = Path(tempfile.mkdtemp(prefix="mmqb-any-user-"))  # /tmp/pytest-of-root is private to root
    os.chmod(base, 0o755)
    venv = base / "venv"
    subprocess.run(["/usr/bin/python3.11", "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sys.prefix) / "lib" / "python3.11" / "site-packages"
    (venv / "lib" / "python3.11" / "site-packages" / "mmqb-course.pth").write_text(str(site) + "\n")
    yield venv / "bin" / "python"
    shutil.rmtree(base, ignore_errors=True)
