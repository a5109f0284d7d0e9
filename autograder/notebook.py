"""Assemble one nbgrader *source* notebook from a topic's text, reference and suite.

Cell order: title and background, (concept topics) the interview question and a manually
graded answer cell, the exercise and hints, a setup cell, the solution cell, the check
runtime, one graded cell per check group, and the errata last (read after answering).
Cell ids are fixed strings and nothing depends on the clock, so the output is
deterministic.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import nbformat

from autograder import runtime
from autograder.checks import SETUP_SOURCE, Check, Suite, cell_id, function_source
from autograder.topics import ROOT, Topic

SOLUTIONS = ROOT / "solutions"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"



def _nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False,
              locked: bool = False, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _md(cell_id: str, text: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text.strip())
    cell.id = cell_id
    if nbgrader:
        cell.metadata.update(_nbgrader(cell_id, **nbgrader))
    return cell


def _code(cell_id: str, source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.strip())
    cell.id = cell_id
    if nbgrader:
        cell.metadata.update(_nbgrader(cell_id, **nbgrader))
    return cell


def solution_source(slug: str) -> str:
    """The reference module with every function body wrapped in solution markers.

    The module docstring, ``from __future__`` imports and ``__all__`` are dropped; the
    signature and docstring of each function and method stay visible to the student.
    """
    path = SOLUTIONS / f"{slug}.py"
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines()
    drop: set[int] = set()
    regions: list[tuple[int, int, int]] = []  # (first line, last line, indent), 1-based

    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) \
                and isinstance(node.value.value, str) and node is tree.body[0]:
            drop.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            drop.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            drop.update(range(node.lineno, node.end_lineno + 1))
        elif isinstance(node, ast.FunctionDef):
            regions.append(_body_region(node))
        elif isinstance(node, ast.ClassDef):
            regions.extend(_body_region(m) for m in node.body if isinstance(m, ast.FunctionDef))

    out: list[str] = []
    starts = {first: indent for first, _, indent in regions}
    ends = {last: indent for _, last, indent in regions}
    for number, line in enumerate(lines, start=1):
        if number in drop:
            continue
        if number in starts:
            out.append(" " * starts[number] + BEGIN_SOLUTION)
        out.append(line)
        if number in ends:
            out.append(" " * ends[number] + END_SOLUTION)
    text = re.sub(r"\n{3,}", "\n\n\n", "\n".join(out))
    return text.strip("\n")


def _body_region(fn: ast.FunctionDef) -> tuple[int, int, int]:
    body = fn.body
    has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
        and isinstance(body[0].value.value, str)
    if has_doc and len(body) == 1:
        raise ValueError(f"function {fn.name} has a docstring but no body")
    first = body[1] if has_doc else body[0]
    start = body[0].end_lineno + 1 if has_doc else first.lineno
    return start, fn.end_lineno, first.col_offset


RUNTIME_NOTE = ("*下一个代码单元是检查程序的运行时（已折叠，请直接运行，不要修改）。 / The next cell is the "
                "checks' runtime (collapsed: just run it; grading restores it).*")


def _pts(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def hidden_points(checks: list[Check]) -> float:
    """Points of the hidden checks among ``checks``, to the cent."""
    return runtime.earned([c.points for c in checks if c.hidden])


def checks_note(topic: Topic, suite: Suite) -> str:
    """Before the runtime: where the points of the check cells are, and what Validate runs."""
    hidden = hidden_points(suite.checks)
    visible = runtime.earned([suite.max_score, -hidden])
    zh = f"下面的检查单元共 {suite.max_score:g} 分：可见检查 {visible:g} 分"
    en = f"The check cells below are worth {_pts(suite.max_score)}: {visible:g} in the visible checks"
    if hidden:
        zh += f"，隐藏检查 {hidden:g} 分（在评分时和 `mmqb check` 中运行）"
        en += f", {hidden:g} in hidden checks that run {runtime.GRADED_AT}"
    zh += "。Validate（JupyterLab 的按钮，即 `nbgrader validate`）只运行可见检查：全部通过即为成功。"
    en += (". Validate (JupyterLab's button, i.e. `nbgrader validate`) runs the visible checks: it passes "
           "when all of them pass, and each check cell says how many points its hidden checks are worth.")
    if topic.is_concept:
        zh += (f"书面回答（{topic.answer_points} 分，人工评分）未填写时，Validate 会把它的单元列为 "
               "“You did not provide a response.”。")
        en += (f" Until you write your answer to the interview question ({_pts(topic.answer_points)}, graded "
               "by hand), Validate lists its cell as \"You did not provide a response.\": that is the written "
               "answer, not your code.")
    return f"{RUNTIME_NOTE}\n\n*{zh} / {en}*"


def answer_note(topic: Topic) -> str:
    """Under the interview question: where to answer, its points, and what Validate says until then."""
    pts = topic.answer_points
    return (f"*请在下一个单元格中作答（{pts} 分，人工评分）；作答之前，Validate 会把该单元列为 "
            f"“You did not provide a response.”。 / Write your answer in the next cell ({_pts(pts)}, graded "
            "by hand). Until you do, Validate lists that cell as \"You did not provide a response.\".*")


def runtime_source() -> str:
    """The check runtime, embedded verbatim so release notebooks need no mmqb import."""
    body = inspect.getsource(runtime)
    return "# Check helpers used by the cells below. Do not edit: grading restores this cell.\n" + body


def _check_lines(check: Check) -> list[str]:
    probe_name, verdict_name = f"{check.name}_probe", f"{check.name}_verdict"
    return [
        function_source(check.probe, probe_name),
        "",
        function_source(check.judge, verdict_name),
        "",
        f'check("{check.id}", {probe_name}, {verdict_name}, globals(), hidden={check.hidden}, '
        f'points={check.points!r})',
        "",
    ]


def group_source(suite: Suite, group: str, points: int, checks: list[Check],
                 visible_helpers: set[str]) -> str:
    """Source of one graded cell: visible checks, then the hidden ones between markers.

    ``visible_helpers`` names helpers already defined visibly by earlier cells; it is
    updated with the helpers this cell defines visibly.
    """
    visible = [c for c in checks if not c.hidden]
    hidden = [c for c in checks if c.hidden]
    secret = hidden_points(checks)
    head = f"# {group} checks of {suite.slug}: {_pts(points)}"
    if not hidden:
        head += ", all in the visible checks below. The cell's value is the points earned."
    elif not visible:
        head += f", all in hidden checks that run {runtime.GRADED_AT}."
    else:
        head += (f", {runtime.earned([points, -secret]):g} in the visible checks below and {secret:g} in hidden "
                 f"checks that run {runtime.GRADED_AT}.")
    lines = [head, f'begin_group("{group}", {points!r}, hidden_points={secret!r})', ""]
    for helper in _new_helpers(visible, visible_helpers):
        lines += [function_source(helper), ""]
    for c in visible:
        lines += _check_lines(c)
    if hidden:
        lines.append(BEGIN_HIDDEN)
        for helper in _new_helpers(hidden, set(visible_helpers)):
            lines += [function_source(helper), ""]
        for c in hidden:
            lines += _check_lines(c)
        lines.append(END_HIDDEN)
    lines.append("end_group()")
    return "\n".join(lines)


def _new_helpers(checks: list[Check], defined: set[str]) -> list:
    helpers = {}
    for c in checks:
        for fn in c.dependencies():
            if fn.__name__ not in defined:
                helpers[fn.__name__] = fn
    defined.update(helpers)
    return sorted(helpers.values(), key=lambda f: f.__code__.co_firstlineno)


def total_points(topic: Topic, suite: Suite) -> str:
    """The notebook's points as its header states them: the checks' and the written answer's."""
    code = suite.max_score
    if not topic.is_concept:
        return f"{_pts(code)} (checks)"
    return f"{_pts(code + topic.answer_points)} = {code:g} checks + {topic.answer_points} written answer"


def build_source_notebook(topic: Topic, suite: Suite) -> nbformat.NotebookNode:
    """The nbgrader source notebook of ``topic``."""
    slug = topic.slug
    title = f"# {slug.split('_')[0]} · {topic.title_zh} · {topic.title_en}"
    kind = "概念题 + 编程 / concept + coding" if topic.is_concept else "编程题 / coding"
    origin = "超出原题库 / beyond the seed" if topic.beyond_seed else f"seed §{topic.seed_section}"
    cells = [_md(cell_id(slug, "background"),
                 f"{title}\n\n*{kind} · {origin} · {total_points(topic, suite)}*\n\n## 背景 / Background\n\n"
                 + topic.section("Background"))]
    if topic.is_concept:
        # A concept topic's interview question is the seed's own question: it is shown once, as
        # the seed words it (the 中文 quote and its one English translation), and not repeated
        # before the exercise. A topic beyond the seed has no seed question and shows its own.
        question = topic.section("Seed question") or topic.section("Interview question")
        cells.append(_md(cell_id(slug, "question"), "## 面试题 / Interview question\n\n" + question
                         + "\n\n" + answer_note(topic)))
        # The answer cell of the source notebook is the instructor's key (nbgrader replaces it
        # by "YOUR ANSWER HERE" in the release): the reference answer and the grading rubric.
        key = topic.section("Reference answer")
        if topic.section("Rubric"):
            key += "\n\n#### 评分要点 / Rubric\n\n" + topic.section("Rubric").replace("### ", "##### ")
        cells.append(_md(cell_id(slug, "answer"), key, grade=True, solution=True, points=topic.answer_points))
    exercise = "## 练习 / Exercise\n\n" + topic.section("Exercise") + "\n\n## 提示 / Hints\n\n" + topic.section("Hints")
    if topic.section("Seed question") and not topic.is_concept:
        exercise = "## 原题 / Seed question\n\n" + topic.section("Seed question") + "\n\n" + exercise
    cells.append(_md(cell_id(slug, "exercise"), exercise))
    cells.append(_code(cell_id(slug, "setup"), SETUP_SOURCE, locked=True))
    cells.append(_code(cell_id(slug, "solution"), solution_source(slug), solution=True))
    cells.append(_md(cell_id(slug, "runtime-note"), checks_note(topic, suite)))
    runtime_cell = _code(cell_id(slug, "runtime"), runtime_source(), locked=True)
    runtime_cell.metadata["jupyter"] = {"source_hidden": True}  # collapsed in JupyterLab
    cells.append(runtime_cell)
    defined: set[str] = set()
    for group, points, checks in suite.groups():
        cells.append(_code(cell_id(slug, group), group_source(suite, group, points, checks, defined),
                           grade=True, locked=True, points=points))
    cells.append(_md(cell_id(slug, "errata"), "## 勘误 / Errata\n\n" + topic.section("Errata")))
    if topic.section("Follow-up questions"):
        cells.append(_md(cell_id(slug, "follow-up"),
                         "## 追问 / Follow-up questions\n\n" + topic.section("Follow-up questions")))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "mmqb": {"slug": slug},
    }
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` validated, with a trailing newline, creating parent folders."""
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
