"""The build is fresh and deterministic, and release notebooks leak nothing."""

import json
import re
from pathlib import Path

import pytest

from autograder.build import build
from autograder.checks import function_source, load_suite
from autograder.notebook import solution_source
from autograder.topics import ROOT, all_topics

TOPICS = all_topics()
SLUGS = [t.slug for t in TOPICS]


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh")
    build(None, out=out)
    return out


@pytest.mark.parametrize("kind", ["source", "release"])
def test_committed_notebooks_equal_a_fresh_build(fresh_build, kind):
    committed = sorted(p.relative_to(ROOT / kind) for p in (ROOT / kind).glob("t*/*.ipynb"))
    rebuilt = sorted(p.relative_to(fresh_build / kind) for p in (fresh_build / kind).glob("t*/*.ipynb"))
    assert committed == rebuilt, "the set of notebooks differs: run `mmqb build`"
    stale = [str(p) for p in committed if (ROOT / kind / p).read_text() != (fresh_build / kind / p).read_text()]
    assert not stale, f"stale notebooks (run `mmqb build` and commit): {stale}"


def test_readme_index_lists_every_topic():
    from autograder.build import INDEX_END, INDEX_START, render_index

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(INDEX_START) + len(INDEX_START):text.index(INDEX_END)].strip()
    assert block == render_index(TOPICS), "README index is stale: run `mmqb build`"
    for slug in SLUGS:
        assert f"release/{slug}/{slug}.ipynb" in block


def test_every_topic_has_its_three_files():
    for slug in SLUGS:
        for path in (ROOT / "questions" / f"{slug}.md", ROOT / "solutions" / f"{slug}.py",
                     ROOT / "autograder" / "suites" / f"{slug}.py"):
            assert path.exists(), f"{path} is missing"


def _release_text(slug):
    return (ROOT / "release" / slug / f"{slug}.ipynb").read_text(encoding="utf-8")


@pytest.mark.parametrize("slug", SLUGS)
def test_release_has_no_markers_hidden_checks_or_reference(slug):
    text = _release_text(slug)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"{marker} leaked into release/{slug}"
    for check in load_suite(slug).checks:
        if check.hidden:
            assert f"def {check.name}_probe" not in text, f"hidden check {check.id} leaked"
            assert f"def {check.name}_verdict" not in text, f"hidden check {check.id} leaked"
    # Lines a visible check shares with the reference (e.g. `rng = np.random.default_rng(seed)`)
    # are shown on purpose; everything else of the reference body must be absent.
    visible = set()
    for check in load_suite(slug).checks:
        if not check.hidden:
            for fn in [check.probe, check.judge, *check.dependencies()]:
                visible.update(line.strip() for line in function_source(fn).splitlines())
    body, inside = [], False
    for line in solution_source(slug).splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif inside and len(line.strip()) > 30 and not line.strip().startswith("#") \
                and line.strip() not in visible:
            body.append(line.strip())
    assert body, "found no reference body lines to scan for"
    leaked = [line for line in body if json.dumps(line)[1:-1] in text]
    assert not leaked, f"reference lines leaked into release/{slug}: {leaked[:3]}"


@pytest.mark.parametrize("topic", TOPICS, ids=SLUGS)
def test_release_keeps_answer_cell_empty_and_stub_raises(topic):
    nb = json.loads(_release_text(topic.slug))
    solution_cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    code = "".join("".join(c["source"]) for c in solution_cells if c["cell_type"] == "code")
    assert "raise NotImplementedError()" in code
    answers = [c for c in solution_cells if c["cell_type"] == "markdown"]
    assert len(answers) == (1 if topic.is_concept else 0)
    for cell in answers:
        assert "".join(cell["source"]).strip() == "YOUR ANSWER HERE"


@pytest.mark.parametrize("slug", SLUGS)
def test_release_is_self_contained(slug):
    nb = json.loads(_release_text(slug))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    imports = set(re.findall(r"^\s*(?:import|from)\s+(\w+)", code, flags=re.M))
    assert imports <= {"os", "math", "numpy", "tensorflow", "keras", "shap", "traceback", "tempfile",
                       "pathlib", "json", "builtins", "contextlib", "contextvars", "sys", "random",
                       "subprocess"}, imports
    assert "solutions" not in imports and "autograder" not in imports


@pytest.mark.parametrize("topic", TOPICS, ids=SLUGS)
def test_source_puts_chinese_before_english(topic):
    text = (ROOT / "source" / topic.slug / f"{topic.slug}.ipynb").read_text(encoding="utf-8")
    assert 0 <= text.find("### 中文") < text.find("### English")
    assert Path(ROOT / "questions" / f"{topic.slug}.md").read_text(encoding="utf-8").count("### 中文") >= 4
