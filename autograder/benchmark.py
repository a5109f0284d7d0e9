"""``mmqb benchmark``: nbgrader autograde vs mmqb autograde vs the physical limit, in one run.

The cohort mixes, per topic and student, correct (the reference), wrong (a deliberate
mutant), stub (untouched) and crashing (a solution cell that raises at definition time)
submissions. Both graders get identical copies of the course; the scores must be equal
per cell. The *physical limit* runs the same suites on the same answers in one warm process
with no isolation at all: the cost of the checks themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import nbformat
from tqdm import tqdm

from autograder.build import prepare_course
from autograder.checks import load_suite
from autograder.engine.course import Course
from autograder.mutation import load_mutants, namespace_of, reference_cell, reference_source, submission_notebook
from autograder.topics import ROOT, all_topics

KINDS = ("correct", "wrong", "stub", "crashing")


def submission_code(slug: str, kind: str, index: int) -> str | None:
    """The solution cell of a cohort member (None = untouched stub)."""
    if kind == "correct":
        return reference_cell(slug)
    if kind == "wrong":
        mutants = load_mutants(slug)
        return mutants[index % len(mutants)].apply(reference_source(slug))
    if kind == "crashing":
        return "raise RuntimeError('this submission crashes when the cell runs')\n"
    return None


def build_cohort(course: Path, slugs: list[str], students: int) -> dict[tuple[str, str], str]:
    """Lay out a course with ``students`` submissions per topic; return their kinds."""
    prepare_course(course, [t for t in all_topics() if t.slug in slugs])
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    for slug in slugs:
        subprocess.run([nbgrader, "generate_assignment", slug, "--force", "--create"], cwd=course,
                       check=True, capture_output=True)
    kinds = {}
    for slug in slugs:
        release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
        for i in range(students):
            student = f"s{i:03d}"
            kind = KINDS[i % len(KINDS)]
            path = course / "submitted" / student / slug / f"{slug}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(submission_notebook(release, submission_code(slug, kind, i)), path)
            kinds[(slug, student)] = kind
    return kinds


class TreeMemory:
    """Samples the RSS of a process tree; keeps the peak of any single process."""

    def __init__(self, root_pid: int) -> None:
        import psutil

        self.root = psutil.Process(root_pid)
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self.stop.is_set():
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    try:
                        self.peak = max(self.peak, proc.memory_info().rss)
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            time.sleep(0.2)

    def __enter__(self) -> TreeMemory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def physical_limit(slugs: list[str], kinds: dict[tuple[str, str], str]) -> float:
    """Seconds to run every suite on every answer in this one warm process, unisolated."""
    import keras

    suites = {slug: load_suite(slug) for slug in slugs}
    start = time.perf_counter()
    for (slug, student), kind in sorted(kinds.items()):
        code = submission_code(slug, kind, int(student[1:]))
        keras.utils.set_random_seed(0)
        try:
            ns = namespace_of(code, "answer") if code else namespace_of(reference_cell(slug).replace(
                "### BEGIN SOLUTION", ""), "answer")
            if code is None:  # the stub: every function raises
                ns = {k: _raiser for k in ns}
        except Exception:  # noqa: BLE001 - a crashing answer defines nothing
            ns = {}
        suites[slug].run(ns)
    return time.perf_counter() - start


def _raiser(*args: object, **kwargs: object) -> None:
    raise NotImplementedError


def worker_baseline_rss() -> int:
    """RSS of a warm worker right after importing TensorFlow (its fixed cost)."""
    code = ("import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='2'; import tensorflow, keras;"
            "print(int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def run_benchmark(workdir: Path, students: int, topics: list[str] | None, workers: int) -> dict:
    """Run the whole comparison; print and return the figures."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    slugs = topics or [t.slug for t in all_topics()]
    if workdir.exists():
        shutil.rmtree(workdir)
    base = workdir / "base"
    kinds = build_cohort(base, slugs, students)
    n = len(kinds)
    click.echo(f"cohort: {students} students x {len(slugs)} topics = {n} notebooks "
               f"({', '.join(KINDS)} in turn)")

    theirs = workdir / "nbgrader"
    shutil.copytree(base, theirs)
    start = time.perf_counter()
    for slug in tqdm(slugs, desc="nbgrader autograde", unit="topic", file=sys.stderr):
        subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", slug, "--force", "--create"],
                       cwd=theirs, check=True, capture_output=True, env=env)
    t_nbgrader = time.perf_counter() - start
    click.echo(f"nbgrader autograde: {t_nbgrader:.1f} s")

    ours = workdir / "mmqb"
    shutil.copytree(base, ours)
    cmd = [str(Path(sys.executable).parent / "mmqb"), "autograde", *slugs, "--course", str(ours),
           "--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    with TreeMemory(proc.pid) as memory:
        proc.communicate()
    t_mmqb = time.perf_counter() - start
    if proc.returncode != 0:
        raise click.ClickException("mmqb autograde failed")
    click.echo(f"mmqb autograde ({workers} workers): {t_mmqb:.1f} s")

    a, b = Course(theirs).cell_scores(slugs), Course(ours).cell_scores(slugs)
    if a != b:
        diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
        raise click.ClickException(f"scores differ (nbgrader, mmqb): {diff}")
    click.echo(f"scores identical on {len(a)} graded cells")

    t_limit = physical_limit(slugs, kinds)
    baseline = worker_baseline_rss()
    figures = {
        "notebooks": n, "topics": len(slugs), "students": students, "workers": workers,
        "nbgrader_seconds": round(t_nbgrader, 2), "mmqb_seconds": round(t_mmqb, 2),
        "physical_limit_seconds": round(t_limit, 2),
        "speedup_vs_nbgrader": round(t_nbgrader / t_mmqb, 1),
        "ratio_to_physical_limit": round(t_mmqb / t_limit, 2),
        "peak_rss_mib": round(memory.peak / 2**20),
        "tensorflow_worker_rss_mib": round(baseline / 2**20),
        "peak_beyond_tensorflow_mib": round((memory.peak - baseline) / 2**20),
    }
    click.echo(json.dumps(figures, indent=1))
    (workdir / "benchmark.json").write_text(json.dumps(figures, indent=1))
    return figures
