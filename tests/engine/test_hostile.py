"""The hostile corpus: every cheat scores no more than an honest wrong answer.

Each fixture in tests/fixtures/hostile/ replaces the solution cell of the t05 release
notebook. "Honest wrong" is the seed's version of t05 graded the same way. Two correct
answers written in different styles must score full marks.

CI runs this module twice: as root (a leased sandbox uid) and, through
tests/engine/test_as_user.py, as a normal user (user namespaces): every test runs in both.
"""

import json
import os
import socket
import threading
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder.engine import IsolationUnavailable, Limits, WarmWorker, grade_path
from autograder.engine.worker import _descendants
from autograder.mutation import reference_cell, seed_source, submission_notebook
from autograder.topics import ROOT

SLUG = "t05_attention"
HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
LIMITS = Limits(wall_seconds=25, cpu_seconds=40, memory_mib=512, output_bytes=1 << 20)
pytestmark = pytest.mark.xdist_group("hostile")  # one warm worker for the module


@pytest.fixture(scope="module")
def worker():
    w = WarmWorker(3)
    try:
        w.start()
    except IsolationUnavailable as exc:
        pytest.skip(f"no isolation on this machine: {exc}")
    yield w
    w.close()


def grade_code(worker, tmp_path, code, limits=LIMITS):
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    path = tmp_path / uuid.uuid4().hex[:8] / f"{SLUG}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(submission_notebook(release, code), path)
    return grade_path(path, worker, limits)


@pytest.fixture(scope="module")
def honest_wrong_score(worker, tmp_path_factory):
    result = grade_code(worker, tmp_path_factory.mktemp("seed"), seed_source(SLUG))
    assert result.score < result.max_score
    return result.score


def _fixture(name, **subs):
    text = (HOSTILE / f"{name}.py").read_text()
    for key, value in subs.items():
        text = text.replace(key, value)
    return text


@pytest.mark.parametrize("name", ["reference", "correct_numpy_style"])
def test_correct_answers_in_two_styles_score_full_marks(worker, tmp_path, name):
    code = reference_cell(SLUG) if name == "reference" else _fixture(name)
    result = grade_code(worker, tmp_path, code)
    assert result.status == "ok", result.message
    assert result.score == result.max_score, [t for t in result.tests if not t.passed]


@pytest.mark.parametrize("name", [
    "always_true_eq", "monkeypatch_checkers", "import_reference", "exit_with_fake_results", "fake_frames",
    "input_transformer", "segfault", "output_flood", "constant_guess",
])
def test_cheat_scores_no_more_than_an_honest_wrong_answer(worker, tmp_path, honest_wrong_score, name):
    result = grade_code(worker, tmp_path, _fixture(name))
    assert result.score <= honest_wrong_score, (name, result.score, result.message,
                                                [t.name for t in result.tests if t.passed])


def test_a_forged_engine_fault_is_graded_as_the_students_crash(worker, tmp_path):
    result = grade_code(worker, tmp_path, _fixture("forge_engine_fault"))
    assert result.graded and result.score == 0 and result.status == "crashed", result.message
    assert "forged" not in " ".join(result.isolation)


def test_segfault_is_reported_as_a_crash(worker, tmp_path):
    result = grade_code(worker, tmp_path, _fixture("segfault"))
    assert result.status == "crashed" and "SIGSEGV" in result.message
    assert result.score == 0


def test_infinite_loop_ignoring_signals_is_killed_at_the_time_limit(worker, tmp_path):
    limits = Limits(wall_seconds=8, cpu_seconds=30, memory_mib=512)
    result = grade_code(worker, tmp_path, _fixture("infinite_loop"), limits)
    assert result.status == "timeout" and result.score == 0
    assert "time limit" in result.message


def test_memory_hog_is_stopped(worker, tmp_path):
    result = grade_code(worker, tmp_path, _fixture("memory_hog"))
    assert result.score == 0
    assert result.status in ("memory", "crashed", "ok")  # killed, or MemoryError inside the cell
    if result.status == "ok":
        assert any("MemoryError" in n for n in result.notes)


def test_output_flood_is_bounded(worker, tmp_path):
    result = grade_code(worker, tmp_path, _fixture("output_flood"), Limits(wall_seconds=15, memory_mib=512))
    assert result.score == 0
    assert result.status in ("ok", "timeout")


def test_forked_children_do_not_outlive_the_submission(worker, tmp_path):
    result = grade_code(worker, tmp_path, _fixture("fork_survivor"))
    assert result.score == 0
    assert worker.proc is not None
    assert _descendants(worker.proc.pid) == []


def test_a_process_flood_stops_at_the_process_limit(worker, tmp_path):
    """RLIMIT_NPROC in every full sandbox: a leased uid's as root, the user namespace's as a user."""
    # Forking hundreds of copies of a process that holds TensorFlow takes 10-40 s on 2 busy cores, and
    # the wall budget covers the cells and every check: give the flood room so that only the limit decides.
    roomy = Limits(wall_seconds=150, cpu_seconds=300, memory_mib=512, output_bytes=1 << 20)
    result = grade_code(worker, tmp_path, _fixture("process_flood") + "\n\n" + reference_cell(SLUG), roomy)
    assert result.status == "ok", result.message
    assert result.score == result.max_score, result.notes  # the flood stopped before 1,000 processes
    assert worker.proc is not None and _descendants(worker.proc.pid) == []


def test_a_message_flood_is_capped_with_a_marker(worker, tmp_path):
    result = grade_code(worker, tmp_path, _fixture("message_flood"))
    payload = json.dumps(result.gradescope())
    assert result.score == 0 and len(payload) < (1 << 20) + (64 << 10)
    assert any("truncated" in t.message for t in result.tests)


def test_no_network(worker, tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    hits = []

    def accept():
        for _ in range(40):
            try:
                conn, _ = server.accept()
                hits.append(conn.recv(16))
            except OSError:
                pass

    thread = threading.Thread(target=accept)
    thread.start()
    port = str(server.getsockname()[1])
    result = grade_code(worker, tmp_path, _fixture("network_access", PORT=port))
    thread.join()
    server.close()
    assert result.score == 0
    assert hits == [], "the sandbox reached a loopback server"


def test_no_writes_outside_scratch(worker, tmp_path):
    marker = uuid.uuid4().hex
    targets = [f"/tmp/mmqb-escape-{marker}", str(ROOT / f"escape-{marker}"), f"/var/tmp/escape-{marker}",
               str(tmp_path / f"escape-{marker}")]
    result = grade_code(worker, tmp_path, _fixture("write_outside_scratch", TARGETS=repr(targets)))
    assert result.score == 0
    assert [t for t in targets if os.path.exists(t)] == []


def test_reference_suites_and_history_are_hidden(worker, tmp_path):
    result = grade_code(worker, tmp_path, _fixture("import_reference"))
    assert result.score == 0
    assert any(step.startswith("new root:") for step in result.isolation)
    if os.geteuid() == 0:
        assert any(step.startswith("uid ") for step in result.isolation)
    else:
        assert any(step.startswith("namespaces: user,") for step in result.isolation)


def test_isolation_steps_are_reported_in_every_result(worker, tmp_path):
    result = grade_code(worker, tmp_path, reference_cell(SLUG))
    steps = " | ".join(result.isolation)
    for word in ("mount, network, pid", "new root:", "no capabilities", "checked: pid 1"):
        assert word in steps, steps
    assert not result.unsafe


@pytest.mark.parametrize("step", ["namespaces", "pivot_root", "no new privileges", "forbidden paths absent"])
def test_a_failing_isolation_step_refuses_the_submission(tmp_path, step):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('student code ran')\n" + reference_cell(SLUG)
    w = WarmWorker(4, break_step=step)
    try:
        w.start()
        result = grade_code(w, tmp_path, code)
    finally:
        w.close()
    assert result.graded is False and result.score is None and result.status == "error"
    assert step in result.message and not result.tests
    assert not marker.exists(), "the student's code ran although isolation failed"


def test_sandbox_sees_only_system_python_and_scratch(worker, tmp_path):
    probe = (
        "import os, json\n"
        "seen = {p: os.path.exists(p) for p in PATHS}\n"
        "def scaled_dot_product_attention(query, key, value, mask=None):\n"
        "    raise RuntimeError(json.dumps(seen))\n"
    )
    paths = [str(ROOT / "solutions"), str(ROOT / "autograder" / "suites"), str(ROOT / ".git"), str(tmp_path),
             "/root/.bashrc", "/etc/hostname"]
    result = grade_code(worker, tmp_path, probe.replace("PATHS", repr(paths)))
    message = next(t.message for t in result.tests if t.name == "shape.output_shapes")
    seen = json.loads(message[message.index("{"):message.rindex("}") + 1])
    assert seen == {**{p: False for p in paths[:-1]}, "/etc/hostname": os.path.exists("/etc/hostname")}


# ---------------------------------------------------------------- the order of the two parts
# One child runs the visible part, then the hidden part. The grader closes its ends of the text
# and output channels before it writes the hidden probes: code that holds copies of every
# descriptor, waits for the hidden probes in a thread or forges the end of the visible part
# gets them, if at all, only where nothing is read as text. MARK is in the hidden probe alone.
THIEF = r'''
import fcntl, json, os, stat, struct, sys, threading, time
SAVED = [os.dup(fd) for fd in range(64) if fd > 2 and _is_fifo(fd)] + [os.dup(1), os.dup(2)]
STOLEN, TRIED = [], []

def _frame(obj):
    blob = json.dumps(obj).encode()
    return struct.pack(">I", len(blob)) + blob

def _spread(text):
    """Everywhere it can write: a frame to every copy (text would garble the data channel), and print."""
    for fd in SAVED:
        try:
            os.write(fd, _frame({"kind": "probe", "id": "stolen", "ok": False, "data": text}))
            TRIED.append("written")
        except OSError as exc:
            TRIED.append(type(exc).__name__)
    try:
        print(text, flush=True)
    except OSError as exc:
        TRIED.append("print " + type(exc).__name__)

def _steal():
    readers = [fd for fd in SAVED if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY]
    STOLEN.append(os.read(readers[0], 1 << 20).decode(errors="replace"))
    _spread(STOLEN[-1])

def report():
    """Called by the hidden probe: its caller's constants hold MARK."""
    _spread(repr(sys._getframe(1).f_code.co_consts))
    return {"stolen": STOLEN, "tried": TRIED}
'''
IS_FIFO = "import os, stat\ndef _is_fifo(fd):\n    try:\n        return stat.S_ISFIFO(os.fstat(fd).st_mode)\n" \
          "    except OSError:\n        return False\n"
FORGE_DONE = ("for fd in SAVED:\n    try:\n        os.write(fd, _frame({'kind': 'visible_done'}))\n"
              "    except OSError:\n        pass\n")
STEAL = "threading.Thread(target=_steal, daemon=True).start()\ntime.sleep(0.5)\nprint('visible part ends')\n"


def _run_thief(worker, cells):
    mark = f"HIDDEN-MARK-{uuid.uuid4().hex}"
    probe = {"id": "hidden.h", "entry": "probe",
             "source": f"def probe(ns):\n    secret = {mark!r}\n    return ns['report']()\n"}
    job = {"setup": "", "cells": [IS_FIFO + THIEF, *cells], "probes": [], "forbidden": []}
    visible, hidden = worker.run_submission(job, Limits(wall_seconds=8, cpu_seconds=20, memory_mib=512),
                                            hidden_probes=json.dumps([probe]).encode())
    seen_as_text = json.dumps(visible.messages) + visible.output
    assert visible.isolation is not None and "HIDDEN-MARK" not in seen_as_text, seen_as_text[-2000:]
    return mark, visible, hidden


def test_copies_of_every_descriptor_carry_nothing_of_the_hidden_part_as_text(worker):
    mark, visible, hidden = _run_thief(worker, ["print('visible part ends')"])
    assert "visible part ends" in visible.output and visible.finished_part("visible_done")
    data = next(m["data"] for m in hidden.messages if m.get("id") == "hidden.h")
    assert hidden.finished and len(data["stolen"]) == 0
    # it tried every copy: those of text and output failed (the grader had closed them), data took
    # it; print went to /dev/null
    tried = list(data["tried"])
    assert "BrokenPipeError" in tried and "written" in tried and "print BrokenPipeError" not in tried
    assert any(mark in json.dumps(m) for m in hidden.messages if m.get("id") == "stolen")


@pytest.mark.parametrize("forge", [False, True], ids=["thread-waits", "forged-done-then-thread"])
def test_a_thread_waiting_for_the_hidden_probes_gets_them_only_after_text_is_closed(worker, forge):
    """Whoever reads the hidden probes first (the thread or the trusted reader), they reach only
    the data channel; with a forged end of the visible part the thread is certain to take them."""
    mark, visible, hidden = _run_thief(worker, [FORGE_DONE + STEAL if forge else STEAL])
    assert any(mark in json.dumps(m) for m in hidden.messages), hidden.messages[-3:]
    if forge:
        # the forged end closed the text channel early: the real visible frames were refused ...
        assert [m.get("kind") for m in visible.messages] == ["isolation", "visible_done"]
        assert "visible part ends" not in visible.output
        # ... the thread took the hidden probe from the trusted reader, so the hidden part does not count
        assert not any(m.get("id") == "hidden.h" and m.get("ok") for m in hidden.messages)
        assert hidden.status in ("timeout", "crashed")
