"""``mmqb build``: questions/ + solutions/ + autograder/suites/ -> source/ and release/.

``source/<slug>/<slug>.ipynb`` is assembled by :mod:`autograder.notebook`; ``release/``
is produced by nbgrader's own ``generate_assignment`` in a throw-away course folder (so
the repository never holds a gradebook), then copied back. Both are deterministic, so CI
can rebuild and diff.
"""

from __future__ import annotations

import importlib
import json
import shutil
import tempfile
from pathlib import Path

from autograder.checks import load_suite
from autograder.notebook import build_source_notebook, write_notebook
from autograder.topics import ROOT, Topic, all_topics

CONFIG = ROOT / "nbgrader_config.py"


def progress(items: list, label: str):
    """A progress bar with counts and ETA on stderr (silent when stderr is not a terminal)."""
    import sys

    from tqdm import tqdm

    return tqdm(items, desc=label, unit="topic", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)


def check_contract(topic: Topic) -> None:
    """Every function the topic names exists in its reference module and in ``solutions``."""
    module = importlib.import_module(f"solutions.{topic.slug}")
    package = importlib.import_module("solutions")
    for name in topic.functions:
        if not hasattr(module, name):
            raise ValueError(f"solutions/{topic.slug}.py does not define {name!r}")
        if getattr(package, name, None) is not getattr(module, name):
            raise ValueError(f"`from solutions import {name}` does not give solutions.{topic.slug}.{name}")


def build_sources(topics: list[Topic], out: Path = ROOT) -> list[Path]:
    """Write every topic's source notebook under ``out/source``; return their paths."""
    written = []
    for topic in progress(topics, "build source"):
        check_contract(topic)
        nb = build_source_notebook(topic, load_suite(topic.slug))
        path = out / "source" / topic.slug / f"{topic.slug}.ipynb"
        write_notebook(nb, path)
        written.append(path)
    return written


def generate_in_course(course: Path, topics: list[Topic]) -> None:
    """Run nbgrader's ``generate_assignment`` (in process) for ``topics`` in a course folder.

    This also registers the assignments, notebooks and grade cells in the course's gradebook.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course)
    config.Exchange.root = str(course / "exchange")
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for topic in progress(topics, "generate_assignment"):
        result = api.generate_assignment(topic.slug, force=True, create=True)
        if not result["success"]:
            detail = result.get("error") or result.get("log")
            raise RuntimeError(f"generate_assignment {topic.slug} failed:\n{detail}")


def generate_release(topics: list[Topic], out: Path = ROOT) -> list[Path]:
    """Run nbgrader's ``generate_assignment`` on ``out/source`` and write ``out/release``.

    It runs in a throw-away course folder so the repository never holds a gradebook.
    """
    course = Path(tempfile.mkdtemp(prefix="mmqb-course-"))
    try:
        prepare_course(course, topics, out / "source")
        generate_in_course(course, topics)
        written = []
        for topic in topics:
            src = course / "release" / topic.slug / f"{topic.slug}.ipynb"
            dst = out / "release" / topic.slug / f"{topic.slug}.ipynb"
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(_normalise(src.read_text(encoding="utf-8")), encoding="utf-8")
            written.append(dst)
        return written
    finally:
        shutil.rmtree(course, ignore_errors=True)


def prepare_course(course: Path, topics: list[Topic], source: Path = ROOT / "source") -> None:
    """Lay out an nbgrader course folder holding the given topics' source notebooks."""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, course / "nbgrader_config.py")
    for topic in topics:
        dst = course / "source" / topic.slug
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(source / topic.slug, dst)


def _normalise(text: str) -> str:
    """Re-serialise a notebook with sorted keys and a trailing newline (stable diffs)."""
    return json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


INDEX_START, INDEX_END = "<!-- mmqb:index:start -->", "<!-- mmqb:index:end -->"


def render_index(topics: list[Topic]) -> str:
    """The question bank at a glance: a Markdown table of every topic."""
    rows = ["| id | 题目 | topic | kind | points | notebook |", "|---|---|---|---|---|---|"]
    for t in topics:
        auto = load_suite(t.slug).max_score
        points = f"{auto} + {t.answer_points} written" if t.is_concept else f"{auto}"
        kind = "concept + coding" if t.is_concept else "coding"
        if t.beyond_seed:
            kind += " · beyond the seed"
        link = f"[release/{t.slug}](release/{t.slug}/{t.slug}.ipynb)"
        rows.append(f"| {t.slug[:3]} | {t.title_zh} | {t.title_en} | {kind} | {points} | {link} |")
    return "\n".join(rows)


def update_readme(topics: list[Topic], readme: Path = ROOT / "README.md") -> None:
    """Rewrite the index between the markers of README.md."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(INDEX_START) + len(INDEX_START), text.index(INDEX_END)
    readme.write_text(text[:start] + "\n" + render_index(topics) + "\n" + text[end:], encoding="utf-8")


def build(selected: list[str] | None = None, out: Path = ROOT) -> tuple[list[Path], list[Path]]:
    """Build ``out/source`` and ``out/release`` for the selected slugs or ids (default: all)."""
    topics = all_topics()
    if selected:
        wanted = set(selected)
        topics = [t for t in topics if t.slug in wanted or t.slug.split("_")[0] in wanted]
        if not topics:
            raise ValueError(f"no topic matches {sorted(wanted)}")
    else:
        for stale in (out / "source", out / "release"):
            known = {t.slug for t in topics}
            for folder in stale.glob("t[0-9][0-9]_*"):
                if folder.name not in known:
                    shutil.rmtree(folder)
    sources = build_sources(topics, out)
    releases = generate_release(topics, out)
    if not selected and out == ROOT:
        update_readme(topics)
    return sources, releases
