"""mmqb anki: open the .apkg (a zip with a SQLite collection) and check notes, fields and ids."""

import dataclasses
import html
import json
import re
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.selfstudy.anki import DECK_ID, FIELDS, MODEL_ID, build_deck, language_blocks, to_html, write_deck
from autograder.selfstudy.schedule import Item, all_items
from autograder.topics import all_topics, get_topic

TOPICS = len(all_topics())
CONCEPTS = sum(t.is_concept for t in all_topics())
NOTES = TOPICS + CONCEPTS  # one note per exercise, one per interview question

SEP = "\x1f"  # Anki's field separator


def open_deck(path, tmp_path, name):
    with zipfile.ZipFile(path) as archive:
        assert "collection.anki2" in archive.namelist()
        archive.extract("collection.anki2", tmp_path / name)
    db = sqlite3.connect(tmp_path / name / "collection.anki2")
    notes = {}
    for note_id, guid, mid, flds, tags in db.execute("SELECT id, guid, mid, flds, tags FROM notes"):
        fields = dict(zip(FIELDS, flds.split(SEP), strict=True))
        notes[fields["Key"]] = {"id": note_id, "guid": guid, "mid": mid, "tags": tags.split(), **fields}
    cards = sorted(db.execute("SELECT id, nid, did FROM cards"))
    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    db.close()
    return notes, cards, models, decks


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("anki")
    assert write_deck(tmp_path / "a.apkg") == NOTES
    assert write_deck(tmp_path / "b.apkg") == NOTES
    return open_deck(tmp_path / "a.apkg", tmp_path, "a"), open_deck(tmp_path / "b.apkg", tmp_path, "b")


def test_one_note_per_interview_question_and_per_exercise(deck):
    (notes, cards, models, decks), _ = deck
    topics = all_topics()
    concept = [t.slug for t in topics if t.is_concept]
    assert len(concept) == CONCEPTS and len(topics) == TOPICS
    assert sorted(notes) == sorted([f"interview:{s}" for s in concept] + [f"exercise:{t.slug}" for t in topics])
    assert len(cards) == NOTES and {nid for _, nid, _ in cards} == {n["id"] for n in notes.values()}
    assert {did for _, _, did in cards} == {DECK_ID} and str(DECK_ID) in decks
    assert {n["mid"] for n in notes.values()} == {MODEL_ID}
    assert [f["name"] for f in models[str(MODEL_ID)]["flds"]] == list(FIELDS)
    for key, note in notes.items():
        slug = key.split(":")[1]
        assert note["Topic"] == slug and slug[:3] in note["tags"] and key.split(":")[0] in note["tags"]
        assert note["TitleZh"] == get_topic(slug).title_zh
        for name in ("FrontZh", "FrontEn", "BackZh", "BackEn"):
            assert note[name].strip(), (key, name)


def _first_plain_run(markdown, language):
    """A run of text with no Markdown inside: 2+ Chinese characters, 3+ plain English words, or code."""
    pattern = r"[\u4e00-\u9fff]{2,}" if language == "中文" else r"[A-Za-z]+(?: [A-Za-z]+){2,}"
    found = re.search(pattern, markdown) or re.search(r"`([^`]+)`", markdown)  # else its first code span
    return html.escape(" ".join(found.group(found.lastindex or 0).split()), quote=True)


def test_fields_are_bilingual_with_key_points_errata_and_mathjax(deck):
    (notes, *_), _ = deck
    for key, note in notes.items():
        topic = get_topic(note["Topic"])
        front = "Interview question" if key.startswith("interview:") else "Exercise"
        back = ("Reference answer", "Errata") if key.startswith("interview:") else ("Hints", "Errata")
        for language, suffix in (("中文", "Zh"), ("English", "En")):
            shown = language_blocks(topic.section(front))[language].split("\n\n")[0]  # an exercise: its intro
            if front == "Exercise":  # ... and never a front that stops at the colon introducing a list
                assert not re.sub(r"<[^>]+>", "", note["Front" + suffix]).split("关键思路")[0].split(
                    "What is the key idea")[0].rstrip().endswith((":", "：")), (key, language)
            assert _first_plain_run(shown, language) in note["Front" + suffix], (key, front, language)
            for name in back:
                block = language_blocks(topic.section(name))[language]
                assert _first_plain_run(block, language) in note["Back" + suffix], (key, name, language)
            # formulas are MathJax, never raw $...$ (code spans may hold a $)
            assert "$" not in re.sub(r"<code>.*?</code>", "", note["Back" + suffix], flags=re.S), key
    t05 = notes["interview:t05_attention"]
    assert "请简述多模态大模型中的注意力机制及其作用" in t05["FrontZh"]
    assert "参考答案" in t05["BackZh"] and "勘误" in t05["BackZh"] and "Errata" in t05["BackEn"]
    assert "<li>" in t05["BackEn"]  # the numbered key points became a list
    # never mangled by Markdown emphasis (the _ and * of a formula)
    assert r"\(\mathrm{Attention}(Q,K,V)=\mathrm{softmax}(QK^\top/\sqrt{d})V\)" in t05["BackEn"]
    assert r"\(O(L^2 d)\)" in t05["BackZh"]
    t02 = notes["exercise:t02_fusion_attention"]
    assert "实现两个函数" in t02["FrontZh"] and "Implement two functions" in t02["FrontEn"]
    assert "Key idea" in t02["BackEn"] and "关键思路" in t02["BackZh"]
    assert "Interview question" not in t02["Kind"]


def test_building_twice_gives_the_same_ids(deck):
    (notes_a, cards_a, *_), (notes_b, cards_b, *_) = deck
    ids_a = {k: (n["id"], n["guid"]) for k, n in notes_a.items()}
    assert ids_a == {k: (n["id"], n["guid"]) for k, n in notes_b.items()}
    assert cards_a == cards_b
    assert len({n["guid"] for n in notes_a.values()}) == NOTES and len({n["id"] for n in notes_a.values()}) == NOTES


def test_a_note_guid_depends_only_on_its_item(deck, tmp_path):
    (notes, *_), _ = deck
    items = [i for i in all_items() if i.topic.slug in ("t13_clip_loss", "t30_shap_importance")]
    assert write_deck(tmp_path / "part.apkg", items) == 3
    part, *_ = open_deck(tmp_path / "part.apkg", tmp_path, "part")
    assert {k: n["guid"] for k, n in part.items()} == {k: notes[k]["guid"] for k in part}


def test_to_html_keeps_formulas_and_code():
    out = to_html("Scale by $1/\\sqrt{d}$ with `x_1 * y_$2` and\n\n$$a_i * b_i < c$$\n\n**bold** *it* `f(a,\nb)` `g`")
    assert r"\(1/\sqrt{d}\)" in out and "<code>x_1 * y_$2</code>" in out
    assert "<code>f(a, b)</code> <code>g</code>" in out  # a code span over a line break
    assert r"\[a_i * b_i &lt; c\]" in out and out.count("<em>") == 1  # only *it* is emphasis
    assert "<strong>bold</strong>" in out and "<em>it</em>" in out
    assert to_html("<script>alert(1)</script>").count("<script>") == 0
    with pytest.raises(TypeError, match="markdown must be a str, got NoneType"):
        to_html(None)


def test_write_deck_bad_input(tmp_path):
    with pytest.raises(ValueError, match="must end in .apkg, got 'deck.zip'"):
        write_deck(tmp_path / "deck.zip")
    with pytest.raises(TypeError, match="path must be a str or Path, got int"):
        write_deck(3)


def test_anki_command(tmp_path):
    out = CliRunner().invoke(main, ["anki", "--out", str(tmp_path / "deck" / "mmqb.apkg")])
    assert out.exit_code == 0, out.output
    assert f"{NOTES} notes" in out.output and (tmp_path / "deck" / "mmqb.apkg").stat().st_size > 10_000


def test_an_edited_text_keeps_its_note_guid(deck):
    (notes, *_), _ = deck
    item = next(i for i in all_items() if i.key == "interview:t05_attention")
    sections = dict(item.topic.sections, Errata="### 中文\n\n新的勘误。\n\n### English\n\nA new erratum.")
    edited = Item(item.kind, dataclasses.replace(item.topic, sections=sections))
    note = build_deck([edited]).notes[0]
    assert "A new erratum." in note.fields[FIELDS.index("BackEn")]
    assert note.guid == notes["interview:t05_attention"]["guid"]  # a re-import updates, never duplicates


def test_interview_back_has_rubric_and_follow_up_questions(deck):
    (notes, *_), _ = deck
    t01 = notes["interview:t01_class_balance"]
    assert t01["BackEn"].startswith("<h4>Key points: what an answer is graded on</h4>")
    assert "Separates class imbalance from modality imbalance" in t01["BackEn"]
    assert "<h4>追问</h4>" in t01["BackZh"] and r"\(\beta = (V-1)/V\)" in t01["BackZh"]
    # the key points to rate against, then the rest folded in one <details>
    order = [t01["BackEn"].index(h) for h in ("Key points", "<details", "Reference answer", "Follow-up questions",
                                              "Errata", "</details>")]
    assert order == sorted(order)
    assert "<summary>更多：参考答案、追问、勘误</summary>" in t01["BackZh"]
    for note in notes.values():  # every topic that has the sections shows them
        topic = get_topic(note["Topic"])
        if note["Key"].startswith("interview:"):
            assert ("Key points:" in note["BackEn"]) == bool(topic.section("Rubric"))
            assert ("Follow-up questions" in note["BackEn"]) == bool(topic.section("Follow-up questions"))


def test_the_part_of_a_back_shown_before_unfolding_is_short(deck):
    (notes, *_), _ = deck
    shown = [len(re.sub(r"<details.*?</details>", "", note[field], flags=re.S))
             for note in notes.values() for field in ("BackZh", "BackEn")]
    full = [len(note[field]) for note in notes.values() for field in ("BackZh", "BackEn")]
    # measured when the rubric became the lead: shown median ~590 characters, max ~1,350; full median ~2,600
    assert sorted(shown)[len(shown) // 2] < 800 and max(shown) < 1600
    assert sorted(full)[len(full) // 2] > 3 * sorted(shown)[len(shown) // 2]
