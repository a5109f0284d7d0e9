"""The "uid" isolation mode: what a root grader gets where namespaces are refused (Docker's defaults).

Here the machine allows namespaces, so the worker is told to behave as if it did not
(``no_namespaces``); everything else is the real thing: the worker runs as root, the child
drops every capability and runs as the leased uid. Checked from inside the student's code:
the uid, no capability in any set, a root-only file unreadable, the grader unkillable, its
leftovers in /tmp removed; and from outside: a grader whose suites are readable by others is
refused before any student code runs, and no policy but "uid" ever picks this mode.
tests/gradescope/test_container.py runs it where namespaces are really refused.
"""

import json
import os
import tempfile
import uuid
from pathlib import Path

import pytest

from autograder.engine import IsolationUnavailable, Limits, WarmWorker, grade_path
from autograder.engine.worker import remove_files_of
from autograder.topics import ROOT

pytestmark = [pytest.mark.xdist_group("uid_mode"),
              pytest.mark.skipif(os.geteuid() != 0, reason="the uid mode is a root grader's: run as root (CI does)")]
LIMITS = Limits(wall_seconds=30, cpu_seconds=60, memory_mib=512)


@pytest.fixture(scope="module")
def worker():
    w = WarmWorker(7, isolation="uid", no_namespaces=True)
    w.start()
    yield w
    w.close()


@pytest.fixture(scope="module")
def secrets():
    """A root-only folder (0700) with a readable file, and a root-only file (0600) in an open folder."""
    closed = Path(tempfile.mkdtemp(prefix="mmqb-uid-secret-"))  # 0700, root's
    (closed / "suite.py").write_text("HIDDEN-SUITE-5c1e")
    (closed / "suite.py").chmod(0o644)
    open_dir = Path(tempfile.mkdtemp(prefix="mmqb-uid-open-"))
    open_dir.chmod(0o755)
    (open_dir / "results.json").write_text("RESULTS-7a2b")
    (open_dir / "results.json").chmod(0o600)
    yield closed / "suite.py", open_dir / "results.json"
    for path in (closed, open_dir):
        for child in path.iterdir():
            child.unlink()
        path.rmdir()


def _run(worker, cells, forbidden=()):
    job = {"setup": "", "cells": cells, "probes": [], "forbidden": list(forbidden)}
    visible, _ = worker.run_submission(job, LIMITS)
    return visible


PROBE = r"""
import json, os, signal
report = {"uid": os.getresuid(), "gid": os.getresgid(), "groups": os.getgroups(), "env": sorted(os.environ)}
with open("/proc/self/status") as fh:
    report["caps"] = {l.split(":")[0]: l.split()[1] for l in fh if l.startswith(("Cap", "NoNewPrivs"))}
for name, path in (("suite", SUITE), ("results", RESULTS)):
    try:
        report[name] = open(path).read()
    except OSError as exc:
        report[name] = type(exc).__name__
try:
    open(RESULTS, "w").write('{"score": 1000}')
    report["forge"] = "written"
except OSError as exc:
    report["forge"] = type(exc).__name__
for name, pid in (("kill_worker", os.getppid()), ("kill_grader", GRADER), ("kill_init", 1)):
    try:
        os.kill(pid, signal.SIGKILL)
        report[name] = "sent"
    except OSError as exc:
        report[name] = type(exc).__name__
scratch = os.environ["TMPDIR"]
open(os.path.join(scratch, "mine.txt"), "w").write("ok")
report["scratch"] = os.listdir(scratch) if os.stat(scratch).st_uid == os.getuid() else "not owned"
os.makedirs("/tmp/mmqb-left-MARK/sub")
open("/tmp/mmqb-left-MARK/sub/f", "w").write("x")
open("/dev/shm/mmqb-left-MARK", "w").write("x")
print("REPORT " + json.dumps(report))
"""


def _report(phase) -> dict:
    line = next(ln for ln in phase.output.splitlines() if ln.startswith("REPORT "))
    return json.loads(line[len("REPORT "):])


def test_student_code_runs_as_the_leased_uid_without_capabilities_or_reach(worker, secrets):
    suite, results = secrets
    mark = uuid.uuid4().hex[:8]
    code = (PROBE.replace("SUITE", repr(str(suite))).replace("RESULTS", repr(str(results)))
            .replace("GRADER", str(os.getpid())).replace("MARK", mark))
    phase = _run(worker, [code])
    assert phase.isolation is not None, (phase.isolation_failure, phase.status, phase.detail, phase.output)
    assert phase.isolation[0].startswith("isolation mode uid"), phase.isolation
    assert not phase.status, (phase.status, phase.detail, phase.output)
    report = _report(phase)
    uid = worker.lease.uid
    assert uid >= 61000 and report["uid"] == [uid] * 3 and report["gid"] == [uid] * 3 and report["groups"] == []
    assert report["caps"]["CapEff"] == report["caps"]["CapPrm"] == report["caps"]["CapBnd"] == "0" * 16
    assert report["caps"]["CapAmb"] == report["caps"]["CapInh"] == "0" * 16 and report["caps"]["NoNewPrivs"] == "1"
    assert report["suite"] == "PermissionError" and report["results"] == "PermissionError"
    assert report["forge"] == "PermissionError" and results.read_text() == "RESULTS-7a2b"
    assert report["kill_worker"] == report["kill_grader"] == report["kill_init"] == "PermissionError"
    assert worker.proc.poll() is None  # the worker lives on
    assert report["scratch"] == ["mine.txt"]  # its own scratch folder, owned by the uid
    assert report["env"] == sorted(["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "KERAS_HOME", "MPLCONFIGDIR",
                                    "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTHONDONTWRITEBYTECODE"])
    # What it left in the world-writable folders went with the phase.
    assert not os.path.lexists(f"/tmp/mmqb-left-{mark}") and not os.path.lexists(f"/dev/shm/mmqb-left-{mark}")
    # The next phase works the same (the worker is reused).
    again = _run(worker, ["print('REPORT ' + __import__('json').dumps({'uid': __import__('os').getuid()}))"])
    assert _report(again) == {"uid": uid}


def test_a_reachable_forbidden_path_refuses_the_submission(worker, tmp_path):
    readable = Path(tempfile.mkdtemp(prefix="mmqb-uid-readable-"))
    try:
        readable.chmod(0o755)
        (readable / "suite.py").write_text("x")
        phase = _run(worker, ["open('/tmp/ran-anyway', 'w')"], forbidden=[str(readable / "suite.py")])
        assert phase.isolation is None and "forbidden paths out of reach" in (phase.isolation_failure or "")
        assert not os.path.exists("/tmp/ran-anyway")
    finally:
        (readable / "suite.py").unlink()
        readable.rmdir()


def test_grading_with_the_suites_readable_by_others_is_refused(worker, tmp_path):
    """This repository is world-readable: its suites would be in reach, so no student code runs."""
    release = ROOT / "release" / "t05_attention" / "t05_attention.ipynb"
    result = grade_path(release, worker, LIMITS)
    assert not result.graded and result.score is None
    assert "forbidden paths out of reach" in result.message, result.message


def test_the_grader_survives_a_kill_of_every_process_the_uid_can_reach(worker):
    phase = _run(worker, ["import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('REPORT {}')"])
    # kill(-1) spares the caller
    assert phase.finished_part("visible_done") and not phase.status, (phase.status, phase.detail)
    assert worker.proc.poll() is None and _report(phase) == {}


@pytest.mark.parametrize("policy", ["require", "available"])
def test_no_other_policy_falls_back_to_the_uid_mode(policy):
    w = WarmWorker(8, isolation=policy, no_namespaces=True)
    try:
        if policy == "require":
            with pytest.raises(IsolationUnavailable, match="namespaces refused"):
                w.start()
        else:
            w.start()
            assert w.mode == "none" and w.unsafe
    finally:
        w.close()


def test_the_uid_mode_is_recorded_and_not_marked_unsafe(worker):
    assert worker.mode == "uid" and not worker.unsafe


def test_cleanup_never_follows_a_symlink_nor_touches_others_files(tmp_path):
    target = tmp_path / "keep"
    target.mkdir()
    (target / "f").write_text("root's")
    name = f"/tmp/mmqb-link-{uuid.uuid4().hex[:8]}"
    os.symlink(target, name)
    os.lchown(name, 65533, 65533)
    other = f"/tmp/mmqb-other-{uuid.uuid4().hex[:8]}"
    Path(other).write_text("someone else's")
    try:
        remove_files_of(65533)
        assert not os.path.lexists(name)  # the link itself, owned by the uid, is gone
        assert (target / "f").read_text() == "root's"  # what it pointed to is untouched
        assert Path(other).read_text() == "someone else's"
    finally:
        for path in (name, other):
            if os.path.lexists(path):
                os.unlink(path)


def test_what_it_prints_reaches_the_grader_through_a_pipe_not_a_file_of_its_own(worker, secrets):
    """No output file in the uid's scratch folder: nothing there for root to follow or read back."""
    suite, _ = secrets
    phase = _run(worker, ["import os\nprint('before', sorted(os.listdir('.')))\n"
                          f"os.symlink({str(suite)!r}, 'output.txt')\nprint('after')"])
    assert phase.finished_part("visible_done") and "before []" in phase.output and "after" in phase.output
    assert "HIDDEN-SUITE" not in phase.output and suite.read_text() == "HIDDEN-SUITE-5c1e"
    assert worker.proc.poll() is None
