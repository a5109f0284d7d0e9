"""Reference solutions: ``from solutions import NAME`` for every function of the catalog.

Each topic module ``solutions/tNN_slug.py`` lists its public names in ``__all__``. They are
found here by reading the modules' source (no import), and each module is imported only
when one of its names is first asked for, so ``from solutions import roc_auc`` does not
pay for the topics it does not use.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _exported_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for path in sorted(_HERE.glob("t[0-9][0-9]_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                for name in ast.literal_eval(node.value):
                    if name in names:
                        raise ImportError(f"{name} is exported by both {names[name]} and {path.stem}")
                    names[name] = path.stem
    return names


_MODULE_OF = _exported_names()
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'solutions' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"solutions.{_MODULE_OF[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
