"""The cohort similarity analysis (``autograder.course.similarity``): planted copies are found,
independent answers are not, and hostile notebooks and student ids do no harm.

The rates are measured on real answers of the bank: the reference (``solutions/``), the seed's
version, the mutants (reference-derived: near copies of it, never independent of it) and
answers written for this test in another style (loops instead of vectorised code ...).
Copies are planted by mechanical disguises of an answer: renamed variables, reordered functions
and independent statements, comments and blank lines added or removed, whitespace changed.
"""

from __future__ import annotations

import ast
import builtins
import io
import os
import subprocess
import sys
import tokenize
from itertools import combinations

import nbformat
import pytest

from autograder.course.course import Course
from autograder.course.similarity import (
    DEFAULTS,
    Fingerprinted,
    SimilarityOptions,
    code_tokens,
    compare,
    compare_sources,
    find_similar,
    fingerprint,
    release_code,
    similarity_context,
    winnow,
)
from autograder.course.templates import render
from autograder.mutation import load_mutants, reference_source, seed_source, submission_notebook
from autograder.topics import ROOT

T01, T05, T15, T16 = "t01_class_balance", "t05_attention", "t15_roc_auc", "t16_classification_metrics"

# ---------------------------------------------------------------- answers written for this test, in another style

OWN = {
    T01: ['''
import numpy as np


def class_balanced_weights(labels, num_classes, beta=None):
    if type(num_classes) is bool or not isinstance(num_classes, int) or num_classes <= 0:
        raise ValueError("num_classes has to be a positive integer")
    arr = np.array(labels)
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError("need a non-empty vector of labels")
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError("labels have to be integers")
    freq = [0] * num_classes
    for value in arr.tolist():
        if value != int(value) or value < 0 or value >= num_classes:
            raise ValueError("bad label %r" % value)
        freq[int(value)] += 1
    if beta is not None and not (0 <= beta < 1):
        raise ValueError("beta out of range")
    out = []
    for c in range(num_classes):
        if freq[c] == 0:
            out.append(0.0)
        elif beta is None:
            out.append(len(arr) / (num_classes * freq[c]))
        else:
            out.append((1 - beta) / (1 - beta ** freq[c]))
    if beta is not None:
        present = sum(1 for f in freq if f)
        total = sum(out)
        out = [w * present / total for w in out]
    return np.array(out, dtype=float)
''', '''
import numpy as np


def class_balanced_weights(labels, num_classes, beta=None):
    y = np.asarray(labels).ravel().astype(np.int64)
    n = np.bincount(y, minlength=num_classes)[:num_classes].astype(float)
    mask = n > 0
    if beta is None:
        eff = n
        scale = y.shape[0] / num_classes
        return np.where(mask, scale / np.maximum(n, 1), 0.0)
    eff = 1.0 - np.power(beta, n)
    inv = np.divide(1.0 - beta, eff, out=np.zeros_like(eff), where=mask)
    return inv * mask.sum() / inv.sum()
'''],
    T05: ['''
import numpy as np
import tensorflow as tf


def scaled_dot_product_attention(query, key, value, mask=None):
    Q = np.array(query, dtype=np.float32)
    K = np.array(key, dtype=np.float32)
    V = np.array(value, dtype=np.float32)
    if Q.ndim < 2 or K.ndim < 2 or V.ndim < 2:
        raise ValueError("inputs need at least two dimensions")
    if Q.shape[-1] != K.shape[-1] or K.shape[-2] != V.shape[-2]:
        raise ValueError("incompatible shapes")
    scores = np.einsum("...qd,...kd->...qk", Q, K) / np.sqrt(Q.shape[-1])
    if mask is not None:
        allowed = np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
        scores = np.where(allowed, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(scores - top)
    denom = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, denom, out=np.zeros_like(e), where=denom > 0)
    out = np.einsum("...qk,...kv->...qv", w, V)
    return tf.constant(out), tf.constant(w)
'''],
    T15: ['''
import numpy as np


def roc_auc(y_true, y_score):
    labels = list(np.asarray(y_true).reshape(-1))
    scores = [float(s) for s in np.asarray(y_score).reshape(-1)]
    if len(labels) != len(scores):
        raise ValueError("length mismatch")
    pos = [s for s, l in zip(scores, labels) if l == 1]
    neg = [s for s, l in zip(scores, labels) if l == 0]
    if len(pos) + len(neg) != len(labels):
        raise ValueError("labels must be 0 or 1")
    if not pos or not neg:
        raise ValueError("both classes are needed")
    wins = 0.0
    for p in pos:
        for q in neg:
            if p > q:
                wins += 1.0
            elif p == q:
                wins += 0.5
    return wins / (len(pos) * len(neg))
''', '''
import numpy as np


def roc_auc(y_true, y_score):
    t = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(y_score, dtype=float).ravel()
    if t.shape != s.shape or not np.isin(t, [0.0, 1.0]).all() or not np.isfinite(s).all():
        raise ValueError("bad input")
    if t.min() == t.max():
        raise ValueError("only one class present")
    order = np.argsort(-s, kind="mergesort")
    t, s = t[order], s[order]
    distinct = np.r_[np.flatnonzero(np.diff(s)), t.size - 1]
    tps = np.cumsum(t)[distinct]
    fps = (1 + distinct) - tps
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
'''],
    T16: ['''
import numpy as np


def binary_classification_metrics(y_true, y_prob, threshold=0.5):
    truth = np.asarray(y_true).reshape(-1)
    prob = np.asarray(y_prob, dtype=np.float64).reshape(-1)
    if truth.dtype == np.bool_:
        raise TypeError("labels must be integers")
    if truth.size != prob.size:
        raise ValueError("different number of samples")
    if not set(np.unique(truth).tolist()) <= {0, 1}:
        raise ValueError("labels must be 0 or 1")
    if np.isnan(prob).any() or np.isinf(prob).any():
        raise ValueError("probabilities must be finite")
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for label, score in zip(truth.tolist(), prob.tolist()):
        guess = 1 if score >= threshold else 0
        key = ("t" if guess == label else "f") + ("p" if guess == 1 else "n")
        counts[key] += 1

    def safe(a, b):
        return a / b if b else 0.0

    prec = safe(counts["tp"], counts["tp"] + counts["fp"])
    rec = safe(counts["tp"], counts["tp"] + counts["fn"])
    return {
        "accuracy": safe(counts["tp"] + counts["tn"], truth.size),
        "precision": prec,
        "recall": rec,
        "f1": safe(2 * prec * rec, prec + rec),
    }
'''],
}

# ---------------------------------------------------------------- disguises of a copy


def _bound_names(source: str) -> set[str]:
    """Names the code binds (functions, parameters, variables): what a copier renames."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return {n for n in names if not hasattr(builtins, n) and not n.startswith("__")}


def rename(source: str) -> str:
    """Every bound name replaced by a new one (attribute names left alone: they are other objects')."""
    mapping = {name: f"my_{name.strip('_')}_v{number}" for number, name in enumerate(sorted(_bound_names(source)))}
    lines = source.split("\n")
    edits = []
    previous = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in mapping and previous != ".":
            edits.append((tok.start, tok.end, mapping[tok.string]))
        previous = tok.string
    for (row, start), (_, end), new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return "\n".join(lines)


def _statement_spans(body: list[ast.stmt]) -> list[tuple[int, int]]:
    """``(first, last)`` line (0-based, inclusive) of each statement, decorators included."""
    spans = []
    for node in body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        spans.append((first - 1, node.end_lineno - 1))
    return spans


def reorder_functions(source: str) -> str:
    """Top-level definitions in reverse order (a definition runs nothing, so order does not matter)."""
    tree = ast.parse(source)
    lines = source.split("\n")
    spans = _statement_spans(tree.body)
    defs = [s for s, node in zip(spans, tree.body, strict=True) if isinstance(node, ast.FunctionDef | ast.ClassDef)]
    others = [s for s in spans if s not in defs]
    chunk = lambda span: "\n".join(lines[span[0]:span[1] + 1])
    return "\n".join([chunk(s) for s in others] + ["\n"] + ["\n\n" + chunk(s) for s in reversed(defs)]) + "\n"


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _targets(node: ast.Assign) -> set[str]:
    return set().union(*(_names_in(t) for t in node.targets))


def _independent(first: ast.stmt, second: ast.stmt) -> bool:
    """Two one-line assignments neither of which reads or writes what the other writes."""
    return (isinstance(first, ast.Assign) and isinstance(second, ast.Assign)
            and first.lineno == first.end_lineno and second.lineno == second.end_lineno
            and not _targets(first) & _names_in(second) and not _targets(second) & _names_in(first))


def reorder_statements(source: str) -> str:
    """Adjacent independent one-line assignments swapped, in every block of the code."""
    lines = source.split("\n")
    for node in ast.walk(ast.parse(source)):
        for body in (getattr(node, "body", None), getattr(node, "orelse", None)):
            if not isinstance(body, list):
                continue
            index = 0
            while index + 1 < len(body):
                if _independent(body[index], body[index + 1]):
                    a, b = body[index].lineno - 1, body[index + 1].lineno - 1
                    indent = lambda line: line[:len(line) - len(line.lstrip())]
                    lines[a], lines[b] = indent(lines[a]) + lines[b].lstrip(), indent(lines[b]) + lines[a].lstrip()
                    index += 2
                else:
                    index += 1
    return "\n".join(lines)


def recomment(source: str) -> str:
    """Comment-only lines removed; a comment added before every third line and a blank line after every fourth."""
    out = []
    for number, line in enumerate(source.split("\n")):
        if line.strip().startswith("#"):
            continue
        indent = line[:len(line) - len(line.lstrip())]
        if number % 3 == 0 and line.strip() and not line.strip().startswith((")", "]", "}", '"', "'")):
            out.append(f"{indent}# step {number}: see the lecture notes")
        out.append(line)
        if number % 4 == 0 and line.rstrip().endswith(":") is False and line.strip():
            out.append("")
    return "\n".join(out)


def respace(source: str) -> str:
    """Indentation halved, spaces inside brackets and before commas, trailing spaces."""
    out = []
    for line in source.split("\n"):
        stripped = line.lstrip(" ")
        indent = (len(line) - len(stripped)) // 2
        out.append(" " * indent + stripped.replace("(", "( ").replace(")", " )").replace(",", " ,") + "   ")
    return "\n".join(out)


DISGUISES = {
    "renamed": rename,
    "functions_reordered": reorder_functions,
    "statements_reordered": reorder_statements,
    "recommented": recomment,
    "respaced": respace,
    "everything": lambda s: respace(recomment(reorder_statements(reorder_functions(rename(s))))),
}


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def test_disguises_change_the_text_but_keep_valid_python():
    ref = reference_source(T05)
    for name, disguise in DISGUISES.items():
        copy = disguise(ref)
        assert copy != ref, name
        assert _parses(copy), name
    assert "my_" in rename(ref) and "def scaled_dot_product_attention" not in rename(ref)
    # the helper is defined first in the reference and last once reordered
    reordered = reorder_functions(ref)
    assert reordered.index("def scaled_dot_product_attention") < reordered.index("def _as_float_tensor")


# ---------------------------------------------------------------- the pieces


def _release(slug):
    return nbformat.read(ROOT / "release" / slug / f"{slug}.ipynb", as_version=4)


def test_identifiers_comments_and_layout_do_not_change_the_tokens():
    one = "def f(a, b):\n    # add them\n    return a + b * 2  # twice\n"
    two = "def   g( x,y ) :\n\n    '''Doc.'''\n    return x+y*2\n"
    assert [t.text for t in code_tokens([one])[1]] == [t.text for t in code_tokens([two])[1]]
    assert [t.text for t in code_tokens([one])[1]] == ["def", "V", "(", "V", ",", "V", ")", ":",
                                                     "return", "V", "+", "V", "*", "2"]
    # attribute names, builtins and numbers are kept: they are what the code does
    assert [t.text for t in code_tokens(["y = np.sum(len(x)) + 3.5"])[1]] == [
        "V", "=", "V", ".", "sum", "(", "len", "(", "V", ")", ")", "+", "3.5"]


def test_source_that_does_not_tokenize_still_gives_tokens_with_lines():
    broken = 'x = foo(1,\n    "unterminated\ny = """never closed\n'
    texts = [t.text for t in code_tokens([broken])[1]]
    assert texts[:6] == ["V", "=", "V", "(", "1", ","]
    source, tokens = code_tokens(["a = 1\n", broken])
    assert tokens[0].first_line == 1 and tokens[-1].first_line == source.split("\n").index('y = """never closed') + 1


def test_release_lines_are_removed():
    release = _release(T05)
    given = release_code(release)
    stub = next(c.source for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")
                and c.cell_type == "code")
    assert len(code_tokens([stub])[1]) > 20
    assert code_tokens([stub], given)[1] == []  # an unanswered stub is nothing of the student's
    assert [t.text for t in code_tokens(["import numpy as np\nz = 1\n"], given)[1]] == ["V", "=", "1"]
    # the signature is the release's whatever its parameters are called, and however it is spaced
    renamed = "def scaled_dot_product_attention( q,k , v, m=None ):\n    return q @ k\n"
    assert [t.text for t in code_tokens([renamed], given)[1]] == ["return", "V", "@", "V"]
    # a line of the release's other cells (here the checks' runtime) is the release's only as written there
    assert code_tokens(["def plain(value, _depth=0):\n"], given)[1] == []
    assert [t.text for t in code_tokens(["def plain(v, d=0):\n"], given)[1]][:3] == ["def", "V", "("]


def test_winnowing_keeps_the_rightmost_minimum_of_every_window():
    hashes = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]  # the paper's example
    assert winnow(hashes, 4) == [(17, 3), (17, 6), (8, 8), (39, 11), (17, 15)]
    assert winnow([5, 5, 5], 2) == [(5, 1), (5, 2)]
    assert winnow([], 4) == [] and winnow([3, 1], 4) == [(1, 1)]


def test_fingerprints_are_stable_across_processes():
    # a fingerprint must not depend on the process's hash seed (Python's own hash() does)
    code = reference_source(T15)
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    script = ("import sys; from autograder.course.similarity import fingerprint; "
              "print(hash('abc')); print(sorted(fingerprint('x', [sys.stdin.read()]).fingerprints)[:5])")
    run = subprocess.run([sys.executable, "-c", script], input=code, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONHASHSEED=seed), check=True)
    their_hash, their_prints = run.stdout.split("\n")[:2]
    assert int(their_hash) != hash("abc")  # the two processes do hash differently
    assert their_prints == str(sorted(fingerprint("x", [code]).fingerprints)[:5])


def test_short_solutions_never_flag_even_when_identical():
    short = "def f(x):\n    return np.mean(x ** 2, axis=-1)\n"
    assert compare_sources("t", {"alice": short, "bob": short}) == []
    long_copy = reference_source(T05)
    flagged = compare_sources("t", {"alice": long_copy, "bob": rename(long_copy)})
    assert [(p.student_a, p.student_b) for p in flagged] == [("alice", "bob")]


def test_code_most_of_the_cohort_writes_is_not_evidence():
    common = reference_source(T15)  # say, an answer circulated in a lecture: 12 of 14 students have it
    cohort = {f"s{n:02d}": common + f"\n\ndef extra_{n}(v):\n    return v + {n}\n" for n in range(12)}
    cohort.update(alice=OWN[T15][0], bob=rename(OWN[T15][0]))
    pairs = {(p.student_a, p.student_b) for p in compare_sources(T15, cohort)}
    assert pairs == {("alice", "bob")}
    # the same shared answer in a pair of a cohort that mostly does not share it is a copy
    small = {"s00": cohort["s00"], "s01": cohort["s01"], "alice": OWN[T15][0], "carol": OWN[T15][1]}
    assert {(p.student_a, p.student_b) for p in compare_sources(T15, small)} == {("s00", "s01")}


def test_regions_point_at_the_copied_lines():
    ref = reference_source(T16)
    prefix = "import numpy as np\n\n\ndef unrelated(a):\n    return [i * 7 for i in range(a)] + [a % 3]\n\n\n"
    copy = prefix + rename(ref)
    (pair,) = compare_sources(T16, {"alice": ref, "bob": copy})
    assert (pair.student_a, pair.student_b) == ("alice", "bob")
    assert pair.score > 0.9 and pair.matched_tokens > 300
    offset = prefix.count("\n")
    for region in pair.regions:
        assert region.b_lines[0] > offset  # bob's unrelated function matches nothing
        assert region.a_text == "\n".join(ref.split("\n")[region.a_lines[0] - 1:region.a_lines[1]])
    biggest = max(pair.regions, key=lambda r: r.tokens)
    assert "tp = int(np.count_nonzero(predicted & actual))" in biggest.a_text
    assert "my_tp_v" in biggest.b_text


# ---------------------------------------------------------------- measured rates


def _answers(slug: str) -> dict[str, tuple[str, str]]:
    """``name -> (family, source)``: independent answers are of different families; a mutant is the reference's."""
    answers = {"reference": ("reference", reference_source(slug))}
    for mutant in load_mutants(slug):
        answers[f"mutant:{mutant.name}"] = ("reference", mutant.apply(reference_source(slug)))
    seed = seed_source(slug)
    if seed is not None:
        answers["seed"] = ("seed", seed)
    for number, own in enumerate(OWN.get(slug, [])):
        answers[f"own{number}"] = (f"own{number}", own)
    return answers


RATE_TOPICS = sorted(p.stem for p in (ROOT / "solutions").glob("t[0-9]*.py"))


def _measure(slug: str) -> dict[str, list]:
    """One topic's pairs: planted copies, reference-mutant near copies, and the independent pairs.

    Each pair is judged on its own (a cohort of two), so the verdict is the pair's alone; the
    cohort filter (code most of the cohort writes) has its own test below.
    """
    answers = _answers(slug)
    cohort = dict(answers)
    planted = []  # (original, copy): must be flagged
    for name in [n for n in answers if not n.startswith("mutant:")]:
        family, source = answers[name]
        for disguise, make in DISGUISES.items():
            cohort[f"{name}~{disguise}"] = (family, make(source))
            planted.append((name, f"{name}~{disguise}"))
    near = [("reference", name) for name in answers if name.startswith("mutant:")]
    independent = [(a, b) for a, b in combinations(cohort, 2) if cohort[a][0] != cohort[b][0]]
    given = release_code(_release(slug))
    prints = {name: fingerprint(name, [source], given) for name, (_, source) in cohort.items()}
    flagged = lambda a, b: bool(compare(slug, [prints[a], prints[b]]))
    # an answer with fewer tokens of its own than the floor can never flag, by design (short solutions)
    short = lambda a: len(prints[a].tokens) < DEFAULTS.min_tokens
    return {kind: [(slug, a, b, flagged(a, b), short(a)) for a, b in pairs]
            for kind, pairs in (("planted", planted), ("near", near), ("independent", independent))}


@pytest.fixture(scope="module")
def rates():
    totals: dict[str, list] = {"planted": [], "near": [], "independent": []}
    for slug in RATE_TOPICS:
        for kind, rows in _measure(slug).items():
            totals[kind].extend(rows)
    return totals


def _rate(rows: list) -> str:
    return f"{sum(r[3] for r in rows)}/{len(rows)} = {sum(r[3] for r in rows) / len(rows):.3f}"


def test_detection_and_false_positive_rates(rates, capsys):
    planted, near, independent = rates["planted"], rates["near"], rates["independent"]
    flaggable = [row for row in planted if not row[4]]
    short = [row for row in planted if row[4]]
    false_positives = [row for row in independent if row[3]]
    with capsys.disabled():
        print(f"\nsimilarity over {len(RATE_TOPICS)} topics (k={DEFAULTS.k}, w={DEFAULTS.window}, "
              f"threshold={DEFAULTS.threshold}, min_tokens={DEFAULTS.min_tokens}), each pair judged alone:\n"
              f"  planted copies detected, all: {_rate(planted)}\n"
              f"  planted copies detected, originals of >= {DEFAULTS.min_tokens} tokens: {_rate(flaggable)}\n"
              f"  planted copies of shorter originals (never flagged, by design): {_rate(short)}\n"
              f"  reference-mutant near copies detected: {_rate(near)}\n"
              f"  independent pairs flagged: {len(false_positives)}/{len(independent)}")
        for disguise in DISGUISES:
            print(f"    {disguise}: {_rate([r for r in flaggable if r[2].endswith('~' + disguise)])}")
        for slug, a, b, _, _ in [r for r in flaggable if not r[3]]:
            print(f"  missed: {slug} {a} ~ {b}")
        for slug, a, b, _, _ in false_positives:
            print(f"  false positive: {slug} {a} ~ {b}")
    assert len(flaggable) >= 200 and len(independent) >= 1000
    assert sum(r[3] for r in flaggable) / len(flaggable) >= 0.9
    assert sum(r[3] for r in near) / len(near) >= 0.9
    assert false_positives == []


def test_every_kind_of_disguise_is_detected_in_own_answers(rates):
    # the answers written in another style are the cohort's most independent; each disguise must be caught
    own = [row for row in rates["planted"] if row[1].startswith("own")]
    assert len(own) == 6 * sum(len(v) for v in OWN.values())
    assert all(row[3] for row in own), [row for row in own if not row[3]]


def test_the_independent_set_holds_the_pairs_that_matter(rates):
    pairs = {(slug, *sorted((a, b))) for slug, a, b, _, _ in rates["independent"]}
    assert (T05, "reference", "seed") in pairs and (T05, "own0", "reference") in pairs
    assert (T15, "own0", "own1") in pairs
    assert not any(a.startswith("mutant:") and b == "reference" for _, a, b in pairs)
    assert (T05, "mutant:no_scale", "seed") in pairs


# ---------------------------------------------------------------- a course folder, hostile


def _write(course, student, slug, nb_or_bytes):
    path = course / "submitted" / student / slug / f"{slug}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_bytes, bytes):
        path.write_bytes(nb_or_bytes)
    else:
        nbformat.write(nb_or_bytes, path)
    return path


EVIL = "<img src=x onerror=alert(1)>"  # a folder name: no slash
HOSTILE_CODE = "</pre><script>x()</script>"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course of two assignments: copies, independent answers, unanswered stubs and hostile files."""
    root = tmp_path_factory.mktemp("similarity") / "course"
    release = _release(T05)
    _write(root, "alice", T05, submission_notebook(release, reference_source(T05)))
    _write(root, EVIL, T05, submission_notebook(release, DISGUISES["everything"](reference_source(T05))))
    _write(root, "carol", T05, submission_notebook(release, seed_source(T05)))
    _write(root, "dave", T05, submission_notebook(release, OWN[T05][0]))
    _write(root, "stub1", T05, submission_notebook(release, None))
    _write(root, "stub2", T05, submission_notebook(release, None))
    # erin pastes dave's answer into a cell she adds, leaving the solution cell as released
    erin = submission_notebook(release, None)
    pasted = recomment(rename(OWN[T05][0])).replace("inputs need at least two dimensions", HOSTILE_CODE)
    erin.cells.insert(len(erin.cells) - 1, nbformat.v4.new_code_cell(pasted))
    _write(root, "erin", T05, erin)
    _write(root, "broken", T05, b'{"cells": [')
    _write(root, "binary", T05, b"\xff\xfe\x00garbage")
    _write(root, "huge", T05, b" " * (16 << 20) + b"{}")
    _write(root, "weird", T05, b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [1, "x"]}')
    link = root / "submitted" / "linker" / T05
    link.mkdir(parents=True)
    (link / f"{T05}.ipynb").symlink_to(ROOT / "solutions" / f"{T05}.py")
    (root / "submitted" / "folder" / T05 / f"{T05}.ipynb").mkdir(parents=True)
    release16 = _release(T16)
    _write(root, "alice", T16, submission_notebook(release16, reference_source(T16)))
    _write(root, "bob", T16, submission_notebook(release16, OWN[T16][0]))
    return Course(root)


@pytest.fixture(scope="module")
def analysed(course):
    return find_similar(course, [T05, T16])


def test_a_course_flags_the_copies_and_skips_what_it_cannot_read(analysed):
    t05, t16 = analysed
    assert t05.assignment == T05
    assert {(p.student_a, p.student_b) for p in t05.pairs} == {(EVIL, "alice"), ("dave", "erin")}
    assert t05.pairs[0].score >= t05.pairs[1].score
    assert t05.compared == 5  # alice, the copier, carol, dave, erin: stubs have no code of their own
    skipped = {note.split(":")[0] for note in t05.notes}
    assert skipped == {"broken", "binary", "huge", "weird", "linker", "folder"}
    assert t16.pairs == [] and t16.compared == 2
    (erin,) = [p for p in t05.pairs if p.student_b == "erin"]
    assert any(HOSTILE_CODE in region.b_text for region in erin.regions)


def test_source_is_capped_per_submission(tmp_path):
    release = _release(T16)
    padded = reference_source(T16) + "\n" + "x = [1, 2, 3]\n" * 4000  # about 60 KiB of code
    _write(tmp_path, "padder", T16, submission_notebook(release, padded))
    _write(tmp_path, "alice", T16, submission_notebook(release, reference_source(T16)))
    (t16,) = find_similar(Course(tmp_path), [T16], SimilarityOptions(max_source_bytes=16 << 10))
    assert t16.notes == ["padder: only the first 16 KiB of code compared"]
    (pair,) = t16.pairs  # the reference, first in padder's cell, is still compared
    assert (pair.student_a, pair.student_b) == ("alice", "padder")
    assert DEFAULTS.max_source_bytes == 256 << 10


def test_the_report_section_escapes_student_ids_and_code(analysed):
    html = render("similarity.html.j2", **similarity_context(analysed))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    assert html.count('class="simpair"') >= 2  # matched regions shown side by side
    assert T16 in html and "No pair" in html


def test_empty_cohort_and_empty_context():
    assert compare(T05, []) == []
    assert compare(T05, [Fingerprinted("a", "", [], {})]) == []
    html = render("similarity.html.j2", **similarity_context([]))
    assert "Similar submissions" in html and "No assignment" in html
