"""``mmqb benchmark``: the cohort, the nbgrader sample and its scaling, the score identity, the report.

No timing is asserted: the figures are measured by running the benchmark, never in a test.
The end-to-end test runs it on a tiny cohort and checks the report's structure only.
"""

from __future__ import annotations

import json

import pytest

from autograder import benchmark
from autograder.mutation import load_mutants, reference_cell, reference_source, seed_source

SLUG = "t01_class_balance"


# ------------------------------------------------------------------ the cohort
def test_cohort_kinds_take_turns():
    assert [benchmark.student_kind(i) for i in range(6)] == [
        "reference", "mutant", "stub", "seed", "reference", "mutant"]


def test_submission_code_of_each_kind():
    assert benchmark.submission_code(SLUG, "reference", 0) == reference_cell(SLUG)
    assert benchmark.submission_code(SLUG, "stub", 2) is None
    assert benchmark.submission_code(SLUG, "seed", 3) == seed_source(SLUG)
    mutants = load_mutants(SLUG)
    assert len(mutants) >= 2
    first, second = benchmark.submission_code(SLUG, "mutant", 1), benchmark.submission_code(SLUG, "mutant", 5)
    assert first == mutants[0].apply(reference_source(SLUG))
    assert second == mutants[1].apply(reference_source(SLUG))  # the next mutant student, the next bug
    assert first != second and reference_source(SLUG) not in (first, second)


def test_submission_code_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        benchmark.submission_code(SLUG, "crashing", 0)


def test_build_cohort_rejects_bad_student_counts(tmp_path):
    with pytest.raises(TypeError, match="students must be an int, got float"):
        benchmark.build_cohort(tmp_path, [SLUG], 2.0)
    with pytest.raises(ValueError, match="at least 1, got 0"):
        benchmark.build_cohort(tmp_path, [SLUG], 0)


# ------------------------------------------------------------------ the nbgrader sample
def _kinds(topics: int, students: int) -> dict[tuple[str, str], str]:
    return {(f"t{t:02d}_x", f"s{i:03d}"): benchmark.student_kind(i) for t in range(topics) for i in range(students)}


def test_sample_spreads_over_topics_and_kinds():
    kinds = _kinds(30, 8)
    sample = benchmark.sample_submissions(kinds, 24)
    assert len(sample) == len(set(sample)) == 24
    assert len({slug for slug, _ in sample}) == 24  # 24 different topics
    assert {kinds[k] for k in sample} == set(benchmark.KINDS)
    assert sum(kinds[k] == "reference" for k in sample) == 6  # each kind a quarter
    assert benchmark.sample_submissions(kinds, 24) == sample  # deterministic


def test_sample_larger_than_a_topic_and_whole_cohort():
    kinds = _kinds(2, 4)
    sample = benchmark.sample_submissions(kinds, 6)
    assert len(set(sample)) == 6 and {kinds[k] for k in sample} == set(benchmark.KINDS)
    assert benchmark.sample_submissions(kinds, None) == sorted(kinds)
    assert benchmark.sample_submissions(kinds, 100) == sorted(kinds)


def test_sample_size_must_be_a_positive_int():
    with pytest.raises(TypeError, match="must be an int, got float"):
        benchmark.sample_submissions(_kinds(2, 4), 2.5)
    with pytest.raises(ValueError, match="at least 1 notebook, got 0"):
        benchmark.sample_submissions(_kinds(2, 4), 0)


def test_scaling_removes_the_runs_start_then_counts_one_run_per_topic():
    # 3 notebooks in 2 runs took 32 s, a run starts in 1 s: (32 - 2) / 3 = 10 s per notebook;
    # 240 notebooks in 30 runs: 30 * 1 + 240 * 10.
    assert benchmark.scale_nbgrader(32.0, 2, 3, 1.0, 240, 30) == pytest.approx(2430.0)
    assert benchmark.scale_nbgrader(95.0, 30, 240, 1.0, 240, 30) == 95.0  # not sampled: as measured


# ------------------------------------------------------------------ score identity
def test_identical_scores_on_the_sample():
    a = {("t01", "s000", "c1"): 2.0, ("t01", "s000", "c2"): 0.0, ("t02", "s001", "c1"): 1.5}
    b = {**a, ("t09", "s003", "c1"): 4.0}  # mmqb graded more than the sample: fine
    assert benchmark.compare_scores(a, b, [("t01", "s000"), ("t02", "s001")]) == []


def test_score_differences_are_all_reported():
    sample = [("t01", "s000"), ("t02", "s001"), ("t03", "s002")]
    nbgrader = {("t01", "s000", "c1"): 2.0, ("t01", "s000", "c2"): 1.0, ("t02", "s001", "c1"): 1.0,
                ("t05", "s000", "c1"): 3.0}
    mmqb = {("t01", "s000", "c1"): 2.0, ("t01", "s000", "c2"): 0.5, ("t02", "s001", "c9"): 1.0,
            ("t03", "s002", "c1"): 0.0, ("t05", "s000", "c1"): 0.0}
    problems = benchmark.compare_scores(nbgrader, mmqb, sample)
    assert "t01/s000/c2: nbgrader 1.0, mmqb 0.5" in problems
    assert "t02/s001/c1: nbgrader 1.0, mmqb None" in problems
    assert "t02/s001/c9: nbgrader None, mmqb 1.0" in problems
    assert "t03/s002: nbgrader graded no cell" in problems
    assert not any(p.startswith("t05") for p in problems)  # not in the sample
    assert len(problems) == 5  # t03/s002/c1 also: a cell only mmqb scored


# ------------------------------------------------------------------ the whole run, tiny
def test_report_structure_on_a_tiny_cohort(tmp_path, capsys):
    figures = benchmark.run_benchmark(tmp_path / "bench", 4, [SLUG], 1, nbgrader_sample=2, overhead_repeats=2)
    out = capsys.readouterr().out
    assert figures["notebooks"] == 4 and figures["topics"] == 1 and figures["kinds"] == list(benchmark.KINDS)
    assert figures["nbgrader_sampled_notebooks"] == 2 and figures["nbgrader_scaled"] is True
    assert figures["nbgrader_runs_in_sample"] == 1
    assert "SAMPLED 2 of 4 notebooks" in out and "SCALED to 4 notebooks" in out
    assert figures["identical_cells"] > 0
    assert f"identical on all {figures['identical_cells']} graded cells of the 2 notebooks" in out
    assert set(figures["per_topic"]) == {SLUG}
    row = figures["per_topic"][SLUG]
    assert row["mmqb_mean"] > 0 and row["limit_mean"] > 0 and row["mmqb_max"] >= row["mmqb_mean"]
    assert SLUG in out and "physical limit" in out
    overhead = figures["sandbox_overhead_ms"]
    assert set(overhead) == {"isolated", "no_isolation", "mode"} and overhead["mode"] == "full"
    assert overhead["isolated"] > 0 and overhead["no_isolation"] > 0
    assert figures["tensorflow_rss_mib"] > 0 and figures["peak_worker_rss_mib"] > 0
    for key in ("speedup_vs_nbgrader", "ratio_to_physical_floor", "nbgrader_seconds", "mmqb_seconds"):
        assert figures[key] > 0
    assert figures["speedup_vs_nbgrader"] == pytest.approx(figures["nbgrader_seconds"] / figures["mmqb_seconds"],
                                                           abs=0.1)
    assert json.loads((tmp_path / "bench" / "benchmark.json").read_text()) == json.loads(json.dumps(figures))
