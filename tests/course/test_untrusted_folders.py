"""What a student puts in a submission folder stays theirs: no symlink followed, no markup, no formula.

Fast tests of the course pipeline's own steps (no sandbox, no nbgrader run): the files copied to
``autograded/`` and ``feedback/``, the autograded notebook shown in the formgrader, the
timestamp that decides the late penalty, and the CSV an instructor opens in a spreadsheet.
"""

import os

import nbformat
import pytest

from autograder.course import outputs
from autograder.course.course import Course, Task, read_timestamp
from autograder.course.exports import spreadsheet_safe
from autograder.mutation import reference_cell, submission_notebook
from autograder.results import SubmissionResult
from autograder.topics import ROOT

SLUG = "t16_classification_metrics"
SECRET = "instructor-only-0600-secret"


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    (root / "release").mkdir(parents=True)
    os.symlink(ROOT / "release" / SLUG, root / "release" / SLUG)
    return Course(root)


@pytest.fixture
def hostile_folder(course, tmp_path):
    """alice's submission folder: her notebook, and everything a hostile student could add beside it."""
    folder = course.root / "submitted" / "alice" / SLUG
    folder.mkdir(parents=True)
    release = nbformat.read(ROOT / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    nbformat.write(submission_notebook(release, reference_cell(SLUG)), folder / f"{SLUG}.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-09 08:00:00.000000 UTC")
    (folder / "submission_secret.txt").write_text("abc123")
    (folder / "notes.txt").write_text("my own notes")
    secret = tmp_path / "gradebook-secret.txt"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    (folder / "link_to_secret.txt").symlink_to(secret)
    (folder / "link_to_solution.py").symlink_to(ROOT / "solutions" / f"{SLUG}.py")
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere")
    os.mkfifo(folder / "pipe")
    (folder / "linked_dir").symlink_to(ROOT / "solutions", target_is_directory=True)
    return folder


def _result():
    return SubmissionResult(path="x", slug=SLUG, status="ok", message="", score=10.0, max_score=10.0)


def _all_text(folder):
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def test_only_regular_files_are_copied_and_feedback_holds_only_what_the_grader_made(course, hostile_folder):
    task = Task(SLUG, "alice", hostile_folder / f"{SLUG}.ipynb", "2026-01-09 08:00:00.000000 UTC")
    outputs.write_outputs(course, task, _result(), None, nbformat.read(task.path, as_version=4))
    auto, feedback = course.autograded_dir(task), course.feedback_dir(task)
    solution_module = (ROOT / "solutions" / f"{SLUG}.py").read_text().split('"""')[1]  # its docstring
    assert sorted(p.name for p in auto.iterdir()) == sorted(
        [f"{SLUG}.ipynb", "notes.txt", "submission_secret.txt", "timestamp.txt"])
    assert course.result_path(task).is_file()  # the engine's result: under <course>/.mmqb/, never shipped
    made = sorted([f"{SLUG}.html", "submission_secret.txt", "timestamp.txt"])
    assert sorted(p.name for p in feedback.iterdir()) == made
    for folder in (auto, feedback):
        assert not any(p.is_symlink() for p in folder.rglob("*"))
        text = _all_text(folder)
        assert SECRET not in text and solution_module not in text


def test_the_copy_is_bounded_in_count_and_size(course, hostile_folder):
    for i in range(10):
        (hostile_folder / f"extra{i}.bin").write_bytes(b"x" * 1000)
    chosen = outputs.submitted_files(course, hostile_folder, max_files=4, max_bytes=10**6)
    assert len(chosen) == 4 and all(p.is_file() and not p.is_symlink() for p in chosen)
    chosen = outputs.submitted_files(course, hostile_folder, max_files=100, max_bytes=2500)
    assert sum(p.stat().st_size for p in chosen) <= 2500


def test_the_autograded_notebook_keeps_the_releases_cell_types_and_no_markup(course, hostile_folder):
    nb = nbformat.read(hostile_folder / f"{SLUG}.ipynb", as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    nb.cells[index].cell_type = "markdown"
    nb.cells[index].source = "<script>alert('instructor')</script>"
    del nb.cells[index]["outputs"], nb.cells[index]["execution_count"]
    nb.cells.insert(index + 1, nbformat.v4.new_markdown_cell("<img src=x onerror=alert(1)>"))
    task = Task(SLUG, "alice", hostile_folder / f"{SLUG}.ipynb", None)
    graded = outputs.autograded_notebook(task, _result(), course.release(SLUG), nb)
    markdown = "".join(c.source for c in graded.cells if c.cell_type == "markdown")
    assert "<script" not in markdown and "<img" not in markdown  # nothing the formgrader renders as HTML
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown  # the student's text, kept as text
    solution = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("solution"))
    assert solution.cell_type == "code" and "<script>" in solution.source  # the release's type: shown as code


def test_the_formgrader_page_leaves_out_the_runtime_source(course, hostile_folder):
    from nbconvert import HTMLExporter

    release = course.release(SLUG)
    (runtime,) = [c for c in release.cells if c.metadata.get("jupyter", {}).get("source_hidden")]
    marker = "probe helpers"  # a phrase of the runtime's docstring
    assert marker in runtime.source
    nb = nbformat.read(hostile_folder / f"{SLUG}.ipynb", as_version=4)
    graded = outputs.autograded_notebook(Task(SLUG, "alice", hostile_folder / f"{SLUG}.ipynb", None), _result(),
                                         release, nb)
    # nbgrader's formgrade page extends nbconvert's classic template, as this export does
    page, _ = HTMLExporter(template_name="classic").from_notebook_node(graded)
    assert marker not in page
    assert marker in HTMLExporter(template_name="classic").from_notebook_node(release)[0]
    kept = next(c for c in graded.cells if c.metadata.get("transient"))
    assert kept.source == runtime.source  # the source is kept (nbgrader's checksums), only not shown


@pytest.mark.parametrize(("content", "problem"), [
    ("not a time", "does not hold a time"),
    ("2026-01-09 08:00:00 UTC" + " " * 1000, "does not hold a time"),
    ("", None),
])
def test_an_unreadable_timestamp_is_the_submissions_problem(tmp_path, content, problem):
    path = tmp_path / "timestamp.txt"
    path.write_text(content)
    timestamp, found = read_timestamp(path)
    assert (found is None) == (problem is None) and (problem is None or problem in found)
    assert timestamp is None


def test_a_symlinked_or_missing_timestamp(tmp_path):
    (tmp_path / "real").write_text("2026-01-09 08:00:00.000000 UTC")
    (tmp_path / "timestamp.txt").symlink_to(tmp_path / "real")
    assert "symbolic link" in read_timestamp(tmp_path / "timestamp.txt")[1]
    assert read_timestamp(tmp_path / "none.txt") == (None, None)
    assert read_timestamp(tmp_path / "real") == ("2026-01-09 08:00:00.000000 UTC", None)


@pytest.mark.parametrize(("cell", "shown"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+2", "'+1+2"), ("-cmd", "'-cmd"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("alice", "alice"), ("-2.5", "-2.5"),
    ("10", "10"), ("", ""),
])
def test_csv_cells_never_start_a_formula(cell, shown):
    assert spreadsheet_safe(cell) == shown
