"""Read a submitted notebook and pull out what the student wrote.

Only the student's own code cells go to the sandbox: solution cells and cells the student
added. Locked cells (setup, check runtime) and graded cells (the checks) are never taken
from the submission; the engine supplies trusted versions, as nbgrader restores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.errors import SubmissionError
from autograder.topics import ROOT


@dataclass
class Submission:
    """What the engine needs from one notebook."""

    path: Path
    slug: str
    student_cells: list[str]
    notes: list[str] = field(default_factory=list)
    notebook: nbformat.NotebookNode | None = None


def _nbgrader_meta(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def release_notebook(slug: str, release_dir: Path | None = None) -> nbformat.NotebookNode:
    """The trusted release notebook of a topic."""
    base = release_dir if release_dir is not None else ROOT / "release"
    path = base / slug / f"{slug}.ipynb"
    if not path.exists():
        path = ROOT / "release" / slug / f"{slug}.ipynb"
    return nbformat.read(path, as_version=4)


def read_submission(path: Path, expected_slug: str | None = None,
                    known_slugs: set[str] | None = None, text: str | None = None) -> Submission:
    """Parse and validate ``path``; raise :class:`SubmissionError` with a clear message.

    The topic comes from the notebook's ``mmqb.slug`` metadata, else its file name; when the
    caller knows which assignment this is (``expected_slug``) a mismatch is an error. ``text``
    is the notebook's content when it does not come from a file here (a dask task).
    """
    try:
        raw = Path(path).read_text(encoding="utf-8") if text is None else text
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"cannot read the notebook: {exc.strerror or type(exc).__name__}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}): "
                              "was it edited outside Jupyter or truncated?") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError("the file is JSON but not a Jupyter notebook (no 'cells')")
    major = data.get("nbformat")
    if major != 4:
        raise SubmissionError(f"notebook format {major} is not supported: expected nbformat 4 "
                              "(open and save it with Jupyter 4 or newer)")
    try:
        nb = nbformat.from_dict(data)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise SubmissionError(f"the notebook structure is invalid: {exc}") from None
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError("the notebook's 'cells' is not a list")

    meta_slug = nb.get("metadata", {}).get("mmqb", {}).get("slug") if isinstance(nb.get("metadata"), dict) else None
    slug = meta_slug or Path(path).stem
    if expected_slug is not None and slug != expected_slug:
        raise SubmissionError(f"this notebook is topic {slug!r} but was submitted as {expected_slug!r}")
    if known_slugs is not None and slug not in known_slugs:
        raise SubmissionError(f"unknown topic {slug!r}: the notebook is not one of mmqb's release notebooks")

    notes: list[str] = []
    release_ids = [_nbgrader_meta(c).get("grade_id") for c in release_notebook(slug).cells
                   if _nbgrader_meta(c).get("grade") or _nbgrader_meta(c).get("locked")]
    seen: dict[str, int] = {}
    student_cells: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = _nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if grade_id:
            seen[grade_id] = seen.get(grade_id, 0) + 1
        if meta.get("grade") or meta.get("locked") or grade_id in release_ids:
            continue  # trusted cells are supplied by the engine
        source = cell.get("source", "")
        student_cells.append("".join(source) if isinstance(source, list) else str(source))
    for grade_id in release_ids:
        if grade_id not in seen and not grade_id.endswith("-answer"):
            notes.append(f"cell {grade_id} was deleted: graded with the original")
    for grade_id, count in seen.items():
        if count > 1:
            notes.append(f"cell {grade_id} appears {count} times: the copies were ignored")
    if not any(_nbgrader_meta(c).get("solution") for c in cells if isinstance(c, dict)):
        notes.append("no solution cell found: graded the code cells present")
    return Submission(Path(path), slug, student_cells, notes, nb)


def submitted_cells(nb: nbformat.NotebookNode | None) -> dict[str, nbformat.NotebookNode]:
    """``grade_id -> cell`` of a submitted notebook, the first cell of each id (empty when unreadable)."""
    cells: dict[str, nbformat.NotebookNode] = {}
    for cell in (nb.get("cells", []) if nb is not None else []):
        if not isinstance(cell, dict):
            continue
        grade_id = _nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id not in cells:
            cells[grade_id] = cell
    return cells


def read_notebook(path: Path) -> nbformat.NotebookNode | None:
    """The submitted notebook as nbformat reads it, or None when it cannot be read."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable submission has no cells
        return None
