"""The learner's workspace: a folder of release notebooks to edit, and where the progress store lives.

``mmqb practice`` copies release notebooks into it (never touching ``release/`` and never
overwriting the learner's own copy) and starts JupyterLab there. A topic's notebook is
``<workspace>/<slug>.ipynb``; the store (:mod:`autograder.selfstudy.store`) is
``<workspace>/.mmqb/progress.sqlite``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.topics import ROOT, Topic

DEFAULT_WORKSPACE = Path.home() / "mmqb-workspace"


def store_path(workspace: Path) -> Path:
    """The workspace's SQLite store of attempts, answers and reviews."""
    return Path(workspace) / ".mmqb" / "progress.sqlite"


def notebook_path(workspace: Path, topic: Topic) -> Path:
    """The learner's copy of a topic's notebook."""
    return Path(workspace) / f"{topic.slug}.ipynb"


def copy_release(workspace: Path, topics: list[Topic]) -> list[Path]:
    """Copy the topics' release notebooks into ``workspace``; keep existing copies as they are."""
    workspace.mkdir(parents=True, exist_ok=True)
    paths = []
    for topic in topics:
        src = ROOT / "release" / topic.slug / f"{topic.slug}.ipynb"
        dst = notebook_path(workspace, topic)
        if not dst.exists():
            shutil.copyfile(src, dst)
        paths.append(dst)
    return paths


def fresh_copy(workspace: Path, topic: Topic, stamp: str) -> Path:
    """Keep the learner's notebook aside as ``<slug>.<stamp>.ipynb``, put a fresh release copy in its place.

    Returns where the learner's solution is kept.
    """
    notebook = notebook_path(workspace, topic)
    kept = notebook.with_name(f"{topic.slug}.{stamp}.ipynb")
    notebook.rename(kept)
    copy_release(workspace, [topic])
    return kept


def lab_command(workspace: Path, port: int | None = None) -> list[str]:
    """The ``jupyter lab`` command line for the workspace."""
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", f"--ServerApp.root_dir={workspace}"]
    if port:
        cmd.append(f"--port={port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def start_lab(workspace: Path, port: int | None = None) -> int:
    """Run JupyterLab in the workspace until it exits; return its exit code."""
    from autograder.engine.settings import QUIET_ENV

    return subprocess.call(lab_command(workspace, port), cwd=workspace, env=dict(os.environ, **QUIET_ENV))
