"""``mmqb benchmark``: nbgrader autograde vs mmqb autograde vs the physical limit, in one run.

The cohort covers every topic by default. Its students take, in turn, the reference, a
deliberate mutant (a different one per student), the untouched stub and the seed's own code
(independently written, mostly wrong). Both graders get identical copies of the course.

* **nbgrader** grades every notebook, or with ``nbgrader_sample`` a sample of them spread over
  topics and kinds; its cost per notebook is about constant (a kernel start, the TensorFlow
  import, the cells), so the sample's time per notebook is scaled to the cohort, and the output
  says so. The per-cell scores must be identical on every notebook nbgrader graded.
* **mmqb** runs ``mmqb autograde`` as an instructor would (a separate process, warm workers
  started inside the timed run); the time each submission took comes from its ``.mmqb.json``.
* The **physical limit** runs the same suites on the same answers in this one warm process,
  with no notebook, no sandbox, no isolation: the checks' own compute. On ``w`` cores the
  floor of any grader is that time divided by ``w``.

It also measures the sandbox's own cost on a trivial submission (fork, isolation and the
visible/hidden handshake of its one child, with and without isolation) and the peak memory
of the grading processes against a bare TensorFlow import, and it can profile where each
topic's reference grading time goes in the engine (:func:`profile_references`). Timings are
for a report, never for a unit test.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import nbformat
from tqdm import tqdm

from autograder.build import prepare_course
from autograder.engine.settings import QUIET_ENV
from autograder.mutation import (
    load_mutants,
    namespace_of,
    reference_cell,
    reference_source,
    seed_source,
    submission_notebook,
)
from autograder.topics import ROOT, all_topics

KINDS = ("reference", "mutant", "stub", "seed")
RESULT_SUFFIX = ".mmqb.json"


# ------------------------------------------------------------------ the cohort
def submission_code(slug: str, kind: str, index: int) -> str | None:
    """The solution cell of cohort member ``index`` (None = the untouched stub).

    ``mutant`` takes the topic's mutants in turn (student 1 the first, student 5 the second...);
    ``seed`` is the seed's own code, or a mutant for a topic without one.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "reference":
        return reference_cell(slug)
    if kind == "seed":
        seed = seed_source(slug)
        if seed is not None:
            return seed
    if kind in ("mutant", "seed"):
        mutants = load_mutants(slug)
        if not mutants:
            return None
        return mutants[(index // len(KINDS)) % len(mutants)].apply(reference_source(slug))
    return None


def student_kind(index: int) -> str:
    """What student ``index`` submits."""
    return KINDS[index % len(KINDS)]


def build_cohort(course: Path, slugs: list[str], students: int) -> dict[tuple[str, str], str]:
    """Lay out an nbgrader course with ``students`` submissions per topic; return their kinds."""
    from autograder.build import generate_in_course

    if isinstance(students, bool) or not isinstance(students, int):
        raise TypeError(f"students must be an int, got {type(students).__name__}")
    if students < 1:
        raise ValueError(f"students must be at least 1, got {students}")
    topics = [t for t in all_topics() if t.slug in slugs]
    prepare_course(course, topics)
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = _env()["PATH"]  # nbgrader runs `alembic` from PATH
    try:
        generate_in_course(course, topics)
    finally:
        os.environ["PATH"] = path
    kinds = {}
    for slug in slugs:
        release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
        for i in range(students):
            student = f"s{i:03d}"
            path = course / "submitted" / student / slug / f"{slug}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(submission_notebook(release, submission_code(slug, student_kind(i), i)), path)
            kinds[(slug, student)] = student_kind(i)
    return kinds


def sample_submissions(kinds: dict[tuple[str, str], str], n: int | None) -> list[tuple[str, str]]:
    """``n`` submissions spread evenly over the topics and, within them, over the kinds (all if None).

    Deterministic: the i-th pick is from topic ``i * topics // n`` and of kind ``KINDS[i % 4]``
    (another kind of that topic if the cohort has none of it left).
    """
    every = sorted(kinds)
    if n is None or n >= len(every):
        return every
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"the nbgrader sample must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"the nbgrader sample must be at least 1 notebook, got {n}")
    slugs = sorted({slug for slug, _ in every})
    chosen: list[tuple[str, str]] = []
    for i in range(n):
        slug = slugs[i * len(slugs) // n]
        left = [k for k in every if k[0] == slug and k not in chosen] or [k for k in every if k not in chosen]
        preferred = [k for k in left if kinds[k] == KINDS[i % len(KINDS)]]
        chosen.append((preferred or left)[0])
    return sorted(chosen)


def compare_scores(nbgrader: dict[tuple[str, str, str], float], mmqb: dict[tuple[str, str, str], float],
                   sample: list[tuple[str, str]]) -> list[str]:
    """Every difference between the graders on the sampled submissions (empty: identical per cell).

    Keys are ``(assignment, student, grade cell)``. A sampled submission nbgrader did not grade,
    a cell one grader scored and the other did not, and a cell scored differently all count.
    """
    wanted = set(sample)
    problems = []
    for slug, student in sorted(wanted):
        if not any(k[:2] == (slug, student) for k in nbgrader):
            problems.append(f"{slug}/{student}: nbgrader graded no cell")
    for key in sorted(k for k in set(nbgrader) | set(mmqb) if k[:2] in wanted):
        a, b = nbgrader.get(key), mmqb.get(key)
        if a is None or b is None or abs(float(a) - float(b)) > 1e-9:
            problems.append(f"{'/'.join(key)}: nbgrader {a}, mmqb {b}")
    return problems


# ------------------------------------------------------------------ nbgrader
def _env() -> dict[str, str]:
    return dict(os.environ, **QUIET_ENV,
                PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def run_nbgrader(course: Path, sample: list[tuple[str, str]]) -> tuple[float, int]:
    """Seconds for ``nbgrader autograde`` of exactly the ``sample``, one run per topic as an instructor
    would; and how many runs that took."""
    keep = set(sample)
    for folder in sorted((course / "submitted").glob("*/*")):
        if (folder.name, folder.parent.name) not in keep:
            shutil.rmtree(folder)
    slugs = sorted({slug for slug, _ in sample})
    start = time.perf_counter()
    for slug in tqdm(slugs, desc="nbgrader autograde", unit="topic", file=sys.stderr):
        proc = subprocess.run([_nbgrader(), "autograde", slug, "--force", "--create"], cwd=course,
                              capture_output=True, text=True, env=_env())
        if proc.returncode != 0:
            raise click.ClickException(f"nbgrader autograde {slug} failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - start, len(slugs)


def nbgrader_startup(course: Path, slug: str) -> float:
    """Seconds of one ``nbgrader autograde`` run that grades nothing (its fixed cost per run)."""
    start = time.perf_counter()
    proc = subprocess.run([_nbgrader(), "autograde", slug, "--student", "nobody-at-all", "--force", "--create"],
                          cwd=course, capture_output=True, text=True, env=_env())
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 and "No notebooks were matched" not in proc.stderr:
        raise click.ClickException(f"nbgrader autograde (no submission) failed: {proc.stderr[-2000:]}")
    return elapsed


def scale_nbgrader(sample_seconds: float, runs: int, sampled: int, startup: float, notebooks: int,
                   topics: int) -> float:
    """nbgrader's estimated time for the whole cohort from a sample.

    A run costs its start (``startup``) plus a constant cost per notebook, so the sample gives
    ``(sample_seconds - runs * startup) / sampled`` per notebook and the whole cohort, one run
    per topic, ``topics * startup + notebooks * that``. Without sampling it is the measured time.
    """
    if sampled >= notebooks:
        return sample_seconds
    per_notebook = max(0.0, sample_seconds - runs * startup) / sampled
    return topics * startup + notebooks * per_notebook


def _nbgrader() -> str:
    return str(Path(sys.executable).parent / "nbgrader")


# ------------------------------------------------------------------ mmqb
class TreeMemory:
    """Samples the RSS of a process tree: the peak of the root, of each worker, of any sandbox child."""

    def __init__(self, root_pid: int, interval: float = 0.1) -> None:
        import psutil

        self.root = psutil.Process(root_pid)
        self.interval = interval
        self.peak_root = 0
        self.peak_worker = 0  # a warm worker process itself
        self.peak_child = 0  # any process below a worker (the sandboxed phases)
        self.ungraded_first_run = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        try:
            self.peak_root = max(self.peak_root, self.root.memory_info().rss)
            children = self.root.children(recursive=True)
        except psutil.Error:
            return
        for proc in children:
            try:
                rss = proc.memory_info().rss
                # a worker is a child of the grader; its sandboxed phases are forks (same command line)
                is_worker = proc.ppid() == self.root.pid
            except psutil.Error:
                continue
            if is_worker:
                self.peak_worker = max(self.peak_worker, rss)
            else:
                self.peak_child = max(self.peak_child, rss)

    def _run(self) -> None:
        while not self.stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self) -> TreeMemory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def run_mmqb(course: Path, slugs: list[str], workers: int) -> tuple[float, TreeMemory]:
    """Seconds for ``mmqb autograde`` of the whole course (a fresh process, workers started inside)."""
    cmd = [str(Path(sys.executable).parent / "mmqb"), "autograde", *slugs, "--course", str(course),
           "--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with TreeMemory(proc.pid) as memory:
        out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        text = (out + err).decode(errors="replace")
        if "not graded (nothing recorded" not in text:
            raise click.ClickException(f"mmqb autograde failed: {text[-2000:]}")
        # Engine faults are never graded and the next run grades them: say so, then complete the
        # course (untimed) so that the scores can be compared.
        click.echo("mmqb autograde: some submissions NOT GRADED in the timed run (engine faults):\n"
                   + "\n".join(line for line in text.splitlines() if "not graded:" in line)[-2000:])
        again = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
        if again.returncode != 0:
            raise click.ClickException(f"mmqb autograde failed twice: {(again.stdout + again.stderr)[-2000:]}")
        memory.ungraded_first_run = sum(1 for line in text.splitlines() if ": not graded:" in line)
    return elapsed, memory


def submission_times(course: Path) -> dict[tuple[str, str], float]:
    """``(assignment, student) -> seconds`` the engine spent on it, from each ``.mmqb.json``."""
    from autograder.course.course import Course

    times = {}
    for path in Course(course).result_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        times[(path.parent.name, path.parent.parent.name)] = float(data.get("execution_time", 0.0))
    return times


# ------------------------------------------------------------------ the physical limit
def _stub_cell(slug: str) -> str:
    release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
    return next(c.source for c in release.cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))


def physical_limit(kinds: dict[tuple[str, str], str]) -> dict[str, float]:
    """Seconds per topic to run every suite on every answer in this one warm process, unisolated."""
    import keras

    from autograder.checks import load_suite

    slugs = sorted({slug for slug, _ in kinds})
    suites = {slug: load_suite(slug) for slug in slugs}
    stubs = {slug: _stub_cell(slug) for slug in slugs}
    per_topic = dict.fromkeys(slugs, 0.0)
    for (slug, student), kind in sorted(kinds.items()):
        code = submission_code(slug, kind, int(student[1:])) or stubs[slug]
        start = time.perf_counter()
        keras.utils.set_random_seed(0)
        try:
            ns = namespace_of(code, "answer")
        except Exception:  # noqa: BLE001 - an answer that fails to define itself defines nothing
            ns = {}
        suites[slug].run(ns)
        per_topic[slug] += time.perf_counter() - start
    return per_topic


# ------------------------------------------------------------------ sandbox overhead and memory
def sandbox_overhead(isolation: str = "require", repeats: int = 10) -> dict[str, float]:
    """Seconds of one trivial submission (no cell, no probe: fork, isolation, setup, the
    visible/hidden handshake with an empty list of hidden probes).

    Medians over ``repeats`` submissions on one warm worker; ``isolation`` is the worker's
    policy (``"off"`` measures the fork alone).
    """
    from autograder.checks import SETUP_SOURCE
    from autograder.engine import Limits, WarmWorker, forbidden_paths

    worker = WarmWorker(0, isolation=isolation)
    try:
        worker.start()
        job = {"setup": SETUP_SOURCE, "cells": [], "probes": [], "forbidden": forbidden_paths()}
        total = []
        for _ in range(repeats):
            start = time.perf_counter()
            visible, hidden = worker.run_submission(job, Limits(), hidden_probes=b"[]")
            total.append(time.perf_counter() - start)
            if visible.isolation is None or visible.status or hidden is None or hidden.status or not hidden.finished:
                failed = hidden if hidden is not None and hidden.status else visible
                raise click.ClickException(f"the trivial submission failed: {failed.status} "
                                           f"{failed.detail or visible.isolation_failure}")
        return {"mode": worker.mode, "submission": statistics.median(total)}
    finally:
        worker.close()


def worker_baseline_rss() -> int:
    """RSS of a fresh Python right after importing TensorFlow and Keras (a worker's fixed cost)."""
    code = ("import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='2'; import tensorflow, keras;"
            "print(int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env())
    return int(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ profile of the references
def profile_references(slugs: list[str], workdir: Path) -> dict[str, dict[str, float]]:
    """Where grading each topic's reference goes, stage by stage, on one warm worker (seconds).

    ``load`` reads and validates the notebook; ``sandbox`` is the sandboxed child as the grader
    waits for it (fork, isolation, the cells, the visible and hidden probes, the results);
    ``judge`` the verdicts here; ``suite`` the same checks run in this process unisolated
    (probes and verdicts: the topic's own compute); ``heaviest`` the slowest check there.
    """
    import keras

    from autograder.checks import load_suite
    from autograder.engine import Limits, WarmWorker, judge, run_probes
    from autograder.engine.submission import read_submission

    workdir.mkdir(parents=True, exist_ok=True)
    known = {t.slug for t in all_topics()}
    worker = WarmWorker(0, isolation="require")
    profile = {}
    try:
        worker.start()
        for slug in tqdm(slugs, desc="profile", unit="topic", file=sys.stderr):
            release = nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)
            path = workdir / f"{slug}.ipynb"
            nbformat.write(submission_notebook(release, reference_cell(slug)), path)
            suite = load_suite(slug)
            t0 = time.perf_counter()
            sub = read_submission(path, expected_slug=slug, known_slugs=known)
            t1 = time.perf_counter()
            visible, hidden = run_probes(sub, suite, worker, Limits())
            t2 = time.perf_counter()
            results = judge(suite, visible, hidden)
            t3 = time.perf_counter()
            ns = namespace_of(reference_cell(slug), "answer")
            checks = {}
            for check in suite.checks:
                keras.utils.set_random_seed(0)
                start = time.perf_counter()
                check.run(ns)
                checks[check.id] = time.perf_counter() - start
            heaviest = max(checks, key=checks.get)
            profile[slug] = {
                "load": t1 - t0, "sandbox": visible.elapsed,
                "wait": t2 - t1, "judge": t3 - t2, "total": t3 - t0,
                "suite": sum(checks.values()), "heaviest": heaviest, "heaviest_seconds": checks[heaviest],
                "passed": all(r.passed for r in results),
            }
    finally:
        worker.close()
    return profile


def format_profile(profile: dict[str, dict[str, float]]) -> str:
    """The profile as a table, slowest topic first."""
    lines = [f"{'topic':<28}{'total':>7}{'load':>6}{'sandbox':>8}{'judge':>6}{'suite':>7}"
             "  heaviest check (in-process s)"]
    for slug, p in sorted(profile.items(), key=lambda kv: -kv[1]["total"]):
        flag = "" if p["passed"] else "  REFERENCE NOT FULL SCORE"
        lines.append(f"{slug:<28}{p['total']:>7.2f}{p['load']:>6.2f}{p['sandbox']:>8.2f}"
                     f"{p['judge']:>6.2f}{p['suite']:>7.2f}  {p['heaviest']} ({p['heaviest_seconds']:.2f}){flag}")
    return "\n".join(lines)


# ------------------------------------------------------------------ the whole run
def _conditions() -> dict[str, object]:
    load = os.getloadavg()
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "load_average_1m": round(load[0], 2), "machine": platform.machine(),
            "python": platform.python_version(), "euid": os.geteuid()}


def run_benchmark(workdir: Path, students: int, topics: list[str] | None, workers: int,
                  nbgrader_sample: int | None = None, profile: bool = False, overhead_repeats: int = 10) -> dict:
    """Run the whole comparison; print and return the figures (also in ``workdir/benchmark.json``)."""
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be an int, got {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    known = [t.slug for t in all_topics()]
    slugs = [s for s in known if not topics or s in topics or s[:3] in topics]
    if topics and len(slugs) != len(set(topics)):
        raise ValueError(f"unknown topics in {topics}; expected slugs or ids of {known[0]}..{known[-1]}")
    conditions = _conditions()
    click.echo(f"mmqb benchmark · {conditions['date']} · {conditions['cpus']} CPU(s), load average "
               f"{conditions['load_average_1m']} at start · Python {conditions['python']} · "
               f"{'root' if conditions['euid'] == 0 else 'normal user'}")
    if workdir.exists():
        shutil.rmtree(workdir)
    base = workdir / "base"
    kinds = build_cohort(base, slugs, students)
    n = len(kinds)
    click.echo(f"cohort: {students} students x {len(slugs)} topics = {n} notebooks ({', '.join(KINDS)} in turn)")

    sample = sample_submissions(kinds, nbgrader_sample)
    theirs = workdir / "nbgrader"
    shutil.copytree(base, theirs)
    t_sample, runs = run_nbgrader(theirs, sample)
    startup = nbgrader_startup(theirs, slugs[0]) if len(sample) < n else 0.0
    t_nbgrader = scale_nbgrader(t_sample, runs, len(sample), startup, n, len(slugs))
    per_nb_nbgrader = t_nbgrader / n
    if len(sample) < n:
        click.echo(f"nbgrader autograde: SAMPLED {len(sample)} of {n} notebooks (spread over topics and kinds) "
                   f"in {runs} runs, {t_sample:.1f} s; one run's start {startup:.1f} s; SCALED to {n} notebooks "
                   f"in {len(slugs)} runs: {t_nbgrader:.1f} s = {per_nb_nbgrader:.2f} s per notebook "
                   "(its cost per notebook is about constant: a kernel start and the TensorFlow import each)")
    else:
        click.echo(f"nbgrader autograde: all {n} notebooks in {t_nbgrader:.1f} s = {per_nb_nbgrader:.2f} s "
                   "per notebook")

    ours = workdir / "mmqb"
    shutil.copytree(base, ours)
    t_mmqb, memory = run_mmqb(ours, slugs, workers)
    click.echo(f"mmqb autograde --workers {workers}: {n} notebooks in {t_mmqb:.1f} s = {t_mmqb / n:.3f} s per "
               "notebook (a fresh process: starting the workers is included)")

    from autograder.course.course import Course
    from autograder.course.gradebook import cell_scores

    problems = compare_scores(cell_scores(Course(theirs), slugs), cell_scores(Course(ours), slugs), sample)
    if problems:
        raise click.ClickException("per-cell scores differ (nbgrader vs mmqb):\n  " + "\n  ".join(problems[:50]))
    cells = sum(1 for k in cell_scores(Course(theirs), slugs) if k[:2] in set(sample))
    click.echo(f"per-cell scores identical on all {cells} graded cells of the {len(sample)} notebooks "
               "nbgrader graded")

    limit = physical_limit(kinds)
    t_limit = sum(limit.values())
    cores = min(workers, os.cpu_count() or 1)
    floor = t_limit / cores
    times = submission_times(ours)
    click.echo(f"physical limit: {t_limit:.1f} s in one warm process ({t_limit / n:.3f} s per notebook); "
               f"on {cores} core(s) the floor is {floor:.1f} s")

    click.echo(f"\n{'topic':<28}{'mmqb s/nb':>10}{'max':>7}{'limit s/nb':>11}{'ratio':>7}")
    per_topic = {}
    for slug in slugs:
        ts = [t for (s, _), t in times.items() if s == slug]
        count = sum(1 for s, _ in kinds if s == slug)
        mean = sum(ts) / len(ts) if ts else float("nan")
        lim = limit[slug] / count
        per_topic[slug] = {"mmqb_mean": round(mean, 3), "mmqb_max": round(max(ts, default=0.0), 3),
                           "limit_mean": round(lim, 3)}
        click.echo(f"{slug:<28}{mean:>10.3f}{max(ts, default=0.0):>7.2f}{lim:>11.3f}{mean / lim:>7.1f}")
    click.echo("(mmqb s/nb: the engine's time per submission in a worker, from .mmqb.json; "
               "limit s/nb: the same checks unisolated in one process)")

    full = sandbox_overhead("require", overhead_repeats)
    bare = sandbox_overhead("off", overhead_repeats)
    click.echo(f"\nsandbox overhead, trivial submission (median of {overhead_repeats}): "
               f"{full['submission'] * 1000:.0f} ms with isolation ({full['mode']}), "
               f"{bare['submission'] * 1000:.0f} ms forks alone: "
               f"isolation adds {(full['submission'] - bare['submission']) * 1000:.0f} ms")

    baseline = worker_baseline_rss()
    peak_worker = max(memory.peak_worker, memory.peak_child)
    click.echo(f"memory: peak RSS of a worker or its sandboxed children {peak_worker / 2**20:.0f} MiB, "
               f"a bare TensorFlow import {baseline / 2**20:.0f} MiB: {(peak_worker - baseline) / 2**20:.0f} MiB "
               f"beyond TensorFlow's own; coordinator peak {memory.peak_root / 2**20:.0f} MiB")

    figures = {
        "conditions": conditions, "notebooks": n, "topics": len(slugs), "students": students, "workers": workers,
        "kinds": list(KINDS),
        "nbgrader_sampled_notebooks": len(sample), "nbgrader_sample_seconds": round(t_sample, 2),
        "nbgrader_runs_in_sample": runs, "nbgrader_run_start_seconds": round(startup, 2),
        "nbgrader_seconds_per_notebook": round(per_nb_nbgrader, 3),
        "nbgrader_seconds": round(t_nbgrader, 2), "nbgrader_scaled": len(sample) < n,
        "mmqb_seconds": round(t_mmqb, 2), "mmqb_seconds_per_notebook": round(t_mmqb / n, 4),
        "physical_limit_seconds": round(t_limit, 2), "physical_floor_seconds": round(floor, 2),
        "speedup_vs_nbgrader": round(t_nbgrader / t_mmqb, 1),
        "ratio_to_physical_floor": round(t_mmqb / floor, 2),
        "identical_cells": cells, "per_topic": per_topic,
        "sandbox_overhead_ms": {"isolated": round(full["submission"] * 1000, 1),
                                "no_isolation": round(bare["submission"] * 1000, 1), "mode": full["mode"]},
        "peak_worker_rss_mib": round(peak_worker / 2**20), "tensorflow_rss_mib": round(baseline / 2**20),
        "peak_beyond_tensorflow_mib": round((peak_worker - baseline) / 2**20),
        "coordinator_peak_rss_mib": round(memory.peak_root / 2**20),
        "mmqb_not_graded_in_timed_run": memory.ungraded_first_run,
    }
    click.echo(f"\nwhole run: mmqb is {figures['speedup_vs_nbgrader']}x faster than nbgrader"
               f"{' (sampled and scaled)' if figures['nbgrader_scaled'] else ''} and "
               f"{figures['ratio_to_physical_floor']}x the physical floor on {cores} core(s)")
    if profile:
        figures["profile"] = profile_references(slugs, workdir / "profile")
        click.echo("\nwhere a reference's grading goes (seconds, one warm worker):\n"
                   + format_profile(figures["profile"]))
    (workdir / "benchmark.json").write_text(json.dumps(figures, indent=1))
    click.echo(f"figures: {workdir / 'benchmark.json'}")
    return figures
