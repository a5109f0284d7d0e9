"""The bank's content: every notebook quotes its seed question; concept topics carry follow-ups and a rubric."""

import json
import re
from pathlib import Path

import pytest

from autograder.topics import ROOT, all_topics

TOPICS = all_topics()
SLUGS = [t.slug for t in TOPICS]

SEED = ROOT.parent / "shared" / "seed" / "000_1c7fb4dc3d9e3340.txt"


def _seed_question_lines() -> dict[int, list[str]]:
    """Seed section number -> its ``**题目 N：** text`` / ``**面试题 N：** text`` lines, verbatim."""
    found: dict[int, list[str]] = {}
    section = 0
    for line in SEED.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### (\d+)\.", line)
        if heading:
            section = int(heading.group(1))
        if re.match(QUOTED, line):
            found.setdefault(section, []).append(line.strip())
    return found


SEED_TOPICS = [t for t in TOPICS if not t.beyond_seed]
QUOTED = r"^\*\*(?:题目|面试题)(?: \d+)?：\*\* .+$"


def _items(block: str) -> list[str]:
    """The numbered items of a Markdown list, each joined across its wrapped lines."""
    return [" ".join(item.split()) for item in re.split(r"^\d+\. ", block, flags=re.M)[1:]]


@pytest.mark.skipif(not SEED.exists(), reason="the seed bank (../shared/seed) is not next to the repository")
@pytest.mark.parametrize("topic", SEED_TOPICS, ids=[t.slug for t in SEED_TOPICS])
def test_notebook_quotes_its_seed_question_verbatim_and_translates_it(topic):
    seed_lines = _seed_question_lines().get(topic.seed_section)
    assert seed_lines, f"no question found in seed section {topic.seed_section}"
    zh, en = topic.language_block("Seed question", "中文"), topic.language_block("Seed question", "English")
    quoted = [line.strip() for line in zh.splitlines() if re.match(QUOTED, line.strip())]
    assert quoted == seed_lines, f"the 中文 block must quote seed section {topic.seed_section} line by line"
    translations = re.findall(r"^\*\*(?:Problem|Interview question)(?: \d+)?:\*\* .+$", en, flags=re.M)
    assert len(translations) == len(quoted), f"one English translation per quoted line, got {translations}"
    release = (ROOT / "release" / topic.slug / f"{topic.slug}.ipynb").read_text(encoding="utf-8")
    for line in quoted:
        assert json.dumps(line, ensure_ascii=False)[1:-1] in release, f"release/{topic.slug} does not quote: {line}"


@pytest.mark.parametrize("topic", [t for t in TOPICS if t.is_concept], ids=[t.slug for t in TOPICS if t.is_concept])
def test_concept_topic_has_follow_ups_and_a_rubric(topic):
    counts = []
    for language in ("中文", "English"):
        follow_ups = _items(topic.language_block("Follow-up questions", language))
        assert 3 <= len(follow_ups) <= 5, f"{language}: expected 3-5 follow-up questions, got {len(follow_ups)}"
        for item in follow_ups:
            assert re.fullmatch(r"\*\*.+?\*\* — .+", item), f"{language}: expected '**question** — answer': {item}"
        counts.append(len(follow_ups))
        rubric = topic.rubric(language)
        assert rubric, f"{language}: the rubric has no '- [P] point' lines"
        for _, point in rubric:  # read whole, wrapped lines included (a cut item ends mid-sentence)
            assert point.endswith((".", "。", ")", "）")), f"{language}: a rubric item read in part: {point}"
            assert "\n" not in point and "  " not in point, point
        assert sum(points for points, _ in rubric) == pytest.approx(topic.answer_points, abs=1e-9), rubric
    assert counts[0] == counts[1], f"中文 and English list {counts[0]} and {counts[1]} follow-up questions"
    assert [p for p, _ in topic.rubric("中文")] == [p for p, _ in topic.rubric("English")], "rubric points differ"
    source = json.loads(Path(ROOT / "source" / topic.slug / f"{topic.slug}.ipynb").read_text(encoding="utf-8"))
    release = (ROOT / "release" / topic.slug / f"{topic.slug}.ipynb").read_text(encoding="utf-8")
    answer = next(c for c in source["cells"]
                  if c["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("-answer"))
    key = topic.rubric("English")[0][1]
    assert key in " ".join("".join(answer["source"]).split()), "the rubric is in the instructor's answer key"
    assert json.dumps(key[:50], ensure_ascii=False)[1:-1] not in release, "the rubric must not reach the release"


@pytest.mark.parametrize("slug", SLUGS)
def test_texts_hold_no_control_characters(slug):
    """A LaTeX command written through a non-raw Python string (\\beta, \\frac, \\theta) leaves a backspace,
    form feed or tab in the text; the formula then renders wrong in the notebook and on the Anki card."""
    text = (ROOT / "questions" / f"{slug}.md").read_text(encoding="utf-8")
    bad = sorted({f"U+{ord(c):04X}" for c in text if ord(c) < 32 and c != "\n"})
    assert not bad, f"{slug}: control characters {bad}"
