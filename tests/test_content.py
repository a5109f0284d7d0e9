"""The bank's content: every notebook quotes its seed question; concept topics carry follow-ups and a rubric."""

import json
import re
from pathlib import Path

import pytest
from conftest import SLUGS, TOPICS

from autograder.topics import ROOT

SEED = ROOT.parent / "shared" / "seed" / "000_1c7fb4dc3d9e3340.txt"


def _seed_questions() -> dict[int, list[str]]:
    """Seed section number -> the text of its 题目 / 面试题 lines."""
    found: dict[int, list[str]] = {}
    section = 0
    for line in SEED.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### (\d+)\.", line)
        if heading:
            section = int(heading.group(1))
        question = re.match(r"^\*\*(?:题目|面试题)\s*\d*：\*\*\s*(.+)$", line)
        if question:
            found.setdefault(section, []).append(question.group(1).strip())
    return found


@pytest.mark.skipif(not SEED.exists(), reason="the seed bank (../shared/seed) is not next to the repository")
@pytest.mark.parametrize("topic", TOPICS, ids=SLUGS)
def test_notebook_quotes_its_seed_question(topic):
    questions = _seed_questions().get(topic.seed_section)
    assert questions, f"no question found in seed section {topic.seed_section}"
    release = (ROOT / "release" / topic.slug / f"{topic.slug}.ipynb").read_text(encoding="utf-8")
    for question in questions:
        quoted = json.dumps(question, ensure_ascii=False)[1:-1]
        assert quoted in release, f"release/{topic.slug} does not quote: {question}"
    assert topic.section("Seed question") or topic.is_concept


@pytest.mark.parametrize("topic", [t for t in TOPICS if t.is_concept], ids=[t.slug for t in TOPICS if t.is_concept])
def test_concept_topic_has_follow_ups_and_a_rubric(topic):
    for language in ("中文", "English"):
        follow_ups = re.findall(r"^\d+\. ", topic.language_block("Follow-up questions", language), flags=re.M)
        assert 3 <= len(follow_ups) <= 5, (language, len(follow_ups))
        rubric = topic.rubric(language)
        assert rubric and sum(points for points, _ in rubric) == pytest.approx(topic.answer_points), rubric
    source = json.loads(Path(ROOT / "source" / topic.slug / f"{topic.slug}.ipynb").read_text(encoding="utf-8"))
    release = (ROOT / "release" / topic.slug / f"{topic.slug}.ipynb").read_text(encoding="utf-8")
    answer = next(c for c in source["cells"]
                  if c["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("-answer"))
    key = topic.rubric("English")[0][1]
    assert key in "".join(answer["source"]), "the rubric is in the instructor's answer key"
    assert json.dumps(key, ensure_ascii=False)[1:-1] not in release, "the rubric must not reach the release notebook"
