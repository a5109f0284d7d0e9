"""The demo course shows the instructor's whole path: written answers, timestamps, an exchange."""

import shutil
from datetime import UTC, datetime

import nbformat
from traitlets.config import Config

from autograder.build import CONFIG
from autograder.demo import STUDENTS, add_exchange, make_cohort
from autograder.topics import get_topic


def _written_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    (cell,) = [c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    return cell


def test_cohort_has_written_answers_and_timestamps(tmp_path):
    concept, coding = get_topic("t05_attention"), get_topic("t06_gated_fusion")
    assert concept.is_concept and not coding.is_concept
    make_cohort(tmp_path, [concept, coding])
    stub = "YOUR ANSWER HERE"
    written = {s: _written_cell(nbformat.read(tmp_path / "submitted" / s / concept.slug / f"{concept.slug}.ipynb",
                                              as_version=4)).source for s in STUDENTS}
    assert written["bob"].strip() == stub  # untouched: nbgrader scores it 0 without a human
    assert len({written[s] for s in ("alice", "carol", "dave")}) == 3
    assert concept.rubric()[0][1] == written["carol"]
    assert all(stub not in written[s] for s in ("alice", "carol", "dave"))
    now = datetime.now(UTC)
    for student in STUDENTS:
        for topic in (concept, coding):
            text = (tmp_path / "submitted" / student / topic.slug / "timestamp.txt").read_text()
            when = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f %Z").replace(tzinfo=UTC)
            assert 0 < (now - when).total_seconds() < 3 * 86400, (student, text)


def test_exchange_is_the_courses_own(tmp_path):
    shutil.copy(CONFIG, tmp_path / "nbgrader_config.py")
    exchange = add_exchange(tmp_path)
    assert exchange.is_dir() and exchange.stat().st_mode & 0o777 == 0o777
    config = Config()
    source = (tmp_path / "nbgrader_config.py").read_text()
    exec(compile(source, str(tmp_path / "nbgrader_config.py"), "exec"),  # noqa: S102 - our own file
         {"get_config": lambda: config, "__file__": str(tmp_path / "nbgrader_config.py")})
    assert config.Exchange.root == str(exchange)
    assert config.CourseDirectory.course_id == "mmqb"
