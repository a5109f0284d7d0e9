"""Topic texts: ``questions/tNN_slug.md`` parsed into front matter and sections.

A topic file starts with YAML front matter (``id``, ``slug``, ``title_zh``, ``title_en``,
``kind`` = concept | coding, ``seed_section`` (``null`` for a topic beyond the seed),
``functions``, and for concept topics ``answer_points``), then level-2 sections whose
headings are ``中文 / English``. Each section holds a ``### 中文`` block followed by a
``### English`` block. Known sections, by their English heading: Background, Interview
question, Reference answer, Exercise, Hints, Errata; optional: Seed question (the seed's own
problem line, shown before the exercise; in a concept topic it is the interview question and
shown as such, once), Follow-up questions and Rubric (concept topics: what the interviewer asks
next; the key points of the written answer, ``- [P] point`` lines whose P add up to
``answer_points``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "questions"

SECTIONS = ("Background", "Interview question", "Reference answer", "Follow-up questions", "Rubric",
            "Seed question", "Exercise", "Hints", "Errata")
REQUIRED = {
    "coding": ("Background", "Exercise", "Hints", "Errata"),
    "concept": ("Background", "Interview question", "Reference answer", "Exercise", "Hints", "Errata"),
}
_SLUG = re.compile(r"^t(\d\d)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Topic:
    """One topic of the bank, as written in ``questions/``."""

    slug: str
    number: int
    title_zh: str
    title_en: str
    kind: str
    seed_section: int | None
    functions: tuple[str, ...]
    answer_points: int
    sections: dict[str, str]

    @property
    def beyond_seed(self) -> bool:
        """Topics t31 on teach how today's multimodal LLMs work; the seed bank has no section for them."""
        return self.seed_section is None

    @property
    def is_concept(self) -> bool:
        """Concept topics carry an interview question and a manually graded answer."""
        return self.kind == "concept"

    def section(self, name: str) -> str:
        """Body of a section (both languages), or an empty string."""
        return self.sections.get(name, "")

    def language_block(self, name: str, language: str) -> str:
        """The ``### 中文`` or ``### English`` block of a section."""
        body = self.section(name)
        zh, en = body.find("### 中文"), body.find("### English")
        if zh < 0 or en < 0:
            return ""
        return (body[zh + len("### 中文"):en] if language == "中文" else body[en + len("### English"):]).strip()

    def requirement(self, language: str) -> str:
        """What the exercise asks, as a card's front: its first paragraph, and when that paragraph
        introduces a list (it ends with a colon) the list too, so the front never stops at ":"."""
        return lead(self.language_block("Exercise", language))

    def rubric(self, language: str = "English") -> list[tuple[float, str]]:
        """``(points, key point)`` of every ``- [P] text`` line of the Rubric section."""
        # an item may be wrapped: its continuation lines are indented
        found = re.findall(r"^- \[(\d+(?:\.\d+)?)\]\s*(.+(?:\n[ \t]+\S.*)*)", self.language_block("Rubric", language),
                           flags=re.M)
        return [(float(points), _unwrap(text)) for points, text in found]


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"


def _unwrap(text: str) -> str:
    """A wrapped Markdown item on one line: a space between words, none between Chinese characters."""
    text = re.sub(rf"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])", "", text.strip())
    return re.sub(r"[ \t]*\n[ \t]*", " ", text)


def lead(body: str) -> str:
    """The first paragraph of Markdown ``body``, never ending on a colon: a paragraph that
    introduces something (``:``/``：``) is followed by what it introduces (up to three blocks, no
    table), and a last sentence that only introduces a table ("The checks try:") is left out."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body.strip()) if b.strip()]
    if not blocks:
        return ""
    taken = blocks[:1]
    for block in blocks[1:4]:
        if not taken[-1].endswith((":", "：")) or block.startswith("|"):
            break
        taken.append(block)
    text = "\n\n".join(taken)
    if text.endswith((":", "：")):
        start = len(text) - len(taken[-1])
        cut = max(text.rfind(". "), text.rfind("; "), text.rfind("。"), text.rfind("；"))
        if cut > start:
            text = text[:cut + 1]
    return text


def parse_topic(path: Path) -> Topic:
    """Parse one ``questions/tNN_slug.md`` file, raising ``ValueError`` on a bad layout."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, flags=re.S)
    if not match:
        raise ValueError(f"{path}: expected YAML front matter between '---' lines")
    meta = yaml.safe_load(match.group(1))
    slug = path.stem
    if meta.get("slug") != slug or not _SLUG.match(slug):
        raise ValueError(f"{path}: front matter slug {meta.get('slug')!r} must equal the file name")
    kind = meta.get("kind")
    if kind not in REQUIRED:
        raise ValueError(f"{path}: kind must be 'concept' or 'coding', got {kind!r}")
    sections = _split_sections(path, match.group(2))
    missing = [s for s in REQUIRED[kind] if s not in sections]
    if missing:
        raise ValueError(f"{path}: missing sections {missing}")
    for name, body in sections.items():
        zh, en = body.find("### 中文"), body.find("### English")
        if not 0 <= zh < en:
            raise ValueError(f"{path}: section {name!r} needs '### 中文' before '### English'")
    return Topic(
        slug=slug,
        number=int(_SLUG.match(slug).group(1)),
        title_zh=str(meta["title_zh"]),
        title_en=str(meta["title_en"]),
        kind=kind,
        seed_section=None if meta.get("seed_section") is None else int(meta["seed_section"]),
        functions=tuple(meta["functions"]),
        answer_points=int(meta.get("answer_points", 0)),
        sections=sections,
    )


def _split_sections(path: Path, body: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    parts = re.split(r"^## (.+)$", body, flags=re.M)
    for heading, content in zip(parts[1::2], parts[2::2], strict=True):
        english = heading.split("/")[-1].strip()
        if english not in SECTIONS:
            raise ValueError(f"{path}: unknown section {heading!r}; known: {SECTIONS}")
        sections[english] = content.strip()
    return sections


def all_topics() -> list[Topic]:
    """Every topic in ``questions/``, in number order."""
    return [parse_topic(p) for p in sorted(QUESTIONS.glob("t[0-9][0-9]_*.md"))]


def all_slugs() -> list[str]:
    """The slug of every topic, in number order (what tests parametrize over).

    The file names, without parsing the texts (the grader asks once per submission);
    ``parse_topic`` refuses a text whose front matter names another slug.
    """
    return [p.stem for p in sorted(QUESTIONS.glob("t[0-9][0-9]_*.md"))]


def get_topic(slug_or_id: str) -> Topic:
    """Find a topic by slug (``t05_attention``) or id (``t05``)."""
    for topic in all_topics():
        if slug_or_id in (topic.slug, topic.slug.split("_")[0]):
            return topic
    raise ValueError(f"unknown topic {slug_or_id!r}; expected a slug like 't05_attention' or an id like 't05'")
