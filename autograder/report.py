"""``mmqb report``: one self-contained HTML page about a graded course, and a CSV export.

The page is built from two sources that ``mmqb autograde`` writes: nbgrader's gradebook (the
recorded scores and which written answers still need a human) and, beside each autograded
notebook, ``<assignment>.mmqb.json`` (status, every check's verdict, execution time). Plots are
drawn on matplotlib's Agg canvas (pyplot is never touched) and embedded as base64 PNG, so the
page needs no other file.
Every string that a student can influence (student ids, messages) is escaped with
:func:`html.escape`.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATUSES = ("ok", "error", "crashed", "timeout", "memory", "output")
NO_RESULT = "no result"  # in the gradebook, but no .mmqb.json (e.g. graded by plain nbgrader)
STATUS_COLOURS = {"ok": "#4c9a5b", "error": "#c0504d", "crashed": "#8e3b8e", "timeout": "#e08a1e",
                  "memory": "#3b6fb6", "output": "#7f7f7f", NO_RESULT: "#bbbbbb"}


@dataclass
class CheckResult:
    """One check's verdict in one submission."""

    name: str
    group: str
    hidden: bool
    passed: bool


@dataclass
class Row:
    """Everything the report knows about one (assignment, student) submission."""

    assignment: str
    student: str
    score: float
    max_score: float
    status: str
    message: str = ""
    execution_time: float | None = None
    checks: list[CheckResult] = field(default_factory=list)
    needs_manual: bool = False

    @property
    def failed_checks(self) -> list[str]:
        """Names of the checks this submission failed, in suite order."""
        return [c.name for c in self.checks if not c.passed]


@dataclass
class CheckStat:
    """How often one check of one assignment failed."""

    assignment: str
    name: str
    group: str
    hidden: bool
    failed: int
    total: int

    @property
    def rate(self) -> float:
        """Failed fraction of the submissions that ran this check (0 when none did)."""
        return self.failed / self.total if self.total else 0.0


@dataclass
class ReportSummary:
    """The report's figures, for the command line and for tests.

    Attributes:
        students: Distinct students with at least one submission.
        submissions: Number of (assignment, student) submissions.
        assignments: Assignment names, sorted.
        mean_score: Mean autograded score per assignment.
        max_score: Autograded maximum per assignment.
        status_counts: Submissions per status (``ok``, ``error``, ``crashed``, ...).
        needs_manual_grading: Submissions whose written (concept) answers still need a grader.
        needs_manual_by_assignment: The same, per assignment.
        failure_rates: Per assignment, each check's failed fraction.
        median_time: Median execution time (s) per assignment, over submissions with a result file.
        max_time: Maximum execution time (s) per assignment.
        html_path: Where the page was written.
        csv_path: Where the CSV was written, if it was.
    """

    students: int
    submissions: int
    assignments: list[str]
    mean_score: dict[str, float]
    max_score: dict[str, float]
    status_counts: dict[str, int]
    needs_manual_grading: int
    needs_manual_by_assignment: dict[str, int]
    failure_rates: dict[str, dict[str, float]]
    median_time: dict[str, float]
    max_time: dict[str, float]
    html_path: Path
    csv_path: Path | None = None


# --------------------------------------------------------------------------- reading


def _gradebook_rows(db_url: str) -> dict[tuple[str, str], Row]:
    """One row per gradebook submission: autograded score and max, and manual-grading need."""
    from nbgrader.api import Gradebook

    rows: dict[tuple[str, str], Row] = {}
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for sub in gb.assignment_submissions(assignment.name):
                grades = [g for nb in sub.notebooks for g in nb.grades]
                code = [g for g in grades if g.cell.cell_type == "code"]
                written = [g for g in grades if g.cell.cell_type == "markdown"]
                rows[(assignment.name, sub.student_id)] = Row(
                    assignment=assignment.name, student=sub.student_id,
                    score=float(sum(g.score or 0.0 for g in code)),
                    max_score=float(sum(g.max_score or 0.0 for g in code)),
                    status=NO_RESULT, message="no mmqb result file",
                    needs_manual=any(g.needs_manual_grade for g in written))
    return rows


def _read_result(path: Path) -> dict[str, Any] | None:
    """The parsed ``.mmqb.json`` at ``path``, or None when it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _checks(data: dict[str, Any]) -> list[CheckResult]:
    """The check verdicts of one result record."""
    return [CheckResult(str(t.get("name", "?")), str(t.get("group", "")), bool(t.get("hidden")),
                        bool(t.get("passed")))
            for t in data.get("tests") or [] if isinstance(t, dict)]


def _merge_results(course_dir: Path, rows: dict[tuple[str, str], Row]) -> int:
    """Fill ``rows`` from every ``autograded/<student>/<assignment>/*.mmqb.json``; return unreadable count.

    The gradebook's score wins (an instructor may have overridden it); a result file without a
    gradebook submission still makes a row, scored from the file.
    """
    unreadable = 0
    for path in sorted((course_dir / "autograded").glob("*/*/*.mmqb.json")):
        data = _read_result(path)
        if data is None:
            unreadable += 1
            continue
        key = (path.parent.name, path.parent.parent.name)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(assignment=key[0], student=key[1], score=float(data.get("score") or 0.0),
                                  max_score=float(data.get("max_score") or 0.0), status=NO_RESULT)
        row.status = str(data.get("status", "error"))
        row.message = str(data.get("message") or "")
        row.execution_time = float(data.get("execution_time") or 0.0)
        row.checks = _checks(data)
    return unreadable


def collect_rows(course_dir: Path, db_url: str | None = None) -> tuple[list[Row], int]:
    """Every submission of the course, sorted by (assignment, student), and the unreadable-file count.

    Args:
        course_dir: The nbgrader course folder.
        db_url: Gradebook SQLAlchemy URL (default: the course's ``gradebook.db``).

    Returns:
        The rows and how many result files could not be read.
    """
    rows = _gradebook_rows(db_url or _default_db_url(course_dir))
    unreadable = _merge_results(course_dir, rows)
    return sorted(rows.values(), key=lambda r: (r.assignment, r.student)), unreadable


def _default_db_url(course_dir: Path) -> str:
    """The gradebook URL ``mmqb autograde`` uses by default for ``course_dir``."""
    return f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


# --------------------------------------------------------------------------- figures


def _by_assignment(rows: list[Row]) -> dict[str, list[Row]]:
    """Rows grouped by assignment, assignments sorted."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.assignment, []).append(row)
    return dict(sorted(groups.items()))


def check_stats(rows: list[Row]) -> list[CheckStat]:
    """Failure count of every (assignment, check) over the submissions whose result lists it.

    A crashed or timed-out submission lists every check as failed, so it counts; an ``error``
    submission (not gradable at all) lists none and does not.
    """
    stats: dict[tuple[str, str], CheckStat] = {}
    for row in rows:
        for check in row.checks:
            stat = stats.setdefault((row.assignment, check.name),
                                    CheckStat(row.assignment, check.name, check.group, check.hidden, 0, 0))
            stat.total += 1
            stat.failed += 0 if check.passed else 1
    return sorted(stats.values(), key=lambda s: (s.assignment, -s.rate, s.name))


def _times(rows: list[Row]) -> list[float]:
    """Execution times of the rows that have a result file."""
    return [r.execution_time for r in rows if r.execution_time is not None]


def summarise(rows: list[Row], html_path: Path, csv_path: Path | None = None) -> ReportSummary:
    """The report's figures for ``rows``."""
    groups = _by_assignment(rows)
    times = {a: _times(rs) for a, rs in groups.items()}
    failure_rates: dict[str, dict[str, float]] = {a: {} for a in groups}
    for stat in check_stats(rows):
        failure_rates[stat.assignment][stat.name] = stat.rate
    return ReportSummary(
        students=len({r.student for r in rows}),
        submissions=len(rows),
        assignments=list(groups),
        mean_score={a: statistics.fmean(r.score for r in rs) for a, rs in groups.items()},
        max_score={a: max(r.max_score for r in rs) for a, rs in groups.items()},
        status_counts=dict(Counter(r.status for r in rows)),
        needs_manual_grading=sum(r.needs_manual for r in rows),
        needs_manual_by_assignment={a: sum(r.needs_manual for r in rs) for a, rs in groups.items()},
        failure_rates=failure_rates,
        median_time={a: statistics.median(t) for a, t in times.items() if t},
        max_time={a: max(t) for a, t in times.items() if t},
        html_path=html_path,
        csv_path=csv_path,
    )


# --------------------------------------------------------------------------- plots


def _figure(width: float, height: float):
    """A matplotlib figure drawn by the Agg canvas.

    No pyplot: the global backend (say, of the Jupyter kernel this runs in) is left alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _label(text: str) -> str:
    """``text`` safe for a matplotlib label (no mathtext)."""
    return text.replace("$", r"\$")


def _png(fig) -> str:
    """``fig`` as an ``<img>`` tag holding a base64 PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def plot_scores(groups: dict[str, list[Row]]) -> str:
    """Box plot of the autograded score (percent of the maximum) per assignment, points on top."""
    names = list(groups)
    fig = _figure(8, 0.7 * len(names) + 1.2)
    ax = fig.subplots()
    data = [[100 * r.score / r.max_score if r.max_score else 0.0 for r in groups[n]] for n in names]
    ax.boxplot(data, vert=False, widths=0.5, showmeans=True)
    for i, values in enumerate(data, start=1):
        jitter = [i + 0.18 * ((k * 0.618) % 1 - 0.5) for k in range(len(values))]
        ax.scatter(values, jitter, s=14, alpha=0.6, color="#3b6fb6", zorder=3)
    ax.set_yticks(range(1, len(names) + 1),
                  [_label(f"{n} (max {max(r.max_score for r in groups[n]):g})") for n in names])
    ax.set_xlim(-5, 105)
    ax.set_xlabel("autograded score, % of maximum (triangle = mean)")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def plot_check_failures(stats: list[CheckStat]) -> str:
    """One horizontal bar chart per assignment: each check's failure rate, highest first, hidden hatched."""
    per: dict[str, list[CheckStat]] = {}
    for stat in stats:
        per.setdefault(stat.assignment, []).append(stat)
    heights = [0.32 * len(s) + 0.9 for s in per.values()]
    fig = _figure(8, sum(heights))
    axes = fig.subplots(len(per), 1, squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, (assignment, items) in zip(axes[:, 0], per.items(), strict=True):
        labels = [_label(s.name + (" (hidden)" if s.hidden else "")) for s in items]
        rates = [100 * s.rate for s in items]
        bars = ax.barh(range(len(items)), rates, color=["#c0504d" if s.hidden else "#6c8ebf" for s in items])
        for bar, stat in zip(bars, items, strict=True):
            if stat.hidden:
                bar.set_hatch("//")
            ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2,
                    f"{100 * stat.rate:.0f}% ({stat.failed}/{stat.total})", va="center", fontsize=8)
        ax.set_yticks(range(len(items)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 118)
        ax.set_title(_label(assignment), fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    axes[-1, 0].set_xlabel("failure rate, % of submissions that ran the check (red, hatched = hidden check)")
    fig.tight_layout()
    return _png(fig)


def plot_statuses(groups: dict[str, list[Row]]) -> str:
    """Stacked bars: submissions per status, one bar per assignment."""
    names = list(groups)
    statuses = _status_order([r for rs in groups.values() for r in rs])
    fig = _figure(8, 0.55 * len(names) + 1.4)
    ax = fig.subplots()
    left = [0] * len(names)
    for status in statuses:
        counts = [sum(r.status == status for r in groups[n]) for n in names]
        ax.barh(range(len(names)), counts, left=left, label=_label(status),
                color=STATUS_COLOURS.get(status, "#999999"))
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_yticks(range(len(names)), [_label(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("submissions")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title="status", title_fontsize=8)
    return _png(fig)


def plot_times(groups: dict[str, list[Row]]) -> str:
    """Stacked histogram of execution time per submission, coloured by assignment."""
    names = [n for n in groups if _times(groups[n])]
    fig = _figure(8, 3.2)
    ax = fig.subplots()
    ax.hist([_times(groups[n]) for n in names], bins=20, stacked=True, label=[_label(n) for n in names])
    ax.set_xlabel("execution time per submission (s)")
    ax.set_ylabel("submissions")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def _status_order(rows: list[Row]) -> list[str]:
    """The statuses present in ``rows``: known ones in their usual order, then any others."""
    present = {r.status for r in rows}
    return [s for s in (*STATUSES, NO_RESULT) if s in present] + sorted(present - {*STATUSES, NO_RESULT})


# --------------------------------------------------------------------------- HTML

CSS = """body{font-family:system-ui,sans-serif;max-width:62em;margin:1.5em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em}
.card b{display:block;font-size:1.6em}.muted{color:#666;font-size:.9em}img{max-width:100%}
.hidden{color:#a00;font-weight:bold}.bad{color:#a00}pre{white-space:pre-wrap;margin:0;font-size:.85em}"""


def _e(value: object) -> str:
    """``value`` as escaped HTML text."""
    return html.escape(str(value))


def _table(header: list[str], body: list[list[str]], numeric: set[int] | None = None) -> str:
    """An HTML table; ``body`` cells are already HTML, ``header`` cells are escaped."""
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    lines = ["<tr>" + "".join(f"<td class=num>{c}</td>" if i in numeric else f"<td>{c}</td>"
                              for i, c in enumerate(cells)) + "</tr>" for cells in body]
    return f"<table><tr>{head}</tr>\n" + "\n".join(lines) + "</table>"


def _seconds(values: dict[str, float], assignment: str) -> str:
    """A time from ``values`` formatted in seconds, or a dash."""
    return f"{values[assignment]:.1f}" if assignment in values else "–"


def section_summary(summary: ReportSummary, groups: dict[str, list[Row]]) -> str:
    """Headline numbers and one line per assignment."""
    non_ok = sum(n for s, n in summary.status_counts.items() if s != "ok")
    cards = "".join(f'<div class=card><b>{v}</b>{_e(k)}</div>' for k, v in (
        ("students", summary.students), ("submissions", summary.submissions),
        ("not ok (error, crash, timeout ...)", non_ok), ("need manual grading", summary.needs_manual_grading)))
    body = []
    for a, rows in groups.items():
        mean, top = summary.mean_score[a], summary.max_score[a]
        pct = f"{100 * mean / top:.0f}%" if top else "–"
        body.append([_e(a), str(len(rows)), f"{mean:.2f} / {top:g}", pct,
                     str(sum(r.status != "ok" for r in rows)), str(summary.needs_manual_by_assignment[a])])
    table = _table(["assignment", "submissions", "mean autograded score", "mean %", "not ok", "need manual grading"],
                   body, numeric={1, 2, 3, 4, 5})
    return f"<h2 id=summary>Summary</h2><div class=cards>{cards}</div>{table}"


def section_scores(groups: dict[str, list[Row]]) -> str:
    """Score distribution per assignment."""
    return ("<h2 id=scores>Score distribution</h2><p class=muted>Autograded score as a percentage of the "
            "assignment's autograded maximum; written answers are not included.</p>" + plot_scores(groups))


def section_checks(stats: list[CheckStat]) -> str:
    """Failure rate of every check, per assignment: plot and table."""
    if not stats:
        return "<h2 id=checks>Check failure rates</h2><p>No check results yet.</p>"
    body = [[_e(s.assignment), _e(s.name), _e(s.group), "<span class=hidden>hidden</span>" if s.hidden else "visible",
             f"{s.failed}/{s.total}", f"{100 * s.rate:.0f}%"] for s in stats]
    table = _table(["assignment", "check", "group", "visibility", "failed", "failure rate"], body, numeric={4, 5})
    return ("<h2 id=checks>Check failure rates</h2><p class=muted>Share of the submissions that ran each check "
            "and failed it (a crash or timeout fails every check; an ungradable notebook runs none). Hidden "
            "checks are red and hatched.</p>" + plot_check_failures(stats) + table)


def section_problems(groups: dict[str, list[Row]], summary: ReportSummary, unreadable: int) -> str:
    """Counts per status and the list of submissions that did not run cleanly."""
    rows = [r for rs in groups.values() for r in rs]
    statuses = _status_order(rows)
    counts = [[_e(a)] + [str(sum(r.status == s for r in rs)) for s in statuses] for a, rs in groups.items()]
    counts.append(["<b>all</b>"] + [f"<b>{summary.status_counts.get(s, 0)}</b>" for s in statuses])
    count_table = _table(["assignment", *statuses], counts, numeric=set(range(1, len(statuses) + 1)))
    bad = [r for r in rows if r.status != "ok"]
    listing = _table(["assignment", "student", "status", "message"],
                     [[_e(r.assignment), _e(r.student), f"<span class=bad>{_e(r.status)}</span>",
                       f"<pre>{_e(r.message)}</pre>"] for r in bad]) if bad else "<p>Every submission ran cleanly.</p>"
    note = f"<p class=bad>{unreadable} result file(s) could not be read.</p>" if unreadable else ""
    return ("<h2 id=problems>Crashes, timeouts and errors</h2>" + plot_statuses(groups) + count_table
            + f"<h3>Submissions that are not ok ({len(bad)})</h3>" + listing + note)


def section_times(groups: dict[str, list[Row]], summary: ReportSummary) -> str:
    """Execution time per submission: histogram and median/max per assignment."""
    if not any(_times(rs) for rs in groups.values()):
        return "<h2 id=times>Time per submission</h2><p>No execution times recorded.</p>"
    body = [[_e(a), str(len(_times(rs))), _seconds(summary.median_time, a), _seconds(summary.max_time, a)]
            for a, rs in groups.items()]
    table = _table(["assignment", "timed submissions", "median (s)", "max (s)"], body, numeric={1, 2, 3})
    return "<h2 id=times>Time per submission</h2>" + plot_times(groups) + table


def section_manual(groups: dict[str, list[Row]], summary: ReportSummary) -> str:
    """Submissions whose written answers still need a human grader."""
    body = [[_e(a), str(summary.needs_manual_by_assignment[a]),
             _e(", ".join(r.student for r in rs if r.needs_manual)) or "–"] for a, rs in groups.items()]
    table = _table(["assignment", "submissions", "students"], body, numeric={1})
    return (f"<h2 id=manual>Manual grading</h2><p><b>{summary.needs_manual_grading}</b> submission(s) have "
            "concept (written) answers that still need manual grading in nbgrader's formgrader.</p>" + table)


def _safe_url(db_url: str) -> str:
    """``db_url`` with any password masked."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy knows: show nothing secret
        return "(gradebook)"


def render_html(course_dir: Path, db_url: str, rows: list[Row], summary: ReportSummary, unreadable: int) -> str:
    """The whole report page."""
    groups = _by_assignment(rows)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = (f"<h1>mmqb report: {_e(Path(course_dir).resolve().name)}</h1><p class=muted>Generated {stamp} from "
            f"{_e(_safe_url(db_url))} and {_e(Path(course_dir).resolve() / 'autograded')}</p>")
    if not rows:
        body = "<p>No submissions in the gradebook and no result files yet.</p>"
    else:
        body = (section_summary(summary, groups) + section_scores(groups) + section_checks(check_stats(rows))
                + section_problems(groups, summary, unreadable) + section_times(groups, summary)
                + section_manual(groups, summary))
    return (f'<!doctype html><html lang=en><head><meta charset="utf-8"><title>mmqb report</title>'
            f"<style>{CSS}</style></head><body>{head}{body}</body></html>\n")


# --------------------------------------------------------------------------- CSV and entry point

CSV_HEADER = ["assignment", "student", "autograded_score", "autograded_max", "status", "execution_time",
              "failed_checks"]


def write_csv(rows: list[Row], path: Path) -> None:
    """One line per (assignment, student): score, max, status, execution time, failed checks (``;``-joined)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for r in rows:
            seconds = "" if r.execution_time is None else f"{r.execution_time:.3f}"
            writer.writerow([r.assignment, r.student, f"{r.score:g}", f"{r.max_score:g}", r.status, seconds,
                             ";".join(r.failed_checks)])


def write_report(course_dir: Path, out_html: Path, csv_path: Path | None = None,
                 db_url: str | None = None) -> ReportSummary:
    """Write the instructor report of a graded course (and optionally its CSV export).

    Args:
        course_dir: The nbgrader course folder that ``mmqb autograde`` graded.
        out_html: Where to write the self-contained HTML page.
        csv_path: Where to write one CSV line per submission (skipped when None).
        db_url: Gradebook SQLAlchemy URL (default: ``course_dir/gradebook.db``).

    Returns:
        The report's figures.

    Raises:
        ValueError: When ``db_url`` is None and the course has no ``gradebook.db``.
    """
    course_dir, out_html = Path(course_dir), Path(out_html)
    if db_url is None and not (course_dir / "gradebook.db").is_file():
        raise ValueError(f"no gradebook at {course_dir / 'gradebook.db'}: grade the course first, "
                         "or give the gradebook's URL")
    url = db_url or _default_db_url(course_dir)
    rows, unreadable = collect_rows(course_dir, url)
    summary = summarise(rows, out_html, Path(csv_path) if csv_path else None)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(render_html(course_dir, url, rows, summary, unreadable), encoding="utf-8")
    if csv_path:
        write_csv(rows, Path(csv_path))
    return summary
