"""The ``mmqb`` command line: thin commands over the library's API.

Every option that has a course-wide setting defaults to it (``c.Mmqb.*`` and nbgrader's
``CourseDirectory`` in ``nbgrader_config.py``; the engine's own defaults otherwise), so the
command line never restates a default. Errors mmqb raises on purpose (:class:`MmqbError`) become
one line and a non-zero exit; ``--verbose`` turns on the diagnostics the modules log.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

# Every path that may import TensorFlow (here or in a kernel we start) must be quiet:
# nbgrader scores a graded cell with stderr output as 0.
from autograder.engine.settings import QUIET_ENV  # noqa: E402 - stdlib only, before any TensorFlow import

for _name, _value in QUIET_ENV.items():
    os.environ.setdefault(_name, _value)
# nbgrader runs `alembic` and `jupyter` from PATH: make this environment's scripts found
# even when mmqb is called by its full path without activating the venv.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# jsonschema (under nbformat) imports rfc3987_syntax when it is installed, only to check the
# "iri" string format, and that package builds 38 lark grammars at import: about a second of
# every command that reads a notebook. No notebook schema uses that format.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


@click.group()
@click.version_option(package_name="mmqb")
@click.option("-v", "--verbose", is_flag=True, help="Log the engine's diagnostics to stderr.")
def main(verbose: bool) -> None:
    """mmqb: question bank and autograder for multimodal deep learning."""
    # mmqb's own loggers only ("mmqb.*"): nbgrader and traitlets keep their own handlers
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mmqb: %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("mmqb")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False


@main.command()
@click.argument("topics", nargs=-1)
def build(topics: tuple[str, ...]) -> None:
    """Generate source/ and release/ notebooks (all topics, or the given slugs/ids)."""
    from autograder.build import build as run_build

    sources, releases = run_build(list(topics) or None)
    click.echo(f"built {len(sources)} source and {len(releases)} release notebooks")


@main.command()
@click.option("--course", "course_dir", type=click.Path(file_okay=False), default="build/demo_course",
              show_default=True, help="Folder for the sample course (recreated).")
@click.option("--topics", "topic_list", default="", help="Comma-separated slugs or ids (default: all).")
@click.option("--workers", type=int, default=2, show_default=True, help="Warm grading workers.")
def demo(course_dir: str, topic_list: str, workers: int) -> None:
    """Build, make a sample cohort, grade it with mmqb autograde, print scores and the report."""
    from autograder.demo import run_demo

    selected = [t for t in topic_list.split(",") if t] or None
    run_demo(Path(course_dir), selected, workers)


def _limits(timeout: float | None, memory: int | None):
    """The engine's default limits (``c.Mmqb``'s defaults), with the command line's overrides."""
    from autograder.engine.settings import Mmqb

    try:
        return Mmqb().limits(timeout, memory)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_NO_ISOLATION = click.option("--no-isolation", is_flag=True,
                             help="Grade without a sandbox (UNSAFE: student code runs as you); every result says so.")


def _refused(exc: Exception) -> None:
    click.echo(f"mmqb: refusing to grade: {exc}", err=True)
    raise SystemExit(2)


# What makes a folder an nbgrader course: any of these (nbgrader itself needs none of them to
# exist, so without the check a typo in --course would create an empty gradebook there).
COURSE_MARKS = ("nbgrader_config.py", "gradebook.db", "source", "release", "submitted", "autograded")


def _course_folder(course_dir: str) -> Path:
    """``course_dir`` if it looks like an nbgrader course folder; else a one-line refusal, nothing written."""
    path = Path(course_dir)
    if not any((path / mark).exists() for mark in COURSE_MARKS):
        where = "this folder" if course_dir == "." else str(path)
        raise click.ClickException(f"{where} is not an nbgrader course folder (no nbgrader_config.py, source/ "
                                   "or submitted/): run in the course folder or pass --course DIR")
    return path


@main.command()
@click.argument("notebooks", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--timeout", type=float, default=None, help="Wall seconds per submission [c.Mmqb.timeout, 120].")
@click.option("--memory", type=int, default=None, help="MiB per submission beyond TensorFlow [c.Mmqb.memory_mib].")
@click.option("--topic", default=None, help="The topic every NOTEBOOK is graded as (slug or id) "
              "[each file's name, e.g. t05_attention.ipynb].")
@_NO_ISOLATION
def grade(notebooks: tuple[str, ...], fmt: str, timeout: float | None, memory: int | None, topic: str | None,
          no_isolation: bool) -> None:
    """Grade filled release notebooks in a sandbox; print a table or Gradescope JSON.

    Every notebook gets an answer: its score, or score 0 and the reason when it cannot be graded
    as its topic (not a notebook, malformed, too large, another topic's). The topic is --topic,
    else the file's name; a notebook whose metadata names another topic is refused.

    Exit status: 0 every notebook graded; 1 some notebook invalid or not graded (still reported);
    2 grading refused (student code cannot be isolated here; --no-isolation overrides).
    """
    import json

    from autograder.engine import EngineFault, IsolationUnavailable, WarmWorker, grade_path
    from autograder.results import format_table
    from autograder.topics import get_topic

    limits = _limits(timeout, memory)
    try:
        slug = get_topic(topic).slug if topic else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--topic") from None
    worker = WarmWorker(0, isolation="off" if no_isolation else "require")
    try:
        worker.start()
        results = [grade_path(Path(nb), worker, limits, expected_slug=slug) for nb in notebooks]
    except (IsolationUnavailable, EngineFault) as exc:
        _refused(exc)
    finally:
        worker.close()
    if fmt == "json":
        payload = results[0].gradescope() if len(results) == 1 else [r.gradescope() for r in results]
        click.echo(json.dumps(payload, indent=1, ensure_ascii=False))
    else:
        click.echo(format_table(results))
    if any(not r.graded or r.status == "invalid" for r in results):
        raise SystemExit(1)


@main.command()
@click.argument("assignments", nargs=-1, required=True)
@click.option("--course", "course_dir", default=".", show_default=True, type=click.Path(file_okay=False, exists=True),
              help="nbgrader course folder; its nbgrader_config.py gives the defaults of every option below.")
@click.option("--workers", type=int, default=None, help="Warm workers in the local pool [c.Mmqb.workers, 2].")
@click.option("--scheduler", default=None, help="dask.distributed scheduler address, tls://host:port "
              "[c.Mmqb.scheduler].")
@click.option("--cluster-credentials", type=click.Path(file_okay=False), default=None,
              help="Folder of the cluster's TLS credentials [c.Mmqb.cluster_credentials].")
@click.option("--insecure-scheduler", is_flag=True, default=None,
              help="Accept a scheduler without TLS (anyone who reaches it runs code on the workers).")
@click.option("--db", "db_url", default=None, help="Gradebook SQLAlchemy URL [c.CourseDirectory.db_url].")
@click.option("--timeout", type=float, default=None, help="Wall seconds per submission [c.Mmqb.timeout, 120].")
@click.option("--memory", type=int, default=None, help="MiB per submission beyond TensorFlow [c.Mmqb.memory_mib].")
@click.option("--force", is_flag=True, help="Regrade submissions that were already graded.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None, help="Also export scores as CSV.")
@click.option("--gradescope", "gradescope_dir", type=click.Path(file_okay=False), default=None,
              help="Also write a Gradescope results.json per submission under this folder.")
@_NO_ISOLATION
def autograde(assignments: tuple[str, ...], course_dir: str, workers: int | None, scheduler: str | None,
              cluster_credentials: str | None, insecure_scheduler: bool | None, db_url: str | None,
              timeout: float | None, memory: int | None, force: bool, csv_path: str | None,
              gradescope_dir: str | None, no_isolation: bool) -> None:
    """Grade an nbgrader course's submissions into its gradebook, in sandboxes.

    Exits with status 1 when some submissions could not be graded (the engine failed on them, or
    their folder cannot be graded as it is, e.g. an unreadable timestamp.txt): they are listed as
    "not graded: <reason>", nothing of them is recorded, and the next run grades them. The rest
    of the batch is graded either way; status 2: grading refused (no isolation possible).
    """
    from autograder.course.autograde import autograde as run_autograde
    from autograder.errors import EngineFault, IsolationUnavailable, MmqbError

    try:
        summary = run_autograde(_course_folder(course_dir), list(assignments), workers=workers, scheduler=scheduler,
                                cluster_credentials=Path(cluster_credentials) if cluster_credentials else None,
                                insecure_scheduler=insecure_scheduler, db_url=db_url, timeout=timeout,
                                memory_mib=memory, force=force,
                                isolation="off" if no_isolation else "require",
                                csv_path=Path(csv_path) if csv_path else None,
                                gradescope_dir=Path(gradescope_dir) if gradescope_dir else None)
    except (IsolationUnavailable, EngineFault) as exc:
        _refused(exc)
    except (MmqbError, ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None
    problems = [(t, r) for t, r in summary.graded if r.status != "ok"]
    click.echo(f"graded {len(summary.graded)}, skipped {len(summary.skipped)} already graded"
               + (f", {len(summary.busy)} being graded by another run" if summary.busy else "")
               + (f", {len(problems)} with problems:" if problems else ""))
    for task, result in problems:
        click.echo(f"  {task.student}/{task.assignment}: {result.status}: {result.message}")
    not_graded = [(t, r.message) for t, r in summary.ungraded] + summary.problems
    if not_graded:
        click.echo(f"{len(not_graded)} submission(s) not graded (nothing recorded; fix and run again):", err=True)
        for task, reason in not_graded:
            click.echo(f"  {task.student}/{task.assignment}: not graded: {reason}", err=True)
        raise SystemExit(1)


@main.command()
@click.argument("assignment")
@click.option("--course", "course_dir", default=".", show_default=True, type=click.Path(file_okay=False, exists=True),
              help="nbgrader course folder that `mmqb autograde` graded.")
@click.option("--student", default=None, help="Only this student's page (default: every graded submission).")
@click.option("--db", "db_url", default=None, help="Gradebook SQLAlchemy URL [c.CourseDirectory.db_url].")
def feedback(assignment: str, course_dir: str, student: str | None, db_url: str | None) -> None:
    """Write the feedback pages of ASSIGNMENT again with the gradebook's manual grades and comments.

    Run it after grading the written answers in the formgrader, instead of `nbgrader
    generate_feedback`; then `nbgrader release_feedback ASSIGNMENT` ships the pages. Exits with
    status 1 when a submission in the gradebook gets no page (not graded by `mmqb autograde`).
    """
    from autograder.course.feedback import write_feedback
    from autograder.errors import MmqbError

    try:
        summary = write_feedback(_course_folder(course_dir), assignment, student=student, db_url=db_url)
    except (MmqbError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for page in summary.pages:
        pending = ", ".join(w.grade_id for w in page.marks.pending)
        click.echo(f"  {page.student}: {page.marks.final:g} / {page.marks.max_score:g}"
                   + (f" ({pending} not graded yet)" if pending else ""))
    click.echo(f"wrote {len(summary.pages)} feedback page(s) of {assignment}; "
               f"ship them with: nbgrader release_feedback {assignment}")
    if summary.skipped:
        click.echo(f"{len(summary.skipped)} submission(s) without a page:", err=True)
        for who, why in summary.skipped:
            click.echo(f"  {who}: {why}", err=True)
        raise SystemExit(1)


@main.command("cluster-credentials")
@click.argument("folder", type=click.Path(file_okay=True))
@click.option("--host", default="HOST", help="The scheduler's host name, for the printed commands.")
@click.option("--port", type=int, default=8786, show_default=True, help="The scheduler's port.")
def cluster_credentials(folder: str, host: str, port: int) -> None:
    """Make a dask cluster only the grader can use: a CA for the course and one member certificate.

    Writes FOLDER (mode 0700) with ca.pem, member.pem and member.key (0600), then prints the
    commands that start the scheduler and a worker with TLS and grade through them. Whoever cannot
    read FOLDER cannot connect. Keep it outside the course folder, /usr, /etc and the virtualenv.
    """
    from autograder.engine import ClusterError, make_credentials

    try:
        creds = make_credentials(Path(folder))
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {creds.ca}, {creds.cert} and {creds.key} (only you can read the key)")
    click.echo("start the cluster as the grading user (as root, each worker process leases its own sandbox uids):")
    for command in creds.commands(host, port):
        click.echo(f"  {command}")


@main.command()
@click.argument("topics", nargs=-1, required=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default="autograder.zip", show_default=True,
              help="The archive to write (upload it as the assignment's autograder on Gradescope).")
@click.option("--timeout", type=float, default=None, help="Wall seconds per notebook [c.Mmqb.timeout, 120].")
@click.option("--memory", type=int, default=None, help="MiB per notebook beyond TensorFlow [c.Mmqb.memory_mib].")
def gradescope(topics: tuple[str, ...], out_path: str, timeout: float | None, memory: int | None) -> None:
    """Build a Gradescope autograder archive (setup.sh, run_autograder) grading TOPICS with the engine."""
    from autograder.gradescope import build_archive

    try:
        out = build_archive(list(topics), Path(out_path), _limits(timeout, memory))
    except (ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Gradescope autograder for {', '.join(topics)}: {out}")


@main.command()
@click.option("--students", type=click.IntRange(min=1), default=8, show_default=True,
              help="Submissions per topic: reference, mutant, stub and seed in turn.")
@click.option("--topics", "topic_list", default="", help="Comma-separated slugs or ids (default: all).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--nbgrader-sample", type=click.IntRange(min=1), default=None,
              help="Grade only this many notebooks with nbgrader (spread over topics and kinds) and scale "
                   "its time per notebook to the cohort (default: all).")
@click.option("--profile", is_flag=True, help="Also profile each topic's reference grading, stage by stage.")
@click.option("--workdir", type=click.Path(file_okay=False), default="build/benchmark", show_default=True)
def benchmark(students: int, topic_list: str, workers: int, nbgrader_sample: int | None, profile: bool,
              workdir: str) -> None:
    """Time nbgrader autograde vs mmqb autograde vs the physical limit on one cohort (whole course by default)."""
    from autograder.benchmark import run_benchmark

    try:
        run_benchmark(Path(workdir), students, [t for t in topic_list.split(",") if t] or None, workers,
                      nbgrader_sample=nbgrader_sample, profile=profile)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--course", "course_dir", default=".", show_default=True, type=click.Path(file_okay=False, exists=True),
              help="nbgrader course folder that `mmqb autograde` graded (its nbgrader_config.py gives the gradebook).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="HTML page to write (default: COURSE/report.html).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Also export one row per (assignment, student) as CSV.")
@click.option("--db", "db_url", default=None, help="Gradebook SQLAlchemy URL [c.CourseDirectory.db_url].")
@click.option("--lms", "lms_path", type=click.Path(dir_okay=False), default=None,
              help="Also write a final-grade CSV (one row per student) for a Canvas or Moodle gradebook import.")
@click.option("--lms-format", type=click.Choice(["canvas", "moodle"]), default="canvas", show_default=True,
              help="The --lms CSV's student columns: Canvas's (SIS User ID ...) or Moodle's (ID number ...).")
@click.option("--similarity/--no-similarity", default=True, show_default=True,
              help="Compare the students' solution cells and show the pairs that are unusually alike.")
def report(course_dir: str, out_path: str | None, csv_path: str | None, db_url: str | None, lms_path: str | None,
           lms_format: str, similarity: bool) -> None:
    """Write a self-contained HTML report of a graded course: students, checks to review, crashes, times."""
    from autograder.report import write_report

    out = Path(out_path) if out_path else Path(course_dir) / "report.html"
    try:
        summary = write_report(_course_folder(course_dir), out, Path(csv_path) if csv_path else None, db_url,
                               Path(lms_path) if lms_path else None, lms_format, similarity)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    problems = sum(n for status, n in summary.status_counts.items() if status != "ok")
    click.echo(f"{summary.students} students, {summary.submissions} submissions, {problems} not ok, "
               f"{summary.needs_manual_grading} need manual grading")
    for assignment in summary.assignments:
        click.echo(f"  {assignment}: mean {summary.mean_score[assignment]:.2f}/{summary.max_score[assignment]:g}")
    click.echo(f"report: {out}" + (f"; CSV: {csv_path}" if csv_path else "")
               + (f"; LMS grades ({lms_format}): {lms_path}" if lms_path else ""))


_WORKSPACE = click.option("--workspace", type=click.Path(file_okay=False), default=None,
                          help="Practice folder (default: ~/mmqb-workspace).")


def _workspace(path: str | None) -> Path:
    from autograder.selfstudy.workspace import DEFAULT_WORKSPACE

    return Path(path) if path else DEFAULT_WORKSPACE


@main.command()
@click.argument("topic", required=False)
@_WORKSPACE
@click.option("--no-lab", is_flag=True, help="Only copy the notebooks; do not start JupyterLab.")
@click.option("--port", type=int, default=None, help="JupyterLab port.")
def practice(topic: str | None, workspace: str | None, no_lab: bool, port: int | None) -> None:
    """Copy release notebooks (all, or TOPIC) into a workspace and start JupyterLab there."""
    from autograder.selfstudy.workspace import copy_release, start_lab
    from autograder.topics import all_topics, get_topic

    folder = _workspace(workspace)
    try:
        topics = [get_topic(topic)] if topic else all_topics()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    paths = copy_release(folder, topics)
    click.echo(f"{len(paths)} notebook(s) in {folder} (your own copies are never overwritten)")
    click.echo(f"check one with: mmqb check {paths[0]}")
    if not no_lab:
        raise SystemExit(start_lab(folder, port))


def _notebook_to_check(notebook: str) -> Path:
    """The notebook ``mmqb check`` was given, or a one-line error that says what to give instead."""
    import difflib

    from autograder.topics import all_topics

    path = Path(notebook)
    slugs = [t.slug for t in all_topics()]
    if path.suffix != ".ipynb":
        raise click.ClickException(f"{notebook} is not a notebook: `mmqb check` takes an exercise's notebook, "
                                   f"like t05_attention.ipynb")
    if not path.is_file():
        here = sorted(p.name for p in path.parent.glob("*.ipynb")) if path.parent.is_dir() else []
        near = difflib.get_close_matches(path.name, here, n=3, cutoff=0.6)
        raise click.ClickException(f"no notebook {notebook}" + (f"; did you mean {' or '.join(near)}?" if near else ""))
    if path.stem not in slugs:
        near = difflib.get_close_matches(path.stem, slugs, n=1, cutoff=0.5)
        raise click.ClickException(f"{path.name} is not named after an exercise of the bank: mmqb finds the "
                                   f"exercise by the file name, like the release's "
                                   f"{(near[0] if near else 't05_attention')}.ipynb")
    return path


@main.command()
@click.argument("notebook", type=click.Path(dir_okay=False))
@click.option("--workspace", type=click.Path(file_okay=False), default=None,
              help="Where your progress is kept (default: the notebook's folder).")
@click.option("--timeout", type=float, default=120.0, show_default=True,
              help="Wall seconds for your code and the checks.")
def check(notebook: str, workspace: str | None, timeout: float) -> None:
    """Grade a notebook locally: per-check feedback, score, and progress over the bank."""
    import shutil

    from autograder.selfstudy.client import check_notebook
    from autograder.selfstudy.textlayout import wrap

    path = _notebook_to_check(notebook)
    folder = Path(workspace) if workspace else path.resolve().parent
    _, text = check_notebook(path, folder, timeout)
    # wrapped once, between words, by display width (the terminal would cut words in two)
    click.echo("\n".join(wrap(text, shutil.get_terminal_size((100, 24)).columns)))


@main.command()
@click.argument("topic", required=False)
@_WORKSPACE
def interview(topic: str | None, workspace: str | None) -> None:
    """Interview mode: a concept question, your answer, then the reference's key points."""
    import random

    from autograder.selfstudy.session import interview_key, interview_question
    from autograder.selfstudy.store import Store
    from autograder.topics import all_topics, get_topic

    try:
        chosen = get_topic(topic) if topic else random.choice([t for t in all_topics() if t.is_concept])
        question = interview_question(chosen)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(question)
    click.echo("\nYour answer (finish with an empty line):")
    lines = []
    while True:
        line = click.get_text_stream("stdin").readline()
        if not line or not line.strip():
            break
        lines.append(line.rstrip("\n"))
    answer = "\n".join(lines)
    Store(_workspace(workspace)).record_answer(chosen.slug, answer)
    click.echo("\n" + interview_key(chosen))
    click.echo("\nCompare your answer with the key points above; your answer is saved in the workspace.")


@main.command()
@_WORKSPACE
@click.option("--stats", is_flag=True, help="Show what is due, retention so far and a 14-day forecast; review nothing.")
@click.option("--new", "new_per_day", type=click.IntRange(min=0), default=10, show_default=True,
              help="New (never reviewed) items to introduce per day.")
def review(workspace: str | None, stats: bool, new_per_day: int) -> None:
    """Spaced repetition (FSRS): the interview questions and exercises due today."""
    from autograder.selfstudy.schedule import Schedule
    from autograder.selfstudy.session import Terminal, format_stats, run_session

    folder = _workspace(workspace)
    schedule = Schedule(folder)
    term = Terminal()
    if stats:
        click.echo(format_stats(schedule, schedule.stats(), term.columns))
        return
    summary = run_session(schedule, folder, term, new_per_day)
    if summary.interrupted:
        raise SystemExit(130)


@main.command()
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default="mmqb.apkg", show_default=True,
              help="The Anki package to write.")
def anki(out_path: str) -> None:
    """Write a bilingual Anki deck (.apkg): interview questions and exercises' key ideas."""
    from autograder.selfstudy.anki import write_deck

    notes = write_deck(Path(out_path))
    click.echo(f"{notes} notes in {out_path}; import it in Anki (File > Import): a re-import updates the cards")


if __name__ == "__main__":
    main()
