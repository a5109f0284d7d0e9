"""``mmqb anki``: the bank as a bilingual Anki deck (``.apkg``, written by ``genanki``).

One note per interview question (every concept topic) and one per exercise's key idea
(every topic), with 中文 and English fields side by side:

- interview note: the question on the front; on the back the key points an answer is graded on
  (the rubric, a few lines to rate against), then folded away in a ``<details>`` section the
  reference answer, the follow-up questions (when the topic has them) and the errata;
- exercise note: what to implement on the front (the requirement and the list it introduces);
  the hints (the key idea) on the back, the errata (what the seed's code got wrong) folded.

Markdown becomes HTML; formulas become MathJax (``\\(...\\)`` and ``\\[...\\]``, which Anki
renders itself). Ids are stable: the model and deck ids are constants and each note's guid
is derived from its item key (``interview:t05_attention``), so importing a newer deck updates
the learner's cards (and keeps their scheduling) instead of duplicating them. The package's
timestamp is the newest modification time of the question files, so building twice from
the same texts gives the same note and card ids.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import genanki
import mistune

from autograder.selfstudy.schedule import EXERCISE, INTERVIEW, Item, all_items
from autograder.topics import QUESTIONS, Topic, all_topics

MODEL_ID = 1_733_140_101
DECK_ID = 1_733_140_102
DECK_NAME = "mmqb · 多模态深度学习面试题 · Multimodal deep learning interview bank"
FIELDS = ("Key", "Topic", "Kind", "TitleZh", "TitleEn", "FrontZh", "FrontEn", "BackZh", "BackEn")

_FRONT = """<div class="meta">{{Topic}} · {{Kind}}</div>
<div class="title">{{TitleZh}}<br><span class="en">{{TitleEn}}</span></div>
<div class="zh">{{FrontZh}}</div>
<div class="en">{{FrontEn}}</div>"""
_BACK = """{{FrontSide}}
<hr id="answer">
<div class="zh">{{BackZh}}</div>
<hr class="lang">
<div class="en">{{BackEn}}</div>"""
_CSS = """.card { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 17px; text-align: left; color: #222; background: #fff; max-width: 46em; margin: auto; }
.meta { color: #888; font-size: 13px; }
.title { font-size: 20px; font-weight: bold; margin: 0.4em 0 0.8em; }
.title .en { font-weight: normal; color: #555; }
.en { color: #333; }
.zh { margin-bottom: 0.8em; }
h4 { margin: 0.8em 0 0.3em; }
code { background: #f3f3f3; padding: 0 0.2em; }
hr.lang { border: none; border-top: 1px dashed #ccc; }
details.more summary { color: #555; cursor: pointer; margin-top: 0.6em; }
"""

_MARKDOWN = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def model() -> genanki.Model:
    """The note type: one card, both languages on each side."""
    return genanki.Model(
        MODEL_ID, "mmqb bilingual (中文 / English)",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card 1", "qfmt": _FRONT, "afmt": _BACK}],
        css=_CSS, sort_field_index=0,
    )


def to_html(markdown: str) -> str:
    """Markdown to HTML with formulas kept for MathJax: ``$x$`` -> ``\\(x\\)``, ``$$x$$`` -> ``\\[x\\]``.

    Code spans and formulas are set aside before the Markdown pass (so ``_`` and ``*`` in a
    formula are not emphasis) and put back HTML-escaped.
    """
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"MMQBKEPT{len(kept) - 1}X"

    text = re.sub(r"`([^`]+)`", lambda m: keep(f"<code>{html.escape(' '.join(m.group(1).split()))}</code>"),
                  markdown)  # a code span may run over a line break (Markdown joins it with a space)
    text = re.sub(r"\$\$(.+?)\$\$", lambda m: keep(html.escape(f"\\[{m.group(1).strip()}\\]")), text, flags=re.S)
    text = re.sub(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$", lambda m: keep(html.escape(f"\\({m.group(1)}\\)")), text)
    rendered = _MARKDOWN(text).strip()
    return re.sub(r"MMQBKEPT(\d+)X", lambda m: kept[int(m.group(1))], rendered)


def language_blocks(section: str) -> dict[str, str]:
    """``{"中文": ..., "English": ...}`` of a section's ``### 中文`` / ``### English`` blocks."""
    blocks = {"中文": "", "English": ""}
    for block in re.split(r"^### ", section, flags=re.M)[1:]:
        label, _, body = block.partition("\n")
        if label.strip() in blocks:
            blocks[label.strip()] = body.strip()
    return blocks


def _sections_html(topic: Topic, parts: list[tuple[str, str, str]], language: str) -> str:
    html_parts = []
    for name, heading_zh, heading_en in parts:
        body = language_blocks(topic.section(name))[language]
        if body:
            html_parts.append(f"<h4>{heading_zh if language == '中文' else heading_en}</h4>\n{to_html(body)}")
    return "\n".join(html_parts)


def _back(topic: Topic, lead: list[tuple[str, str, str]], more: list[tuple[str, str, str]], language: str) -> str:
    """What to rate against (a few lines), then the rest folded away: a back one can rate honestly."""
    rest = _sections_html(topic, more, language)
    summary = "更多：" + "、".join(z.split("：")[0] for n, z, _ in more if topic.section(n)) if language == "中文" \
        else "More: " + ", ".join(e.split(":")[0].lower() for n, _, e in more if topic.section(n))
    folded = f'\n<details class="more"><summary>{summary}</summary>\n{rest}\n</details>' if rest else ""
    return _sections_html(topic, lead, language) + folded


def note_fields(item: Item) -> dict[str, str]:
    """The fields of an item's note, by name."""
    topic = item.topic
    if item.kind == INTERVIEW:
        front = language_blocks(topic.section("Interview question"))
        lead = [("Rubric", "评分要点", "Key points: what an answer is graded on")]
        more = [("Reference answer", "参考答案", "Reference answer"),
                ("Follow-up questions", "追问", "Follow-up questions"),
                ("Errata", "勘误：原答案错在哪里", "Errata: what the seed's answer got wrong")]
        kind = "面试题 / Interview question"
        front_zh, front_en = to_html(front["中文"]), to_html(front["English"])
    else:
        lead = [("Hints", "关键思路（提示）", "Key idea (hints)")]
        more = [("Errata", "勘误：原书代码错在哪里", "Errata: what the seed's code got wrong")]
        kind = "练习 / Exercise"
        front_zh = to_html(topic.requirement("中文")) + "<p><b>关键思路和易错点是什么？</b></p>"
        front_en = (to_html(topic.requirement("English"))
                    + "<p><b>What is the key idea, and what is easy to get wrong?</b></p>")
    return {
        "Key": item.key, "Topic": topic.slug, "Kind": kind,
        "TitleZh": html.escape(topic.title_zh), "TitleEn": html.escape(topic.title_en),
        "FrontZh": front_zh, "FrontEn": front_en,
        "BackZh": _back(topic, lead, more, "中文"), "BackEn": _back(topic, lead, more, "English"),
    }


def note_guid(item: Item) -> str:
    """The note's stable guid (what Anki matches on re-import)."""
    return genanki.guid_for("mmqb", item.key)


def build_deck(items: list[Item] | None = None) -> genanki.Deck:
    """The deck: one note per interview question and per exercise, in topic order."""
    topics = all_topics()
    concepts = sum(t.is_concept for t in topics)
    deck = genanki.Deck(DECK_ID, DECK_NAME, description=(
        f"mmqb: {concepts} 道面试题和 {len(topics)} 个练习的要点（中文 / English）。"
        f" The {concepts} interview questions and the key ideas of the {len(topics)} exercises, bilingual."))
    note_model = model()
    for item in all_items() if items is None else items:
        fields = note_fields(item)
        deck.add_note(genanki.Note(
            model=note_model, fields=[fields[name] for name in FIELDS], guid=note_guid(item),
            tags=["mmqb", item.topic.slug[:3], "interview" if item.kind == INTERVIEW else "exercise"],
            sort_field=item.key))
    return deck


def texts_timestamp() -> float:
    """The newest modification time of the question files (the package's timestamp)."""
    return max(p.stat().st_mtime for p in QUESTIONS.glob("t[0-9][0-9]_*.md"))


def write_deck(path: Path, items: list[Item] | None = None) -> int:
    """Write the ``.apkg`` to ``path``; return the number of notes."""
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = Path(path)
    if path.suffix != ".apkg":
        raise ValueError(f"an Anki package must end in .apkg, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    deck = build_deck(items)
    genanki.Package(deck).write_to_file(str(path), timestamp=texts_timestamp())
    return len(deck.notes)


__all__ = ["DECK_ID", "EXERCISE", "FIELDS", "INTERVIEW", "MODEL_ID", "build_deck", "note_fields", "note_guid",
           "to_html", "write_deck"]
