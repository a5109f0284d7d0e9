"""``mmqb report``: one self-contained HTML page about a graded course, and the course's CSV export.

The page is built from two sources that ``mmqb autograde`` writes: nbgrader's gradebook (the
recorded scores, late penalties, and which written answers still need a human) and, beside each
autograded notebook, ``<assignment>.mmqb.json``: the engine's one result model
(:class:`autograder.results.SubmissionResult`: status, every check's verdict, execution
time). Paths come from the course's nbgrader ``CourseDirectory``. Plots are drawn on
matplotlib's Agg canvas (pyplot is never touched) and embedded as base64 PNG, so the page needs
no other file. The page is the Jinja2 template ``templates/report.html.j2`` with autoescape:
every string a student can influence (student ids, messages) is escaped by the template.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder.course.course import Course
from autograder.course.exports import NO_RESULT, Row, collect_rows, write_csv
from autograder.course.templates import render

STATUSES = ("ok", "invalid", "error", "crashed", "timeout", "memory", "output")
STATUS_COLOURS = {"ok": "#4c9a5b", "invalid": "#a0522d", "error": "#c0504d", "crashed": "#8e3b8e", "timeout": "#e08a1e",
                  "memory": "#3b6fb6", "output": "#7f7f7f", NO_RESULT: "#bbbbbb"}


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
        autograded_dir: The course's autograded folder the result files were read from.
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
    autograded_dir: str = ""


# --------------------------------------------------------------------------- reading


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
    """``fig`` as base64 PNG data (the template puts it in an ``<img>``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


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


def _seconds(values: dict[str, float], assignment: str) -> str:
    """A time from ``values`` formatted in seconds, or a dash."""
    return f"{values[assignment]:.1f}" if assignment in values else "–"


def _safe_url(db_url: str) -> str:
    """``db_url`` with any password masked."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy knows: show nothing secret
        return "(gradebook)"


def report_context(course_dir: Path, db_url: str, rows: list[Row], summary: ReportSummary,
                   unreadable: int) -> dict[str, Any]:
    """What ``templates/report.html.j2`` shows: plain values (escaped by the template) and plots."""
    from markupsafe import Markup

    groups = _by_assignment(rows)
    stats = check_stats(rows)
    statuses = _status_order(rows)
    context: dict[str, Any] = {
        "css": Markup(CSS), "course_name": Path(course_dir).resolve().name,
        "stamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "db_url": _safe_url(db_url),
        "autograded": summary.autograded_dir, "rows": rows, "unreadable": unreadable, "statuses": statuses,
    }
    if not rows:
        return context
    non_ok = sum(n for s, n in summary.status_counts.items() if s != "ok")
    context["cards"] = [("students", summary.students), ("submissions", summary.submissions),
                        ("not ok (error, crash, timeout ...)", non_ok),
                        ("need manual grading", summary.needs_manual_grading)]
    context["summary_rows"] = []
    for a, rs in groups.items():
        mean, top = summary.mean_score[a], summary.max_score[a]
        context["summary_rows"].append([a, len(rs), f"{mean:.2f} / {top:g}", f"{100 * mean / top:.0f}%" if top else "–",
                                        sum(r.status != "ok" for r in rs), summary.needs_manual_by_assignment[a]])
    context["check_rows"] = [[s.assignment, s.name, s.group,
                              Markup("<span class=hidden>hidden</span>") if s.hidden else "visible",
                              f"{s.failed}/{s.total}", f"{100 * s.rate:.0f}%"] for s in stats]
    status_rows = [[a] + [sum(r.status == s for r in rs) for s in statuses] for a, rs in groups.items()]
    status_rows.append([Markup("<b>all</b>")] + [Markup("<b>{}</b>").format(summary.status_counts.get(s, 0))
                                                 for s in statuses])
    context["status_rows"] = status_rows
    context["bad_rows"] = [[r.assignment, r.student, Markup("<span class=bad>{}</span>").format(r.status),
                            Markup("<pre>{}</pre>").format(r.message)] for r in rows if r.status != "ok"]
    context["time_rows"] = [[a, len(_times(rs)), _seconds(summary.median_time, a), _seconds(summary.max_time, a)]
                            for a, rs in groups.items()] if any(_times(rs) for rs in groups.values()) else []
    context["needs_manual"] = summary.needs_manual_grading
    context["manual_rows"] = [[a, summary.needs_manual_by_assignment[a],
                               ", ".join(r.student for r in rs if r.needs_manual) or "–"] for a, rs in groups.items()]
    context["plots"] = {"scores": plot_scores(groups), "checks": plot_check_failures(stats) if stats else "",
                        "statuses": plot_statuses(groups),
                        "times": plot_times(groups) if context["time_rows"] else ""}
    return context


def render_html(course_dir: Path, db_url: str, rows: list[Row], summary: ReportSummary, unreadable: int) -> str:
    """The whole report page (``templates/report.html.j2``, autoescaped)."""
    return render("report.html.j2", **report_context(course_dir, db_url, rows, summary, unreadable))


# --------------------------------------------------------------------------- CSV and entry point

def _sqlite_file(db_url: str) -> Path | None:
    """The file of a SQLite URL (None for another database)."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def write_report(course_dir: Path, out_html: Path, csv_path: Path | None = None,
                 db_url: str | None = None) -> ReportSummary:
    """Write the instructor report of a graded course (and optionally its CSV export).

    Args:
        course_dir: The nbgrader course folder that ``mmqb autograde`` graded.
        out_html: Where to write the self-contained HTML page.
        csv_path: Where to write one CSV line per submission (skipped when None).
        db_url: Gradebook SQLAlchemy URL (default: the course's ``c.CourseDirectory.db_url``).

    Returns:
        The report's figures.

    Raises:
        TypeError: ``course_dir`` or ``out_html`` is not a path.
        ValueError: When the gradebook is a SQLite file that does not exist.
    """
    for name, value in (("course_dir", course_dir), ("out_html", out_html)):
        if not isinstance(value, str | Path):
            raise TypeError(f"{name} must be a path, got {type(value).__name__}")
    course_dir, out_html = Path(course_dir), Path(out_html)
    course = Course(course_dir, db_url)
    sqlite = _sqlite_file(course.db_url)
    if sqlite is not None and not sqlite.is_file():
        raise ValueError(f"no gradebook at {sqlite}: grade the course first, or give the gradebook's URL")
    rows, unreadable = collect_rows(course_dir, course.db_url)
    summary = summarise(rows, out_html, Path(csv_path) if csv_path else None)
    summary.autograded_dir = str(course.root / course.coursedir.autograded_directory)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(render_html(course_dir, course.db_url, rows, summary, unreadable), encoding="utf-8")
    if csv_path:
        write_csv(rows, Path(csv_path))
    return summary
