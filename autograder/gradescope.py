"""``mmqb gradescope TOPIC... --out autograder.zip``: a Gradescope autograder archive, as otter builds one.

Gradescope's autograder specification: the zip holds ``setup.sh`` and ``run_autograder`` at
its top level and is unpacked into ``/autograder/source``; ``setup.sh`` runs once when the image
is built (Ubuntu), ``run_autograder`` is copied to ``/autograder/run_autograder`` and runs once
per submission with the student's files in ``/autograder/submission``, and must leave
``/autograder/results/results.json``. Like otter's archive, ours carries a
``requirements.txt`` (installed by ``setup.sh`` into a venv), the grading code, and a config
file (``mmqb_gradescope.json``: topics and limits). It carries the topics' release notebooks,
texts and suites, never the reference solutions or the tests.

``run_autograder`` calls ``python -m autograder.gradescope run``, which grades the submitted
notebook of each of the archive's topics (by name, or the one notebook of a one-topic archive,
whatever its name; symlinked folders are not walked) with the engine (one warm worker, sandboxed)
and writes one ``results.json``: every check a Gradescope test; a topic with no notebook, or
with a file the engine refuses (a symlink, broken JSON, too large), scores 0 with the reason.
A submission the engine could not grade writes no results and exits non-zero, so Gradescope
reports an autograder failure instead of a zero. The base folder is ``$MMQB_GRADESCOPE_ROOT``
(default ``/autograder``) and the interpreter ``$MMQB_PYTHON`` (default the venv of ``setup.sh``),
so the archive can be run outside Gradescope (the tests do).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tomllib
import zipfile
from dataclasses import asdict
from pathlib import Path

from autograder.topics import QUESTIONS, ROOT, Topic, get_topic

log = logging.getLogger("mmqb.gradescope")

CONFIG = "mmqb_gradescope.json"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3.11 python3.11-venv
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission: grade /autograder/submission/*.ipynb with mmqb's
# engine, write /autograder/results/results.json.
set -euo pipefail
ROOT="${MMQB_GRADESCOPE_ROOT:-/autograder}"
PY="${MMQB_PYTHON:-$ROOT/venv/bin/python}"
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL=2 TF_ENABLE_ONEDNN_OPTS=0
cd "$ROOT/source"
exec "$PY" -m autograder.gradescope run --root "$ROOT"
"""


def _requirements() -> str:
    """The runtime dependencies of ``pyproject.toml``, one per line (what ``setup.sh`` installs)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return "\n".join(data["project"]["dependencies"]) + "\n"


def _package_files(topics: list[Topic]) -> list[Path]:
    """Files of the ``autograder`` package the engine needs: code, templates, the topics' suites."""
    wanted = {f"{t.slug}.py" for t in topics} | {"__init__.py"}
    files = []
    for path in sorted((ROOT / "autograder").rglob("*")):
        rel = path.relative_to(ROOT)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix == ".pyc":
            continue
        if rel.parts[:2] == ("autograder", "suites") and path.name not in wanted:
            continue
        files.append(path)
    return files


def build_archive(topics: list[str], out: Path, limits=None) -> Path:
    """Write the autograder zip for ``topics`` (slugs or ids) to ``out``; return ``out``.

    Raises:
        TypeError: ``topics`` is not a list of strings.
        ValueError: no topic, an unknown topic, or a topic without a release notebook.
    """
    from autograder.engine import Limits

    if isinstance(topics, str) or not isinstance(topics, list | tuple):
        raise TypeError(f"topics must be a list of topic slugs or ids, got {type(topics).__name__}")
    if not topics:
        raise ValueError("give at least one topic (a slug like t05_attention or an id like t05), got none")
    for t in topics:
        if not isinstance(t, str):
            raise TypeError(f"each topic must be a str, got {type(t).__name__}")
    chosen = [get_topic(t) for t in topics]
    for topic in chosen:
        if not (ROOT / "release" / topic.slug / f"{topic.slug}.ipynb").is_file():
            raise ValueError(f"no release notebook for {topic.slug}: run `mmqb build {topic.slug[:3]}` first")
    limits = limits or Limits()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    config = {"topics": [t.slug for t in chosen], "limits": asdict(limits)}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "setup.sh", SETUP_SH, 0o755)
        _add_text(zf, "run_autograder", RUN_AUTOGRADER, 0o755)
        _add_text(zf, "requirements.txt", _requirements())
        _add_text(zf, CONFIG, json.dumps(config, indent=1))
        for path in _package_files(chosen):
            zf.write(path, path.relative_to(ROOT).as_posix())
        for topic in chosen:
            text = QUESTIONS / f"{topic.slug}.md"
            zf.write(text, text.relative_to(ROOT).as_posix())
            release = ROOT / "release" / topic.slug / f"{topic.slug}.ipynb"
            zf.write(release, release.relative_to(ROOT).as_posix())
    return out


def _add_text(zf: zipfile.ZipFile, name: str, text: str, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def _all_failed(slug: str, reason: str) -> dict:
    """Gradescope tests of a topic that could not be graded as submitted: every check fails, with ``reason``."""
    from autograder.checks import load_suite

    suite = load_suite(slug)
    tests = []
    for group, points, _ in suite.groups():
        members = [c for c in suite.checks if c.group == group]
        for check in members:
            max_score = float(getattr(check, "points", None) or points / len(members))
            tests.append({"name": f"{slug} {check.id}" + (" (hidden)" if check.hidden else ""), "score": 0.0,
                          "max_score": max_score, "status": "failed", "output": reason, "tags": [group],
                          "visibility": "visible"})
    return {"score": 0.0, "tests": tests, "output": f"{slug}: {reason}"}


MAX_LISTED = 64  # notebooks looked at in a submission; a flood of files is not walked further


def submitted_notebooks(folder: Path) -> list[Path]:
    """The ``.ipynb`` entries of a submission, without following symlinked folders (at most ``MAX_LISTED``).

    A symlinked *file* is listed, so that it is refused with a reason (the engine opens
    notebooks with ``O_NOFOLLOW``) rather than silently missing.
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".ipynb_checkpoints" and not d.startswith("."))
        found.extend(Path(dirpath) / name for name in sorted(filenames) if name.endswith(".ipynb"))
        if len(found) >= MAX_LISTED:
            break
    return found[:MAX_LISTED]


def match_notebooks(slugs: list[str], paths: list[Path]) -> dict[str, Path]:
    """Which submitted notebook is graded as which topic of the archive.

    ``t05_attention.ipynb`` first, then a name starting with the topic's id (``t05_mine.ipynb``);
    an archive of one topic takes the one notebook submitted, whatever its name (students
    rename files: ``attention_homework.ipynb``). The topic is always the archive's, never the notebook's.
    """
    chosen: dict[str, Path] = {}
    for rule in (lambda p, s: p.stem == s, lambda p, s: p.stem.startswith(s[:3] + "_")):
        for slug in slugs:
            if slug not in chosen:
                hit = next((p for p in paths if rule(p, slug) and p not in chosen.values()), None)
                if hit is not None:
                    chosen[slug] = hit
    if len(slugs) == 1 and not chosen and len(paths) == 1:
        chosen[slugs[0]] = paths[0]
    return chosen


def _missing_reason(slug: str, paths: list[Path], root: Path) -> str:
    if not paths:
        return f"no notebook submitted: upload {slug}.ipynb"
    names = ", ".join(str(p.relative_to(root)) for p in paths[:5]) + (" ..." if len(paths) > 5 else "")
    return f"no notebook {slug}.ipynb among the files submitted ({names}): upload it under that name"


def run(root: Path) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; the exit status of ``run_autograder``."""
    from autograder.engine import Limits, WarmWorker, grade_path
    from autograder.results import is_graded

    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    slugs, limits = config["topics"], Limits(**config["limits"])
    submission = root / "submission"
    paths = submitted_notebooks(submission)
    notebooks = match_notebooks(slugs, paths)
    worker = WarmWorker(0)
    parts, ungraded = [], []
    try:
        for slug in slugs:
            if slug not in notebooks:
                parts.append(_all_failed(slug, _missing_reason(slug, paths, submission)))
                continue
            result = grade_path(notebooks[slug], worker, limits, expected_slug=slug)
            if not is_graded(result):
                ungraded.append(f"{slug}: not graded: {result.message}")
                continue
            if result.status == "invalid":  # the student's file: every check fails with the one-line reason
                parts.append(_all_failed(slug, f"{notebooks[slug].name}: {result.message}"))
                continue
            payload = result.gradescope()
            payload.setdefault("score", sum(t["score"] for t in payload["tests"]))
            parts.append(payload)
    finally:
        worker.close()
    if ungraded:
        log.error("not graded (Gradescope shows 'autograder failed'):\n%s", "\n".join(ungraded))
        return 1
    results = {
        "score": round(sum(float(p.get("score") or 0.0) for p in parts), 6),
        "execution_time": round(sum(float(p.get("execution_time") or 0.0) for p in parts), 3),
        "output": "\n".join(p["output"] for p in parts if p.get("output")),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [t for p in parts for t in p["tests"]],
    }
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.gradescope run [--root DIR]`` (what ``run_autograder`` calls)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="grade /autograder/submission into /autograder/results/results.json")
    run_parser.add_argument("--root", default=os.environ.get("MMQB_GRADESCOPE_ROOT", "/autograder"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="mmqb: %(message)s")
    return run(Path(args.root))


if __name__ == "__main__":
    raise SystemExit(main())
