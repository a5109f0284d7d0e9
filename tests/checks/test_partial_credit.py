"""Credit per check: a group scores the points of its passing checks, never all or nothing."""

import keras
import pytest

from autograder.checks import load_suite
from autograder.mutation import load_mutants, namespace_of, reference_source
from autograder.topics import all_slugs

SLUGS = all_slugs()

MUTANT_CASES = [(slug, m) for slug in SLUGS for m in load_mutants(slug)]


@pytest.mark.parametrize("slug", SLUGS)
def test_check_points_add_up_to_each_group(slug):
    suite = load_suite(slug)
    for group, points, checks in suite.groups():
        shares = [c.points for c in checks]
        assert all(s > 0 for s in shares), (group, shares)
        assert round(sum(shares), 2) == points, (group, shares, points)
        assert max(shares) - min(shares) <= 0.01 + 1e-9 or any(c.declared_points for c in checks), shares


@pytest.mark.parametrize(("slug", "mutant"), MUTANT_CASES, ids=[f"{s}-{m.name}" for s, m in MUTANT_CASES])
def test_mutant_keeps_the_points_of_the_checks_it_passes(slug, mutant):
    keras.utils.set_random_seed(0)
    suite = load_suite(slug)
    ns = namespace_of(mutant.apply(reference_source(slug)), f"{slug}_{mutant.name}_credit")
    results = suite.run(ns)
    scores = suite.score(results)
    for group, points, checks in suite.groups():
        passing = [c.points for c, r in zip(suite.checks, results, strict=True) if c.group == group and r.passed]
        expected = round(sum(passing), 2)
        assert scores[group] == expected, (group, scores[group], expected)
        if 0 < len(passing) < len(checks):  # failed only some checks of the group: partial, not zero
            assert 0 < scores[group] < points, (group, scores[group])
    total = sum(scores.values())
    assert total < suite.max_score, f"mutant {mutant.name} scored full"
