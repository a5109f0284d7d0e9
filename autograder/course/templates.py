"""The one Jinja2 renderer of ``autograder/templates`` (feedback pages, the course report).

Autoescaped: every value a student controls (ids, messages, notes) reaches a page as text,
never as markup.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> str:
    """Render one of ``autograder/templates`` (autoescaped HTML)."""
    return _environment().get_template(template).render(**context)
