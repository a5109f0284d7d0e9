"""mmqb practice: the workspace gets release copies, never touching release/ or the learner's own work."""

from click.testing import CliRunner

from autograder.cli import main
from autograder.selfstudy.workspace import copy_release
from autograder.topics import ROOT, get_topic


def test_practice_copies_without_touching_release_or_learner_work(tmp_path):
    release = ROOT / "release" / "t05_attention" / "t05_attention.ipynb"
    before = release.read_bytes()
    result = CliRunner().invoke(main, ["practice", "t05", "--workspace", str(tmp_path), "--no-lab"])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "t05_attention.ipynb"
    assert copy.read_bytes() == before
    copy.write_text("my work")
    copy_release(tmp_path, [get_topic("t05")])
    assert copy.read_text() == "my work"
    assert release.read_bytes() == before


def test_unknown_topic_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["practice", "t99", "--workspace", str(tmp_path), "--no-lab"])
    assert result.exit_code != 0 and "unknown topic 't99'" in result.output
