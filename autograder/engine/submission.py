"""Read a submitted notebook and pull out what the student wrote.

Only the student's own code cells go to the sandbox: solution cells and cells the student
added. Locked cells (setup, check runtime) and graded cells (the checks) are never taken
from the submission; the engine supplies trusted versions, as nbgrader restores them.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.engine.settings import Mmqb
from autograder.errors import SubmissionError
from autograder.topics import ROOT

CELL_TYPES = ("code", "markdown", "raw")
MAX_DEPTH = 64  # a notebook needs about 6 levels; a deeper one is an attack on the parser
MAX_NOTEBOOK_BYTES = Mmqb.notebook_bytes.default_value


@dataclass
class Submission:
    """What the engine needs from one notebook."""

    path: Path
    slug: str
    student_cells: list[str]
    notes: list[str] = field(default_factory=list)
    notebook: nbformat.NotebookNode | None = None
    cell_labels: list[str] = field(default_factory=list)  # how the student finds each of student_cells

    def cell_label(self, number: int) -> str:
        """The student's name for the ``number``-th cell run (1-based), as the engine counts them."""
        if 1 <= number <= len(self.cell_labels):
            return self.cell_labels[number - 1]
        return f"code cell {number}"


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


def read_text(path: Path, max_bytes: int) -> str:
    """A submitted file's text: a regular file (never through a symlink), at most ``max_bytes``, UTF-8."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SubmissionError("the notebook is a symbolic link: submit the notebook file itself") from None
        raise SubmissionError(f"cannot read the notebook: {exc.strerror or type(exc).__name__}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError("the notebook is not a regular file (a folder, device, fifo or socket)")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SubmissionError(f"the notebook is larger than {_mib(max_bytes)}: clear large outputs "
                              "(Kernel > Restart Kernel and Clear Outputs) and save it again")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"the notebook is not UTF-8 text (byte {exc.start}): was it saved by Jupyter?") from None


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_notebook(raw: str) -> dict[str, Any]:
    """The notebook's JSON, checked against nbformat 4's schema and the field types the engine reads."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}): "
                              "was it edited outside Jupyter or truncated?") from None
    except RecursionError:
        raise SubmissionError(f"the notebook's JSON is nested more than {MAX_DEPTH} levels deep") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError("the file is JSON but not a Jupyter notebook (no 'cells')")
    if _depth(data) > MAX_DEPTH:
        raise SubmissionError(f"the notebook's JSON is nested more than {MAX_DEPTH} levels deep")
    major = data.get("nbformat")
    if major != 4 or type(major) is not int:
        raise SubmissionError(f"notebook format {str(major)[:20]!r} is not supported: expected nbformat 4 "
                              "(open and save it with Jupyter 4 or newer)")
    problem = _field_problem(data)
    if problem:
        raise SubmissionError(f"invalid notebook: {problem}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat renames duplicated cell ids, with a warning
            nbformat.validate(data, version=4)
    except nbformat.ValidationError as exc:
        where = "/".join(str(p) for p in list(exc.absolute_path)[:6])
        raise SubmissionError(f"invalid notebook: {where or 'the notebook'} does not follow the notebook format "
                              f"({str(exc.message)[:120]})") from None
    except Exception as exc:  # noqa: BLE001 - the validator on hostile input: the notebook's fault
        raise SubmissionError(f"invalid notebook: the notebook format check failed ({type(exc).__name__})") from None
    return data


def _field_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the fields the engine reads (None when nothing), in words for the student."""
    if not isinstance(data.get("metadata", {}), dict):
        return "the notebook's metadata is not an object"
    mmqb = data.get("metadata", {}).get("mmqb", {})
    if not isinstance(mmqb, dict) or not isinstance(mmqb.get("slug", ""), str):
        return "the notebook's mmqb metadata is not an object with a text slug"
    cells = data.get("cells")
    if not isinstance(cells, list):
        return "the notebook's 'cells' is not a list"
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            return f"cell {number} is not an object"
        if cell.get("cell_type") not in CELL_TYPES:
            return f"cell {number}'s type is not one of {', '.join(CELL_TYPES)}"
        source = cell.get("source", "")
        if not (isinstance(source, str) or isinstance(source, list) and all(isinstance(s, str) for s in source)):
            return f"cell {number}'s source is not text"
        meta = cell.get("metadata", {})
        if not isinstance(meta, dict) or not isinstance(meta.get("nbgrader", {}), dict):
            return f"cell {number}'s metadata is not an object"
        nbgrader = meta.get("nbgrader", {})
        if not isinstance(nbgrader.get("grade_id", ""), str):
            return f"cell {number}'s grade_id is not text"
        if any(not isinstance(nbgrader.get(flag, False), bool) for flag in ("grade", "solution", "locked")):
            return f"cell {number}'s nbgrader flags are not true/false"
    return None


def read_submission(path: Path, expected_slug: str | None = None,
                    known_slugs: set[str] | None = None, text: str | None = None,
                    max_bytes: int = MAX_NOTEBOOK_BYTES) -> Submission:
    """Parse and validate ``path``; raise :class:`SubmissionError` with a clear message.

    The topic is the assignment's (``expected_slug``: the course's assignment, Gradescope's
    archive, ``mmqb grade --topic``), else the file name's; a notebook whose metadata names
    another topic is refused. ``text`` is the notebook's content when it does not come from a
    file here (a dask task). Every cell the release has is the release's (type, source, points):
    only the solution cells' sources and the code cells the student added are the student's.
    """
    raw = read_text(Path(path), max_bytes) if text is None else text
    if len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise SubmissionError(f"the notebook is larger than {_mib(max_bytes)}: clear large outputs "
                              "(Kernel > Restart Kernel and Clear Outputs) and save it again")
    data = parse_notebook(raw)
    slug = expected_slug or Path(path).stem
    if known_slugs is not None and slug not in known_slugs:
        raise SubmissionError(f"cannot tell the topic: {slug!r} is not one of the bank's topics "
                              "(name the file after its topic, e.g. t05_attention.ipynb, or pass --topic)")
    meta_slug = data.get("metadata", {}).get("mmqb", {}).get("slug")
    if meta_slug and meta_slug != slug:
        raise SubmissionError(f"this notebook is topic {meta_slug!r} (its metadata says so) but is graded as "
                              f"{slug!r}: submit the {slug} notebook")
    nb = nbformat.from_dict(data)

    notes: list[str] = []
    release_cells = {_nbgrader_meta(c).get("grade_id"): c for c in release_notebook(slug).cells
                     if _nbgrader_meta(c).get("grade_id")}
    seen: dict[str, int] = {}
    student_cells: list[str] = []
    labels: list[str] = []
    for position, cell in enumerate(nb.cells, start=1):
        grade_id = _nbgrader_meta(cell).get("grade_id") or None
        trusted = release_cells.get(grade_id)
        if grade_id:
            seen[grade_id] = seen.get(grade_id, 0) + 1
        if trusted is not None:
            # the release decides what this cell is, whatever the student turned it into (OverwriteCells)
            meta = _nbgrader_meta(trusted)
            if not meta.get("solution") or trusted.cell_type != "code" or seen[grade_id] > 1:
                continue  # trusted cells are supplied by the engine; copies of a solution cell are ignored
        elif cell.get("cell_type") != "code":
            continue  # an added text cell: kept as text, never run
        source = cell.get("source", "")
        student_cells.append("".join(source) if isinstance(source, list) else source)
        # JupyterLab numbers no cells; the student finds theirs by what it is and where it is
        labels.append(f"your solution cell (cell {position} of the notebook)" if trusted is not None
                      else f"the code cell you added (cell {position} of the notebook)")
    for grade_id, cell in release_cells.items():
        meta = _nbgrader_meta(cell)
        if (meta.get("grade") or meta.get("locked")) and cell.cell_type == "code" and grade_id not in seen:
            notes.append(f"cell {grade_id} was deleted: graded with the original")
    for grade_id, count in seen.items():
        if count > 1:
            notes.append(f"cell {grade_id} appears {count} times: the copies were ignored")
    if not any(_nbgrader_meta(c).get("solution") for c in nb.cells):
        notes.append("no solution cell found: graded the code cells present")
    return Submission(Path(path), slug, student_cells, notes, nb, labels)


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
