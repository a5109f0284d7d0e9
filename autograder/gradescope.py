"""``mmqb gradescope TOPIC... --out autograder.zip``: a Gradescope autograder archive, as otter builds one.

Gradescope's autograder specification: the zip holds ``setup.sh`` and ``run_autograder`` at
its top level and is unpacked into ``/autograder/source``; ``setup.sh`` runs once when the image
is built (Ubuntu 22.04 or 24.04, as root), ``run_autograder`` is copied to
``/autograder/run_autograder`` and runs once per submission (as root, in a Docker container with
Docker's default seccomp profile and capabilities) with the student's files in
``/autograder/submission``, and must leave ``/autograder/results/results.json``. Like otter's
archive, ours carries a ``requirements.txt`` (only what grading imports: :data:`GRADING_PACKAGES`,
installed by ``setup.sh`` into ``/autograder/venv``), the grading code, and a config file
(``mmqb_gradescope.json``: topics and limits). It carries the topics' release notebooks, texts
and suites, never the reference solutions or the tests.

``setup.sh`` takes the system ``python3`` when its version is one ``pyproject.toml``'s
``requires-python`` allows (Debian 12: 3.11), else installs a standalone CPython of the newest
allowed minor version with ``uv`` (from PyPI; ``uv python install`` downloads the interpreter
from GitHub, which Gradescope reaches). It makes ``/autograder/source`` and
``/autograder/results`` root-only (0700) and the venv world-readable.

Isolation: the runner asks the engine for ``isolation="uid"``: the full sandbox (namespaces,
a new root) where the machine allows it, else, since Docker refuses namespaces to a container
without CAP_SYS_ADMIN, student code runs as a dedicated unprivileged uid without any
capability, under the same limits, with the grading source and the results out of its reach
(root-only folders, checked before any student code runs). The network is not removed in
that mode. ``results.json``'s ``extra_data.isolation`` says which mode graded.

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
import re
import stat
import sys
import tomllib
import zipfile
from dataclasses import asdict
from pathlib import Path

from autograder.topics import QUESTIONS, ROOT, Topic, get_topic

log = logging.getLogger("mmqb.gradescope")

CONFIG = "mmqb_gradescope.json"

# What grading imports (the runner, the warm worker, the sandbox, the suites): the archive's
# requirements.txt, with pyproject's version pins where it has them. The rest of pyproject's
# dependencies (JupyterLab, dask, psycopg, matplotlib, genanki, fsrs ...) serve other commands.
GRADING_PACKAGES = ("tensorflow-cpu", "keras", "numpy", "shap", "nbformat", "pyyaml", "ipython>=8", "traitlets>=5")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04/24.04;
# Debian works too). A Python that pyproject.toml allows ({pythons}): the system's python3 if
# it is one, else a standalone CPython {newest} installed with uv (uv comes from PyPI; the
# interpreter it installs is downloaded from GitHub).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
umask 022
src=/autograder/source
allowed() {{ "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] in {versions} else 1)' 2>/dev/null; }}
if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates
fi
if allowed python3; then
  python3 -m venv /autograder/venv
else
  python3 -m venv /autograder/uv
  /autograder/uv/bin/pip install --quiet uv
  UV_PYTHON_INSTALL_DIR=/autograder/python /autograder/uv/bin/uv python install {newest}
  UV_PYTHON_INSTALL_DIR=/autograder/python /autograder/uv/bin/uv venv --seed --python {newest} /autograder/venv
  chmod -R a+rX /autograder/python
fi
allowed /autograder/venv/bin/python
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet -r "$src/requirements.txt"
# Student code may run as an unprivileged uid (Docker refuses namespaces): it must be able to
# use the venv, never read the grading source (the hidden suites) or the results.
chmod -R a+rX /autograder/venv
mkdir -p /autograder/results
chown root:root "$src" /autograder/results
chmod 0700 "$src" /autograder/results
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission: grade /autograder/submission/*.ipynb with mmqb's
# engine, write /autograder/results/results.json.
set -euo pipefail
ROOT="${MMQB_GRADESCOPE_ROOT:-/autograder}"
PY="${MMQB_PYTHON:-$ROOT/venv/bin/python}"
mkdir -p "$ROOT/results"
if [ "$(id -u)" = 0 ]; then  # the grading source and the results: root's alone
  chmod 0700 "$ROOT/source" "$ROOT/results"
fi
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL=2 TF_ENABLE_ONEDNN_OPTS=0
cd "$ROOT/source"
exec "$PY" -m autograder.gradescope run --root "$ROOT"
"""


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _distribution(requirement: str) -> str:
    """The normalised distribution name of a requirement line (``PyYAML>=6`` -> ``pyyaml``)."""
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def python_versions() -> list[str]:
    """The minor versions pyproject's ``requires-python`` allows, from 3.11 to 3.14 (``["3.11"]``)."""
    spec = _pyproject()["project"]["requires-python"]
    allowed = []
    for minor in range(11, 15):
        ok = True
        for clause in spec.split(","):
            m = re.fullmatch(r"\s*(>=|<|<=|>|==)\s*3\.(\d+)\s*", clause)
            if not m:
                raise ValueError(f"requires-python clause not understood: {clause!r}")
            op, bound = m.group(1), int(m.group(2))
            ok &= {">=": minor >= bound, "<": minor < bound, "<=": minor <= bound, ">": minor > bound,
                   "==": minor == bound}[op]
        if ok:
            allowed.append(f"3.{minor}")
    if not allowed:
        raise ValueError(f"requires-python {spec!r} allows no Python from 3.11 to 3.14")
    return allowed


def setup_sh() -> str:
    """``setup.sh`` for the Python versions ``pyproject.toml`` allows."""
    versions = python_versions()
    pairs = "(" + ", ".join(f"({v.split('.')[0]}, {v.split('.')[1]})" for v in versions) + ",)"
    return SETUP_SH.format(pythons=", ".join(versions), newest=versions[-1], versions=pairs)


def _requirements() -> str:
    """What ``setup.sh`` installs: :data:`GRADING_PACKAGES`, each with pyproject's pin if it has one."""
    pinned = {_distribution(r): r.split("#")[0].strip() for r in _pyproject()["project"]["dependencies"]}
    return "\n".join(pinned.get(_distribution(name), name) for name in GRADING_PACKAGES) + "\n"


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
        _add_text(zf, "setup.sh", setup_sh(), 0o755)
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


def private_folders_problem(root: Path) -> str | None:
    """Why ``root/source`` or ``root/results`` could be reached by a sandbox uid, or None.

    Each must be a folder of root's, not a symlink, mode 0700 at most, under folders no one
    but root can rename (owned by root, not writable by others unless sticky).
    """
    for path in (root / "source", root / "results"):
        try:
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o077:
                return (f"{path} must be a folder of root's with mode 0700 "
                        f"(is {stat.filemode(st.st_mode)} uid {st.st_uid})")
            for parent in Path(os.path.abspath(path)).parents:
                pst = os.lstat(parent)
                if pst.st_uid != 0 or (pst.st_mode & 0o022 and not pst.st_mode & stat.S_ISVTX):
                    return f"{parent} must be root's and not writable by others"
        except OSError as exc:
            return f"{path} cannot be checked ({exc.strerror})"
    return None


def run(root: Path, no_namespaces: bool = False) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; the exit status of ``run_autograder``.

    ``no_namespaces`` (``$MMQB_GRADESCOPE_NO_NAMESPACES``, tests) grades as if the machine refused
    namespaces: the "uid" mode Docker's defaults leave.
    """
    from autograder.engine import IsolationUnavailable, Limits, WarmWorker, grade_path
    from autograder.results import is_graded

    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    slugs, limits = config["topics"], Limits(**config["limits"])
    submission = root / "submission"
    paths = submitted_notebooks(submission)
    notebooks = match_notebooks(slugs, paths)
    worker = WarmWorker(0, isolation="uid", no_namespaces=no_namespaces)
    try:
        worker.start()
    except IsolationUnavailable as exc:
        log.error("not graded (Gradescope shows 'autograder failed'): %s", exc)
        return 1
    if worker.mode == "uid" and (problem := private_folders_problem(root)):
        worker.close()
        log.error("not graded: student code would run as an unprivileged uid here, and %s", problem)
        return 1
    parts, ungraded, steps = [], [], []
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
            steps = steps or list(result.isolation)
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
        "extra_data": {"isolation": worker.mode, "isolation_steps": steps},
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
    return run(Path(args.root), no_namespaces=os.environ.get("MMQB_GRADESCOPE_NO_NAMESPACES") == "1")


if __name__ == "__main__":
    raise SystemExit(main())
