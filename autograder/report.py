"""``mmqb report``: one self-contained HTML page about a graded course, and the course's CSV exports.

The page is built from two sources that ``mmqb autograde`` writes: nbgrader's gradebook (the
recorded scores, late penalties, student names, and which written answers still need a human)
and each submission's result file (``Course.result_files``): the engine's one result model
(:class:`autograder.results.SubmissionResult`: status, every check's verdict, execution time).

The page leads with what an instructor acts on: the students, who needs help first (mean
score, missing and ungraded submissions, trend, what went wrong), then one item analysis of
every check of the course, ranked, with the checks to look at flagged (see
:func:`discrimination`), then the per-assignment figures. Plots are drawn on matplotlib's Agg
canvas (pyplot is never touched) and embedded as base64 PNG, trends as tiny inline SVG, so the
page needs no other file. The page is the Jinja2 template ``templates/report.html.j2`` with
autoescape: every string a student can influence (student ids, names, messages) is escaped by
the template.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder.course.course import Course
from autograder.course.exports import (
    NO_RESULT,
    Row,
    Student,
    collect_rows,
    gradebook_students,
    write_csv,
    write_lms_csv,
)
from autograder.course.similarity import AssignmentSimilarity, find_similar, similarity_context
from autograder.course.templates import render

STATUSES = ("ok", "invalid", "error", "crashed", "timeout", "memory", "output")
NOT_GRADED = ("error",)  # statuses the engine could not grade at all (no score from the code)
UPPER_LOWER = 0.27  # share of submissions in each of the upper and lower groups of the item analysis
HARD = 0.2  # a check passed by fewer than this share is flagged
TREND_PP = 10.0  # a trend smaller than this many percentage points is shown flat
FLAG_HARD = "almost everyone fails it"
FLAG_NEGATIVE = "strong students fail it more than weak ones"


@dataclass
class CheckStat:
    """Item analysis of one check of one assignment.

    Attributes:
        failed, total: Submissions that failed it, of those whose result lists it.
        discrimination: ``D = p_upper - p_lower`` (:func:`discrimination`); None when undefined.
        upper, lower: Sizes of the upper and lower groups (0 when D is undefined).
    """

    assignment: str
    name: str
    group: str
    hidden: bool
    failed: int
    total: int
    discrimination: float | None = None
    upper: int = 0
    lower: int = 0

    @property
    def rate(self) -> float:
        """Failed fraction of the submissions that ran this check (0 when none did)."""
        return self.failed / self.total if self.total else 0.0

    @property
    def p(self) -> float:
        """Pass rate (difficulty index): passed fraction of the submissions that ran this check."""
        return (self.total - self.failed) / self.total if self.total else 0.0

    @property
    def flags(self) -> list[str]:
        """Plain-language reasons to look at this check (none: it behaves)."""
        found = []
        if self.total and self.p < HARD:
            found.append(FLAG_HARD)
        if self.discrimination is not None and self.discrimination < 0:
            found.append(FLAG_NEGATIVE)
        return found


@dataclass
class StudentStat:
    """One student, as the "who needs help" table shows them.

    Attributes:
        percents: Autograded score in % per course assignment, in order (None: not submitted,
            or the assignment has no autograded points).
        mean: Mean of ``percents`` over the assignments with autograded points, a missing one
            counted 0 (None when there is none).
        missing: Assignments someone submitted but this student did not.
        not_graded: Assignments whose submission the engine could not grade (status ``error``).
        trend: Percentage points: mean of the later half of the assignments minus the earlier
            half (missing = 0; the middle one of an odd number left out); None under two.
        problems: One line: what went wrong, most severe first (:func:`problem_line`), cut short.
        details: The same line in full.
    """

    student: str
    name: str
    percents: list[float | None]
    mean: float | None
    missing: list[str]
    not_graded: list[str]
    trend: float | None
    problems: str
    details: str = ""


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
        autograded_dir: The course's autograded folder.
        student_stats: The students, who needs help first (:func:`student_stats`).
        items: Every check of the course, ranked as the page shows them (:func:`item_analysis`).
        lms_path: Where the LMS grade CSV was written, if it was.
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
    student_stats: list[StudentStat] = field(default_factory=list)
    items: list[CheckStat] = field(default_factory=list)
    lms_path: Path | None = None


# --------------------------------------------------------------------------- figures


def _by_assignment(rows: list[Row]) -> dict[str, list[Row]]:
    """Rows grouped by assignment, assignments sorted."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.assignment, []).append(row)
    return dict(sorted(groups.items()))


def discrimination(pairs: list[tuple[float, bool]]) -> tuple[float | None, int, int]:
    """Upper-lower discrimination index of one check: ``(D, upper size, lower size)``.

    ``pairs`` are ``(the student's autograded score on the assignment, passed the check)`` of
    every submission that ran the check. With ``k = max(1, round(0.27 n))``, the upper group is
    every submission scoring at least the k-th highest score, the lower group every one scoring
    at most the k-th lowest (ties join their group, so no name decides a tie), and
    ``D = p_upper - p_lower``: near 1 the check separates strong from weak students, near 0 it
    does not, below 0 strong students fail it more often. D is undefined (None) for fewer than
    two submissions or when the two groups would overlap (too many tied scores).
    """
    if len(pairs) < 2:
        return None, 0, 0
    k = max(1, round(UPPER_LOWER * len(pairs)))
    scores = sorted(score for score, _ in pairs)
    low_cut, high_cut = scores[k - 1], scores[-k]
    if low_cut >= high_cut:
        return None, 0, 0
    upper = [passed for score, passed in pairs if score >= high_cut]
    lower = [passed for score, passed in pairs if score <= low_cut]
    return sum(upper) / len(upper) - sum(lower) / len(lower), len(upper), len(lower)


def check_stats(rows: list[Row]) -> list[CheckStat]:
    """Item analysis of every (assignment, check) over the submissions whose result lists it.

    A crashed or timed-out submission lists every check as failed, so it counts; an ``error``
    submission (not gradable at all) lists none and does not. Sorted by assignment, then
    failure rate (highest first).
    """
    stats: dict[tuple[str, str], CheckStat] = {}
    pairs: dict[tuple[str, str], list[tuple[float, bool]]] = {}
    for row in rows:
        for check in row.checks:
            key = (row.assignment, check.name)
            stat = stats.setdefault(key, CheckStat(row.assignment, check.name, check.group, check.hidden, 0, 0))
            stat.total += 1
            stat.failed += 0 if check.passed else 1
            pairs.setdefault(key, []).append((row.score, bool(check.passed)))
    for key, stat in stats.items():
        stat.discrimination, stat.upper, stat.lower = discrimination(pairs[key])
    return sorted(stats.values(), key=lambda s: (s.assignment, -s.rate, s.name))


def item_analysis(rows: list[Row]) -> list[CheckStat]:
    """Every check of the course, ranked: flagged ones first, then by pass rate, then by D (lowest first)."""
    return sorted(check_stats(rows), key=lambda s: (-len(s.flags), s.p,
                                                    s.discrimination if s.discrimination is not None else 2.0,
                                                    s.assignment, s.name))


def _times(rows: list[Row]) -> list[float]:
    """Execution times of the rows that have a result file."""
    return [r.execution_time for r in rows if r.execution_time is not None]


def _percent(row: Row) -> float | None:
    """The autograded score of ``row`` in % of its maximum (None without autograded points)."""
    return 100 * row.score / row.max_score if row.max_score else None


def short_names(assignments: list[str]) -> dict[str, str]:
    """A short label per assignment: ``t05`` for ``t05_attention`` when no other one shares it."""
    prefixes = Counter(a.split("_", 1)[0] for a in assignments)
    return {a: a.split("_", 1)[0] if "_" in a and prefixes[a.split("_", 1)[0]] == 1 else a for a in assignments}


def _clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _what_went_wrong(row: Row | None) -> tuple[int, str]:
    """``(severity, one short phrase)`` for a submission that lost points (phrase "" when nothing did).

    Severity orders a student's summary: missing, not graded, crashed (or timeout ...), no
    result file, failed checks.
    """
    if row is None:
        return 0, "missing"
    reason = _clip(row.message.splitlines()[0], 60) if row.message.strip() else ""
    if row.status in NOT_GRADED or (row.result is not None and not row.result.graded):
        return 1, "not graded" + (f" ({reason})" if reason else "")
    if row.status == NO_RESULT:
        return 3, "no mmqb result" if row.score < row.max_score else ""
    if row.status != "ok":
        return 2, row.status + (f" ({reason})" if reason else "")
    failed = [c for c in row.checks if not c.passed]
    if not failed:
        return 4, ""
    hidden = sum(bool(c.hidden) for c in failed)
    names = ", ".join(c.name for c in failed[:2]) + (", …" if len(failed) > 2 else "")
    return 4, (f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed"
               + (f" ({hidden} hidden)" if hidden else "") + f": {names}")


def problem_line(mine: list[tuple[str, Row | None]]) -> str:
    """What went wrong for one student, most severe first, one phrase per kind.

    ``mine`` is ``(short assignment name, the student's row or None)`` in assignment order.
    Assignments with the same phrase share it: ``t01, t02, t03 +5: crashed (...)``.
    """
    phrases: dict[tuple[int, str], list[str]] = {}
    for label, row in mine:
        severity, phrase = _what_went_wrong(row)
        if phrase:
            phrases.setdefault((severity, phrase), []).append(label)
    parts = []
    for (_, phrase), labels in sorted(phrases.items(), key=lambda item: item[0][0]):
        shown = ", ".join(labels[:3]) + (f" +{len(labels) - 3}" if len(labels) > 3 else "")
        parts.append(f"{shown}: {phrase}")
    return "; ".join(parts)


def _trend(values: list[float]) -> float | None:
    """Mean of the later half of ``values`` minus the earlier half (None under two values)."""
    if len(values) < 2:
        return None
    half = len(values) // 2
    return statistics.fmean(values[-half:]) - statistics.fmean(values[:half])


def student_stats(rows: list[Row], people: dict[str, Student] | None = None,
                  problem_chars: int = 160) -> list[StudentStat]:
    """Every student (with a submission, or in ``people``: the gradebook's), who needs help first.

    Sorted by mean score (lowest first), then by missing plus ungraded submissions (most
    first), then by id. The course's assignments are those anyone submitted, in name order.
    """
    people = people or {}
    groups = _by_assignment(rows)
    assignments = list(groups)
    scored = [a for a in assignments if max(r.max_score for r in groups[a]) > 0]
    short = short_names(assignments)
    by_key = {(r.assignment, r.student): r for r in rows}
    found = []
    for student in sorted({r.student for r in rows} | set(people)):
        mine = [by_key.get((a, student)) for a in assignments]
        percents = [_percent(r) if r is not None else None for r in mine]
        counted = [(p if p is not None else 0.0) for a, p in zip(assignments, percents, strict=True) if a in scored]
        missing = [a for a, r in zip(assignments, mine, strict=True) if r is None]
        not_graded = [a for a, r in zip(assignments, mine, strict=True) if r is not None and (
            r.status in NOT_GRADED or (r.result is not None and not r.result.graded))]
        line = problem_line([(short[a], r) for a, r in zip(assignments, mine, strict=True)])
        person = people.get(student)
        found.append(StudentStat(student=student, name=person.name if person else "", percents=percents,
                                 mean=statistics.fmean(counted) if counted else None, missing=missing,
                                 not_graded=not_graded, trend=_trend(counted),
                                 problems=_clip(line, problem_chars), details=line))
    return sorted(found, key=lambda s: (s.mean if s.mean is not None else 101.0,
                                        -(len(s.missing) + len(s.not_graded)), s.student))


def summarise(rows: list[Row], html_path: Path, csv_path: Path | None = None,
              people: dict[str, Student] | None = None) -> ReportSummary:
    """The report's figures for ``rows``."""
    groups = _by_assignment(rows)
    times = {a: _times(rs) for a, rs in groups.items()}
    failure_rates: dict[str, dict[str, float]] = {a: {} for a in groups}
    items = item_analysis(rows)
    for stat in items:
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
        student_stats=student_stats(rows, people),
        items=items,
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


def _strip(ax, data: list[list[float]], colour: str) -> None:
    """One box per position of ``data`` with its points jittered on top (empty positions left blank)."""
    positions = [i for i, values in enumerate(data, start=1) if values]
    ax.boxplot([data[i - 1] for i in positions], positions=positions, widths=0.6, showfliers=False,
               medianprops={"color": "#222222"})
    for i in positions:
        values = data[i - 1]
        jitter = [i + 0.5 * ((k * 0.618) % 1 - 0.5) for k in range(len(values))]
        ax.scatter(jitter, values, s=10, alpha=0.6, color=colour, zorder=3)
    ax.grid(axis="y", alpha=0.3)


def plot_assignments(groups: dict[str, list[Row]]) -> str:
    """Two panels on one shared assignment axis: autograded score (%) and execution time (s, log)."""
    names = list(groups)
    short = short_names(names)
    timed = any(_times(rs) for rs in groups.values())
    fig = _figure(min(11.0, 2.5 + 0.24 * len(names)), 4.6 if timed else 2.6)
    axes = fig.subplots(2 if timed else 1, 1, sharex=True, squeeze=False)[:, 0]
    _strip(axes[0], [[p for r in groups[n] if (p := _percent(r)) is not None] for n in names], "#3b6fb6")
    axes[0].set_ylim(-5, 105)
    axes[0].set_ylabel("autograded %")
    if timed:
        _strip(axes[1], [_times(groups[n]) for n in names], "#e08a1e")
        if any(t > 0 for rs in groups.values() for t in _times(rs)):
            axes[1].set_yscale("symlog", linthresh=1.0)
        axes[1].set_ylabel("seconds")
    axes[-1].set_xticks(range(1, len(names) + 1), [_label(short[n]) for n in names], rotation=90, fontsize=8)
    axes[-1].set_xlim(0.3, len(names) + 0.7)
    fig.tight_layout()
    return _png(fig)


def plot_items(items: list[CheckStat]) -> str:
    """Every check as a point (area: how many share it): pass rate against discrimination, flagged zones shaded."""
    fig = _figure(8, 2.8)
    ax = fig.subplots()
    ax.axvspan(-0.02, HARD, color="#f4cccc", alpha=0.6, lw=0)
    ax.axhspan(-1.05, 0, color="#fce5cd", alpha=0.6, lw=0)
    shown = [s for s in items if s.discrimination is not None]
    for flagged, colour, label in ((False, "#3b6fb6", "check"), (True, "#c0504d", "flagged check")):
        pts = [s for s in shown if bool(s.flags) == flagged]
        same = Counter((round(s.p, 3), round(s.discrimination, 3)) for s in pts)
        if pts:
            ax.scatter([p for p, _ in same], [d for _, d in same], s=[14 * n ** 0.5 for n in same.values()],
                       alpha=0.7, color=colour, label=f"{label} ({len(pts)})")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel(f"pass rate p (shaded: p < {HARD:g})")
    ax.set_ylabel("discrimination D")
    ax.grid(alpha=0.3)
    if shown:
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def _status_order(rows: list[Row]) -> list[str]:
    """The statuses present in ``rows``: known ones in their usual order, then any others."""
    present = {r.status for r in rows}
    return [s for s in (*STATUSES, NO_RESULT) if s in present] + sorted(present - {*STATUSES, NO_RESULT})


# --------------------------------------------------------------------------- HTML

CSS = """body{font-family:system-ui,sans-serif;max-width:72em;margin:1.5em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.2em .6em;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.4em 1em}
.card b{display:block;font-size:1.5em}.muted{color:#666;font-size:.9em}img{max-width:100%}
.hidden{color:#a00;font-weight:bold}.bad{color:#a00}pre{white-space:pre-wrap;margin:0;font-size:.85em}
.scroll{max-height:26em;overflow:auto;border:1px solid #eee;margin:.6em 0}.scroll table{margin:0;width:100%}
.scroll th{position:sticky;top:0;z-index:1}.flag{color:#a00}.up{color:#2a7a3b}.down{color:#a00}
td.why{font-size:.9em;max-width:38em}td.flagcell{min-width:14em}
.scroll td{font-size:.92em}svg.spark{vertical-align:middle}"""


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


def sparkline(percents: list[float | None], labels: list[str], width: int = 90, height: int = 20):
    """Inline SVG of per-assignment percentages (missing drawn at 0 as a red dot), as Markup.

    Only numbers and escaped labels go into the markup.
    """
    from markupsafe import Markup, escape

    if not percents:
        return ""
    step = (width - 4) / max(1, len(percents) - 1)
    points = [(2 + i * step, 2 + (height - 4) * (1 - (p if p is not None else 0.0) / 100))
              for i, p in enumerate(percents)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="#c0504d"/>'
                   for (x, y), p in zip(points, percents, strict=True) if p is None)
    title = escape(", ".join(f"{name} {'missing' if p is None else f'{p:.0f}%'}"
                             for name, p in zip(labels, percents, strict=True)))
    return Markup(f'<svg class=spark width="{width}" height="{height}" role="img"><title>{title}</title>'
                  f'<polyline points="{line}" fill="none" stroke="#3b6fb6" stroke-width="1.3"/>{dots}</svg>')


def _trend_cell(trend: float | None):
    """An arrow with the trend in percentage points."""
    from markupsafe import Markup

    if trend is None:
        return "–"
    if trend >= TREND_PP:
        return Markup("<span class=up>↑ {:+.0f}</span>").format(trend)
    if trend <= -TREND_PP:
        return Markup("<span class=down>↓ {:+.0f}</span>").format(trend)
    return Markup("→ {:+.0f}").format(trend)


def report_context(course_dir: Path, db_url: str, rows: list[Row], summary: ReportSummary,
                   unreadable: int, similarity: list[AssignmentSimilarity] | None = None) -> dict[str, Any]:
    """What ``templates/report.html.j2`` shows: plain values (escaped by the template) and plots.

    ``similarity``: the cohort similarity of each assignment (:mod:`autograder.course.similarity`);
    None leaves its section out.
    """
    from markupsafe import Markup

    groups = _by_assignment(rows)
    statuses = _status_order(rows)
    context: dict[str, Any] = {
        "css": Markup(CSS), "course_name": Path(course_dir).resolve().name,
        "stamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "db_url": _safe_url(db_url),
        "autograded": summary.autograded_dir, "rows": rows, "unreadable": unreadable, "statuses": statuses,
        "upper_lower": f"{100 * UPPER_LOWER:.0f}%", "hard": f"{HARD:g}",
    }
    if not rows:
        return context
    short = short_names(list(groups))
    labels = [short[a] for a in groups]
    non_ok = sum(n for s, n in summary.status_counts.items() if s != "ok")
    flagged = [s for s in summary.items if s.flags]
    context["cards"] = [("students who submitted", summary.students), ("submissions", summary.submissions),
                        ("not ok (crash, timeout, error)", non_ok),
                        ("need manual grading", summary.needs_manual_grading),
                        ("checks flagged", len(flagged))]
    context["names"] = any(s.name for s in summary.student_stats)
    context["students"] = [{
        "student": s.student, "name": s.name,
        "mean": f"{s.mean:.0f}%" if s.mean is not None else "–",
        "missing": len(s.missing), "missing_list": ", ".join(short[a] for a in s.missing),
        "not_graded": len(s.not_graded), "not_graded_list": ", ".join(short[a] for a in s.not_graded),
        "spark": sparkline(s.percents, labels), "trend": _trend_cell(s.trend),
        "problems": s.problems or "–", "details": s.details,
    } for s in summary.student_stats]
    context["item_rows"] = [[
        i, s.assignment, s.name, Markup("<span class=hidden>hidden</span>") if s.hidden else "visible",
        f"{s.total - s.failed}/{s.total}", f"{s.p:.2f}",
        f"{s.discrimination:+.2f}" if s.discrimination is not None else "–",
        Markup("<span class=flag>{}</span>").format("; ".join(s.flags)) if s.flags else "",
    ] for i, s in enumerate(summary.items, start=1)]
    context["flagged"] = len(flagged)
    missing_per = Counter(a for s in summary.student_stats for a in s.missing)
    context["summary_rows"] = []
    for a, rs in groups.items():
        mean, top = summary.mean_score[a], summary.max_score[a]
        context["summary_rows"].append([
            a, len(rs), f"{mean:.2f} / {top:g}", f"{100 * mean / top:.0f}%" if top else "–",
            sum(r.status != "ok" for r in rs), summary.needs_manual_by_assignment[a], missing_per[a],
            _seconds(summary.median_time, a), _seconds(summary.max_time, a)])
    status_rows = [[a] + [sum(r.status == s for r in rs) for s in statuses] for a, rs in groups.items()]
    status_rows.append([Markup("<b>all</b>")] + [Markup("<b>{}</b>").format(summary.status_counts.get(s, 0))
                                                 for s in statuses])
    context["status_rows"] = status_rows
    context["bad_rows"] = [[r.assignment, r.student, Markup("<span class=bad>{}</span>").format(r.status),
                            Markup("<pre>{}</pre>").format(r.message)] for r in rows if r.status != "ok"]
    context["needs_manual"] = summary.needs_manual_grading
    context["manual_rows"] = [[a, summary.needs_manual_by_assignment[a],
                               ", ".join(r.student for r in rs if r.needs_manual) or "–"] for a, rs in groups.items()]
    context["plots"] = {"items": plot_items(summary.items) if summary.items else "",
                        "assignments": plot_assignments(groups)}
    if similarity is not None:
        context.update(similarity_context(similarity))
    return context


def render_html(course_dir: Path, db_url: str, rows: list[Row], summary: ReportSummary, unreadable: int,
                similarity: list[AssignmentSimilarity] | None = None) -> str:
    """The whole report page (``templates/report.html.j2``, autoescaped)."""
    return render("report.html.j2", **report_context(course_dir, db_url, rows, summary, unreadable, similarity))


# --------------------------------------------------------------------------- CSV and entry point

def _sqlite_file(db_url: str) -> Path | None:
    """The file of a SQLite URL (None for another database)."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def write_report(course_dir: Path, out_html: Path, csv_path: Path | None = None,
                 db_url: str | None = None, lms_path: Path | None = None,
                 lms_format: str = "canvas", similarity: bool = True) -> ReportSummary:
    """Write the instructor report of a graded course (and optionally its CSV exports).

    Args:
        course_dir: The nbgrader course folder that ``mmqb autograde`` graded.
        out_html: Where to write the self-contained HTML page.
        csv_path: Where to write one CSV line per submission (skipped when None).
        db_url: Gradebook SQLAlchemy URL (default: the course's ``c.CourseDirectory.db_url``).
        lms_path: Where to write the final-grade CSV for an LMS import (skipped when None;
            see :func:`autograder.course.exports.write_lms_csv`).
        lms_format: ``canvas`` or ``moodle``: the LMS CSV's identity columns.
        similarity: Compare the students' solution cells of each assignment and show the pairs
            that are unusually alike (:mod:`autograder.course.similarity`).

    Returns:
        The report's figures.

    Raises:
        TypeError: ``course_dir`` or ``out_html`` is not a path.
        ValueError: When the gradebook is a SQLite file that does not exist, or ``lms_format``
            is unknown.
    """
    for name, value in (("course_dir", course_dir), ("out_html", out_html)):
        if not isinstance(value, str | Path):
            raise TypeError(f"{name} must be a path, got {type(value).__name__}")
    course_dir, out_html = Path(course_dir), Path(out_html)
    if lms_path is not None and lms_format not in ("canvas", "moodle"):
        raise ValueError(f"unknown LMS format {lms_format!r}: canvas or moodle")
    course = Course(course_dir, db_url)
    sqlite = _sqlite_file(course.db_url)
    if sqlite is not None and not sqlite.is_file():
        raise ValueError(f"no gradebook at {sqlite}: grade the course first, or give the gradebook's URL")
    rows, unreadable = collect_rows(course_dir, course.db_url)
    people = gradebook_students(course_dir, course.db_url)
    summary = summarise(rows, out_html, Path(csv_path) if csv_path else None, people)
    summary.autograded_dir = str(course.root / course.coursedir.autograded_directory)
    summary.lms_path = Path(lms_path) if lms_path else None
    out_html.parent.mkdir(parents=True, exist_ok=True)
    compared = find_similar(course, summary.assignments) if similarity and rows else None
    out_html.write_text(render_html(course_dir, course.db_url, rows, summary, unreadable, compared),
                        encoding="utf-8")
    if csv_path:
        write_csv(rows, Path(csv_path))
    if lms_path:
        write_lms_csv(rows, people, Path(lms_path), lms_format)
    return summary

