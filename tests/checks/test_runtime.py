"""The check runtime: hidden verdicts show no value, whatever runs beside them; points per check."""

import re
import threading

import numpy as np
import pytest

from autograder import runtime

WANT = np.array([[0.123456, 0.654321], [0.777777, 0.888888]])


def _failing_verdicts():
    """Verdicts that fail on purpose, each in its own way of showing values."""

    def close(got):
        runtime.expect_close(got, WANT, "weights")

    def equal(got):
        runtime.expect_equal(got, np.array([3, 1, 4]), "labels")

    def shape(got):
        runtime.expect_array(got, "output", shape=(7, 9))

    def custom(got):
        runtime.expect(False, f"weights must sum to 1, got {float(np.sum(got)):.6f}")

    def raises(got):
        runtime.expect_raises("SecretLeak_0xdeadbeef", "ValueError", "bad input")

    return [close, equal, shape, custom, raises]


def test_hidden_messages_show_no_value():
    got = np.array([[0.5, 0.5], [0.25, 0.75]])
    for verdict in _failing_verdicts():
        passed, message = runtime.run_verdict(verdict, got, hidden=True)
        assert passed is False
        assert not re.search(r"\d", message), message
        assert "SecretLeak" not in message
    for verdict in _failing_verdicts()[:3]:
        passed, message = runtime.run_verdict(verdict, got, hidden=False)
        assert passed is False and re.search(r"\d", message), message  # visible ones do show values


def test_visibility_is_per_call_even_across_threads():
    """Many threads judge hidden and visible verdicts at once: not one hidden message shows a value."""
    got = np.array([[0.5, 0.5], [0.25, 0.75]])
    verdicts = _failing_verdicts()
    leaks, counts = [], {"hidden": 0, "visible": 0}
    barrier = threading.Barrier(8)
    lock = threading.Lock()

    def judge(index):
        barrier.wait()
        for i in range(400):
            hidden = (i + index) % 2 == 0
            passed, message = runtime.run_verdict(verdicts[i % len(verdicts)], got, hidden=hidden)
            with lock:
                counts["hidden" if hidden else "visible"] += 1
                if hidden and re.search(r"\d", message):
                    leaks.append(message)

    threads = [threading.Thread(target=judge, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == {"hidden": 1600, "visible": 1600}
    assert leaks == []


def test_hidden_probe_failure_names_only_builtin_exceptions():
    class Leak_4242_abc(ValueError):  # noqa: N801 - a student-chosen class name carrying data
        pass

    def probe_custom(ns):
        raise Leak_4242_abc("the hidden input is 4242")

    def probe_builtin(ns):
        raise TypeError("text of the student: 4242")

    ok, message = runtime.run_probe(probe_custom, {}, hidden=True)
    assert ok is False and message == "your code raised another exception"
    ok, message = runtime.run_probe(probe_builtin, {}, hidden=True)
    assert ok is False and message == "your code raised TypeError"
    ok, message = runtime.run_probe(probe_builtin, {}, hidden=False)
    assert "4242" in message  # a visible check shows the student's own message


def test_group_value_is_the_sum_of_passing_checks_points(capsys):
    runtime.begin_group("numeric", 4)
    assert runtime.check("a", lambda ns: 1, lambda got: None, {}, points=1.33)
    assert not runtime.check("b", lambda ns: 1, lambda got: runtime.expect(False, "no"), {}, points=1.33)
    assert runtime.check("c", lambda ns: 1, lambda got: None, {}, points=1.34)
    assert runtime.end_group() == pytest.approx(2.67, abs=0)
    assert "2.67 of 4 points" in capsys.readouterr().out


def test_a_failing_probe_fails_the_check_not_the_cell():
    def exits(ns):
        raise SystemExit(3)

    runtime.begin_group("behavior", 2)
    assert runtime.check("x", exits, lambda got: None, {}, points=2) is False
    assert runtime.end_group() == 0


def test_every_probe_starts_from_the_same_random_state():
    """A submission that draws random numbers gets the same data from every run of a probe."""
    import random

    def probe(ns):
        return {"np": np.random.normal(size=3), "py": random.random()}

    np.random.seed(123)
    random.seed(123)
    first = runtime.run_probe(probe, {})
    second = runtime.run_probe(probe, {})
    assert first[0] and second[0]
    assert np.array_equal(first[1]["np"], second[1]["np"]) and first[1]["py"] == second[1]["py"]
    # and that state is not the caller's: the draws differ from a plain unseeded-by-us run
    np.random.seed(123)
    assert not np.array_equal(first[1]["np"], np.random.normal(size=3))
