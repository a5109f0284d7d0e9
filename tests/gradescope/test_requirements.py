"""The archive's requirements.txt holds what grading imports, and nothing for the other commands.

Static: every module of ``autograder`` that the Gradescope runner, the warm worker and the
suites reach (imports followed through the engine's lazy API), and every package outside the
standard library they import, must be installed by the archive's requirements (the packages
listed, or what they depend on). Dynamic, in a venv holding only those requirements:
tests/gradescope/test_container.py (``setup.sh`` installs them, the archive grades).
Also: ``setup.sh`` takes its Python versions from pyproject's ``requires-python``.
"""

import ast
import importlib.metadata as md
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from autograder import gradescope
from autograder.engine import _API
from autograder.topics import ROOT, all_topics


def _file(module: str) -> Path | None:
    path = ROOT / Path(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str):
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def reached() -> tuple[set[str], set[str]]:
    """(modules of ``autograder`` reached, top-level names of other packages they import)."""
    stack = ["autograder.gradescope", "autograder.engine.worker", "autograder.engine.sandbox"]
    stack += [f"autograder.suites.{t.slug}" for t in all_topics()]
    seen: set[str] = set()
    third: set[str] = set()
    while stack:
        module = stack.pop()
        if module in seen or _file(module) is None:
            continue
        seen.add(module)
        for name in _imports(_file(module), module):
            top = name.split(".")[0]
            if top == "autograder":
                last = name.rpartition(".")[2]
                if name.startswith("autograder.engine.") and last in _API:
                    stack.append(_API[last])  # the engine's lazy API: the module that defines the name
                stack.append(name)
            elif top not in sys.stdlib_module_names and top != "__future__":
                third.add(top)
    return seen, third


def _closure(requirements: list[str]) -> set[str]:
    norm = (lambda n: n.lower().replace("_", "-"))
    seen: set[str] = set()
    stack = [Requirement(r).name for r in requirements]
    while stack:
        name = stack.pop()
        if norm(name) in seen:
            continue
        seen.add(norm(name))
        for text in md.requires(name) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return seen


def test_requirements_are_the_grading_packages_with_pyprojects_pins():
    lines = gradescope._requirements().split()
    assert [gradescope._distribution(line) for line in lines] == [
        gradescope._distribution(p) for p in gradescope.GRADING_PACKAGES]
    assert "tensorflow-cpu==2.21.0" in lines and "shap==0.51.0" in lines  # pyproject's pins
    for other in ("jupyterlab", "dask", "psycopg", "matplotlib", "genanki", "fsrs", "nbgrader", "click"):
        assert not any(gradescope._distribution(line) == other for line in lines), other


def test_everything_grading_imports_is_in_the_requirements():
    modules, third = reached()
    assert {"autograder.engine.handle", "autograder.engine.stages", "autograder.engine.submission",
            "autograder.engine.sandbox", "autograder.checks", "autograder.runtime"} <= modules
    assert "autograder.cli" not in modules and "autograder.report" not in modules
    closure = _closure(gradescope._requirements().split())
    dists = md.packages_distributions()
    missing = {top: dists.get(top) for top in third
               if not any(d.lower().replace("_", "-") in closure for d in dists.get(top, []))}
    assert not missing, f"imported by grading but not installed by the archive: {missing}"
    assert {"tensorflow", "keras", "numpy", "shap", "IPython", "nbformat", "yaml", "traitlets"} <= third


@pytest.mark.parametrize(("spec", "versions"), [
    (">=3.11,<3.12", ["3.11"]), (">=3.11", ["3.11", "3.12", "3.13", "3.14"]), (">=3.11,<3.13", ["3.11", "3.12"])])
def test_setup_takes_its_pythons_from_requires_python(monkeypatch, spec, versions):
    monkeypatch.setattr(gradescope, "_pyproject", lambda: {"project": {"requires-python": spec}})
    assert gradescope.python_versions() == versions
    script = gradescope.setup_sh()
    assert f"uv python install {versions[-1]}" in script and "python3.11" not in script
    assert "chmod 0700 \"$src\" /autograder/results" in script


def test_setup_of_this_project_uses_python_3_11():
    script = gradescope.setup_sh()
    assert "sys.version_info[:2] in ((3, 11),)" in script and "uv python install 3.11" in script
