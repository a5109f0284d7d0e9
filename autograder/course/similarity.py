"""Similarity of submissions: which pairs of students of one assignment may have shared code.

The method is MOSS's (Schleimer, Wilkerson and Aiken, *Winnowing: local algorithms for document
fingerprinting*, SIGMOD 2003), on the code a student wrote:

1. **What is compared.** Of each submitted notebook, the solution code cells (by nbgrader
   ``grade_id``, as the release defines them, exactly as the engine picks them) and the code cells
   the student added. Every line the release gives everyone (the stubs' signatures and
   docstrings, imports, setup code) is removed, line by line ignoring whitespace:
   everyone has it, so it proves nothing (MOSS's "base file").
2. **Normalisation.** Python's :mod:`tokenize` (a regex tokenizer for a cell that does not
   tokenize); comments, docstrings, indentation and line breaks are dropped; every identifier
   becomes one placeholder, so renaming variables changes nothing; strings become one placeholder
   too (messages are as easy to reword as names). Kept: keywords, operators, numbers, builtins
   (``len``, ``isinstance``, ``ValueError``) and attribute names (``tf.reduce_sum``'s
   ``reduce_sum``): a copier cannot rename those without changing what the code does, and they
   are what tells two independent solutions apart once every variable is the same placeholder.
3. **Fingerprints.** Every k-gram of tokens is hashed with BLAKE2b (stable across runs, unlike
   ``hash``); winnowing keeps the rightmost smallest hash of every window of ``w`` k-grams, which
   guarantees that any shared run of ``w + k - 1`` tokens shares a fingerprint.
4. **Score.** ``shared / min(|A|, |B|)`` over the distinct fingerprints of both submissions: the
   share of the *smaller* submission found in the other, so padding a copy with extra code does
   not hide it (Jaccard would). Fingerprints found in a large part of the cohort are ignored
   (the code everyone writes). The reference solution is *not* ignored: students never see it,
   so two students sharing it is still sharing; independent students writing the same short
   idiom are kept apart by the minimum of matched tokens instead.
5. **Flag.** A pair is flagged when its score reaches ``threshold`` *and* its matching regions
   cover at least ``min_tokens`` tokens of both sides, so that short solutions (which
   independent students write alike) never flag on their own.

Measured by ``tests/course/test_similarity.py`` on the bank's 40 topics (reference, seed version,
mutants, answers written in another style; every pair judged on its own): planted copies
(renamed, reordered, recommented, respaced, all at once) of every answer of at least
``min_tokens`` tokens are flagged 99% of the time, reference/mutant near copies always, and no
pair of independent answers is flagged.

A flag is a lead for a human, never a verdict: the report shows the matching regions side by
side. Every byte of a submission is hostile: an unreadable, malformed or oversized notebook is
skipped with a note, and only the first ``max_source_bytes`` of a student's code are compared.
"""

from __future__ import annotations

import builtins
import io
import keyword
import re
import tokenize
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from hashlib import blake2b
from itertools import combinations
from pathlib import Path
from typing import Any

from autograder.course.config import settings
from autograder.course.course import Course
from autograder.engine.submission import parse_notebook, read_text
from autograder.errors import SubmissionError

IDENTIFIER = "V"  # every name a student chooses
STRING = "S"  # every string literal that is not a docstring
KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(name for name in dir(builtins) if not name.startswith("_"))
SKIPPED_TOKENS = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENCODING, tokenize.ENDMARKER})
STATEMENT_START = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING})
MAX_PAIRINGS = 64  # occurrences of one fingerprint in two submissions paired every way, at most
MAX_REGIONS = 30  # matching regions shown per pair, the largest


@dataclass(frozen=True)
class SimilarityOptions:
    """The knobs of the analysis (the defaults were measured by ``tests/course/test_similarity.py``).

    Attributes:
        k: Tokens per k-gram (noise threshold: shorter shared runs are never seen).
        window: Winnowing window ``w``: a shared run of ``window + k - 1`` tokens is always seen.
        threshold: Smallest score (shared fingerprints / the smaller submission's) that flags a pair.
        min_tokens: Fewest tokens that the matching regions must cover on both sides to flag a pair.
        common_fraction: A fingerprint in more than this share of the cohort is the common solution ...
        common_min: ... provided it is also in at least this many submissions (so two copiers out of
            three students are not "the common solution").
        max_source_bytes: Code read per submission (UTF-8); the rest is not compared.
    """

    k: int = 12
    window: int = 8
    threshold: float = 0.5
    min_tokens: int = 60
    common_fraction: float = 0.3
    common_min: int = 10
    max_source_bytes: int = 256 << 10


DEFAULTS = SimilarityOptions()


@dataclass(frozen=True)
class Token:
    """One normalised token and the lines (1-based, of the student's code) it came from."""

    text: str
    first_line: int
    last_line: int


@dataclass
class Fingerprinted:
    """One submission, normalised: its code, tokens and winnowed fingerprints."""

    student: str
    source: str
    tokens: list[Token]
    positions: dict[int, list[int]]  # fingerprint -> token index of each k-gram selected with it

    @cached_property
    def lines(self) -> list[str]:
        """The lines of ``source`` (as tokenize numbers them)."""
        return self.source.split("\n")

    @property
    def fingerprints(self) -> set[int]:
        """The distinct fingerprints."""
        return set(self.positions)


@dataclass(frozen=True)
class Region:
    """One matching stretch of code: its lines (1-based, inclusive) and text on both sides."""

    a_lines: tuple[int, int]
    b_lines: tuple[int, int]
    a_text: str
    b_text: str
    tokens: int  # normalised tokens of ``a`` in the region


@dataclass(frozen=True)
class FlaggedPair:
    """Two students of one assignment whose code is similar enough for a human to compare."""

    assignment: str
    student_a: str
    student_b: str
    score: float  # shared fingerprints / the smaller submission's, in [0, 1]
    matched_tokens: int  # tokens covered by the matching regions, the smaller side's
    regions: tuple[Region, ...]


@dataclass
class AssignmentSimilarity:
    """The analysis of one assignment: the pairs flagged, and what could not be compared."""

    assignment: str
    compared: int  # submissions with code left to compare
    pairs: list[FlaggedPair]
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the student's code


def normalised_line(line: str) -> str:
    """``line`` without any whitespace: how release lines and student lines are matched.

    All of it goes, not only the indentation: ``f( x ,y )`` is still the release's ``f(x, y)``.
    """
    return "".join(line.split())


def _code_cells(cells: Iterable[Any]) -> list[Any]:
    return [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]


def _cell_text(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _grade_id(cell: Mapping[str, Any]) -> str | None:
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) and grade_id else None


@dataclass(frozen=True)
class ReleaseCode:
    """The code the release gives everyone, as it is recognised in a student's cell.

    Attributes:
        lines: Every non-blank line of the release's code cells, without whitespace: a student
            line equal to one of them is the release's (an import, a setup line, a test pasted in).
        stubs: The token pattern of each line of the solution cells' stubs: a student line with
            the same pattern is the stub's, even with its parameters renamed (a renamed
            signature is still the signature everyone was given).
    """

    lines: frozenset[str] = frozenset()
    stubs: frozenset[tuple[str, ...]] = frozenset()

    def gives(self, line: str, pattern: tuple[str, ...]) -> bool:
        """Whether a student's ``line`` (its normalised tokens: ``pattern``) is the release's."""
        return normalised_line(line) in self.lines or pattern in self.stubs


NOTHING_GIVEN = ReleaseCode()


def _line_patterns(tokens: list[Token]) -> dict[int, tuple[str, ...]]:
    """``line -> the texts of the tokens starting on it``."""
    patterns: dict[int, list[str]] = defaultdict(list)
    for token in tokens:
        patterns[token.first_line].append(token.text)
    return {line: tuple(texts) for line, texts in patterns.items()}


def release_code(release: Mapping[str, Any]) -> ReleaseCode:
    """What :class:`ReleaseCode` recognises of ``release``'s code cells."""
    cells = _code_cells(release.get("cells", []))
    lines = frozenset(normalised_line(line) for cell in cells for line in _cell_text(cell).split("\n"))
    solutions = solution_ids(release)
    stubs = frozenset(pattern for cell in cells if _grade_id(cell) in solutions
                      for pattern in _line_patterns(cell_tokens(_cell_text(cell))).values())
    return ReleaseCode(lines - {""}, stubs)


def solution_ids(release: Mapping[str, Any]) -> frozenset[str]:
    """The ``grade_id`` of the release's solution code cells (the cells a student writes in)."""
    ids = set()
    for cell in _code_cells(release.get("cells", [])):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and meta.get("solution") and _grade_id(cell):
            ids.add(_grade_id(cell))
    return frozenset(ids)


def student_cells(notebook: Mapping[str, Any], release: Mapping[str, Any]) -> list[str]:
    """The sources of the cells the student wrote, in notebook order.

    As the engine decides (:func:`autograder.engine.submission.read_submission`): the first cell
    of each solution ``grade_id`` of the release, and every code cell whose ``grade_id`` the
    release does not have (a cell the student added). Locked and graded cells are the release's.
    """
    solutions = solution_ids(release)
    known = {_grade_id(c) for c in release.get("cells", []) if isinstance(c, dict)} - {None}
    seen: set[str] = set()
    sources = []
    for cell in _code_cells(notebook.get("cells", [])):
        grade_id = _grade_id(cell)
        if grade_id in known:
            if grade_id not in solutions or grade_id in seen:
                continue  # the release's own cell, or a copy of a solution cell the engine ignores too
            seen.add(grade_id)
        sources.append(_cell_text(cell))
    return sources


def capped(cells: list[str], max_bytes: int) -> tuple[list[str], bool]:
    """``cells`` cut to ``max_bytes`` of UTF-8 in all (at a line break), and whether anything was cut."""
    kept: list[str] = []
    budget = max_bytes
    for cell in cells:
        size = len(cell.encode("utf-8", "surrogatepass"))
        if size <= budget:
            kept.append(cell)
            budget -= size
            continue
        head = cell.encode("utf-8", "surrogatepass")[:budget].decode("utf-8", "ignore")
        kept.append(head[:head.rfind("\n") + 1])
        return kept, True
    return kept, False


# --------------------------------------------------------------------------- tokens

# The fallback tokenizer, for a cell Python's tokenize refuses (an unterminated string or
# bracket, a bad dedent, a cut-off cell): strings may be unterminated, unknown characters are skipped.
_FALLBACK = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
                              |'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?))
  | (?P<number>\.?\d[\w.]*)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|\.\.\.|[-+*/%&|^@<>=!]=|[-+*/%&|^@~<>=(){}\[\].,:;])
""", re.VERBOSE)


def _name(text: str, previous: str | None) -> str:
    """An identifier as compared: attribute names and builtins kept, every other name the placeholder."""
    return text if previous == "." or text in KEPT_NAMES else IDENTIFIER


def _python_tokens(cell: str, offset: int) -> list[Token]:
    """The normalised tokens of ``cell`` by :mod:`tokenize`; raises on source it cannot tokenize."""
    raw = [t for t in tokenize.generate_tokens(io.StringIO(cell).readline)
           if t.type not in (tokenize.COMMENT, tokenize.NL)]
    tokens: list[Token] = []
    previous: str | None = None
    for index, tok in enumerate(raw):
        if tok.type in SKIPPED_TOKENS:
            previous = None
            continue
        if tok.type == tokenize.STRING:
            starts = index == 0 or raw[index - 1].type in STATEMENT_START
            ends = index + 1 == len(raw) or raw[index + 1].type in (tokenize.NEWLINE, tokenize.ENDMARKER)
            if starts and ends:
                continue  # a docstring (or a bare string statement): documentation, not code
            text = STRING
        elif tok.type == tokenize.NAME:
            text = _name(tok.string, previous)
        else:
            text = tok.string
        tokens.append(Token(text, tok.start[0] + offset, tok.end[0] + offset))
        previous = tok.string
    return tokens


def _fallback_tokens(cell: str, offset: int) -> list[Token]:
    """The normalised tokens of ``cell`` by a regex: for source :mod:`tokenize` refuses."""
    found = []
    line, counted = offset + 1, 0
    for match in _FALLBACK.finditer(cell):
        line += cell.count("\n", counted, match.start())  # counted incrementally: linear in the cell
        counted = match.start()
        if match.lastgroup != "comment":
            found.append((match, line))
    tokens: list[Token] = []
    previous: str | None = None
    for index, (match, line) in enumerate(found):
        last = line + match.group().count("\n")
        if match.lastgroup == "string":
            alone_before = index == 0 or found[index - 1][1] + found[index - 1][0].group().count("\n") < line
            alone_after = index + 1 == len(found) or found[index + 1][1] > last
            if alone_before and alone_after:
                continue  # a string alone on its lines: most likely a docstring
            text = STRING
        elif match.lastgroup == "name":
            text = _name(match.group(), previous)
        else:
            text = match.group()
        tokens.append(Token(text, line, last))
        previous = match.group()
    return tokens


def cell_tokens(cell: str, offset: int = 0) -> list[Token]:
    """The normalised tokens of one cell, its lines shifted by ``offset``."""
    try:
        return _python_tokens(cell, offset)
    except (tokenize.TokenError, SyntaxError, ValueError):  # IndentationError is a SyntaxError
        return _fallback_tokens(cell, offset)


def code_tokens(cells: list[str], given: ReleaseCode = NOTHING_GIVEN) -> tuple[str, list[Token]]:
    """The student's code (cells joined by a blank line) and its tokens, without the lines ``given``.

    Each cell is tokenized on its own, so one broken cell does not spoil the others; a line's
    tokens are dropped when the release gave everyone that line.
    """
    tokens: list[Token] = []
    offset = 0
    for cell in cells:
        lines = cell.split("\n")  # as tokenize counts lines (not str.splitlines, which also splits at \f, \x1c ...)
        found = cell_tokens(cell, offset)
        patterns = _line_patterns(found)
        dropped = {number for number, pattern in patterns.items()
                   if given.gives(_line(lines, number - offset), pattern)}
        tokens.extend(t for t in found if t.first_line not in dropped)
        offset += len(lines) + 1
    return "\n\n".join(cells), tokens


def _line(lines: list[str], number: int) -> str:
    return lines[number - 1] if 1 <= number <= len(lines) else ""


# --------------------------------------------------------------------------- fingerprints


def kgram_hashes(tokens: list[Token], k: int) -> list[int]:
    """The 64-bit BLAKE2b hash of every k-gram of ``tokens`` (none when there are fewer than ``k``)."""
    texts = [t.text for t in tokens]
    return [int.from_bytes(blake2b("\x1f".join(texts[i:i + k]).encode(), digest_size=8).digest(), "big")
            for i in range(len(texts) - k + 1)]


def winnow(hashes: list[int], window: int) -> list[tuple[int, int]]:
    """``(hash, position)`` selected by winnowing: the rightmost minimum of every window, once each.

    A monotonic queue keeps the candidates of the current window, so this is linear.
    """
    if not hashes:
        return []
    window = min(window, len(hashes))
    selected: list[tuple[int, int]] = []
    queue: deque[int] = deque()  # positions with increasing hashes; the front is the window's minimum
    for position, value in enumerate(hashes):
        while queue and hashes[queue[-1]] >= value:
            queue.pop()  # ">=": on a tie the rightmost position wins (the paper's definition, its figure 2)
        queue.append(position)
        if queue[0] <= position - window:
            queue.popleft()
        if position >= window - 1 and (not selected or selected[-1][1] != queue[0]):
            selected.append((hashes[queue[0]], queue[0]))
    return selected


def fingerprint(student: str, cells: list[str], given: ReleaseCode = NOTHING_GIVEN,
                options: SimilarityOptions = DEFAULTS) -> Fingerprinted:
    """One submission's code cells, normalised and fingerprinted."""
    source, tokens = code_tokens(cells, given)
    positions: dict[int, list[int]] = defaultdict(list)
    for value, position in winnow(kgram_hashes(tokens, options.k), options.window):
        positions[value].append(position)
    return Fingerprinted(student, source, tokens, dict(positions))


# --------------------------------------------------------------------------- pairs


def common_fingerprints(cohort: list[Fingerprinted], options: SimilarityOptions = DEFAULTS) -> set[int]:
    """Fingerprints in more than ``common_fraction`` of the cohort and in at least ``common_min`` submissions."""
    counts: dict[int, int] = defaultdict(int)
    for submission in cohort:
        for value in submission.positions:
            counts[value] += 1
    share = options.common_fraction * len(cohort)
    return {value for value, count in counts.items() if count > share and count >= options.common_min}


def _shared_counts(cohort: list[Fingerprinted], common: set[int]) -> dict[tuple[int, int], int]:
    """``(i, j) -> shared distinct fingerprints`` of every pair sharing any, by an inverted index."""
    holders: dict[int, list[int]] = defaultdict(list)
    for index, submission in enumerate(cohort):
        for value in submission.positions:
            if value not in common:
                holders[value].append(index)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for indices in holders.values():
        for pair in combinations(indices, 2):
            shared[pair] += 1
    return shared


def _pairings(in_a: list[int], in_b: list[int]) -> Iterable[tuple[int, int]]:
    """The occurrences of one fingerprint in ``a`` and ``b`` paired up.

    Every pair while there are few; for code repeated many times, the i-th occurrence with the
    i-th (a copy keeps its order), so that repetitive code cannot make the pairing quadratic.
    """
    if len(in_a) * len(in_b) <= MAX_PAIRINGS:
        return ((pa, pb) for pa in in_a for pb in in_b)
    return zip(in_a, in_b, strict=False)  # the extra occurrences of the longer side stay unpaired


def _runs(a: Fingerprinted, b: Fingerprinted, shared: set[int], k: int) -> list[list[tuple[int, int]]]:
    """Shared k-grams as runs of ``(position in a, position in b)`` that advance together on both sides.

    A run continues while the next shared k-gram starts within ``k`` tokens of the last on both
    sides (so their spans touch): one copied stretch of code, whatever was renamed inside it.
    """
    matches = sorted(pair for value in shared for pair in _pairings(a.positions[value], b.positions[value]))
    runs: list[list[tuple[int, int]]] = []
    open_runs: list[list[tuple[int, int]]] = []  # the runs a later match may still continue
    for pa, pb in matches:
        # matches come in order of position in a: a run more than k behind can never continue
        open_runs = [run for run in open_runs if pa - run[-1][0] <= k]
        fitting = [run for run in open_runs if 0 <= pa - run[-1][0] <= k and 0 <= pb - run[-1][1] <= k]
        if fitting:
            # the run on this match's diagonal, rather than a repeated idiom's chance match nearby
            min(fitting, key=lambda run: abs((pa - run[-1][0]) - (pb - run[-1][1]))).append((pa, pb))
        else:
            runs.append([(pa, pb)])
            open_runs.append(runs[-1])
    return runs


def _lines(submission: Fingerprinted, first: int, last: int) -> tuple[tuple[int, int], str]:
    """The line range of tokens ``first..last`` (inclusive) and its original text."""
    start, end = submission.tokens[first].first_line, submission.tokens[last].last_line
    text = "\n".join(submission.lines[start - 1:end])
    return (start, end), text


def _covered(spans: Iterable[tuple[int, int]]) -> int:
    """Tokens in the union of the inclusive spans."""
    covered, end = 0, -1
    for first, last in sorted(spans):
        if last > end:
            covered += last - max(first, end + 1) + 1
            end = last
    return covered


def _extended(a: list[Token], b: list[Token], span: tuple[int, int, int, int],
              reach: int) -> tuple[int, int, int, int]:
    """``span`` grown over the equal tokens on both sides of it, at most ``reach`` tokens each way.

    Winnowing may select no k-gram among the first and last ``window + k - 2`` tokens of a
    match, so the ends of a copied stretch are found by comparing the tokens themselves (no
    further: repetitive code would make this quadratic).
    """
    first_a, last_a, first_b, last_b = span
    for _ in range(reach):
        if first_a == 0 or first_b == 0 or a[first_a - 1].text != b[first_b - 1].text:
            break
        first_a, first_b = first_a - 1, first_b - 1
    for _ in range(reach):
        if last_a + 1 == len(a) or last_b + 1 == len(b) or a[last_a + 1].text != b[last_b + 1].text:
            break
        last_a, last_b = last_a + 1, last_b + 1
    return first_a, last_a, first_b, last_b


def _inside(span: tuple[int, int, int, int], other: tuple[int, int, int, int]) -> bool:
    """Whether ``span`` lies within ``other`` on both sides."""
    return other[0] <= span[0] and span[1] <= other[1] and other[2] <= span[2] and span[3] <= other[3]


def matching_regions(a: Fingerprinted, b: Fingerprinted, shared: set[int],
                     options: SimilarityOptions = DEFAULTS) -> tuple[int, tuple[Region, ...]]:
    """``(matched tokens, regions)``: the smaller side's tokens in matching regions, and the largest regions."""
    k, reach = options.k, options.k + options.window
    spans = []
    for run in _runs(a, b, shared, k):
        first_a, last_a = min(p for p, _ in run), max(p for p, _ in run) + k - 1
        first_b, last_b = min(p for _, p in run), max(p for _, p in run) + k - 1
        spans.append(_extended(a.tokens, b.tokens, (first_a, last_a, first_b, last_b), reach))
    matched = min(_covered((s[0], s[1]) for s in spans), _covered((s[2], s[3]) for s in spans))
    largest: list[tuple[int, int, int, int]] = []
    for span in sorted(spans, key=lambda s: s[1] - s[0], reverse=True):
        if len(largest) == MAX_REGIONS:
            break
        if not any(_inside(span, bigger) for bigger in largest):  # a repeated idiom matched inside a region
            largest.append(span)
    regions = []
    for first_a, last_a, first_b, last_b in sorted(largest):
        a_lines, a_text = _lines(a, first_a, last_a)
        b_lines, b_text = _lines(b, first_b, last_b)
        regions.append(Region(a_lines, b_lines, a_text, b_text, last_a - first_a + 1))
    return matched, tuple(regions)


def compare(assignment: str, cohort: list[Fingerprinted],
            options: SimilarityOptions = DEFAULTS) -> list[FlaggedPair]:
    """The flagged pairs of one assignment's fingerprinted submissions, highest score first."""
    common = common_fingerprints(cohort, options)
    own = [submission.fingerprints - common for submission in cohort]
    flagged = []
    for (i, j), count in _shared_counts(cohort, common).items():
        smaller = min(len(own[i]), len(own[j]))
        score = count / smaller if smaller else 0.0
        if score < options.threshold:
            continue
        a, b = sorted((cohort[i], cohort[j]), key=lambda s: s.student)
        matched, regions = matching_regions(a, b, own[i] & own[j], options)
        if matched >= options.min_tokens:
            flagged.append(FlaggedPair(assignment, a.student, b.student, score, matched, regions))
    return sorted(flagged, key=lambda p: (-p.score, -p.matched_tokens, p.student_a, p.student_b))


def compare_sources(assignment: str, sources: Mapping[str, str | list[str]], given: ReleaseCode = NOTHING_GIVEN,
                    options: SimilarityOptions = DEFAULTS) -> list[FlaggedPair]:
    """:func:`compare` on plain code: ``student -> source`` (one cell) or ``student -> cells``."""
    cohort = []
    for student, code in sources.items():
        cells, _ = capped([code] if isinstance(code, str) else list(code), options.max_source_bytes)
        cohort.append(fingerprint(student, cells, given, options))
    return compare(assignment, cohort, options)


# --------------------------------------------------------------------------- a course


def _submitted_cells(path: Path, release: Mapping[str, Any], max_notebook_bytes: int) -> list[str]:
    """The student's code cells of the notebook at ``path``; :class:`SubmissionError` when unreadable."""
    notebook = parse_notebook(read_text(path, max_notebook_bytes))
    return student_cells(notebook, release)


def assignment_similarity(course: Course, assignment: str,
                          options: SimilarityOptions = DEFAULTS) -> AssignmentSimilarity:
    """Every submission of ``assignment`` in ``course`` compared with every other."""
    try:
        release = course.release(assignment)
    except Exception as exc:  # noqa: BLE001 - no release, no solution cells: nothing to compare
        return AssignmentSimilarity(assignment, 0, [], [f"no release notebook ({type(exc).__name__})"])
    given = release_code(release)
    max_notebook_bytes = int(settings(course.config).notebook_bytes)
    cohort, notes = [], []
    for task in course.find_tasks([assignment]):
        try:
            cells = _submitted_cells(task.path, release, max_notebook_bytes)
        except SubmissionError as exc:
            notes.append(f"{task.student}: skipped, {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - hostile bytes may break any parser: skip, never crash
            notes.append(f"{task.student}: skipped, the notebook could not be read ({type(exc).__name__})")
            continue
        cells, cut = capped(cells, options.max_source_bytes)
        if cut:
            notes.append(f"{task.student}: only the first {options.max_source_bytes >> 10} KiB of code compared")
        submission = fingerprint(task.student, cells, given, options)
        if submission.positions:
            cohort.append(submission)
    return AssignmentSimilarity(assignment, len(cohort), compare(assignment, cohort, options), notes)


def find_similar(course: Course, assignments: list[str],
                 options: SimilarityOptions = DEFAULTS) -> list[AssignmentSimilarity]:
    """The similarity analysis of each of ``assignments``, in that order."""
    return [assignment_similarity(course, assignment, options) for assignment in assignments]


# --------------------------------------------------------------------------- the report's section


def _range(lines: tuple[int, int]) -> str:
    first, last = lines
    return str(first) if first == last else f"{first}–{last}"


def similarity_context(results: list[AssignmentSimilarity], options: SimilarityOptions = DEFAULTS) -> dict[str, Any]:
    """What ``templates/similarity.html.j2`` shows: plain values only (the template escapes them all)."""
    return {
        "similarity": [{
            "assignment": result.assignment,
            "compared": result.compared,
            "notes": list(result.notes),
            "pairs": [{
                "student_a": pair.student_a,
                "student_b": pair.student_b,
                "score": f"{100 * pair.score:.0f}%",
                "matched_tokens": pair.matched_tokens,
                "regions": [{"a_lines": _range(r.a_lines), "b_lines": _range(r.b_lines),
                             "a_text": r.a_text, "b_text": r.b_text} for r in pair.regions],
            } for pair in result.pairs],
        } for result in results],
        "similarity_threshold": f"{100 * options.threshold:.0f}%",
        "similarity_min_tokens": options.min_tokens,
    }
