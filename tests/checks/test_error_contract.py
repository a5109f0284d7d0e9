"""Text, checks and reference agree on the exception of every bad input (issue 10, item 3).

Convention, the same in every topic:

* the exercise text (``## 练习 / Exercise``) has, in each language block, a table of the bad
  inputs the checks try: ``| 错误输入 | 异常 |`` in the 中文 block, ``| bad input | raises |`` in
  the English block, one row per case, second column ``TypeError`` or ``ValueError``;
* the suite has a module-level helper ``_bad_input_expectations()`` returning
  ``{english label: "TypeError" | "ValueError"}`` with exactly the English table's labels, in
  order;
* the bad-input check(s) (the checks whose probe or verdict uses the helper) return
  ``{label: raised(...)}`` for every label, each label in exactly one check, and the verdict
  accepts exactly the one type of each case;
* the reference raises exactly that type.

Suites are found by reading their source, so collecting this file imports no TensorFlow.
"""

import importlib
import re
from pathlib import Path

import pytest

from autograder import runtime
from autograder.checks import load_suite
from autograder.topics import all_slugs, get_topic

SLUGS = all_slugs()

ROOT = Path(__file__).resolve().parents[2]
HELPER = "_bad_input_expectations"
KINDS = ("TypeError", "ValueError")
# Checks that test bad input by their name: bad_input_is_an_error, bad_arguments,
# single_class_is_an_error, bad_sizes_are_errors, ... (not reconstruction_error_within_...).
ERROR_CHECK = re.compile(r"bad|_errors?$")


def _suite_source(slug):
    return (ROOT / "autograder" / "suites" / f"{slug}.py").read_text(encoding="utf-8")


def _defines_helper(slug):
    return re.search(rf"^def {HELPER}\(\s*\)\s*:", _suite_source(slug), flags=re.M) is not None


CONTRACT_SLUGS = [slug for slug in SLUGS if _defines_helper(slug)]


def _cells(line):
    """Cells of one markdown table row (``\\|`` is a literal pipe inside a cell)."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", inner)]


def _table(block, header):
    """Rows ``(first column, exception name)`` of the table whose header cells are ``header``."""
    lines = block.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith("|") and _cells(line) == list(header)]
    assert len(starts) == 1, f"expected exactly one table with header | {' | '.join(header)} |, found {len(starts)}"
    i = starts[0] + 1
    assert i < len(lines) and re.fullmatch(r"\|?\s*:?-{3,}:?\s*\|\s*:?-{3,}:?\s*\|?", lines[i].strip()), (
        f"the table | {' | '.join(header)} | needs a |---|---| line under its header"
    )
    rows = []
    for line in lines[i + 1:]:
        if not line.strip().startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == 2, f"table row {line.strip()!r}: expected 2 cells, got {len(cells)}"
        label, kind = cells[0], cells[1].strip("`").strip()
        assert kind in KINDS, (
            f"table row {line.strip()!r}: second column must be TypeError or ValueError, got {cells[1]!r}"
        )
        rows.append((label, kind))
    assert rows, f"the table | {' | '.join(header)} | has no rows"
    return rows


def _exercise_blocks(slug):
    body = get_topic(slug).section("Exercise")
    zh, en = body.find("### 中文"), body.find("### English")
    assert 0 <= zh < en, f"{slug}: the Exercise section needs '### 中文' before '### English'"
    return body[zh:en], body[en:]


def _expectations(slug):
    module = importlib.import_module(f"autograder.suites.{slug}")
    found = getattr(module, HELPER)()
    assert type(found) is dict and found, f"{slug}: {HELPER}() must return a non-empty dict, got {found!r}"
    for label, kind in found.items():
        assert type(label) is str and label, f"{slug}: label {label!r} must be a non-empty str"
        assert kind in KINDS, f"{slug}: case {label!r} must expect exactly one of {KINDS}, got {kind!r}"
    return found


def _error_checks(suite):
    """The checks of ``suite`` whose probe or verdict uses the helper."""
    return [c for c in suite.checks if HELPER in {f.__name__ for f in c.dependencies()}]


def _probe_data(slug):
    """``[(check, plain probe data)]`` of the bad-input checks run on the reference."""
    ns = vars(importlib.import_module(f"solutions.{slug}"))
    checks = _error_checks(load_suite(slug))
    assert checks, f"{slug}: no check's probe or verdict uses {HELPER}()"
    import keras

    keras.utils.set_random_seed(0)
    out = []
    for check in checks:
        data = runtime.plain(check.probe(ns))
        assert type(data) is dict, f"{slug}: {check.id}'s probe must return a dict, got {type(data).__name__}"
        out.append((check, data))
    return ns, out


@pytest.mark.parametrize("slug", CONTRACT_SLUGS)
def test_text_tables_match_the_suite(slug):
    zh, en = _exercise_blocks(slug)
    expected = list(_expectations(slug).items())
    english = _table(en, ("bad input", "raises"))
    assert english == expected, (
        f"{slug}: the English table of the exercise and {HELPER}() differ:\n"
        f"  table:  {english}\n  helper: {expected}"
    )
    chinese = _table(zh, ("错误输入", "异常"))
    assert len(chinese) == len(english), (
        f"{slug}: the 中文 table has {len(chinese)} rows, the English one {len(english)}"
    )
    assert [k for _, k in chinese] == [k for _, k in english], (
        f"{slug}: the 中文 and English tables name different exceptions row by row: "
        f"{[k for _, k in chinese]} vs {[k for _, k in english]}"
    )
    for name, block in (("中文", zh), ("English", en)):
        prose = "\n".join(line for line in block.splitlines() if not line.strip().startswith("|"))
        paragraphs = re.split(r"\n\s*\n|\n\s*[-*] ", prose)
        assert any("TypeError" in p and "ValueError" in p for p in paragraphs), (
            f"{slug}: the {name} block must state the rule once, outside the table, in one paragraph: "
            f"wrong type -> TypeError, right type with a wrong value or shape -> ValueError"
        )


@pytest.mark.parametrize("slug", CONTRACT_SLUGS)
def test_reference_raises_exactly_the_stated_type(slug):
    expected = _expectations(slug)
    ns, probed = _probe_data(slug)
    owners = {}
    for check, data in probed:
        for key, value in data.items():
            if key in expected:
                owners.setdefault(key, []).append(check.id)
            elif type(value) is str and value.endswith(("Error", "Exception")):  # "no error": a valid control
                pytest.fail(f"{slug}: {check.id} tries a bad input {key!r} that is not in the exercise's table")
    missing = [label for label in expected if label not in owners]
    assert not missing, f"{slug}: no bad-input check tries these cases of the table: {missing}"
    twice = {label: ids for label, ids in owners.items() if len(ids) > 1}
    assert not twice, f"{slug}: these cases are tried by more than one check: {twice}"
    wrong = []
    for _check, data in probed:
        for label, kind in expected.items():
            if label in data and data[label] != kind:
                wrong.append(f"{label!r}: expected {kind}, the reference raised {data[label]}")
    assert not wrong, f"{slug}: " + "; ".join(wrong)
    for check, _ in probed:
        result = check.run(ns)
        assert result.passed, f"{slug}: {check.id} fails on the reference: {result.message}"


@pytest.mark.parametrize("slug", CONTRACT_SLUGS)
def test_verdict_accepts_exactly_one_type_per_case(slug):
    expected = _expectations(slug)
    _, probed = _probe_data(slug)
    for check, data in probed:
        passed, message = runtime.run_verdict(check.judge, data, hidden=check.hidden)[:2]
        assert passed, f"{slug}: {check.id}'s verdict rejects the reference's own probe data: {message}"
        for label, kind in expected.items():
            if label not in data:
                continue
            other = KINDS[1 - KINDS.index(kind)]
            for replacement in (other, "no error", "InvalidArgumentError"):
                forged = dict(data)
                forged[label] = replacement
                passed = runtime.run_verdict(check.judge, forged, hidden=check.hidden)[0]
                assert passed is False, (
                    f"{slug}: {check.id} accepts {replacement} for {label!r}; the table says only {kind}"
                )


def test_every_error_check_uses_the_table():
    """Every topic with a bad-input or error check defines the helper, and every such check uses it."""
    missing_helper, unused = [], []
    for slug in SLUGS:
        names = re.findall(r"^def (\w+)\(ns\)", _suite_source(slug), flags=re.M)
        error_checks = [n for n in names if ERROR_CHECK.search(n)]
        if not error_checks:
            continue
        if not _defines_helper(slug):
            missing_helper.append(slug)
            continue
        suite = load_suite(slug)
        users = {c.name for c in _error_checks(suite)}
        unused += [f"{slug}.{n}" for n in error_checks if n in {c.name for c in suite.checks} and n not in users]
    assert not missing_helper, f"topics with error checks but no {HELPER}(): {missing_helper}"
    assert not unused, f"error checks that do not use {HELPER}() (their cases are not in the table): {unused}"
