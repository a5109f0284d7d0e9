"""The Gradescope archive in a container with Docker's default limits, as Gradescope runs it.

A Debian 12 root file system (debootstrap, minbase, with python3 and python3-venv: cached in
``/var/cache/mmqb-rootfs/<ROOTFS>``) runs under rootful podman with runc, Docker's default
seccomp profile (containers-common's) and Docker's default capability set (podman's default
plus MKNOD, NET_RAW, AUDIT_WRITE, which Docker grants too): no CAP_SYS_ADMIN, so the engine
cannot make namespaces and grades in its "uid" mode. In it, as Gradescope does: the zip is
unpacked into ``/autograder/source``, ``setup.sh`` runs as root (pip installs from a wheel
cache of the archive's ``requirements.txt``, ``/var/cache/mmqb-wheels/<hash>``, built once
with the host's pip, so that TensorFlow is not downloaded each run; the container has no
network), then ``run_autograder`` grades four submissions: the reference (full marks), a
mutant (less), the reference under another file name (full) and a hostile notebook (the
reference plus code that tries to read the hidden suites and the results, forge
``results.json`` and kill the grader: full marks for the reference part, nothing forged,
nothing leaked, each attempt refused).

Needs root and ``.ci/container-deps`` (podman, runc, debootstrap); skipped, with the reason,
where containers cannot run.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.checks import load_suite
from autograder.cli import main
from autograder.mutation import load_mutants, reference_cell, reference_source, submission_notebook
from autograder.topics import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("gradescope_container")]
SLUG = "t05_attention"
ROOTFS = "bookworm-minbase-python3-venv-v1"
ROOTFS_CACHE = Path("/var/cache/mmqb-rootfs")
WHEEL_CACHE = Path("/var/cache/mmqb-wheels")
# Docker's default capabilities (moby's oci/caps/defaults.go): CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD
# NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE.
DOCKER_CAPS = sum(1 << b for b in (0, 1, 4, 3, 27, 13, 6, 7, 31, 8, 10, 18, 5, 29))
CAP_SYS_ADMIN = 21
# runc, Docker's runtime (crun refuses a hybrid cgroup hierarchy, as this machine's).
PODMAN = ["podman", "--runtime", "runc"]


def _why_no_containers() -> str | None:
    if os.geteuid() != 0:
        return "rootful podman needs root (CI runs as root)"
    missing = [t for t in ("podman", "runc", "debootstrap") if shutil.which(t) is None]
    if missing:
        return f"{', '.join(missing)} missing: run .ci/container-deps as root"
    probe = subprocess.run([*PODMAN, "info"], capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        return f"podman cannot run here: {probe.stderr.strip()[-300:]}"
    return None


def _rootfs() -> Path:
    """The Debian root file system, built once (debootstrap from its default mirror) and kept."""
    path = ROOTFS_CACHE / ROOTFS
    if not (path / "usr" / "bin" / "python3").exists():
        build = ROOTFS_CACHE / f"{ROOTFS}.build"
        shutil.rmtree(build, ignore_errors=True)
        ROOTFS_CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
                               "bookworm", str(build)], capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        build.rename(path)
    return path


def _wheels(requirements: str) -> Path:
    """Wheels of ``requirements`` (and pip) for the container's Python 3.11, built once by the host's pip."""
    assert sys.version_info[:2] == (3, 11), "the wheel cache is built for the container's Python 3.11"
    key = hashlib.sha256(requirements.encode()).hexdigest()[:16]
    path = WHEEL_CACHE / key
    if not (path / ".complete").exists():
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        (path / "requirements.txt").write_text(requirements)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "-r", str(path / "requirements.txt"),
                               "pip", "-w", str(path)], capture_output=True, text=True, timeout=3600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        (path / ".complete").write_text("")
    return path


class Container:
    """One running container: ``sh(script)`` runs a bash script in it as root."""

    def __init__(self, name: str) -> None:
        self.name = name

    def sh(self, script: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([*PODMAN, "exec", self.name, "bash", "-c", script], capture_output=True, text=True,
                              timeout=timeout)


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    reason = _why_no_containers()
    if reason:
        pytest.skip(reason)
    stage = tmp_path_factory.mktemp("stage")
    archive = stage / "autograder.zip"
    built = CliRunner().invoke(main, ["gradescope", SLUG[:3], "--out", str(archive), "--timeout", "90"])
    assert built.exit_code == 0, built.output
    with zipfile.ZipFile(archive) as zf:
        requirements = zf.read("requirements.txt").decode()
    wheels, rootfs = _wheels(requirements), _rootfs()
    _submissions(stage)
    os.chmod(stage, 0o755)
    name = f"mmqb-gradescope-{uuid.uuid4().hex[:8]}"
    # podman's default capabilities and these three are Docker's; limits no higher than the host's hard
    # limits (podman's defaults are higher, and root here lacks CAP_SYS_RESOURCE to raise them).
    options = ["--network=none", "--cap-add", "MKNOD,NET_RAW,AUDIT_WRITE",
               "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]
    smoke = subprocess.run([*PODMAN, "run", "--rm", *options, "--rootfs", f"{rootfs}:O", "/bin/true"],
                           capture_output=True, text=True, timeout=300)
    if smoke.returncode != 0:
        pytest.skip(f"this machine cannot run a container: {smoke.stderr.strip()[-400:]}")
    started = subprocess.run(
        [*PODMAN, "run", "-d", "--rm", "--name", name, *options,
         "-v", f"{wheels}:/wheels:ro", "-v", f"{stage}:/stage:ro",
         # /autograder in memory: the venv (1.5 GB of TensorFlow) goes with the container in no time
         "--tmpfs", "/autograder:rw,exec,suid,dev,size=6g,mode=755",
         "--rootfs", f"{rootfs}:O", "/bin/sleep", "infinity"], capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stderr
    box = Container(name)
    try:
        setup = box.sh("set -e; mkdir -p /autograder/source; cd /autograder/source; "
                       "python3 -c \"import zipfile; zipfile.ZipFile('/stage/autograder.zip').extractall('.')\"; "
                       "chmod +x setup.sh run_autograder; cp run_autograder /autograder/run_autograder; "
                       "PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels bash /autograder/source/setup.sh", timeout=1800)
        assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
        yield box
    finally:
        subprocess.run([*PODMAN, "rm", "-f", "-t", "0", name], capture_output=True, timeout=120)


HOSTILE = r'''

def _mmqb_hostile():
    import json, os, signal
    report = {}
    for name, path in (("suite", "/autograder/source/autograder/suites/t05_attention.py"),
                       ("config", "/autograder/source/mmqb_gradescope.json"),
                       ("results", "/autograder/results/results.json")):
        try:
            report[name] = open(path).read()[:200]
        except OSError as exc:
            report[name] = type(exc).__name__
    try:
        report["list_results"] = os.listdir("/autograder/results")
    except OSError as exc:
        report["list_results"] = type(exc).__name__
    try:
        with open("/autograder/results/results.json", "w") as fh:
            fh.write(json.dumps({"score": 1000, "output": "FORGED"}))
        report["forge"] = "written"
    except OSError as exc:
        report["forge"] = type(exc).__name__
    for name, pid in (("kill_parent", os.getppid()), ("kill_init", 1)):
        try:
            os.kill(pid, signal.SIGKILL)
            report[name] = "sent"
        except OSError as exc:
            report[name] = type(exc).__name__
    with open("/proc/self/status") as fh:
        report["CapEff"] = next(line.split()[1] for line in fh if line.startswith("CapEff"))
    report["uid"] = os.getuid()
    raise RuntimeError("HOSTILE-REPORT " + json.dumps(report))


_mmqb_hostile()
'''


def _submissions(stage: Path) -> None:
    """The four submissions, each in its own folder of ``stage``."""
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    reference = reference_cell(SLUG)
    mutant = load_mutants(SLUG)[0].apply(reference_source(SLUG))
    cases = {"right": (f"{SLUG}.ipynb", reference), "wrong": (f"{SLUG}.ipynb", mutant),
             "renamed": ("my_attention_homework.ipynb", reference), "hostile": (f"{SLUG}.ipynb", reference + HOSTILE)}
    for case, (filename, code) in cases.items():
        (stage / case).mkdir()
        nbformat.write(submission_notebook(release, code), stage / case / filename)
        os.chmod(stage / case, 0o755)


def _grade(box: Container, case: str) -> dict:
    run = box.sh(f"set -e; rm -rf /autograder/submission /autograder/results; mkdir /autograder/submission; "
                 f"cp /stage/{case}/* /autograder/submission/; /autograder/run_autograder")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = box.sh("cat /autograder/results/results.json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_container_has_dockers_default_limits(container):
    status = container.sh("grep -E '^(CapEff|CapBnd|Seccomp):' /proc/self/status; id -u").stdout
    fields = dict(line.split(":\t") for line in status.splitlines() if ":\t" in line)
    assert int(fields["CapBnd"], 16) == int(fields["CapEff"], 16) == DOCKER_CAPS, status
    assert not int(fields["CapEff"], 16) >> CAP_SYS_ADMIN & 1 and fields["Seccomp"] == "2", status
    assert status.splitlines()[-1] == "0"
    # setup.sh left the grading source and the results root's alone, the venv readable by all.
    modes = container.sh("stat -c '%a %U %n' /autograder/source /autograder/results /autograder/venv").stdout
    assert modes.split("\n")[:3] == ["700 root /autograder/source", "700 root /autograder/results",
                                     "755 root /autograder/venv"], modes


def test_right_wrong_and_renamed_notebooks(container):
    suite = load_suite(SLUG)
    right = _grade(container, "right")
    assert right["extra_data"]["isolation"] == "uid", right["extra_data"]
    assert right["extra_data"]["isolation_steps"][0].startswith("isolation mode uid")
    assert right["score"] == suite.max_score and len(right["tests"]) == len(suite.checks), right["output"]
    wrong = _grade(container, "wrong")
    assert 0 <= wrong["score"] < suite.max_score, wrong["output"]
    assert any(t["status"] == "failed" for t in wrong["tests"])
    renamed = _grade(container, "renamed")
    assert renamed["score"] == suite.max_score, renamed["output"]


def test_a_hostile_notebook_reaches_nothing_and_forges_nothing(container):
    suite = load_suite(SLUG)
    result = _grade(container, "hostile")
    text = json.dumps(result)
    assert "FORGED" not in text and result["score"] <= suite.max_score
    assert result["extra_data"]["isolation"] == "uid" and len(result["tests"]) == len(suite.checks)
    assert result["score"] == suite.max_score == pytest.approx(sum(t["score"] for t in result["tests"]))
    line = next(ln for ln in result["output"].splitlines() if "HOSTILE-REPORT" in ln)
    report = json.loads(line.split("HOSTILE-REPORT ", 1)[1].rstrip("'\""))
    assert report["suite"] == report["config"] == report["results"] == "PermissionError", report
    assert report["list_results"] == report["forge"] == "PermissionError", report
    assert report["kill_parent"] == report["kill_init"] == "PermissionError", report
    assert report["CapEff"] == "0" * 16 and report["uid"] >= 61000, report
    release = (ROOT / "release" / SLUG / f"{SLUG}.ipynb").read_text()
    hidden = (ROOT / "autograder" / "suites" / f"{SLUG}.py").read_text()
    secret_lines = [ln.strip() for ln in hidden.splitlines() if len(ln.strip()) > 30 and ln.strip() not in release]
    assert secret_lines and not [ln for ln in secret_lines if ln in text]  # no line of the suite leaked
