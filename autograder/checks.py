"""Checks: a probe that calls the student's code, a verdict that judges what came back.

A topic's suite (``autograder/suites/tNN_slug.py``) declares its checks like this::

    suite = Suite("t05_attention", points={"shape": 2, "numeric": 4, "behavior": 4})

    @suite.check("numeric", hidden=True)
    def matches_formula(ns):
        \"\"\"output equals softmax(Q K^T / sqrt(d)) V\"\"\"
        q, k, v = _inputs()
        out, weights = need(ns, "scaled_dot_product_attention")(q, k, v)
        return {"out": out, "weights": weights}

    @matches_formula.verdict
    def _(got):
        q, k, v = _inputs()
        expect_close(got["out"], _np_attention(q, k, v)[0], "output")

The probe runs wherever the student's code runs and returns plain data; the verdict
recomputes the inputs itself (it never trusts inputs echoed back by the probe) and
compares against an independent computation. The build embeds both functions' source,
and the module-level helpers they use, into the notebook; the grading engine runs the
probe in the sandbox and the verdict in the trusted process.

Rules for suite modules, enforced by ``Check.dependencies``: probes, verdicts and helpers
may use the runtime helpers, ``np``, ``tf``, ``keras``, ``math`` and other functions of
the same module, but no module-level constants (put them in a function).
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from autograder import runtime
from autograder.results import CheckResult

GROUPS = ("shape", "numeric", "behavior")


def cell_id(slug: str, part: str) -> str:
    """The id (and nbgrader ``grade_id``) of a notebook cell: ``t05-attention-numeric`` for group numeric."""
    return f"{slug.replace('_', '-')}-{part}"


def group_of(grade_id: str) -> str:
    """The check group a graded cell's id names (the inverse of :func:`cell_id` for a group cell)."""
    return grade_id.rsplit("-", 1)[-1]
_ALLOWED_MODULES = {"np", "tf", "keras", "math"}

# The names every check may use, defined the same way in the notebook's locked setup cell and in
# the sandbox before the student's cells run (one source for the build and the engine).
SETUP_SOURCE = '''\
import os

# TensorFlow logs to stderr at import unless told otherwise, and nbgrader scores a cell
# with stderr output as failed: silence it before the import.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import math

import keras
import numpy as np
import tensorflow as tf

# TensorFlow's Python logger prints INFO lines (e.g. when a SavedModel is written) to stderr.
tf.get_logger().setLevel("ERROR")'''
_RUNTIME_NAMES = {name for name in vars(runtime) if not name.startswith("__")}

Probe = Callable[[Mapping[str, Any]], Any]
Verdict = Callable[[Any], None]


@dataclass
class Check:
    """One probe/verdict pair of a suite."""

    suite: Suite
    group: str
    hidden: bool
    probe: Probe
    judge: Verdict | None = None
    declared_points: float | None = None

    @property
    def points(self) -> float:
        """This check's share of its group's points (declared, or an equal split of the rest)."""
        return self.suite.check_points()[self.id]

    @property
    def name(self) -> str:
        """The probe's function name, unique in its suite."""
        return self.probe.__name__

    @property
    def id(self) -> str:
        """``group.name``, the identifier shown to students and stored in results."""
        return f"{self.group}.{self.name}"

    @property
    def description(self) -> str:
        """First line of the probe's docstring: what the check checks."""
        doc = (self.probe.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else self.name

    def verdict(self, fn: Verdict) -> Check:
        """Decorator registering ``fn`` as this check's verdict."""
        self.judge = fn
        return self

    def run(self, ns: Mapping[str, Any]) -> CheckResult:
        """Run probe and verdict in this process (tests and nbgrader use this path)."""
        if self.judge is None:
            raise RuntimeError(f"check {self.id} of {self.suite.slug} has no verdict")
        passed, message = runtime.run_check(self.probe, self.judge, ns, hidden=self.hidden)
        return CheckResult(self.id, self.group, self.hidden, passed, message,
                           self.points if passed else 0.0, self.points, self.description)

    def dependencies(self, probe_only: bool = False) -> list[Callable]:
        """Module-level helper functions the probe (and verdict) need, in source order.

        ``probe_only`` gives what the sandbox needs to run the probe: the oracles that only
        verdicts use never leave the trusted process.
        """
        assert self.judge is not None
        module = inspect.getmodule(self.probe)
        found: dict[str, Callable] = {}
        stack: list[Callable] = [self.probe] if probe_only else [self.probe, self.judge]
        while stack:
            fn = stack.pop()
            for name in _referenced_names(fn.__code__):
                if name in found or name in _RUNTIME_NAMES or name in _ALLOWED_MODULES:
                    continue
                obj = getattr(module, name, None)
                if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                    found[name] = obj
                    stack.append(obj)
                elif obj is not None and not _is_builtin(name):
                    raise TypeError(
                        f"{module.__name__}: `{name}` used by a check is neither a helper "
                        f"function, a runtime helper nor np/tf/keras/math; wrap it in a function"
                    )
        return sorted(found.values(), key=lambda f: f.__code__.co_firstlineno)


@dataclass
class Suite:
    """All checks of one topic, grouped, with the points of each group."""

    slug: str
    points: dict[str, int]
    checks: list[Check] = field(default_factory=list)
    # Some probe calls ``runtime.run_fresh_python``: the engine's sandbox then keeps a clean
    # fork ready for it (see ``engine/fresh.py``) instead of paying a new interpreter per call.
    fresh_python: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.points) - set(GROUPS)
        if unknown:
            raise ValueError(f"unknown groups {sorted(unknown)}; expected a subset of {GROUPS}")

    def check(self, group: str, *, hidden: bool = False, points: float | None = None) -> Callable[[Probe], Check]:
        """Decorator turning a probe function into a :class:`Check` of ``group``.

        ``points``: this check's points; by default the group's points not declared by
        other checks are split equally to the cent (the first checks taking the odd cents).
        """
        if group not in self.points:
            raise ValueError(f"group {group!r} has no points in suite {self.slug}")

        def register(probe: Probe) -> Check:
            if any(c.name == probe.__name__ for c in self.checks):
                raise ValueError(f"duplicate check name {probe.__name__!r} in {self.slug}")
            made = Check(self, group, hidden, probe, declared_points=points)
            self.checks.append(made)
            return made

        return register

    def groups(self) -> Iterator[tuple[str, int, list[Check]]]:
        """``(group, points, checks)`` in the fixed group order."""
        for group in GROUPS:
            if group in self.points:
                yield group, self.points[group], [c for c in self.checks if c.group == group]

    @property
    def max_score(self) -> int:
        """Autograded points of the topic."""
        return sum(self.points.values())

    def check_points(self) -> dict[str, float]:
        """``check id -> points``: each group's points split across its checks."""
        shares: dict[str, float] = {}
        for group, points, checks in self.groups():
            declared = [c for c in checks if c.declared_points is not None]
            rest = [c for c in checks if c.declared_points is None]
            left = points - sum(c.declared_points for c in declared)
            if left < -1e-9 or (not rest and abs(left) > 1e-9):
                raise ValueError(f"{self.slug}: the checks of group {group} declare points that do not add up "
                                 f"to the group's {points}")
            for c in declared:
                shares[c.id] = float(c.declared_points)
            cents = round(left * 100)  # shares in cents, differing by at most one cent
            for i, c in enumerate(rest):
                shares[c.id] = (cents // len(rest) + (1 if i < cents % len(rest) else 0)) / 100
        return shares

    def run(self, ns: Mapping[str, Any]) -> list[CheckResult]:
        """Run every check against ``ns`` (a namespace holding the student's names)."""
        return [c.run(ns) for c in self.checks]

    def score(self, results: list[CheckResult]) -> dict[str, float]:
        """Points per group: the sum of the points of its passing checks."""
        return {group: runtime.earned([r.score for r in results if r.group == group and r.passed])
                for group, _, _ in self.groups()}


def load_suite(slug: str) -> Suite:
    """Import ``autograder.suites.<slug>`` and return its ``suite``."""
    module = importlib.import_module(f"autograder.suites.{slug}")
    suite = module.suite
    if suite.slug != slug:
        raise ValueError(f"autograder/suites/{slug}.py declares suite {suite.slug!r}")
    for c in suite.checks:
        if c.judge is None:
            raise ValueError(f"check {c.id} of {slug} has no verdict")
    return suite


def function_source(fn: Callable, new_name: str | None = None) -> str:
    """Source of a module-level function without decorators, optionally renamed."""
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    while lines and not lines[0].startswith("def "):
        lines.pop(0)
    text = "\n".join(lines)
    if new_name:
        text = re.sub(r"^def \w+\(", f"def {new_name}(", text, count=1)
    return text


def _referenced_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _referenced_names(const)
    return names


def _is_builtin(name: str) -> bool:
    import builtins

    return hasattr(builtins, name)
