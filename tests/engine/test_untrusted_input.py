"""The load stage trusts nothing it reads: every malformed notebook is one clear SubmissionError.

These run the trusted side's parser directly (no sandbox): each case is a notebook a hostile or
careless student could submit, and each must be refused with one line naming what is wrong, or
be read the way the release says (cell types, trusted cells), never crash the grader.
"""

import copy
import json
import os

import nbformat
import pytest

from autograder.engine.submission import read_submission
from autograder.errors import SubmissionError
from autograder.mutation import reference_cell, submission_notebook
from autograder.topics import ROOT, all_slugs

SLUG = "t16_classification_metrics"
SLUGS = set(all_slugs())


def _release(slug=SLUG):
    return nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)


def _solved(slug=SLUG):
    return submission_notebook(_release(slug), reference_cell(slug))


def _write(tmp_path, data, name=f"{SLUG}.ipynb"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _refused(path, **kwargs) -> str:
    with pytest.raises(SubmissionError) as caught:
        read_submission(path, known_slugs=SLUGS, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300, message
    return message


def _solution_index(nb):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")
                and c.cell_type == "code")


def test_a_solved_notebook_is_read(tmp_path):
    sub = read_submission(_write(tmp_path, nbformat.writes(_solved())), known_slugs=SLUGS)
    assert sub.slug == SLUG and any("def binary_classification_metrics" in c for c in sub.student_cells)


def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    data = json.loads(nbformat.writes(_solved()))
    data["metadata"]["deep"] = json.loads("[" * 500 + "]" * 500)  # parses, but far deeper than a notebook
    assert "nested" in _refused(_write(tmp_path, data))


def test_json_deeper_than_the_interpreter_can_parse_is_refused(tmp_path):
    assert "nested" in _refused(_write(tmp_path, '{"cells": ' + "[" * 200000 + "]" * 200000 + "}"))


def test_non_utf8_bytes_are_refused(tmp_path):
    path = tmp_path / f"{SLUG}.ipynb"
    path.write_bytes(nbformat.writes(_solved()).encode() + b"\xff\xfe")
    assert "UTF-8" in _refused(path)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda nb, i: nb["cells"][i].__setitem__("source", [1, 2, 3]), "source is not text"),
    (lambda nb, i: nb["metadata"].__setitem__("mmqb", ["t16"]), "mmqb metadata"),
    (lambda nb, i: nb["cells"][i]["metadata"]["nbgrader"].__setitem__("grade_id", ["x"]), "grade_id is not text"),
    (lambda nb, i: nb["cells"][i]["metadata"].__setitem__("nbgrader", "solution"), "metadata is not an object"),
    (lambda nb, i: nb["cells"][i].__setitem__("cell_type", "script"), "type is not one of"),
    (lambda nb, i: nb["cells"].__setitem__(i, 7), "is not an object"),
    (lambda nb, i: nb.__setitem__("cells", {"a": 1}), "'cells' is not a list"),
    (lambda nb, i: nb["cells"][i]["metadata"]["nbgrader"].__setitem__("solution", "yes"), "flags"),
    (lambda nb, i: nb["cells"][i].__setitem__("outputs", "none"), "does not follow the notebook format"),
    (lambda nb, i: nb.__setitem__("nbformat", "4"), "not supported"),
])
def test_malformed_fields_are_one_clear_line(tmp_path, change, expected):
    data = json.loads(nbformat.writes(_solved()))
    change(data, _solution_index(nbformat.from_dict(data)))
    assert expected in _refused(_write(tmp_path, data))


def test_a_notebook_over_the_size_limit_is_refused_before_parsing(tmp_path):
    path = _write(tmp_path, nbformat.writes(_solved()))
    assert "larger than" in _refused(path, max_bytes=path.stat().st_size - 1)
    assert "larger than" in _refused(path, max_bytes=100, text=path.read_text())  # dask: the text itself


def test_a_symlinked_or_special_notebook_is_not_followed(tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_text(nbformat.writes(_solved()))
    secret.chmod(0o600)
    link = tmp_path / f"{SLUG}.ipynb"
    link.symlink_to(secret)
    assert "symbolic link" in _refused(link)
    fifo = tmp_path / "fifo" / f"{SLUG}.ipynb"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    assert "not a regular file" in _refused(fifo)  # and it did not block on open


def test_the_topic_is_the_assignment_not_the_notebook_metadata(tmp_path):
    other = _solved("t01_class_balance")
    path = _write(tmp_path, nbformat.writes(other))  # a solved t01 saved as t16
    message = _refused(path)
    assert "t01_class_balance" in message and SLUG in message
    message = _refused(_write(tmp_path, nbformat.writes(_solved()), "t01_class_balance.ipynb"),
                       expected_slug="t01_class_balance")
    assert "t16_classification_metrics" in message


def test_a_file_name_that_is_no_topic_needs_the_topic_given(tmp_path):
    path = _write(tmp_path, nbformat.writes(_solved()), "attention_homework.ipynb")
    assert "--topic" in _refused(path)
    assert read_submission(path, expected_slug=SLUG, known_slugs=SLUGS).slug == SLUG


def test_the_release_decides_cell_types(tmp_path):
    nb = _solved()
    i = _solution_index(nb)
    code = nb.cells[i].source
    nb.cells[i].cell_type = "markdown"  # the solution turned into Markdown ...
    del nb.cells[i]["outputs"], nb.cells[i]["execution_count"]
    nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell("<script>alert(1)</script>"))  # ... a script added
    checks = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    forged = copy.deepcopy(checks)
    forged.metadata["nbgrader"]["grade_id"] = "my-own-cell"
    forged.source = "print('added code runs, as in nbgrader')"
    checks.source = "raise SystemExit"  # a trusted cell edited: never taken from the submission
    nb.cells.append(forged)
    sub = read_submission(_write(tmp_path, nbformat.writes(nb)), known_slugs=SLUGS)
    assert sub.student_cells[0] == code  # the solution cell still runs as code
    assert not any("<script>" in c or "SystemExit" in c for c in sub.student_cells)
    assert sub.student_cells[-1] == "print('added code runs, as in nbgrader')"
