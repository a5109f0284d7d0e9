"""Deliberate mutants and seed versions of the reference code, and submissions made of them.

``tests/mutants/<slug>.py`` defines ``MUTANTS``: a list of :class:`Mutant`, each a textual
edit of ``solutions/<slug>.py`` (a wrong axis, a missing scale, ...) with the check expected
to catch it. ``tests/fixtures/seed/<slug>.py`` holds the seed's printed code repaired only
enough to run, with ``CAUGHT_BY`` naming checks it must fail. The suite tests use both to
prove each suite has teeth; the demo and the benchmark use them as wrong submissions.
"""

from __future__ import annotations

import copy
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from autograder.notebook import solution_source
from autograder.topics import ROOT

MUTANTS_DIR = ROOT / "tests" / "mutants"
SEED_DIR = ROOT / "tests" / "fixtures" / "seed"


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: replace ``old`` by ``new`` in the reference source.

    Attributes:
        name: short identifier (``no_scale``).
        old: exact text of the reference to replace (must occur).
        new: replacement text.
        caught_by: ids (``group.check``) of checks that must fail on this mutant.
        count: how many occurrences to replace (default: all).
    """

    name: str
    old: str
    new: str
    caught_by: tuple[str, ...]
    count: int = -1

    def apply(self, source: str) -> str:
        """The mutated source; ``ValueError`` if ``old`` does not occur (a stale mutant)."""
        if self.old not in source:
            raise ValueError(f"mutant {self.name}: text to replace not found in the reference")
        return source.replace(self.old, self.new, self.count)


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_mmqb_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def load_mutants(slug: str) -> list[Mutant]:
    """The mutants of a topic (empty if it has none)."""
    path = MUTANTS_DIR / f"{slug}.py"
    return list(_load(path).MUTANTS) if path.exists() else []


def reference_source(slug: str) -> str:
    """The reference module's source text."""
    return (ROOT / "solutions" / f"{slug}.py").read_text(encoding="utf-8")


def seed_source(slug: str) -> str | None:
    """The seed version's source text, or ``None`` if the topic has none."""
    path = SEED_DIR / f"{slug}.py"
    return path.read_text(encoding="utf-8") if path.exists() else None


def seed_caught_by(slug: str) -> tuple[str, ...]:
    """Checks the seed version must fail."""
    return tuple(_load(SEED_DIR / f"{slug}.py").CAUGHT_BY)


def namespace_of(source: str, name: str = "submission") -> dict[str, Any]:
    """Execute ``source`` as a module and return its namespace."""
    ns: dict[str, Any] = {"__name__": name}
    exec(compile(source, f"<{name}>", "exec"), ns)  # noqa: S102 - our own fixtures
    return ns


def submission_notebook(release_nb: nbformat.NotebookNode, code: str | None) -> nbformat.NotebookNode:
    """A filled release notebook: the solution cell replaced by ``code`` (None = untouched).

    ``code`` is module source (reference, mutant or seed); it is rendered the way a student
    would paste it, through :func:`solution_source`'s rules when it is the reference.
    """
    nb = copy.deepcopy(release_nb)
    if code is None:
        return nb
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = code
            return nb
    raise ValueError("release notebook has no solution code cell")


def reference_cell(slug: str) -> str:
    """The reference solution as it appears in the source notebook, without markers."""
    lines = solution_source(slug).splitlines()
    return "\n".join(line for line in lines if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
